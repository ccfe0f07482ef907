//! A rendered buffer as an SVG picture of a terminal: each run of cells with one style becomes
//! a background rectangle and a text element stretched to its exact columns, so the picture
//! lines up in any monospace font. For the README's screenshots.

#![allow(dead_code)]

use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};

/// Width and height of one cell, in pixels (a 14px monospace font).
const CELL_W: f32 = 8.4;
const CELL_H: f32 = 17.0;
/// Space around the screen inside the window, and the title bar's height.
const PAD: f32 = 12.0;
const BAR: f32 = 28.0;

fn hex(c: Color, default: &str) -> String {
    match claw_tui::ui::theme::rgb(c) {
        Some((r, g, b)) => format!("#{r:02x}{g:02x}{b:02x}"),
        None => default.to_string(),
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// The style of a cell as the picture draws it: foreground, background, modifiers.
fn look(buf: &Buffer, x: u16, y: u16, fg: &str, bg: &str) -> (String, String, Modifier) {
    let c = &buf[(x, y)];
    let (mut f, mut b) = (hex(c.fg, fg), hex(c.bg, bg));
    if c.modifier.contains(Modifier::REVERSED) {
        std::mem::swap(&mut f, &mut b);
    }
    (f, b, c.modifier)
}

/// `buf` as an SVG window titled `title`, with `fg` and `bg` for the terminal's default
/// colours (what `Color::Reset` shows).
pub fn svg(buf: &Buffer, title: &str, fg: &str, bg: &str) -> String {
    let (w, h) = (buf.area.width, buf.area.height);
    let width = f32::from(w) * CELL_W + 2.0 * PAD;
    let height = f32::from(h) * CELL_H + 2.0 * PAD + BAR;
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" \
font-family=\"ui-monospace, SFMono-Regular, Menlo, Consolas, 'DejaVu Sans Mono', monospace\" font-size=\"14\">\n"
    );
    out.push_str(&format!(
        "<rect width=\"{width}\" height=\"{height}\" rx=\"8\" fill=\"{bg}\" stroke=\"#888\" stroke-opacity=\"0.4\"/>\n"
    ));
    for (i, dot) in ["#ff5f57", "#febc2e", "#28c840"].iter().enumerate() {
        out.push_str(&format!("<circle cx=\"{}\" cy=\"14\" r=\"5.5\" fill=\"{dot}\"/>\n", 18.0 + 18.0 * i as f32));
    }
    out.push_str(&format!(
        "<text x=\"{}\" y=\"18\" fill=\"{fg}\" fill-opacity=\"0.6\" text-anchor=\"middle\" font-size=\"12\">{}</text>\n",
        width / 2.0,
        escape(title)
    ));
    for y in 0..h {
        row(&mut out, buf, y, fg, bg);
    }
    out.push_str("</svg>\n");
    out
}

/// One row: runs of one background as rectangles, runs of one style as text.
fn row(out: &mut String, buf: &Buffer, y: u16, fg: &str, bg: &str) {
    let top = PAD + BAR + f32::from(y) * CELL_H;
    let mut x = 0;
    while x < buf.area.width {
        let style = look(buf, x, y, fg, bg);
        let mut end = x + 1;
        while end < buf.area.width && look(buf, end, y, fg, bg) == style {
            end += 1;
        }
        let (f, b, m) = style;
        let left = PAD + f32::from(x) * CELL_W;
        let cols = f32::from(end - x);
        if b != bg {
            out.push_str(&format!(
                "<rect x=\"{left:.1}\" y=\"{top:.1}\" width=\"{:.1}\" height=\"{CELL_H}\" fill=\"{b}\"/>\n",
                cols * CELL_W
            ));
        }
        let text: String = (x..end).map(|i| buf[(i, y)].symbol()).collect();
        if !text.trim().is_empty() {
            let mut attrs = String::new();
            if m.contains(Modifier::BOLD) {
                attrs.push_str(" font-weight=\"bold\"");
            }
            if m.contains(Modifier::ITALIC) {
                attrs.push_str(" font-style=\"italic\"");
            }
            if m.contains(Modifier::UNDERLINED) {
                attrs.push_str(" text-decoration=\"underline\"");
            }
            if m.contains(Modifier::DIM) {
                attrs.push_str(" fill-opacity=\"0.6\"");
            }
            out.push_str(&format!(
                "<text x=\"{left:.1}\" y=\"{:.1}\" fill=\"{f}\" textLength=\"{:.1}\" lengthAdjust=\"spacingAndGlyphs\" xml:space=\"preserve\"{attrs}>{}</text>\n",
                top + CELL_H * 0.75,
                cols * CELL_W,
                escape(&text)
            ));
        }
        x = end;
    }
}
