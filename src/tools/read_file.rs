//! `read_file`: a text file with numbered lines.
//!
//! Lines are numbered from 1 (`offset` is the first line to show) in the `cat -n` layout the
//! models are used to. Binary files are refused; text that is not valid UTF-8 is shown with the
//! invalid bytes replaced and a note saying so. Each read is recorded so that `edit_file` can
//! tell a stale read from a fresh one.

use serde::Deserialize;
use serde_json::{Value, json};

use super::text::looks_binary;
use super::{Access, CallPlan, ReadStamp, Tool, ToolContext, ToolEnv, ToolOutput, lenient_usize, parse_input, resolve};
use crate::provider::{BoxFuture, ToolSpec};

/// Lines shown when the call gives no limit.
pub const DEFAULT_LIMIT: usize = 2000;
/// Longest line shown whole; longer ones are cut with a note (minified files).
pub const MAX_LINE_CHARS: usize = 2000;
/// Largest file read into memory.
pub const MAX_FILE_BYTES: u64 = 64 << 20;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Input {
    path: String,
    #[serde(default, deserialize_with = "lenient_usize")]
    offset: Option<usize>,
    #[serde(default, deserialize_with = "lenient_usize")]
    limit: Option<usize>,
}

pub struct ReadFile;

impl Tool for ReadFile {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "read_file".into(),
            description: "Read a text file. Returns lines numbered from 1 (line number, a tab, the line). \
By default up to 2000 lines from the start; use offset (first line, 1-based) and limit for more. \
Read a file before editing it."
                .into(),
            input_schema: json!({
                "type": "object",
                "properties": {
                    "path": {"type": "string", "description": "File path, relative to the working directory or absolute"},
                    "offset": {"type": "integer", "minimum": 1, "description": "First line to read, 1-based"},
                    "limit": {"type": "integer", "minimum": 1, "description": "How many lines to read (default 2000)"}
                },
                "required": ["path"],
                "additionalProperties": false
            }),
        }
    }

    fn plan(&self, input: &Value, env: &ToolEnv) -> Result<CallPlan, String> {
        let input: Input = parse_input("read_file", input)?;
        let path = resolve(&env.workspace, "read_file", &input.path)?;
        let shown = env.workspace.display(&path.path);
        Ok(CallPlan {
            access: Access::Read,
            summary: shown.clone(),
            subject: shown,
            paths: vec![path],
            preview: None,
            change: None,
        })
    }

    fn run<'a>(&'a self, input: Value, ctx: &'a ToolContext) -> BoxFuture<'a, Result<ToolOutput, String>> {
        Box::pin(async move {
            let input: Input = parse_input("read_file", &input)?;
            let ws = ctx.workspace();
            let path = resolve(ws, "read_file", &input.path)?;
            let shown = ws.display(&path.path);
            let meta = tokio::fs::metadata(&path.path).await.map_err(|e| match e.kind() {
                std::io::ErrorKind::NotFound => format!("read_file: {shown} does not exist"),
                _ => format!("read_file: cannot read {shown}: {e}"),
            })?;
            if meta.is_dir() {
                return Err(format!("read_file: {shown} is a directory; use glob_search to list files"));
            }
            if meta.len() > MAX_FILE_BYTES {
                return Err(format!(
                    "read_file: {shown} is {} MiB, more than the {} MiB read_file loads; search it with grep_search instead",
                    meta.len() >> 20,
                    MAX_FILE_BYTES >> 20
                ));
            }
            let bytes =
                tokio::fs::read(&path.path).await.map_err(|e| format!("read_file: cannot read {shown}: {e}"))?;
            if looks_binary(&bytes) {
                return Err(format!(
                    "read_file: {shown} is a binary file ({} bytes); read_file shows text only",
                    bytes.len()
                ));
            }
            ctx.env
                .reads
                .lock()
                .expect("reads lock")
                .insert(path.canonical.clone(), ReadStamp { modified: meta.modified().ok(), len: meta.len() });
            let (text, lossy) = match String::from_utf8(bytes) {
                Ok(t) => (t, None),
                Err(e) => {
                    let at = e.utf8_error().valid_up_to();
                    (String::from_utf8_lossy(e.as_bytes()).into_owned(), Some(at))
                }
            };
            Ok(ToolOutput::ok(render(&shown, &text, input.offset, input.limit, lossy)))
        })
    }
}

fn render(shown: &str, text: &str, offset: Option<usize>, limit: Option<usize>, lossy: Option<usize>) -> String {
    let mut out = String::new();
    if let Some(at) = lossy {
        out.push_str(&format!(
            "[note: {shown} is not valid UTF-8 (first invalid byte at offset {at}); invalid bytes are shown as U+FFFD. Do not edit it with edit_file.]\n"
        ));
    }
    if text.is_empty() {
        out.push_str(&format!("[{shown} is empty]"));
        return out;
    }
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let total = lines.len();
    let start = offset.unwrap_or(1).max(1);
    if start > total {
        out.push_str(&format!("[{shown} has {total} lines; offset {start} is past the end]"));
        return out;
    }
    let limit = limit.unwrap_or(DEFAULT_LIMIT).max(1);
    let end = (start - 1 + limit).min(total);
    for (i, line) in lines[start - 1..end].iter().enumerate() {
        let line = line.strip_suffix('\n').unwrap_or(line);
        let line = line.strip_suffix('\r').unwrap_or(line);
        let n = start + i;
        if line.chars().count() > MAX_LINE_CHARS {
            let cut: String = line.chars().take(MAX_LINE_CHARS).collect();
            out.push_str(&format!("{n:>6}\t{cut}… [line cut: {} characters]\n", line.chars().count()));
        } else {
            out.push_str(&format!("{n:>6}\t{line}\n"));
        }
    }
    if start > 1 || end < total {
        out.push_str(&format!(
            "[lines {start}-{end} of {total}{}]\n",
            if end < total { format!("; continue with offset {}", end + 1) } else { String::new() }
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_lines_and_pages() {
        let text = "a\nb\r\nc\n";
        assert_eq!(render("f", text, None, None, None), "     1\ta\n     2\tb\n     3\tc\n");
        let out = render("f", text, Some(2), Some(1), None);
        assert_eq!(out, "     2\tb\n[lines 2-2 of 3; continue with offset 3]\n");
        assert!(render("f", text, Some(9), None, None).contains("past the end"));
        assert!(render("f", "", None, None, None).contains("empty"));
        assert!(render("f", "x", None, None, Some(0)).starts_with("[note: f is not valid UTF-8"));
    }
}
