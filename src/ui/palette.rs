//! Pickers: the command palette, /model and /permissions.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use crate::app::state::{Picker, State};

pub fn render(state: &State, p: &Picker, frame: &mut Frame, area: Rect) {
    let theme = &state.theme;
    let width = area.width.saturating_sub(4).min(80);
    let list_h = (p.filtered.len() as u16).clamp(1, 14);
    let height = (list_h + 4).min(area.height);
    if width < 10 || height < 4 {
        return;
    }
    let rect = Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + area.height.saturating_sub(height) / 4,
        width,
        height,
    };
    frame.render_widget(Clear, rect);
    let block = super::dialog_block(theme, format!(" {} ", p.title), theme.ui.border_active);
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    let mut lines = vec![
        Line::from(vec![
            Span::styled("› ", Style::default().fg(theme.ui.accent)),
            Span::styled(p.query.clone(), Style::default().fg(theme.ui.text)),
            Span::styled("▏", Style::default().fg(theme.ui.accent)),
        ]),
        Line::from(Span::styled("─".repeat(inner.width as usize), Style::default().fg(theme.ui.border))),
    ];
    let visible_rows = inner.height.saturating_sub(2) as usize;
    let start = p.selected.saturating_sub(visible_rows.saturating_sub(1));
    let label_w = p.filtered.iter().map(|&i| p.items[i].label.chars().count()).max().unwrap_or(0).min(28);
    if p.filtered.is_empty() {
        lines.push(Line::from(Span::styled("  nothing matches", Style::default().fg(theme.ui.muted))));
    }
    for (row, &i) in p.filtered.iter().enumerate().skip(start).take(visible_rows) {
        let item = &p.items[i];
        let selected = row == p.selected;
        let base = if selected { Style::default().bg(theme.ui.selection) } else { Style::default() };
        let label_style = base.fg(if selected { theme.ui.accent } else { theme.ui.text }).add_modifier(if selected {
            Modifier::BOLD
        } else {
            Modifier::empty()
        });
        let key_w = item.key.chars().count();
        let detail_w = (inner.width as usize).saturating_sub(label_w + key_w + 5);
        let detail: String = item.detail.chars().take(detail_w).collect();
        let pad = (inner.width as usize).saturating_sub(2 + label_w + 2 + detail.chars().count() + key_w);
        lines.push(Line::from(vec![
            Span::styled(if selected { "› " } else { "  " }, label_style),
            Span::styled(format!("{:<label_w$}  ", item.label), label_style),
            Span::styled(detail, base.fg(theme.ui.muted)),
            Span::styled(" ".repeat(pad), base),
            Span::styled(item.key.clone(), base.fg(theme.ui.accent)),
        ]));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}
