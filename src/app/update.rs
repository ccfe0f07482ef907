//! `update(&mut State, Event) -> Vec<Effect>`: pure and synchronous. It never awaits, never
//! touches the terminal or the disk; what needs doing outside is returned as [`Effect`]s.
//! Keys are resolved to [`Action`]s through the keymap first; each area has its handler.

use crossterm::event::{KeyEvent, KeyEventKind, MouseEvent, MouseEventKind};
use ratatui_textarea::{CursorMove, TextArea};

use super::effect::Effect;
use super::event::Event;
use super::keymap::{ACTIONS, Action, Context, Key, Resolved};
use super::state::*;
use crate::agent::{AgentEvent, Decision, Op, TurnOutcome};
use crate::permission::PermissionMode;
use crate::sanitize::visible;
use crate::ui;

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
    ("/resume", "Browse saved sessions: search, preview, resume, rename, fork, delete"),
    ("/fork", "Continue in a copy of this session"),
    ("/session", "Show this session's id, file, size and message count"),
    ("/rename", "Give this session a title (/rename TITLE)"),
    ("/compact", "Summarize the conversation to free context (/compact [FOCUS])"),
    ("/export", "Write this session to a file (/export [PATH], .json for JSON)"),
];

/// How long a flash message stays in the status bar.
const FLASH_MS: u64 = 3000;
/// Added to the score of a picker entry whose name matches, so names outrank descriptions.
const LABEL_BONUS: u32 = 1 << 20;
/// Lines the mouse wheel scrolls.
const WHEEL_LINES: isize = 3;

pub fn update(state: &mut State, event: Event) -> Vec<Effect> {
    let mut fx = Vec::new();
    match event {
        Event::Key(key) => on_key(state, key, &mut fx),
        Event::Paste(text) => on_paste(state, text),
        Event::Mouse(mouse) => on_mouse(state, mouse),
        Event::Resize(w, h) => state.size = (w, h),
        Event::Agent(ev) => on_agent(state, ev, &mut fx),
        Event::Tick => {
            if state.flash.as_ref().is_some_and(|(_, until)| *until <= state.now_ms) {
                state.flash = None;
            }
        }
        Event::EditorDone(Ok(text)) => {
            let text = text.strip_suffix('\n').unwrap_or(&text).to_string();
            set_composer(state, &text);
        }
        Event::EditorDone(Err(e)) => notice(state, NoticeLevel::Error, format!("the editor failed: {e}")),
        Event::Copied(Ok(how)) => flash(state, format!("copied ({how})")),
        Event::Copied(Err(e)) => notice(state, NoticeLevel::Error, format!("copy failed: {e}")),
        Event::Report(Ok(what)) => flash(state, what),
        Event::Report(Err(e)) => notice(state, NoticeLevel::Error, e),
        Event::Sessions { list, all } => sessions_arrived(state, list, all, &mut fx),
        Event::Preview { path, lines } => {
            if let Some(Overlay::Sessions(b)) = state.overlays.last_mut()
                && b.highlighted().is_some_and(|s| s.path == path)
            {
                b.preview = Some((path, lines));
            }
        }
        Event::AgentRestarted { welcome, branch } => {
            state.status.branch = branch;
            state.transcript = Transcript { cells: Vec::new(), scroll: Scroll::Follow, selected: None };
            state.cost = CostMeter::default();
            state.todos.clear();
            state.queued.clear();
            state.approval_queue.clear();
            state.overlays.retain(|o| !matches!(o, Overlay::Approval(_)));
            state.turn_running = false;
            state.activity = Activity::Idle;
            if welcome {
                state.transcript.push(CellKind::Welcome);
            }
        }
        Event::Restore(items) => {
            for item in items {
                match item {
                    super::replay::ReplayItem::User(text) => {
                        remember(state, &text);
                        state.transcript.push(CellKind::User { text: crate::sanitize::visible_owned(text.clone()) });
                    }
                    super::replay::ReplayItem::Agent(ev) => on_agent(state, ev, &mut fx),
                }
            }
            state.turn_running = false;
            state.activity = Activity::Idle;
            state.overlays.retain(|o| !matches!(o, Overlay::Approval(_)));
            state.transcript.scroll = Scroll::Follow;
            // The replayed turn's "interrupted" notices and queued prompts are history, not news.
            fx.retain(|e| !matches!(e, Effect::Agent(_)));
        }
        Event::Command(line) => run_command(state, line.trim(), &mut fx),
        Event::SubmitPrompt(text) => {
            remember(state, &text);
            if state.turn_running {
                state.queued.push_back(text);
            } else {
                send_prompt(state, text, &mut fx);
            }
        }
        Event::Terminate => fx.push(Effect::Quit),
    }
    fx
}

fn flash(state: &mut State, text: impl Into<String>) {
    state.flash = Some((text.into(), state.now_ms + FLASH_MS));
}

fn notice(state: &mut State, level: NoticeLevel, text: impl Into<String>) {
    let text = visible(&text.into()).into_owned();
    state.transcript.push(CellKind::Notice { level, text });
}

fn set_composer(state: &mut State, text: &str) {
    let mut ta = TextArea::new(text.split('\n').map(str::to_string).collect());
    ta.set_placeholder_text(state.composer.textarea.placeholder_text().to_string());
    ta.move_cursor(CursorMove::Bottom);
    ta.move_cursor(CursorMove::End);
    state.composer.textarea = ta;
    state.composer.completion = 0;
}

// ---------------------------------------------------------------------------------------------
// Keys

fn on_key(state: &mut State, key: KeyEvent, fx: &mut Vec<Effect>) {
    if key.kind == KeyEventKind::Release {
        return;
    }
    let k = Key::from_event(&key);
    if matches!(state.overlays.last(), Some(Overlay::Sessions(_))) {
        return browser_key(state, key, k, fx);
    }
    // Typing a note for a denial: characters are text; other keys resolve in the approval
    // context, where `choose` sends the denial with the note and `deny` closes the note box.
    if let Some(Overlay::Approval(modal)) = state.overlays.last_mut()
        && let Some(note) = modal.note.as_mut()
    {
        let is_text = matches!(key.code, crossterm::event::KeyCode::Char(_))
            && !key.modifiers.intersects(crossterm::event::KeyModifiers::CONTROL | crossterm::event::KeyModifiers::ALT);
        let action = if is_text {
            None
        } else {
            match state.keymap.resolve(&[Context::Approval], &[], k) {
                Resolved::Matched(a) => Some(a),
                _ => None,
            }
        };
        match action {
            Some(Action::Choose) => {
                let text = note.lines().join("\n");
                decide(state, Decision::Deny { feedback: Some(text) }, None, fx);
            }
            Some(Action::Deny) => modal.note = None,
            _ => {
                note.input(key);
            }
        }
        return;
    }
    let contexts = state.contexts();
    match state.keymap.resolve(&contexts, &state.pending_keys, k) {
        Resolved::Pending => state.pending_keys.push(k),
        Resolved::Matched(action) => {
            state.pending_keys.clear();
            if !completion_intercepts(state, action, fx) {
                on_action(state, action, key, fx);
            }
        }
        Resolved::NotFound => {
            let was_pending = !state.pending_keys.is_empty();
            state.pending_keys.clear();
            if was_pending {
                return;
            }
            match state.overlays.last_mut() {
                Some(Overlay::Picker(p)) => picker_type(p, key),
                Some(_) => {}
                None if state.focus == Focus::Composer => {
                    state.composer.textarea.input(key);
                    state.composer.history_index = None;
                    state.composer.completion = 0;
                }
                None => {}
            }
        }
    }
}

/// The slash-command popup takes Up, Down and Tab while it shows.
fn completion_intercepts(state: &mut State, action: Action, fx: &mut Vec<Effect>) -> bool {
    if !state.overlays.is_empty() || state.focus != Focus::Composer {
        return false;
    }
    let matches = ui::composer::completions(state);
    if matches.is_empty() {
        return false;
    }
    let n = matches.len();
    match action {
        Action::HistoryPrev => state.composer.completion = (state.composer.completion + n - 1) % n,
        Action::HistoryNext => state.composer.completion = (state.composer.completion + 1) % n,
        Action::FocusTranscript => {
            let name = matches[state.composer.completion.min(n - 1)].0;
            set_composer(state, &format!("{name} "));
        }
        Action::Submit => {
            let typed = state.composer.text();
            let chosen = matches[state.composer.completion.min(n - 1)].0;
            let line = if typed.trim() == chosen || typed.contains(' ') { typed } else { chosen.to_string() };
            set_composer(state, "");
            remember(state, &line);
            run_command(state, line.trim(), fx);
        }
        _ => return false,
    }
    true
}

fn on_action(state: &mut State, action: Action, key: KeyEvent, fx: &mut Vec<Effect>) {
    match action.info().context {
        Context::Approval => return approval_action(state, action, fx),
        Context::Palette => return picker_action(state, action, fx),
        Context::Help => {
            let max = ui::help::lines(state).len().saturating_sub(1) as u16;
            match (action, state.overlays.last_mut()) {
                (Action::CloseHelp, _) => {
                    state.overlays.pop();
                }
                (Action::HelpUp, Some(Overlay::Help { scroll })) => *scroll = scroll.saturating_sub(3),
                (Action::HelpDown, Some(Overlay::Help { scroll })) => *scroll = (*scroll + 3).min(max),
                _ => {}
            }
            return;
        }
        _ => {}
    }
    match action {
        Action::Quit => {
            if state.focus == Focus::Composer && !state.composer.is_empty() {
                state.composer.textarea.input(key);
            } else {
                fx.push(Effect::Quit);
            }
        }
        Action::Cancel => {
            if state.turn_running {
                fx.push(Effect::Agent(Op::Interrupt));
            } else if !state.composer.is_empty() {
                set_composer(state, "");
            } else {
                fx.push(Effect::Quit);
            }
        }
        Action::OpenPalette => open_palette(state),
        Action::Help => state.overlays.push(Overlay::Help { scroll: 0 }),
        Action::ToggleTodos => state.show_todos = !state.show_todos,
        Action::ToggleSidebar => state.show_sidebar = !state.show_sidebar,
        Action::CycleMode => {
            let all = PermissionMode::ALL;
            let i = all.iter().position(|m| *m == state.status.mode).unwrap_or(0);
            set_mode(state, all[(i + 1) % all.len()], fx);
        }
        Action::ScrollUp => ui::transcript::scroll_by(state, -(page(state) as isize)),
        Action::ScrollDown => ui::transcript::scroll_by(state, page(state) as isize),
        Action::ScrollTop => state.transcript.scroll = Scroll::At { cell: 0, line: 0 },
        Action::ScrollBottom => state.transcript.scroll = Scroll::Follow,
        Action::CopyLastAnswer => match state.transcript.last_answer() {
            Some(text) => fx.push(Effect::Copy(text.to_string())),
            None => flash(state, "no answer to copy yet"),
        },
        Action::Suspend => fx.push(Effect::Suspend),
        Action::Submit => submit(state, fx),
        Action::Newline => state.composer.textarea.insert_newline(),
        Action::Interrupt if state.turn_running => fx.push(Effect::Agent(Op::Interrupt)),
        Action::HistoryPrev => {
            if state.composer.textarea.cursor().0 == 0 {
                history_walk(state, -1);
            } else {
                state.composer.textarea.move_cursor(CursorMove::Up);
            }
        }
        Action::HistoryNext => {
            let last = state.composer.textarea.lines().len().saturating_sub(1);
            if state.composer.textarea.cursor().0 >= last {
                history_walk(state, 1);
            } else {
                state.composer.textarea.move_cursor(CursorMove::Down);
            }
        }
        Action::OpenEditor => fx.push(Effect::OpenEditor(state.composer.text())),
        Action::FocusTranscript if !state.transcript.cells.is_empty() => {
            state.focus = Focus::Transcript;
            let last = state.transcript.cells.len() - 1;
            state.transcript.selected = Some(last);
            ui::transcript::reveal(state, last);
        }
        Action::SelectPrev | Action::SelectNext | Action::SelectFirst | Action::SelectLast => {
            let n = state.transcript.cells.len();
            if n == 0 {
                return;
            }
            let cur = state.transcript.selected.unwrap_or(n - 1);
            let next = match action {
                Action::SelectPrev => cur.saturating_sub(1),
                Action::SelectNext => (cur + 1).min(n - 1),
                Action::SelectFirst => 0,
                _ => n - 1,
            };
            state.transcript.selected = Some(next);
            ui::transcript::reveal(state, next);
        }
        Action::ToggleExpand => {
            if let Some(cell) = state.transcript.selected.and_then(|i| state.transcript.cells.get_mut(i)) {
                cell.expanded = !cell.expanded;
                cell.touch();
            }
        }
        Action::CopyMessage => {
            if let Some(text) = state.transcript.selected.and_then(|i| state.transcript.cells.get(i)).map(cell_text) {
                fx.push(Effect::Copy(text));
            }
        }
        Action::CopyCode => {
            let code = state
                .transcript
                .selected
                .and_then(|i| state.transcript.cells.get(i))
                .map(|c| ui::markdown::code_blocks(&cell_text(c)))
                .unwrap_or_default();
            if code.is_empty() {
                flash(state, "no code block in this message");
            } else {
                fx.push(Effect::Copy(code.join("\n")));
            }
        }
        Action::FocusComposer => {
            state.focus = Focus::Composer;
            state.transcript.selected = None;
        }
        _ => {}
    }
}

/// Lines a page scroll moves: the viewport less two lines of overlap.
fn page(state: &State) -> usize {
    (ui::transcript_area(state).height as usize).saturating_sub(2).max(1)
}

/// The plain text of a cell, for copying.
fn cell_text(cell: &Cell) -> String {
    match &cell.kind {
        CellKind::User { text } | CellKind::Assistant { text, .. } | CellKind::Thinking { text, .. } => text.clone(),
        CellKind::Tool(t) => {
            let mut s = format!("{} {}", t.tool, t.summary);
            if let Some(r) = &t.result {
                s.push_str("\n\n");
                s.push_str(r);
            }
            s
        }
        CellKind::Notice { text, .. } => text.clone(),
        CellKind::Welcome => String::new(),
    }
}

fn history_walk(state: &mut State, dir: isize) {
    let c = &mut state.composer;
    if c.history.is_empty() {
        return;
    }
    let next = match (c.history_index, dir) {
        (None, -1) => {
            c.draft = c.text();
            Some(c.history.len() - 1)
        }
        (None, _) => return,
        (Some(0), -1) => Some(0),
        (Some(i), -1) => Some(i - 1),
        (Some(i), _) if i + 1 < c.history.len() => Some(i + 1),
        (Some(_), _) => None,
    };
    c.history_index = next;
    let text = match next {
        Some(i) => c.history[i].clone(),
        None => std::mem::take(&mut c.draft),
    };
    let index = state.composer.history_index;
    set_composer(state, &text);
    state.composer.history_index = index;
}

fn remember(state: &mut State, text: &str) {
    let h = &mut state.composer.history;
    if h.last().map(String::as_str) != Some(text) {
        h.push(text.to_string());
    }
    state.composer.history_index = None;
    state.composer.draft.clear();
}

fn submit(state: &mut State, fx: &mut Vec<Effect>) {
    let text = state.composer.text();
    if text.trim().is_empty() {
        return;
    }
    set_composer(state, "");
    remember(state, &text);
    if text.starts_with('/') && !text.contains('\n') {
        return run_command(state, text.trim(), fx);
    }
    if state.turn_running {
        state.queued.push_back(text);
        return;
    }
    send_prompt(state, text, fx);
}

fn send_prompt(state: &mut State, text: String, fx: &mut Vec<Effect>) {
    state.transcript.push(CellKind::User { text: crate::sanitize::visible_owned(text.clone()) });
    state.transcript.scroll = Scroll::Follow;
    state.turn_running = true;
    state.activity = Activity::Thinking;
    fx.push(Effect::Agent(Op::UserTurn { text, attachments: Vec::new() }));
}

fn on_paste(state: &mut State, text: String) {
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let text = visible(&text).into_owned();
    match state.overlays.last_mut() {
        // A paste never answers an approval; it may fill the note.
        Some(Overlay::Approval(m)) => {
            if let Some(note) = m.note.as_mut() {
                note.insert_str(&text);
            }
        }
        Some(Overlay::Picker(p)) => {
            p.query.push_str(text.lines().next().unwrap_or_default());
            refilter(p);
        }
        Some(Overlay::Sessions(b)) => {
            let line = text.lines().next().unwrap_or_default();
            match &mut b.mode {
                BrowserMode::Rename(title) => title.push_str(line),
                BrowserMode::List => {
                    b.query.push_str(line);
                    refilter_sessions(b);
                }
                BrowserMode::ConfirmDelete => {}
            }
        }
        Some(Overlay::Help { .. }) => {}
        None => {
            state.focus = Focus::Composer;
            state.composer.textarea.insert_str(&text);
        }
    }
}

fn on_mouse(state: &mut State, mouse: MouseEvent) {
    match mouse.kind {
        MouseEventKind::ScrollUp => ui::transcript::scroll_by(state, -WHEEL_LINES),
        MouseEventKind::ScrollDown => ui::transcript::scroll_by(state, WHEEL_LINES),
        _ => {}
    }
}

// ---------------------------------------------------------------------------------------------
// Commands

fn run_command(state: &mut State, line: &str, fx: &mut Vec<Effect>) {
    let (name, arg) = match line.split_once(char::is_whitespace) {
        Some((n, a)) => (n, a.trim()),
        None => (line, ""),
    };
    match name {
        "/help" => state.overlays.push(Overlay::Help { scroll: 0 }),
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
        "/resume" | "/sessions" => open_browser(state, false, fx),
        "/fork" => match state.status.session_file.clone() {
            Some(path) => fx.push(Effect::Fork(path)),
            None => notice(state, NoticeLevel::Error, "nothing to fork yet: this session has not been saved"),
        },
        "/session" => {
            let s = &state.status;
            let text = match &s.session_file {
                Some(path) => {
                    let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
                    let messages = state
                        .transcript
                        .cells
                        .iter()
                        .filter(|c| matches!(c.kind, CellKind::User { .. } | CellKind::Assistant { .. }))
                        .count();
                    format!(
                        "session {}{} · {} · {} · {messages} messages on screen · /resume to switch",
                        s.session_id,
                        s.title.as_ref().map(|t| format!(" \"{t}\"")).unwrap_or_default(),
                        path.display(),
                        crate::ui::cost::bytes(size),
                    )
                }
                None => format!(
                    "session {} is not being saved (nothing said yet, the demo, or saving is off)",
                    s.session_id
                ),
            };
            notice(state, NoticeLevel::Info, text);
        }
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

// ---------------------------------------------------------------------------------------------
// The session browser

/// Opens the browser (empty until the list arrives) and asks for the list.
fn open_browser(state: &mut State, all: bool, fx: &mut Vec<Effect>) {
    if !matches!(state.overlays.last(), Some(Overlay::Sessions(_))) {
        state.overlays.push(Overlay::Sessions(Box::new(Browser {
            sessions: Vec::new(),
            all_projects: all,
            query: String::new(),
            filtered: Vec::new(),
            selected: 0,
            sort: SessionSort::Updated,
            preview: None,
            mode: BrowserMode::List,
            loaded: false,
        })));
    }
    fx.push(Effect::ListSessions { all });
}

fn sessions_arrived(state: &mut State, list: Vec<crate::session::index::Summary>, all: bool, fx: &mut Vec<Effect>) {
    let current = state.status.session_id.clone();
    let Some(Overlay::Sessions(b)) = state.overlays.last_mut() else { return };
    let keep = b.highlighted().map(|s| s.id.clone());
    b.sessions = list.into_iter().filter(|s| s.id != current).collect();
    b.all_projects = all;
    b.loaded = true;
    b.mode = BrowserMode::List;
    refilter_sessions(b);
    if let Some(id) = keep
        && let Some(pos) = b.filtered.iter().position(|&i| b.sessions[i].id == id)
    {
        b.selected = pos;
    }
    request_preview(b, fx);
}

fn request_preview(b: &mut Browser, fx: &mut Vec<Effect>) {
    let wanted = b.highlighted().map(|s| s.path.clone());
    match wanted {
        Some(path) if b.preview.as_ref().is_none_or(|(p, _)| *p != path) => {
            b.preview = None;
            fx.push(Effect::LoadPreview(path));
        }
        Some(_) => {}
        None => b.preview = None,
    }
}

/// Filters by the query (fuzzy, over titles and first prompts; best match first) or, without
/// a query, orders by the sort key.
pub fn refilter_sessions(b: &mut Browser) {
    use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern};
    use nucleo_matcher::{Config, Matcher, Utf32Str};
    b.selected = 0;
    if b.query.trim().is_empty() {
        let mut idx: Vec<usize> = (0..b.sessions.len()).collect();
        let s = &b.sessions;
        match b.sort {
            SessionSort::Updated => idx.sort_by(|&x, &y| s[y].updated.cmp(&s[x].updated)),
            SessionSort::Created => idx.sort_by(|&x, &y| s[y].created.cmp(&s[x].created)),
            SessionSort::Cost => idx.sort_by(|&x, &y| s[y].cost_usd.total_cmp(&s[x].cost_usd)),
        }
        b.filtered = idx;
        return;
    }
    let mut matcher = Matcher::new(Config::DEFAULT);
    let pattern = Pattern::parse(&b.query, CaseMatching::Smart, Normalization::Smart);
    let mut buf = Vec::new();
    let mut scored: Vec<(u32, usize)> = b
        .sessions
        .iter()
        .enumerate()
        .filter_map(|(i, s)| {
            let title = s.display_title();
            let a = pattern.score(Utf32Str::new(&title, &mut buf), &mut matcher);
            let p = pattern.score(Utf32Str::new(&s.first_prompt, &mut buf), &mut matcher);
            a.max(p).map(|score| (score, i))
        })
        .collect();
    scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    b.filtered = scored.into_iter().map(|(_, i)| i).collect();
}

/// Keys while the browser is open. Characters filter (or edit a title, or answer the delete
/// question); other keys resolve through the keymap's `sessions` context.
fn browser_key(state: &mut State, key: KeyEvent, k: Key, fx: &mut Vec<Effect>) {
    use crossterm::event::{KeyCode, KeyModifiers};
    let current = state.status.session_file.clone();
    let action = match state.keymap.resolve(&[Context::Sessions], &[], k) {
        Resolved::Matched(a) => Some(a),
        _ => None,
    };
    let is_text =
        matches!(key.code, KeyCode::Char(_)) && !key.modifiers.intersects(KeyModifiers::CONTROL | KeyModifiers::ALT);
    let Some(Overlay::Sessions(b)) = state.overlays.last_mut() else { return };
    match &mut b.mode {
        BrowserMode::ConfirmDelete => {
            if key.code == KeyCode::Char('y')
                && let Some(s) = b.highlighted()
            {
                fx.push(Effect::DeleteSession(s.path.clone()));
            }
            b.mode = BrowserMode::List;
            return;
        }
        BrowserMode::Rename(title) => {
            match (is_text, action, key.code) {
                (true, _, KeyCode::Char(c)) => title.push(c),
                (_, _, KeyCode::Backspace) => {
                    title.pop();
                }
                (_, Some(Action::SessionResume), _) => {
                    let title = title.clone();
                    if let Some(s) = b.highlighted() {
                        fx.push(Effect::RenameSession { path: s.path.clone(), title });
                    }
                    b.mode = BrowserMode::List;
                }
                (_, Some(Action::SessionClose), _) => b.mode = BrowserMode::List,
                _ => {}
            }
            return;
        }
        BrowserMode::List => {}
    }
    if is_text {
        if let KeyCode::Char(c) = key.code {
            b.query.push(c);
            refilter_sessions(b);
            request_preview(b, fx);
        }
        return;
    }
    let n = b.filtered.len();
    match action {
        Some(Action::SessionUp) if n > 0 => {
            b.selected = (b.selected + n - 1) % n;
            request_preview(b, fx);
        }
        Some(Action::SessionDown) if n > 0 => {
            b.selected = (b.selected + 1) % n;
            request_preview(b, fx);
        }
        Some(Action::SessionResume) => {
            if let Some(s) = b.highlighted() {
                fx.push(Effect::Resume(s.path.clone()));
                state.overlays.pop();
            }
        }
        Some(Action::SessionRename) => {
            if let Some(s) = b.highlighted() {
                b.mode = BrowserMode::Rename(s.display_title());
            }
        }
        Some(Action::SessionFork) => {
            if let Some(s) = b.highlighted() {
                fx.push(Effect::Fork(s.path.clone()));
                state.overlays.pop();
            }
        }
        Some(Action::SessionExport) => {
            if let Some(s) = b.highlighted() {
                fx.push(Effect::ExportFile(s.path.clone()));
            }
        }
        Some(Action::SessionDelete) => {
            if let Some(s) = b.highlighted() {
                if Some(&s.path) == current.as_ref() {
                    flash(state, "the session in use cannot be deleted");
                } else {
                    b.mode = BrowserMode::ConfirmDelete;
                }
            }
        }
        Some(Action::SessionToggleAll) => {
            let all = !b.all_projects;
            b.loaded = false;
            fx.push(Effect::ListSessions { all });
        }
        Some(Action::SessionSort) => {
            b.sort = match b.sort {
                SessionSort::Updated => SessionSort::Created,
                SessionSort::Created => SessionSort::Cost,
                SessionSort::Cost => SessionSort::Updated,
            };
            refilter_sessions(b);
            request_preview(b, fx);
        }
        Some(Action::SessionClose) => {
            state.overlays.pop();
        }
        _ => {
            if key.code == KeyCode::Backspace {
                b.query.pop();
                refilter_sessions(b);
                request_preview(b, fx);
            }
        }
    }
}

fn set_mode(state: &mut State, mode: PermissionMode, fx: &mut Vec<Effect>) {
    state.status.mode = mode;
    flash(state, format!("permission mode: {mode}"));
    fx.push(Effect::Agent(Op::SetPermissionMode { mode }));
}

// ---------------------------------------------------------------------------------------------
// Pickers (palette, /model, /permissions)

fn open_palette(state: &mut State) {
    let mut items: Vec<PickerItem> = COMMANDS
        .iter()
        .map(|(name, desc)| PickerItem {
            label: name.to_string(),
            detail: desc.to_string(),
            key: String::new(),
            action: PickerAction::Command(name.to_string()),
        })
        .collect();
    for info in ACTIONS.iter().filter(|a| a.context == Context::Global) {
        items.push(PickerItem {
            label: info.name.replace('_', " "),
            detail: info.description.to_string(),
            key: state.keymap.hint(info.action),
            action: PickerAction::Action(info.action),
        });
    }
    open_picker(state, "Commands", items);
}

fn open_picker(state: &mut State, title: &str, items: Vec<PickerItem>) {
    let mut p = Picker { title: title.into(), query: String::new(), filtered: Vec::new(), items, selected: 0 };
    refilter(&mut p);
    state.overlays.push(Overlay::Picker(p));
}

/// Filters a picker's items by its query with nucleo's fuzzy matcher, best score first.
pub fn refilter(p: &mut Picker) {
    use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern};
    use nucleo_matcher::{Config, Matcher, Utf32Str};
    p.selected = 0;
    if p.query.trim().is_empty() {
        p.filtered = (0..p.items.len()).collect();
        return;
    }
    let mut matcher = Matcher::new(Config::DEFAULT);
    let pattern = Pattern::parse(&p.query, CaseMatching::Smart, Normalization::Smart);
    let mut buf = Vec::new();
    let mut scored: Vec<(u32, usize)> = p
        .items
        .iter()
        .enumerate()
        .filter_map(|(i, item)| {
            // A match in the name ranks above any match in the description.
            if let Some(s) = pattern.score(Utf32Str::new(&item.label, &mut buf), &mut matcher) {
                return Some((s + LABEL_BONUS, i));
            }
            pattern.score(Utf32Str::new(&item.detail, &mut buf), &mut matcher).map(|s| (s, i))
        })
        .collect();
    scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    p.filtered = scored.into_iter().map(|(_, i)| i).collect();
}

fn picker_type(p: &mut Picker, key: KeyEvent) {
    use crossterm::event::{KeyCode, KeyModifiers};
    match key.code {
        KeyCode::Char(c) if !key.modifiers.intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) => {
            p.query.push(c);
            refilter(p);
        }
        KeyCode::Backspace => {
            p.query.pop();
            refilter(p);
        }
        _ => {}
    }
}

fn picker_action(state: &mut State, action: Action, fx: &mut Vec<Effect>) {
    let Some(Overlay::Picker(p)) = state.overlays.last_mut() else { return };
    let n = p.filtered.len();
    match action {
        Action::PaletteUp if n > 0 => p.selected = (p.selected + n - 1) % n,
        Action::PaletteDown if n > 0 => p.selected = (p.selected + 1) % n,
        Action::PaletteClose => {
            state.overlays.pop();
        }
        Action::PaletteRun => {
            let chosen = p.filtered.get(p.selected).map(|&i| p.items[i].action.clone());
            state.overlays.pop();
            match chosen {
                Some(PickerAction::Command(line)) => run_command(state, &line, fx),
                Some(PickerAction::Action(a)) => {
                    let key = KeyEvent::new(crossterm::event::KeyCode::Null, crossterm::event::KeyModifiers::NONE);
                    on_action(state, a, key, fx);
                }
                Some(PickerAction::SetModel(m)) => fx.push(Effect::Agent(Op::SetModel { model: m })),
                Some(PickerAction::SetMode(m)) => set_mode(state, m, fx),
                None => {}
            }
        }
        _ => {}
    }
}

// ---------------------------------------------------------------------------------------------
// Approvals

fn approval_action(state: &mut State, action: Action, fx: &mut Vec<Effect>) {
    let Some(Overlay::Approval(modal)) = state.overlays.last_mut() else { return };
    let choice = match action {
        Action::ChoicePrev => {
            modal.choice = (modal.choice + APPROVAL_CHOICES - 1) % APPROVAL_CHOICES;
            return;
        }
        Action::ChoiceNext => {
            modal.choice = (modal.choice + 1) % APPROVAL_CHOICES;
            return;
        }
        Action::Choose => modal.choice,
        Action::AllowOnce => 0,
        Action::AllowSession => 1,
        Action::AllowAlways => 2,
        Action::Deny => 3,
        Action::DenyWithNote => 4,
        _ => return,
    };
    match choice {
        0 => decide(state, Decision::AllowOnce, None, fx),
        1 => decide(state, Decision::AllowSession, None, fx),
        2 => {
            let rule = modal.request.session_rule.clone();
            decide(state, Decision::AllowSession, Some(rule), fx)
        }
        3 => decide(state, Decision::Deny { feedback: None }, None, fx),
        _ => {
            let mut note = TextArea::default();
            note.set_placeholder_text("what should the model do instead?");
            modal.note = Some(note);
            modal.choice = 4;
        }
    }
}

/// Answers the approval on screen and shows the next one. `persist` is a rule to save to the
/// project config ("always allow").
fn decide(state: &mut State, decision: Decision, persist: Option<String>, fx: &mut Vec<Effect>) {
    let Some(pos) = state.overlays.iter().rposition(|o| matches!(o, Overlay::Approval(_))) else { return };
    let Overlay::Approval(modal) = state.overlays.remove(pos) else { return };
    let call_id = modal.request.call_id.clone();
    let allowed = !matches!(decision, Decision::Deny { .. });
    if let Some(cell) = state.transcript.tool_mut(&call_id)
        && let CellKind::Tool(t) = &mut cell.kind
        && let ToolStatus::Waiting { started_ms } = t.status
    {
        t.status = ToolStatus::Running { started_ms };
        cell.touch();
    }
    fx.push(Effect::Agent(Op::Approval { call_id, decision }));
    if let Some(rule) = persist {
        fx.push(Effect::PersistRule(rule));
    }
    if let Some(next) = state.approval_queue.pop_front() {
        state.overlays.push(Overlay::Approval(Box::new(ApprovalModal { request: next, choice: 0, note: None })));
    } else {
        state.activity = if allowed { Activity::RunningTool(modal.request.tool) } else { Activity::Thinking };
    }
}

// ---------------------------------------------------------------------------------------------
// Agent events

/// The streaming cell of `kind` at the end of the transcript, if the last cell is one.
fn streaming_tail(state: &mut State, thinking: bool) -> Option<&mut Cell> {
    let cell = state.transcript.cells.last_mut()?;
    let streaming = match &cell.kind {
        CellKind::Assistant { streaming, .. } => !thinking && *streaming,
        CellKind::Thinking { streaming, .. } => thinking && *streaming,
        _ => false,
    };
    streaming.then_some(cell)
}

fn finish_streaming(state: &mut State) {
    for cell in state.transcript.cells.iter_mut().rev().take(3) {
        match &mut cell.kind {
            CellKind::Assistant { streaming, .. } | CellKind::Thinking { streaming, .. } if *streaming => {
                *streaming = false;
                cell.version += 1;
            }
            _ => {}
        }
    }
}

fn on_agent(state: &mut State, ev: AgentEvent, fx: &mut Vec<Effect>) {
    match ev {
        AgentEvent::SessionStarted { session_id, session_file, model, cwd, permission_mode, .. } => {
            if session_file.is_some() {
                state.status.session_file = session_file;
            }
            state.status.session_id = session_id;
            state.status.model = model;
            state.status.cwd = cwd;
            state.status.mode = permission_mode;
        }
        AgentEvent::TurnStarted { .. } => {
            state.turn_running = true;
            state.activity = Activity::Thinking;
            state.cost.turn_base = state.cost.session;
            state.cost.turn_base_cost = state.cost.session_cost;
            state.cost.turn = Default::default();
            state.cost.turn_cost = Some(0.0);
        }
        AgentEvent::TextDelta { text, .. } | AgentEvent::ThinkingDelta { text, .. } if text.is_empty() => {}
        AgentEvent::TextDelta { text, .. } => {
            state.activity = Activity::Streaming;
            let text = crate::sanitize::visible_owned(text);
            match streaming_tail(state, false) {
                Some(cell) => {
                    if let CellKind::Assistant { text: t, .. } = &mut cell.kind {
                        t.push_str(&text);
                    }
                    cell.touch();
                }
                None => {
                    finish_streaming(state);
                    state.transcript.push(CellKind::Assistant { text, streaming: true });
                }
            }
        }
        AgentEvent::ThinkingDelta { text, .. } => {
            state.activity = Activity::Thinking;
            let text = crate::sanitize::visible_owned(text);
            match streaming_tail(state, true) {
                Some(cell) => {
                    if let CellKind::Thinking { text: t, .. } = &mut cell.kind {
                        t.push_str(&text);
                    }
                    cell.touch();
                }
                None => {
                    finish_streaming(state);
                    state.transcript.push(CellKind::Thinking { text, streaming: true });
                }
            }
        }
        AgentEvent::AssistantMessage { .. } => finish_streaming(state),
        AgentEvent::ToolCallStarted { call_id, tool, input, summary } => {
            finish_streaming(state);
            state.activity = Activity::RunningTool(tool.clone());
            state.transcript.push(CellKind::Tool(ToolCell {
                call_id,
                tool,
                summary: visible(&summary).into_owned(),
                input,
                status: ToolStatus::Running { started_ms: state.now_ms },
                output: String::new(),
                result: None,
                diff: None,
            }));
        }
        AgentEvent::ToolProgress { call_id, chunk } => {
            if let Some(cell) = state.transcript.tool_mut(&call_id) {
                if let CellKind::Tool(t) = &mut cell.kind {
                    t.output.push_str(&visible(&chunk));
                    if t.output.len() > MAX_TOOL_OUTPUT {
                        let mut cut = t.output.len() - MAX_TOOL_OUTPUT;
                        while !t.output.is_char_boundary(cut) {
                            cut += 1;
                        }
                        t.output.drain(..cut);
                    }
                }
                cell.touch();
            }
        }
        AgentEvent::ApprovalRequested { call_id, tool, summary, reason, preview, session_rule } => {
            if let Some(cell) = state.transcript.tool_mut(&call_id) {
                if let CellKind::Tool(t) = &mut cell.kind {
                    let started_ms = match t.status {
                        ToolStatus::Running { started_ms } => started_ms,
                        _ => state.now_ms,
                    };
                    t.status = ToolStatus::Waiting { started_ms };
                }
                cell.touch();
            }
            state.activity = Activity::WaitingApproval;
            let request = ApprovalRequest {
                call_id,
                tool,
                summary: visible(&summary).into_owned(),
                reason,
                preview,
                session_rule,
            };
            if state.overlays.iter().any(|o| matches!(o, Overlay::Approval(_))) {
                state.approval_queue.push_back(request);
            } else {
                state.overlays.push(Overlay::Approval(Box::new(ApprovalModal { request, choice: 0, note: None })));
            }
        }
        AgentEvent::ToolCallFinished { call_id, result, is_error, elapsed_ms, .. } => {
            if let Some(cell) = state.transcript.tool_mut(&call_id) {
                if let CellKind::Tool(t) = &mut cell.kind {
                    t.status = ToolStatus::Done { is_error, elapsed_ms };
                    t.result = Some(visible(&result).into_owned());
                }
                cell.touch();
            }
            // A call that ended while its approval waited (an interrupt) drops the modal.
            state.overlays.retain(|o| !matches!(o, Overlay::Approval(m) if m.request.call_id == call_id));
            state.approval_queue.retain(|r| r.call_id != call_id);
            state.activity = Activity::Thinking;
        }
        AgentEvent::FileChanged { diff, .. } => {
            let running = state
                .transcript
                .cells
                .iter_mut()
                .rev()
                .find(|c| matches!(&c.kind, CellKind::Tool(t) if !matches!(t.status, ToolStatus::Done { .. })));
            if let Some(cell) = running {
                if let CellKind::Tool(t) = &mut cell.kind {
                    t.diff = Some(visible(&diff).into_owned());
                }
                cell.touch();
            }
        }
        AgentEvent::TodosChanged { todos } => state.todos = todos,
        AgentEvent::Usage { request, session, session_cost_usd, context_tokens, context_window, .. } => {
            let c = &mut state.cost;
            c.last_request = request;
            c.session = session;
            c.session_cost = session_cost_usd;
            c.turn = crate::provider::Usage {
                input_tokens: session.input_tokens.saturating_sub(c.turn_base.input_tokens),
                output_tokens: session.output_tokens.saturating_sub(c.turn_base.output_tokens),
                cache_creation_input_tokens: session
                    .cache_creation_input_tokens
                    .saturating_sub(c.turn_base.cache_creation_input_tokens),
                cache_read_input_tokens: session
                    .cache_read_input_tokens
                    .saturating_sub(c.turn_base.cache_read_input_tokens),
            };
            c.turn_cost = match (session_cost_usd, c.turn_base_cost) {
                (Some(s), Some(b)) => Some(s - b),
                _ => None,
            };
            c.context_tokens = context_tokens;
            c.context_window = context_window;
            if matches!(state.activity, Activity::Retrying { .. }) {
                state.activity = Activity::Streaming;
            }
        }
        AgentEvent::ModelChanged { model } => {
            flash(state, format!("model: {model}"));
            state.status.model = model;
        }
        AgentEvent::PermissionModeChanged { mode } => state.status.mode = mode,
        AgentEvent::Compacted { kept, .. } => {
            finish_streaming(state);
            notice(
                state,
                NoticeLevel::Info,
                format!(
                    "── compacted: the model now sees a summary of the conversation and the last {kept} messages; the session file keeps everything ──"
                ),
            );
        }
        AgentEvent::Renamed { title } => {
            flash(state, format!("session title: {title}"));
            state.status.title = Some(title);
        }
        AgentEvent::TurnFinished { outcome, .. } => {
            finish_streaming(state);
            state.turn_running = false;
            state.last_outcome = Some(outcome);
            state.activity = Activity::Idle;
            if outcome == TurnOutcome::Interrupted {
                notice(state, NoticeLevel::Warning, "interrupted");
            }
            if let Some(next) = state.queued.pop_front() {
                send_prompt(state, next, fx);
            }
        }
        AgentEvent::Error { message, retrying_in_ms: Some(ms), .. } => {
            state.activity = Activity::Retrying { until_ms: state.now_ms + ms };
            notice(state, NoticeLevel::Warning, format!("{message} in {:.1}s", ms as f64 / 1000.0));
        }
        AgentEvent::Error { message, .. } => notice(state, NoticeLevel::Error, message),
        AgentEvent::Warning { message } => notice(state, NoticeLevel::Warning, message),
    }
}
