//! The diff review (edits hunk by hunk), /undo and /rewind. The /diff viewer is in
//! `viewer.rs`; both share the view toggles and scrolling here.

use ratatui::layout::Rect;

use super::*;
use crate::agent::{RestorePlan, TurnInfo};
use crate::app::review::{DiffFile, Placeholder, Review, ReviewKind};
use crate::tools::Preview;

/// Whether an approval (a plain one or an edit review) is on screen.
pub(super) fn approval_open(state: &State) -> bool {
    state.overlays.iter().any(|o| match o {
        Overlay::Approval(_) => true,
        Overlay::Review(r) => matches!(r.kind, ReviewKind::Edit(_)),
        _ => false,
    })
}

/// Proposals with more lines than this (both sides together) are diffed in the background;
/// smaller ones open at once (a 10,000-line file takes about 10 ms).
pub const BACKGROUND_DIFF_LINES: usize = 20_000;

/// Shows an approval request: a proposed edit as a diff review, anything else as the modal.
pub(super) fn open_request(state: &mut State, request: ApprovalRequest, fx: &mut Vec<Effect>) {
    let lines = |s: &str| s.as_bytes().iter().filter(|&&b| b == b'\n').count();
    let file = match &request.preview {
        Some(Preview::Edit { path, old, new })
            if lines(old.as_deref().unwrap_or("")) + lines(new) > BACKGROUND_DIFF_LINES =>
        {
            fx.push(Effect::ComputeDiff {
                id: request.call_id.clone(),
                path: path.clone(),
                old: old.clone(),
                new: new.clone(),
            });
            let mut f = DiffFile::placeholder(path, Placeholder::Loading);
            f.created = old.is_none();
            Some(f)
        }
        Some(Preview::Edit { path, old, new }) => Some(DiffFile::new(path, old.as_deref(), Some(new))),
        Some(Preview::Large { path, old_bytes, new_bytes }) => {
            let mut f =
                DiffFile::placeholder(path, Placeholder::Large { old_bytes: *old_bytes, new_bytes: Some(*new_bytes) });
            f.created = old_bytes.is_none();
            Some(f)
        }
        _ => None,
    };
    match file {
        Some(file) => {
            let review = Review::new(ReviewKind::Edit(request), vec![file], state.diff_view);
            state.overlays.push(Overlay::Review(Box::new(review)));
        }
        None => state.overlays.push(Overlay::Approval(Box::new(ApprovalModal { request, choice: 0, note: None }))),
    }
}

/// A proposal's diff computed in the background arrived.
pub(super) fn diff_ready(state: &mut State, id: &str, file: DiffFile) {
    let waiting = state.overlays.iter_mut().find_map(|o| match o {
        Overlay::Review(r) if matches!(&r.kind, ReviewKind::Edit(req) if req.call_id == id) => Some(r),
        _ => None,
    });
    if let Some(r) = waiting {
        r.accepted = vec![vec![true; file.hunks.len()]];
        r.files = vec![file];
        r.hunk = 0;
        r.scroll = 0;
    }
}

/// Keys while a note is typed in a review: characters are text, enter keeps it, esc drops it.
/// Returns whether the key was taken.
pub(super) fn review_note_key(state: &mut State, key: KeyEvent, k: Key) -> bool {
    let Some(Overlay::Review(review)) = state.overlays.last_mut() else { return false };
    let Some(note) = review.note.as_mut() else { return false };
    match note_action(&state.keymap, key, k, Context::Diff) {
        Some(Action::DiffApply) => {
            let text = note.lines().join("\n").trim().to_string();
            review.note_text = (!text.is_empty()).then_some(text);
            review.note = None;
        }
        Some(Action::DiffClose) => review.note = None,
        _ => {
            note.input(key);
        }
    }
    true
}

/// Width and height of the review's diff area.
fn review_body(state: &State, review: &Review) -> (usize, usize) {
    let r = ui::review::body_area(state, review, Rect::new(0, 0, state.size.0, state.size.1));
    (r.width as usize, r.height as usize)
}

/// A key action in the `diff` context.
pub(super) fn diff_action(state: &mut State, action: Action, fx: &mut Vec<Effect>) {
    match state.overlays.last() {
        Some(Overlay::Review(_)) => review_action(state, action, fx),
        Some(Overlay::Diff(_)) => super::viewer::viewer_action(state, action, fx),
        _ => {}
    }
}

/// View toggles shared by the review and the viewer. Returns whether `action` was one.
pub(super) fn view_action(view: &mut crate::app::review::DiffView, action: Action) -> bool {
    match action {
        Action::DiffSideBySide => view.side_by_side = !view.side_by_side,
        Action::DiffWrap => {
            view.wrap = !view.wrap;
            view.hscroll = 0;
        }
        Action::DiffWhitespace => view.hide_whitespace = !view.hide_whitespace,
        Action::DiffScrollLeft if !view.wrap => view.hscroll = view.hscroll.saturating_sub(8),
        Action::DiffScrollRight if !view.wrap => view.hscroll += 8,
        _ => return false,
    }
    true
}

/// Scrolling and hunk steps over one file's diff. Returns whether `action` was one.
pub(super) fn scroll_action(
    file: Option<&DiffFile>,
    hunks: &[usize],
    hunk: &mut usize,
    scroll: &mut usize,
    view: &crate::app::review::DiffView,
    (width, height): (usize, usize),
    action: Action,
) -> bool {
    let Some(file) = file else { return false };
    let (tops, total) = ui::hunks::hunk_tops(file, hunks, view, width);
    let max = total.saturating_sub(height.max(1));
    let page = height.saturating_sub(2).max(1);
    let to_hunk = |i: usize, scroll: &mut usize| {
        if let Some(top) = tops.get(i) {
            *scroll = (*top).min(max);
        }
    };
    match action {
        Action::DiffUp => *scroll = scroll.saturating_sub(1),
        Action::DiffDown => *scroll = (*scroll + 1).min(max),
        Action::DiffPageUp => *scroll = scroll.saturating_sub(page),
        Action::DiffPageDown => *scroll = (*scroll + page).min(max),
        Action::DiffTop => {
            *scroll = 0;
            *hunk = 0;
        }
        Action::DiffBottom => {
            *scroll = max;
            *hunk = hunks.len().saturating_sub(1);
        }
        Action::DiffNextHunk if !hunks.is_empty() => {
            *hunk = (*hunk + 1).min(hunks.len() - 1);
            to_hunk(*hunk, scroll);
        }
        Action::DiffPrevHunk if !hunks.is_empty() => {
            *hunk = hunk.saturating_sub(1).min(hunks.len() - 1);
            to_hunk(*hunk, scroll);
        }
        _ => return false,
    }
    true
}

fn review_action(state: &mut State, action: Action, fx: &mut Vec<Effect>) {
    let size = {
        let Some(Overlay::Review(review)) = state.overlays.last() else { return };
        review_body(state, review)
    };
    let Some(Overlay::Review(review)) = state.overlays.last_mut() else { return };
    if view_action(&mut review.view, action) {
        state.diff_view = review.view;
        state.diff_view.hscroll = 0;
        if !matches!(action, Action::DiffScrollLeft | Action::DiffScrollRight) {
            keep_hunk_in_view(review, size.0);
        }
        return;
    }
    let hunks = review.visible_hunks();
    let file = review.files.get(review.file);
    let (mut hunk, mut scroll) = (review.hunk, review.scroll);
    if scroll_action(file, &hunks, &mut hunk, &mut scroll, &review.view, size, action) {
        review.hunk = hunk;
        review.scroll = scroll;
        return;
    }
    match action {
        Action::DiffNextFile | Action::DiffPrevFile if !review.files.is_empty() => {
            let n = review.files.len();
            review.file =
                if action == Action::DiffNextFile { (review.file + 1) % n } else { (review.file + n - 1) % n };
            review.hunk = 0;
            review.scroll = 0;
        }
        Action::DiffToggleHunk if review.per_hunk() => {
            if let Some(&i) = hunks.get(review.hunk)
                && let Some(a) = review.accepted.get_mut(review.file).and_then(|a| a.get_mut(i))
            {
                *a = !*a;
            }
        }
        Action::DiffAcceptAll | Action::DiffRejectAll if review.per_hunk() => {
            let value = action == Action::DiffAcceptAll;
            if let Some(a) = review.accepted.get_mut(review.file) {
                a.iter_mut().for_each(|x| *x = value);
            }
        }
        Action::DiffNote if review.per_hunk() => {
            let mut note = ratatui_textarea::TextArea::default();
            note.set_placeholder_text("a note for the model (why, or what to do instead)");
            if let Some(text) = &review.note_text {
                note.insert_str(text);
            }
            review.note = Some(note);
        }
        Action::DiffApply | Action::DiffAllowSession | Action::DiffClose => answer(state, action, fx),
        _ => {}
    }
}

/// The layout changed (side by side, wrapping, whitespace): the current hunk stays in view.
fn keep_hunk_in_view(review: &mut Review, width: usize) {
    let hunks = review.visible_hunks();
    review.hunk = review.hunk.min(hunks.len().saturating_sub(1));
    review.scroll = 0;
    if let Some(f) = review.files.get(review.file) {
        let (tops, _) = ui::hunks::hunk_tops(f, &hunks, &review.view, width);
        review.scroll = tops.get(review.hunk).copied().unwrap_or(0);
    }
}

/// Apply, allow for the session, or close: the review's answer (to an edit, or a restore).
fn answer(state: &mut State, action: Action, fx: &mut Vec<Effect>) {
    let Some(Overlay::Review(review)) = state.overlays.last_mut() else { return };
    let loading = review.files.iter().any(|f| f.placeholder == Some(Placeholder::Loading));
    match (action, &mut review.kind) {
        (Action::DiffApply | Action::DiffAllowSession, ReviewKind::Edit(_)) if loading => {
            flash(state, "the diff is still being computed");
        }
        (Action::DiffApply, ReviewKind::Edit(_)) => {
            let accepted = review.accepted_of(0);
            let note = review.note_text.clone();
            decide(state, Decision::ApplyHunks { accepted, note }, None, fx);
        }
        (Action::DiffApply, ReviewKind::Restore { turn, files, conversation, armed, .. }) => {
            let conflicts = review.files.iter().any(|f| f.conflict);
            if conflicts && !*armed {
                *armed = true;
                return;
            }
            let op = Op::Restore { turn: *turn, files: *files, conversation: *conversation, force: conflicts };
            state.overlays.pop();
            fx.push(Effect::Agent(op));
        }
        (Action::DiffAllowSession, ReviewKind::Edit(req)) => {
            if !review.accepted.iter().all(|a| a.iter().all(|x| *x)) {
                return flash(state, "some hunks are rejected: accept all first, or apply just these");
            }
            let rule = req.session_rule.clone();
            decide(state, Decision::AllowSession, None, fx);
            flash(state, format!("{rule} is allowed for this session"));
        }
        (Action::DiffClose, ReviewKind::Edit(_)) => {
            let feedback = review.note_text.clone();
            decide(state, Decision::Deny { feedback }, None, fx);
        }
        (Action::DiffClose, ReviewKind::Restore { .. }) => {
            state.overlays.pop();
            flash(state, "nothing restored");
        }
        _ => {}
    }
}

// ---- /undo and /rewind ----

pub(super) fn undo(state: &mut State, fx: &mut Vec<Effect>) {
    if state.turn_running {
        return flash(state, "wait for the turn to end (or interrupt it) before /undo");
    }
    fx.push(Effect::Agent(Op::PlanRestore { turn: None, files: true, conversation: false }));
}

pub(super) fn rewind(state: &mut State, fx: &mut Vec<Effect>) {
    if state.turn_running {
        return flash(state, "wait for the turn to end (or interrupt it) before /rewind");
    }
    fx.push(Effect::Agent(Op::ListTurns));
}

/// The turns arrived: a picker, newest first.
pub(super) fn turns_arrived(state: &mut State, turns: Vec<TurnInfo>) {
    if turns.is_empty() {
        return notice(state, NoticeLevel::Info, "nothing to rewind: no turn in this session yet");
    }
    let items = turns
        .into_iter()
        .rev()
        .map(|t| {
            let prompt = visible(t.prompt.lines().next().unwrap_or("")).into_owned();
            let files = match t.files.len() {
                0 => "no file changes".to_string(),
                1 => format!("changed {}", t.files[0]),
                n => format!("changed {n} files"),
            };
            let detail = if t.conversation { files } else { format!("{files} · compacted since: files only") };
            PickerItem {
                label: format!("{}. {prompt}", t.turn),
                detail,
                key: String::new(),
                action: PickerAction::Rewind { turn: t.turn, files: !t.files.is_empty(), conversation: t.conversation },
            }
        })
        .collect();
    open_picker(state, "Rewind to before which turn?", items);
}

/// A turn was picked: what to restore.
pub(super) fn rewind_what(state: &mut State, turn: u64, files: bool, conversation: bool) {
    let mut items = Vec::new();
    let item = |label: &str, detail: &str, f: bool, c: bool| PickerItem {
        label: label.into(),
        detail: detail.into(),
        key: String::new(),
        action: PickerAction::RewindTo { turn, files: f, conversation: c },
    };
    if files && conversation {
        items.push(item("Files and conversation", "both go back to before the turn", true, true));
    }
    if conversation {
        items.push(item("Conversation only", "the files stay as they are", false, true));
    }
    if files {
        items.push(item("Files only", "the conversation stays as it is", true, false));
    }
    if items.is_empty() {
        return notice(state, NoticeLevel::Info, format!("turn {turn} changed no files and was compacted since"));
    }
    open_picker(state, &format!("Rewind to before turn {turn}"), items);
}

/// What a restore would do arrived: review it before anything is written.
pub(super) fn plan_arrived(state: &mut State, plan: RestorePlan) {
    if plan.files && !plan.conversation && plan.changes.is_empty() {
        return notice(state, NoticeLevel::Info, format!("turn {}'s files are already as they were", plan.turn));
    }
    let files = plan
        .changes
        .iter()
        .map(|c| {
            let mut f = if c.binary {
                let mut f = DiffFile::placeholder(&c.path, Placeholder::Binary);
                f.created = c.current.is_none();
                f
            } else {
                DiffFile::new(&c.path, c.current.as_deref(), c.target.as_deref())
            };
            f.conflict = c.conflict;
            f
        })
        .collect();
    let kind = ReviewKind::Restore {
        turn: plan.turn,
        prompt: plan.prompt,
        files: plan.files,
        conversation: plan.conversation,
        armed: false,
    };
    state.overlays.push(Overlay::Review(Box::new(Review::new(kind, files, state.diff_view))));
}

/// A restore happened: say what, and cut the transcript back when the conversation went too.
pub(super) fn restored(state: &mut State, turn: u64, files: bool, conversation: bool, report: Vec<String>) {
    let mut text = match (files, conversation) {
        (true, true) => format!("Rewound the files and the conversation to before turn {turn}."),
        (true, false) => format!("Restored the files to before turn {turn}."),
        _ => format!("Rewound the conversation to before turn {turn}."),
    };
    for line in report {
        text.push_str(&format!("\n  {line}"));
    }
    if conversation {
        match state.transcript.cells.iter().position(|c| c.turn == Some(turn)) {
            Some(at) => {
                let prompt = match &state.transcript.cells[at].kind {
                    CellKind::User { text } => text.clone(),
                    _ => String::new(),
                };
                state.transcript.cells.truncate(at);
                state.transcript.selected = None;
                state.transcript.scroll = Scroll::Follow;
                if state.composer.is_empty() {
                    set_composer(state, &prompt);
                }
            }
            None => text.push_str("\n(The transcript above still shows it; the model no longer sees it.)"),
        }
    }
    notice(state, NoticeLevel::Info, text);
}
