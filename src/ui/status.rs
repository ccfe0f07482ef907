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
        Activity::RunningTool(t) => (format!("{spin} running {}", super::transcript::display_name(t)), true),
        Activity::WaitingApproval => ("? waiting for approval".into(), true),
        Activity::Starting => (format!("{spin} starting"), true),
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
        Some(Overlay::Trust(_)) => {
            h.push((k(Action::TrustFolder), "trust"));
            h.push((k(Action::DistrustFolder), "don't"));
            h.push((k(Action::TrustLater), "later"));
        }
        Some(Overlay::Review(_)) => {
            h.push((k(Action::DiffApply), "apply"));
            h.push((k(Action::DiffClose), "close"));
        }
        Some(Overlay::Diff(_)) => h.push((k(Action::DiffClose), "close")),
        Some(Overlay::Mcp(_)) => {
            h.push((k(Action::McpReconnect), "reconnect"));
            h.push((k(Action::McpLog), "log"));
            h.push((k(Action::McpClose), "close"));
        }
        Some(Overlay::Agents(pane)) if pane.open => {
            h.push((k(Action::AgentsUp), "scroll"));
            h.push((k(Action::AgentsClose), "back"));
        }
        Some(Overlay::Agents(_)) => {
            h.push((k(Action::AgentsOpen), "transcript"));
            h.push((k(Action::AgentsClose), "close"));
        }
        Some(Overlay::KeyTester { .. }) => h.push(("esc".into(), "close")),
        Some(Overlay::Sessions(_)) => {
            h.push((k(Action::SessionResume), "resume"));
            h.push((k(Action::SessionClose), "close"));
        }
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
    let s = &state.status;
    let mode_color = match s.mode {
        PermissionMode::Review => theme.ui.info,
        PermissionMode::WorkspaceWrite => theme.ui.success,
        PermissionMode::DangerFullAccess => theme.ui.error,
    };
    let (act, busy) = activity(state);
    let act_style = if busy { Style::default().fg(theme.ui.accent).add_modifier(Modifier::BOLD) } else { muted };
    // Segments with a priority: when the bar is too narrow, the highest numbers go first.
    let mut left: Vec<(u8, Span)> = vec![
        (
            1,
            Span::styled(
                if s.model.is_empty() { "no model".to_string() } else { s.model.clone() },
                Style::default().fg(theme.ui.primary),
            ),
        ),
        (1, Span::styled(s.mode.to_string(), Style::default().fg(mode_color))),
        // What the mode means for edits, in words, where there is room.
        (4, Span::styled(s.mode.edits(), Style::default().fg(mode_color))),
        (2, Span::styled(format!("ctx {}", context_label(&state.cost)), muted)),
    ];
    if area.width < state.sidebar_min_width || !state.show_sidebar {
        left.push((3, Span::styled(super::cost::money(state.cost.session_cost), muted)));
    }
    if !state.mcp.is_empty() {
        // "mcp 3/4": servers connected of those configured; a failed one colours it.
        let up = state.mcp.iter().filter(|v| v.status == crate::mcp::Status::Connected).count();
        let failed = state.mcp.iter().any(|v| matches!(v.status, crate::mcp::Status::Failed(_)));
        let colour = if failed { theme.ui.warning } else { theme.ui.muted };
        left.push((3, Span::styled(format!("mcp {up}/{}", state.mcp.len()), Style::default().fg(colour))));
    }
    left.push((0, Span::styled(act, act_style)));
    if let Some((text, _)) = &state.flash {
        left.push((1, Span::styled(text.clone(), Style::default().fg(theme.ui.info))));
    }
    if !s.cwd.as_os_str().is_empty() {
        let place =
            format!("{}{}", short_path(&s.cwd, 32), s.branch.as_ref().map(|b| format!(" ({b})")).unwrap_or_default());
        left.push((4, Span::styled(place, muted)));
    }
    let mut hints: Vec<Vec<Span>> = hints(state)
        .into_iter()
        .map(|(key, label)| {
            vec![Span::styled(key, Style::default().fg(theme.ui.accent)), Span::styled(format!(" {label}  "), muted)]
        })
        .collect();
    const SEP: usize = 3;
    let total = area.width as usize;
    loop {
        let lw: usize = 1 + left.iter().map(|(_, sp)| width(&sp.content) + SEP).sum::<usize>();
        let rw: usize = hints.iter().flatten().map(|sp| width(&sp.content)).sum();
        if lw + rw <= total || (left.len() <= 1 && hints.is_empty()) {
            break;
        }
        let worst = left.iter().map(|(p, _)| *p).max().unwrap_or(0);
        if !hints.is_empty() && worst <= 3 {
            hints.pop();
        } else if let Some(pos) = left.iter().rposition(|(p, _)| *p == worst) {
            left.remove(pos);
        } else {
            break;
        }
    }
    let sep = Span::styled(" │ ", Style::default().fg(theme.ui.border));
    let mut spans = vec![Span::raw(" ")];
    for (i, (_, sp)) in left.into_iter().enumerate() {
        if i > 0 {
            spans.push(sep.clone());
        }
        spans.push(sp);
    }
    let used: usize = spans.iter().map(|sp| width(&sp.content)).sum();
    let rw: usize = hints.iter().flatten().map(|sp| width(&sp.content)).sum();
    if !hints.is_empty() {
        spans.push(Span::raw(" ".repeat(total.saturating_sub(used + rw))));
        spans.extend(hints.into_iter().flatten());
    }
    frame.render_widget(Paragraph::new(Line::from(spans)).style(Style::default().bg(theme.ui.panel)), area);
}
