//! `/diff`: the changed files as a tree (tui-tree-widget) with line counts per file and folder,
//! and the selected file's diff beside it, drawn like the review.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use super::hunks::{Marks, Window, body_lines};
use crate::app::changes::{DiffViewer, Scope};
use crate::app::keymap::Action;
use crate::app::review::{DiffFile, Placeholder};
use crate::app::state::State;
use crate::ui::theme::Theme;

/// The tree pane and the diff pane (inside their borders) for a screen of `area`.
pub fn panes(area: Rect) -> (Rect, Rect) {
    let inner = Rect {
        x: area.x + 1.min(area.width),
        y: area.y + 1.min(area.height),
        width: area.width.saturating_sub(2),
        height: area.height.saturating_sub(3),
    };
    let tree_w = (inner.width / 3).clamp(20.min(inner.width), 48);
    let tree = Rect { width: tree_w, height: inner.height.saturating_sub(1), y: inner.y + 1, ..inner };
    let diff = Rect {
        x: inner.x + tree_w + 1,
        y: inner.y + 1,
        width: inner.width.saturating_sub(tree_w + 1),
        height: inner.height.saturating_sub(1),
    };
    (tree, diff)
}

/// The tree's rows from `offset` on: each indented by its depth, folders with an open or
/// closed mark, the selected row highlighted across the pane.
fn render_tree(viewer: &DiffViewer, theme: &Theme, highlight: Style, frame: &mut Frame, area: Rect) {
    let rows = viewer.rows();
    for (y, row) in rows.iter().skip(viewer.tree_offset).take(area.height as usize).enumerate() {
        let mark = match (row.folder, row.open) {
            (false, _) => "  ",
            (true, true) => "▾ ",
            (true, false) => "▸ ",
        };
        let mut spans = vec![Span::raw(" ".repeat(row.depth * 2)), Span::raw(mark)];
        spans.extend(viewer.row_line(row, theme).spans);
        let line_area = Rect { y: area.y + y as u16, height: 1, ..area };
        frame.render_widget(Paragraph::new(Line::from(spans)), line_area);
        if row.selected {
            frame.buffer_mut().set_style(line_area, highlight);
        }
    }
}

pub fn render(state: &State, viewer: &DiffViewer, frame: &mut Frame, area: Rect) {
    let theme = &state.theme;
    frame.render_widget(Clear, area);
    let k = |a: Action| state.keymap.hint(a);
    let title = format!(" Changes: {} ", viewer.scope.label());
    let block = super::dialog_block(theme, title, theme.ui.border_active);
    let outer = Rect { height: area.height.saturating_sub(1), ..area };
    frame.render_widget(block, outer);
    let (tree_area, diff_area) = panes(area);
    let muted = Style::default().fg(theme.ui.muted);
    // The line above both panes: totals and the scope switch.
    let (added, removed) = viewer.files.iter().filter_map(|f| f.counts).fold((0, 0), |(a, r), (x, y)| (a + x, r + y));
    let mut top = if viewer.loaded {
        vec![
            Span::styled(
                match viewer.files.len() {
                    1 => "1 file".to_string(),
                    n => format!("{n} files"),
                },
                Style::default().fg(theme.ui.text),
            ),
            Span::styled(format!("  +{added}"), Style::default().fg(theme.diff.added)),
            Span::styled(format!(" -{removed}"), Style::default().fg(theme.diff.removed)),
        ]
    } else {
        vec![Span::styled("…", muted)]
    };
    match viewer.git {
        Some(false) => top.push(Span::styled("  · not a git repository: this session's changes only", muted)),
        _ => {
            let other = if viewer.scope == Scope::WorkingTree { Scope::Session } else { Scope::WorkingTree };
            top.push(Span::styled(format!("  · {} shows {}", k(Action::DiffScope), other.label()), muted));
        }
    }
    let top_area = Rect {
        x: tree_area.x,
        y: tree_area.y.saturating_sub(1),
        width: tree_area.width + diff_area.width + 1,
        height: 1,
    };
    frame.render_widget(Paragraph::new(Line::from(top)), top_area);
    // The tree.
    let focus_style = |focused: bool| {
        if focused { Style::default().fg(theme.ui.border_active) } else { Style::default().fg(theme.ui.border) }
    };
    let tree_block = Block::default().borders(Borders::RIGHT).border_style(focus_style(viewer.tree_focus));
    if !viewer.loaded {
        frame.render_widget(Paragraph::new(Span::styled("reading changes…", muted)).block(tree_block), tree_area);
    } else if let Some(e) = &viewer.error {
        let text =
            Line::from(Span::styled(crate::sanitize::visible(e).into_owned(), Style::default().fg(theme.ui.error)));
        frame.render_widget(
            Paragraph::new(text).wrap(ratatui::widgets::Wrap { trim: true }).block(tree_block),
            tree_area,
        );
    } else if viewer.files.is_empty() {
        let text = match viewer.scope {
            Scope::WorkingTree => "no changes against HEAD",
            Scope::Session => "no file changed in this session",
        };
        frame.render_widget(Paragraph::new(Span::styled(text, muted)).block(tree_block), tree_area);
    } else {
        let highlight = if viewer.tree_focus {
            Style::default().bg(theme.ui.selection).add_modifier(Modifier::BOLD)
        } else {
            Style::default().bg(theme.ui.selection)
        };
        let inner = tree_block.inner(tree_area);
        frame.render_widget(tree_block, tree_area);
        render_tree(viewer, theme, highlight, frame, inner);
    }
    // The diff.
    let head_area = Rect { height: 1, ..diff_area };
    let body = Rect { y: diff_area.y + 1, height: diff_area.height.saturating_sub(1), ..diff_area };
    if let Some(file) = viewer.current() {
        let diff = &viewer.diff;
        {
            let mut spans = Vec::new();
            if let Some(from) = &file.renamed_from {
                spans.push(Span::styled(format!("{} → ", crate::sanitize::visible(from)), muted));
            }
            spans.push(Span::styled(
                crate::sanitize::visible(&file.path).into_owned(),
                Style::default().fg(theme.ui.text).add_modifier(Modifier::BOLD),
            ));
            if let Some((a, r)) = file.counts {
                spans.push(Span::styled(format!("  +{a}"), Style::default().fg(theme.diff.added)));
                spans.push(Span::styled(format!(" -{r}"), Style::default().fg(theme.diff.removed)));
            }
            frame.render_widget(Paragraph::new(Line::from(spans)), head_area);
            let loading;
            let d: &DiffFile = match diff {
                Some(d) => d,
                None => {
                    loading = DiffFile::placeholder(&file.path, Placeholder::Loading);
                    &loading
                }
            };
            let hunks: Vec<usize> =
                (0..d.hunks.len()).filter(|&i| !(viewer.view.hide_whitespace && d.hunks[i].whitespace_only)).collect();
            let marks = Marks { accepted: None, current: None };
            let lines = body_lines(d, &hunks, &marks, &viewer.view, theme, Window::of(body, viewer.scroll));
            frame.render_widget(Paragraph::new(lines), body);
        }
    }
    // The keys.
    let keys = [
        (format!("{}/{}", k(Action::DiffUp), k(Action::DiffDown)), "move"),
        (k(Action::DiffFocus), if viewer.tree_focus { "to the diff" } else { "to the tree" }),
        (format!("{}/{}", k(Action::DiffNextHunk), k(Action::DiffPrevHunk)), "hunk"),
        (format!("{}/{}", k(Action::DiffNextFile), k(Action::DiffPrevFile)), "file"),
        (k(Action::DiffSideBySide), "side by side"),
        (k(Action::DiffWrap), "wrap"),
        (k(Action::DiffWhitespace), "whitespace"),
        (k(Action::DiffClose), "close"),
    ];
    let mut spans = Vec::new();
    for (i, (key, what)) in keys.into_iter().enumerate() {
        if i > 0 {
            spans.push(Span::styled(" · ", muted));
        }
        spans.push(Span::styled(key, Style::default().fg(theme.ui.accent)));
        spans.push(Span::styled(format!(" {what}"), muted));
    }
    let foot = Rect { y: area.y + area.height.saturating_sub(1), height: 1.min(area.height), ..area };
    frame.render_widget(Paragraph::new(Line::from(spans)).style(Style::default().bg(theme.ui.background)), foot);
}
