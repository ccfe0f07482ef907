//! Sessions as JSON Lines files, with a summary sidecar per session for fast listing.
//!
//! A session is written as it happens, one record per line: `meta` first, then `message`,
//! `tool_call`, `file_change`, `todos`, `usage`, `title` and `compaction` records. Each line is
//! written with a single `write` on a file opened for appending and flushed, so a process killed
//! at any moment loses at most the line being written; [`read_records`] skips a torn or corrupt
//! line with a warning naming the file and line.
//!
//! Secrets never reach the file: the writer replaces every known credential value with
//! `[REDACTED]` before a line is written.

pub mod checkpoint;
pub mod export;
pub mod index;
pub mod manage;
pub mod replay;
mod store;

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use store::{SessionWriter, read_records};

use crate::provider::{Message, Usage};
use crate::tools::Todo;

/// Format version written in `meta`. Readers accept this and older versions, and read newer
/// ones as far as they understand them (unknown record types are skipped with a warning).
pub const FORMAT_VERSION: u32 = 1;

/// Most characters of a tool's complete output kept in a `tool_call` record. Larger outputs are
/// cut, and the record says where.
pub const MAX_RECORDED_OUTPUT: usize = 1 << 20;

/// Where a forked session came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForkOrigin {
    pub session_id: String,
    /// Messages copied from it.
    pub messages: usize,
}

/// One line of a session file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Record {
    Meta {
        version: u32,
        id: String,
        created: DateTime<Utc>,
        cwd: PathBuf,
        #[serde(default)]
        git_branch: Option<String>,
        model: String,
        claw_version: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        forked_from: Option<ForkOrigin>,
    },
    Message {
        ts: DateTime<Utc>,
        message: Message,
    },
    /// Facts about a tool call that the message blocks do not hold.
    ToolCall {
        ts: DateTime<Utc>,
        call_id: String,
        tool: String,
        elapsed_ms: u64,
        is_error: bool,
        /// The complete output when what the model got was cut.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        output: Option<String>,
        /// Set when `output` itself was cut at [`MAX_RECORDED_OUTPUT`]: the full length.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        output_chars: Option<usize>,
    },
    FileChange {
        ts: DateTime<Utc>,
        call_id: String,
        path: PathBuf,
        diff: String,
    },
    Todos {
        ts: DateTime<Utc>,
        todos: Vec<Todo>,
    },
    Usage {
        ts: DateTime<Utc>,
        model: String,
        usage: Usage,
        #[serde(default)]
        cost_usd: Option<f64>,
    },
    Title {
        ts: DateTime<Utc>,
        title: String,
    },
    /// The conversation was summarized; from here on the model sees the summary and the last
    /// `kept` messages. Everything before stays in the file.
    Compaction {
        ts: DateTime<Utc>,
        summary: String,
        #[serde(default)]
        focus: Option<String>,
        kept: usize,
    },
    /// A user turn began (turns are numbered across resumes; checkpoints and rewinds name them).
    Turn {
        ts: DateTime<Utc>,
        turn: u64,
        prompt: String,
    },
    /// A file's state before the agent changed it in a turn (see [`checkpoint`]).
    Checkpoint {
        ts: DateTime<Utc>,
        #[serde(flatten)]
        checkpoint: checkpoint::Checkpoint,
    },
    /// A sub-agent answered the `Agent` call `call_id`; its own records are in `file` (beside
    /// this session's, `<session>.agents/<agent_id>.jsonl`), its tokens in a `Usage` record.
    Subagent {
        ts: DateTime<Utc>,
        call_id: String,
        agent_id: String,
        /// Its type.
        name: String,
        description: String,
        #[serde(default)]
        file: Option<PathBuf>,
        outcome: crate::agent::TurnOutcome,
    },
    /// Files and/or the conversation went back to before `turn`.
    Restore {
        ts: DateTime<Utc>,
        turn: u64,
        files: bool,
        conversation: bool,
    },
}

impl Record {
    pub fn message(message: Message) -> Record {
        Record::Message { ts: Utc::now(), message }
    }

    pub fn tool_call(call_id: &str, tool: &str, elapsed_ms: u64, is_error: bool, full: Option<&str>) -> Record {
        let (output, output_chars) = match full {
            None => (None, None),
            Some(text) => {
                let n = text.chars().count();
                if n > MAX_RECORDED_OUTPUT {
                    (Some(text.chars().take(MAX_RECORDED_OUTPUT).collect()), Some(n))
                } else {
                    (Some(text.to_string()), None)
                }
            }
        };
        Record::ToolCall {
            ts: Utc::now(),
            call_id: call_id.into(),
            tool: tool.into(),
            elapsed_ms,
            is_error,
            output,
            output_chars,
        }
    }

    pub fn usage(model: &str, usage: Usage, cost_usd: Option<f64>) -> Record {
        Record::Usage { ts: Utc::now(), model: model.into(), usage, cost_usd }
    }
}

/// Where sessions of the project in `cwd` live: `<root>/<slug>`, where the slug is the path
/// with every character but ASCII letters and digits turned into `-`.
pub fn project_dir(root: &Path, cwd: &Path) -> PathBuf {
    let slug: String = cwd.to_string_lossy().chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect();
    root.join(slug)
}

/// A new session id: a UUID v7, so ids sort by creation time.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// A short title from a prompt: its first line, at most 60 characters.
pub fn title_from_prompt(prompt: &str) -> String {
    let line = prompt.lines().find(|l| !l.trim().is_empty()).unwrap_or("").trim();
    if line.chars().count() > 60 {
        let mut t: String = line.chars().take(59).collect();
        t.push('…');
        t
    } else {
        line.to_string()
    }
}
