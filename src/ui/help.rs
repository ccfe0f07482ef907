//! The help overlay: every binding of the active keymap, by context, from the action table.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Padding, Paragraph};

use crate::app::keymap::{ACTIONS, Context};
use crate::app::state::State;

/// The help text: every context's bindings.
pub fn lines(state: &State) -> Vec<Line<'static>> {
    let theme = &state.theme;
    let head = Style::default().fg(theme.ui.accent).add_modifier(Modifier::BOLD);
    let key_w =
        ACTIONS.iter().map(|a| state.keymap.keys_for(a.action).join(", ").chars().count()).max().unwrap_or(0) + 2;
    let mut lines = Vec::new();
    for &ctx in Context::ALL {
        lines.push(Line::from(Span::styled(ctx.name().to_string(), head)));
        for info in ACTIONS.iter().filter(|a| a.context == ctx) {
            let keys = state.keymap.keys_for(info.action).join(", ");
            lines.push(Line::from(vec![
                Span::styled(format!("  {keys:<key_w$}"), Style::default().fg(theme.ui.accent)),
                Span::styled(info.description.to_string(), Style::default().fg(theme.ui.text)),
            ]));
        }
        lines.push(Line::default());
    }
    let commands: Vec<&str> = crate::app::update::COMMANDS.iter().map(|c| c.name).collect();
    lines.push(Line::from(Span::styled(
        format!("Type / in an empty prompt for commands: {}", commands.join(" ")),
        Style::default().fg(theme.ui.muted),
    )));
    lines
}

pub fn render(state: &State, scroll: u16, frame: &mut Frame, area: Rect) {
    let theme = &state.theme;
    let width = area.width.saturating_sub(4).min(90);
    let height = area.height.saturating_sub(2);
    if width < 20 || height < 4 {
        return;
    }
    let rect = super::centered(area, width, height);
    frame.render_widget(Clear, rect);
    let block = super::dialog_block(theme, format!(" Keys · keymap {} ", state.keymap.name), theme.ui.border_active)
        .padding(Padding::horizontal(1))
        .title_bottom(Span::styled(" ↑↓ scroll · esc close ", Style::default().fg(theme.ui.muted)));
    frame.render_widget(Paragraph::new(lines(state)).block(block).scroll((scroll, 0)), rect);
}

/// `/keymap test`: the last key pressed and what it does.
pub fn render_tester(state: &State, last: Option<&str>, frame: &mut Frame, area: Rect) {
    let theme = &state.theme;
    let width = area.width.saturating_sub(4).min(84);
    if width < 20 || area.height < 5 {
        return;
    }
    let rect = super::centered(area, width, 5);
    frame.render_widget(Clear, rect);
    let text = last.unwrap_or("press a key (or a chord) to see what it does in the prompt");
    let block =
        super::dialog_block(theme, format!(" Key tester · keymap {} ", state.keymap.name), theme.ui.border_active)
            .padding(Padding::horizontal(1))
            .title_bottom(Span::styled(" esc closes ", Style::default().fg(theme.ui.muted)));
    frame.render_widget(
        Paragraph::new(Line::from(Span::styled(text.to_string(), Style::default().fg(theme.ui.text))))
            .wrap(ratatui::widgets::Wrap { trim: true })
            .block(block),
        rect,
    );
}
