//! `grep_search`: regular-expression search over file contents, with ripgrep's engine.
//!
//! Files are walked like `glob_search` (gitignore honoured); binary files are skipped. Output
//! modes: the matching files (default), the matching lines with optional context in ripgrep's
//! `path:line:text` / `path-line-text` layout, or a count per file. `head_limit` keeps the
//! first N lines or entries.

use std::io;

use grep_regex::RegexMatcherBuilder;
use grep_searcher::{BinaryDetection, Searcher, SearcherBuilder, Sink, SinkContext, SinkContextKind, SinkMatch};
use serde::Deserialize;
use serde_json::{Value, json};

use super::glob_search::walker;
use super::text::{MAX_OUTPUT_CHARS, truncate_middle};
use super::{Access, CallPlan, Tool, ToolContext, ToolEnv, ToolOutput, lenient_usize, parse_input, resolve};
use crate::provider::{BoxFuture, ToolSpec};

/// Longest line of matched text shown; minified files would drown the answer otherwise.
const MAX_LINE_CHARS: usize = 500;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
enum OutputMode {
    #[default]
    FilesWithMatches,
    Content,
    Count,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Input {
    pattern: String,
    #[serde(default)]
    path: Option<String>,
    #[serde(default)]
    glob: Option<String>,
    #[serde(default)]
    output_mode: OutputMode,
    #[serde(rename = "-i", default)]
    case_insensitive: bool,
    #[serde(rename = "-n", default)]
    line_numbers: Option<bool>,
    #[serde(rename = "-A", default, deserialize_with = "lenient_usize")]
    after: Option<usize>,
    #[serde(rename = "-B", default, deserialize_with = "lenient_usize")]
    before: Option<usize>,
    #[serde(rename = "-C", default, deserialize_with = "lenient_usize")]
    context: Option<usize>,
    #[serde(default, deserialize_with = "lenient_usize")]
    head_limit: Option<usize>,
    #[serde(default)]
    multiline: bool,
}

pub struct GrepSearch;

/// Collects output lines for one file.
struct Collect<'a> {
    shown: &'a str,
    mode: OutputMode,
    numbers: bool,
    lines: Vec<String>,
    matches: usize,
}

fn clip(line: &[u8]) -> String {
    let text = String::from_utf8_lossy(line);
    let text = text.trim_end_matches(['\n', '\r']);
    if text.chars().count() > MAX_LINE_CHARS {
        let cut: String = text.chars().take(MAX_LINE_CHARS).collect();
        format!("{cut}… [line cut]")
    } else {
        text.to_string()
    }
}

impl Sink for Collect<'_> {
    type Error = io::Error;

    fn matched(&mut self, _: &Searcher, m: &SinkMatch<'_>) -> Result<bool, io::Error> {
        self.matches += 1;
        if self.mode == OutputMode::Content {
            for (n, line) in (m.line_number().unwrap_or(0)..).zip(m.lines()) {
                if self.numbers {
                    self.lines.push(format!("{}:{n}:{}", self.shown, clip(line)));
                } else {
                    self.lines.push(format!("{}:{}", self.shown, clip(line)));
                }
            }
        }
        // files_with_matches needs one match per file only.
        Ok(self.mode != OutputMode::FilesWithMatches)
    }

    fn context(&mut self, _: &Searcher, c: &SinkContext<'_>) -> Result<bool, io::Error> {
        if self.mode == OutputMode::Content && !matches!(c.kind(), SinkContextKind::Other) {
            let n = c.line_number().unwrap_or(0);
            if self.numbers {
                self.lines.push(format!("{}-{n}-{}", self.shown, clip(c.bytes())));
            } else {
                self.lines.push(format!("{}-{}", self.shown, clip(c.bytes())));
            }
        }
        Ok(true)
    }

    fn context_break(&mut self, _: &Searcher) -> Result<bool, io::Error> {
        if self.mode == OutputMode::Content {
            self.lines.push("--".into());
        }
        Ok(true)
    }
}

impl Tool for GrepSearch {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "grep_search".into(),
            description: "Search file contents with a regular expression (Rust regex syntax, like ripgrep). \
output_mode: files_with_matches (default; the paths), content (matching lines as path:line:text, with -A/-B/-C context), or count. \
Filter files with glob (\"*.rs\", \"**/*.{ts,tsx}\"). Files ignored by .gitignore and binary files are skipped."
                .into(),
            input_schema: json!({
                "type": "object",
                "properties": {
                    "pattern": {"type": "string", "description": "Regular expression"},
                    "path": {"type": "string", "description": "File or directory to search (default: the working directory)"},
                    "glob": {"type": "string", "description": "Only search files matching this glob"},
                    "output_mode": {"type": "string", "enum": ["files_with_matches", "content", "count"]},
                    "-i": {"type": "boolean", "description": "Case insensitive"},
                    "-n": {"type": "boolean", "description": "Show line numbers (content mode; default true)"},
                    "-A": {"type": "integer", "minimum": 0, "description": "Lines of context after each match (content mode)"},
                    "-B": {"type": "integer", "minimum": 0, "description": "Lines of context before each match (content mode)"},
                    "-C": {"type": "integer", "minimum": 0, "description": "Lines of context around each match (content mode)"},
                    "head_limit": {"type": "integer", "minimum": 1, "description": "Keep only the first N lines or entries"},
                    "multiline": {"type": "boolean", "description": "Let . match newlines and patterns span lines"}
                },
                "required": ["pattern"],
                "additionalProperties": false
            }),
        }
    }

    fn plan(&self, input: &Value, env: &ToolEnv) -> Result<CallPlan, String> {
        let input: Input = parse_input("grep_search", input)?;
        RegexMatcherBuilder::new()
            .build(&input.pattern)
            .map_err(|e| format!("grep_search: invalid regular expression: {e}"))?;
        let target = resolve(&env.workspace, "grep_search", input.path.as_deref().unwrap_or("."))?;
        let mut summary = format!("/{}/", input.pattern);
        if let Some(p) = &input.path {
            summary.push_str(&format!(" in {p}"));
        }
        if let Some(g) = &input.glob {
            summary.push_str(&format!(" ({g})"));
        }
        Ok(CallPlan {
            access: Access::Read,
            subject: env.workspace.display(&target.path),
            paths: vec![target],
            summary,
            preview: None,
            change: None,
        })
    }

    fn run<'a>(&'a self, input: Value, ctx: &'a ToolContext) -> BoxFuture<'a, Result<ToolOutput, String>> {
        Box::pin(async move {
            let input: Input = parse_input("grep_search", &input)?;
            let ws = ctx.workspace().clone();
            let target = resolve(&ws, "grep_search", input.path.as_deref().unwrap_or("."))?;
            if !target.path.exists() {
                return Err(format!("grep_search: {} does not exist", ws.display(&target.path)));
            }
            let cancel = ctx.cancel.clone();
            tokio::task::spawn_blocking(move || search(&input, &target.path, &ws, &cancel))
                .await
                .map_err(|e| format!("grep_search: the search failed: {e}"))?
                .map(ToolOutput::ok)
                .map_err(|e| format!("grep_search: {e}"))
        })
    }
}

fn search(
    input: &Input,
    target: &std::path::Path,
    ws: &super::Workspace,
    cancel: &tokio_util::sync::CancellationToken,
) -> Result<String, String> {
    let matcher = RegexMatcherBuilder::new()
        .case_insensitive(input.case_insensitive)
        .multi_line(true)
        .dot_matches_new_line(input.multiline)
        .build(&input.pattern)
        .map_err(|e| format!("invalid regular expression: {e}"))?;
    let context = input.context.unwrap_or(0);
    let mut searcher = SearcherBuilder::new()
        .line_number(true)
        .binary_detection(BinaryDetection::quit(0))
        .multi_line(input.multiline)
        .before_context(input.before.unwrap_or(context))
        .after_context(input.after.unwrap_or(context))
        .build();
    let mut builder = walker(target);
    if let Some(glob) = &input.glob {
        let mut ob = ignore::overrides::OverrideBuilder::new(target);
        ob.add(glob).map_err(|e| format!("invalid glob: {e}"))?;
        builder.overrides(ob.build().map_err(|e| format!("invalid glob: {e}"))?);
    }
    let mut files: Vec<std::path::PathBuf> = builder
        .build()
        .flatten()
        .filter(|e| e.file_type().is_some_and(|t| t.is_file()))
        .map(|e| e.into_path())
        .collect();
    files.sort();

    let limit = input.head_limit.unwrap_or(usize::MAX);
    let mut out: Vec<String> = Vec::new();
    let mut total_matches = 0usize;
    let mut matched_files = 0usize;
    for file in &files {
        if cancel.is_cancelled() {
            return Err("interrupted by the user".into());
        }
        let shown = ws.display(file);
        let mut sink = Collect {
            shown: &shown,
            mode: input.output_mode,
            numbers: input.line_numbers.unwrap_or(true),
            lines: Vec::new(),
            matches: 0,
        };
        if searcher.search_path(&matcher, file, &mut sink).is_err() {
            continue; // unreadable file: skip, like rg does without --debug
        }
        if sink.matches == 0 {
            continue;
        }
        matched_files += 1;
        total_matches += sink.matches;
        match input.output_mode {
            OutputMode::FilesWithMatches => out.push(shown.clone()),
            OutputMode::Count => out.push(format!("{shown}:{}", sink.matches)),
            OutputMode::Content => {
                if !out.is_empty() && context_used(input) {
                    out.push("--".into());
                }
                out.extend(sink.lines);
            }
        }
    }
    if out.is_empty() {
        return Ok(format!("No matches for /{}/", input.pattern));
    }
    let full = out.len();
    out.truncate(limit);
    let mut text = out.join("\n");
    if full > limit {
        text.push_str(&format!("\n[showing the first {limit} of {full} lines]"));
    }
    if input.output_mode == OutputMode::Count {
        text.push_str(&format!("\n[{total_matches} matches in {matched_files} files]"));
    }
    Ok(truncate_middle(&text, MAX_OUTPUT_CHARS))
}

fn context_used(input: &Input) -> bool {
    input.context.unwrap_or(0) > 0 || input.after.unwrap_or(0) > 0 || input.before.unwrap_or(0) > 0
}
