//! `grep_search`: regular-expression search over file contents, with ripgrep's engine.
//!
//! Files are walked like `glob_search` (gitignore honoured) and searched on every core, as
//! ripgrep does; binary files are skipped. Output modes: the matching files (default), the
//! matching lines with optional context in ripgrep's `path:line:text` / `path-line-text`
//! layout, or a count per file. Results come in path order. `head_limit` keeps the first N
//! lines or entries, and a result stops at the agent's budget of characters
//! ([`super::ToolEnv::max_result_chars`]). In content mode the search stops there too, so it
//! never holds more lines than it returns (and a window of files searched ahead,
//! [`super::walk::WINDOW`]); the other modes search while walking, as ripgrep does, keeping
//! only the entries an answer could show (the first by path) and counting the rest.

use std::io;

use grep_regex::RegexMatcherBuilder;
use grep_searcher::{BinaryDetection, Searcher, SearcherBuilder, Sink, SinkContext, SinkContextKind, SinkMatch};
use serde::Deserialize;
use serde_json::{Value, json};

use super::walk::{files, files_with, ordered, threads, walker};
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

/// Collects output lines for one file, up to caps (the most any result could show).
struct Collect<'a> {
    shown: &'a str,
    mode: OutputMode,
    numbers: bool,
    lines: Vec<String>,
    chars: usize,
    max_lines: usize,
    max_chars: usize,
    matches: usize,
}

impl Collect<'_> {
    fn push(&mut self, line: String) {
        self.chars += line.chars().count() + 1;
        self.lines.push(line);
    }

    /// Whether more lines could still be shown.
    fn room(&self) -> bool {
        self.lines.len() < self.max_lines && self.chars <= self.max_chars
    }
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
                    self.push(format!("{}:{n}:{}", self.shown, clip(line)));
                } else {
                    self.push(format!("{}:{}", self.shown, clip(line)));
                }
            }
        }
        // files_with_matches needs one match per file only; content only what can be shown.
        Ok(match self.mode {
            OutputMode::FilesWithMatches => false,
            OutputMode::Count => true,
            OutputMode::Content => self.room(),
        })
    }

    fn context(&mut self, _: &Searcher, c: &SinkContext<'_>) -> Result<bool, io::Error> {
        if self.mode == OutputMode::Content && !matches!(c.kind(), SinkContextKind::Other) {
            let n = c.line_number().unwrap_or(0);
            if self.numbers {
                self.push(format!("{}-{n}-{}", self.shown, clip(c.bytes())));
            } else {
                self.push(format!("{}-{}", self.shown, clip(c.bytes())));
            }
        }
        Ok(self.mode != OutputMode::Content || self.room())
    }

    fn context_break(&mut self, _: &Searcher) -> Result<bool, io::Error> {
        if self.mode == OutputMode::Content {
            self.push("--".into());
        }
        Ok(self.mode != OutputMode::Content || self.room())
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
            let budget = ctx.env.max_result_chars();
            tokio::task::spawn_blocking(move || search(&input, &target.path, &ws, budget, &cancel))
                .await
                .map_err(|e| format!("grep_search: the search failed: {e}"))?
                .map(ToolOutput::ok)
                .map_err(|e| format!("grep_search: {e}"))
        })
    }
}

/// One file's part of the answer.
struct Found {
    path: std::path::PathBuf,
    shown: String,
    matches: usize,
    lines: Vec<String>,
}

fn search(
    input: &Input,
    target: &std::path::Path,
    ws: &super::Workspace,
    budget: usize,
    cancel: &tokio_util::sync::CancellationToken,
) -> Result<String, String> {
    // As ripgrep: telling the matcher that lines end in \n lets the searcher scan whole
    // buffers for a candidate instead of running the regex line by line.
    let matcher = RegexMatcherBuilder::new()
        .case_insensitive(input.case_insensitive)
        .multi_line(true)
        .dot_matches_new_line(input.multiline)
        .line_terminator((!input.multiline).then_some(b'\n'))
        .build(&input.pattern)
        .map_err(|e| format!("invalid regular expression: {e}"))?;
    let context = input.context.unwrap_or(0);
    let mut searcher = SearcherBuilder::new();
    searcher
        .line_number(true)
        .binary_detection(BinaryDetection::quit(0))
        .multi_line(input.multiline)
        .before_context(input.before.unwrap_or(context))
        .after_context(input.after.unwrap_or(context));
    let mut builder = walker(target);
    if let Some(glob) = &input.glob {
        let mut ob = ignore::overrides::OverrideBuilder::new(target);
        ob.add(glob).map_err(|e| format!("invalid glob: {e}"))?;
        builder.overrides(ob.build().map_err(|e| format!("invalid glob: {e}"))?);
    }
    let interrupted = || "interrupted by the user".to_string();
    let limit = input.head_limit.unwrap_or(usize::MAX);
    let mut answer = Answer { mode: input.output_mode, limit, budget, ..Answer::default() };
    let context_used = context_used(input);
    // One file's part: its lines (content mode) up to what any answer could show.
    let search_one = |searcher: &mut Searcher, file: &std::path::Path| -> Option<Found> {
        let shown = ws.display(file);
        let mut sink = Collect {
            shown: &shown,
            mode: input.output_mode,
            numbers: input.line_numbers.unwrap_or(true),
            lines: Vec::new(),
            chars: 0,
            max_lines: limit.saturating_add(1),
            max_chars: budget,
            matches: 0,
        };
        // An unreadable file is skipped, as rg does without --debug.
        let searched = searcher.search_path(&matcher, file, &mut sink).is_ok() && sink.matches > 0;
        let lines = sink.lines;
        searched.then_some(Found { matches: sink.matches, lines, shown, path: file.to_path_buf() })
    };
    if input.output_mode != OutputMode::Content {
        // A file's part is one line: search while walking, as ripgrep does. Only the entries
        // an answer could show are kept, the first by path: no more than head_limit + 1, nor
        // than budget / 2 + 1 (an entry takes two characters at least).
        let keep = limit.saturating_add(1).min(budget / 2 + 1);
        let first = std::sync::Mutex::new(std::collections::BinaryHeap::new());
        let totals = std::sync::Mutex::new((0usize, 0usize));
        files_with(
            &builder,
            cancel,
            || searcher.build(),
            |searcher, entry| {
                let found = ByPath(search_one(searcher, entry.path())?);
                {
                    let mut t = totals.lock().expect("grep totals");
                    t.0 += 1;
                    t.1 += found.0.matches;
                }
                let mut heap = first.lock().expect("grep results");
                if heap.len() < keep {
                    heap.push(found);
                } else if heap.peek().is_some_and(|last| found < *last) {
                    heap.pop();
                    heap.push(found);
                }
                None::<()>
            },
        )
        .ok_or_else(interrupted)?;
        answer.totals = totals.into_inner().expect("grep totals");
        for ByPath(f) in first.into_inner().expect("grep results").into_sorted_vec() {
            if !answer.add(f, context_used) {
                break;
            }
        }
        return Ok(answer.finish(&input.pattern));
    }
    // Content: files in path order, searched ahead on every core and handed over in order,
    // so the search stops as soon as the answer is full.
    let mut paths = files(&builder, cancel, |e| Some(e.path().to_path_buf())).ok_or_else(interrupted)?;
    paths.sort_unstable();
    ordered(
        &paths,
        threads(),
        || searcher.build(),
        |searcher, file| if cancel.is_cancelled() { None } else { search_one(searcher, file) },
        |found| match found {
            _ if cancel.is_cancelled() => false,
            None => true,
            Some(found) => answer.add(found, context_used),
        },
    );
    if cancel.is_cancelled() {
        return Err(interrupted());
    }
    Ok(answer.finish(&input.pattern))
}

/// A file's part, ordered by its path.
struct ByPath(Found);

impl PartialEq for ByPath {
    fn eq(&self, other: &Self) -> bool {
        self.0.path == other.0.path
    }
}

impl Eq for ByPath {}

impl PartialOrd for ByPath {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for ByPath {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.path.cmp(&other.0.path)
    }
}

/// The answer being put together, in path order, until it has all it will show.
#[derive(Default)]
struct Answer {
    mode: OutputMode,
    limit: usize,
    budget: usize,
    out: Vec<String>,
    chars: usize,
    /// Matching files and matches in the whole search (files and count modes).
    totals: (usize, usize),
    /// Why it stopped before the end: the limit or the budget.
    stopped: Option<Stop>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Stop {
    Limit,
    Budget,
}

impl Answer {
    /// Adds one file's part; `false` once nothing more can be shown.
    fn add(&mut self, found: Found, context_used: bool) -> bool {
        let lines = match self.mode {
            OutputMode::FilesWithMatches => vec![found.shown],
            OutputMode::Count => vec![format!("{}:{}", found.shown, found.matches)],
            OutputMode::Content => {
                let mut lines = found.lines;
                if !self.out.is_empty() && context_used {
                    lines.insert(0, "--".into());
                }
                lines
            }
        };
        for line in lines {
            if self.out.len() == self.limit {
                self.stopped = Some(Stop::Limit);
                return false;
            }
            let n = line.chars().count() + 1;
            if self.chars + n > self.budget {
                self.stopped = Some(Stop::Budget);
                return false;
            }
            self.chars += n;
            self.out.push(line);
        }
        true
    }

    fn finish(mut self, pattern: &str) -> String {
        if self.out.is_empty() && self.stopped.is_none() {
            return format!("No matches for /{pattern}/");
        }
        let shown = self.out.len();
        let what = match (self.mode, shown) {
            (OutputMode::Content, 1) => "line",
            (OutputMode::Content, _) => "lines",
            (_, 1) => "file",
            _ => "files",
        };
        match self.stopped {
            Some(Stop::Limit) => self.out.push(format!("[showing the first {shown} {what} (head_limit); there are more]")),
            Some(Stop::Budget) => self.out.push(format!(
                "[showing the first {shown} {what}: the result stops at {} characters and there are more; narrow the search with path, glob or a stricter pattern]",
                self.budget
            )),
            None => {}
        }
        if self.mode == OutputMode::Count {
            let (files, matches) = self.totals;
            self.out.push(format!("[{matches} matches in {files} files]"));
        }
        self.out.join("\n")
    }
}

fn context_used(input: &Input) -> bool {
    input.context.unwrap_or(0) > 0 || input.after.unwrap_or(0) > 0 || input.before.unwrap_or(0) > 0
}
