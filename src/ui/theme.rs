//! Themes: semantic colour roles, resolved once into a typed [`Theme`].
//!
//! A theme file is TOML. `[palette]` names colours; every other table sets roles
//! (`[ui] text = "..."`, `[diff] added = "..."`), either as a colour or as a palette name.
//! Colours are `#rrggbb`, `#rgb`, an ANSI name (`red`, `darkgray`, `lightblue`, `reset`) or a
//! number 0–255. A role the file leaves out keeps the base theme's value (the built-in dark
//! theme, or the file's `inherits`). Loading produces a [`Theme`] with plain fields, so
//! rendering never looks a role up by name.

use std::collections::BTreeMap;

use ratatui::style::Color;

/// Built-in themes by name, embedded from themes/.
pub const BUILTIN: &[(&str, &str)] = &[
    ("dark", include_str!("../../themes/dark.toml")),
    ("light", include_str!("../../themes/light.toml")),
    ("high-contrast-dark", include_str!("../../themes/high-contrast-dark.toml")),
    ("high-contrast-light", include_str!("../../themes/high-contrast-light.toml")),
    ("gruvbox", include_str!("../../themes/gruvbox.toml")),
    ("nord", include_str!("../../themes/nord.toml")),
    ("dracula", include_str!("../../themes/dracula.toml")),
    ("tokyonight", include_str!("../../themes/tokyonight.toml")),
    ("catppuccin", include_str!("../../themes/catppuccin.toml")),
    ("solarized", include_str!("../../themes/solarized.toml")),
];

#[derive(Debug, Clone, PartialEq)]
pub struct UiRoles {
    pub background: Color,
    pub panel: Color,
    pub border: Color,
    pub border_active: Color,
    pub text: Color,
    pub muted: Color,
    pub accent: Color,
    pub primary: Color,
    pub secondary: Color,
    pub success: Color,
    pub warning: Color,
    pub error: Color,
    pub info: Color,
    pub selection: Color,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TranscriptRoles {
    pub user: Color,
    pub user_marker: Color,
    pub assistant_marker: Color,
    pub thinking: Color,
    pub tool: Color,
    pub tool_running: Color,
    pub tool_success: Color,
    pub tool_error: Color,
    pub notice: Color,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DiffRoles {
    pub added: Color,
    pub removed: Color,
    pub context: Color,
    pub hunk: Color,
    pub line_number: Color,
    pub added_bg: Color,
    pub removed_bg: Color,
    /// The changed words within an added or removed line (word-level highlighting).
    pub added_word: Color,
    pub removed_word: Color,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MarkdownRoles {
    pub heading: Color,
    pub link: Color,
    pub code: Color,
    pub code_bg: Color,
    pub quote: Color,
    pub list_marker: Color,
    pub emphasis: Color,
    pub strong: Color,
    pub rule: Color,
}

/// A resolved theme.
#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    pub name: String,
    /// The syntect theme used for code.
    pub syntax: String,
    pub ui: UiRoles,
    pub transcript: TranscriptRoles,
    pub diff: DiffRoles,
    pub markdown: MarkdownRoles,
}

type Accessor = fn(&mut Theme) -> &mut Color;

/// Every role by its dotted name: the one list the loader, validation and docs use.
pub const ROLES: &[(&str, Accessor)] = &[
    ("ui.background", |t| &mut t.ui.background),
    ("ui.panel", |t| &mut t.ui.panel),
    ("ui.border", |t| &mut t.ui.border),
    ("ui.border_active", |t| &mut t.ui.border_active),
    ("ui.text", |t| &mut t.ui.text),
    ("ui.muted", |t| &mut t.ui.muted),
    ("ui.accent", |t| &mut t.ui.accent),
    ("ui.primary", |t| &mut t.ui.primary),
    ("ui.secondary", |t| &mut t.ui.secondary),
    ("ui.success", |t| &mut t.ui.success),
    ("ui.warning", |t| &mut t.ui.warning),
    ("ui.error", |t| &mut t.ui.error),
    ("ui.info", |t| &mut t.ui.info),
    ("ui.selection", |t| &mut t.ui.selection),
    ("transcript.user", |t| &mut t.transcript.user),
    ("transcript.user_marker", |t| &mut t.transcript.user_marker),
    ("transcript.assistant_marker", |t| &mut t.transcript.assistant_marker),
    ("transcript.thinking", |t| &mut t.transcript.thinking),
    ("transcript.tool", |t| &mut t.transcript.tool),
    ("transcript.tool_running", |t| &mut t.transcript.tool_running),
    ("transcript.tool_success", |t| &mut t.transcript.tool_success),
    ("transcript.tool_error", |t| &mut t.transcript.tool_error),
    ("transcript.notice", |t| &mut t.transcript.notice),
    ("diff.added", |t| &mut t.diff.added),
    ("diff.removed", |t| &mut t.diff.removed),
    ("diff.context", |t| &mut t.diff.context),
    ("diff.hunk", |t| &mut t.diff.hunk),
    ("diff.line_number", |t| &mut t.diff.line_number),
    ("diff.added_bg", |t| &mut t.diff.added_bg),
    ("diff.removed_bg", |t| &mut t.diff.removed_bg),
    ("diff.added_word", |t| &mut t.diff.added_word),
    ("diff.removed_word", |t| &mut t.diff.removed_word),
    ("markdown.heading", |t| &mut t.markdown.heading),
    ("markdown.link", |t| &mut t.markdown.link),
    ("markdown.code", |t| &mut t.markdown.code),
    ("markdown.code_bg", |t| &mut t.markdown.code_bg),
    ("markdown.quote", |t| &mut t.markdown.quote),
    ("markdown.list_marker", |t| &mut t.markdown.list_marker),
    ("markdown.emphasis", |t| &mut t.markdown.emphasis),
    ("markdown.strong", |t| &mut t.markdown.strong),
    ("markdown.rule", |t| &mut t.markdown.rule),
];

impl Theme {
    /// A theme with every role unset (terminal defaults); the base every file starts from.
    fn blank(name: &str) -> Theme {
        let r = Color::Reset;
        Theme {
            name: name.to_string(),
            syntax: "base16-ocean.dark".into(),
            ui: UiRoles {
                background: r,
                panel: r,
                border: r,
                border_active: r,
                text: r,
                muted: r,
                accent: r,
                primary: r,
                secondary: r,
                success: r,
                warning: r,
                error: r,
                info: r,
                selection: r,
            },
            transcript: TranscriptRoles {
                user: r,
                user_marker: r,
                assistant_marker: r,
                thinking: r,
                tool: r,
                tool_running: r,
                tool_success: r,
                tool_error: r,
                notice: r,
            },
            diff: DiffRoles {
                added: r,
                removed: r,
                context: r,
                hunk: r,
                line_number: r,
                added_bg: r,
                removed_bg: r,
                added_word: r,
                removed_word: r,
            },
            markdown: MarkdownRoles {
                heading: r,
                link: r,
                code: r,
                code_bg: r,
                quote: r,
                list_marker: r,
                emphasis: r,
                strong: r,
                rule: r,
            },
        }
    }

    /// The built-in theme `name`.
    pub fn builtin(name: &str) -> Option<Theme> {
        let (_, text) = BUILTIN.iter().find(|(n, _)| *n == name)?;
        Some(Theme::parse(name, text, None).expect("built-in themes are valid (tested)"))
    }

    /// The default dark theme.
    pub fn dark() -> Theme {
        Theme::builtin("dark").expect("dark theme")
    }

    /// Parses a theme file strictly: any problem is an error (the built-in themes).
    pub fn parse(name: &str, text: &str, base: Option<&Theme>) -> Result<Theme, Vec<String>> {
        let (theme, errors) = Theme::load(name, text, base);
        if errors.is_empty() { Ok(theme) } else { Err(errors.into_iter().map(|(_, _, e)| e).collect()) }
    }

    /// Parses a theme file leniently: a bad role keeps its inherited colour, and each problem
    /// comes back with its line and column. `base` supplies roles the file leaves out (the
    /// file's `inherits` names a built-in theme and wins over `base`).
    pub fn load(name: &str, text: &str, base: Option<&Theme>) -> (Theme, Vec<(usize, usize, String)>) {
        let fallback = || base.cloned().unwrap_or_else(|| Theme::blank(name));
        let table: toml::Table = match text.parse() {
            Ok(t) => t,
            Err(e) => {
                let (line, col) = e.span().map(|s| line_col(text, s.start)).unwrap_or((1, 1));
                return (fallback(), vec![(line, col, e.message().trim().to_string())]);
            }
        };
        let mut located: Vec<(usize, usize, String)> = Vec::new();
        let mut errors: Vec<String> = Vec::new();
        let mut theme = match table.get("inherits").and_then(|v| v.as_str()) {
            Some(parent) => match Theme::builtin(parent) {
                Some(t) => t,
                None => {
                    errors.push(format!("inherits: there is no built-in theme `{parent}`"));
                    fallback()
                }
            },
            None => fallback(),
        };
        theme.name = table.get("name").and_then(|v| v.as_str()).unwrap_or(name).to_string();
        let mut palette: BTreeMap<String, Color> = BTreeMap::new();
        if let Some(p) = table.get("palette") {
            match p.as_table() {
                Some(p) => {
                    for (key, value) in p {
                        match value.as_str().map(parse_color).or_else(|| value.as_integer().map(index_color)) {
                            Some(Ok(c)) => {
                                palette.insert(key.clone(), c);
                            }
                            Some(Err(e)) => errors.push(format!("palette.{key}: {e}")),
                            None => errors.push(format!("palette.{key}: expected a colour string or 0-255")),
                        }
                    }
                }
                None => errors.push("palette: expected a table".into()),
            }
        }
        for (section, value) in &table {
            match section.as_str() {
                "name" | "inherits" | "palette" => continue,
                "syntax" => {
                    match value.as_str() {
                        Some(s) => theme.syntax = s.to_string(),
                        None => errors.push("syntax: expected the name of a syntax-highlighting theme".into()),
                    }
                    continue;
                }
                _ => {}
            }
            let Some(roles) = value.as_table() else {
                errors.push(format!("{section}: expected a table of roles"));
                continue;
            };
            for (role, value) in roles {
                let key = format!("{section}.{role}");
                let Some((_, accessor)) = ROLES.iter().find(|(k, _)| *k == key) else {
                    errors.push(format!("{key}: unknown role"));
                    continue;
                };
                let color = match value {
                    toml::Value::String(s) => match palette.get(s) {
                        Some(c) => Ok(*c),
                        None => parse_color(s),
                    },
                    toml::Value::Integer(i) => index_color(*i),
                    _ => Err("expected a colour string, a palette name or 0-255".to_string()),
                };
                match color {
                    Ok(c) => *accessor(&mut theme) = c,
                    Err(e) => errors.push(format!("{key}: {e}")),
                }
            }
        }
        for e in errors {
            // Errors start with the dotted role (`diff.added: ...`); find where it is written.
            let key = e.split(':').next().unwrap_or("").to_string();
            let (section, role) = match key.split_once('.') {
                Some((s, r)) => (Some(s.to_string()), r.to_string()),
                None => (None, key.clone()),
            };
            let (line, col) = crate::config::locate_key(text, section.as_deref(), &role);
            located.push((line, col, e));
        }
        (theme, located)
    }
}

/// 1-based line and column of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    (before.matches('\n').count() + 1, before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1)
}

fn index_color(i: i64) -> Result<Color, String> {
    u8::try_from(i).map(Color::Indexed).map_err(|_| format!("{i} is not a colour index (0-255)"))
}

/// Parses `#rrggbb`, `#rgb`, an ANSI colour name, or a number 0–255.
pub fn parse_color(s: &str) -> Result<Color, String> {
    let t = s.trim();
    if let Some(hex) = t.strip_prefix('#') {
        let digits: Vec<u8> = hex
            .chars()
            .map(|c| c.to_digit(16).map(|d| d as u8))
            .collect::<Option<_>>()
            .ok_or_else(|| format!("`{s}` is not a hex colour"))?;
        return match digits.len() {
            6 => Ok(Color::Rgb(digits[0] * 16 + digits[1], digits[2] * 16 + digits[3], digits[4] * 16 + digits[5])),
            3 => Ok(Color::Rgb(digits[0] * 17, digits[1] * 17, digits[2] * 17)),
            _ => Err(format!("`{s}` is not a hex colour (#rrggbb or #rgb)")),
        };
    }
    if let Ok(i) = t.parse::<i64>() {
        return index_color(i);
    }
    let c = match t.to_ascii_lowercase().replace(['_', '-', ' '], "").as_str() {
        "reset" | "default" | "none" => Color::Reset,
        "black" => Color::Black,
        "red" => Color::Red,
        "green" => Color::Green,
        "yellow" => Color::Yellow,
        "blue" => Color::Blue,
        "magenta" => Color::Magenta,
        "cyan" => Color::Cyan,
        "gray" | "grey" => Color::Gray,
        "darkgray" | "darkgrey" | "brightblack" => Color::DarkGray,
        "lightred" | "brightred" => Color::LightRed,
        "lightgreen" | "brightgreen" => Color::LightGreen,
        "lightyellow" | "brightyellow" => Color::LightYellow,
        "lightblue" | "brightblue" => Color::LightBlue,
        "lightmagenta" | "brightmagenta" => Color::LightMagenta,
        "lightcyan" | "brightcyan" => Color::LightCyan,
        "white" | "brightwhite" => Color::White,
        _ => return Err(format!("`{s}` is not a colour (#rrggbb, an ANSI name, or 0-255)")),
    };
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every shipped theme loads, sets every role, and names a syntect theme that exists.
    #[test]
    fn builtin_themes_are_complete() {
        assert!(BUILTIN.len() >= 10);
        for (name, text) in BUILTIN {
            let mut t = Theme::parse(name, text, None).unwrap_or_else(|e| panic!("{name}: {e:?}"));
            for (key, accessor) in ROLES {
                if *key != "ui.background" {
                    assert_ne!(*accessor(&mut t), Color::Reset, "{name}: {key} is unset");
                }
            }
            assert!(crate::ui::highlight::has_theme(&t.syntax), "{name}: unknown syntax theme {}", t.syntax);
        }
    }

    #[test]
    fn colours_palette_inherits_and_errors() {
        assert_eq!(parse_color("#ff8000"), Ok(Color::Rgb(255, 128, 0)));
        assert_eq!(parse_color("#f80"), Ok(Color::Rgb(255, 136, 0)));
        assert_eq!(parse_color("light_blue"), Ok(Color::LightBlue));
        assert_eq!(parse_color("208"), Ok(Color::Indexed(208)));
        assert!(parse_color("#12345").is_err());
        assert!(parse_color("chartreuse-ish").is_err());
        let t =
            Theme::parse("mine", "inherits = \"light\"\n[palette]\nhot = \"#ff0000\"\n[diff]\nadded = \"hot\"\n", None)
                .unwrap();
        assert_eq!(t.diff.added, Color::Rgb(255, 0, 0));
        assert_eq!(t.ui.text, Theme::builtin("light").unwrap().ui.text);
        let e = Theme::parse("bad", "[ui]\ntext = \"#zzz\"\nnope = \"red\"\n[diff]\nadded = true\n", None).unwrap_err();
        assert_eq!(e.len(), 3, "{e:?}");
        assert!(e.iter().any(|m| m.starts_with("ui.nope: unknown role")));
    }
}

// ---------------------------------------------------------------------------------------------
// Choosing a theme: built-in, or a file of the user's (TOML, or OpenCode's JSON format).

/// Where theme files are looked for, most specific first: the project's `.claw/themes`, then
/// the config home's `themes`.
pub fn theme_dirs(root: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut dirs = vec![root.join(".claw").join("themes")];
    if let Some(home) = crate::config::config_home() {
        dirs.push(home.join("themes"));
    }
    dirs
}

/// Every theme name available: user files first (a file may shadow a built-in), then the
/// built-ins, each once.
pub fn available(dirs: &[std::path::PathBuf]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for dir in dirs {
        let mut found: Vec<String> = std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| {
                let p = e.path();
                let ext = p.extension()?.to_str()?;
                (ext == "toml" || ext == "json").then(|| p.file_stem()?.to_str().map(str::to_string))?
            })
            .collect();
        found.sort();
        names.extend(found);
    }
    names.extend(BUILTIN.iter().map(|(n, _)| n.to_string()));
    let mut seen = std::collections::HashSet::new();
    names.retain(|n| seen.insert(n.clone()));
    names
}

/// Loads the theme `name`: a file in `dirs` (`<name>.toml`, or `<name>.json` in OpenCode's
/// format), else a built-in. Never fails: problems come back as `file:line:col: what`
/// warnings, and what could not be read falls back to the built-in dark theme.
pub fn resolve(name: &str, dirs: &[std::path::PathBuf]) -> (Theme, Vec<String>) {
    for dir in dirs {
        let toml_path = dir.join(format!("{name}.toml"));
        if let Ok(text) = std::fs::read_to_string(&toml_path) {
            let (theme, problems) = Theme::load(name, &text, Some(&Theme::dark()));
            let warnings = problems
                .into_iter()
                .map(|(l, c, e)| format!("{}:{l}:{c}: {e}; the built-in value is used instead", toml_path.display()))
                .collect();
            return (theme, warnings);
        }
        let json_path = dir.join(format!("{name}.json"));
        if let Ok(text) = std::fs::read_to_string(&json_path) {
            return match from_opencode(name, &text, true) {
                Ok((theme, problems)) => {
                    (theme, problems.into_iter().map(|p| format!("{}: {p}", json_path.display())).collect())
                }
                Err(e) => (Theme::dark(), vec![format!("{}: {e}; using the dark theme", json_path.display())]),
            };
        }
    }
    match Theme::builtin(name) {
        Some(t) => (t, Vec::new()),
        None => (
            Theme::dark(),
            vec![format!(
                "there is no theme `{name}` (built-in: {}); using dark",
                BUILTIN.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
            )],
        ),
    }
}

/// OpenCode's theme keys and the roles they set here.
const OPENCODE_ROLES: &[(&str, &str)] = &[
    ("primary", "ui.primary"),
    ("secondary", "ui.secondary"),
    ("accent", "ui.accent"),
    ("error", "ui.error"),
    ("warning", "ui.warning"),
    ("success", "ui.success"),
    ("info", "ui.info"),
    ("text", "ui.text"),
    ("textMuted", "ui.muted"),
    ("background", "ui.background"),
    ("backgroundPanel", "ui.panel"),
    ("backgroundElement", "ui.selection"),
    ("border", "ui.border"),
    ("borderActive", "ui.border_active"),
    ("diffAdded", "diff.added"),
    ("diffRemoved", "diff.removed"),
    ("diffContext", "diff.context"),
    ("diffHunkHeader", "diff.hunk"),
    ("diffLineNumber", "diff.line_number"),
    ("diffAddedBg", "diff.added_bg"),
    ("diffRemovedBg", "diff.removed_bg"),
    ("diffHighlightAdded", "diff.added_word"),
    ("diffHighlightRemoved", "diff.removed_word"),
    ("markdownHeading", "markdown.heading"),
    ("markdownLink", "markdown.link"),
    ("markdownCode", "markdown.code"),
    ("markdownBlockQuote", "markdown.quote"),
    ("markdownEmph", "markdown.emphasis"),
    ("markdownStrong", "markdown.strong"),
    ("markdownHorizontalRule", "markdown.rule"),
    ("markdownListItem", "markdown.list_marker"),
];

/// Reads a theme written for OpenCode: `{"defs": {name: colour}, "theme": {key: colour |
/// def name | {"dark": .., "light": ..}}}`. Keys this format has and claw-tui does not are
/// ignored; roles it lacks come from the built-in dark (or light) theme, and the transcript's
/// roles follow the UI roles. Returns the theme and what could not be used.
pub fn from_opencode(name: &str, text: &str, dark: bool) -> Result<(Theme, Vec<String>), String> {
    let v: serde_json::Value = serde_json::from_str(text).map_err(|e| format!("not valid JSON: {e}"))?;
    let theme_map = v.get("theme").and_then(|t| t.as_object()).ok_or("no \"theme\" object: not an OpenCode theme")?;
    let defs = v.get("defs").and_then(|d| d.as_object());
    let mut problems = Vec::new();
    let resolve_value = |value: &serde_json::Value| -> Result<Color, String> {
        let value = match value {
            serde_json::Value::Object(m) => {
                m.get(if dark { "dark" } else { "light" }).ok_or("no dark/light variant")?
            }
            other => other,
        };
        match value {
            serde_json::Value::String(s) if s == "none" || s == "transparent" => Ok(Color::Reset),
            serde_json::Value::String(s) => match defs.and_then(|d| d.get(s)) {
                Some(serde_json::Value::String(hex)) => parse_color(hex),
                Some(serde_json::Value::Number(n)) => index_color(n.as_i64().unwrap_or(-1)),
                _ => parse_color(s),
            },
            serde_json::Value::Number(n) => index_color(n.as_i64().unwrap_or(-1)),
            other => Err(format!("`{other}` is not a colour")),
        }
    };
    let mut theme = if dark { Theme::dark() } else { Theme::builtin("light").expect("light") };
    theme.name = name.to_string();
    for (key, value) in theme_map {
        let Some((_, role)) = OPENCODE_ROLES.iter().find(|(k, _)| k == key) else { continue };
        match resolve_value(value) {
            Ok(c) => {
                if let Some((_, accessor)) = ROLES.iter().find(|(r, _)| r == role) {
                    *accessor(&mut theme) = c;
                }
            }
            Err(e) => problems.push(format!("theme.{key}: {e}")),
        }
    }
    let ui = theme.ui.clone();
    theme.transcript = TranscriptRoles {
        user: ui.text,
        user_marker: ui.secondary,
        assistant_marker: ui.accent,
        thinking: ui.muted,
        tool: ui.primary,
        tool_running: ui.warning,
        tool_success: ui.success,
        tool_error: ui.error,
        notice: ui.warning,
    };
    Ok((theme, problems))
}

#[cfg(test)]
mod choosing {
    use super::*;

    #[test]
    fn user_files_shadow_builtins_and_report_located_problems() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("mine.toml"),
            "inherits = \"nord\"\n[diff]\nadded = \"#00ff00\"\nremoved = \"#nope\"\n",
        )
        .unwrap();
        std::fs::write(dir.path().join("dark.toml"), "inherits = \"light\"\n").unwrap();
        let dirs = vec![dir.path().to_path_buf()];
        let names = available(&dirs);
        assert_eq!(&names[..2], ["dark", "mine"]);
        assert_eq!(names.iter().filter(|n| *n == "dark").count(), 1);
        let (t, warnings) = resolve("mine", &dirs);
        assert_eq!(t.diff.added, Color::Rgb(0, 255, 0));
        assert_eq!(t.diff.removed, Theme::builtin("nord").unwrap().diff.removed, "the bad role keeps nord's");
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].contains("mine.toml:4:1: diff.removed:"), "{}", warnings[0]);
        let (t, _) = resolve("dark", &dirs);
        assert_eq!(t.ui.text, Theme::builtin("light").unwrap().ui.text, "the user's dark.toml wins");
        let (t, w) = resolve("nonexistent", &dirs);
        assert_eq!(t, Theme::dark());
        assert!(w[0].contains("there is no theme `nonexistent`"));
    }

    #[test]
    fn opencode_themes_load() {
        let sample = r##"{
          "$schema": "https://opencode.ai/theme.json",
          "defs": {"bg": "#101014", "fg": "#e0e0e0", "pink": "#ff6ac1", "green": "#5af78e", "red": "#ff5c57"},
          "theme": {
            "primary": {"dark": "pink", "light": "#aa0066"},
            "text": {"dark": "fg", "light": "#111111"},
            "background": {"dark": "bg", "light": "#ffffff"},
            "diffAdded": "green",
            "diffRemoved": {"dark": "red", "light": "red"},
            "markdownHeading": "#ffcc00",
            "syntaxKeyword": "pink",
            "borderActive": "not-a-colour"
          }
        }"##;
        let (t, problems) = from_opencode("snazzy", sample, true).unwrap();
        assert_eq!(t.ui.primary, Color::Rgb(0xff, 0x6a, 0xc1));
        assert_eq!(t.ui.background, Color::Rgb(0x10, 0x10, 0x14));
        assert_eq!(t.diff.added, Color::Rgb(0x5a, 0xf7, 0x8e));
        assert_eq!(t.markdown.heading, Color::Rgb(0xff, 0xcc, 0x00));
        assert_eq!(t.transcript.tool, t.ui.primary, "transcript roles follow the UI");
        assert_eq!(problems.len(), 1);
        assert!(problems[0].starts_with("theme.borderActive"));
        let (light, _) = from_opencode("snazzy", sample, false).unwrap();
        assert_eq!(light.ui.primary, Color::Rgb(0xaa, 0x00, 0x66));
        assert!(from_opencode("x", "{\"nope\": 1}", true).is_err());
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
        for (name, _) in BUILTIN {
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
