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

mod agent;
mod agents;
mod approvals;
mod browser;
mod commands;
mod listing;
mod mcp;
mod pickers;
mod review;
mod scroll;
mod settings;
mod start;
mod viewer;
mod vim;

use agent::on_agent;
use approvals::{approval_action, decide};
pub use browser::refilter_sessions;
use browser::{browser_key, open_browser, sessions_arrived};
pub use commands::{COMMANDS, Command};
use commands::{run_command, set_mode};
pub use mcp::read_log as read_mcp_log;
pub use pickers::refilter;
use pickers::{open_palette, open_picker, open_theme_picker, picker_action, picker_type};

/// How long a flash message stays in the status bar.
const FLASH_MS: u64 = 3000;
/// Lines the mouse wheel scrolls.
const WHEEL_LINES: isize = 3;

pub fn update(state: &mut State, event: Event) -> Vec<Effect> {
    let mut fx = Vec::new();
    match event {
        Event::Key(key) => on_key(state, key, &mut fx),
        Event::Paste(text) => on_paste(state, text),
        Event::Mouse(mouse) => on_mouse(state, mouse, &mut fx),
        Event::Resize(w, h) => state.size = (w, h),
        Event::Focus(focused) => state.focused = focused,
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
        Event::MemoryEdited(result) => commands::memory_edited(state, result, &mut fx),
        Event::EditorDone(Err(e)) => notice(state, NoticeLevel::Error, format!("the editor failed: {e}")),
        Event::LoggedIn(result) => commands::logged_in(state, result, &mut fx),
        Event::Copied(Ok(how)) => flash(state, format!("copied ({how})")),
        Event::Copied(Err(e)) => notice(state, NoticeLevel::Error, format!("copy failed: {e}")),
        Event::Report(Ok(what)) => flash(state, what),
        Event::Notice(text) => notice(state, NoticeLevel::Info, text),
        Event::FilesChanged(changed) => fx.push(Effect::Reload { changed }),
        Event::Reloaded { settings, changed } => settings::reloaded(state, *settings, &changed, &mut fx),
        Event::Problems(problems) => settings::report_problems(state, problems, &[]),
        Event::Themes(themes) => open_theme_picker(state, themes),
        Event::Report(Err(e)) => notice(state, NoticeLevel::Error, e),
        Event::Sessions { list, all } => sessions_arrived(state, list, all, &mut fx),
        Event::Preview { path, lines } => {
            if let Some(Overlay::Sessions(b)) = state.overlays.last_mut()
                && b.highlighted().is_some_and(|s| s.path == path)
            {
                b.preview = Some((path, lines));
            }
        }
        Event::AgentPrepared { generation, start, result } => {
            start::agent_prepared(state, generation, start, result, &mut fx)
        }
        Event::Forked(Ok(path)) => {
            flash(state, "forked: this is a new session");
            start::start_agent(state, crate::app::slot::Start::Resume(path), &mut fx);
        }
        Event::Forked(Err(e)) => notice(state, NoticeLevel::Error, e),
        Event::SessionFound(result) => commands::session_found(state, result, &mut fx),
        Event::SessionsChanged(result) => {
            match result {
                Ok(what) => flash(state, what),
                Err(e) => notice(state, NoticeLevel::Error, e),
            }
            // The browser, if open, shows the list as it is now.
            if let Some(Overlay::Sessions(b)) = state.overlays.last() {
                fx.push(Effect::ListSessions { all: b.all_projects });
            }
        }
        Event::Mcp(views) => mcp::servers(state, views),
        Event::McpLog { name, lines } => mcp::log_arrived(state, name, lines),
        Event::Command(line) => run_command(state, line.trim(), &mut fx),
        Event::SubmitPrompt(text) => {
            remember(state, &text);
            if state.turn_running {
                state.queued.push_back(text);
            } else {
                send_prompt(state, text, &mut fx);
            }
        }
        Event::WorkspaceChanged(paths) => {
            viewer::workspace_changed(state, &mut fx);
            fx.push(Effect::Agent(Op::ExternalChanges { paths }));
        }
        Event::Changes { scope, git, result } => viewer::changes_arrived(state, scope, git, result, &mut fx),
        Event::FileDiff { scope, path, file } => viewer::file_diff_arrived(state, scope, path, *file),
        Event::DiffReady { id, file } => review::diff_ready(state, &id, *file),
        Event::TrustRemembered { trusted, result } => start::trust_remembered(state, trusted, result, &mut fx),
        Event::Terminate => fx.push(Effect::Quit),
    }
    fx
}

pub(super) fn flash(state: &mut State, text: impl Into<String>) {
    state.flash = Some((text.into(), state.now_ms + FLASH_MS));
}

pub(super) fn notice(state: &mut State, level: NoticeLevel, text: impl Into<String>) {
    let text = visible(&text.into()).into_owned();
    state.transcript.push(CellKind::Notice { level, text });
}

pub(super) fn set_composer(state: &mut State, text: &str) {
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
    if let Some(Overlay::KeyTester { .. }) = state.overlays.last() {
        return key_tester(state, key, k);
    }
    if state.keymap.vim
        && state.overlays.is_empty()
        && state.focus == Focus::Composer
        && state.pending_keys.is_empty()
        && vim::vim_key(state, key, fx)
    {
        return;
    }
    if matches!(state.overlays.last(), Some(Overlay::Sessions(_))) {
        if state.keymap.resolve(&[Context::Global], &[], k) == Resolved::Matched(Action::Cancel) {
            state.overlays.pop();
            return;
        }
        return browser_key(state, key, k, fx);
    }
    if review::review_note_key(state, key, k) {
        return;
    }
    // Typing a note for a denial: characters are text; other keys resolve in the approval
    // context, where `choose` sends the denial with the note and `deny` closes the note box.
    if let Some(Overlay::Approval(modal)) = state.overlays.last_mut()
        && let Some(note) = modal.note.as_mut()
    {
        match note_action(&state.keymap, key, k, Context::Approval) {
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
            if !was_pending {
                unbound_key(state, key, k, fx);
            }
        }
    }
}

/// A key no binding of the current context takes: a few global keys still work over any
/// modal (interrupting, scrolling, suspending); otherwise it is text for what has focus.
fn unbound_key(state: &mut State, key: KeyEvent, k: Key, fx: &mut Vec<Effect>) {
    if !state.overlays.is_empty()
        && let Resolved::Matched(a @ (Action::Cancel | Action::ScrollUp | Action::ScrollDown | Action::Suspend)) =
            state.keymap.resolve(&[Context::Global], &[], k)
    {
        match a {
            Action::Cancel if state.turn_running => fx.push(Effect::Agent(Op::Interrupt)),
            Action::Cancel => {
                state.overlays.pop();
            }
            other => on_action(state, other, key, fx),
        }
        return;
    }
    match state.overlays.last_mut() {
        Some(Overlay::Picker(p)) => {
            picker_type(p, key);
            pickers::preview_theme(state);
        }
        Some(_) => {}
        None if state.focus == Focus::Composer => {
            state.composer.textarea.input(key);
            state.composer.history_index = None;
            state.composer.completion = 0;
        }
        None => {}
    }
}

/// A key while a note is typed: plain characters are text (`None`); other keys are what they
/// do in `context` (enter to send, esc to drop the note...).
pub(super) fn note_action(keymap: &super::keymap::Keymap, key: KeyEvent, k: Key, context: Context) -> Option<Action> {
    let is_text = matches!(key.code, crossterm::event::KeyCode::Char(_))
        && !key.modifiers.intersects(crossterm::event::KeyModifiers::CONTROL | crossterm::event::KeyModifiers::ALT);
    match keymap.resolve(&[context], &[], k) {
        Resolved::Matched(a) if !is_text => Some(a),
        _ => None,
    }
}

/// `/keymap test`: says what a key does in the prompt (composer, then global), chords included.
fn key_tester(state: &mut State, key: KeyEvent, k: Key) {
    if key.code == crossterm::event::KeyCode::Esc && state.pending_keys.is_empty() {
        state.overlays.pop();
        return;
    }
    let typed: Vec<String> = state.pending_keys.iter().chain(std::iter::once(&k)).map(Key::to_string).collect();
    let text = match state.keymap.resolve(&[Context::Composer, Context::Global], &state.pending_keys, k) {
        Resolved::Pending => {
            state.pending_keys.push(k);
            format!("{} … (the start of a chord; press the next key)", typed.join(" "))
        }
        Resolved::Matched(a) => {
            state.pending_keys.clear();
            let info = a.info();
            format!("{} → {} ({}): {}", typed.join(" "), info.name, info.context.name(), info.description)
        }
        Resolved::NotFound => {
            state.pending_keys.clear();
            format!("{} → not bound; in the prompt it types or edits text", typed.join(" "))
        }
    };
    if let Some(Overlay::KeyTester { last }) = state.overlays.last_mut() {
        *last = Some(text);
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
        Action::FocusTranscript | Action::Submit if matches[0].mention => {
            // A resource: the last word becomes the mention, and the prompt stays.
            let chosen = &matches[state.composer.completion.min(n - 1)].name;
            let typed = state.composer.text();
            let keep = typed.rfind(char::is_whitespace).map_or("", |at| &typed[..=at]);
            set_composer(state, &format!("{keep}{chosen} "));
        }
        Action::FocusTranscript => {
            let name = &matches[state.composer.completion.min(n - 1)].name;
            set_composer(state, &format!("{name} "));
        }
        Action::Submit => {
            let typed = state.composer.text();
            let chosen = matches[state.composer.completion.min(n - 1)].name.clone();
            let line = if typed.trim() == chosen || typed.contains(' ') { typed } else { chosen.to_string() };
            set_composer(state, "");
            remember(state, &line);
            run_command(state, line.trim(), fx);
        }
        _ => return false,
    }
    true
}

pub(super) fn on_action(state: &mut State, action: Action, key: KeyEvent, fx: &mut Vec<Effect>) {
    match action.info().context {
        Context::Approval => return approval_action(state, action, fx),
        Context::Diff => return review::diff_action(state, action, fx),
        Context::Palette => return picker_action(state, action, fx),
        Context::Help => return help_action(state, action),
        Context::Trust => return start::trust_action(state, action, fx),
        Context::Mcp => return mcp::action(state, action, fx),
        Context::Agents => return agents::action(state, action),
        Context::Transcript => return transcript_action(state, action, fx),
        Context::Composer => return composer_action(state, action, fx),
        Context::Global | Context::Sessions => {}
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
        Action::ScrollUp => scroll::scroll_by(state, -(page(state) as isize)),
        Action::ScrollDown => scroll::scroll_by(state, page(state) as isize),
        Action::ScrollTop => state.transcript.scroll = Scroll::At { cell: 0, line: 0 },
        Action::ScrollBottom => state.transcript.scroll = Scroll::Follow,
        Action::CopyLastAnswer => match state.transcript.last_answer() {
            Some(text) => fx.push(Effect::Copy(text.to_string())),
            None => flash(state, "no answer to copy yet"),
        },
        Action::Suspend => fx.push(Effect::Suspend),
        _ => {}
    }
}

fn help_action(state: &mut State, action: Action) {
    let max = ui::help::lines(state).len().saturating_sub(1) as u16;
    match (action, state.overlays.last_mut()) {
        (Action::CloseHelp, _) => {
            state.overlays.pop();
        }
        (Action::HelpUp, Some(Overlay::Help { scroll })) => *scroll = scroll.saturating_sub(3),
        (Action::HelpDown, Some(Overlay::Help { scroll })) => *scroll = (*scroll + 3).min(max),
        _ => {}
    }
}

/// Keys in the prompt editor.
fn composer_action(state: &mut State, action: Action, fx: &mut Vec<Effect>) {
    match action {
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
            scroll::reveal(state, last);
        }
        _ => {}
    }
}

/// Keys while a message in the transcript is selected.
fn transcript_action(state: &mut State, action: Action, fx: &mut Vec<Effect>) {
    let selected = state.transcript.selected.and_then(|i| state.transcript.cells.get(i));
    match action {
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
            scroll::reveal(state, next);
        }
        Action::ToggleExpand => {
            if let Some(cell) = state.transcript.selected.and_then(|i| state.transcript.cells.get_mut(i)) {
                cell.expanded = !cell.expanded;
                cell.touch();
            }
        }
        Action::CopyMessage => {
            if let Some(text) = selected.map(cell_text) {
                fx.push(Effect::Copy(text));
            }
        }
        Action::CopyCode => {
            let code = selected.map(|c| ui::markdown::code_blocks(&cell_text(c))).unwrap_or_default();
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

pub(super) fn remember(state: &mut State, text: &str) {
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

pub(super) fn send_prompt(state: &mut State, text: String, fx: &mut Vec<Effect>) {
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
        Some(Overlay::Review(r)) => {
            if let Some(note) = r.note.as_mut() {
                note.insert_str(&text);
            }
        }
        // Nothing there takes text.
        Some(_) => {}
        None => {
            state.focus = Focus::Composer;
            state.composer.textarea.insert_str(&text);
        }
    }
}

fn on_mouse(state: &mut State, mouse: MouseEvent, fx: &mut Vec<Effect>) {
    // Over a diff, the wheel scrolls it (in /diff's tree, it moves the selection).
    if matches!(state.overlays.last(), Some(Overlay::Review(_) | Overlay::Diff(_))) {
        let step = match mouse.kind {
            MouseEventKind::ScrollUp => Action::DiffUp,
            MouseEventKind::ScrollDown => Action::DiffDown,
            _ => return,
        };
        for _ in 0..WHEEL_LINES {
            review::diff_action(state, step, fx);
        }
        return;
    }
    match mouse.kind {
        MouseEventKind::ScrollUp => scroll::scroll_by(state, -WHEEL_LINES),
        MouseEventKind::ScrollDown => scroll::scroll_by(state, WHEEL_LINES),
        _ => {}
    }
}
