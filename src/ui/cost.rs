//! The cost meter: tokens and money for the last turn and the session.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Paragraph};

use crate::app::state::{CostMeter, State};

/// `1234` → `1.2k`, `2_500_000` → `2.5M`.
pub fn tokens(n: u64) -> String {
    match n {
        0..1_000 => n.to_string(),
        1_000..1_000_000 if n.is_multiple_of(1_000) => format!("{}k", n / 1_000),
        1_000..1_000_000 => format!("{:.1}k", n as f64 / 1e3),
        _ if n.is_multiple_of(1_000_000) => format!("{}M", n / 1_000_000),
        _ => format!("{:.1}M", n as f64 / 1e6),
    }
}

/// Dollars with enough digits to see small sums; "n/a" when the model's price is unknown.
pub fn money(v: Option<f64>) -> String {
    match v {
        None => "n/a".into(),
        Some(0.0) => "$0".into(),
        Some(v) if v < 0.01 => format!("${v:.4}"),
        Some(v) if v < 10.0 => format!("${v:.3}"),
        Some(v) => format!("${v:.2}"),
    }
}

/// `1536` → `1.5 KiB`.
pub fn bytes(n: u64) -> String {
    match n {
        0..1024 => format!("{n} B"),
        1024..1_048_576 => format!("{:.1} KiB", n as f64 / 1024.0),
        _ => format!("{:.1} MiB", n as f64 / 1_048_576.0),
    }
}

/// How long ago, roughly: `3m`, `5h`, `2d`.
pub fn age(d: chrono::TimeDelta) -> String {
    let s = d.num_seconds().max(0);
    match s {
        0..60 => "now".into(),
        60..3600 => format!("{}m ago", s / 60),
        3600..86_400 => format!("{}h ago", s / 3600),
        _ => format!("{}d ago", s / 86_400),
    }
}

/// One line for /cost.
pub fn summary(c: &CostMeter) -> String {
    format!(
        "session: {} in, {} out, {} cache write, {} cache read = {} · last turn: {} in, {} out = {}",
        tokens(c.session.input_tokens),
        tokens(c.session.output_tokens),
        tokens(c.session.cache_creation_input_tokens),
        tokens(c.session.cache_read_input_tokens),
        money(c.session_cost),
        tokens(c.turn.input_tokens + c.turn.cache_creation_input_tokens + c.turn.cache_read_input_tokens),
        tokens(c.turn.output_tokens),
        money(c.turn_cost),
    )
}

pub fn render(state: &State, frame: &mut Frame, area: Rect) {
    if area.height < 3 {
        return;
    }
    let theme = &state.theme;
    let c = &state.cost;
    let muted = Style::default().fg(theme.ui.muted);
    let text = Style::default().fg(theme.ui.text);
    let head = Style::default().fg(theme.ui.accent).add_modifier(Modifier::BOLD);
    let row = |label: &str, turn: String, session: String| {
        Line::from(vec![
            Span::styled(format!("{label:<10}"), muted),
            Span::styled(format!("{turn:>7} "), text),
            Span::styled(format!("{session:>8}"), text),
        ])
    };
    let mut lines = vec![Line::from(vec![
        Span::styled(format!("{:<10}", ""), muted),
        Span::styled(format!("{:>7} ", "turn"), muted),
        Span::styled(format!("{:>8}", "session"), muted),
    ])];
    lines.push(row("input", tokens(c.turn.input_tokens), tokens(c.session.input_tokens)));
    lines.push(row("output", tokens(c.turn.output_tokens), tokens(c.session.output_tokens)));
    lines.push(row(
        "cache wr",
        tokens(c.turn.cache_creation_input_tokens),
        tokens(c.session.cache_creation_input_tokens),
    ));
    lines.push(row("cache rd", tokens(c.turn.cache_read_input_tokens), tokens(c.session.cache_read_input_tokens)));
    lines.push(Line::from(vec![
        Span::styled(format!("{:<10}", "cost"), muted),
        Span::styled(format!("{:>7} ", money(c.turn_cost)), head),
        Span::styled(format!("{:>8}", money(c.session_cost)), head),
    ]));
    lines.push(Line::default());
    lines.push(Line::from(vec![
        Span::styled(format!("{:<10}", "context"), muted),
        Span::styled(super::status::context_label(c), text),
    ]));
    let block = Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Rounded)
        .border_style(Style::default().fg(theme.ui.border))
        .title(Span::styled(" Cost ", head));
    frame.render_widget(Paragraph::new(lines).block(block), area);
}
