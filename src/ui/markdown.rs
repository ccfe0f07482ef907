//! Markdown to styled, wrapped lines: headings, emphasis, lists (nested, ordered, tasks),
//! block quotes, tables, links, inline code, rules, and fenced code highlighted by language.
//!
//! A streaming answer is rendered a block at a time (`ui/stream.rs`).

use pulldown_cmark::{Alignment, CodeBlockKind, Event, HeadingLevel, Options, Parser, Tag, TagEnd};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};

use super::highlight::{Memo, highlight};
use super::theme::Theme;
use super::wrap::{width, wrap, wrap_hard};

#[derive(Clone)]
enum Container {
    Quote,
    /// A list: the next number (None for bullets).
    List(Option<u64>),
    /// A list item: its marker, until the first line has used it.
    Item {
        marker: Option<String>,
        indent: usize,
    },
}

struct Renderer<'t> {
    theme: &'t Theme,
    /// Highlighting kept between renders of a streaming answer.
    memo: Option<&'t mut Memo>,
    width: usize,
    lines: Vec<Line<'static>>,
    containers: Vec<Container>,
    styles: Vec<Style>,
    spans: Vec<Span<'static>>,
    /// A blank line goes before the next block.
    gap: bool,
    code: Option<(String, String)>,
    link: Option<String>,
    heading: Option<HeadingLevel>,
    table: Option<Table>,
}

#[derive(Default)]
struct Table {
    aligns: Vec<Alignment>,
    rows: Vec<Vec<Vec<Span<'static>>>>,
    cell: Vec<Span<'static>>,
    row: Vec<Vec<Span<'static>>>,
    header_rows: usize,
}

/// Renders `text` to lines at most `width` columns wide.
pub fn render(text: &str, width: usize, theme: &Theme) -> Vec<Line<'static>> {
    render_with(text, width, theme, None)
}

/// [`render`], highlighting code blocks through `memo`: a block it has seen costs only its new
/// lines, and an unfinished last line is shown plain.
pub fn render_with(text: &str, width: usize, theme: &Theme, memo: Option<&mut Memo>) -> Vec<Line<'static>> {
    let mut r = Renderer {
        theme,
        memo,
        width: width.max(4),
        lines: Vec::new(),
        containers: Vec::new(),
        styles: vec![Style::default().fg(theme.ui.text)],
        spans: Vec::new(),
        gap: false,
        code: None,
        link: None,
        heading: None,
        table: None,
    };
    let opts = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS;
    for event in Parser::new_ext(text, opts) {
        r.event(event);
    }
    r.flush();
    if let Some((lang, code)) = r.code.take() {
        // An unterminated fence while streaming: show what there is.
        r.code_block(&lang, &code);
    }
    r.lines
}

/// The code blocks of a Markdown text, for copying.
pub fn code_blocks(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur: Option<String> = None;
    for event in Parser::new(text) {
        match event {
            Event::Start(Tag::CodeBlock(_)) => cur = Some(String::new()),
            Event::Text(t) if cur.is_some() => cur.as_mut().expect("in a block").push_str(&t),
            Event::End(TagEnd::CodeBlock) => out.extend(cur.take()),
            _ => {}
        }
    }
    out
}

impl Renderer<'_> {
    fn style(&self) -> Style {
        *self.styles.last().expect("base style")
    }

    fn push_style(&mut self, f: impl FnOnce(Style) -> Style) {
        let s = f(self.style());
        self.styles.push(s);
    }

    /// Prefixes for the next line: quote bars and list indentation; the first line of an item
    /// gets its marker once.
    fn prefixes(&mut self) -> (Vec<Span<'static>>, Vec<Span<'static>>) {
        let quote = Style::default().fg(self.theme.markdown.quote);
        let marker = Style::default().fg(self.theme.markdown.list_marker);
        let mut first = Vec::new();
        let mut rest = Vec::new();
        for c in self.containers.iter_mut() {
            match c {
                Container::Quote => {
                    first.push(Span::styled("│ ", quote));
                    rest.push(Span::styled("│ ", quote));
                }
                Container::List(_) => {}
                Container::Item { marker: m, indent } => {
                    match m.take() {
                        Some(text) => first.push(Span::styled(text, marker)),
                        None => first.push(Span::raw(" ".repeat(*indent))),
                    }
                    rest.push(Span::raw(" ".repeat(*indent)));
                }
            }
        }
        (first, rest)
    }

    fn blank(&mut self) {
        let (first, _) = self.prefixes_peek();
        self.lines.push(Line::from(first));
    }

    /// Prefixes without consuming a marker (for blank lines).
    fn prefixes_peek(&self) -> (Vec<Span<'static>>, ()) {
        let quote = Style::default().fg(self.theme.markdown.quote);
        let first = self
            .containers
            .iter()
            .filter(|c| matches!(c, Container::Quote))
            .map(|_| Span::styled("│", quote))
            .collect();
        (first, ())
    }

    fn start_block(&mut self) {
        if self.gap && !self.lines.is_empty() {
            self.blank();
        }
        self.gap = false;
    }

    fn flush(&mut self) {
        if self.spans.is_empty() {
            return;
        }
        let spans = std::mem::take(&mut self.spans);
        let (first, rest) = self.prefixes();
        // Hard breaks were kept as '\n' inside spans: split there.
        let mut logical: Vec<Vec<Span<'static>>> = vec![Vec::new()];
        for s in spans {
            let mut parts = s.content.split('\n').peekable();
            while let Some(p) = parts.next() {
                if !p.is_empty() {
                    logical.last_mut().expect("a line").push(Span::styled(p.to_string(), s.style));
                }
                if parts.peek().is_some() {
                    logical.push(Vec::new());
                }
            }
        }
        for (i, l) in logical.iter().enumerate() {
            let lead = if i == 0 { &first } else { &rest };
            self.lines.extend(wrap(l, self.width, lead, &rest));
        }
    }

    fn code_block(&mut self, lang: &str, code: &str) {
        let fallback = Style::default().fg(self.theme.markdown.code);
        let (_, rest) = self.prefixes();
        let mut prefix = rest;
        prefix.push(Span::styled("▎ ", Style::default().fg(self.theme.markdown.rule)));
        let lines = match self.memo.as_deref_mut() {
            Some(memo) => memo.highlight(code, lang, &self.theme.syntax, fallback),
            None => highlight(code, lang, &self.theme.syntax, fallback),
        };
        for spans in lines {
            self.lines.extend(wrap_hard(&spans, self.width, &prefix, &prefix));
        }
        if code.is_empty() {
            self.lines.push(Line::from(prefix));
        }
    }

    fn event(&mut self, event: Event<'_>) {
        let style = self.style();
        if let Some(t) = self.table.as_mut() {
            match event {
                Event::Start(Tag::TableHead) | Event::Start(Tag::TableRow) => t.row = Vec::new(),
                Event::End(TagEnd::TableHead) => {
                    let row = std::mem::take(&mut t.row);
                    t.rows.push(row);
                    t.header_rows = 1;
                }
                Event::End(TagEnd::TableRow) => {
                    let row = std::mem::take(&mut t.row);
                    t.rows.push(row);
                }
                Event::Start(Tag::TableCell) => t.cell = Vec::new(),
                Event::End(TagEnd::TableCell) => {
                    let cell = std::mem::take(&mut t.cell);
                    t.row.push(cell);
                }
                Event::End(TagEnd::Table) => {
                    let t = self.table.take().expect("table");
                    self.table(t);
                    self.gap = true;
                }
                Event::Text(s) => t.cell.push(Span::styled(s.to_string(), style)),
                Event::Code(s) => t.cell.push(Span::styled(
                    s.to_string(),
                    Style::default().fg(self.theme.markdown.code).bg(self.theme.markdown.code_bg),
                )),
                Event::Start(Tag::Strong) => self.push_style(|s| s.add_modifier(Modifier::BOLD)),
                Event::Start(Tag::Emphasis) => self.push_style(|s| s.add_modifier(Modifier::ITALIC)),
                Event::End(TagEnd::Strong) | Event::End(TagEnd::Emphasis) => {
                    self.styles.pop();
                }
                _ => {}
            }
            return;
        }
        let md = &self.theme.markdown;
        match event {
            Event::Start(tag) => match tag {
                Tag::Paragraph => self.start_block(),
                Tag::Heading { level, .. } => {
                    self.start_block();
                    self.heading = Some(level);
                    let mut style = Style::default().fg(md.heading).add_modifier(Modifier::BOLD);
                    if level == HeadingLevel::H1 {
                        style = style.add_modifier(Modifier::UNDERLINED);
                    }
                    self.styles.push(style);
                }
                Tag::BlockQuote(_) => {
                    self.flush();
                    self.start_block();
                    self.containers.push(Container::Quote);
                    let q = md.quote;
                    self.push_style(|s| s.fg(q).add_modifier(Modifier::ITALIC));
                }
                Tag::CodeBlock(kind) => {
                    self.flush();
                    self.start_block();
                    let lang = match kind {
                        CodeBlockKind::Fenced(l) => l.to_string(),
                        CodeBlockKind::Indented => String::new(),
                    };
                    self.code = Some((lang, String::new()));
                }
                Tag::List(start) => {
                    self.flush();
                    if !self.containers.iter().any(|c| matches!(c, Container::Item { .. })) {
                        self.start_block();
                    }
                    self.containers.push(Container::List(start));
                }
                Tag::Item => {
                    self.flush();
                    let marker = match self.containers.last_mut() {
                        Some(Container::List(Some(n))) => {
                            let m = format!("{n}. ");
                            *n += 1;
                            m
                        }
                        _ => "• ".to_string(),
                    };
                    let indent = width(&marker);
                    self.containers.push(Container::Item { marker: Some(marker), indent });
                }
                Tag::Emphasis => self.push_style(|s| s.add_modifier(Modifier::ITALIC)),
                Tag::Strong => self.push_style(|s| s.add_modifier(Modifier::BOLD)),
                Tag::Strikethrough => self.push_style(|s| s.add_modifier(Modifier::CROSSED_OUT)),
                Tag::Link { dest_url, .. } => {
                    self.link = Some(dest_url.to_string());
                    let c = md.link;
                    self.push_style(|s| s.fg(c).add_modifier(Modifier::UNDERLINED));
                }
                Tag::Image { dest_url, .. } => {
                    self.link = Some(dest_url.to_string());
                    self.spans.push(Span::styled("[image: ", Style::default().fg(self.theme.ui.muted)));
                    let c = self.theme.ui.muted;
                    self.push_style(|s| s.fg(c));
                }
                Tag::Table(aligns) => {
                    self.flush();
                    self.start_block();
                    self.table = Some(Table { aligns, ..Default::default() });
                }
                _ => {}
            },
            Event::End(tag) => match tag {
                TagEnd::Paragraph => {
                    self.flush();
                    self.gap = true;
                }
                TagEnd::Heading(_) => {
                    self.flush();
                    self.styles.pop();
                    self.heading = None;
                    self.gap = true;
                }
                TagEnd::BlockQuote(_) => {
                    self.flush();
                    self.containers.pop();
                    self.styles.pop();
                    self.gap = true;
                }
                TagEnd::CodeBlock => {
                    if let Some((lang, code)) = self.code.take() {
                        self.code_block(&lang, &code);
                    }
                    self.gap = true;
                }
                TagEnd::List(_) => {
                    self.flush();
                    self.containers.pop();
                    self.gap = true;
                }
                TagEnd::Item => {
                    self.flush();
                    self.containers.pop();
                    self.gap = false;
                }
                TagEnd::Emphasis | TagEnd::Strong | TagEnd::Strikethrough => {
                    self.styles.pop();
                }
                TagEnd::Link => {
                    self.styles.pop();
                    if let Some(url) = self.link.take() {
                        let shown: String = self.spans.iter().rev().take(1).map(|s| s.content.to_string()).collect();
                        if !url.is_empty() && shown != url && !url.starts_with('#') {
                            self.spans
                                .push(Span::styled(format!(" ({url})"), Style::default().fg(self.theme.ui.muted)));
                        }
                    }
                }
                TagEnd::Image => {
                    self.styles.pop();
                    self.link = None;
                    self.spans.push(Span::styled("]", Style::default().fg(self.theme.ui.muted)));
                }
                _ => {}
            },
            Event::Text(text) => match self.code.as_mut() {
                Some((_, code)) => code.push_str(&text),
                None => {
                    let style = self.style();
                    self.spans.push(Span::styled(text.to_string(), style));
                }
            },
            Event::Code(code) => {
                self.spans.push(Span::styled(code.to_string(), Style::default().fg(md.code).bg(md.code_bg)));
            }
            Event::SoftBreak => self.spans.push(Span::styled(" ", self.style())),
            Event::HardBreak => self.spans.push(Span::styled("\n", self.style())),
            Event::Rule => {
                self.flush();
                self.start_block();
                self.lines.push(Line::from(Span::styled("─".repeat(self.width.min(60)), Style::default().fg(md.rule))));
                self.gap = true;
            }
            Event::TaskListMarker(done) => {
                let mark = if done { "☒ " } else { "☐ " };
                self.spans.push(Span::styled(mark, Style::default().fg(md.list_marker)));
            }
            Event::Html(html) | Event::InlineHtml(html) => {
                self.spans.push(Span::styled(html.trim_end().to_string(), Style::default().fg(self.theme.ui.muted)));
            }
            Event::FootnoteReference(r) => self.spans.push(Span::styled(format!("[^{r}]"), self.style())),
            _ => {}
        }
    }

    fn table(&mut self, t: Table) {
        let cols = t.rows.iter().map(Vec::len).max().unwrap_or(0);
        if cols == 0 {
            return;
        }
        let cell_w = |c: &Vec<Span<'static>>| c.iter().map(|s| width(&s.content)).sum::<usize>();
        let mut widths = vec![1usize; cols];
        for row in &t.rows {
            for (i, c) in row.iter().enumerate() {
                widths[i] = widths[i].max(cell_w(c));
            }
        }
        let border = Style::default().fg(self.theme.markdown.rule);
        let total: usize = widths.iter().sum::<usize>() + 3 * (cols - 1);
        let (_, rest) = self.prefixes();
        if total + width_of(&rest) > self.width {
            // Too wide for a grid: one line per row, cells separated by bars, wrapped.
            for row in &t.rows {
                let mut spans = Vec::new();
                for (i, c) in row.iter().enumerate() {
                    if i > 0 {
                        spans.push(Span::styled(" │ ", border));
                    }
                    spans.extend(c.iter().cloned());
                }
                self.lines.extend(wrap(&spans, self.width, &rest, &rest));
            }
            return;
        }
        for (r, row) in t.rows.iter().enumerate() {
            let mut spans = rest.clone();
            for (i, w) in widths.iter().enumerate() {
                if i > 0 {
                    spans.push(Span::styled(" │ ", border));
                }
                let empty = Vec::new();
                let c = row.get(i).unwrap_or(&empty);
                let pad = w - cell_w(c);
                let (left, right) = match t.aligns.get(i) {
                    Some(Alignment::Right) => (pad, 0),
                    Some(Alignment::Center) => (pad / 2, pad - pad / 2),
                    _ => (0, pad),
                };
                spans.push(Span::raw(" ".repeat(left)));
                for s in c {
                    let mut s = s.clone();
                    if r < t.header_rows {
                        s.style = s.style.add_modifier(Modifier::BOLD);
                    }
                    spans.push(s);
                }
                spans.push(Span::raw(" ".repeat(right)));
            }
            self.lines.push(Line::from(spans));
            if r + 1 == t.header_rows {
                let sep: Vec<String> = widths.iter().map(|w| "─".repeat(*w)).collect();
                let mut line = rest.clone();
                line.push(Span::styled(sep.join("─┼─"), border));
                self.lines.push(Line::from(line));
            }
        }
    }
}

fn width_of(spans: &[Span<'_>]) -> usize {
    spans.iter().map(|s| width(&s.content)).sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::wrap::line_text;

    fn text(md: &str, w: usize) -> Vec<String> {
        render(md, w, &Theme::dark()).iter().map(line_text).collect()
    }

    #[test]
    fn blocks_lists_quotes_and_code() {
        let out = text(
            "# Title\n\nSome *text* and `code`.\n\n- one\n- two\n  1. a\n  2. b\n\n> quoted\n\n```rust\nfn x() {}\n```\n",
            40,
        );
        assert_eq!(
            out,
            [
                "Title",
                "",
                "Some text and code.",
                "",
                "• one",
                "• two",
                "  1. a",
                "  2. b",
                "",
                "│ quoted",
                "",
                "▎ fn x() {}"
            ]
        );
    }

    #[test]
    fn tables_fit_or_fall_back() {
        let md = "| a | bb |\n|---|---:|\n| 1 | 2 |\n";
        assert_eq!(text(md, 40), ["a │ bb", "──┼───", "1 │  2"]);
        let wide = "| aaaaaaaaaa | bbbbbbbbbb |\n|---|---|\n| c | d |\n";
        assert_eq!(text(wide, 12), ["aaaaaaaaaa │", "bbbbbbbbbb", "c │ d"]);
    }

    #[test]
    fn links_show_their_address() {
        assert_eq!(text("[docs](https://x.dev) and <https://y.dev>", 80), ["docs (https://x.dev) and https://y.dev"]);
    }

    #[test]
    fn copies_code_blocks() {
        assert_eq!(code_blocks("x\n```sh\nls\n```\ny\n```\npwd\n```"), ["ls\n", "pwd\n"]);
    }
}
