//! Hunks of a diff as lines, the way the review, /undo, /diff and tool cells draw them:
//! unified or side by side, line numbers, syntax highlighting, word-level highlights, wrapped
//! or scrolled sideways.
//!
//! Only the hunks in view are laid out and highlighted; [`hunk_height`] measures the others
//! from their text widths alone, so a file with hundreds of hunks opens and scrolls at once.

use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use unicode_width::UnicodeWidthChar;

use super::highlight::highlight;
use super::theme::Theme;
use super::wrap::width as text_width;
use crate::app::review::{DiffFile, DiffView, HunkRows, Placeholder, Row, RowKind, SIDE_BY_SIDE_MIN_WIDTH};

/// Columns before the text in unified view: gutter, two line numbers, the sign.
const UNIFIED_PREFIX: usize = 15;
/// Columns before the text on each side of side-by-side view: line number and sign.
const SIDE_PREFIX: usize = 8;

/// Whether side-by-side applies at this width.
pub fn side_by_side(view: &DiffView, width: usize) -> bool {
    view.side_by_side && width >= SIDE_BY_SIDE_MIN_WIDTH as usize
}

fn text_cols(view: &DiffView, width: usize) -> usize {
    if side_by_side(view, width) {
        ((width.saturating_sub(2)) / 2).saturating_sub(SIDE_PREFIX).max(1)
    } else {
        width.saturating_sub(UNIFIED_PREFIX).max(1)
    }
}

/// Screen lines one row's text takes.
fn row_height(text: &str, wrap: bool, cols: usize) -> usize {
    if !wrap { 1 } else { text_width(text).div_ceil(cols).max(1) }
}

/// The rows of a hunk as drawn side by side: (left, right) index pairs.
/// Both sides stay in order: within a change, an added line with no partner comes before the
/// next removed line whose partner is further down.
fn side_pairs(h: &HunkRows) -> Vec<(Option<usize>, Option<usize>)> {
    let rows = &h.rows;
    let mut out = Vec::with_capacity(rows.len());
    let mut i = 0;
    while i < rows.len() {
        if rows[i].kind == RowKind::Context {
            out.push((Some(i), Some(i)));
            i += 1;
            continue;
        }
        // One change: its removed rows, then its added rows.
        let start = i;
        while i < rows.len() && rows[i].kind == RowKind::Removed {
            i += 1;
        }
        let (removed, mut added) = (start..i, i);
        while i < rows.len() && rows[i].kind == RowKind::Added {
            i += 1;
        }
        let end = i;
        for r in removed {
            if let Some(p) = rows[r].pair {
                while added < p {
                    out.push((None, Some(added)));
                    added += 1;
                }
                out.push((Some(r), Some(p)));
                added = p + 1;
            } else {
                out.push((Some(r), None));
            }
        }
        for a in added..end {
            out.push((None, Some(a)));
        }
    }
    out
}

/// Screen lines of one hunk: its header and rows.
pub fn hunk_height(h: &HunkRows, view: &DiffView, width: usize) -> usize {
    let cols = text_cols(view, width);
    if side_by_side(view, width) {
        1 + side_pairs(h)
            .iter()
            .map(|(l, r)| {
                let hl = l.map_or(1, |i| row_height(&h.rows[i].text, view.wrap, cols));
                let hr = r.map_or(1, |i| row_height(&h.rows[i].text, view.wrap, cols));
                hl.max(hr)
            })
            .sum::<usize>()
    } else {
        1 + h.rows.iter().map(|r| row_height(&r.text, view.wrap, cols)).sum::<usize>()
    }
}

/// The screen line where each of `hunks` starts, and the total.
pub fn hunk_tops(file: &DiffFile, hunks: &[usize], view: &DiffView, width: usize) -> (Vec<usize>, usize) {
    let mut tops = Vec::with_capacity(hunks.len());
    let mut y = 0;
    for &i in hunks {
        tops.push(y);
        y += hunk_height(&file.hunks[i], view, width);
    }
    (tops, y)
}

/// What the body shows of accept state and the cursor.
pub struct Marks<'a> {
    /// Per hunk, whether it is accepted (reviews of edits only).
    pub accepted: Option<&'a [bool]>,
    pub current: Option<usize>,
}

/// The window of a diff on screen: its width, and the screen lines from `scroll` on, at most
/// `height` of them.
#[derive(Debug, Clone, Copy)]
pub struct Window {
    pub width: usize,
    pub scroll: usize,
    pub height: usize,
}

impl Window {
    pub fn of(area: Rect, scroll: usize) -> Window {
        Window { width: area.width as usize, scroll, height: area.height as usize }
    }
}

/// The lines of a file's diff that show in `window`.
pub fn body_lines(
    file: &DiffFile,
    hunks: &[usize],
    marks: &Marks<'_>,
    view: &DiffView,
    theme: &Theme,
    window: Window,
) -> Vec<Line<'static>> {
    let Window { width, scroll, height } = window;
    let muted = Style::default().fg(theme.ui.muted);
    if let Some(p) = &file.placeholder {
        let text = match p {
            Placeholder::Binary => "binary file changed".to_string(),
            Placeholder::Large { old_bytes, new_bytes } => format!(
                "too large to show here ({} → {}); it is accepted or rejected whole",
                size(*old_bytes),
                size(*new_bytes)
            ),
            Placeholder::Loading => "computing the diff…".to_string(),
            Placeholder::Unchanged if file.renamed_from.is_some() => "renamed; the content is the same".to_string(),
            Placeholder::Unchanged => "no changes".to_string(),
        };
        return vec![Line::from(Span::styled(format!("  {text}"), muted.add_modifier(Modifier::ITALIC)))];
    }
    if hunks.is_empty() {
        let why = if file.hunks.is_empty() {
            if file.created { "empty new file" } else { "the file is deleted (it was empty)" }
        } else {
            "only whitespace changed (hidden)"
        };
        return vec![Line::from(Span::styled(format!("  {why}"), muted.add_modifier(Modifier::ITALIC)))];
    }
    let (tops, _) = hunk_tops(file, hunks, view, width);
    let mut out = Vec::with_capacity(height);
    for (k, &i) in hunks.iter().enumerate() {
        let h = &file.hunks[i];
        let top = tops[k];
        let bottom = tops.get(k + 1).copied().unwrap_or(usize::MAX);
        if bottom <= scroll {
            continue;
        }
        if top >= scroll + height {
            break;
        }
        let lines = hunk_lines(file, i, h, marks, view, theme, width);
        let skip = scroll.saturating_sub(top);
        out.extend(lines.into_iter().skip(skip));
        if out.len() >= height {
            break;
        }
    }
    out.truncate(height);
    out
}

fn size(bytes: Option<usize>) -> String {
    match bytes {
        None => "none".into(),
        Some(b) if b >= 1 << 20 => format!("{:.1} MB", b as f64 / (1 << 20) as f64),
        Some(b) if b >= 1 << 10 => format!("{:.1} KB", b as f64 / 1024.0),
        Some(b) => format!("{b} B"),
    }
}

/// Every hunk of `file`, unified and wrapped, without review marks: how the transcript and the
/// approval dialog show a diff.
pub fn plain_lines(file: &DiffFile, theme: &Theme, width: usize) -> Vec<Line<'static>> {
    let view = DiffView::new();
    let marks = Marks { accepted: None, current: None };
    (0..file.hunks.len()).flat_map(|i| hunk_lines(file, i, &file.hunks[i], &marks, &view, theme, width)).collect()
}

/// One hunk laid out: header, then its rows.
fn hunk_lines(
    file: &DiffFile,
    index: usize,
    h: &HunkRows,
    marks: &Marks<'_>,
    view: &DiffView,
    theme: &Theme,
    width: usize,
) -> Vec<Line<'static>> {
    let d = &theme.diff;
    let current = marks.current == Some(index);
    let accepted = marks.accepted.map(|a| a.get(index).copied().unwrap_or(true));
    let gutter = if current { Span::styled("▌", Style::default().fg(theme.ui.accent)) } else { Span::raw(" ") };
    let mut header = vec![gutter.clone(), Span::styled(h.header.clone(), Style::default().fg(d.hunk))];
    if let Some(ok) = accepted {
        let (mark, color) = if ok { ("  ✓ accepted", theme.ui.success) } else { ("  ✗ rejected", theme.ui.error) };
        header.push(Span::styled(mark, Style::default().fg(color).add_modifier(Modifier::BOLD)));
    }
    if h.whitespace_only {
        header.push(Span::styled("  (whitespace only)", Style::default().fg(theme.ui.muted)));
    }
    let mut out = vec![Line::from(header)];
    let rejected = accepted == Some(false);
    let cols = text_cols(view, width);
    let spans = hunk_spans(file, index, theme, rejected);
    if side_by_side(view, width) {
        for (l, r) in side_pairs(h) {
            let left = l.map(|i| (&h.rows[i], &spans[i]));
            let right = r.map(|i| (&h.rows[i], &spans[i]));
            let lchunks = left.as_ref().map(|(row, s)| chunks(s, cols, view, row_bg(row, theme))).unwrap_or_default();
            let rchunks = right.as_ref().map(|(row, s)| chunks(s, cols, view, row_bg(row, theme))).unwrap_or_default();
            let n = lchunks.len().max(rchunks.len()).max(1);
            for k in 0..n {
                let mut spans = vec![gutter.clone()];
                spans.extend(side_cell(left.as_ref().map(|(row, _)| *row), lchunks.get(k), k, cols, theme, true));
                spans.push(Span::styled("│", Style::default().fg(theme.ui.border)));
                spans.extend(side_cell(right.as_ref().map(|(row, _)| *row), rchunks.get(k), k, cols, theme, false));
                out.push(Line::from(spans));
            }
        }
    } else {
        for (row, spans) in h.rows.iter().zip(&spans) {
            let (sign, num_style) = sign_of(row, theme);
            for (k, chunk) in chunks(spans, cols, view, row_bg(row, theme)).into_iter().enumerate() {
                let nums = if k == 0 {
                    format!("{:>5} {:>5} {sign} ", num(row.old_no), num(row.new_no))
                } else {
                    format!("{:>5} {:>5}   ", "", "")
                };
                let mut line = vec![gutter.clone(), Span::styled(nums, num_style)];
                line.extend(chunk);
                out.push(Line::from(line));
            }
        }
    }
    out
}

fn num(n: Option<usize>) -> String {
    n.map(|n| n.to_string()).unwrap_or_default()
}

fn sign_of(row: &Row, theme: &Theme) -> (char, Style) {
    let d = &theme.diff;
    match row.kind {
        RowKind::Added => ('+', Style::default().fg(d.added)),
        RowKind::Removed => ('-', Style::default().fg(d.removed)),
        RowKind::Context => (' ', Style::default().fg(d.line_number)),
    }
}

fn row_bg(row: &Row, theme: &Theme) -> Option<Color> {
    match row.kind {
        RowKind::Added => Some(theme.diff.added_bg),
        RowKind::Removed => Some(theme.diff.removed_bg),
        RowKind::Context => None,
    }
}

/// One side of a side-by-side line: number and sign on the first screen line, then text.
fn side_cell(
    row: Option<&Row>,
    chunk: Option<&Vec<Span<'static>>>,
    k: usize,
    cols: usize,
    theme: &Theme,
    left: bool,
) -> Vec<Span<'static>> {
    let Some(row) = row else { return vec![Span::raw(" ".repeat(SIDE_PREFIX + cols))] };
    let (sign, num_style) = sign_of(row, theme);
    let n = if left { row.old_no } else { row.new_no };
    let prefix = if k == 0 { format!("{:>5} {sign} ", num(n)) } else { " ".repeat(SIDE_PREFIX) };
    let mut spans = vec![Span::styled(prefix, num_style)];
    match chunk {
        Some(c) => spans.extend(c.iter().cloned()),
        None => {
            spans.push(Span::styled(" ".repeat(cols), Style::default().bg(row_bg(row, theme).unwrap_or(Color::Reset))))
        }
    }
    spans
}

/// The text of each row of a hunk: highlighted as code, with the changed words marked. The
/// old side (context and removed lines) and the new side (context and added lines) are each
/// highlighted as one piece of code, so a string or comment spanning lines stays coloured.
fn hunk_spans(file: &DiffFile, index: usize, theme: &Theme, rejected: bool) -> Vec<Vec<Span<'static>>> {
    let d = &theme.diff;
    let h = &file.hunks[index];
    let mut out: Vec<Vec<Span<'static>>> = vec![Vec::new(); h.rows.len()];
    for new_side in [false, true] {
        let idx: Vec<usize> = (0..h.rows.len())
            .filter(|&i| match h.rows[i].kind {
                RowKind::Context => new_side,
                RowKind::Added => new_side,
                RowKind::Removed => !new_side,
            })
            .collect();
        if idx.is_empty() {
            continue;
        }
        let lines = file.highlighted.get(&theme.syntax, (index, new_side), || {
            let code = idx.iter().map(|&i| h.rows[i].text.as_str()).collect::<Vec<_>>().join("\n");
            highlight(&code, &file.lang, &theme.syntax, Style::default())
        });
        for (k, &i) in idx.iter().enumerate() {
            out[i] = lines.get(k).cloned().unwrap_or_default();
        }
    }
    for (row, spans) in h.rows.iter().zip(out.iter_mut()) {
        // Text the highlighter left uncoloured (an unknown language) takes the row's colour.
        let fg = match row.kind {
            RowKind::Context => d.context,
            RowKind::Added => d.added,
            RowKind::Removed => d.removed,
        };
        for s in spans.iter_mut() {
            if s.style.fg.is_none() {
                s.style = s.style.fg(fg);
            }
        }
        if !row.emph.is_empty() {
            let word_bg = if row.kind == RowKind::Added { d.added_word } else { d.removed_word };
            *spans = emphasize(std::mem::take(spans), &row.emph, word_bg);
        }
        if rejected && row.kind != RowKind::Context {
            let m = if row.kind == RowKind::Added { Modifier::DIM | Modifier::CROSSED_OUT } else { Modifier::DIM };
            for s in spans.iter_mut() {
                s.style = s.style.add_modifier(m);
            }
        }
    }
    out
}

/// Gives the bytes in `ranges` (of the spans' joined text) the background `bg`.
fn emphasize(spans: Vec<Span<'static>>, ranges: &[std::ops::Range<usize>], bg: Color) -> Vec<Span<'static>> {
    let mut out = Vec::with_capacity(spans.len() + ranges.len() * 2);
    let mut at = 0usize;
    for span in spans {
        let text = span.content.as_ref();
        let end = at + text.len();
        let mut cut = 0usize;
        // Boundaries of the ranges inside this span.
        let mut bounds: Vec<(usize, bool)> = Vec::new();
        for r in ranges {
            if r.is_empty() || r.end <= at || r.start >= end {
                continue;
            }
            bounds.push((r.start.max(at) - at, true));
            bounds.push((r.end.min(end) - at, false));
        }
        let mut inside = ranges.iter().any(|r| r.start < at && r.end > at);
        for (b, starts) in bounds {
            if b > cut && text.is_char_boundary(b) {
                let style = if inside { span.style.bg(bg) } else { span.style };
                out.push(Span::styled(text[cut..b].to_string(), style));
                cut = b;
            }
            inside = starts;
        }
        if cut < text.len() {
            let style = if inside { span.style.bg(bg) } else { span.style };
            out.push(Span::styled(text[cut..].to_string(), style));
        }
        at = end;
    }
    out
}

/// Cuts styled text into screen lines of `cols` columns: wrapped, or the window from the
/// horizontal scroll. Each line is padded to `cols` with `bg` so added and removed lines are
/// coloured edge to edge.
fn chunks(spans: &[Span<'static>], cols: usize, view: &DiffView, bg: Option<Color>) -> Vec<Vec<Span<'static>>> {
    let pad_style = |s: Style| match bg {
        Some(bg) if s.bg.is_none() => s.bg(bg),
        _ => s,
    };
    let mut lines: Vec<Vec<Span<'static>>> = vec![Vec::new()];
    let mut col = 0usize; // column in the current screen line
    let mut abs = 0usize; // column in the whole text
    let skip = if view.wrap { 0 } else { view.hscroll };
    'outer: for span in spans {
        let style = pad_style(span.style);
        let mut piece = String::new();
        for c in span.content.chars() {
            let w = c.width().unwrap_or(0);
            if abs < skip {
                abs += w;
                continue;
            }
            abs += w;
            if col + w > cols {
                if !piece.is_empty() {
                    lines.last_mut().expect("a line").push(Span::styled(std::mem::take(&mut piece), style));
                }
                if !view.wrap {
                    break 'outer;
                }
                lines.push(Vec::new());
                col = 0;
            }
            piece.push(c);
            col += w;
        }
        if !piece.is_empty() {
            lines.last_mut().expect("a line").push(Span::styled(piece, style));
        }
    }
    for line in lines.iter_mut() {
        let used: usize = line.iter().map(|s| text_width(&s.content)).sum();
        let fill = cols.saturating_sub(used);
        if fill > 0 {
            line.push(Span::styled(" ".repeat(fill), pad_style(Style::default())));
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emphasis_splits_spans_at_ranges() {
        let spans = vec![Span::raw("let x"), Span::raw(" = 1;")];
        let out = emphasize(spans, &[4..7, 9..9], Color::Red);
        let texts: Vec<(&str, bool)> =
            out.iter().map(|s| (s.content.as_ref(), s.style.bg == Some(Color::Red))).collect();
        assert_eq!(texts, [("let ", false), ("x", true), (" =", true), (" 1;", false)]);
    }

    /// Side by side keeps both sides in order, every row once, when a pair skips an inserted
    /// line.
    #[test]
    fn side_by_side_rows_stay_in_order() {
        let f = DiffFile::new(
            "a.rs",
            Some("a\n    s.parse().ok()\nb\nz\n"),
            Some("a\n    if x { return; }\n    s.trim().parse().ok()\nb\nz\n"),
        );
        let pairs = side_pairs(&f.hunks[0]);
        let left: Vec<usize> = pairs.iter().filter_map(|p| p.0).collect();
        let right: Vec<usize> = pairs.iter().filter_map(|p| p.1).collect();
        assert!(left.windows(2).all(|w| w[0] < w[1]) && right.windows(2).all(|w| w[0] < w[1]), "{pairs:?}");
        let rows = &f.hunks[0].rows;
        let on_left = rows.iter().filter(|r| r.kind != RowKind::Added).count();
        let on_right = rows.iter().filter(|r| r.kind != RowKind::Removed).count();
        assert_eq!((left.len(), right.len()), (on_left, on_right));
        // The removed line sits beside its new version, the inserted line alone above it.
        let removed = rows.iter().position(|r| r.kind == RowKind::Removed).unwrap();
        let beside = pairs.iter().find(|p| p.0 == Some(removed)).unwrap().1.unwrap();
        assert_eq!(rows[beside].text, "    s.trim().parse().ok()");
    }

    #[test]
    fn chunks_wrap_or_scroll() {
        let spans = vec![Span::raw("abcdefghij")];
        let mut view = DiffView::new();
        let w: Vec<String> =
            chunks(&spans, 4, &view, None).iter().map(|l| l.iter().map(|s| s.content.as_ref()).collect()).collect();
        assert_eq!(w, ["abcd", "efgh", "ij  "]);
        view.wrap = false;
        view.hscroll = 3;
        let s: Vec<String> =
            chunks(&spans, 4, &view, None).iter().map(|l| l.iter().map(|s| s.content.as_ref()).collect()).collect();
        assert_eq!(s, ["defg"]);
    }
}
