//! Pure rendering: `render(&State, &mut Frame)`. Panes are functions of the state and a
//! rectangle; nothing here changes the state (cell layout caches are memos, not state).

pub mod agents;
pub mod approval;
pub mod composer;
pub mod cost;
pub mod diff;
pub mod diffview;
pub mod help;
pub mod highlight;
pub mod hunks;
pub mod markdown;
pub mod mcp;
pub mod palette;
pub mod review;
pub mod sessions;
pub mod status;
pub mod stream;
pub mod theme;
pub mod todo;
pub mod transcript;
pub mod trust;
pub mod wrap;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::widgets::Block;

use crate::app::state::{Overlay, State};

/// Terminals at least this wide get the side column, unless the config says otherwise.
pub use crate::config::DEFAULT_SIDEBAR_MIN_WIDTH as SIDEBAR_MIN_WIDTH;
/// Width of the side column.
pub const SIDEBAR_WIDTH: u16 = 30;
/// Most lines the composer grows to.
pub const COMPOSER_MAX_LINES: u16 = 8;
/// Most todo lines shown above the composer when there is no side column.
pub const INLINE_TODO_MAX: u16 = 5;

/// Where each pane goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Areas {
    pub transcript: Rect,
    pub side: Option<Rect>,
    pub inline_todo: Option<Rect>,
    pub composer: Rect,
    pub status: Rect,
}

/// Splits `area` into panes. Nothing here panics on any size, down to 1×1.
pub fn layout(state: &State, area: Rect) -> Areas {
    let status_h = u16::from(area.height >= 2);
    let text_lines = state.composer.textarea.lines().len().clamp(1, COMPOSER_MAX_LINES as usize) as u16;
    let queued = state.queued.len().min(3) as u16;
    let composer_h = (text_lines + 2 + queued).min(area.height.saturating_sub(status_h));
    let side_ok = state.show_sidebar && area.width >= state.sidebar_min_width;
    let todo_inline_h = if !side_ok && state.show_todos && !state.todos.is_empty() {
        (state.todos.len() as u16 + 1).min(INLINE_TODO_MAX + 1)
    } else {
        0
    };
    let above = area.height.saturating_sub(status_h + composer_h);
    let todo_inline_h = todo_inline_h.min(above.saturating_sub(3));
    let main_h = above - todo_inline_h;
    let (main_w, side) = if side_ok {
        let w = area.width - SIDEBAR_WIDTH;
        (w, Some(Rect { x: area.x + w, y: area.y, width: SIDEBAR_WIDTH, height: main_h }))
    } else {
        (area.width, None)
    };
    Areas {
        transcript: Rect { x: area.x, y: area.y, width: main_w, height: main_h },
        side,
        inline_todo: (todo_inline_h > 0).then_some(Rect {
            x: area.x,
            y: area.y + main_h,
            width: area.width,
            height: todo_inline_h,
        }),
        composer: Rect { x: area.x, y: area.y + main_h + todo_inline_h, width: area.width, height: composer_h },
        status: Rect { x: area.x, y: area.y + area.height - status_h, width: area.width, height: status_h },
    }
}

/// The transcript pane for the current terminal size.
pub fn transcript_area(state: &State) -> Rect {
    layout(state, Rect { x: 0, y: 0, width: state.size.0, height: state.size.1 }).transcript
}

/// Sets the colours of every cell of `area` (what a styled Block does, without its per-cell
/// indexing: this runs over the whole screen every frame).
fn paint(buf: &mut ratatui::buffer::Buffer, area: Rect, fg: Color, bg: Color) {
    let width = buf.area.width as usize;
    for y in area.top()..area.bottom() {
        let start = (y - buf.area.y) as usize * width + (area.x - buf.area.x) as usize;
        for cell in &mut buf.content[start..start + area.width as usize] {
            cell.fg = fg;
            cell.bg = bg;
        }
    }
}

pub fn render(state: &State, frame: &mut Frame) {
    let area = frame.area();
    if area.width == 0 || area.height == 0 {
        return;
    }
    let theme = &state.theme;
    paint(frame.buffer_mut(), area, theme.ui.text, theme.ui.background);
    let a = layout(state, area);
    transcript::render(state, frame, a.transcript);
    if let Some(side) = a.side {
        render_side(state, frame, side);
    }
    if let Some(r) = a.inline_todo {
        todo::render_inline(state, frame, r);
    }
    composer::render(state, frame, a.composer);
    if a.status.height > 0 {
        status::render(state, frame, a.status);
    }
    composer::render_completions(state, frame, a.transcript);
    // Modals, bottom up.
    for overlay in &state.overlays {
        match overlay {
            Overlay::Approval(m) => approval::render(state, m, frame, area),
            Overlay::Picker(p) => palette::render(state, p, frame, area),
            Overlay::Help { scroll } => help::render(state, *scroll, frame, area),
            Overlay::KeyTester { last } => help::render_tester(state, last.as_deref(), frame, area),
            Overlay::Sessions(b) => sessions::render(state, b, frame, area),
            Overlay::Review(r) => review::render(state, r, frame, area),
            Overlay::Diff(v) => diffview::render(state, v, frame, area),
            Overlay::Trust(q) => trust::render(state, q, frame, area),
            Overlay::Mcp(p) => mcp::render(state, p, frame, area),
            Overlay::Agents(p) => agents::render(state, p, frame, area),
        }
    }
}

fn render_side(state: &State, frame: &mut Frame, area: Rect) {
    let todo_h = if state.show_todos && !state.todos.is_empty() {
        (state.todos.len() as u16 + 2).min(area.height / 2)
    } else {
        0
    };
    if todo_h > 0 {
        todo::render_box(state, frame, Rect { height: todo_h, ..area });
    }
    let agents_h = agents::box_height(state).min((area.height - todo_h) / 2);
    if agents_h > 2 {
        agents::render_box(state, frame, Rect { y: area.y + todo_h, height: agents_h, ..area });
    }
    let used = todo_h + if agents_h > 2 { agents_h } else { 0 };
    let rest = Rect { y: area.y + used, height: area.height - used, ..area };
    cost::render(state, frame, rest);
}

/// The frame of a dialog: rounded border in `border`, the panel background, a bold title in
/// the accent colour.
pub fn dialog_block(theme: &theme::Theme, title: String, border: ratatui::style::Color) -> Block<'static> {
    use ratatui::style::Modifier;
    use ratatui::text::Span;
    use ratatui::widgets::{BorderType, Borders};
    Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Rounded)
        .border_style(Style::default().fg(border))
        .style(Style::default().bg(theme.ui.panel))
        .title(Span::styled(title, Style::default().fg(theme.ui.accent).add_modifier(Modifier::BOLD)))
}

/// A rectangle of at most `w`×`h` centred in `area`.
pub fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect { x: area.x + (area.width - w) / 2, y: area.y + (area.height - h) / 2, width: w, height: h }
}
