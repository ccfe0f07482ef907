//! The terminal backend: what ratatui draws, written in as few bytes as the screen allows.
//!
//! ratatui hands over the cells that changed since its last frame. [`Screen`] keeps two copies
//! of the screen: the frame ratatui believes is shown, and what the terminal really shows. At
//! the end of a frame it compares them itself, which lets it do what a cell diff cannot:
//!
//! - **scroll**: when rows of the new frame are rows of the shown one moved up (an answer
//!   streaming while the transcript follows its end), the terminal scrolls them (a scroll
//!   region and SU) and only the new rows and what scrolled along wrongly (a side pane's
//!   border) are written, instead of every row of the pane;
//! - **short sequences**: one SGR per change of style naming only what changed, relative
//!   cursor moves, small gaps filled with the cells themselves;
//! - **one write per frame**, inside a synchronized update, and none when nothing changed.
//!
//! Correctness never rests on the scroll guess: after scrolling, the shown copy is shifted the
//! same way and the diff repairs every cell that differs from the frame.

use std::io::{self, Write};

use ratatui::backend::{Backend, ClearType, WindowSize};
use ratatui::buffer::{Buffer, Cell, CellDiffOption};
use ratatui::layout::{Position, Rect, Size};
use ratatui::style::{Color, Modifier};
use ratatui::{Frame, Terminal};
use std::cmp::Ordering;

use unicode_width::UnicodeWidthStr;

use super::paint::{Pen, VISIBLE_ON_BLANK, blank_normalized, color, is_plain_blank, normalize_blank};

/// Fewest rows a scroll must save for it to be worth its escape sequences.
const MIN_SCROLL_ROWS: usize = 3;
/// Gaps between changed cells up to this wide are filled by writing the cells again rather than
/// moving the cursor.
const MAX_FILL: u16 = 4;

/// A ratatui backend writing to `out` (the terminal) with the economies above.
pub struct Screen<W: Write> {
    out: W,
    /// Bytes of the frame being written.
    buf: Vec<u8>,
    /// The screen as ratatui believes it is (its last frame plus the changes it sent).
    frame: Buffer,
    /// The screen as the terminal shows it.
    shown: Buffer,
    /// Where the terminal's cursor is, when known.
    cursor: Option<Position>,
    pen: Pen,
    /// The cursor ratatui asked for at the end of the frame: shown at a place, or hidden.
    wanted_cursor: Option<Position>,
    cursor_visible: bool,
    /// Whether the terminal shows its cursor now; None when unknown (after a clear, which
    /// follows a suspension that may have changed it).
    terminal_cursor_visible: Option<bool>,
    /// What the terminal shows is unknown (first frame, a clear): the next frame clears it.
    unknown: bool,
    /// The size to report; None asks the terminal.
    fixed_size: Option<Size>,
    /// Hashes of the rows of `frame` and of `shown` (see [`RowHash`]); keyed per process, so
    /// no text can be made to collide.
    frame_rows: Vec<RowHash>,
    shown_rows: Vec<RowHash>,
    hasher: foldhash::fast::RandomState,
}

/// A row's content in two hashes: its left half (where the transcript is, compared when
/// looking for a scroll) and all of it (rows whose hash is unchanged are not compared cell by
/// cell).
#[derive(Clone, Copy, PartialEq, Default)]
struct RowHash {
    left: u64,
    full: u64,
    /// Whether the left half is all plain blanks (not worth scrolling).
    blank_left: bool,
}

impl<W: Write> Screen<W> {
    /// A backend for the real terminal, whose size is asked of it.
    pub fn new(out: W) -> Screen<W> {
        Screen::with_size(out, None)
    }

    /// A backend of a fixed size (tests).
    pub fn with_size(out: W, fixed_size: Option<Size>) -> Screen<W> {
        Screen {
            out,
            buf: Vec::with_capacity(64 * 1024),
            frame: Buffer::empty(Rect::ZERO),
            shown: Buffer::empty(Rect::ZERO),
            cursor: None,
            pen: Pen::RESET,
            wanted_cursor: None,
            cursor_visible: true,
            terminal_cursor_visible: None,
            unknown: true,
            fixed_size,
            frame_rows: Vec::new(),
            shown_rows: Vec::new(),
            hasher: foldhash::fast::RandomState::default(),
        }
    }

    /// The writer (tests read what was written).
    pub fn writer(&self) -> &W {
        &self.out
    }

    /// Both copies at `size`, blank: what a cleared terminal shows.
    fn blank(&mut self, size: Size) {
        let area = Rect::new(0, 0, size.width, size.height);
        self.frame = Buffer::empty(area);
        self.shown = Buffer::empty(area);
    }

    fn csi(&mut self, body: std::fmt::Arguments<'_>) {
        self.buf.extend_from_slice(b"\x1b[");
        let _ = self.buf.write_fmt(body);
    }

    /// Moves the cursor to `to` in the fewest bytes: absolutely, or from where it is (down with
    /// line feeds or CUD, up with CUU, then along the row with CR, CUF or CUB). The terminal is
    /// in raw mode, so a line feed keeps the column; the cursor never goes below the last row,
    /// so a line feed never scrolls.
    fn move_to(&mut self, to: Position) {
        let Some(at) = self.cursor else {
            self.csi(format_args!("{};{}H", to.y + 1, to.x + 1));
            self.cursor = Some(to);
            return;
        };
        if at == to {
            return;
        }
        // Lengths first (a CSI with a count is 3 bytes and its digits; 1 goes without a count),
        // then only the shortest way is written.
        let step = |n: u16| if n == 1 { 3 } else { 3 + digits(n) };
        let vertical = match to.y.cmp(&at.y) {
            Ordering::Greater if to.y - at.y <= 3 => (to.y - at.y) as usize,
            Ordering::Greater => step(to.y - at.y),
            Ordering::Less => step(at.y - to.y),
            Ordering::Equal => 0,
        };
        // Along the row: 0 none, 1 forward, 2 back, 3 carriage return then forward.
        let (way, along) = match to.x.cmp(&at.x) {
            Ordering::Equal => (0, 0),
            Ordering::Greater => (1, step(to.x - at.x)),
            Ordering::Less if to.x == 0 => (3, 1),
            Ordering::Less if step(at.x - to.x) <= 1 + step(to.x) => (2, step(at.x - to.x)),
            Ordering::Less => (3, 1 + step(to.x)),
        };
        let absolute = 4 + digits(to.y + 1) + digits(to.x + 1);
        if vertical + along >= absolute {
            self.csi(format_args!("{};{}H", to.y + 1, to.x + 1));
            self.cursor = Some(to);
            return;
        }
        match to.y.cmp(&at.y) {
            Ordering::Greater if to.y - at.y <= 3 => {
                self.buf.extend(std::iter::repeat_n(b'\n', (to.y - at.y) as usize))
            }
            Ordering::Greater => self.cursor_step(to.y - at.y, 'B'),
            Ordering::Less => self.cursor_step(at.y - to.y, 'A'),
            Ordering::Equal => {}
        }
        match way {
            1 => self.cursor_step(to.x - at.x, 'C'),
            2 => self.cursor_step(at.x - to.x, 'D'),
            3 => {
                self.buf.push(b'\r');
                if to.x > 0 {
                    self.cursor_step(to.x, 'C');
                }
            }
            _ => {}
        }
        self.cursor = Some(to);
    }

    /// CUU, CUD, CUF or CUB by `n` (no count for one).
    fn cursor_step(&mut self, n: u16, code: char) {
        if n == 1 { self.csi(format_args!("{code}")) } else { self.csi(format_args!("{n}{code}")) }
    }

    /// Sets the pen to `to` with one SGR sequence naming only what changed.
    fn set_pen(&mut self, to: Pen) {
        if self.pen == to {
            return;
        }
        // Parameters written straight into the frame's bytes, each followed by `;` (the last
        // one's becomes the `m`).
        self.buf.extend_from_slice(b"\x1b[");
        let from = if self.pen.modifier.difference(to.modifier).is_empty() {
            self.pen
        } else {
            // An attribute goes away: start from nothing (shorter than the undo codes, which
            // also tie bold to dim).
            self.buf.extend_from_slice(b"0;");
            Pen::RESET
        };
        for (m, code) in [
            (Modifier::BOLD, "1"),
            (Modifier::DIM, "2"),
            (Modifier::ITALIC, "3"),
            (Modifier::UNDERLINED, "4"),
            (Modifier::SLOW_BLINK, "5"),
            (Modifier::RAPID_BLINK, "6"),
            (Modifier::REVERSED, "7"),
            (Modifier::HIDDEN, "8"),
            (Modifier::CROSSED_OUT, "9"),
        ] {
            if to.modifier.contains(m) && !from.modifier.contains(m) {
                self.buf.extend_from_slice(code.as_bytes());
                self.buf.push(b';');
            }
        }
        if to.fg != from.fg {
            color(&mut self.buf, to.fg, 30);
        }
        if to.bg != from.bg {
            color(&mut self.buf, to.bg, 40);
        }
        if to.underline != from.underline {
            match to.underline {
                Color::Reset => self.buf.extend_from_slice(b"59;"),
                c => color(&mut self.buf, c, 50),
            }
        }
        match self.buf.last_mut() {
            Some(last) if *last == b';' => *last = b'm',
            _ => self.buf.push(b'm'),
        }
        self.pen = to;
    }

    /// The pen that draws `cell`: its own, or for a plain blank the current one with the
    /// blank's background (a blank's foreground and bold do not show).
    fn pen_for(&self, cell: &Cell) -> Pen {
        if is_plain_blank(cell) {
            Pen { bg: cell.bg, modifier: self.pen.modifier.difference(VISIBLE_ON_BLANK), ..self.pen }
        } else {
            Pen::of(cell)
        }
    }

    /// The hashes of every row of `buf`.
    fn row_hashes(&self, buf: &Buffer) -> Vec<RowHash> {
        use std::hash::{BuildHasher, Hash, Hasher};
        let width = buf.area.width as usize;
        if width == 0 {
            return vec![RowHash::default(); buf.area.height as usize];
        }
        buf.content
            .chunks(width)
            .map(|row| {
                let mut h = self.hasher.build_hasher();
                let (mut left, mut blank_left) = (0, true);
                for (x, cell) in row.iter().enumerate() {
                    if x == width / 2 {
                        left = h.clone().finish();
                    }
                    if x < width / 2 {
                        blank_left &= is_plain_blank(cell);
                    }
                    cell.symbol().hash(&mut h);
                    (cell.fg, cell.bg, cell.underline_color, cell.modifier).hash(&mut h);
                }
                RowHash { left, full: h.finish(), blank_left }
            })
            .collect()
    }

    /// Scrolls rows of the shown screen up when that makes the frame cheaper to write.
    fn scroll(&mut self) {
        let Some((top, bottom, k)) = find_scroll(&self.shown_rows, &self.frame_rows) else {
            return;
        };
        // Blank rows scroll in with the pen's background: clear it first.
        self.set_pen(Pen::RESET);
        self.csi(format_args!("{};{}r", top + 1, bottom + 1));
        self.csi(format_args!("{k}S"));
        self.csi(format_args!("r"));
        self.cursor = Some(Position::ORIGIN);
        let width = self.shown.area.width;
        let content = &mut self.shown.content;
        let (top, bottom, k) = (top as usize, bottom as usize, k as usize);
        let w = width as usize;
        content[top * w..(bottom + 1) * w].rotate_left(k * w);
        content[(bottom + 1 - k) * w..(bottom + 1) * w].fill(Cell::EMPTY);
        let blank = self.row_hashes(&Buffer::empty(Rect::new(0, 0, width, 1)))[0];
        self.shown_rows[top..=bottom].rotate_left(k);
        self.shown_rows[bottom + 1 - k..=bottom].fill(blank);
    }

    /// Writes the cells where the frame differs from what is shown: in reading order, or one
    /// pen at a time ([`super::paint`]), whichever takes fewer bytes.
    fn write_changes(&mut self) {
        let changes: Vec<(u16, u16)> = (0..self.frame.area.height)
            .filter(|&y| self.shown_rows[y as usize].full != self.frame_rows[y as usize].full)
            .flat_map(|y| changed_in_row(&self.shown, &self.frame, y).into_iter().map(move |x| (x, y)))
            .collect();
        if changes.is_empty() {
            return;
        }
        let (start, cursor, pen) = (self.buf.len(), self.cursor, self.pen);
        for &(x, y) in &changes {
            self.put(x, y, None);
        }
        let in_order = (self.buf.split_off(start), self.cursor, self.pen);
        (self.cursor, self.pen) = (cursor, pen);
        for run in super::paint::by_pen(super::paint::runs(&changes, &self.frame), pen) {
            for &(x, y) in &changes[run.cells] {
                self.put(x, y, run.pen);
            }
        }
        if self.buf.len() - start > in_order.0.len() {
            self.buf.truncate(start);
            self.buf.extend_from_slice(&in_order.0);
            (self.cursor, self.pen) = (in_order.1, in_order.2);
        }
        for (x, y) in changes {
            self.shown[(x, y)] = self.frame[(x, y)].clone();
        }
    }

    /// Writes the frame's cell at (`x`, `y`) with `pen` (`None`: the pen that draws it).
    fn put(&mut self, x: u16, y: u16, pen: Option<Pen>) {
        let to = Position { x, y };
        if let Some(at) = self.cursor.filter(|at| at.y == y && at.x < x && x - at.x <= MAX_FILL) {
            // A short gap of plain cells already right: write them again instead of moving.
            let fits = (at.x..x).all(|gx| {
                let c = &self.frame[(gx, y)];
                self.pen_for(c) == self.pen && c.symbol().len() == 1 && c.symbol().is_ascii()
            });
            if fits {
                for gx in at.x..x {
                    self.buf.extend_from_slice(self.frame[(gx, y)].symbol().as_bytes());
                }
                self.cursor = Some(to);
            }
        }
        self.move_to(to);
        let pen = pen.unwrap_or_else(|| self.pen_for(&self.frame[(x, y)]));
        self.set_pen(pen);
        let symbol = self.frame[(x, y)].symbol();
        let w = symbol.width().max(1) as u16;
        self.buf.extend_from_slice(symbol.as_bytes());
        // At the right edge the cursor stays put (or wraps, terminals differ): forget it.
        self.cursor = (x + w < self.frame.area.width).then_some(Position { x: x + w, y });
    }

    /// Writes a whole rendered frame, bypassing ratatui's own diff: `buf` is swapped for the
    /// previous frame (no cell is copied) and compared with what the terminal shows; it is
    /// left holding the previous frame, at the same size. The terminal's cursor stays hidden:
    /// claw-tui draws its own (the composer's reversed cell).
    pub fn present_buffer(&mut self, buf: &mut Buffer) -> io::Result<()> {
        if self.frame.area != buf.area {
            // The first frame, or a new size: what the terminal shows is unknown.
            self.blank(buf.area.as_size());
            self.unknown = true;
        }
        std::mem::swap(&mut self.frame, buf);
        for cell in &mut self.frame.content {
            if is_plain_blank(cell) {
                normalize_blank(cell);
            }
        }
        self.wanted_cursor = None;
        self.present()
    }

    /// Writes the frame: scroll, changes, cursor, in one synchronized update; nothing at all
    /// when nothing changed.
    fn present(&mut self) -> io::Result<()> {
        self.buf.clear();
        self.buf.extend_from_slice(b"\x1b[?2026h");
        let start = self.buf.len();
        if std::mem::take(&mut self.unknown) {
            self.buf.extend_from_slice(b"\x1b[0m\x1b[2J");
            self.pen = Pen::RESET;
            self.cursor = None;
            self.terminal_cursor_visible = None;
            self.shown = Buffer::empty(self.frame.area);
            // Hashes of what was shown before the clear would skip rows now blank.
            self.shown_rows.clear();
        }
        self.frame_rows = self.row_hashes(&self.frame);
        if self.shown_rows.len() != self.frame_rows.len() || self.shown.area != self.frame.area {
            self.shown_rows = self.row_hashes(&self.shown);
        }
        self.scroll();
        self.write_changes();
        // What is shown is now the frame.
        self.shown_rows.clone_from(&self.frame_rows);
        self.set_pen(Pen::RESET);
        let visible = self.wanted_cursor.is_some() && self.cursor_visible;
        if let Some(at) = self.wanted_cursor.filter(|_| visible) {
            self.move_to(at);
        }
        if self.terminal_cursor_visible != Some(visible) {
            self.csi(format_args!("{}", if visible { "?25h" } else { "?25l" }));
        }
        self.terminal_cursor_visible = Some(visible);
        if self.buf.len() > start {
            self.buf.extend_from_slice(b"\x1b[?2026l");
            self.out.write_all(&self.buf)?;
        }
        self.out.flush()
    }
}

/// The scroll that turns most of the shown screen into the frame, judged on the hashes of
/// their rows' left halves: rows `top..=bottom` up by `k`, where rows of the frame from `top`
/// are rows of the shown screen `k` lower. None when no scroll would save at least
/// [`MIN_SCROLL_ROWS`] rows.
fn find_scroll(old: &[RowHash], new: &[RowHash]) -> Option<(u16, u16, u16)> {
    let h = new.len();
    if old.len() != h || h < 4 {
        return None;
    }
    // Rows worth moving: not blank, and not already right where they are.
    let worth: Vec<bool> = (0..h).map(|r| new[r].left != old[r].left && !new[r].blank_left).collect();
    // (first row, last row of the run in the frame, k, rows saved)
    let mut best: Option<(usize, usize, usize, usize)> = None;
    for k in 1..h {
        let (mut start, mut saved) = (0, 0);
        // r == h - k closes the last run.
        for r in 0..=h - k {
            if r < h - k && new[r].left == old[r + k].left {
                saved += usize::from(worth[r]);
                continue;
            }
            if r > start && saved >= MIN_SCROLL_ROWS && best.is_none_or(|b| saved > b.3) {
                best = Some((start, r - 1, k, saved));
            }
            (start, saved) = (r + 1, 0);
        }
    }
    best.map(|(top, last, k, _)| (top as u16, (last + k) as u16, k as u16))
}

/// The columns of row `y` where `frame` differs from `shown`, as a terminal needs them
/// written: not the cells a wide character covers (nor those a widget marked to skip), and
/// every cell a wide character covered before.
fn changed_in_row(shown: &Buffer, frame: &Buffer, y: u16) -> Vec<u16> {
    let width = frame.area.width as usize;
    let span = y as usize * width..(y as usize + 1) * width;
    let (old, new) = (&shown.content[span.clone()], &frame.content[span]);
    let mut out = Vec::new();
    let (mut covered, mut invalidated) = (0usize, 0usize);
    for (x, (o, n)) in old.iter().zip(new).enumerate() {
        let (nw, ow) = (symbol_width(n), symbol_width(o));
        if covered == 0 && n.diff_option != CellDiffOption::Skip && (n != o || invalidated > 0) {
            out.push(x as u16);
        }
        covered = nw.saturating_sub(1);
        invalidated = nw.max(ow).max(invalidated).saturating_sub(1);
    }
    out
}

/// Decimal digits of `n`.
fn digits(n: u16) -> usize {
    match n {
        0..=9 => 1,
        10..=99 => 2,
        100..=999 => 3,
        1000..=9999 => 4,
        _ => 5,
    }
}

/// How many columns a cell's symbol takes (a single byte: one, without a table lookup).
pub(super) fn symbol_width(cell: &Cell) -> usize {
    let s = cell.symbol();
    if s.len() == 1 { 1 } else { s.width() }
}

/// Draws one frame with `render`: ratatui renders into its buffer, and the [`Screen`] compares
/// that with what the terminal shows itself (ratatui's own diff would be a second pass over
/// every cell), handing back the previous frame's buffer, cleared for the next render.
pub fn draw<W: Write>(terminal: &mut Terminal<Screen<W>>, render: impl FnOnce(&mut Frame)) -> io::Result<()> {
    terminal.autoresize()?;
    render(&mut terminal.get_frame());
    let mut buf = std::mem::take(terminal.current_buffer_mut());
    let written = terminal.backend_mut().present_buffer(&mut buf);
    buf.reset();
    *terminal.current_buffer_mut() = buf;
    written
}

impl<W: Write> Backend for Screen<W> {
    type Error = io::Error;

    fn draw<'a, I>(&mut self, content: I) -> io::Result<()>
    where
        I: Iterator<Item = (u16, u16, &'a Cell)>,
    {
        let size = self.size()?;
        if self.frame.area.as_size() != size {
            // The first frame, or a size ratatui has not cleared for: what the terminal shows
            // is unknown, so the frame clears it first.
            self.blank(size);
            self.unknown = true;
        }
        let area = self.frame.area;
        for (x, y, cell) in content {
            if x < area.width && y < area.height {
                self.frame[(x, y)] = blank_normalized(cell);
                // ratatui blanks the cells a wide character covers and does not send them.
                for cx in x + 1..(x + cell.symbol().width() as u16).min(area.width) {
                    self.frame[(cx, y)] = Cell::EMPTY;
                }
            }
        }
        Ok(())
    }

    fn hide_cursor(&mut self) -> io::Result<()> {
        self.cursor_visible = false;
        Ok(())
    }

    fn show_cursor(&mut self) -> io::Result<()> {
        self.cursor_visible = true;
        Ok(())
    }

    fn get_cursor_position(&mut self) -> io::Result<Position> {
        Ok(self.wanted_cursor.or(self.cursor).unwrap_or(Position::ORIGIN))
    }

    fn set_cursor_position<P: Into<Position>>(&mut self, position: P) -> io::Result<()> {
        self.wanted_cursor = Some(position.into());
        Ok(())
    }

    fn clear(&mut self) -> io::Result<()> {
        self.clear_region(ClearType::All)
    }

    fn clear_region(&mut self, clear_type: ClearType) -> io::Result<()> {
        // ratatui clears the whole screen (on a resize, after a suspension), and so does this
        // for any other kind of clear: the next frame writes everything.
        let _ = clear_type;
        self.blank(self.size()?);
        self.unknown = true;
        Ok(())
    }

    fn size(&self) -> io::Result<Size> {
        match self.fixed_size {
            Some(s) => Ok(s),
            None => crossterm::terminal::size().map(|(width, height)| Size { width, height }),
        }
    }

    fn window_size(&mut self) -> io::Result<WindowSize> {
        let size = self.size()?;
        Ok(WindowSize { columns_rows: size, pixels: Size::default() })
    }

    fn flush(&mut self) -> io::Result<()> {
        self.present()
    }
}

#[cfg(test)]
mod tests {
    use ratatui::Terminal;
    use ratatui::style::{Style, Stylize};
    use ratatui::text::{Line, Span};
    use ratatui::widgets::{Block, Paragraph};

    use super::*;

    /// A terminal 60×16 drawing through a [`Screen`], and a VT100 emulator reading what it
    /// wrote.
    struct Harness {
        term: Terminal<Screen<Vec<u8>>>,
        vt: vt100::Parser,
        read: usize,
        /// Whether frames go through [`super::draw`] (as claw-tui draws) rather than
        /// ratatui's `Terminal::draw` (its diff, then the backend's `draw`).
        direct: bool,
    }

    impl Harness {
        fn new() -> Harness {
            let screen = Screen::with_size(Vec::new(), Some(Size { width: 60, height: 16 }));
            Harness { term: Terminal::new(screen).unwrap(), vt: vt100::Parser::new(16, 60, 0), read: 0, direct: false }
        }

        fn direct() -> Harness {
            Harness { direct: true, ..Harness::new() }
        }

        /// Draws `lines` in a transcript on the left, a boxed pane on the right and a status
        /// line; returns the bytes written, after checking the emulator shows the frame.
        fn draw(&mut self, lines: &[Line<'static>], status: &str) -> usize {
            let render = |f: &mut Frame| {
                let [main, bottom] = ratatui::layout::Layout::vertical([
                    ratatui::layout::Constraint::Fill(1),
                    ratatui::layout::Constraint::Length(1),
                ])
                .areas(f.area());
                let [left, right] = ratatui::layout::Layout::horizontal([
                    ratatui::layout::Constraint::Fill(1),
                    ratatui::layout::Constraint::Length(18),
                ])
                .areas(main);
                let skip = lines.len().saturating_sub(left.height as usize);
                f.render_widget(Paragraph::new(lines[skip..].to_vec()), left);
                f.render_widget(
                    Paragraph::new(vec![Line::from("in   1,204"), Line::from("out    310".bold())])
                        .block(Block::bordered().title("Cost")),
                    right,
                );
                f.render_widget(Paragraph::new(status.to_string()).reversed(), bottom);
                f.set_cursor_position((3, 15));
            };
            let frame = if self.direct {
                super::draw(&mut self.term, render).unwrap();
                self.term.backend().frame.clone()
            } else {
                self.term.draw(render).unwrap().buffer.clone()
            };
            let out = self.term.backend().writer();
            let new = &out[self.read..];
            self.vt.process(new);
            let written = new.len();
            self.read = out.len();
            let problems = self.shown_problems(&frame);
            if !problems.is_empty() {
                let row =
                    |y: u16| (0..frame.area.width).map(|x| frame[(x, y)].symbol().to_string()).collect::<String>();
                eprintln!(
                    "frame row 14: {:?}\nvt row 14: {:?}\nbytes: {:?}",
                    row(14),
                    self.vt.screen().rows(0, 60).nth(14),
                    String::from_utf8_lossy(new)
                );
            }
            assert_eq!(problems, Vec::<String>::new());
            written
        }

        /// Cells where the emulator's screen differs from `frame`.
        fn shown_problems(&self, frame: &Buffer) -> Vec<String> {
            let screen = self.vt.screen();
            let mut problems = Vec::new();
            for y in 0..frame.area.height {
                for x in 0..frame.area.width {
                    let want = &frame[(x, y)];
                    let Some(got) = screen.cell(y, x) else { continue };
                    if got.is_wide_continuation() {
                        continue;
                    }
                    let symbol = if got.contents().is_empty() { " ".to_string() } else { got.contents().to_string() };
                    let fg = match want.fg {
                        Color::Rgb(r, g, b) => vt100::Color::Rgb(r, g, b),
                        Color::Indexed(i) => vt100::Color::Idx(i),
                        _ => got.fgcolor(),
                    };
                    let reversed = want.modifier.contains(Modifier::REVERSED);
                    let bold = want.modifier.contains(Modifier::BOLD);
                    // A blank shows no foreground and no boldness.
                    let unseen = is_plain_blank(want);
                    if symbol != want.symbol()
                        || reversed != got.inverse()
                        || (!unseen && (fg != got.fgcolor() || bold != got.bold()))
                    {
                        problems.push(format!(
                            "({x},{y}): want {:?} {:?}, got {symbol:?} {:?}",
                            want.symbol(),
                            want.fg,
                            got.fgcolor()
                        ));
                    }
                }
            }
            // claw-tui's own frames hide the cursor (the composer draws its own).
            if self.direct != screen.hide_cursor() || (!self.direct && screen.cursor_position() != (15, 3)) {
                problems.push(format!("cursor at {:?}, hidden: {}", screen.cursor_position(), screen.hide_cursor()));
            }
            problems
        }
    }

    /// Lines of a streaming answer: coloured words, some wide characters.
    fn line(i: usize) -> Line<'static> {
        let mut seed = (i as u32).wrapping_mul(2_654_435_761);
        let mut spans = Vec::new();
        for w in 0..(i % 7 + 1) {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            let word = if w % 5 == 4 { "界面".to_string() } else { format!("w{i}_{w}") };
            let color = Color::Rgb((seed >> 8) as u8, (seed >> 16) as u8, (seed >> 24) as u8);
            spans.push(Span::styled(format!("{word} "), Style::default().fg(color)));
        }
        Line::from(spans)
    }

    #[test]
    fn every_frame_shows_exactly_what_was_drawn() {
        for mut h in [Harness::new(), Harness::direct()] {
            stream_through(&mut h);
        }
    }

    /// Draws 200 frames of an answer streaming in.
    fn stream_through(h: &mut Harness) {
        let mut lines = Vec::new();
        for i in 0..200 {
            // Lines arrive one to five at a time, the last one still growing.
            for _ in 0..(i % 5 + 1) {
                lines.push(line(lines.len()));
            }
            if i % 3 == 0 {
                let last = lines.len() - 1;
                lines[last].spans.push(Span::raw("more"));
            }
            h.draw(&lines, &format!("streaming {i}"));
        }
    }

    /// Lines of words in two colours (and wide characters, and underlined ones beside
    /// blanks): written one colour at a time, every frame still shows exactly what was drawn.
    #[test]
    fn two_colours_are_written_one_at_a_time_and_right() {
        let two = |i: usize| {
            let spans: Vec<Span<'static>> = (0..6)
                .map(|w| {
                    let style = if (i + w).is_multiple_of(2) {
                        Style::default().fg(Color::Indexed(110))
                    } else {
                        Style::default().fg(Color::Indexed(173))
                    };
                    let style =
                        if w == 5 && i.is_multiple_of(4) { style.add_modifier(Modifier::UNDERLINED) } else { style };
                    let word = if w == 3 && i.is_multiple_of(3) { "界".to_string() } else { format!("t{i}") };
                    Span::styled(format!("{word} "), style)
                })
                .collect();
            Line::from(spans)
        };
        let mut h = Harness::direct();
        let mut lines = Vec::new();
        for i in 0..60 {
            lines.push(two(i));
            let before = h.read;
            h.draw(&lines, &format!("frame {i}"));
            let out = &h.term.backend().writer()[before..];
            let sgr = out.windows(4).filter(|w| *w == b"\x1b[38").count();
            assert!(sgr <= 4, "frame {i}: {sgr} colour changes");
        }
    }

    #[test]
    fn a_transcript_following_its_end_is_scrolled_not_rewritten() {
        let mut h = Harness::direct();
        let mut lines: Vec<Line<'static>> = (0..40).map(line).collect();
        let first = h.draw(&lines, "idle");
        lines.extend((40..43).map(line));
        let scrolled = h.draw(&lines, "idle");
        let out = String::from_utf8_lossy(h.term.backend().writer()).to_string();
        assert!(out.contains("\x1b[3S"), "three rows scrolled up");
        assert!(scrolled * 3 < first, "a scroll by three rows writes a fraction of the screen: {scrolled} of {first}");
    }

    #[test]
    fn nothing_is_written_when_nothing_changed_and_little_for_a_small_change() {
        let mut h = Harness::direct();
        let lines: Vec<Line<'static>> = (0..40).map(line).collect();
        h.draw(&lines, "idle");
        assert_eq!(h.draw(&lines, "idle"), 0);
        let small = h.draw(&lines, "idla");
        assert!(small < 40, "one letter of the status line: {small} bytes");
    }

    #[test]
    fn a_clear_starts_from_a_blank_screen() {
        let mut h = Harness::direct();
        let lines: Vec<Line<'static>> = (0..40).map(line).collect();
        h.draw(&lines, "idle");
        h.term.clear().unwrap();
        h.vt.process(&h.term.backend().writer()[h.read..]);
        h.read = h.term.backend().writer().len();
        h.draw(&lines[..30], "after");
        // The same frame after a clear (a suspension, /login) is written whole again: rows
        // that did not change since before the clear are blank on the terminal now.
        h.term.clear().unwrap();
        h.vt.process(&h.term.backend().writer()[h.read..]);
        h.read = h.term.backend().writer().len();
        h.draw(&lines[..30], "after");
    }
}
