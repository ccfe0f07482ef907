//! The prompt editor, the prompts queued behind the running turn, and the slash-command popup.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Clear, Paragraph};

use crate::app::state::{Focus, State};
use crate::app::update::COMMANDS;

/// Most entries the completion popup offers.
const MAX_COMPLETIONS: usize = 50;

/// What the completion popup offers.
#[derive(Debug, Clone, PartialEq)]
pub struct Completion {
    /// What it inserts: a command's name, or `@server:uri`.
    pub name: String,
    pub description: String,
    /// A resource mention (replaces the last word and keeps the prompt) rather than a command.
    pub mention: bool,
}

/// What matches what is typed: the slash commands and the MCP servers' prompts when the prompt
/// is a single `/word`; the MCP servers' resources when the last word starts with `@`.
pub fn completions(state: &State) -> Vec<Completion> {
    let lines = state.composer.textarea.lines();
    let Some(last_line) = lines.last() else { return Vec::new() };
    if let Some(word) = last_line.rsplit(char::is_whitespace).next().filter(|w| w.starts_with('@'))
        && !last_line.ends_with(char::is_whitespace)
    {
        return resource_completions(state, word);
    }
    if lines.len() != 1 {
        return Vec::new();
    }
    let typed = lines[0].as_str();
    if !typed.starts_with('/') || typed.contains(char::is_whitespace) {
        return Vec::new();
    }
    let commands = COMMANDS.iter().filter(|c| c.name.starts_with(typed)).map(|c| Completion {
        name: c.name.to_string(),
        description: c.description.to_string(),
        mention: false,
    });
    let prompts = state.mcp.iter().filter(|v| v.status == crate::mcp::Status::Connected).flat_map(|v| {
        v.prompts.iter().map(|p| Completion {
            name: crate::mcp::context::prompt_command(&v.name, &p.name),
            description: if p.description.is_empty() {
                format!("MCP prompt of {}", v.name)
            } else {
                p.description.clone()
            },
            mention: false,
        })
    });
    let custom = state.extensions.commands.iter().map(|c| Completion {
        name: format!("/{}", c.name),
        description: format!("{} ({})", c.description, c.scope.name()),
        mention: false,
    });
    commands.chain(custom.chain(prompts).filter(|c| c.name.starts_with(typed))).take(MAX_COMPLETIONS).collect()
}

/// `@server:uri` of the connected servers' resources that start with `word`.
fn resource_completions(state: &State, word: &str) -> Vec<Completion> {
    state
        .mcp
        .iter()
        .filter(|v| v.status == crate::mcp::Status::Connected)
        .flat_map(|v| {
            v.resources.iter().map(move |r| Completion {
                name: format!("@{}:{}", v.name, r.uri),
                description: r.name.clone(),
                mention: true,
            })
        })
        .filter(|c| c.name.starts_with(word))
        .take(MAX_COMPLETIONS)
        .collect()
}

pub fn render(state: &State, frame: &mut Frame, area: Rect) {
    if area.height == 0 {
        return;
    }
    let theme = &state.theme;
    let focused = state.focus == Focus::Composer && state.overlays.is_empty();
    let border = if focused { theme.ui.border_active } else { theme.ui.border };
    let mut block = Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Rounded)
        .border_style(Style::default().fg(border));
    if state.turn_running {
        block =
            block.title(Span::styled(" working · your next prompt will wait ", Style::default().fg(theme.ui.muted)));
    }
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let queued: Vec<Line> = state
        .queued
        .iter()
        .take(3)
        .map(|q| {
            let first = q.lines().next().unwrap_or_default();
            Line::from(vec![
                Span::styled("⏳ queued: ", Style::default().fg(theme.ui.muted)),
                Span::styled(first.to_string(), Style::default().fg(theme.ui.muted).add_modifier(Modifier::ITALIC)),
            ])
        })
        .collect();
    let qh = (queued.len() as u16).min(inner.height.saturating_sub(1));
    if qh > 0 {
        frame.render_widget(Paragraph::new(queued), Rect { height: qh, ..inner });
    }
    let text_area = Rect { y: inner.y + qh, height: inner.height - qh, ..inner };
    if text_area.height == 0 || text_area.width < 3 {
        return;
    }
    let prompt = Rect { width: 2, ..text_area };
    frame.render_widget(Paragraph::new(Span::styled("› ", Style::default().fg(theme.ui.accent))), prompt);
    let ta_area = Rect { x: text_area.x + 2, width: text_area.width - 2, ..text_area };
    let mut ta = state.composer.textarea.clone();
    ta.set_style(Style::default().fg(theme.ui.text));
    ta.set_cursor_line_style(Style::default());
    ta.set_placeholder_style(Style::default().fg(theme.ui.muted));
    ta.set_cursor_style(if focused { Style::default().add_modifier(Modifier::REVERSED) } else { Style::default() });
    frame.render_widget(&ta, ta_area);
}

/// `s` cut to `max` characters with an ellipsis.
pub fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// The popup of matching slash commands, drawn at the bottom of `above`.
pub fn render_completions(state: &State, frame: &mut Frame, above: Rect) {
    if !state.overlays.is_empty() || state.focus != Focus::Composer {
        return;
    }
    let items = completions(state);
    if items.is_empty() || above.height < 3 {
        return;
    }
    let theme = &state.theme;
    let h = (items.len() as u16 + 2).min(above.height);
    let w = above.width.min(72);
    let area = Rect { x: above.x + 1, y: above.y + above.height - h, width: w.saturating_sub(1), height: h };
    let selected = state.composer.completion.min(items.len() - 1);
    let name_w = items.iter().map(|c| c.name.len()).max().unwrap_or(0);
    let desc_w = (area.width as usize).saturating_sub(name_w + 5);
    let lines: Vec<Line> = items
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let (name, desc) = (c.name.as_str(), c.description.as_str());
            let style = if i == selected {
                Style::default().bg(theme.ui.selection).fg(theme.ui.accent).add_modifier(Modifier::BOLD)
            } else {
                Style::default().fg(theme.ui.text)
            };
            Line::from(vec![
                Span::styled(format!(" {name:<name_w$}  "), style),
                Span::styled(truncate(desc, desc_w), Style::default().fg(theme.ui.muted)),
            ])
        })
        .collect();
    frame.render_widget(Clear, area);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Rounded)
        .border_style(Style::default().fg(theme.ui.border))
        .style(Style::default().bg(theme.ui.panel));
    frame.render_widget(Paragraph::new(lines).block(block), area);
}
