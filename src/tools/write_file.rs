//! `write_file`: creates or replaces a file.
//!
//! The plan computes the diff against what is on disk, which is what an approval shows.

use serde::Deserialize;
use serde_json::{Value, json};

use super::text::{line_counts, looks_binary, unified_diff};
use super::{
    Access, CallPlan, Preview, ResolvedPath, Tool, ToolContext, ToolEffect, ToolEnv, ToolOutput, parse_input, resolve,
};
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

/// The plan of a file change: write access, and the diff as what an approver sees.
pub(crate) fn change_plan(path: ResolvedPath, shown: String, old: Option<&str>, new: &str) -> CallPlan {
    let diff = unified_diff(&shown, old.unwrap_or(""), new);
    CallPlan {
        access: Access::Write,
        summary: shown.clone(),
        subject: shown.clone(),
        paths: vec![path],
        preview: Some(Preview::Diff { path: shown, diff }),
    }
}

/// Writes `content` to `path`, creating its directories.
pub(crate) async fn write_text(path: &std::path::Path, shown: &str, tool: &str, content: &str) -> Result<(), String> {
    if let Some(parent) = path.parent() {
        tokio::fs::create_dir_all(parent)
            .await
            .map_err(|e| format!("{tool}: cannot create the directory of {shown}: {e}"))?;
    }
    tokio::fs::write(path, content).await.map_err(|e| format!("{tool}: cannot write {shown}: {e}"))
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
        let path = resolve(&env.workspace, "write_file", &input.path)?;
        let shown = env.workspace.display(&path.path);
        let old = current_text(&path.path, &shown, "write_file")?;
        Ok(change_plan(path, shown, old.as_deref(), &input.content))
    }

    fn run<'a>(&'a self, input: Value, ctx: &'a ToolContext) -> BoxFuture<'a, Result<ToolOutput, String>> {
        Box::pin(async move {
            let input: Input = parse_input("write_file", &input)?;
            let ws = ctx.workspace();
            let path = resolve(ws, "write_file", &input.path)?;
            let shown = ws.display(&path.path);
            let old = current_text(&path.path, &shown, "write_file")?;
            write_text(&path.path, &shown, "write_file", &input.content).await?;
            let diff = unified_diff(&shown, old.as_deref().unwrap_or(""), &input.content);
            let lines = input.content.lines().count();
            let message = match &old {
                None => format!("Created {shown} ({lines} lines)."),
                Some(old) => {
                    let (added, removed) = line_counts(old, &input.content);
                    format!("Wrote {shown} ({lines} lines; +{added} -{removed}).")
                }
            };
            Ok(ToolOutput::ok(message).with_effect(ToolEffect::FileChanged { path: path.path, diff }))
        })
    }
}
