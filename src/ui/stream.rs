//! A streaming answer laid out as it grows, at the cost of what is new.
//!
//! The text is cut into top-level Markdown blocks as they finish ([`Splitter`], which reads each
//! line once). A finished block is rendered once and its lines stay in the cell's layout; each
//! delta re-renders only the tail after the last finished block. Code blocks are highlighted
//! through a [`Memo`], so an open block costs its new lines only, and the whole answer, rendered
//! once more when it ends, finds every block already highlighted.

use ratatui::style::Style;
use ratatui::text::{Line, Span};

use super::highlight::Memo;
use super::markdown;
use super::theme::Theme;

/// Finds where a streaming Markdown text can be cut so that the part before the cut renders
/// the same alone as within the whole text: after a blank line outside a code fence, once the
/// next line has arrived and starts a new top-level block (at column 0, not a list item, so
/// lists and indented continuations stay whole).
#[derive(Debug, Default, Clone)]
pub struct Splitter {
    /// Bytes of complete lines read.
    scanned: usize,
    /// The open fence: its character and length.
    fence: Option<(char, usize)>,
    prev_blank: bool,
    /// The end of a blank line that may be a cut, once the next line shows what follows.
    candidate: Option<usize>,
    cut: usize,
}

impl Splitter {
    /// Reads the lines of `text` completed since the last call (the text only grows) and returns
    /// the latest cut.
    pub fn advance(&mut self, text: &str) -> usize {
        while let Some(nl) = text.get(self.scanned..).and_then(|rest| rest.find('\n')) {
            let line = &text[self.scanned..self.scanned + nl + 1];
            self.read(line, self.scanned);
            self.scanned += nl + 1;
        }
        self.cut
    }

    fn read(&mut self, line: &str, pos: usize) {
        let trimmed = line.trim_start();
        let blank = trimmed.trim_end().is_empty();
        if let Some((ch, len)) = self.fence {
            let t = trimmed.trim_end();
            if t.len() >= len && t.chars().all(|c| c == ch) {
                self.fence = None;
            }
            self.prev_blank = false;
            return;
        }
        if !blank {
            if let Some(end) = self.candidate.take()
                && starts_top_level_block(line)
            {
                self.cut = end;
            }
            if let Some(ch) = ['`', '~'].into_iter().find(|c| trimmed.starts_with(&c.to_string().repeat(3))) {
                self.fence = Some((ch, trimmed.chars().take_while(|c| *c == ch).count()));
            }
        } else if pos > 0 && (!self.prev_blank || self.candidate.is_some()) {
            self.candidate = Some(pos + line.len());
        }
        self.prev_blank = blank;
    }
}

/// Whether `line` (after a blank line) starts a block of its own: text at column 0 that is not
/// a list item (which would join the list before the blank line).
fn starts_top_level_block(line: &str) -> bool {
    if line.starts_with([' ', '\t']) {
        return false;
    }
    let bullet = line.len() > 1 && line.starts_with(['-', '*', '+']) && line[1..].starts_with([' ', '\t', '\n']);
    let digits = line.bytes().take_while(u8::is_ascii_digit).count();
    let numbered = (1..=9).contains(&digits)
        && line[digits..].starts_with(['.', ')'])
        && line[digits + 1..].starts_with([' ', '\t', '\n']);
    !bullet && !numbered
}

/// How far a streaming answer has been laid out; kept in its cell while it streams.
#[derive(Debug, Default)]
pub struct Stream {
    width: usize,
    epoch: u64,
    splitter: Splitter,
    /// Bytes of the text laid out as finished blocks.
    rendered: usize,
    /// Lines of the layout that hold them.
    stable: usize,
    /// The answer's code blocks, highlighted.
    pub memo: Memo,
}

/// Lays out the streaming answer `text` into `lines` (the cell's layout as the previous call
/// left it): the finished blocks not yet laid out are added, the tail replaced. Each line starts
/// with the answer's marker or its indent, and the layout ends with a blank line.
pub fn layout(
    stream: &mut Stream,
    lines: &mut Vec<Line<'static>>,
    text: &str,
    width: usize,
    theme: &Theme,
    epoch: u64,
) {
    if stream.width != width || stream.epoch != epoch || stream.rendered > text.len() {
        let memo = std::mem::take(&mut stream.memo);
        *stream = Stream { width, epoch, memo, ..Stream::default() };
    }
    lines.truncate(stream.stable);
    let cut = stream.splitter.advance(text);
    if cut > stream.rendered {
        let part = markdown::render_with(&text[stream.rendered..cut], width, theme, Some(&mut stream.memo));
        append(lines, part, theme);
        stream.rendered = cut;
        stream.stable = lines.len();
    }
    let tail = &text[stream.rendered..];
    if !tail.trim().is_empty() {
        append(lines, markdown::render_with(tail, width, theme, Some(&mut stream.memo)), theme);
    }
    lines.push(Line::default());
}

/// Adds the lines of one part of an answer, a blank line apart from the part before.
fn append(lines: &mut Vec<Line<'static>>, part: Vec<Line<'static>>, theme: &Theme) {
    if part.is_empty() {
        return;
    }
    if !lines.is_empty() {
        lines.push(Line::from(Span::raw("  ")));
    }
    let first = lines.is_empty();
    lines.extend(part.into_iter().enumerate().map(|(i, mut l)| {
        let lead = if first && i == 0 {
            Span::styled("● ", Style::default().fg(theme.transcript.assistant_marker))
        } else {
            Span::raw("  ")
        };
        l.spans.insert(0, lead);
        l
    }));
}

/// The lines of a finished answer, each with the answer's marker or its indent.
pub fn finished(text: &str, width: usize, theme: &Theme, memo: Option<&mut Memo>) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    append(&mut lines, markdown::render_with(text, width, theme, memo), theme);
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cuts(text: &str) -> Vec<&str> {
        let mut s = Splitter::default();
        let mut out = Vec::new();
        let mut last = 0;
        // Fed a character at a time, as a stream would.
        for end in (1..=text.len()).filter(|i| text.is_char_boundary(*i)) {
            let cut = s.advance(&text[..end]);
            if cut > last {
                out.push(&text[last..cut]);
                last = cut;
            }
        }
        out
    }

    #[test]
    fn cuts_between_top_level_blocks_once_the_next_one_starts() {
        assert_eq!(
            cuts("para one\n\n```\ncode\n\nmore code\n```\n\nafter\n"),
            ["para one\n\n", "```\ncode\n\nmore code\n```\n\n"]
        );
        assert_eq!(cuts("a\n\nb\n\nc"), ["a\n\n"], "the blank before c waits for c's line to end");
        assert_eq!(cuts("no boundary yet"), Vec::<&str>::new());
    }

    #[test]
    fn lists_and_indented_continuations_stay_whole() {
        assert_eq!(cuts("- a\n\n- b\n\n  more of b\n\n1. c\n\nafter\n"), ["- a\n\n- b\n\n  more of b\n\n1. c\n\n"]);
        assert_eq!(
            cuts("> quote\n\n| a | b |\n|---|---|\n\n~~~~\nx\n~~~\n\n~~~~\n\ntext\n"),
            ["> quote\n\n", "| a | b |\n|---|---|\n\n", "~~~~\nx\n~~~\n\n~~~~\n\n"]
        );
    }
}
