//! `edit_file`: replaces an exact string in a file.
//!
//! `old_string` must occur exactly once unless `replace_all` is set; an empty `old_string`
//! creates a file that does not exist yet. Line endings are preserved: in a CRLF file, an
//! `old_string`/`new_string` written with LF is matched and written with CRLF. If the file
//! changed on disk since the model last read it, the edit is refused so that the model reads it
//! again rather than editing from a stale picture.

use serde::Deserialize;
use serde_json::{Value, json};

use super::change::{Review, change_plan, commit};
use super::text::line_counts;
use super::write_file::current_text;
use super::{CallPlan, ReadStamp, Tool, ToolContext, ToolEnv, ToolOutput, parse_input, resolve};
use crate::provider::{BoxFuture, ToolSpec};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Input {
    path: String,
    old_string: String,
    new_string: String,
    #[serde(default)]
    replace_all: bool,
}

pub struct EditFile;

/// The edit applied to `old` (the file's text, `None` if it does not exist): the new text and
/// how many replacements were made, or a message for the model.
fn apply(shown: &str, old: Option<&str>, input: &Input) -> Result<(String, usize), String> {
    if input.old_string == input.new_string {
        return Err("edit_file: old_string and new_string are the same; there is nothing to change".into());
    }
    let Some(text) = old else {
        if input.old_string.is_empty() {
            return Ok((input.new_string.clone(), 1));
        }
        return Err(format!("edit_file: {shown} does not exist (use write_file to create it)"));
    };
    if input.old_string.is_empty() {
        if text.is_empty() {
            return Ok((input.new_string.clone(), 1));
        }
        return Err(format!(
            "edit_file: old_string is empty but {shown} already has content; give the text to replace"
        ));
    }
    let crlf = text.contains("\r\n");
    let (old_s, new_s) = if crlf && !input.old_string.contains("\r\n") && input.old_string.contains('\n') {
        (input.old_string.replace('\n', "\r\n"), input.new_string.replace("\r\n", "\n").replace('\n', "\r\n"))
    } else {
        (input.old_string.clone(), input.new_string.clone())
    };
    let count = text.matches(old_s.as_str()).count();
    match count {
        0 => {
            let hint = if text.contains(old_s.trim()) && !old_s.trim().is_empty() {
                " (it occurs with different leading or trailing whitespace; copy the exact text from read_file output, without the line-number prefix)"
            } else {
                "; read the file again and copy the exact text, including indentation"
            };
            Err(format!("edit_file: old_string was not found in {shown}{hint}"))
        }
        1 => Ok((text.replacen(old_s.as_str(), &new_s, 1), 1)),
        n if input.replace_all => Ok((text.replace(old_s.as_str(), &new_s), n)),
        n => Err(format!(
            "edit_file: old_string occurs {n} times in {shown}; include more surrounding lines to make it unique, or set replace_all to change every occurrence"
        )),
    }
}

pub(crate) fn stale_read(env: &ToolEnv, canonical: &std::path::Path) -> Option<String> {
    let reads = env.reads.lock().expect("reads lock");
    let stamp = reads.get(canonical)?;
    let meta = std::fs::metadata(canonical).ok()?;
    let now = ReadStamp { modified: meta.modified().ok(), len: meta.len() };
    (now != *stamp).then(|| "it changed on disk since you last read it; read it again before editing".to_string())
}

impl Tool for EditFile {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "edit_file".into(),
            description: "Replace old_string with new_string in a file. old_string must match the file exactly \
(including indentation; without read_file's line-number prefix) and occur once, unless replace_all is true. \
An empty old_string creates a new file with new_string as its content."
                .into(),
            input_schema: json!({
                "type": "object",
                "properties": {
                    "path": {"type": "string", "description": "File path, relative to the working directory or absolute"},
                    "old_string": {"type": "string", "description": "The exact text to replace"},
                    "new_string": {"type": "string", "description": "The text to put in its place"},
                    "replace_all": {"type": "boolean", "description": "Replace every occurrence (default false)"}
                },
                "required": ["path", "old_string", "new_string"],
                "additionalProperties": false
            }),
        }
    }

    fn plan(&self, input: &Value, env: &ToolEnv) -> Result<CallPlan, String> {
        let input: Input = parse_input("edit_file", input)?;
        let path = resolve(&env.workspace, "edit_file", &input.path)?;
        let shown = env.workspace.display(&path.path);
        if super::notebook_edit::is_notebook(&path.path) {
            return Err(format!(
                "edit_file: {shown} is a Jupyter notebook: edit its cells with NotebookEdit (read_file shows their ids)"
            ));
        }
        if let Some(why) = stale_read(env, &path.canonical) {
            return Err(format!("edit_file: {shown}: {why}"));
        }
        let old = current_text(&path.path, &shown, "edit_file")?;
        let (new, count) = apply(&shown, old.as_deref(), &input)?;
        let (added, removed) = line_counts(old.as_deref().unwrap_or(""), &new);
        let what = if count == 1 { "1 replacement".to_string() } else { format!("{count} replacements") };
        let done = format!("Edited {shown}: {what} (+{added} -{removed} lines).");
        Ok(change_plan(path, shown, old, new, done))
    }

    fn run<'a>(&'a self, input: Value, ctx: &'a ToolContext) -> BoxFuture<'a, Result<ToolOutput, String>> {
        Box::pin(async move {
            let plan = self.plan(&input, &ctx.env)?;
            let change = plan.change.expect("edit_file plans a change");
            Ok(commit(&ctx.env, "edit_file", &change, &Review::default()).await)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(old: &str, new: &str, all: bool) -> Input {
        Input { path: "f".into(), old_string: old.into(), new_string: new.into(), replace_all: all }
    }

    #[test]
    fn unique_missing_and_repeated() {
        assert_eq!(apply("f", Some("a b a"), &input("b", "x", false)).unwrap(), ("a x a".into(), 1));
        let e = apply("f", Some("a b a"), &input("a", "x", false)).unwrap_err();
        assert!(e.contains("occurs 2 times"), "{e}");
        assert_eq!(apply("f", Some("a b a"), &input("a", "x", true)).unwrap(), ("x b x".into(), 2));
        let e = apply("f", Some("a b a"), &input("zzz", "x", false)).unwrap_err();
        assert!(e.contains("not found"), "{e}");
        assert!(apply("f", Some("x"), &input("x", "x", false)).unwrap_err().contains("the same"));
    }

    #[test]
    fn creates_with_empty_old_string() {
        assert_eq!(apply("f", None, &input("", "new", false)).unwrap(), ("new".into(), 1));
        assert!(apply("f", None, &input("a", "b", false)).unwrap_err().contains("does not exist"));
        assert!(apply("f", Some("content"), &input("", "b", false)).is_err());
    }

    #[test]
    fn crlf_is_preserved() {
        let text = "one\r\ntwo\r\nthree\r\n";
        let (new, _) = apply("f", Some(text), &input("one\ntwo\n", "uno\ndos\n", false)).unwrap();
        assert_eq!(new, "uno\r\ndos\r\nthree\r\n");
    }

    #[test]
    fn whitespace_hint() {
        let e = apply("f", Some("    indented\n"), &input("  indented\n ", "x", false)).unwrap_err();
        assert!(e.contains("whitespace"), "{e}");
    }
}
