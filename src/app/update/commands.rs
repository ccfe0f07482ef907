//! Slash commands.

use super::*;

/// Slash commands: name and what it does. The completion popup and the palette list these.
pub const COMMANDS: &[(&str, &str)] = &[
    ("/help", "Show the keys of the active keymap"),
    ("/clear", "Start a new conversation"),
    ("/exit", "Quit claw-tui"),
    ("/version", "Show the version"),
    ("/cost", "Show the tokens and cost of this session"),
    ("/status", "Show the model, session, workspace and permission mode"),
    ("/model", "Pick the model (or /model NAME)"),
    ("/permissions", "Show and change the permission mode (or /permissions MODE)"),
    ("/demo", "Play the offline demo in a scratch directory"),
    ("/config", "Show the effective settings and where each comes from"),
    ("/theme", "Pick a theme, previewed as you move"),
    ("/keymap", "List the active key bindings (/keymap test: see what a key does)"),
    ("/resume", "Browse saved sessions: search, preview, resume, rename, fork, delete"),
    ("/fork", "Continue in a copy of this session"),
    ("/session", "Show this session's id, file, size and message count"),
    ("/rename", "Give this session a title (/rename TITLE)"),
    ("/compact", "Summarize the conversation to free context (/compact [FOCUS])"),
    ("/export", "Write this session to a file (/export [PATH], .json for JSON)"),
    ("/diff", "Browse changed files and their diffs (/diff session: only this session's changes)"),
    ("/undo", "Revert the file changes of the last turn that made any, after showing them"),
    ("/rewind", "Go back to before a turn: its files, the conversation, or both"),
];

pub(super) fn run_command(state: &mut State, line: &str, fx: &mut Vec<Effect>) {
    let (name, arg) = match line.split_once(char::is_whitespace) {
        Some((n, a)) => (n, a.trim()),
        None => (line, ""),
    };
    match name {
        "/help" => state.overlays.push(Overlay::Help { scroll: 0 }),
        "/diff" => {
            let scope = match arg {
                "" | "all" | "tree" => Some(crate::app::changes::Scope::WorkingTree),
                "session" => Some(crate::app::changes::Scope::Session),
                other => {
                    return notice(
                        state,
                        NoticeLevel::Error,
                        format!("/diff {other}: expected nothing (all changes) or `session`"),
                    );
                }
            };
            super::review::open_viewer(state, scope, fx);
        }
        "/undo" => super::review::undo(state, fx),
        "/rewind" => super::review::rewind(state, fx),
        "/clear" => fx.push(Effect::NewSession),
        "/exit" | "/quit" => fx.push(Effect::Quit),
        "/version" => notice(state, NoticeLevel::Info, format!("claw-tui {}", env!("CARGO_PKG_VERSION"))),
        "/cost" => {
            let text = ui::cost::summary(&state.cost);
            notice(state, NoticeLevel::Info, text);
        }
        "/status" => {
            let s = &state.status;
            let text = format!(
                "model {} · session {} · {}{} · permission mode {} · context {}",
                s.model,
                if s.session_id.is_empty() { "(none)" } else { &s.session_id },
                s.cwd.display(),
                s.branch.as_ref().map(|b| format!(" ({b})")).unwrap_or_default(),
                s.mode,
                ui::status::context_label(&state.cost),
            );
            notice(state, NoticeLevel::Info, text);
        }
        "/model" if !arg.is_empty() => fx.push(Effect::Agent(Op::SetModel { model: arg.to_string() })),
        "/model" => {
            let items = state
                .models
                .iter()
                .map(|m| PickerItem {
                    label: m.clone(),
                    detail: if *m == state.status.model { "current".into() } else { String::new() },
                    key: String::new(),
                    action: PickerAction::SetModel(m.clone()),
                })
                .collect();
            open_picker(state, "Model", items);
        }
        "/permissions" if !arg.is_empty() => match arg.parse::<PermissionMode>() {
            Ok(mode) => set_mode(state, mode, fx),
            Err(e) => notice(state, NoticeLevel::Error, e),
        },
        "/permissions" => {
            let items = PermissionMode::ALL
                .iter()
                .map(|m| PickerItem {
                    label: m.to_string(),
                    detail: match m {
                        PermissionMode::ReadOnly => "read files; ask for anything else",
                        PermissionMode::WorkspaceWrite => "read and write files in the workspace; ask to run commands",
                        PermissionMode::DangerFullAccess => "everything, without asking",
                    }
                    .to_string(),
                    key: if *m == state.status.mode { "current".into() } else { String::new() },
                    action: PickerAction::SetMode(*m),
                })
                .collect();
            open_picker(state, "Permission mode", items);
        }
        "/demo" => fx.push(Effect::StartDemo),
        "/config" => fx.push(Effect::ShowConfig),
        "/theme" => fx.push(Effect::ListThemes),
        "/keymap" if arg == "test" => state.overlays.push(Overlay::KeyTester { last: None }),
        "/keymap" => state.overlays.push(Overlay::Help { scroll: 0 }),
        "/resume" | "/sessions" => open_browser(state, false, fx),
        "/fork" => match state.status.session_file.clone() {
            Some(path) => fx.push(Effect::Fork(path)),
            None => notice(state, NoticeLevel::Error, "nothing to fork yet: this session has not been saved"),
        },
        "/session" => match &state.status.session_file {
            Some(path) => fx.push(Effect::DescribeSession(path.clone())),
            None => notice(
                state,
                NoticeLevel::Info,
                format!(
                    "session {} is not being saved (nothing said yet, the demo, or saving is off)",
                    state.status.session_id
                ),
            ),
        },
        "/rename" if !arg.is_empty() => fx.push(Effect::Agent(Op::Rename { title: arg.to_string() })),
        "/rename" => notice(state, NoticeLevel::Error, "give the new title: /rename TITLE"),
        "/compact" => {
            let focus = (!arg.is_empty()).then(|| arg.to_string());
            state.turn_running = true;
            state.activity = Activity::Thinking;
            notice(state, NoticeLevel::Info, "compacting the conversation…");
            fx.push(Effect::Agent(Op::Compact { focus }));
        }
        "/export" => {
            let json = arg.ends_with(".json");
            fx.push(Effect::Export { path: (!arg.is_empty()).then(|| arg.to_string()), json });
        }
        other => notice(
            state,
            NoticeLevel::Error,
            format!(
                "unknown command {other}; type / to see the commands, or press {} for help",
                state.keymap.hint(Action::Help)
            ),
        ),
    }
}

pub(super) fn set_mode(state: &mut State, mode: PermissionMode, fx: &mut Vec<Effect>) {
    state.status.mode = mode;
    flash(state, format!("permission mode: {mode}"));
    fx.push(Effect::Agent(Op::SetPermissionMode { mode }));
}
