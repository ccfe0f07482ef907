//! [`Problem`]: what is wrong in a settings file (config layer, theme, keymap) and where.
//!
//! Every loader reports through this one type, so the TUI, headless mode and `claw-tui
//! config` print problems the same way (`path:line:col: message`) and can tell one problem
//! from another (the TUI reports each once per change of its file).

use std::fmt;
use std::path::{Path, PathBuf};

/// A problem found while reading settings. `line` and `col` are 1-based; a problem that is
/// about the whole file (it cannot be read) or about no file (an unknown theme name, a bad
/// environment variable) leaves them, or the path, out.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Problem {
    pub path: Option<PathBuf>,
    pub line: Option<usize>,
    pub col: Option<usize>,
    /// What is wrong and what was done about it ("...; this setting was ignored").
    pub message: String,
}

impl Problem {
    /// A problem at a place in a text whose file is not known yet (see [`Problem::in_file`]).
    pub fn at(line: usize, col: usize, message: impl Into<String>) -> Problem {
        Problem { path: None, line: Some(line), col: Some(col), message: message.into() }
    }

    /// A problem with no place: an unknown name, an environment variable.
    pub fn general(message: impl Into<String>) -> Problem {
        Problem { path: None, line: None, col: None, message: message.into() }
    }

    /// A problem with a whole file.
    pub fn file(path: &Path, message: impl Into<String>) -> Problem {
        Problem { path: Some(path.to_path_buf()), line: None, col: None, message: message.into() }
    }

    /// The same problem, said to be in `path`.
    pub fn in_file(mut self, path: &Path) -> Problem {
        self.path = Some(path.to_path_buf());
        self
    }

    /// The same problem with `suffix` appended to its message (what was done about it).
    pub fn then(mut self, suffix: &str) -> Problem {
        self.message.push_str(suffix);
        self
    }

    /// A TOML syntax error in `text`, located at the start of the span the parser names.
    pub fn toml(text: &str, error: &toml::de::Error) -> Problem {
        let message = error.message().trim().to_string();
        match error.span() {
            Some(span) => {
                let (line, col) = line_col(text, span.start);
                Problem::at(line, col, message)
            }
            None => Problem::general(message),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(path) = &self.path {
            write!(f, "{}:", path.display())?;
        }
        if let Some(line) = self.line {
            write!(f, "{line}:")?;
            if let Some(col) = self.col {
                write!(f, "{col}:")?;
            }
        }
        if self.path.is_some() || self.line.is_some() {
            f.write_str(" ")?;
        }
        f.write_str(&self.message)
    }
}

/// A problem about `needle` as written in the file at `path`: located at its first appearance
/// (the file is read again), or about the whole file when it cannot be found.
pub fn locate_in_file(path: &Path, needle: &str, message: String) -> Problem {
    let found = std::fs::read_to_string(path).ok().and_then(|text| text.find(needle).map(|at| line_col(&text, at)));
    match found {
        Some((line, col)) => Problem::at(line, col, message).in_file(path),
        None => Problem::file(path, message),
    }
}

/// The 1-based line and column (in characters) of byte `offset` in `text`.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// Where `key` is written in a TOML text: the line and column of its first appearance
/// (inside `[section]` when given). Falls back to the section header, then to 1:1.
pub fn locate_key(text: &str, section: Option<&str>, key: &str) -> (usize, usize) {
    let mut current: Option<String> = None;
    let mut header = (1, 1);
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        if let Some(name) = trimmed.strip_prefix('[') {
            let name = name.trim_start_matches('[').split(']').next().unwrap_or("").trim().to_string();
            if section.is_some_and(|s| name == s) {
                header = (i + 1, indent + 1);
            }
            // An unknown table: its header is where the key is written.
            if section.is_none() && (name == key || name.starts_with(&format!("{key}."))) {
                return (i + 1, indent + 1);
            }
            current = Some(name);
            continue;
        }
        let in_place = match section {
            None => current.is_none(),
            Some(s) => {
                current.as_deref() == Some(s) || current.as_deref().is_some_and(|c| c.starts_with(&format!("{s}.")))
            }
        };
        let unquoted = trimmed.trim_start_matches('"');
        if in_place
            && unquoted.starts_with(key)
            && unquoted[key.len()..].trim_start_matches('"').trim_start().starts_with(['=', '.', ']'])
        {
            return (i + 1, indent + 1);
        }
        // `section.key = ...` written as a dotted key at the top level.
        if section.is_some_and(|s| current.is_none() && trimmed.starts_with(&format!("{s}.{key}"))) {
            return (i + 1, indent + 1);
        }
    }
    header
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_what_is_known() {
        let p = Problem::at(3, 7, "bad").in_file(Path::new("/x/a.toml"));
        assert_eq!(p.to_string(), "/x/a.toml:3:7: bad");
        assert_eq!(Problem::file(Path::new("/x/a.toml"), "cannot read").to_string(), "/x/a.toml: cannot read");
        assert_eq!(Problem::general("no theme `x`").to_string(), "no theme `x`");
        assert_eq!(Problem::at(1, 1, "m").then("; ignored").to_string(), "1:1: m; ignored");
    }

    #[test]
    fn line_col_counts_characters_and_survives_bad_offsets() {
        assert_eq!(line_col("ab\ncd", 4), (2, 2));
        assert_eq!(line_col("é=1", 2), (1, 2), "column in characters");
        assert_eq!(line_col("é", 1), (1, 1), "an offset inside a character backs up");
        assert_eq!(line_col("x", 99), (1, 2));
    }

    #[test]
    fn toml_errors_are_located() {
        let text = "a = 1\nb = \n";
        let e = text.parse::<toml::Table>().unwrap_err();
        let p = Problem::toml(text, &e);
        assert_eq!(p.line, Some(2), "{p}");
    }
}
