//! The review dialog (an edit hunk by hunk, or what /undo and /rewind would restore): why it
//! is asked, the file, the diff drawn by [`super::hunks`], and what the keys do.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use super::hunks::{Marks, Window, body_lines};
use super::theme::Theme;
use crate::app::keymap::Action;
use crate::app::review::{DiffFile, Review, ReviewKind};
use crate::app::state::State;

/// The review's frame: the whole screen above the status bar.
fn frame_rect(area: Rect) -> Rect {
    Rect { height: area.height.saturating_sub(1), ..area }
}

/// Where the review's diff goes inside `area` (the screen): what render uses and what the
/// update scrolls by.
pub fn body_area(state: &State, review: &Review, area: Rect) -> Rect {
    let inner = frame_rect(area).inner(ratatui::layout::Margin { horizontal: 1, vertical: 1 });
    let head_h = head_lines(state, review).len() as u16;
    let foot_h = footer(state, review).len() as u16;
    Rect { y: inner.y + head_h.min(inner.height), height: inner.height.saturating_sub(head_h + foot_h + 1), ..inner }
}

/// The lines above the diff: why, what, conflicts, and the file.
fn head_lines(state: &State, review: &Review) -> Vec<Line<'static>> {
    let theme = &state.theme;
    let muted = Style::default().fg(theme.ui.muted);
    let mut head: Vec<Line<'static>> = Vec::new();
    match &review.kind {
        ReviewKind::Edit(req) => {
            head.push(Line::from(Span::styled(crate::sanitize::visible(&req.reason).into_owned(), muted)));
        }
        ReviewKind::Restore { prompt, conversation, files, armed, .. } => {
            let mut what = format!("Turn: \"{}\"", crate::sanitize::visible(prompt.lines().next().unwrap_or("")));
            if *conversation {
                what.push_str(" — the conversation goes back to before it; its prompt returns to the composer");
            }
            // Long prompts wrap (at most three lines) inside the frame.
            let width = state.size.0.saturating_sub(2) as usize;
            head.extend(super::wrap::wrap(&[Span::styled(what, muted)], width, &[], &[]).into_iter().take(3));
            if *files && review.files.is_empty() {
                head.push(Line::from(Span::styled("No file changes to restore.", muted)));
            }
            let conflicts = review.conflicts();
            if conflicts > 0 {
                let text = if *armed {
                    format!(
                        "{conflicts} file(s) changed by someone else since claw-tui wrote them: {} again overwrites them, {} keeps everything",
                        state.keymap.hint(Action::DiffApply),
                        state.keymap.hint(Action::DiffClose)
                    )
                } else {
                    format!("{conflicts} file(s) changed by someone else since claw-tui wrote them (marked ⚠)")
                };
                head.push(Line::from(Span::styled(
                    text,
                    Style::default().fg(theme.ui.warning).add_modifier(Modifier::BOLD),
                )));
            }
        }
    }
    if let Some(f) = review.current() {
        head.push(file_line(review, f, theme));
    }
    head
}

/// The diff review modal: a title with the file and the hunk, the diff, and the keys.
pub fn render(state: &State, review: &Review, frame: &mut Frame, area: Rect) {
    let theme = &state.theme;
    let rect = frame_rect(area);
    if rect.width < 30 || rect.height < 8 {
        let line = match review.kind {
            ReviewKind::Edit(_) => format!(
                "review {}: {} apply · {} reject",
                review.current().map_or("", |f| f.path.as_str()),
                state.keymap.hint(Action::DiffApply),
                state.keymap.hint(Action::DiffClose)
            ),
            ReviewKind::Restore { .. } => format!(
                "restore? {} yes · {} no",
                state.keymap.hint(Action::DiffApply),
                state.keymap.hint(Action::DiffClose)
            ),
        };
        let r = Rect { y: area.y + area.height.saturating_sub(1), height: 1.min(area.height), ..area };
        frame.render_widget(Clear, r);
        frame.render_widget(Paragraph::new(line).style(Style::default().fg(theme.ui.warning).bg(theme.ui.panel)), r);
        return;
    }
    frame.render_widget(Clear, rect);
    let title = match &review.kind {
        ReviewKind::Edit(req) => format!(" Review {}: {} ", req.tool, req.summary),
        ReviewKind::Restore { turn, files: true, conversation: true, .. } => {
            format!(" Rewind files and conversation to before turn {turn} ")
        }
        ReviewKind::Restore { turn, files: true, .. } => format!(" Restore files to before turn {turn} "),
        ReviewKind::Restore { turn, .. } => format!(" Rewind the conversation to before turn {turn} "),
    };
    let block = super::dialog_block(theme, crate::sanitize::visible(&title).into_owned(), theme.ui.warning);
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    let head = head_lines(state, review);
    let head_h = (head.len() as u16).min(inner.height);
    frame.render_widget(Paragraph::new(head), Rect { height: head_h, ..inner });
    let body = body_area(state, review, area);
    if let Some(f) = review.current() {
        let hunks = review.visible_hunks();
        let accepted = review.accepted.get(review.file).map(Vec::as_slice);
        let marks = Marks {
            accepted: if review.per_hunk() { accepted } else { None },
            current: hunks.get(review.hunk.min(hunks.len().saturating_sub(1))).copied().filter(|_| review.per_hunk()),
        };
        let lines = body_lines(f, &hunks, &marks, &review.view, theme, Window::of(body, review.scroll));
        frame.render_widget(Paragraph::new(lines), body);
    }
    let foot = footer(state, review);
    let foot_h = (foot.len() as u16).min(inner.height);
    let foot_area = Rect { y: inner.y + inner.height.saturating_sub(foot_h), height: foot_h, ..inner };
    frame.render_widget(Paragraph::new(foot), foot_area);
}

/// "file 1/2 · src/lib.rs · +3 -1 · hunk 2/4".
fn file_line(review: &Review, f: &DiffFile, theme: &Theme) -> Line<'static> {
    let mut spans = Vec::new();
    if review.files.len() > 1 {
        spans.push(Span::styled(
            format!("file {}/{} · ", review.file + 1, review.files.len()),
            Style::default().fg(theme.ui.muted),
        ));
    }
    if f.conflict {
        spans.push(Span::styled("⚠ ", Style::default().fg(theme.ui.warning)));
    }
    let mut name = crate::sanitize::visible(&f.path).into_owned();
    if let Some(from) = &f.renamed_from {
        name = format!("{from} → {name}");
    }
    spans.push(Span::styled(name, Style::default().fg(theme.ui.text).add_modifier(Modifier::BOLD)));
    let state = if f.created {
        " (new file)"
    } else if f.deleted {
        " (deleted)"
    } else {
        ""
    };
    spans.push(Span::styled(state, Style::default().fg(theme.ui.muted)));
    spans.push(Span::styled(format!("  +{}", f.added), Style::default().fg(theme.diff.added)));
    spans.push(Span::styled(format!(" -{}", f.removed), Style::default().fg(theme.diff.removed)));
    let hunks = review.visible_hunks();
    if review.per_hunk() && !hunks.is_empty() {
        let accepted = review.accepted_of(review.file).len();
        spans.push(Span::styled(
            format!(
                "  · hunk {}/{} · {accepted} of {} accepted",
                review.hunk.min(hunks.len() - 1) + 1,
                hunks.len(),
                f.hunks.len()
            ),
            Style::default().fg(theme.ui.muted),
        ));
    }
    let mut opts = Vec::new();
    if review.view.side_by_side {
        opts.push("side by side");
    }
    if !review.view.wrap {
        opts.push("no wrap");
    }
    if review.view.hide_whitespace {
        opts.push("whitespace hidden");
    }
    if !opts.is_empty() {
        spans.push(Span::styled(format!("  [{}]", opts.join(", ")), Style::default().fg(theme.ui.muted)));
    }
    Line::from(spans)
}

fn footer(state: &State, review: &Review) -> Vec<Line<'static>> {
    let theme = &state.theme;
    let k = |a: Action| state.keymap.hint(a);
    let key = Style::default().fg(theme.ui.accent);
    let text = Style::default().fg(theme.ui.muted);
    if let Some(note) = &review.note {
        let typed = note.lines().join(" ");
        let shown = if typed.is_empty() { note.placeholder_text().to_string() } else { typed };
        return vec![
            Line::from(vec![
                Span::styled("note › ", key),
                Span::styled(shown, Style::default().fg(theme.ui.text)),
                Span::styled("▏", key),
            ]),
            Line::from(Span::styled("enter keeps the note · esc drops it", text)),
        ];
    }
    let mut pairs: Vec<(String, &str)> = Vec::new();
    match &review.kind {
        ReviewKind::Edit(_) => {
            pairs.push((k(Action::DiffToggleHunk), "accept/reject hunk"));
            pairs.push((k(Action::DiffAcceptAll), "all"));
            pairs.push((k(Action::DiffRejectAll), "none"));
            pairs.push((format!("{}/{}", k(Action::DiffNextHunk), k(Action::DiffPrevHunk)), "hunk"));
            pairs.push((k(Action::DiffApply), "apply"));
            pairs.push((k(Action::DiffAllowSession), "apply, and allow for the session"));
            pairs.push((k(Action::DiffNote), "note"));
            pairs.push((k(Action::DiffClose), "reject edit"));
        }
        ReviewKind::Restore { .. } => {
            if review.files.len() > 1 {
                pairs.push((format!("{}/{}", k(Action::DiffNextFile), k(Action::DiffPrevFile)), "file"));
            }
            pairs.push((k(Action::DiffApply), "restore"));
            pairs.push((k(Action::DiffClose), "cancel"));
        }
    }
    pairs.push((k(Action::DiffSideBySide), "side by side"));
    pairs.push((k(Action::DiffWrap), "wrap"));
    pairs.push((k(Action::DiffWhitespace), "whitespace"));
    let mut spans = Vec::new();
    for (i, (keys, what)) in pairs.into_iter().enumerate() {
        if i > 0 {
            spans.push(Span::styled(" · ", text));
        }
        spans.push(Span::styled(keys, key));
        spans.push(Span::styled(format!(" {what}"), text));
    }
    let mut lines = super::wrap::wrap(&spans, state.size.0.saturating_sub(4) as usize, &[], &[]);
    if let Some(note) = &review.note_text {
        lines.insert(
            0,
            Line::from(vec![
                Span::styled("note: ", key),
                Span::styled(note.clone(), Style::default().fg(theme.ui.text)),
            ]),
        );
    }
    lines
}
