//! The status bar: model, place, permission mode, context use, what the agent is doing, and
//! the keys that do something right now (from the active keymap).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::transcript::spinner;
use super::wrap::width;
use crate::app::keymap::Action;
use crate::app::state::{Activity, CostMeter, Focus, Overlay, State};
use crate::permission::PermissionMode;

/// "12% of 200k", or "–" before the first answer.
pub fn context_label(c: &CostMeter) -> String {
    if c.context_window == 0 {
        return "–".into();
    }
    let pct = (c.context_tokens as f64 / c.context_window as f64 * 100.0).round() as u64;
    format!("{pct}% of {}", super::cost::tokens(c.context_window))
}

/// `~/x/y` for a path under the home directory; long paths keep their last parts.
pub fn short_path(path: &std::path::Path, max: usize) -> String {
    let mut s = path.display().to_string();
    if let Some(home) = directories::BaseDirs::new().map(|d| d.home_dir().display().to_string())
        && !home.is_empty()
        && home != "/"
        && let Some(rest) = s.strip_prefix(&home)
    {
        s = format!("~{rest}");
    }
    if s.chars().count() > max {
        let tail: Vec<char> = s.chars().rev().take(max.saturating_sub(1)).collect();
        s = format!("…{}", tail.into_iter().rev().collect::<String>());
    }
    s
}

fn activity(state: &State) -> (String, bool) {
    let spin = spinner(state.now_ms);
    match &state.activity {
        Activity::Idle => ("idle".into(), false),
        Activity::Thinking => (format!("{spin} thinking"), true),
        Activity::Streaming => (format!("{spin} streaming"), true),
        Activity::RunningTool(t) => (format!("{spin} running {t}"), true),
        Activity::WaitingApproval => ("? waiting for approval".into(), true),
        Activity::Retrying { until_ms } => {
            let secs = until_ms.saturating_sub(state.now_ms).div_ceil(1000);
            (format!("{spin} retrying in {secs}s"), true)
        }
    }
}

/// Hints for what can be done now, as (key, label).
fn hints(state: &State) -> Vec<(String, &'static str)> {
    let k = |a: Action| state.keymap.hint(a);
    let mut h: Vec<(String, &'static str)> = Vec::new();
    match state.overlays.last() {
        Some(Overlay::Approval(_)) => {
            h.push((k(Action::AllowOnce), "allow"));
            h.push((k(Action::Deny), "deny"));
        }
        Some(Overlay::Picker(_)) => {
            h.push((k(Action::PaletteRun), "run"));
            h.push((k(Action::PaletteClose), "close"));
        }
        Some(Overlay::Help { .. }) => h.push((k(Action::CloseHelp), "close")),
        None if state.focus == Focus::Transcript => {
            h.push((k(Action::ToggleExpand), "expand"));
            h.push((k(Action::CopyMessage), "copy"));
            h.push((k(Action::FocusComposer), "back"));
        }
        None => {
            if state.turn_running {
                h.push((k(Action::Interrupt), "interrupt"));
            } else {
                h.push((k(Action::Submit), "send"));
            }
            h.push((k(Action::OpenPalette), "commands"));
            h.push((k(Action::Help), "help"));
        }
    }
    h.retain(|(key, _)| !key.is_empty());
    h
}

pub fn render(state: &State, frame: &mut Frame, area: Rect) {
    let theme = &state.theme;
    let muted = Style::default().fg(theme.ui.muted);
    let sep = Span::styled(" │ ", Style::default().fg(theme.ui.border));
    let s = &state.status;
    let mode_color = match s.mode {
        PermissionMode::ReadOnly => theme.ui.info,
        PermissionMode::WorkspaceWrite => theme.ui.success,
        PermissionMode::DangerFullAccess => theme.ui.error,
    };
    let (act, busy) = activity(state);
    let mut left: Vec<Span> = vec![
        Span::styled(format!(" {}", if s.model.is_empty() { "no model" } else { &s.model }), Style::default().fg(theme.ui.primary)),
        sep.clone(),
        Span::styled(s.mode.to_string(), Style::default().fg(mode_color)),
        sep.clone(),
        Span::styled(format!("ctx {}", context_label(&state.cost)), muted),
    ];
    if let Some(cost) = state.cost.session_cost.filter(|_| area.width < super::SIDEBAR_MIN_WIDTH || !state.show_sidebar) {
        left.push(sep.clone());
        left.push(Span::styled(super::cost::money(Some(cost)), muted));
    }
    left.push(sep.clone());
    let act_style = if busy { Style::default().fg(theme.ui.accent).add_modifier(Modifier::BOLD) } else { muted };
    left.push(Span::styled(act, act_style));
    if let Some((text, _)) = &state.flash {
        left.push(sep.clone());
        left.push(Span::styled(text.clone(), Style::default().fg(theme.ui.info)));
    }
    let left_w: usize = left.iter().map(|s| width(&s.content)).sum();
    let place = format!(
        "{}{}",
        short_path(&s.cwd, 32),
        s.branch.as_ref().map(|b| format!(" ({b})")).unwrap_or_default()
    );
    let mut right: Vec<Span> = Vec::new();
    for (key, label) in hints(state) {
        right.push(Span::styled(key, Style::default().fg(theme.ui.accent)));
        right.push(Span::styled(format!(" {label}  "), muted));
    }
    let right_w: usize = right.iter().map(|s| width(&s.content)).sum();
    let total = area.width as usize;
    let mut spans = left;
    // The place goes in the middle when there is room; hints on the right when there is room.
    let place_w = width(&place) + 3;
    let mut used = left_w;
    if used + place_w + right_w <= total && !s.cwd.as_os_str().is_empty() {
        spans.push(sep.clone());
        spans.push(Span::styled(place, muted));
        used += place_w;
    }
    if used + right_w <= total {
        spans.push(Span::raw(" ".repeat(total - used - right_w)));
        spans.extend(right);
    }
    frame.render_widget(Paragraph::new(Line::from(spans)).style(Style::default().bg(theme.ui.panel)), area);
}
