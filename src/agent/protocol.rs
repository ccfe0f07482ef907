//! The protocol between the agent core and its front ends: [`Op`]s in, [`AgentEvent`]s out,
//! and the values they carry.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::permission::PermissionMode;
use crate::provider::{ErrorKind, Message, Usage};
use crate::tools::{Preview, Todo};

use super::{RestorePlan, TurnInfo};

/// UI → agent.
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    /// A prompt. `attachments` are paths whose text is added to the message.
    UserTurn { text: String, attachments: Vec<PathBuf> },
    /// The answer to an `ApprovalRequested`. Answers to calls no longer waiting are ignored.
    Approval { call_id: String, decision: Decision },
    /// Stop the running turn now.
    Interrupt,
    /// Use another model from the next request on.
    SetModel { model: String },
    /// Change the permission mode; applies to the next decision, also mid-turn.
    SetPermissionMode { mode: PermissionMode },
    /// Summarize the conversation so far and continue from the summary (with an optional
    /// focus for the summary). Runs like a turn: `TurnStarted` … `TurnFinished`.
    Compact { focus: Option<String> },
    /// Give the session a title.
    Rename { title: String },
    /// Files in the workspace changed on disk (from a watcher): files the model read and that
    /// someone else changed since get a `Warning`, once per change.
    ExternalChanges { paths: Vec<PathBuf> },
    /// List the turns that can be rewound to (answered with `Turns`).
    ListTurns,
    /// Say what going back to before `turn` (`None`: the last turn that changed files, as
    /// /undo does) would do to the files and/or the conversation (answered with `RestorePlan`).
    PlanRestore { turn: Option<u64>, files: bool, conversation: bool },
    /// Go back to before `turn`. Files someone else changed since are kept unless `force`.
    Restore { turn: u64, files: bool, conversation: bool, force: bool },
    /// Read the instruction files again (one was edited): the next request's system prompt
    /// has them.
    ReloadInstructions,
    /// Stop after interrupting whatever runs.
    Shutdown,
}

/// A person's answer to an approval request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum Decision {
    AllowOnce,
    /// Allow this and similar calls until the session ends.
    AllowSession,
    /// Deny; the feedback (if any) is passed to the model.
    Deny {
        feedback: Option<String>,
    },
    /// For a file change: write only these hunks (indexes into
    /// [`crate::tools::hunks::hunks`] of the proposal), and tell the model the note.
    ApplyHunks {
        accepted: Vec<usize>,
        note: Option<String>,
    },
}

/// Why a turn ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TurnOutcome {
    /// The model finished its answer.
    EndTurn,
    /// The answer hit `max_tokens`.
    MaxTokens,
    StopSequence,
    /// The model declined to answer.
    Refusal,
    Interrupted,
    /// A model call failed (see the `Error` event before).
    Error,
    /// The iteration limit was reached with tool calls still coming.
    MaxIterations,
}

/// An instruction file that went into the system prompt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstructionFile {
    pub path: PathBuf,
    pub chars: usize,
    /// Set when the file was cut to the cap: the characters kept.
    pub truncated_to: Option<usize>,
}

/// Agent → UI.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum AgentEvent {
    /// First event of every agent.
    SessionStarted {
        session_id: String,
        session_file: Option<PathBuf>,
        model: String,
        provider: String,
        /// Which credential the provider uses (never the secret).
        #[serde(default)]
        credential: String,
        cwd: PathBuf,
        tools: Vec<String>,
        permission_mode: PermissionMode,
        instruction_files: Vec<InstructionFile>,
        /// What commands may do once they run ([`crate::sandbox::Sandbox::describe`]).
        #[serde(default)]
        sandbox: String,
    },
    TurnStarted {
        turn_id: u64,
    },
    TextDelta {
        turn_id: u64,
        text: String,
    },
    ThinkingDelta {
        turn_id: u64,
        text: String,
    },
    /// A complete assistant message, after it streamed.
    AssistantMessage {
        turn_id: u64,
        message: Message,
    },
    ToolCallStarted {
        call_id: String,
        tool: String,
        input: Value,
        summary: String,
    },
    ToolProgress {
        call_id: String,
        chunk: String,
    },
    ApprovalRequested {
        call_id: String,
        tool: String,
        summary: String,
        /// Why the policy asks.
        reason: String,
        preview: Option<Preview>,
        /// The rule "allow for this session" would add.
        session_rule: String,
    },
    ToolCallFinished {
        call_id: String,
        tool: String,
        result: String,
        is_error: bool,
        elapsed_ms: u64,
    },
    /// Token counts and money: of the request in flight (or just finished) and of the session.
    Usage {
        request: Usage,
        session: Usage,
        request_cost_usd: Option<f64>,
        session_cost_usd: Option<f64>,
        /// Tokens of the last prompt: how full the context window is.
        context_tokens: u64,
        context_window: u64,
    },
    TodosChanged {
        todos: Vec<Todo>,
    },
    FileChanged {
        path: PathBuf,
        diff: String,
    },
    ModelChanged {
        model: String,
    },
    /// The conversation was compacted: the model now sees `summary` and the last `kept`
    /// messages (of `before`). The session file keeps everything.
    Compacted {
        summary: String,
        kept: usize,
        before: usize,
    },
    /// The session got a title.
    Renamed {
        title: String,
    },
    PermissionModeChanged {
        mode: PermissionMode,
    },
    /// The turns that can be rewound to, oldest first.
    Turns {
        turns: Vec<TurnInfo>,
    },
    /// What a restore would do; nothing is written until `Op::Restore`.
    RestorePlan {
        plan: RestorePlan,
    },
    /// Files and/or the conversation went back to before `turn`: what happened to each file.
    Restored {
        turn: u64,
        files: bool,
        conversation: bool,
        report: Vec<String>,
    },
    TurnFinished {
        turn_id: u64,
        outcome: TurnOutcome,
    },
    /// Something failed. With `retrying_in_ms` the agent will try again by itself.
    Error {
        kind: ErrorKind,
        message: String,
        retrying_in_ms: Option<u64>,
    },
    /// What streamed of the current model call so far (text, thinking) is thrown away: the
    /// connection broke mid-answer and the call is made again. Front ends drop what they showed
    /// of it; the retry's answer streams anew.
    AnswerDiscarded {
        turn_id: u64,
    },
    /// Something the user should know that did not stop the work (a session that cannot be
    /// saved, a truncated instruction file).
    Warning {
        message: String,
    },
    /// The model gave its structured answer (`--json-schema`), valid against the schema.
    StructuredOutput {
        value: Value,
    },
    /// The model tells the user something mid-turn (`SendUserMessage`); `status` is info,
    /// success, warning or error.
    UserMessage {
        message: String,
        status: String,
    },
    /// A sub-agent started for the `Agent` call `call_id`; its transcript is kept in `file`.
    SubagentStarted {
        agent_id: String,
        call_id: String,
        /// Its type (`general-purpose`, a definition's name).
        name: String,
        description: String,
        /// The task it was given.
        prompt: String,
        model: String,
        file: Option<PathBuf>,
    },
    /// Something a running sub-agent did: its own events, call ids prefixed with
    /// `<agent_id>/` (an approval is answered with that id).
    Subagent {
        agent_id: String,
        event: Box<AgentEvent>,
    },
    /// A sub-agent ended: how, and what it used (already in the session's `Usage`).
    SubagentFinished {
        agent_id: String,
        outcome: TurnOutcome,
        usage: Usage,
        cost_usd: Option<f64>,
    },
}
