//! Scrolling the transcript: by lines and pages, and to reveal a selected message.
//!
//! Positions are anchors (a cell and a line in it), so the view stays put while the cells
//! above or below change. Line counts come from the same cached layout the transcript is
//! drawn with ([`transcript::cell_lines`]), read here and never changed.

use crate::app::state::{Scroll, State};
use crate::ui::{self, transcript};

/// The anchor of the viewport's top line right now.
fn top_anchor(state: &State, width: usize, height: usize) -> (usize, usize) {
    let tr = &state.transcript;
    match tr.scroll {
        Scroll::At { cell, line } => (cell, line),
        Scroll::Follow => {
            let mut remaining = height;
            for i in (0..tr.cells.len()).rev() {
                let n =
                    transcript::cell_lines(&tr.cells[i], width, &state.theme, state.layout_epoch, state.now_ms).len();
                if n >= remaining {
                    return (i, n - remaining);
                }
                remaining -= n;
            }
            (0, 0)
        }
    }
}

/// Moves the viewport by `delta` lines (negative: up). Reaching the end follows again.
pub(super) fn scroll_by(state: &mut State, delta: isize) {
    let area = ui::transcript_area(state);
    let width = transcript::content_width(area.width);
    let height = area.height as usize;
    if state.transcript.cells.is_empty() {
        return;
    }
    let count = |i: usize| {
        transcript::cell_lines(&state.transcript.cells[i], width, &state.theme, state.layout_epoch, state.now_ms).len()
    };
    let (mut cell, mut line) = top_anchor(state, width, height);
    if delta < 0 {
        let mut up = delta.unsigned_abs();
        while up > 0 {
            if line >= up {
                line -= up;
                up = 0;
            } else if cell == 0 {
                line = 0;
                up = 0;
            } else {
                up -= line + 1;
                cell -= 1;
                line = count(cell) - 1;
            }
        }
        state.transcript.scroll = Scroll::At { cell, line };
    } else {
        let mut down = delta as usize;
        let n = state.transcript.cells.len();
        while down > 0 {
            let len = count(cell);
            if line + down < len {
                line += down;
                down = 0;
            } else if cell + 1 < n {
                down -= len - line;
                cell += 1;
                line = 0;
            } else {
                line = len.saturating_sub(1);
                down = 0;
            }
        }
        // Follow again when the rest fits in the viewport.
        let mut below = count(cell) - line;
        for i in cell + 1..n {
            below += count(i);
            if below > height {
                break;
            }
        }
        state.transcript.scroll = if below <= height { Scroll::Follow } else { Scroll::At { cell, line } };
    }
}

/// Scrolls so that cell `index` is in view (its top, or its end when it is below).
pub(super) fn reveal(state: &mut State, index: usize) {
    let area = ui::transcript_area(state);
    let width = transcript::content_width(area.width);
    let height = area.height as usize;
    let shown = transcript::visible(state, area);
    let first = shown.first().map(|r| r.cell);
    let last = shown.last().map(|r| r.cell);
    match (first, last) {
        (Some(f), Some(l)) if index > f && index < l => {}
        (Some(f), _) if index <= f => state.transcript.scroll = Scroll::At { cell: index, line: 0 },
        _ => {
            if index + 1 == state.transcript.cells.len() {
                state.transcript.scroll = Scroll::Follow;
                return;
            }
            // Put the cell's end at the bottom.
            let mut remaining = height;
            let mut i = index;
            loop {
                let n = transcript::cell_lines(
                    &state.transcript.cells[i],
                    width,
                    &state.theme,
                    state.layout_epoch,
                    state.now_ms,
                )
                .len();
                if n >= remaining || i == 0 {
                    state.transcript.scroll = Scroll::At { cell: i, line: n.saturating_sub(remaining) };
                    return;
                }
                remaining -= n;
                i -= 1;
            }
        }
    }
}
