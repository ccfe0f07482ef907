//! `/diff`: the changed files as a tree, the selected file's diff beside it. Keys move the
//! selection in the tree (folding folders with left and right) or scroll the diff; the tree's
//! scroll position is kept here, so drawing only reads it.

use ratatui::layout::Rect;

use super::review::{scroll_action, view_action};
use super::*;
use crate::app::changes::{ChangedFile, DiffViewer, Scope, ids_of};
use crate::app::review::DiffFile;

pub(super) fn open_viewer(state: &mut State, scope: Option<Scope>, fx: &mut Vec<Effect>) {
    let scope = scope.unwrap_or(Scope::WorkingTree);
    state.overlays.push(Overlay::Diff(Box::new(DiffViewer::new(scope, state.diff_view))));
    fx.push(Effect::LoadChanges { scope });
}

/// The open viewer, top or under a modal.
fn open(state: &mut State) -> Option<&mut DiffViewer> {
    match state.overlays.iter_mut().rev().find(|o| matches!(o, Overlay::Diff(_))) {
        Some(Overlay::Diff(viewer)) => Some(viewer),
        _ => None,
    }
}

pub(super) fn changes_arrived(
    state: &mut State,
    scope: Scope,
    git: bool,
    result: Result<Vec<ChangedFile>, String>,
    fx: &mut Vec<Effect>,
) {
    let height = tree_height(state);
    let Some(viewer) = open(state) else { return };
    // Outside git the session's changes are all there are: the viewer switches to them.
    if !git {
        viewer.scope = Scope::Session;
    }
    if viewer.scope != scope {
        return;
    }
    viewer.git = Some(git);
    match result {
        Ok(files) => {
            viewer.error = None;
            let before = viewer.selected.clone();
            viewer.set_files(files);
            viewer.settle_tree(height);
            // A refresh computes the shown file again: it may be what changed.
            if let Some(file) = viewer.current().cloned() {
                if viewer.selected != before {
                    viewer.diff = None;
                }
                fx.push(Effect::LoadFileDiff { scope, file });
            }
        }
        Err(e) => {
            viewer.loaded = true;
            viewer.error = Some(e);
        }
    }
}

pub(super) fn file_diff_arrived(state: &mut State, scope: Scope, path: String, file: DiffFile) {
    if let Some(viewer) = open(state)
        && viewer.scope == scope
        && viewer.selected.as_deref() == Some(path.as_str())
    {
        let same = viewer.diff.as_ref().is_some_and(|d| d.path == file.path);
        viewer.diff = Some(file);
        if !same {
            viewer.scroll = 0;
        }
    }
}

/// Files changed on disk: /diff lists them again.
pub(super) fn workspace_changed(state: &mut State, fx: &mut Vec<Effect>) {
    if let Some(viewer) = open(state) {
        fx.push(Effect::LoadChanges { scope: viewer.scope });
    }
}

/// Width and height of the viewer's diff pane.
fn viewer_body(state: &State) -> (usize, usize) {
    let (_, diff) = ui::diffview::panes(Rect::new(0, 0, state.size.0, state.size.1));
    (diff.width as usize, diff.height as usize)
}

/// Rows of the viewer's tree pane.
fn tree_height(state: &State) -> usize {
    ui::diffview::panes(Rect::new(0, 0, state.size.0, state.size.1)).0.height as usize
}

fn select_file(viewer: &mut DiffViewer, path: String, fx: &mut Vec<Effect>) {
    viewer.tree.select(ids_of(&path));
    if viewer.selected.as_deref() != Some(path.as_str()) {
        viewer.selected = Some(path);
        viewer.diff = None;
        viewer.scroll = 0;
        if let Some(file) = viewer.current().cloned() {
            fx.push(Effect::LoadFileDiff { scope: viewer.scope, file });
        }
    }
}

/// A key action while /diff is on top. Afterwards the tree is scrolled so its selection
/// shows.
pub(super) fn viewer_action(state: &mut State, action: Action, fx: &mut Vec<Effect>) {
    let height = tree_height(state);
    let tree_of = |state: &State| match state.overlays.last() {
        Some(Overlay::Diff(v)) => Some((v.tree.selected().to_vec(), v.tree.opened().len())),
        _ => None,
    };
    let before = tree_of(state);
    viewer_key(state, action, fx);
    if tree_of(state) != before
        && let Some(Overlay::Diff(viewer)) = state.overlays.last_mut()
    {
        viewer.settle_tree(height);
    }
}

fn viewer_key(state: &mut State, action: Action, fx: &mut Vec<Effect>) {
    let size = viewer_body(state);
    let Some(Overlay::Diff(viewer)) = state.overlays.last_mut() else { return };
    // In the tree, left and right fold folders; over the diff they scroll it sideways.
    let sideways = matches!(action, Action::DiffScrollLeft | Action::DiffScrollRight);
    if !(sideways && viewer.tree_focus) && view_action(&mut viewer.view, action) {
        state.diff_view = viewer.view;
        state.diff_view.hscroll = 0;
        if !sideways {
            viewer.scroll = 0;
        }
        return;
    }
    match action {
        Action::DiffClose => {
            state.overlays.pop();
        }
        Action::DiffFocus => viewer.tree_focus = !viewer.tree_focus,
        Action::DiffScope => {
            if viewer.git == Some(false) {
                return flash(state, "not a git repository: /diff shows this session's changes");
            }
            viewer.scope = if viewer.scope == Scope::WorkingTree { Scope::Session } else { Scope::WorkingTree };
            viewer.loaded = false;
            viewer.clear_files();
            viewer.selected = None;
            viewer.diff = None;
            fx.push(Effect::LoadChanges { scope: viewer.scope });
        }
        Action::DiffNextFile | Action::DiffPrevFile if !viewer.files.is_empty() => {
            let n = viewer.files.len();
            let i = viewer.selected.as_ref().and_then(|s| viewer.files.iter().position(|f| &f.path == s));
            let next = match (i, action) {
                (None, _) => 0,
                (Some(i), Action::DiffNextFile) => (i + 1) % n,
                (Some(i), _) => (i + n - 1) % n,
            };
            let path = viewer.files[next].path.clone();
            select_file(viewer, path, fx);
        }
        _ if viewer.tree_focus => tree_key(viewer, action, size.1, fx),
        _ => diff_key(viewer, action, size),
    }
}

/// Keys over the tree: move the selection, fold and unfold folders, open a file's diff.
fn tree_key(viewer: &mut DiffViewer, action: Action, page: usize, fx: &mut Vec<Effect>) {
    let flat: Vec<Vec<String>> = viewer.rows().into_iter().map(|r| r.id).collect();
    let selected = viewer.tree.selected().to_vec();
    let at = flat.iter().position(|id| *id == selected);
    let last = flat.len().saturating_sub(1);
    let target = match action {
        Action::DiffUp => at.map(|i| i.saturating_sub(1)).or(Some(0)),
        Action::DiffDown => at.map(|i| (i + 1).min(last)).or(Some(0)),
        Action::DiffPageUp => at.map(|i| i.saturating_sub(page.max(1))),
        Action::DiffPageDown => at.map(|i| (i + page.max(1)).min(last)),
        Action::DiffTop => Some(0),
        Action::DiffBottom => Some(last),
        Action::DiffScrollLeft => {
            if !viewer.tree.close(&selected) && selected.len() > 1 {
                viewer.tree.select(selected[..selected.len() - 1].to_vec());
            }
            return;
        }
        Action::DiffScrollRight | Action::DiffApply => {
            let is_file = viewer.files.iter().any(|f| Some(&f.path) == selected.last());
            if is_file {
                viewer.tree_focus = false;
            } else {
                viewer.tree.toggle(selected);
            }
            return;
        }
        _ => None,
    };
    if let Some(id) = target.and_then(|i| flat.get(i)).cloned() {
        let leaf = id.last().cloned().unwrap_or_default();
        if viewer.files.iter().any(|f| f.path == leaf) {
            select_file(viewer, leaf, fx);
        } else {
            viewer.tree.select(id);
        }
    }
}

/// Keys over the diff: scroll by lines, pages and hunks.
fn diff_key(viewer: &mut DiffViewer, action: Action, size: (usize, usize)) {
    let hunks: Vec<usize> = match &viewer.diff {
        Some(d) => {
            (0..d.hunks.len()).filter(|&i| !(viewer.view.hide_whitespace && d.hunks[i].whitespace_only)).collect()
        }
        None => Vec::new(),
    };
    let tops = match &viewer.diff {
        Some(d) => ui::hunks::hunk_tops(d, &hunks, &viewer.view, size.0).0,
        None => Vec::new(),
    };
    let mut hunk = tops.iter().rposition(|t| *t <= viewer.scroll).unwrap_or(0);
    let mut scroll = viewer.scroll;
    if scroll_action(viewer.diff.as_ref(), &hunks, &mut hunk, &mut scroll, &viewer.view, size, action) {
        viewer.scroll = scroll;
    }
}
