//! The order a frame's changed cells are written in: one colour at a time.
//!
//! A change of colour (an SGR sequence, 5 to 20 bytes) costs more than a cursor move (3 to 8).
//! Written in reading order, highlighted code changes colour at every token, and a side pane
//! repaired after a scroll at every border. Written one pen at a time (each run of cells that
//! pen draws, then the next pen) a frame changes colour once per pen it uses and moves the
//! cursor between runs instead. [`super::screen::Screen`] writes each frame both ways and sends
//! the shorter, so this order is only taken where it saves bytes.

use std::io::Write;

use ratatui::buffer::{Buffer, Cell};
use ratatui::style::{Color, Modifier};

use super::screen::symbol_width;

/// The terminal's current colours and attributes (the "pen").
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Pen {
    pub(super) fg: Color,
    pub(super) bg: Color,
    pub(super) underline: Color,
    pub(super) modifier: Modifier,
}

impl Pen {
    pub(super) const RESET: Pen =
        Pen { fg: Color::Reset, bg: Color::Reset, underline: Color::Reset, modifier: Modifier::empty() };

    pub(super) fn of(cell: &Cell) -> Pen {
        Pen { fg: cell.fg, bg: cell.bg, underline: cell.underline_color, modifier: cell.modifier }
    }
}

/// Attributes a blank cell shows (the others need a glyph to be seen).
pub(super) const VISIBLE_ON_BLANK: Modifier = Modifier::REVERSED
    .union(Modifier::UNDERLINED)
    .union(Modifier::SLOW_BLINK)
    .union(Modifier::RAPID_BLINK)
    .union(Modifier::CROSSED_OUT);

/// Whether a cell is a space that shows only its background.
pub(super) fn is_plain_blank(cell: &Cell) -> bool {
    cell.symbol() == " " && !cell.modifier.intersects(VISIBLE_ON_BLANK)
}

/// `cell`, with what a blank does not show (its foreground, bold, italic...) taken away, so
/// blanks that look alike compare equal and are not written again.
pub(super) fn blank_normalized(cell: &Cell) -> Cell {
    let mut cell = cell.clone();
    if is_plain_blank(&cell) {
        normalize_blank(&mut cell);
    }
    cell
}

/// Takes from a plain blank what it does not show, in place.
pub(super) fn normalize_blank(cell: &mut Cell) {
    cell.fg = Color::Reset;
    cell.underline_color = Color::Reset;
    cell.modifier = Modifier::empty();
}

/// Writes the SGR parameters of a colour and a `;`; `base` is 30 (foreground), 40
/// (background) or 50 (underline: only its extended forms, 58, exist).
pub(super) fn color(out: &mut Vec<u8>, c: Color, base: u8) {
    let ext = base + 8;
    let _ = match c {
        Color::Reset => write!(out, "{};", base + 9),
        Color::Black => write!(out, "{base};"),
        Color::Red => write!(out, "{};", base + 1),
        Color::Green => write!(out, "{};", base + 2),
        Color::Yellow => write!(out, "{};", base + 3),
        Color::Blue => write!(out, "{};", base + 4),
        Color::Magenta => write!(out, "{};", base + 5),
        Color::Cyan => write!(out, "{};", base + 6),
        Color::Gray => write!(out, "{};", base + 7),
        Color::DarkGray => write!(out, "{};", base + 60),
        Color::LightRed => write!(out, "{};", base + 61),
        Color::LightGreen => write!(out, "{};", base + 62),
        Color::LightYellow => write!(out, "{};", base + 63),
        Color::LightBlue => write!(out, "{};", base + 64),
        Color::LightMagenta => write!(out, "{};", base + 65),
        Color::LightCyan => write!(out, "{};", base + 66),
        Color::White => write!(out, "{};", base + 67),
        Color::Indexed(i) => write!(out, "{ext};5;{i};"),
        Color::Rgb(r, g, b) => write!(out, "{ext};2;{r};{g};{b};"),
    };
}

/// Changed cells of one row, side by side, drawn with one pen: `changes[cells]`.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Run {
    pub(super) y: u16,
    pub(super) cells: std::ops::Range<usize>,
    /// The pen; `None` for a run of plain blanks, which any pen with their background draws.
    pub(super) pen: Option<Pen>,
    bg: Color,
    /// The column after the run's last cell.
    end: u16,
    /// Whether the run holds plain blanks.
    blanks: bool,
}

impl Run {
    /// Whether `pen` draws the run's blanks as they should look: their background, and nothing
    /// that shows on a blank (reverse, underline...).
    fn blanks_fit(&self, pen: &Pen) -> bool {
        pen.bg == self.bg && !pen.modifier.intersects(VISIBLE_ON_BLANK)
    }
}

/// The changed cells (`(x, y)` in reading order) as runs: side by side in a row, one pen.
pub(super) fn runs(changes: &[(u16, u16)], frame: &Buffer) -> Vec<Run> {
    let mut out: Vec<Run> = Vec::new();
    for (i, &(x, y)) in changes.iter().enumerate() {
        let cell = &frame[(x, y)];
        let width = symbol_width(cell).max(1) as u16;
        let blank = is_plain_blank(cell);
        if let Some(run) = out.last_mut().filter(|r| r.y == y && r.end == x) {
            let fits = if blank {
                run.bg == cell.bg && run.pen.is_none_or(|p| run.blanks_fit(&p))
            } else {
                let pen = Pen::of(cell);
                match run.pen {
                    Some(p) => p == pen,
                    None => run.bg == pen.bg && !pen.modifier.intersects(VISIBLE_ON_BLANK),
                }
            };
            if fits {
                if !blank {
                    run.pen = Some(Pen::of(cell));
                }
                run.blanks |= blank;
                run.cells.end = i + 1;
                run.end = x + width;
                continue;
            }
        }
        let pen = (!blank).then(|| Pen::of(cell));
        out.push(Run { y, cells: i..i + 1, pen, bg: cell.bg, end: x + width, blanks: blank });
    }
    out
}

/// The runs grouped by pen: first those of `current` (no change of colour to start), then each
/// other pen in the order it first appears, runs in reading order within a group. A run of
/// blanks goes with the first group whose pen draws it, or makes a group of its own.
pub(super) fn by_pen(runs: Vec<Run>, current: Pen) -> Vec<Run> {
    let mut pens: Vec<Pen> = Vec::new();
    if runs.iter().any(|r| r.pen == Some(current)) {
        pens.push(current);
    }
    for run in &runs {
        if let Some(p) = run.pen
            && !pens.contains(&p)
        {
            pens.push(p);
        }
    }
    let mut groups: Vec<(Option<Pen>, Color, Vec<Run>)> = pens.iter().map(|p| (Some(*p), p.bg, Vec::new())).collect();
    for run in runs {
        let group = match run.pen {
            Some(p) => groups.iter().position(|g| g.0 == Some(p)),
            None => groups.iter().position(|g| g.0.map_or(g.1 == run.bg, |p| run.blanks_fit(&p))),
        };
        match group {
            Some(i) => groups[i].2.push(run),
            None => groups.push((None, run.bg, vec![run])),
        }
    }
    // A run whose blanks its own pen cannot draw (underlined text beside blanks) never forms:
    // `runs` keeps such cells apart. Checked here in debug builds.
    debug_assert!(groups.iter().flat_map(|g| &g.2).all(|r| r.pen.is_none_or(|p| !r.blanks || r.blanks_fit(&p))));
    groups.into_iter().flat_map(|g| g.2).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::layout::Rect;
    use ratatui::style::{Modifier, Style};

    #[test]
    fn runs_split_at_pens_and_group_by_pen() {
        let mut buf = Buffer::empty(Rect::new(0, 0, 12, 2));
        let red = Style::default().fg(Color::Red);
        let blue = Style::default().fg(Color::Blue);
        buf.set_string(0, 0, "ab", red);
        buf.set_string(3, 0, "cd", blue);
        buf.set_string(5, 0, "ef", red);
        // Underlined text: a blank beside it is not drawn with its pen (the line would show).
        buf.set_string(0, 1, "gh", blue.add_modifier(Modifier::UNDERLINED));
        let changes: Vec<(u16, u16)> = (0..7).map(|x| (x, 0)).chain((0..4).map(|x| (x, 1))).collect();
        let runs = runs(&changes, &buf);
        // "ab" and the blank after it share a run (the blank takes any pen with its background).
        let xs: Vec<(u16, std::ops::Range<usize>)> = runs.iter().map(|r| (r.y, r.cells.clone())).collect();
        assert_eq!(xs, [(0, 0..3), (0, 3..5), (0, 5..7), (1, 7..9), (1, 9..11)]);
        let current = Pen::of(&buf[(3, 0)]);
        let ordered = by_pen(runs, current);
        let order: Vec<(u16, u16)> = ordered.iter().map(|r| (r.y, changes[r.cells.start].0)).collect();
        assert_eq!(
            order,
            [(0, 3), (1, 2), (0, 0), (0, 5), (1, 0)],
            "blue first (the pen now, the blanks with it), then red"
        );
    }
}
