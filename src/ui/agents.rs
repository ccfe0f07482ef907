//! Sub-agents on screen: the /agents pane (each sub-agent of the session with its type, task,
//! what it runs now or how it ended, tokens and time; the agent types below; a sub-agent's
//! transcript, read-only and live) and the side column's box of the running ones.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Padding, Paragraph};

use super::transcript::{cell_lines, content_width, display_name, format_secs};
use super::wrap::wrap;
use crate::agent::TurnOutcome;
use crate::app::keymap::Action;
use crate::app::state::{AgentsPane, CellKind, State, SubagentView};

/// What a sub-agent is doing, or how it ended, and in what colour.
fn status(state: &State, v: &SubagentView) -> (String, ratatui::style::Color, String) {
    let ui = &state.theme.ui;
    match v.ended {
        None => {
            let writing = v
                .transcript
                .cells
                .last()
                .is_some_and(|c| matches!(c.kind, CellKind::Assistant { streaming: true, .. }));
            let idle = if writing { "writing" } else { "thinking" };
            let doing = v.tool.as_deref().map_or(idle.to_string(), display_name);
            (super::transcript::spinner(state.now_ms).to_string(), ui.info, doing)
        }
        Some((TurnOutcome::EndTurn | TurnOutcome::StopSequence | TurnOutcome::MaxTokens, _)) => {
            ("●".into(), ui.success, "done".into())
        }
        Some((TurnOutcome::Interrupted, _)) => ("●".into(), ui.warning, "interrupted".into()),
        Some(_) => ("✗".into(), ui.error, "failed".into()),
    }
}

fn elapsed(state: &State, v: &SubagentView) -> String {
    format_secs(v.ended.map_or(state.now_ms.saturating_sub(v.started_ms), |(_, ms)| ms))
}

fn tokens(n: u64) -> String {
    if n >= 1000 { format!("{:.1}k tok", n as f64 / 1000.0) } else { format!("{n} tok") }
}

pub fn render(state: &State, pane: &AgentsPane, frame: &mut Frame, area: Rect) {
    let theme = &state.theme;
    let width = area.width.saturating_sub(4).min(110);
    let height = area.height.saturating_sub(2);
    if width < 30 || height < 6 {
        return;
    }
    let inner_w = width.saturating_sub(4) as usize;
    let muted = Style::default().fg(theme.ui.muted);
    let body_h = (height as usize).saturating_sub(4);
    let open = state.subagents.get(pane.selected).filter(|_| pane.open);
    let (title, mut shown) = match open {
        Some(v) => {
            (format!(" {} · {}: {} ", v.id, v.name, v.description), transcript(state, v, pane.scroll, inner_w, body_h))
        }
        None => {
            let mut lines = Vec::new();
            list(state, pane, inner_w, &mut lines);
            (" Agents ".to_string(), lines.into_iter().take(body_h).collect())
        }
    };
    let key = |a: Action| Span::styled(state.keymap.hint(a), Style::default().fg(theme.ui.accent));
    let footer = match open {
        Some(_) => Line::from(vec![
            key(Action::AgentsUp),
            Span::styled(" / ", muted),
            key(Action::AgentsDown),
            Span::styled(" scroll  ·  ", muted),
            key(Action::AgentsClose),
            Span::styled(" back to the list", muted),
        ]),
        None => Line::from(vec![
            key(Action::AgentsOpen),
            Span::styled(" transcript  ·  ", muted),
            key(Action::AgentsClose),
            Span::styled(" close", muted),
        ]),
    };
    if open.is_some() {
        // The transcript fills the pane; the keys stay at its foot.
        shown.resize(body_h, Line::default());
    }
    shown.push(Line::default());
    shown.push(footer);
    let h = if open.is_some() { height } else { (shown.len() as u16 + 2).min(height) };
    let r = super::centered(area, width, h);
    frame.render_widget(Clear, r);
    let block = super::dialog_block(theme, title, theme.ui.border).padding(Padding::horizontal(1));
    frame.render_widget(Paragraph::new(shown).block(block), r);
}

/// The sub-agents, then the agent types the model may start.
fn list(state: &State, pane: &AgentsPane, inner_w: usize, lines: &mut Vec<Line<'static>>) {
    let theme = &state.theme;
    let muted = Style::default().fg(theme.ui.muted);
    let text = Style::default().fg(theme.ui.text);
    if state.subagents.is_empty() {
        lines.push(Line::from(Span::styled("No sub-agents have run in this session yet.", muted)));
    }
    for (i, v) in state.subagents.iter().enumerate() {
        let selected = i == pane.selected;
        let row = if selected { Style::default().bg(theme.ui.selection) } else { Style::default() };
        let (mark, colour, doing) = status(state, v);
        let head = format!("{}: {}", v.name, v.description);
        let facts = format!("  {doing} · {} · {}", tokens(v.tokens), elapsed(state, v));
        let room = inner_w.saturating_sub(4 + facts.chars().count());
        let head: String = head.chars().take(room).collect();
        lines.push(Line::from(vec![
            Span::styled(if selected { "› " } else { "  " }, row.fg(theme.ui.accent)),
            Span::styled(format!("{mark} "), row.fg(colour)),
            Span::styled(head, row.fg(theme.ui.text).add_modifier(Modifier::BOLD)),
            Span::styled(facts, row.fg(theme.ui.muted)),
        ]));
    }
    lines.push(Line::default());
    lines.push(Line::from(Span::styled(
        "Agent types",
        Style::default().fg(theme.ui.accent).add_modifier(Modifier::BOLD),
    )));
    for def in &state.extensions.agents {
        let mut about = def.description.clone();
        if let Some(tools) = &def.tools {
            let shown: Vec<&str> = tools.iter().map(String::as_str).filter(|t| *t != "ToolSearch").collect();
            about.push_str(&format!(" (tools: {})", shown.join(", ")));
        }
        if let Some(model) = &def.model {
            about.push_str(&format!(" (model {model})"));
        }
        if let Some(path) = &def.path {
            about.push_str(&format!(" — {} {}", def.scope.name(), path.display()));
        }
        let lead = [Span::styled(format!("  {} ", def.name), text.add_modifier(Modifier::BOLD))];
        lines.extend(wrap(&[Span::styled(about, muted)], inner_w, &lead, &[Span::raw("    ")]));
    }
}

/// The end of a sub-agent's transcript (`scroll` lines up from it).
fn transcript(state: &State, v: &SubagentView, scroll: usize, inner_w: usize, height: usize) -> Vec<Line<'static>> {
    let width = content_width(inner_w as u16);
    let mut all: Vec<Line<'static>> = Vec::new();
    for cell in &v.transcript.cells {
        all.extend(cell_lines(cell, width, &state.theme, state.layout_epoch, state.now_ms).iter().cloned());
    }
    if all.is_empty() {
        all.push(Line::from(Span::styled("(nothing yet)", Style::default().fg(state.theme.ui.muted))));
    }
    let end = all.len().saturating_sub(scroll.min(all.len().saturating_sub(1)));
    let start = end.saturating_sub(height);
    all.drain(start..end).collect()
}

/// Lines the side column's box needs: two per running sub-agent (none: no box).
pub fn box_height(state: &State) -> u16 {
    let running = state.subagents.iter().filter(|v| v.ended.is_none()).count() as u16;
    if running == 0 { 0 } else { running.min(6) * 2 + 2 }
}

/// The side column's box: each running sub-agent's task, then what it runs, its tokens and
/// time.
pub fn render_box(state: &State, frame: &mut Frame, area: Rect) {
    let theme = &state.theme;
    let w = area.width.saturating_sub(4) as usize;
    let muted = Style::default().fg(theme.ui.muted);
    let mut lines: Vec<Line<'static>> = Vec::new();
    for v in state.subagents.iter().filter(|v| v.ended.is_none()).take(6) {
        let (mark, colour, doing) = status(state, v);
        let task: String = v.description.chars().take(w.saturating_sub(2)).collect();
        lines.push(Line::from(vec![
            Span::styled(format!("{mark} "), Style::default().fg(colour)),
            Span::styled(task, Style::default().fg(theme.ui.text)),
        ]));
        let facts = format!("  {doing} · {} · {}", short_tokens(v.tokens), elapsed(state, v));
        lines.push(Line::from(Span::styled(facts.chars().take(w).collect::<String>(), muted)));
    }
    let block = super::dialog_block(theme, " Agents ".into(), theme.ui.border).padding(Padding::horizontal(1));
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

fn short_tokens(n: u64) -> String {
    if n >= 1000 { format!("{:.1}k", n as f64 / 1000.0) } else { n.to_string() }
}
