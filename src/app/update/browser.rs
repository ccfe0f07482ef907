//! The session browser.

use super::*;

/// Opens the browser (empty until the list arrives) and asks for the list.
pub(super) fn open_browser(state: &mut State, all: bool, fx: &mut Vec<Effect>) {
    if !matches!(state.overlays.last(), Some(Overlay::Sessions(_))) {
        state.overlays.push(Overlay::Sessions(Box::new(Browser::new(all))));
    }
    fx.push(Effect::ListSessions { all });
}

pub(super) fn sessions_arrived(
    state: &mut State,
    list: Vec<crate::session::index::Summary>,
    all: bool,
    fx: &mut Vec<Effect>,
) {
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

pub(super) fn request_preview(b: &mut Browser, fx: &mut Vec<Effect>) {
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
pub(super) fn browser_key(state: &mut State, key: KeyEvent, k: Key, fx: &mut Vec<Effect>) {
    use crossterm::event::{KeyCode, KeyModifiers};
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
        }
        BrowserMode::Rename(title) => match (is_text, action, key.code) {
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
        },
        BrowserMode::List if is_text => {
            if let KeyCode::Char(c) = key.code {
                b.query.push(c);
                refilter_sessions(b);
                request_preview(b, fx);
            }
        }
        BrowserMode::List => match action {
            Some(action) => list_action(state, action, fx),
            None if key.code == KeyCode::Backspace => {
                b.query.pop();
                refilter_sessions(b);
                request_preview(b, fx);
            }
            None => {}
        },
    }
}

/// An action on the list: move, resume, rename, fork, export, delete, show all, sort, close.
fn list_action(state: &mut State, action: Action, fx: &mut Vec<Effect>) {
    let current = state.status.session_file.clone();
    let Some(Overlay::Sessions(b)) = state.overlays.last_mut() else { return };
    let n = b.filtered.len();
    let highlighted = b.highlighted().map(|s| (s.path.clone(), s.display_title()));
    match (action, highlighted) {
        (Action::SessionUp, _) if n > 0 => {
            b.selected = (b.selected + n - 1) % n;
            request_preview(b, fx);
        }
        (Action::SessionDown, _) if n > 0 => {
            b.selected = (b.selected + 1) % n;
            request_preview(b, fx);
        }
        (Action::SessionResume, Some((path, _))) => {
            state.overlays.pop();
            super::start::start_agent(state, crate::app::slot::Start::Resume(path), fx);
        }
        (Action::SessionRename, Some((_, title))) => b.mode = BrowserMode::Rename(title),
        (Action::SessionFork, Some((path, _))) => {
            fx.push(Effect::Fork(path));
            state.overlays.pop();
        }
        (Action::SessionExport, Some((path, _))) => fx.push(Effect::ExportFile(path)),
        (Action::SessionDelete, Some((path, _))) if Some(&path) == current.as_ref() => {
            flash(state, "the session in use cannot be deleted")
        }
        (Action::SessionDelete, Some(_)) => b.mode = BrowserMode::ConfirmDelete,
        (Action::SessionToggleAll, _) => {
            let all = !b.all_projects;
            b.loaded = false;
            fx.push(Effect::ListSessions { all });
        }
        (Action::SessionSort, _) => {
            b.sort = match b.sort {
                SessionSort::Updated => SessionSort::Created,
                SessionSort::Created => SessionSort::Cost,
                SessionSort::Cost => SessionSort::Updated,
            };
            refilter_sessions(b);
            request_preview(b, fx);
        }
        (Action::SessionClose, _) => {
            state.overlays.pop();
        }
        _ => {}
    }
}
