//! The todo list the model keeps with `todo_write`: in the side column, or above the composer
//! on narrow terminals. Hidden when empty.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Paragraph};

use crate::app::state::State;
use crate::tools::TodoStatus;

fn lines(state: &State, max: usize) -> Vec<Line<'static>> {
    let theme = &state.theme;
    let todos = &state.todos;
    // Keep the item in progress in view: start a little before it.
    let current = todos.iter().position(|t| t.status == TodoStatus::InProgress).unwrap_or(0);
    let start = current.saturating_sub(1).min(todos.len().saturating_sub(max));
    todos
        .iter()
        .skip(start)
        .take(max)
        .map(|t| match t.status {
            TodoStatus::Completed => Line::from(vec![
                Span::styled("☒ ", Style::default().fg(theme.ui.success)),
                Span::styled(
                    t.content.clone(),
                    Style::default().fg(theme.ui.muted).add_modifier(Modifier::CROSSED_OUT),
                ),
            ]),
            TodoStatus::InProgress => Line::from(vec![
                Span::styled("▶ ", Style::default().fg(theme.ui.accent)),
                Span::styled(t.active_form.clone(), Style::default().fg(theme.ui.accent).add_modifier(Modifier::BOLD)),
            ]),
            TodoStatus::Pending => Line::from(vec![
                Span::styled("☐ ", Style::default().fg(theme.ui.muted)),
                Span::styled(t.content.clone(), Style::default().fg(theme.ui.text)),
            ]),
        })
        .collect()
}

fn title(state: &State) -> String {
    let done = state.todos.iter().filter(|t| t.status == TodoStatus::Completed).count();
    format!(" Todo {done}/{} ", state.todos.len())
}

pub fn render_box(state: &State, frame: &mut Frame, area: Rect) {
    let theme = &state.theme;
    let block = Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Rounded)
        .border_style(Style::default().fg(theme.ui.border))
        .title(Span::styled(title(state), Style::default().fg(theme.ui.accent).add_modifier(Modifier::BOLD)));
    let max = area.height.saturating_sub(2) as usize;
    frame.render_widget(Paragraph::new(lines(state, max)).block(block), area);
}

pub fn render_inline(state: &State, frame: &mut Frame, area: Rect) {
    let theme = &state.theme;
    let mut out = vec![Line::from(Span::styled(title(state), Style::default().fg(theme.ui.accent)))];
    out.extend(lines(state, area.height.saturating_sub(1) as usize).into_iter().map(|mut l| {
        l.spans.insert(0, Span::raw("  "));
        l
    }));
    frame.render_widget(Paragraph::new(out), area);
}
