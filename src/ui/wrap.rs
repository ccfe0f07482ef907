//! Wrapping styled text to a width, by display columns (wide CJK and emoji count two, zero-width
//! characters none). Words move to the next line whole; a word longer than a line is cut.

use ratatui::style::Style;
use ratatui::text::{Line, Span};
use unicode_width::UnicodeWidthChar;
use unicode_width::UnicodeWidthStr;

/// Columns a tab advances.
pub const TAB_WIDTH: usize = 4;

pub fn width(s: &str) -> usize {
    UnicodeWidthStr::width(s)
}

/// Tabs become spaces (the terminal's tab stops would not match our layout).
pub fn expand_tabs(s: &str) -> std::borrow::Cow<'_, str> {
    if s.contains('\t') { s.replace('\t', &" ".repeat(TAB_WIDTH)).into() } else { s.into() }
}

fn prefix_width(p: &[Span<'static>]) -> usize {
    p.iter().map(|s| width(&s.content)).sum()
}

/// Word-wraps `spans` (one logical line, no newlines) to `total_width` columns. The first
/// line starts with `first`, the others with `rest` (indentation, quote bars, list markers).
pub fn wrap(
    spans: &[Span<'static>],
    total_width: usize,
    first: &[Span<'static>],
    rest: &[Span<'static>],
) -> Vec<Line<'static>> {
    let mut lines: Vec<Line<'static>> = Vec::new();
    let mut cur: Vec<Span<'static>> = first.to_vec();
    let mut cur_w = prefix_width(first);
    let mut limit = total_width.max(prefix_width(first) + 1);
    let mut at_start = true;
    let rest_w = prefix_width(rest);

    let push_piece = |cur: &mut Vec<Span<'static>>, text: &str, style: Style| {
        if let Some(last) = cur.last_mut()
            && last.style == style
        {
            let mut s = last.content.to_string();
            s.push_str(text);
            last.content = s.into();
            return;
        }
        cur.push(Span::styled(text.to_string(), style));
    };

    for span in spans {
        let text = expand_tabs(&span.content);
        for token in split_words(&text) {
            let tw = width(token);
            let is_space = token.chars().all(char::is_whitespace);
            if is_space {
                if at_start && !lines.is_empty() {
                    continue; // no leading spaces on continuation lines
                }
                if cur_w + tw <= limit {
                    push_piece(&mut cur, token, span.style);
                    cur_w += tw;
                }
                continue;
            }
            if cur_w + tw > limit && !at_start {
                // Trailing spaces do not carry over.
                trim_end(&mut cur);
                lines.push(Line::from(std::mem::take(&mut cur)));
                cur = rest.to_vec();
                cur_w = rest_w;
                limit = total_width.max(rest_w + 1);
            }
            if cur_w + tw <= limit {
                push_piece(&mut cur, token, span.style);
                cur_w += tw;
                at_start = false;
                continue;
            }
            // A word longer than the line: cut it by characters.
            let mut piece = String::new();
            for c in token.chars() {
                let cw = c.width().unwrap_or(0);
                if cur_w + cw > limit && (cur_w > rest_w || !piece.is_empty()) {
                    push_piece(&mut cur, &piece, span.style);
                    piece.clear();
                    lines.push(Line::from(std::mem::take(&mut cur)));
                    cur = rest.to_vec();
                    cur_w = rest_w;
                    limit = total_width.max(rest_w + 1);
                }
                piece.push(c);
                cur_w += cw;
            }
            if !piece.is_empty() {
                push_piece(&mut cur, &piece, span.style);
            }
            at_start = false;
        }
    }
    trim_end(&mut cur);
    lines.push(Line::from(cur));
    lines
}

/// Hard-wraps preformatted text (code): every character kept, lines cut at the width. The
/// first line starts with `first`, continuations with `rest`.
pub fn wrap_hard(
    spans: &[Span<'static>],
    total_width: usize,
    first: &[Span<'static>],
    rest: &[Span<'static>],
) -> Vec<Line<'static>> {
    let pw = prefix_width(rest);
    let mut limit = total_width.max(prefix_width(first) + 1);
    let mut lines = Vec::new();
    let mut cur: Vec<Span<'static>> = first.to_vec();
    let mut cur_w = prefix_width(first);
    for span in spans {
        let text = expand_tabs(&span.content);
        let mut piece = String::new();
        for c in text.chars() {
            let cw = c.width().unwrap_or(0);
            if cur_w + cw > limit {
                if !piece.is_empty() {
                    cur.push(Span::styled(std::mem::take(&mut piece), span.style));
                }
                lines.push(Line::from(std::mem::take(&mut cur)));
                cur = rest.to_vec();
                cur_w = pw;
                limit = total_width.max(pw + 1);
            }
            piece.push(c);
            cur_w += cw;
        }
        if !piece.is_empty() {
            cur.push(Span::styled(piece, span.style));
        }
    }
    lines.push(Line::from(cur));
    lines
}

fn trim_end(spans: &mut Vec<Span<'static>>) {
    while let Some(last) = spans.last_mut() {
        let trimmed = last.content.trim_end();
        if trimmed.is_empty() && !last.content.is_empty() {
            spans.pop();
        } else {
            if trimmed.len() != last.content.len() {
                last.content = trimmed.to_string().into();
            }
            break;
        }
    }
}

/// Splits into runs of whitespace and runs of non-whitespace.
fn split_words(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut prev_space: Option<bool> = None;
    for (i, c) in s.char_indices() {
        let sp = c.is_whitespace();
        if let Some(p) = prev_space
            && p != sp
        {
            out.push(&s[start..i]);
            start = i;
        }
        prev_space = Some(sp);
    }
    if start < s.len() {
        out.push(&s[start..]);
    }
    out
}

/// The text of a line, for tests.
pub fn line_text(line: &Line<'_>) -> String {
    line.spans.iter().map(|s| s.content.as_ref()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(lines: &[Line<'_>]) -> Vec<String> {
        lines.iter().map(line_text).collect()
    }

    #[test]
    fn wraps_words_with_prefixes() {
        let spans = vec![Span::raw("the quick brown fox jumps over the lazy dog")];
        let lines = wrap(&spans, 16, &[Span::raw("• ")], &[Span::raw("  ")]);
        assert_eq!(texts(&lines), ["• the quick", "  brown fox", "  jumps over the", "  lazy dog"]);
        for l in &lines {
            assert!(width(&line_text(l)) <= 16);
        }
    }

    #[test]
    fn wide_characters_and_long_words() {
        let lines = wrap(&[Span::raw("日本語のテキストです")], 8, &[], &[]);
        assert_eq!(texts(&lines), ["日本語の", "テキスト", "です"]);
        let lines = wrap(&[Span::raw("aaaaaaaaaaaaaaaaaaaa")], 8, &[], &[]);
        assert_eq!(texts(&lines), ["aaaaaaaa", "aaaaaaaa", "aaaa"]);
        let lines = wrap(&[Span::raw("a\tb")], 20, &[], &[]);
        assert_eq!(texts(&lines), ["a    b"]);
    }

    #[test]
    fn hard_wrap_keeps_spaces() {
        let lines = wrap_hard(&[Span::raw("    let x = 1;")], 8, &[Span::raw("  ")], &[Span::raw("  ")]);
        assert_eq!(texts(&lines), ["      le", "  t x = ", "  1;"]);
    }
}
