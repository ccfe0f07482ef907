//! Syntax highlighting with syntect (pure-Rust regex engine). The syntax and theme sets load
//! on first use, so start-up does not pay for them.
//!
//! A code block is highlighted line by line with syntect's state carried from one line to the
//! next; [`Memo`] keeps that state between renders of a streaming answer, so each line of a
//! block is highlighted once however many frames the block stays open.

use std::sync::LazyLock;

use ratatui::style::{Color, Modifier, Style};
use ratatui::text::Span;
use syntect::highlighting::{FontStyle, HighlightIterator, HighlightState, Highlighter, ThemeSet};
use syntect::parsing::{ParseState, ScopeStack, SyntaxReference, SyntaxSet};

static SYNTAXES: LazyLock<SyntaxSet> = LazyLock::new(SyntaxSet::load_defaults_newlines);
/// syntect's own themes plus bat's (Dracula, Nord, gruvbox, Catppuccin...), from two-face.
static THEMES: LazyLock<ThemeSet> = LazyLock::new(|| two_face::theme::extra().into());

/// The terminal's colour depth, for the colours syntect gives (set once at start-up; true
/// colour until then, which is what tests render).
static DEPTH: std::sync::OnceLock<super::theme::ColorDepth> = std::sync::OnceLock::new();

/// Tells highlighting how many colours the terminal has.
pub fn set_color_depth(depth: super::theme::ColorDepth) {
    let _ = DEPTH.set(depth);
}

/// Whether a syntect theme of this name exists.
pub fn has_theme(name: &str) -> bool {
    THEMES.themes.contains_key(name)
}

/// Loads the syntax and theme sets (tens of milliseconds) so the first code block on screen
/// does not pay for it; call from a background thread at start-up.
pub fn warm_up() {
    LazyLock::force(&SYNTAXES);
    LazyLock::force(&THEMES);
}

/// Lines longer than this are not highlighted (minified files make the regex engine crawl).
const MAX_HIGHLIGHT_LINE: usize = 2000;

/// Highlights `code` as `lang` (a fence token: `rust`, `py`, `sh`...) with the syntect theme
/// `theme`. Returns one list of spans per line (a final newline does not start another line).
/// Unknown languages come back in `fallback`.
pub fn highlight(code: &str, lang: &str, theme: &str, fallback: Style) -> Vec<Vec<Span<'static>>> {
    let mut block = Block::new(lang, theme, fallback);
    block.feed(code, true);
    block.lines
}

/// The syntax for a fence token, with the aliases models use.
fn syntax_for(lang: &str) -> Option<&'static SyntaxReference> {
    let token = lang.split([',', ' ', '{']).next().unwrap_or("").trim();
    if token.is_empty() {
        return None;
    }
    SYNTAXES.find_syntax_by_token(token).or_else(|| match token {
        "sh" | "shell" | "zsh" | "console" => SYNTAXES.find_syntax_by_token("bash"),
        "ts" | "typescript" | "tsx" | "jsx" => SYNTAXES.find_syntax_by_token("js"),
        "toml" | "ini" => SYNTAXES.find_syntax_by_token("yaml"),
        _ => None,
    })
}

/// syntect's state at the end of a block's last complete line.
struct Syntax {
    highlighter: Highlighter<'static>,
    parse: ParseState,
    state: HighlightState,
}

impl Syntax {
    /// Highlights one line from the state and moves the state past it.
    fn line(&mut self, line: &str) -> Option<Vec<Span<'static>>> {
        highlight_line(&self.highlighter, &mut self.parse, &mut self.state, line)
    }
}

fn highlight_line(
    highlighter: &Highlighter<'_>,
    parse: &mut ParseState,
    state: &mut HighlightState,
    line: &str,
) -> Option<Vec<Span<'static>>> {
    let ops = parse.parse_line(line, &SYNTAXES).ok()?;
    let spans = HighlightIterator::new(state, &ops, line, highlighter)
        .filter_map(|(style, text)| {
            let text = text.trim_end_matches(['\n', '\r']);
            (!text.is_empty()).then(|| Span::styled(text.to_string(), convert(style)))
        })
        .collect();
    Some(spans)
}

/// One code block's highlighting, kept at the end of its last complete line so that the block
/// can grow (as it streams) at the cost of its new lines only.
struct Block {
    lang: String,
    theme: String,
    fallback: Style,
    /// None for a language syntect does not know.
    syntax: Option<Syntax>,
    /// The complete lines highlighted so far, as text: a later version of the block must
    /// start with them for the state to apply.
    source: String,
    lines: Vec<Vec<Span<'static>>>,
}

impl Block {
    fn new(lang: &str, theme: &str, fallback: Style) -> Block {
        let syntax = syntax_for(lang).and_then(|syntax| {
            let theme = THEMES.themes.get(theme).or_else(|| THEMES.themes.get("base16-ocean.dark"))?;
            let highlighter = Highlighter::new(theme);
            let state = HighlightState::new(&highlighter, ScopeStack::new());
            Some(Syntax { highlighter, parse: ParseState::new(syntax), state })
        });
        Block {
            lang: lang.to_string(),
            theme: theme.to_string(),
            fallback,
            syntax,
            source: String::new(),
            lines: Vec::new(),
        }
    }

    /// Whether `code` is this block grown (same language and theme, starting with what was
    /// highlighted).
    fn continued_by(&self, code: &str, lang: &str, theme: &str, fallback: Style) -> bool {
        self.lang == lang && self.theme == theme && self.fallback == fallback && code.starts_with(&self.source)
    }

    /// Highlights the lines of `code` past `source`: the complete ones, and with `finish` the
    /// unfinished last one too (which then counts as done).
    fn feed(&mut self, code: &str, finish: bool) {
        let new = &code[self.source.len()..];
        for line in syntect::util::LinesWithEndings::from(new) {
            if !line.ends_with('\n') && !finish {
                break;
            }
            let spans = self.line(line);
            self.lines.push(spans);
            self.source.push_str(line);
        }
    }

    fn plain(&self, line: &str) -> Vec<Span<'static>> {
        vec![Span::styled(line.trim_end_matches(['\n', '\r']).to_string(), self.fallback)]
    }

    fn line(&mut self, line: &str) -> Vec<Span<'static>> {
        match self.syntax.as_mut().filter(|_| line.len() <= MAX_HIGHLIGHT_LINE) {
            Some(syntax) => syntax.line(line).unwrap_or_else(|| self.plain(line)),
            None => self.plain(line),
        }
    }

    /// The unfinished last line, highlighted from a copy of the state (which stays at the
    /// end of the complete lines).
    fn peek(&self, line: &str) -> Vec<Span<'static>> {
        let Some(s) = self.syntax.as_ref().filter(|_| line.len() <= MAX_HIGHLIGHT_LINE) else {
            return self.plain(line);
        };
        let (mut parse, mut state) = (s.parse.clone(), s.state.clone());
        highlight_line(&s.highlighter, &mut parse, &mut state, line).unwrap_or_else(|| self.plain(line))
    }
}

/// The highlighted code blocks of one streaming answer. A block seen again (the same block
/// one delta longer, or the finished answer rendered whole) costs only its new lines and its
/// unfinished last line (highlighted from a copy of the state).
#[derive(Default)]
pub struct Memo {
    blocks: Vec<Block>,
}

impl std::fmt::Debug for Memo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Memo").field("blocks", &self.blocks.len()).finish()
    }
}

impl Memo {
    /// The lines of `code`, as [`highlight`] gives them.
    pub fn highlight(&mut self, code: &str, lang: &str, theme: &str, fallback: Style) -> Vec<Vec<Span<'static>>> {
        let known = self
            .blocks
            .iter()
            .enumerate()
            .filter(|(_, b)| b.continued_by(code, lang, theme, fallback))
            .max_by_key(|(_, b)| b.source.len())
            .map(|(i, _)| i);
        let i = known.unwrap_or_else(|| {
            self.blocks.push(Block::new(lang, theme, fallback));
            self.blocks.len() - 1
        });
        let block = &mut self.blocks[i];
        block.feed(code, false);
        let mut lines = block.lines.clone();
        let rest = &code[block.source.len()..];
        if !rest.is_empty() {
            lines.push(block.peek(rest));
        }
        lines
    }
}

fn convert(style: syntect::highlighting::Style) -> Style {
    let fg = style.foreground;
    let depth = DEPTH.get().copied().unwrap_or(super::theme::ColorDepth::TrueColor);
    let mut s = Style::default().fg(depth.adapt(Color::Rgb(fg.r, fg.g, fg.b)));
    if style.font_style.contains(FontStyle::BOLD) {
        s = s.add_modifier(Modifier::BOLD);
    }
    if style.font_style.contains(FontStyle::ITALIC) {
        s = s.add_modifier(Modifier::ITALIC);
    }
    s
}
