//! `write_file`: creates or replaces a file.
//!
//! The plan computes the change against what is on disk (a proposal the person can review
//! hunk by hunk); running it commits the whole change.

use serde::Deserialize;
use serde_json::{Value, json};

use super::change::{Review, change_plan, commit};
use super::text::{line_counts, looks_binary};
use super::{CallPlan, Tool, ToolContext, ToolEnv, ToolOutput, parse_input, resolve};
use crate::provider::{BoxFuture, ToolSpec};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Input {
    path: String,
    content: String,
}

pub struct WriteFile;

/// Largest file edited: the plan holds it, its new text and their diff in memory.
pub const MAX_EDIT_BYTES: u64 = 16 << 20;

/// What is on disk now: `None` when the file does not exist. Only regular files: a FIFO or a
/// device would block the read (or never end), so it is opened without blocking and refused
/// when it turns out not to be a file.
pub(crate) fn current_text(path: &std::path::Path, shown: &str, tool: &str) -> Result<Option<String>, String> {
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    let cannot = |e: std::io::Error| format!("{tool}: cannot read {shown}: {e}");
    let file = match std::fs::OpenOptions::new().read(true).custom_flags(libc::O_NONBLOCK).open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(cannot(e)),
    };
    let meta = file.metadata().map_err(cannot)?;
    if meta.is_dir() {
        return Err(format!("{tool}: {shown} is a directory"));
    }
    if let Some(kind) = super::special_file(&meta) {
        return Err(format!("{tool}: {shown} is {kind}, not a regular file; it cannot be edited"));
    }
    if meta.len() > MAX_EDIT_BYTES {
        return Err(format!(
            "{tool}: {shown} is {} MiB, more than the {} MiB {tool} edits",
            meta.len() >> 20,
            MAX_EDIT_BYTES >> 20
        ));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(MAX_EDIT_BYTES + 1).read_to_end(&mut bytes).map_err(cannot)?;
    if looks_binary(&bytes) {
        return Err(format!("{tool}: {shown} is a binary file; it cannot be edited as text"));
    }
    String::from_utf8(bytes)
        .map(Some)
        .map_err(|_| format!("{tool}: {shown} is not valid UTF-8; it cannot be edited as text without damaging it"))
}

/// Writes `content` to `path` (resolved: symlinks followed when it was checked), creating its
/// directories, without following a symlink that appeared since
/// ([`super::paths::write_no_follow`]).
pub(crate) async fn write_text(path: &std::path::Path, shown: &str, tool: &str, content: &str) -> Result<(), String> {
    let (path, content) = (path.to_path_buf(), content.to_string());
    tokio::task::spawn_blocking(move || super::paths::write_no_follow(&path, content.as_bytes()))
        .await
        .map_err(|e| format!("{tool}: cannot write {shown}: {e}"))?
        .map_err(|e| format!("{tool}: cannot write {shown}: {e}"))
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
        let done = done_message(&shown, old.as_deref(), &input.content);
        Ok(change_plan(path, shown, old, input.content, done))
    }

    fn run<'a>(&'a self, input: Value, ctx: &'a ToolContext) -> BoxFuture<'a, Result<ToolOutput, String>> {
        Box::pin(async move {
            let plan = self.plan(&input, &ctx.env)?;
            let change = plan.change.expect("write_file plans a change");
            Ok(commit(&ctx.env, "write_file", &change, &Review::default()).await)
        })
    }
}

/// What the model is told when the whole file was written.
fn done_message(shown: &str, old: Option<&str>, new: &str) -> String {
    let lines = new.lines().count();
    match old {
        None => format!("Created {shown} ({lines} lines)."),
        Some(old) => {
            let (added, removed) = line_counts(old, new);
            format!("Wrote {shown} ({lines} lines; +{added} -{removed}).")
        }
    }
}
