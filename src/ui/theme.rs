//! Themes: semantic colour roles, resolved once into a typed [`Theme`], and their adaptation
//! to terminals with fewer colours.
//!
//! The roles are listed once, in [`theme_roles!`]'s invocation below: it makes the role
//! structs, the [`Theme`], the [`ROLES`] table (dotted name → field) that the loader,
//! validation and docs use, and the blank theme every file starts from. Reading theme files
//! (TOML, OpenCode's JSON, the built-in ones) is [`crate::config::theme`]'s job. Rendering
//! reads plain fields and never looks a role up by name.

use ratatui::style::Color;

/// The syntect theme a theme file that names none gets.
pub const DEFAULT_SYNTAX: &str = "base16-ocean.dark";

type Accessor = fn(&mut Theme) -> &mut Color;

/// Defines every colour role once: `group: Struct { role, ... }` becomes `Theme.group.role`,
/// written `group.role` in theme files.
macro_rules! theme_roles {
    ($( $(#[$gdoc:meta])* $group:ident : $Struct:ident { $( $(#[$rdoc:meta])* $role:ident ),* $(,)? } )*) => {
        $(
            $(#[$gdoc])*
            #[derive(Debug, Clone, PartialEq)]
            pub struct $Struct { $( $(#[$rdoc])* pub $role: Color, )* }
        )*

        /// A resolved theme.
        #[derive(Debug, Clone, PartialEq)]
        pub struct Theme {
            pub name: String,
            /// The syntect theme used for code.
            pub syntax: String,
            $( pub $group: $Struct, )*
        }

        /// Every role by its dotted name: the one list the loader, validation and docs use.
        pub const ROLES: &[(&str, Accessor)] = &[
            $( $( (concat!(stringify!($group), ".", stringify!($role)), |t| &mut t.$group.$role), )* )*
        ];

        impl Theme {
            /// A theme with every role unset (terminal defaults); the base every file starts
            /// from.
            pub fn blank(name: &str) -> Theme {
                Theme {
                    name: name.to_string(),
                    syntax: DEFAULT_SYNTAX.into(),
                    $( $group: $Struct { $( $role: Color::Reset, )* }, )*
                }
            }
        }
    };
}

theme_roles! {
    /// The frame of the interface: panes, borders, text, states.
    ui: UiRoles {
        background, panel, border, border_active, text, muted, accent, primary, secondary,
        success, warning, error, info, selection,
    }
    /// Messages in the transcript.
    transcript: TranscriptRoles {
        user, user_marker, assistant_marker, thinking, tool, tool_running, tool_success,
        tool_error, notice,
    }
    /// Diffs: the review, /diff, tool cells.
    diff: DiffRoles {
        added, removed, context, hunk, line_number, added_bg, removed_bg,
        /// The changed words within an added or removed line (word-level highlighting).
        added_word,
        removed_word,
    }
    /// Markdown in answers.
    markdown: MarkdownRoles {
        heading, link, code, code_bg, quote, list_marker, emphasis, strong, rule,
    }
}

// ---------------------------------------------------------------------------------------------
// Terminals with fewer colours.

/// How many colours the terminal shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColorDepth {
    TrueColor,
    Ansi256,
    Ansi16,
    /// `NO_COLOR` is set: no colours at all (bold, reverse and markers still show state).
    None,
}

impl ColorDepth {
    /// From the environment: `NO_COLOR` (any non-empty value), `COLORTERM` (truecolor/24bit),
    /// `TERM` (`*-256color`, `dumb`). Terminals that say nothing get 256 colours, which nearly
    /// all have.
    pub fn detect() -> ColorDepth {
        let var = |n: &str| std::env::var(n).ok().filter(|v| !v.is_empty());
        if var("NO_COLOR").is_some() {
            return ColorDepth::None;
        }
        if var("COLORTERM").is_some_and(|v| v == "truecolor" || v == "24bit") {
            return ColorDepth::TrueColor;
        }
        match var("TERM").as_deref() {
            Some("dumb") => ColorDepth::None,
            Some(t) if t.contains("256") || t.contains("kitty") || t.contains("alacritty") || t.contains("wezterm") => {
                ColorDepth::Ansi256
            }
            Some("linux") | Some("vt100") | Some("vt220") | Some("xterm") | Some("screen") => ColorDepth::Ansi16,
            _ => ColorDepth::Ansi256,
        }
    }

    /// `c` as this terminal can show it: the nearest of the 256 or 16 colours, or none.
    pub fn adapt(self, c: Color) -> Color {
        match (self, c) {
            (ColorDepth::TrueColor, c) => c,
            (ColorDepth::None, _) => Color::Reset,
            (ColorDepth::Ansi256, Color::Rgb(r, g, b)) => Color::Indexed(nearest_256(r, g, b)),
            (ColorDepth::Ansi16, Color::Rgb(r, g, b)) => nearest_16(r, g, b),
            (ColorDepth::Ansi16, Color::Indexed(i)) => {
                let (r, g, b) = index_rgb(i);
                nearest_16(r, g, b)
            }
            (_, c) => c,
        }
    }
}

impl Theme {
    /// The theme with every colour adapted to the terminal's depth.
    pub fn adapted(mut self, depth: ColorDepth) -> Theme {
        if depth != ColorDepth::TrueColor {
            for (_, accessor) in ROLES {
                let c = accessor(&mut self);
                *c = depth.adapt(*c);
            }
        }
        self
    }
}

const CUBE: [u8; 6] = [0, 95, 135, 175, 215, 255];

fn dist(a: (u8, u8, u8), b: (u8, u8, u8)) -> u32 {
    let d = |x: u8, y: u8| (i32::from(x) - i32::from(y)).pow(2) as u32;
    // Weighted towards green, as the eye is.
    2 * d(a.0, b.0) + 4 * d(a.1, b.1) + 3 * d(a.2, b.2)
}

/// The RGB value a colour shows as in xterm's default palette; `None` for the terminal's
/// default colour (`Reset`).
pub fn rgb(c: Color) -> Option<(u8, u8, u8)> {
    match c {
        Color::Reset => None,
        Color::Rgb(r, g, b) => Some((r, g, b)),
        Color::Indexed(i) => Some(index_rgb(i)),
        named => ANSI16.iter().find(|(n, _)| *n == named).map(|(_, rgb)| *rgb),
    }
}

/// The RGB value of an xterm 256-colour index.
fn index_rgb(i: u8) -> (u8, u8, u8) {
    match i {
        0..16 => ANSI16[i as usize].1,
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

/// The nearest xterm 256-colour index (the 6×6×6 cube or the grey ramp).
pub fn nearest_256(r: u8, g: u8, b: u8) -> u8 {
    let near = |v: u8| {
        CUBE.iter().enumerate().min_by_key(|(_, c)| (i32::from(**c) - i32::from(v)).abs()).map_or(0, |(i, _)| i as u8)
    };
    let cube = 16 + 36 * near(r) + 6 * near(g) + near(b);
    let grey_level = ((u16::from(r) + u16::from(g) + u16::from(b)) / 3) as u8;
    let grey = 232 + ((grey_level.saturating_sub(8)) / 10).min(23);
    if dist((r, g, b), index_rgb(grey)) < dist((r, g, b), index_rgb(cube)) { grey } else { cube }
}

const ANSI16: [(Color, (u8, u8, u8)); 16] = [
    (Color::Black, (0, 0, 0)),
    (Color::Red, (205, 0, 0)),
    (Color::Green, (0, 205, 0)),
    (Color::Yellow, (205, 205, 0)),
    (Color::Blue, (0, 0, 238)),
    (Color::Magenta, (205, 0, 205)),
    (Color::Cyan, (0, 205, 205)),
    (Color::Gray, (229, 229, 229)),
    (Color::DarkGray, (127, 127, 127)),
    (Color::LightRed, (255, 0, 0)),
    (Color::LightGreen, (0, 255, 0)),
    (Color::LightYellow, (255, 255, 0)),
    (Color::LightBlue, (92, 92, 255)),
    (Color::LightMagenta, (255, 0, 255)),
    (Color::LightCyan, (0, 255, 255)),
    (Color::White, (255, 255, 255)),
];

/// The closest of the 16 ANSI colours by hue, so muted theme colours keep their meaning
/// (a pastel green stays green rather than becoming the nearest grey): greys by lightness,
/// other colours by hue, bright or normal by lightness.
pub fn nearest_16(r: u8, g: u8, b: u8) -> Color {
    let (max, min) = (r.max(g).max(b), r.min(g).min(b));
    let light = (u16::from(max) + u16::from(min)) / 2;
    if max - min < 40 {
        return match light {
            0..48 => Color::Black,
            48..150 => Color::DarkGray,
            150..220 => Color::Gray,
            _ => Color::White,
        };
    }
    let (rf, gf, bf) = (f32::from(r), f32::from(g), f32::from(b));
    let delta = f32::from(max - min);
    let hue = if max == r {
        60.0 * (((gf - bf) / delta).rem_euclid(6.0))
    } else if max == g {
        60.0 * ((bf - rf) / delta + 2.0)
    } else {
        60.0 * ((rf - gf) / delta + 4.0)
    };
    let bright = light > 150;
    let pick = |normal: Color, light: Color| if bright { light } else { normal };
    match hue {
        h if !(30.0..330.0).contains(&h) => pick(Color::Red, Color::LightRed),
        h if h < 90.0 => pick(Color::Yellow, Color::LightYellow),
        h if h < 150.0 => pick(Color::Green, Color::LightGreen),
        h if h < 210.0 => pick(Color::Cyan, Color::LightCyan),
        h if h < 270.0 => pick(Color::Blue, Color::LightBlue),
        _ => pick(Color::Magenta, Color::LightMagenta),
    }
}

#[cfg(test)]
mod depth {
    use super::*;

    #[test]
    fn downsampling_keeps_colours_apart() {
        assert_eq!(nearest_256(255, 0, 0), 196);
        assert_eq!(nearest_256(0x28, 0x28, 0x28), 235, "dark grey goes to the grey ramp");
        assert_eq!(nearest_16(0xa3, 0xbe, 0x8c), Color::LightGreen, "nord's pastel green stays green");
        assert_eq!(nearest_16(0xbf, 0x61, 0x6a), Color::Red);
        assert_eq!(nearest_16(0x28, 0x28, 0x28), Color::Black);
        for (name, _) in crate::config::theme::BUILTIN {
            let t = Theme::builtin(name).unwrap();
            for depth in [ColorDepth::Ansi256, ColorDepth::Ansi16] {
                let a = t.clone().adapted(depth);
                // Added and removed lines stay told apart, and text stays off the background.
                assert_ne!(a.diff.added, a.diff.removed, "{name} {depth:?}");
                assert_ne!(a.ui.text, a.ui.background, "{name} {depth:?}");
            }
            let none = t.adapted(ColorDepth::None);
            assert_eq!(none.ui.text, Color::Reset);
        }
    }
}
