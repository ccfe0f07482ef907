//! The /mcp pane: moving through the servers, reconnecting one, reading its log; and the
//! servers' news arriving from the hub.

use super::*;
use crate::app::state::McpPane;

/// Lines of a server's log the pane shows.
pub const LOG_LINES: usize = 200;

/// The servers as they stand now. A server that failed since the last news is told once in
/// the transcript (the pane and `mcp list` say more).
pub(super) fn servers(state: &mut State, views: Vec<crate::mcp::ServerView>) {
    for v in &views {
        let before = state.mcp.iter().find(|o| o.name == v.name).map(|o| &o.status);
        if let crate::mcp::Status::Failed(why) = &v.status
            && before != Some(&v.status)
        {
            let text = format!("MCP server `{}` failed: {why} (/mcp shows it; r there reconnects)", v.name);
            notice(state, NoticeLevel::Warning, text);
        }
    }
    state.mcp = views;
    if let Some(Overlay::Mcp(pane)) = state.overlays.last_mut() {
        pane.selected = pane.selected.min(state.mcp.len().saturating_sub(1));
    }
}

pub(super) fn log_arrived(state: &mut State, name: String, lines: Vec<String>) {
    if let Some(Overlay::Mcp(pane)) = state.overlays.last_mut() {
        pane.log = Some((name, lines));
    }
}

pub(super) fn action(state: &mut State, action: Action, fx: &mut Vec<Effect>) {
    let count = state.mcp.len();
    let Some(Overlay::Mcp(pane)) = state.overlays.last_mut() else { return };
    let pane: &mut McpPane = pane;
    let selected = state.mcp.get(pane.selected);
    match action {
        Action::McpClose if pane.log.is_some() => pane.log = None,
        Action::McpClose => {
            state.overlays.pop();
        }
        Action::McpUp => pane.selected = pane.selected.saturating_sub(1),
        Action::McpDown => pane.selected = (pane.selected + 1).min(count.saturating_sub(1)),
        Action::McpReconnect => {
            if let Some(s) = selected {
                fx.push(Effect::McpReconnect(s.name.clone()));
            }
        }
        Action::McpLog if pane.log.is_some() => pane.log = None,
        Action::McpLog => {
            if let Some(s) = selected {
                match &s.log {
                    Some(path) => fx.push(Effect::ReadMcpLog { name: s.name.clone(), path: path.clone() }),
                    None => {
                        let text = format!("`{}` is a {} server: it has no log of its own", s.name, s.transport);
                        pane.log = Some((s.name.clone(), vec![text]));
                    }
                }
            }
        }
        _ => {}
    }
}

/// The last [`LOG_LINES`] lines of a log file (made safe to show).
pub fn read_log(path: &std::path::Path) -> Vec<String> {
    let Ok(bytes) = std::fs::read(path) else {
        return vec!["(the log is empty)".into()];
    };
    let text = String::from_utf8_lossy(&bytes[bytes.len().saturating_sub(64 * 1024)..]).into_owned();
    let lines: Vec<String> = text.lines().map(|l| crate::sanitize::visible(l).into_owned()).collect();
    if lines.is_empty() {
        return vec!["(the log is empty)".into()];
    }
    lines[lines.len().saturating_sub(LOG_LINES)..].to_vec()
}
