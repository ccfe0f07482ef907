//! `write_file`: creates or replaces a file.
//!
//! The plan computes the diff against what is on disk, which is what an approval shows.

use serde::Deserialize;
use serde_json::{Value, json};

use super::text::{line_counts, looks_binary, unified_diff};
use super::{Access, CallPlan, Preview, Tool, ToolContext, ToolEffect, ToolEnv, ToolOutput, parse_input};
use crate::provider::{BoxFuture, ToolSpec};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Input {
    path: String,
    content: String,
}

pub struct WriteFile;

/// What is on disk now: `None` when the file does not exist.
pub(crate) fn current_text(path: &std::path::Path, shown: &str, tool: &str) -> Result<Option<String>, String> {
    match std::fs::read(path) {
        Ok(bytes) => {
            if looks_binary(&bytes) {
                return Err(format!("{tool}: {shown} is a binary file; it cannot be edited as text"));
            }
            String::from_utf8(bytes).map(Some).map_err(|_| {
                format!("{tool}: {shown} is not valid UTF-8; it cannot be edited as text without damaging it")
            })
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) if e.kind() == std::io::ErrorKind::IsADirectory => Err(format!("{tool}: {shown} is a directory")),
        Err(e) => Err(format!("{tool}: cannot read {shown}: {e}")),
    }
}

impl Tool for WriteFile {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "write_file".into(),
            description:
                "Write a file with the given content, creating it (and its directories) or replacing it whole. \
Prefer edit_file to change part of an existing file."
                    .into(),
            input_schema: json!({
                "type": "object",
                "properties": {
                    "path": {"type": "string", "description": "File path, relative to the working directory or absolute"},
                    "content": {"type": "string", "description": "The complete new content of the file"}
                },
                "required": ["path", "content"],
                "additionalProperties": false
            }),
        }
    }

    fn plan(&self, input: &Value, env: &ToolEnv) -> Result<CallPlan, String> {
        let input: Input = parse_input("write_file", input)?;
        let path = env.workspace.resolve(&input.path).map_err(|e| format!("write_file: {e}"))?;
        let shown = env.workspace.display(&path.path);
        let old = current_text(&path.path, &shown, "write_file")?;
        let diff = unified_diff(&shown, old.as_deref().unwrap_or(""), &input.content);
        Ok(CallPlan {
            access: Access::Write,
            summary: shown.clone(),
            subject: shown.clone(),
            paths: vec![path],
            preview: Some(Preview::Diff { path: shown, diff }),
        })
    }

    fn run<'a>(&'a self, input: Value, ctx: &'a ToolContext) -> BoxFuture<'a, ToolOutput> {
        Box::pin(async move {
            let input: Input = match parse_input("write_file", &input) {
                Ok(i) => i,
                Err(e) => return ToolOutput::error(e),
            };
            let ws = ctx.workspace();
            let path = match ws.resolve(&input.path) {
                Ok(p) => p,
                Err(e) => return ToolOutput::error(format!("write_file: {e}")),
            };
            let shown = ws.display(&path.path);
            let old = match current_text(&path.path, &shown, "write_file") {
                Ok(o) => o,
                Err(e) => return ToolOutput::error(e),
            };
            if let Some(parent) = path.path.parent()
                && let Err(e) = tokio::fs::create_dir_all(parent).await
            {
                return ToolOutput::error(format!("write_file: cannot create the directory of {shown}: {e}"));
            }
            if let Err(e) = tokio::fs::write(&path.path, &input.content).await {
                return ToolOutput::error(format!("write_file: cannot write {shown}: {e}"));
            }
            let diff = unified_diff(&shown, old.as_deref().unwrap_or(""), &input.content);
            let lines = input.content.lines().count();
            let message = match &old {
                None => format!("Created {shown} ({lines} lines)."),
                Some(old) => {
                    let (added, removed) = line_counts(old, &input.content);
                    format!("Wrote {shown} ({lines} lines; +{added} -{removed}).")
                }
            };
            ToolOutput::ok(message).with_effect(ToolEffect::FileChanged { path: path.path, diff })
        })
    }
}
