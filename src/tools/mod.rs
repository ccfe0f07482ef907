//! The tools the model can call.
//!
//! Each tool lives in its own file and implements [`Tool`]: a spec with a JSON schema, a
//! `plan` step that validates the input and says what the call needs from the permission
//! policy (and what to show when asking), and `run`. Inputs are parsed into typed structs with
//! serde, so a call whose arguments do not match the schema comes back to the model as a tool
//! error naming the field; a tool never panics the agent.
//!
//! This module does not know about the agent loop; the registry in [`registry`] dispatches by
//! name.

pub mod agent;
pub mod bash;
pub mod capture;
pub mod change;
pub mod config_tool;
pub mod edit_file;
pub mod glob_search;
pub mod grep_search;
pub mod hunks;
pub mod notebook;
pub mod notebook_edit;
pub mod paths;
pub mod powershell;
pub mod read_file;
pub mod registry;
pub mod repl;
pub mod shells;
pub mod skill;
pub mod small;
pub mod structured;
pub mod text;
pub mod todo;
pub mod tool_search;
pub mod walk;
pub mod web;
pub mod web_fetch;
pub mod web_search;
pub mod write_file;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

pub use paths::{ResolvedPath, Workspace};
pub use registry::Registry;

use crate::provider::{BoxFuture, ToolSpec};

/// What a call may do, from least to most.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Access {
    /// Reads files or metadata inside the workspace.
    Read,
    /// Changes files inside the workspace.
    Write,
    /// Runs arbitrary commands (or otherwise reaches beyond the workspace).
    Execute,
}

/// What to show a person who is asked to approve a call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Preview {
    /// A shell command.
    Command { command: String },
    /// A file change as a unified diff.
    Diff { path: String, diff: String },
    /// A proposed file change, to review hunk by hunk: the text now (`None`: a new file) and
    /// the text proposed.
    Edit { path: String, old: Option<String>, new: String },
    /// A change too large to review hunk by hunk: its sizes, accepted or rejected whole.
    Large { path: String, old_bytes: Option<usize>, new_bytes: usize },
    /// A call sent elsewhere (an MCP server's tool): what is called and its arguments as JSON.
    Arguments { call: String, json: String },
}

/// The outcome of validating a call, before it runs.
#[derive(Debug, Clone, PartialEq)]
pub struct CallPlan {
    pub access: Access,
    /// Paths the call touches, resolved against the workspace.
    pub paths: Vec<ResolvedPath>,
    /// One line describing the call ("ls -la", "src/main.rs").
    pub summary: String,
    /// What permission rules match against: the command for bash, the path for file tools.
    pub subject: String,
    pub preview: Option<Preview>,
    /// For tools that change a file: the proposal, which the agent commits after approval.
    pub change: Option<change::FileChange>,
}

/// A to-do item of the model's plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Todo {
    pub content: String,
    pub status: TodoStatus,
    #[serde(rename = "activeForm", alias = "active_form")]
    pub active_form: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TodoStatus {
    Pending,
    InProgress,
    Completed,
}

/// A side effect the agent should announce after a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ToolEffect {
    TodosChanged(Vec<Todo>),
    FileChanged {
        path: PathBuf,
        diff: String,
    },
    /// A file's state before the turn changed it, for the session file.
    Checkpoint(crate::session::checkpoint::Checkpoint),
    /// The run's structured answer (`StructuredOutput`, validated against `--json-schema`).
    Structured(Value),
    /// A message for the user, now (`SendUserMessage`).
    UserMessage {
        message: String,
        status: String,
    },
    /// Tokens a call used of a model (WebFetch's small model): the session's cost includes them.
    Usage {
        usage: crate::provider::Usage,
        model: String,
    },
    /// A sub-agent ran for the call: the session records it (with its transcript's file) and
    /// its tokens (answering with `model`), which the session's cost includes.
    Subagent {
        agent_id: String,
        name: String,
        description: String,
        file: Option<PathBuf>,
        outcome: crate::agent::TurnOutcome,
        usage: crate::provider::Usage,
        model: String,
    },
}

/// A tool's answer to the model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolOutput {
    pub content: String,
    pub is_error: bool,
    pub effects: Vec<ToolEffect>,
    /// The complete output when `content` (what the model gets) was cut; kept in the session.
    pub full_output: Option<String>,
    /// Images for the model, where its provider takes them (an MCP tool's).
    pub images: Vec<crate::provider::ImageData>,
}

impl ToolOutput {
    pub fn ok(content: impl Into<String>) -> Self {
        ToolOutput {
            content: content.into(),
            is_error: false,
            effects: Vec::new(),
            full_output: None,
            images: Vec::new(),
        }
    }

    pub fn error(content: impl Into<String>) -> Self {
        ToolOutput {
            content: content.into(),
            is_error: true,
            effects: Vec::new(),
            full_output: None,
            images: Vec::new(),
        }
    }

    pub fn with_effect(mut self, effect: ToolEffect) -> Self {
        self.effects.push(effect);
        self
    }
}

/// When a file was last read by `read_file`, to detect edits from stale reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadStamp {
    pub modified: Option<SystemTime>,
    pub len: u64,
}

/// State shared by all calls of one agent.
#[derive(Debug)]
pub struct ToolEnv {
    pub workspace: Workspace,
    pub bash_default_timeout: Duration,
    /// Most characters of one read or search result ([`text::result_budget`] of the model's
    /// window, set at each turn's start: the model can change).
    max_result_chars: std::sync::atomic::AtomicUsize,
    pub todos: Mutex<Vec<Todo>>,
    pub shells: shells::Shells,
    /// The REPL's interpreters, started at their first call.
    pub repls: repl::Repls,
    /// Process groups the agent's commands started: stopped when the agent ends.
    pub groups: crate::child::Groups,
    /// What commands may do once they run (off unless the setup says otherwise).
    pub sandbox: crate::sandbox::Sandbox,
    pub reads: Mutex<HashMap<PathBuf, ReadStamp>>,
    /// What files were before the agent changed them, per turn.
    pub checkpoints: Mutex<crate::session::checkpoint::Checkpoints>,
    /// Files whose outside change was already reported, with the state reported.
    noticed: Mutex<HashMap<PathBuf, ReadStamp>>,
    /// A private folder (0700, in the temp folder) for long command output; removed with the
    /// agent. `None` when it could not be made (the output is then not saved, and the model
    /// is told).
    _scratch: Option<tempfile::TempDir>,
    spills: std::sync::atomic::AtomicU32,
}

impl ToolEnv {
    pub fn new(mut workspace: Workspace) -> Self {
        let scratch = tempfile::Builder::new().prefix("claw-tui-").tempdir().ok();
        workspace.scratch = scratch.as_ref().and_then(|d| d.path().canonicalize().ok());
        ToolEnv {
            workspace,
            bash_default_timeout: bash::DEFAULT_TIMEOUT,
            max_result_chars: text::MAX_RESULT_CHARS.into(),
            todos: Mutex::new(Vec::new()),
            shells: shells::Shells::default(),
            repls: Default::default(),
            groups: Default::default(),
            sandbox: Default::default(),
            reads: Mutex::new(HashMap::new()),
            checkpoints: Mutex::new(Default::default()),
            noticed: Mutex::new(HashMap::new()),
            _scratch: scratch,
            spills: Default::default(),
        }
    }

    /// Most characters of one read or search result.
    pub fn max_result_chars(&self) -> usize {
        self.max_result_chars.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Sizes results for a model whose context window is `tokens`.
    pub fn set_context_window(&self, tokens: u64) {
        self.max_result_chars.store(text::result_budget(tokens), std::sync::atomic::Ordering::Relaxed);
    }

    /// A new file in the scratch folder for the output of a `tool` call, not created yet.
    pub fn spill_file(&self, tool: &str) -> Option<capture::SpillFile> {
        let dir = self.workspace.scratch.as_ref()?;
        let n = self.spills.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        Some(capture::SpillFile::new(dir.join(format!("{tool}-{n}.log"))))
    }

    /// Records that claw-tui itself changed `path` in a way the model has not seen (a partial
    /// apply, a restore): its next edit must read the file first, and the change is not
    /// reported as made outside.
    pub fn mark_stale(&self, path: &std::path::Path) {
        let canonical = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        // A stamp no file can match: edit_file refuses until the model reads the file.
        self.reads.lock().expect("reads lock").insert(canonical.clone(), ReadStamp { modified: None, len: u64::MAX });
        let now = match std::fs::metadata(&canonical) {
            Ok(meta) => ReadStamp { modified: meta.modified().ok(), len: meta.len() },
            Err(_) => ReadStamp { modified: None, len: 0 },
        };
        self.noticed.lock().expect("noticed lock").insert(canonical, now);
    }

    /// Of `paths` (changed on disk), those the model read and that are no longer as it read
    /// them: a message for each, once per change. Its own writes refresh what it read, so they
    /// are not reported.
    pub fn external_changes(&self, paths: &[PathBuf]) -> Vec<String> {
        let reads = self.reads.lock().expect("reads lock");
        let mut noticed = self.noticed.lock().expect("noticed lock");
        let mut out = Vec::new();
        for path in paths {
            let canonical = std::fs::canonicalize(path).unwrap_or_else(|_| path.clone());
            let Some(stamp) = reads.get(&canonical) else { continue };
            let now = match std::fs::metadata(&canonical) {
                Ok(meta) => ReadStamp { modified: meta.modified().ok(), len: meta.len() },
                Err(_) => ReadStamp { modified: None, len: 0 },
            };
            if now == *stamp || noticed.get(&canonical) == Some(&now) {
                continue;
            }
            noticed.insert(canonical.clone(), now);
            out.push(format!(
                "{} changed outside claw-tui since the model read it; it will read it again before editing it",
                self.workspace.display(&canonical)
            ));
        }
        out
    }
}

/// What a path that is not a regular file or a folder is, for an error: reading a FIFO or a
/// device would block (or never end), so tools refuse them.
pub fn special_file(meta: &std::fs::Metadata) -> Option<&'static str> {
    use std::os::unix::fs::FileTypeExt;
    let t = meta.file_type();
    if t.is_file() || t.is_dir() {
        None
    } else if t.is_fifo() {
        Some("a FIFO (named pipe)")
    } else if t.is_socket() {
        Some("a socket")
    } else if t.is_char_device() || t.is_block_device() {
        Some("a device")
    } else {
        Some("not a regular file")
    }
}

/// Everything a call can use: the shared environment, its cancellation token, and a sink for
/// progress output (streamed to the UI, not sent to the model).
#[derive(Clone)]
pub struct ToolContext {
    pub env: Arc<ToolEnv>,
    pub cancel: CancellationToken,
    pub progress: mpsc::Sender<String>,
    /// The call's id (what the model named it).
    pub call_id: String,
    /// Runs sub-agents, for the `Agent` tool (set by the agent core).
    pub subagents: Option<Arc<dyn Subagents>>,
    /// Asks a small model a question, for WebFetch (set by the agent core).
    pub ask: Option<Arc<dyn Ask>>,
}

/// A small model's answer and what it cost.
#[derive(Debug, Clone)]
pub struct Reply {
    pub text: String,
    pub usage: crate::provider::Usage,
    pub model: String,
}

/// Asks a small, fast model one question, with no tools (WebFetch's prompt over a page).
pub trait Ask: Send + Sync {
    fn ask(&self, question: String, cancel: CancellationToken) -> BoxFuture<'_, Result<Reply, String>>;
}

/// Runs sub-agents for the `Agent` tool: the agent core provides it, so that tools need not
/// know the agent loop.
pub trait Subagents: Send + Sync {
    /// Runs the sub-agent an `Agent` call asks for, to its end: its final answer, or why it
    /// failed.
    fn run<'a>(&'a self, call_id: &'a str, input: Value, cancel: CancellationToken) -> BoxFuture<'a, ToolOutput>;
}

impl ToolContext {
    /// A context for one call, with the receiving end of its progress (bounded: a tool that
    /// outpaces the UI coalesces, see [`capture::Throttle`]).
    pub fn new(env: Arc<ToolEnv>, cancel: CancellationToken) -> (ToolContext, mpsc::Receiver<String>) {
        let (progress, rx) = mpsc::channel(capture::PROGRESS_CAPACITY);
        (ToolContext { env, cancel, progress, call_id: String::new(), subagents: None, ask: None }, rx)
    }

    pub fn workspace(&self) -> &Workspace {
        &self.env.workspace
    }
}

/// One tool.
pub trait Tool: Send + Sync {
    fn spec(&self) -> ToolSpec;

    /// Validates `input` and says what the call needs. An `Err` is a message for the model
    /// (wrong arguments, a missing file...), and the call does not run.
    fn plan(&self, input: &Value, env: &ToolEnv) -> Result<CallPlan, String>;

    /// Runs the call. `Err` is an error result for the model (the same as
    /// `ToolOutput::error`), so tools can use `?`. Must return promptly once `ctx.cancel`
    /// fires, and never panic.
    fn run<'a>(&'a self, input: Value, ctx: &'a ToolContext) -> BoxFuture<'a, Result<ToolOutput, String>>;
}

/// Resolves a path argument for `tool`, with the tool's name on the error.
pub fn resolve(ws: &Workspace, tool: &str, raw: &str) -> Result<ResolvedPath, String> {
    ws.resolve(raw).map_err(|e| format!("{tool}: {e}"))
}

/// Parses tool input into its typed form, with a message the model can act on.
pub fn parse_input<T: DeserializeOwned>(tool: &str, input: &Value) -> Result<T, String> {
    if !input.is_object() {
        return Err(format!("{tool}: the input must be a JSON object, got {input}"));
    }
    serde_json::from_value(input.clone()).map_err(|e| format!("{tool}: invalid arguments: {e}"))
}

/// Deserializes an optional unsigned integer that a model may send as a number or a numeric
/// string ("20").
pub(crate) fn lenient_usize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<usize>, D::Error> {
    use serde::de::Error;
    let v = Option::<Value>::deserialize(d)?;
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_u64()
            .map(|n| Some(n as usize))
            .ok_or_else(|| D::Error::custom(format!("expected a non-negative integer, got {n}"))),
        Some(Value::String(s)) => s
            .trim()
            .parse::<usize>()
            .map(Some)
            .map_err(|_| D::Error::custom(format!("expected a non-negative integer, got \"{s}\""))),
        Some(other) => Err(D::Error::custom(format!("expected a non-negative integer, got {other}"))),
    }
}
