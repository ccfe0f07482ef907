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

/// xterm's default colours for the 16 ANSI names.
fn ansi(c: Color) -> Option<(u8, u8, u8)> {
    Some(match c {
        Color::Black => (0, 0, 0),
        Color::Red => (205, 0, 0),
        Color::Green => (0, 205, 0),
        Color::Yellow => (205, 205, 0),
        Color::Blue => (0, 0, 238),
        Color::Magenta => (205, 0, 205),
        Color::Cyan => (0, 205, 205),
        Color::Gray => (229, 229, 229),
        Color::DarkGray => (127, 127, 127),
        Color::LightRed => (255, 0, 0),
        Color::LightGreen => (0, 255, 0),
        Color::LightYellow => (255, 255, 0),
        Color::LightBlue => (92, 92, 255),
        Color::LightMagenta => (255, 0, 255),
        Color::LightCyan => (0, 255, 255),
        Color::White => (255, 255, 255),
        _ => return None,
    })
}

/// The RGB of an xterm 256-colour index.
fn indexed(i: u8) -> (u8, u8, u8) {
    const NAMES: [Color; 16] = [
        Color::Black,
        Color::Red,
        Color::Green,
        Color::Yellow,
        Color::Blue,
        Color::Magenta,
        Color::Cyan,
        Color::Gray,
        Color::DarkGray,
        Color::LightRed,
        Color::LightGreen,
        Color::LightYellow,
        Color::LightBlue,
        Color::LightMagenta,
        Color::LightCyan,
        Color::White,
    ];
    const CUBE: [u8; 6] = [0, 95, 135, 175, 215, 255];
    match i {
        0..16 => ansi(NAMES[i as usize]).unwrap_or_default(),
        16..232 => {
            let i = i - 16;
            (CUBE[(i / 36) as usize], CUBE[((i / 6) % 6) as usize], CUBE[(i % 6) as usize])
        }
        _ => {
            let v = 8 + 10 * (i - 232);
            (v, v, v)
        }
    }
}

fn hex(c: Color, default: &str) -> String {
    let rgb = match c {
        Color::Reset => return default.to_string(),
        Color::Rgb(r, g, b) => (r, g, b),
        Color::Indexed(i) => indexed(i),
        other => ansi(other).unwrap_or_default(),
    };
    format!("#{:02x}{:02x}{:02x}", rgb.0, rgb.1, rgb.2)
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
