//! The approval modal: the tool, why the policy asks, the command (highlighted) or the diff,
//! and the choices with their keys. Requests that wait behind it are counted.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Clear, Padding, Paragraph};

use super::diff::diff_lines;
use super::highlight::highlight;
use super::wrap::{wrap, wrap_hard};
use crate::app::keymap::Action;
use crate::app::state::{ApprovalModal, State};
use crate::sanitize::visible;
use crate::tools::Preview;

/// Preview lines shown at most; a long diff is cut with a count.
const MAX_PREVIEW: usize = 16;

pub fn choices(state: &State, modal: &ApprovalModal) -> Vec<(String, String)> {
    let k = |a: Action| state.keymap.keys_for(a).join(", ");
    vec![
        ("Yes".into(), k(Action::AllowOnce)),
        (format!("Yes, and allow `{}` for this session", modal.request.session_rule), k(Action::AllowSession)),
        ("Always allow it in this project (saved to .claw/config.toml)".into(), k(Action::AllowAlways)),
        ("No".into(), k(Action::Deny)),
        ("No, and tell the model what to do instead".into(), k(Action::DenyWithNote)),
    ]
}

pub fn render(state: &State, modal: &ApprovalModal, frame: &mut Frame, area: Rect) {
    let theme = &state.theme;
    let width = area.width.saturating_sub(4).min(96);
    if width < 20 || area.height < 6 {
        // Too small for a box: one line that still says what to press.
        let r = Rect { y: area.y + area.height.saturating_sub(1), height: 1.min(area.height), ..area };
        let line = format!(
            "allow {}? {}/{}",
            modal.request.tool,
            state.keymap.hint(Action::AllowOnce),
            state.keymap.hint(Action::Deny)
        );
        frame.render_widget(Clear, r);
        frame.render_widget(Paragraph::new(line).style(Style::default().fg(theme.ui.warning).bg(theme.ui.panel)), r);
        return;
    }
    let inner_w = width.saturating_sub(6) as usize;
    let muted = Style::default().fg(theme.ui.muted);
    let mut lines: Vec<Line<'static>> = Vec::new();
    lines.extend(wrap(&[Span::styled(visible(&modal.request.reason).into_owned(), muted)], inner_w, &[], &[]));
    lines.push(Line::default());
    match &modal.request.preview {
        Some(Preview::Command { command }) => {
            let code = visible(command).into_owned();
            let hl = highlight(&code, "bash", &theme.syntax, Style::default().fg(theme.markdown.code));
            let total = hl.len();
            for (i, spans) in hl.into_iter().take(MAX_PREVIEW).enumerate() {
                let lead = if i == 0 { "$ " } else { "  " };
                let lead = [Span::styled(lead, Style::default().fg(theme.ui.accent))];
                lines.extend(wrap_hard(&spans, inner_w, &lead, &[Span::raw("  ")]));
            }
            if total > MAX_PREVIEW {
                lines.push(Line::from(Span::styled(format!("  … {} more lines", total - MAX_PREVIEW), muted)));
            }
        }
        Some(Preview::Diff { path, diff }) => {
            lines.push(Line::from(Span::styled(
                visible(path).into_owned(),
                Style::default().fg(theme.ui.text).add_modifier(Modifier::BOLD),
            )));
            lines.extend(diff_lines(&visible(diff), theme, inner_w, "", Some(MAX_PREVIEW)));
        }
        // Edits open the diff review; these show here only if one reaches the plain modal.
        Some(Preview::Edit { path, old, new }) => {
            let diff = crate::tools::text::unified_diff(path, old.as_deref().unwrap_or(""), new);
            lines.extend(diff_lines(&visible(&diff), theme, inner_w, "", Some(MAX_PREVIEW)));
        }
        Some(Preview::Arguments { call, json }) => {
            lines.push(Line::from(Span::styled(
                visible(call).into_owned(),
                Style::default().fg(theme.ui.text).add_modifier(Modifier::BOLD),
            )));
            let code = visible(json).into_owned();
            let hl = highlight(&code, "json", &theme.syntax, Style::default().fg(theme.markdown.code));
            let total = hl.len();
            for spans in hl.into_iter().take(MAX_PREVIEW) {
                lines.extend(wrap_hard(&spans, inner_w, &[Span::raw("  ")], &[Span::raw("  ")]));
            }
            if total > MAX_PREVIEW {
                lines.push(Line::from(Span::styled(format!("  … {} more lines", total - MAX_PREVIEW), muted)));
            }
        }
        Some(Preview::Large { path, .. }) => {
            lines.push(Line::from(Span::styled(format!("{} (too large to show)", visible(path)), muted)))
        }
        None => lines.push(Line::from(Span::styled(modal.request.summary.clone(), Style::default().fg(theme.ui.text)))),
    }
    lines.push(Line::default());
    for (i, (label, keys)) in choices(state, modal).into_iter().enumerate() {
        let selected = i == modal.choice;
        let style = if selected {
            Style::default().fg(theme.ui.accent).bg(theme.ui.selection).add_modifier(Modifier::BOLD)
        } else {
            Style::default().fg(theme.ui.text)
        };
        let mark = if selected { "› " } else { "  " };
        let key_w = keys.chars().count() + 2;
        let label_w = inner_w.saturating_sub(key_w + 5);
        let label: String = if label.chars().count() > label_w {
            let mut l: String = label.chars().take(label_w.saturating_sub(1)).collect();
            l.push('…');
            l
        } else {
            label
        };
        let pad = inner_w.saturating_sub(2 + 3 + label.chars().count() + keys.chars().count());
        lines.push(Line::from(vec![
            Span::styled(format!("{mark}{}. {label}{}", i + 1, " ".repeat(pad)), style),
            Span::styled(keys, Style::default().fg(theme.ui.accent)),
        ]));
    }
    if let Some(note) = &modal.note {
        lines.push(Line::default());
        let text = note.lines().join(" ");
        let shown = if text.is_empty() { note.placeholder_text().to_string() } else { text };
        lines.push(Line::from(vec![
            Span::styled("note › ", Style::default().fg(theme.ui.accent)),
            Span::styled(shown, Style::default().fg(theme.ui.text)),
            Span::styled("▏", Style::default().fg(theme.ui.accent)),
        ]));
        lines.push(Line::from(Span::styled("enter sends the denial with the note · esc goes back", muted)));
    }
    let waiting = state.approval_queue.len();
    let height = (lines.len() as u16 + 2).min(area.height.saturating_sub(2));
    let rect = super::centered(area, width, height);
    frame.render_widget(Clear, rect);
    let mut block = Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Rounded)
        .border_style(Style::default().fg(theme.ui.warning))
        .padding(Padding::horizontal(1))
        .style(Style::default().bg(theme.ui.panel))
        .title(Span::styled(
            match &modal.request.agent {
                Some(agent) => format!(" {agent} · allow {}? ", super::transcript::display_name(&modal.request.tool)),
                None => format!(" Allow {}? ", super::transcript::display_name(&modal.request.tool)),
            },
            Style::default().fg(theme.ui.warning).add_modifier(Modifier::BOLD),
        ));
    if waiting > 0 {
        block = block.title_bottom(Span::styled(format!(" +{waiting} more waiting "), muted));
    }
    frame.render_widget(Paragraph::new(lines).block(block), rect);
}
