//! Syntax highlighting with syntect (pure-Rust regex engine). The syntax and theme sets load
//! on first use, so start-up does not pay for them.

use std::sync::LazyLock;

use ratatui::style::{Color, Modifier, Style};
use ratatui::text::Span;
use syntect::easy::HighlightLines;
use syntect::highlighting::{FontStyle, ThemeSet};
use syntect::parsing::SyntaxSet;

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
/// `theme`. Returns one list of spans per line. Unknown languages come back in `fallback`.
pub fn highlight(code: &str, lang: &str, theme: &str, fallback: Style) -> Vec<Vec<Span<'static>>> {
    let plain = || code.lines().map(|l| vec![Span::styled(l.to_string(), fallback)]).collect();
    let token = lang.split([',', ' ', '{']).next().unwrap_or("").trim();
    if token.is_empty() {
        return plain();
    }
    let Some(syntax) = SYNTAXES.find_syntax_by_token(token).or_else(|| match token {
        "sh" | "shell" | "zsh" | "console" => SYNTAXES.find_syntax_by_token("bash"),
        "ts" | "typescript" | "tsx" | "jsx" => SYNTAXES.find_syntax_by_token("js"),
        "toml" | "ini" => SYNTAXES.find_syntax_by_token("yaml"),
        _ => None,
    }) else {
        return plain();
    };
    let Some(theme) = THEMES.themes.get(theme).or_else(|| THEMES.themes.get("base16-ocean.dark")) else {
        return plain();
    };
    let mut h = HighlightLines::new(syntax, theme);
    let mut out = Vec::new();
    for line in syntect::util::LinesWithEndings::from(code) {
        if line.len() > MAX_HIGHLIGHT_LINE {
            out.push(vec![Span::styled(line.trim_end_matches('\n').to_string(), fallback)]);
            continue;
        }
        match h.highlight_line(line, &SYNTAXES) {
            Ok(ranges) => out.push(
                ranges
                    .into_iter()
                    .filter_map(|(style, text)| {
                        let text = text.trim_end_matches(['\n', '\r']);
                        (!text.is_empty()).then(|| Span::styled(text.to_string(), convert(style)))
                    })
                    .collect(),
            ),
            Err(_) => out.push(vec![Span::styled(line.trim_end_matches('\n').to_string(), fallback)]),
        }
    }
    out
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
