//! The trust question: the first start in a folder whose own files want settings that widen
//! what claw-tui does. It lists exactly those settings and where each is written, and the
//! three answers with their keys.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Padding, Paragraph};

use super::wrap::wrap;
use crate::app::keymap::Action;
use crate::app::state::{State, TrustQuestion};
use crate::sanitize::visible;

pub fn render(state: &State, question: &TrustQuestion, frame: &mut Frame, area: Rect) {
    let theme = &state.theme;
    let width = area.width.saturating_sub(4).min(96);
    if width < 24 || area.height < 8 {
        let r = Rect { y: area.y + area.height.saturating_sub(1), height: 1.min(area.height), ..area };
        let line = format!(
            "trust this folder? {}/{}",
            state.keymap.hint(Action::TrustFolder),
            state.keymap.hint(Action::DistrustFolder)
        );
        frame.render_widget(Clear, r);
        frame.render_widget(Paragraph::new(line).style(Style::default().fg(theme.ui.warning).bg(theme.ui.panel)), r);
        return;
    }
    let inner_w = width.saturating_sub(4) as usize;
    let text = Style::default().fg(theme.ui.text);
    let muted = Style::default().fg(theme.ui.muted);
    let mut lines: Vec<Line<'static>> = Vec::new();
    let intro = format!(
        "claw-tui starts in {} for the first time. Its own files ask for settings that change what claw-tui may do or where it sends your key:",
        visible(&question.root.display().to_string())
    );
    lines.extend(wrap(&[Span::styled(intro, text)], inner_w, &[], &[]));
    lines.push(Line::default());
    for w in &question.withheld {
        let setting = format!("{} = {}", w.key, visible(&w.value));
        lines.extend(wrap(
            &[Span::styled(setting, Style::default().fg(theme.ui.warning).add_modifier(Modifier::BOLD))],
            inner_w,
            &[Span::raw("  ")],
            &[Span::raw("  ")],
        ));
        let file = format!("in {}", visible(&w.file.display().to_string()));
        lines.extend(wrap(&[Span::styled(file, muted)], inner_w, &[Span::raw("    ")], &[Span::raw("    ")]));
    }
    lines.push(Line::default());
    let after = "They apply only if you trust this folder; until then claw-tui runs as your own settings say. \
Everything else its files set (model, theme, deny rules) applies either way.";
    lines.extend(wrap(&[Span::styled(after, muted)], inner_w, &[], &[]));
    lines.push(Line::default());
    let key = |a: Action| Span::styled(state.keymap.hint(a), Style::default().fg(theme.ui.accent));
    lines.push(Line::from(vec![
        key(Action::TrustFolder),
        Span::styled(" trust it  ·  ", text),
        key(Action::DistrustFolder),
        Span::styled(" don't trust it  ·  ", text),
        key(Action::TrustLater),
        Span::styled(" decide later", text),
    ]));
    let height = (lines.len() as u16 + 2).min(area.height.saturating_sub(2));
    let rect = super::centered(area, width, height);
    frame.render_widget(Clear, rect);
    let block =
        super::dialog_block(theme, " Trust this folder? ".into(), theme.ui.warning).padding(Padding::horizontal(1));
    frame.render_widget(Paragraph::new(lines).block(block), rect);
}
