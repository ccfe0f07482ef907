//! `glob_search`: files whose path matches a glob, newest first.
//!
//! The walk ([`super::walk`]) honours `.gitignore`, `.ignore` and git's exclude files, skips
//! `.git`, includes other hidden files, and runs in parallel. Patterns match the path relative to the search
//! directory with `/` as a literal separator: `*.rs` matches top-level files, `**/*.rs` any
//! depth.

use std::time::SystemTime;

use globset::GlobBuilder;
use serde::Deserialize;
use serde_json::{Value, json};

use super::walk::{files, walker};
use super::{Access, CallPlan, Tool, ToolContext, ToolEnv, ToolOutput, parse_input, resolve};
use crate::provider::{BoxFuture, ToolSpec};

/// Most paths listed; more means the pattern is too broad to be useful to the model.
pub const MAX_RESULTS: usize = 100;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Input {
    pattern: String,
    #[serde(default)]
    path: Option<String>,
}

pub struct GlobSearch;

impl Tool for GlobSearch {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "glob_search".into(),
            description: "Find files by glob pattern (\"**/*.rs\", \"src/**/test_*.py\"), newest first, at most 100. \
Files ignored by .gitignore are skipped. Use it to find files by name; use grep_search to search their contents."
                .into(),
            input_schema: json!({
                "type": "object",
                "properties": {
                    "pattern": {"type": "string", "description": "Glob, matched against paths relative to `path`"},
                    "path": {"type": "string", "description": "Directory to search (default: the working directory)"}
                },
                "required": ["pattern"],
                "additionalProperties": false
            }),
        }
    }

    fn plan(&self, input: &Value, env: &ToolEnv) -> Result<CallPlan, String> {
        let input: Input = parse_input("glob_search", input)?;
        let dir = resolve(&env.workspace, "glob_search", input.path.as_deref().unwrap_or("."))?;
        let summary = match &input.path {
            Some(p) => format!("{} in {p}", input.pattern),
            None => input.pattern.clone(),
        };
        Ok(CallPlan {
            access: Access::Read,
            subject: env.workspace.display(&dir.path),
            paths: vec![dir],
            summary,
            preview: None,
            change: None,
        })
    }

    fn run<'a>(&'a self, input: Value, ctx: &'a ToolContext) -> BoxFuture<'a, Result<ToolOutput, String>> {
        Box::pin(async move {
            let input: Input = parse_input("glob_search", &input)?;
            let ws = ctx.workspace().clone();
            let dir = resolve(&ws, "glob_search", input.path.as_deref().unwrap_or("."))?;
            if !dir.path.is_dir() {
                return Err(format!("glob_search: {} is not a directory", ws.display(&dir.path)));
            }
            let matcher = GlobBuilder::new(&input.pattern)
                .literal_separator(true)
                .build()
                .map_err(|e| format!("glob_search: invalid pattern: {e}"))?
                .compile_matcher();
            let cancel = ctx.cancel.clone();
            let root = dir.path.clone();
            let found = tokio::task::spawn_blocking(move || {
                files(&walker(&root), &cancel, |entry| {
                    let rel = entry.path().strip_prefix(&root).unwrap_or(entry.path());
                    matcher.is_match(rel).then(|| {
                        let mtime =
                            entry.metadata().ok().and_then(|m| m.modified().ok()).unwrap_or(SystemTime::UNIX_EPOCH);
                        (mtime, entry.path().to_path_buf())
                    })
                })
            })
            .await
            .map_err(|e| format!("glob_search: the search failed: {e}"))?;
            let Some(mut found) = found else { return Err("glob_search: interrupted by the user".into()) };
            if found.is_empty() {
                return Ok(ToolOutput::ok(format!("No files match {}", input.pattern)));
            }
            found.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
            let total = found.len();
            let mut out: Vec<String> = found.iter().take(MAX_RESULTS).map(|(_, p)| ws.display(p)).collect();
            if total > MAX_RESULTS {
                out.push(format!("[showing {MAX_RESULTS} of {total} files; narrow the pattern or the path]"));
            }
            Ok(ToolOutput::ok(out.join("\n")))
        })
    }
}
