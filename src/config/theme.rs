//! Theme files: the built-in themes, the user's and the project's theme folders, TOML
//! parsing with `[palette]` and `inherits`, and OpenCode's JSON themes.
//!
//! A theme file is TOML. `[palette]` names colours; every other table sets roles
//! (`[ui] text = "..."`, `[diff] added = "..."`), either as a colour or as a palette name.
//! Colours are `#rrggbb`, `#rgb`, an ANSI name (`red`, `darkgray`, `lightblue`, `reset`) or a
//! number 0–255. A role the file leaves out keeps the base theme's value (the built-in dark
//! theme, or the file's `inherits`). Loading never fails: a bad role keeps the inherited
//! colour and is reported as a [`Problem`].

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ratatui::style::Color;

use super::problem::{Problem, locate_key};
use crate::ui::theme::{ROLES, Theme, TranscriptRoles};

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

impl Theme {
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
        if errors.is_empty() { Ok(theme) } else { Err(errors.into_iter().map(|p| p.message).collect()) }
    }

    /// Parses a theme file leniently: a bad role keeps its inherited colour, and each problem
    /// comes back with its line and column (the caller names the file). `base` supplies roles
    /// the file leaves out (the file's `inherits` names a built-in theme and wins over `base`).
    pub fn load(name: &str, text: &str, base: Option<&Theme>) -> (Theme, Vec<Problem>) {
        let fallback = || base.cloned().unwrap_or_else(|| Theme::blank(name));
        let table: toml::Table = match text.parse() {
            Ok(t) => t,
            Err(e) => {
                let mut p = Problem::toml(text, &e);
                p.line = p.line.or(Some(1));
                p.col = p.col.or(Some(1));
                return (fallback(), vec![p]);
            }
        };
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
        let palette = palette(&table, &mut errors);
        for (section, value) in &table {
            match section.as_str() {
                "name" | "inherits" | "palette" => continue,
                "syntax" => match value.as_str() {
                    Some(s) => theme.syntax = s.to_string(),
                    None => errors.push("syntax: expected the name of a syntax-highlighting theme".into()),
                },
                _ => match value.as_table() {
                    Some(roles) => set_roles(&mut theme, section, roles, &palette, &mut errors),
                    None => errors.push(format!("{section}: expected a table of roles")),
                },
            }
        }
        let located = errors
            .into_iter()
            .map(|e| {
                // Errors start with the dotted role (`diff.added: ...`); find where it is written.
                let key = e.split(':').next().unwrap_or("").to_string();
                let (section, role) = match key.split_once('.') {
                    Some((s, r)) => (Some(s.to_string()), r.to_string()),
                    None => (None, key.clone()),
                };
                let (line, col) = locate_key(text, section.as_deref(), &role);
                Problem::at(line, col, e)
            })
            .collect();
        (theme, located)
    }
}

/// The file's `[palette]`: names for colours.
fn palette(table: &toml::Table, errors: &mut Vec<String>) -> BTreeMap<String, Color> {
    let mut palette = BTreeMap::new();
    let Some(p) = table.get("palette") else { return palette };
    let Some(p) = p.as_table() else {
        errors.push("palette: expected a table".into());
        return palette;
    };
    for (key, value) in p {
        match value.as_str().map(parse_color).or_else(|| value.as_integer().map(index_color)) {
            Some(Ok(c)) => {
                palette.insert(key.clone(), c);
            }
            Some(Err(e)) => errors.push(format!("palette.{key}: {e}")),
            None => errors.push(format!("palette.{key}: expected a colour string or 0-255")),
        }
    }
    palette
}

/// Sets the roles of one `[section]` of a theme file.
fn set_roles(
    theme: &mut Theme,
    section: &str,
    roles: &toml::Table,
    palette: &BTreeMap<String, Color>,
    errors: &mut Vec<String>,
) {
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
            Ok(c) => *accessor(theme) = c,
            Err(e) => errors.push(format!("{key}: {e}")),
        }
    }
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
pub fn theme_dirs(root: &Path) -> Vec<PathBuf> {
    let mut dirs = vec![root.join(".claw").join("themes")];
    if let Some(home) = super::config_home() {
        dirs.push(home.join("themes"));
    }
    dirs
}

/// The files theme `name` could come from, most specific first (for the watcher).
pub fn candidate_files(name: &str, dirs: &[PathBuf]) -> Vec<PathBuf> {
    dirs.iter().flat_map(|d| [d.join(format!("{name}.toml")), d.join(format!("{name}.json"))]).collect()
}

/// Every theme name available: user files first (a file may shadow a built-in), then the
/// built-ins, each once.
pub fn available(dirs: &[PathBuf]) -> Vec<String> {
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

/// Whether theme `name` is a built-in one that no file in `dirs` shadows.
pub fn is_builtin(name: &str, dirs: &[PathBuf]) -> bool {
    BUILTIN.iter().any(|(n, _)| *n == name) && !candidate_files(name, dirs).iter().any(|p| p.exists())
}

/// Loads the theme `name`: a file in `dirs` (`<name>.toml`, or `<name>.json` in OpenCode's
/// format), else a built-in. Never fails: problems come back located in their file, and what
/// could not be read falls back to the built-in dark theme.
pub fn resolve(name: &str, dirs: &[PathBuf]) -> (Theme, Vec<Problem>) {
    for dir in dirs {
        let toml_path = dir.join(format!("{name}.toml"));
        if let Ok(text) = std::fs::read_to_string(&toml_path) {
            let (theme, problems) = Theme::load(name, &text, Some(&Theme::dark()));
            let problems = problems
                .into_iter()
                .map(|p| p.in_file(&toml_path).then("; the built-in value is used instead"))
                .collect();
            return (theme, problems);
        }
        let json_path = dir.join(format!("{name}.json"));
        if let Ok(text) = std::fs::read_to_string(&json_path) {
            return match from_opencode(name, &text, true) {
                Ok((theme, problems)) => (theme, problems.into_iter().map(|p| Problem::file(&json_path, p)).collect()),
                Err(e) => (Theme::dark(), vec![Problem::file(&json_path, format!("{e}; using the dark theme"))]),
            };
        }
    }
    match Theme::builtin(name) {
        Some(t) => (t, Vec::new()),
        None => (
            Theme::dark(),
            vec![Problem::general(format!(
                "there is no theme `{name}` (built-in: {}); using dark",
                BUILTIN.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
            ))],
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
        let warnings: Vec<String> = warnings.iter().map(Problem::to_string).collect();
        assert_eq!(t.diff.added, Color::Rgb(0, 255, 0));
        assert_eq!(t.diff.removed, Theme::builtin("nord").unwrap().diff.removed, "the bad role keeps nord's");
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].contains("mine.toml:4:1: diff.removed:"), "{}", warnings[0]);
        let (t, _) = resolve("dark", &dirs);
        assert_eq!(t.ui.text, Theme::builtin("light").unwrap().ui.text, "the user's dark.toml wins");
        let (t, w) = resolve("nonexistent", &dirs);
        assert_eq!(t, Theme::dark());
        assert!(w[0].message.contains("there is no theme `nonexistent`"));
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
