//! The transcript pane: cells laid out to lines, virtualized.
//!
//! Each cell's lines are cached per width (and per cell version and theme epoch), so scrolling
//! a long session lays out only the cells it passes. The viewport is an anchor (a cell and a
//! line in it) or "follow the end"; drawing walks from the anchor until the pane is full.
//! While an answer streams, its finished blocks are rendered once and only the tail again
//! ([`crate::ui::stream`]). Moving the anchor is `update`'s
//! (`app/update/scroll.rs`); this module only reads it.

use std::rc::Rc;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::diff::diff_lines;
use super::stream;
use super::theme::Theme;
use super::wrap::{wrap, wrap_hard};
use crate::app::state::*;

/// Columns left of the content: a selection bar and a space.
pub const GUTTER: u16 = 2;
/// Lines of bash output shown while collapsed.
const OUTPUT_TAIL: usize = 5;
/// Lines of a result shown while collapsed.
const RESULT_HEAD: usize = 3;
/// Diff lines shown while collapsed.
const DIFF_HEAD: usize = 24;
/// Most lines of output shown when expanded (the rest is a count).
const EXPANDED_MAX: usize = 2000;
const SPINNER: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

/// The spinner frame at `now_ms` (10 frames a second).
pub fn spinner(now_ms: u64) -> &'static str {
    SPINNER[((now_ms / 100) % SPINNER.len() as u64) as usize]
}

/// Text width of the transcript pane's content for a pane `area_width` wide.
pub fn content_width(area_width: u16) -> usize {
    area_width.saturating_sub(GUTTER + 1).max(8) as usize
}

/// The lines of a cell at `width`, ending with one blank separator line.
pub fn cell_lines(cell: &Cell, width: usize, theme: &Theme, epoch: u64, now_ms: u64) -> Rc<Vec<Line<'static>>> {
    if cell.is_live() {
        return Rc::new(layout(cell, width, theme, now_ms));
    }
    let mut cache = cell.layout.borrow_mut();
    if cache.width as usize == width && cache.version == cell.version && cache.epoch == epoch {
        return cache.lines.clone();
    }
    if let CellKind::Assistant { text, streaming: true } = &cell.kind {
        // Laid out in place: the finished blocks stay, the tail is replaced.
        let lines = Rc::make_mut(&mut cache.lines);
        stream::layout(&mut cell.stream.borrow_mut(), lines, text, width.saturating_sub(2), theme, epoch);
    } else {
        cache.lines = Rc::new(layout(cell, width, theme, now_ms));
    }
    cache.width = width as u16;
    cache.version = cell.version;
    cache.epoch = epoch;
    cache.lines.clone()
}

fn plain_lines(
    text: &str,
    width: usize,
    style: Style,
    first: Vec<Span<'static>>,
    rest: Vec<Span<'static>>,
) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    for (i, l) in text.split('\n').enumerate() {
        let lead = if i == 0 { &first } else { &rest };
        out.extend(wrap(&[Span::styled(l.to_string(), style)], width, lead, &rest));
    }
    out
}

fn layout(cell: &Cell, width: usize, theme: &Theme, now_ms: u64) -> Vec<Line<'static>> {
    let t = &theme.transcript;
    let muted = Style::default().fg(theme.ui.muted);
    let indent = || vec![Span::raw("  ")];
    let mut lines: Vec<Line<'static>> = match &cell.kind {
        CellKind::User { text } => plain_lines(
            text,
            width,
            Style::default().fg(t.user),
            vec![Span::styled("› ", Style::default().fg(t.user_marker).add_modifier(Modifier::BOLD))],
            indent(),
        ),
        CellKind::Assistant { text, .. } => {
            // A streamed answer, finished: its code blocks were highlighted while it streamed.
            let mut memo = std::mem::take(&mut *cell.stream.borrow_mut()).memo;
            stream::finished(text, width.saturating_sub(2), theme, Some(&mut memo))
        }
        CellKind::Thinking { text, streaming } => {
            let style = Style::default().fg(t.thinking).add_modifier(Modifier::ITALIC);
            let head = if *streaming { "✻ Thinking…" } else { "✻ Thought" };
            if cell.expanded {
                let mut out = vec![Line::from(Span::styled(head, style))];
                out.extend(plain_lines(text, width, style, indent(), indent()));
                out
            } else {
                let last = text.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or_default();
                let mut snippet: String = last.chars().take(width.saturating_sub(14)).collect();
                if snippet.len() < last.len() {
                    snippet.push('…');
                }
                vec![Line::from(vec![Span::styled(format!("{head} "), style), Span::styled(snippet, muted)])]
            }
        }
        CellKind::Tool(tool) => tool_lines(tool, cell.expanded, width, theme, now_ms),
        CellKind::Notice { level, text } => {
            let (mark, color) = match level {
                NoticeLevel::Info => ("ℹ ", theme.ui.info),
                NoticeLevel::Warning => ("! ", theme.ui.warning),
                NoticeLevel::Error => ("✗ ", theme.ui.error),
            };
            plain_lines(
                text,
                width,
                Style::default().fg(color),
                vec![Span::styled(mark, Style::default().fg(color))],
                indent(),
            )
        }
        CellKind::Welcome => welcome(width, theme),
    };
    lines.push(Line::default());
    lines
}

fn welcome(width: usize, theme: &Theme) -> Vec<Line<'static>> {
    let head = Style::default().fg(theme.markdown.heading).add_modifier(Modifier::BOLD);
    let text = Style::default().fg(theme.ui.text);
    let code = Style::default().fg(theme.markdown.code);
    let muted = Style::default().fg(theme.ui.muted);
    let para = |out: &mut Vec<Line<'static>>, s: &str, style: Style, indent: &'static str| {
        out.extend(wrap(&[Span::styled(s.to_string(), style)], width, &[Span::raw(indent)], &[Span::raw(indent)]));
    };
    let mut out = vec![Line::from(Span::styled("Welcome to claw-tui", head)), Line::default()];
    para(
        &mut out,
        "No API key is configured yet. To talk to a model, type /login to log in with your Anthropic account, or set a key and start claw-tui again:",
        text,
        "",
    );
    out.push(Line::default());
    para(&mut out, "export ANTHROPIC_API_KEY=sk-ant-...", code, "    ");
    para(
        &mut out,
        "(or ANTHROPIC_AUTH_TOKEN for a bearer token; ANTHROPIC_BASE_URL for a gateway; ANTHROPIC_MODEL to pick the model; the same settings can live in ~/.claw/config.toml; other providers, local ones included: --provider, see docs/providers.md)",
        muted,
        "    ",
    );
    out.push(Line::default());
    para(
        &mut out,
        "Type /demo and press Enter to watch the offline demo: a scripted model working with the real tools in a scratch directory, nothing of yours touched.",
        text,
        "",
    );
    out
}

/// A tool's name as a cell shows it: an MCP tool as `server › tool`.
pub fn display_name(tool: &str) -> String {
    match tool.strip_prefix(crate::mcp::PREFIX).and_then(|rest| rest.split_once("__")) {
        Some((server, name)) => format!("{server} › {name}"),
        None => tool.to_string(),
    }
}

fn tool_lines(tool: &ToolCell, expanded: bool, width: usize, theme: &Theme, now_ms: u64) -> Vec<Line<'static>> {
    let tr = &theme.transcript;
    let muted = Style::default().fg(theme.ui.muted);
    let (mark, mark_style, time) = match tool.status {
        ToolStatus::Running { started_ms } => {
            (spinner(now_ms), Style::default().fg(tr.tool_running), format_secs(now_ms.saturating_sub(started_ms)))
        }
        ToolStatus::Waiting { .. } => ("?", Style::default().fg(theme.ui.warning), "waiting for approval".into()),
        ToolStatus::Done { is_error: false, elapsed_ms } => {
            ("●", Style::default().fg(tr.tool_success), format_secs(elapsed_ms))
        }
        ToolStatus::Done { is_error: true, elapsed_ms } => {
            ("●", Style::default().fg(tr.tool_error), format_secs(elapsed_ms))
        }
    };
    let header = vec![
        Span::styled(format!("{mark} "), mark_style),
        Span::styled(display_name(&tool.tool), Style::default().fg(tr.tool).add_modifier(Modifier::BOLD)),
        Span::raw(" "),
        Span::styled(tool.summary.clone(), Style::default().fg(theme.ui.text)),
        Span::styled(format!("  {time}"), muted),
    ];
    let mut out = wrap(&header, width, &[], &[Span::raw("  ")]);
    let first = vec![Span::styled("  ⎿ ", muted)];
    let rest = vec![Span::raw("    ")];
    let body_w = width;
    let is_error = matches!(tool.status, ToolStatus::Done { is_error: true, .. });

    if let Some(diff) = &tool.diff {
        let max = if expanded { None } else { Some(DIFF_HEAD) };
        out.extend(diff_lines(diff, theme, body_w, "    ", max));
        if !expanded || !is_error {
            return out;
        }
    }
    // A command's output; any other tool's progress while it runs (an MCP server's).
    let output_source = if !tool.output.is_empty() && ((tool.tool == "bash" && !is_error) || tool.result.is_none()) {
        Some(tool.output.as_str())
    } else {
        None
    };
    let (text, style) = match (&tool.result, output_source) {
        (_, Some(output)) => (output.trim_end().to_string(), muted),
        (Some(result), None) => {
            let style = if is_error { Style::default().fg(tr.tool_error) } else { muted };
            let text = match tool.tool.as_str() {
                "read_file" if !is_error && !expanded => {
                    format!("Read {} lines", result.lines().filter(|l| l.contains('\t')).count())
                }
                _ => result.trim_end().to_string(),
            };
            (text, style)
        }
        (None, None) if tool.tool == "bash" => (tool.output.trim_end().to_string(), muted),
        (None, None) => return out,
    };
    if text.is_empty() {
        return out;
    }
    let all: Vec<&str> = text.lines().collect();
    let (shown, hidden_note): (Vec<&str>, Option<String>) = if expanded {
        let n = all.len().min(EXPANDED_MAX);
        (all[..n].to_vec(), (all.len() > n).then(|| format!("… {} more lines", all.len() - n)))
    } else if tool.tool == "bash" && !is_error {
        let start = all.len().saturating_sub(OUTPUT_TAIL);
        (
            all[start..].to_vec(),
            (start > 0).then(|| format!("… {start} earlier lines (select and press enter to expand)")),
        )
    } else {
        let n = all.len().min(if is_error { 6 } else { RESULT_HEAD });
        (all[..n].to_vec(), (all.len() > n).then(|| format!("… {} more lines", all.len() - n)))
    };
    let mut first_line = true;
    if let Some(note) = hidden_note.as_ref().filter(|_| tool.tool == "bash" && !expanded && !is_error) {
        out.push(Line::from(vec![first[0].clone(), Span::styled(note.clone(), muted)]));
        first_line = false;
    }
    for line in shown {
        let lead = if first_line { &first } else { &rest };
        out.extend(wrap_hard(&[Span::styled(line.to_string(), style)], body_w, lead, &rest));
        first_line = false;
    }
    if let Some(note) = hidden_note.filter(|_| !(tool.tool == "bash" && !expanded && !is_error)) {
        out.push(Line::from(vec![Span::raw("    "), Span::styled(note, muted)]));
    }
    out
}

pub fn format_secs(ms: u64) -> String {
    if ms < 1000 {
        format!("{ms}ms")
    } else if ms < 60_000 {
        format!("{:.1}s", ms as f64 / 1000.0)
    } else {
        format!("{}m{:02}s", ms / 60_000, (ms / 1000) % 60)
    }
}

/// One row of the viewport: line `line` of cell `cell`'s laid-out lines.
pub struct Row {
    pub cell: usize,
    lines: Rc<Vec<Line<'static>>>,
    line: usize,
}

impl Row {
    pub fn line(&self) -> &Line<'static> {
        &self.lines[self.line]
    }
}

/// The rows the viewport shows, top down. Lines are not copied: each row holds its cell's
/// laid-out lines (shared with the cell's cache).
pub fn visible(state: &State, area: Rect) -> Vec<Row> {
    let width = content_width(area.width);
    let height = area.height as usize;
    let tr = &state.transcript;
    let lines_of = |i: usize| cell_lines(&tr.cells[i], width, &state.theme, state.layout_epoch, state.now_ms);
    let from_end = || {
        let mut out: Vec<Row> = Vec::new();
        for i in (0..tr.cells.len()).rev() {
            let lines = lines_of(i);
            for line in (0..lines.len()).rev() {
                out.push(Row { cell: i, lines: lines.clone(), line });
                if out.len() >= height {
                    break;
                }
            }
            if out.len() >= height {
                break;
            }
        }
        out.reverse();
        out
    };
    match tr.scroll {
        Scroll::Follow => from_end(),
        Scroll::At { cell, line: first } => {
            let mut out = Vec::new();
            let mut skip = first;
            for i in cell.min(tr.cells.len())..tr.cells.len() {
                let lines = lines_of(i);
                for line in 0..lines.len() {
                    if skip > 0 {
                        skip -= 1;
                        continue;
                    }
                    out.push(Row { cell: i, lines: lines.clone(), line });
                    if out.len() >= height {
                        return out;
                    }
                }
            }
            // Scrolled past the end: show the end.
            if out.len() < height { from_end() } else { out }
        }
    }
}

pub fn render(state: &State, frame: &mut Frame, area: Rect) {
    let theme = &state.theme;
    let selected = state.transcript.selected.filter(|_| state.focus == Focus::Transcript);
    let bar = Style::default().fg(theme.ui.accent);
    let buf = frame.buffer_mut();
    // Each line straight into the buffer, after its two-column gutter (the selection's bar).
    for (row, y) in visible(state, area).iter().zip(area.y..area.bottom()) {
        let line = row.line();
        let mark = if Some(row.cell) == selected && !line.spans.is_empty() { "▌ " } else { "  " };
        let (x, _) = buf.set_stringn(area.x, y, mark, area.width as usize, bar);
        buf.set_line(x, y, line, area.right().saturating_sub(x));
    }
    if !matches!(state.transcript.scroll, Scroll::Follow) {
        let hint =
            format!(" ↓ more below · {} to follow ", state.keymap.hint(crate::app::keymap::Action::ScrollBottom));
        let w = super::wrap::width(&hint) as u16;
        if area.width > w + 2 && area.height > 1 {
            let r = Rect { x: area.x + area.width - w - 1, y: area.y + area.height - 1, width: w, height: 1 };
            frame.render_widget(
                Paragraph::new(Span::styled(hint, Style::default().fg(theme.ui.muted).bg(theme.ui.panel))),
                r,
            );
        }
    }
}
