//! The /mcp pane: every MCP server with its transport, status and tool count; the selected
//! one's address, file, protocol, tools and last error; or a server's log.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Padding, Paragraph};

use super::wrap::wrap;
use crate::app::keymap::Action;
use crate::app::state::{McpPane, State};
use crate::mcp::Status;
use crate::sanitize::visible;

pub fn render(state: &State, pane: &McpPane, frame: &mut Frame, area: Rect) {
    let theme = &state.theme;
    let width = area.width.saturating_sub(4).min(100);
    let height = area.height.saturating_sub(2);
    if width < 24 || height < 6 {
        return;
    }
    let inner_w = width.saturating_sub(4) as usize;
    let muted = Style::default().fg(theme.ui.muted);
    let text = Style::default().fg(theme.ui.text);
    let mut lines: Vec<Line<'static>> = Vec::new();
    let title = match &pane.log {
        Some((name, log)) => {
            lines.extend(log.iter().map(|l| Line::from(Span::styled(l.clone(), text))));
            format!(" log of {} ", visible(name))
        }
        None if state.mcp.is_empty() => {
            let help = "No MCP servers. Add one in .mcp.json (the format other agents use), under [mcp.servers.NAME] \
in the config, or with `claw-tui mcp add NAME -- COMMAND`. A project's servers start once the folder is trusted.";
            lines.extend(wrap(&[Span::styled(help, muted)], inner_w, &[], &[]));
            " MCP servers ".to_string()
        }
        None => {
            list(state, pane, inner_w, &mut lines);
            " MCP servers ".to_string()
        }
    };
    let key = |a: Action| Span::styled(state.keymap.hint(a), Style::default().fg(theme.ui.accent));
    let footer = Line::from(vec![
        key(Action::McpReconnect),
        Span::styled(" reconnect  ·  ", muted),
        key(Action::McpLog),
        Span::styled(if pane.log.is_some() { " back to the list  ·  " } else { " log  ·  " }, muted),
        key(Action::McpClose),
        Span::styled(" close", muted),
    ]);
    let body_h = (height as usize).saturating_sub(4);
    // A log shows its end; the list shows its start.
    let skip = if pane.log.is_some() { lines.len().saturating_sub(body_h) } else { 0 };
    let mut shown: Vec<Line<'static>> = lines.into_iter().skip(skip).take(body_h).collect();
    shown.push(Line::default());
    shown.push(footer);
    let h = (shown.len() as u16 + 2).min(height);
    let r = super::centered(area, width, h);
    frame.render_widget(Clear, r);
    let block = super::dialog_block(theme, title, theme.ui.border).padding(Padding::horizontal(1));
    frame.render_widget(Paragraph::new(shown).block(block), r);
}

/// One row per server, then the selected server's details.
fn list(state: &State, pane: &McpPane, inner_w: usize, lines: &mut Vec<Line<'static>>) {
    let theme = &state.theme;
    let muted = Style::default().fg(theme.ui.muted);
    let name_w = state.mcp.iter().map(|v| v.name.chars().count()).max().unwrap_or(0).min(24);
    for (i, v) in state.mcp.iter().enumerate() {
        let (mark, colour) = match v.status {
            Status::Connected => ("●", theme.ui.success),
            Status::Connecting => ("◌", theme.ui.info),
            Status::Failed(_) => ("✗", theme.ui.error),
        };
        let selected = i == pane.selected;
        let row = if selected { Style::default().bg(theme.ui.selection) } else { Style::default() };
        let tools = match v.status {
            Status::Connected => format!("{} tool{}", v.tools.len(), if v.tools.len() == 1 { "" } else { "s" }),
            _ => String::new(),
        };
        let name: String = visible(&v.name).chars().take(name_w).collect();
        lines.push(Line::from(vec![
            Span::styled(if selected { "› " } else { "  " }, row.fg(theme.ui.accent)),
            Span::styled(format!("{mark} "), row.fg(colour)),
            Span::styled(format!("{name:name_w$}  "), row.fg(theme.ui.text).add_modifier(Modifier::BOLD)),
            Span::styled(format!("{:5}  ", v.transport), row.fg(theme.ui.muted)),
            Span::styled(format!("{:10}  ", v.status.label()), row.fg(colour)),
            Span::styled(tools, row.fg(theme.ui.muted)),
        ]));
    }
    let Some(v) = state.mcp.get(pane.selected) else { return };
    lines.push(Line::default());
    let field = |label: &str, value: String, style: Style, lines: &mut Vec<Line<'static>>| {
        let lead = [Span::styled(format!("{label:12}"), muted)];
        lines.extend(wrap(&[Span::styled(value, style)], inner_w, &lead, &[Span::raw(" ".repeat(12))]));
    };
    let text = Style::default().fg(theme.ui.text);
    field(if v.transport == "stdio" { "command" } else { "url" }, visible(&v.target).into_owned(), text, lines);
    field("defined in", visible(&v.file.display().to_string()).into_owned(), text, lines);
    if !v.protocol.is_empty() {
        field("protocol", v.protocol.clone(), text, lines);
    }
    if !v.tools.is_empty() {
        field("tools", visible(&v.tools.join(", ")).into_owned(), text, lines);
    }
    if !v.prompts.is_empty() {
        let commands: Vec<String> =
            v.prompts.iter().map(|p| crate::mcp::context::prompt_command(&v.name, &p.name)).collect();
        field("prompts", visible(&commands.join(", ")).into_owned(), text, lines);
    }
    if !v.resources.is_empty() {
        let n = v.resources.len();
        let how = format!("{n} (attach one with @{}:URI in the prompt)", v.name);
        field("resources", visible(&how).into_owned(), text, lines);
    }
    if let Status::Failed(why) = &v.status {
        field("error", visible(why).into_owned(), Style::default().fg(theme.ui.error), lines);
    }
}
