//! Markdown files that open with YAML frontmatter (`---` lines around `key: value`s), as
//! Claude Code's agent, command and skill files do.
//!
//! Those files are often not strict YAML (`argument-hint: [pr] [priority]`, a description
//! with a `: ` in it), and Claude Code reads them anyway: what YAML cannot read as the fields
//! expect is read again line by line, each `key: value` taken as text.

use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::config::Problem;

/// Splits `text` into its frontmatter, read as `T`, and its body. A file without frontmatter
/// is all body (and `T::default()`). An error is located in the file (1-based line).
pub fn split<T: DeserializeOwned + Default>(text: &str) -> Result<(T, String), Problem> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text.split_inclusive('\n');
    let Some(first) = lines.next() else { return Ok((T::default(), String::new())) };
    if first.trim_end() != "---" {
        return Ok((T::default(), text.to_string()));
    }
    let mut yaml = String::new();
    let mut consumed = first.len();
    for line in lines {
        consumed += line.len();
        if line.trim_end() == "---" {
            let body = text[consumed..].to_string();
            if yaml.trim().is_empty() {
                return Ok((T::default(), body));
            }
            return match serde_yaml_ng::from_str::<T>(&yaml) {
                Ok(meta) => Ok((meta, body)),
                Err(e) => match by_lines::<T>(&yaml) {
                    Ok(meta) => Ok((meta, body)),
                    // A line that is no `key: value` is a better place to point at than where
                    // YAML gave up (often the line after).
                    Err(Some((n, line))) => {
                        Err(Problem::at(n + 1, 1, format!("frontmatter: `{}` is not a `key: value` line", line.trim())))
                    }
                    Err(None) => {
                        // Lines of the frontmatter start after the opening `---`.
                        let (line, col) = e.location().map_or((2, 1), |l| (l.line() + 1, l.column()));
                        let message = e.to_string();
                        let message = message.split(" at line ").next().unwrap_or(&message).to_string();
                        Err(Problem::at(line, col, format!("frontmatter: {message}")))
                    }
                },
            };
        }
        yaml.push_str(line);
    }
    Err(Problem::at(1, 1, "the frontmatter opened here is never closed with a `---` line"))
}

/// `key: value` lines (and `- item` lines under a bare `key:`) as text, quotes taken off.
/// `Err` names the first line that is neither (1-based, with its text), or is `None` when the
/// fields do not take text.
fn by_lines<T: DeserializeOwned>(yaml: &str) -> Result<T, Option<(usize, &str)>> {
    let mut map = serde_json::Map::new();
    let mut list_of: Option<String> = None;
    for (n, line) in yaml.lines().enumerate().filter(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
    {
        let bad = Some((n + 1, line));
        if let (Some(key), Some(item)) = (&list_of, line.trim_start().strip_prefix("- ")) {
            if let Some(serde_json::Value::Array(items)) = map.get_mut(key) {
                items.push(serde_json::Value::String(unquote(item).to_string()));
            }
            continue;
        }
        let (key, value) = line.split_once(':').ok_or(bad)?;
        if key.starts_with(char::is_whitespace) || key.trim().is_empty() {
            return Err(bad);
        }
        let key = key.trim().to_string();
        let value = value.trim();
        list_of = value.is_empty().then(|| key.clone());
        let value = match value.is_empty() {
            true => serde_json::Value::Array(Vec::new()),
            false => serde_json::Value::String(unquote(value).to_string()),
        };
        map.insert(key, value);
    }
    serde_json::from_value(serde_json::Value::Object(map)).map_err(|_| None)
}

fn unquote(s: &str) -> &str {
    let s = s.trim();
    for q in ['"', '\''] {
        if s.len() >= 2 && s.starts_with(q) && s.ends_with(q) {
            return &s[1..s.len() - 1];
        }
    }
    s
}

/// A list given either as YAML list or as one comma-separated string (`tools: Read, Grep`),
/// as Claude Code accepts both. Commas inside parentheses (`Bash(git log:*)`) do not split.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct List(pub Vec<String>);

impl<'de> Deserialize<'de> for List {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<List, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            One(String),
            Many(Vec<String>),
        }
        Ok(List(match Raw::deserialize(d)? {
            Raw::One(s) => split_list(&s),
            Raw::Many(v) => v.into_iter().map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect(),
        }))
    }
}

fn split_list(s: &str) -> Vec<String> {
    let s = s.trim();
    let s = s.strip_prefix('[').and_then(|s| s.strip_suffix(']')).unwrap_or(s);
    let mut items = Vec::new();
    let (mut depth, mut current) = (0usize, String::new());
    for c in s.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                items.push(std::mem::take(&mut current));
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    items.push(current);
    items.into_iter().map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect()
}

/// The first line of `body` with text in it, as a description of last resort.
pub fn first_line(body: &str) -> String {
    let line = body.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or("");
    let line = line.trim_start_matches('#').trim();
    crate::sanitize::visible(line).chars().take(120).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Default, Deserialize)]
    struct Meta {
        description: Option<String>,
        tools: Option<List>,
    }

    #[test]
    fn frontmatter_lists_and_errors() {
        let (m, body) =
            split::<Meta>("---\ndescription: Review it\ntools: Read, Bash(git log:*, x), Grep\n---\nBody\n").unwrap();
        assert_eq!(m.description.as_deref(), Some("Review it"));
        assert_eq!(m.tools.unwrap().0, ["Read", "Bash(git log:*, x)", "Grep"]);
        assert_eq!(body, "Body\n");
        let (m, _) = split::<Meta>("---\ntools:\n  - Read\n  - Write\n---\n").unwrap();
        assert_eq!(m.tools.unwrap().0, ["Read", "Write"]);
        let (m, body) = split::<Meta>("No frontmatter\n---\n").unwrap();
        assert!(m.description.is_none());
        assert_eq!(body, "No frontmatter\n---\n");
        let e = split::<Meta>("---\ndescription: ok\ntools: [Read\n  more\n---\nx").unwrap_err();
        assert_eq!((e.line, e.message.as_str()), (Some(4), "frontmatter: `more` is not a `key: value` line"));
        // Not YAML, but what Claude Code's files say and Claude Code reads.
        let (m, _) = split::<Meta>("---\ndescription: Fix: the bug [now]\ntools: [Read, Grep]\n---\n").unwrap();
        assert_eq!(m.description.as_deref(), Some("Fix: the bug [now]"));
        assert_eq!(m.tools.unwrap().0, ["Read", "Grep"]);
        let e = split::<Meta>("---\ndescription: ok\n").unwrap_err();
        assert_eq!(e.line, Some(1));
        assert!(e.message.contains("never closed"));
        assert_eq!(first_line("\n\n# Title here\nmore"), "Title here");
    }
}
