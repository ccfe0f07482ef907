//! The agent core: `Op` in, `AgentEvent` out.
//!
//! [`spawn`] starts an agent on the tokio runtime and returns an [`AgentHandle`]. The TUI,
//! headless mode and tests all drive the agent the same way: send [`Op`]s, read
//! [`AgentEvent`]s. The agent knows nothing about terminals.
//!
//! Ordering contract, per turn: `TurnStarted`, then any number of deltas, usage, tool events
//! and errors, then exactly one `TurnFinished`. For each tool call: `ToolCallStarted`, maybe
//! `ApprovalRequested` and `ToolProgress`, then exactly one `ToolCallFinished`. On `Interrupt`
//! the model stream is dropped and running tools are stopped at once; every tool call of the
//! interrupted answer still gets a result in the history (an error saying it was interrupted),
//! so the next request is valid. `UserTurn`s that arrive while a turn runs are queued and run
//! in order after it.

mod calls;
mod compact;
mod extend;
pub mod prompt;
pub mod replay;
mod rewind;
mod subagent;
mod turn;

pub use rewind::{RestoreFile, RestorePlan, TurnInfo};

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::{mpsc, oneshot};

use crate::permission::{PermissionMode, Policy, Rule};
use crate::provider::{ErrorKind, Message, Provider, ThinkingConfig, Usage};
use crate::session::SessionWriter;
use crate::tools::{Preview, Registry, Todo, ToolEnv};

/// Default iteration limit: model calls per user turn.
pub const DEFAULT_MAX_ITERATIONS: usize = 16;
/// Default most calls of one answer that run at the same time.
pub const DEFAULT_MAX_PARALLEL: usize = 8;
/// Default `max_tokens` of a request.
pub const DEFAULT_MAX_TOKENS: u32 = 16_384;
/// Default share of the context window that triggers compaction. High enough that short
/// sessions never compact, low enough to leave room for the summary request itself.
pub const DEFAULT_COMPACT_THRESHOLD: f64 = 0.85;

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
    /// A sub-agent started for the `Agent` call `call_id`; its transcript is kept in `file`.
    SubagentStarted {
        agent_id: String,
        call_id: String,
        /// Its type (`general-purpose`, a definition's name).
        name: String,
        description: String,
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

/// How an agent behaves.
pub struct AgentConfig {
    pub model: String,
    pub max_tokens: u32,
    pub thinking: Option<ThinkingConfig>,
    pub max_iterations: usize,
    pub policy: Policy,
    /// Whether a person can answer approvals. When false (headless), calls that would ask are
    /// denied and the model is told why.
    pub interactive: bool,
    /// System prompt sections.
    pub system: Vec<String>,
    pub instruction_files: Vec<InstructionFile>,
    pub session: SessionWriter,
    /// Earlier history to continue from.
    pub history: Vec<Message>,
    /// Where the turns of that history began, for rewinding.
    pub marks: Vec<crate::session::replay::Mark>,
    /// Share of the context window at which the conversation is compacted by itself.
    pub compact_threshold: f64,
    /// Prices and context windows, with the user's overrides.
    pub prices: crate::provider::pricing::PriceTable,
    /// Hooks to run ([`crate::extend::hooks`]), as far as folder trust lets them.
    pub hooks: Vec<crate::extend::hooks::Hook>,
    /// Custom commands (expanded when a prompt names one) and skills.
    pub extensions: Arc<crate::extend::Extensions>,
    /// Most calls of one answer that run at the same time (sub-agents, reads).
    pub max_parallel: usize,
}

/// The two ends the UI holds.
pub struct AgentHandle {
    pub ops: mpsc::UnboundedSender<Op>,
    pub events: mpsc::UnboundedReceiver<AgentEvent>,
}

impl AgentHandle {
    /// Sends an op; false when the agent has stopped.
    pub fn send(&self, op: Op) -> bool {
        self.ops.send(op).is_ok()
    }

    /// The next event, or `None` once the agent has stopped.
    pub async fn next_event(&mut self) -> Option<AgentEvent> {
        self.events.recv().await
    }
}

/// What the agent does next.
enum Work {
    Turn(String, Vec<PathBuf>),
    Compact(Option<String>),
}

impl Agent {
    async fn run_work(&mut self, work: Work, cancel: tokio_util::sync::CancellationToken) {
        match work {
            Work::Turn(text, attachments) => {
                self.run_turn(text, attachments, cancel).await;
            }
            Work::Compact(focus) => {
                self.turn_seq += 1;
                let turn_id = self.turn_seq;
                self.emit(AgentEvent::TurnStarted { turn_id });
                self.pre_compact("manual", focus.as_deref(), &cancel).await;
                let outcome = self.compact(turn_id, focus, &cancel).await;
                self.sync_session();
                self.emit(AgentEvent::TurnFinished { turn_id, outcome });
            }
        }
    }
}

/// Settings that may change while a turn runs.
#[derive(Debug)]
pub(crate) struct Live {
    pub model: String,
    pub policy: Policy,
}

/// Calls waiting for a person's answer, by call id.
pub(crate) type Pending = Arc<Mutex<HashMap<String, oneshot::Sender<Decision>>>>;

pub(crate) struct Agent {
    pub config: AgentConfig,
    pub provider: Arc<dyn Provider>,
    pub registry: Registry,
    pub env: Arc<ToolEnv>,
    pub events: mpsc::UnboundedSender<AgentEvent>,
    pub live: Arc<Mutex<Live>>,
    pub pending: Pending,
    pub history: Vec<Message>,
    pub totals: Usage,
    pub total_cost: Option<f64>,
    pub turn_seq: u64,
    /// Where each user turn began in `history` (and the task list then): what rewinding the
    /// conversation goes back to.
    pub marks: Vec<crate::session::replay::Mark>,
    pub session_warned: bool,
    /// Prompt tokens of the last request and the model's window: how full the context is.
    pub last_context: (u64, u64),
    pub hooks: Arc<crate::extend::run::HookRunner>,
    /// What SessionStart hooks printed, for the next prompt.
    pub session_context: Vec<String>,
    /// The model of the running turn when a custom command names one (a sub-agent's, always).
    pub turn_model: Option<String>,
    /// A sub-agent's id: its events are wrapped and its call ids prefixed with it.
    pub sub: Option<String>,
    /// Runs the `Agent` tool's sub-agents (none where there is no `Agent` tool).
    pub spawner: Option<Arc<dyn crate::tools::Subagents>>,
    /// The last error reported (a failed sub-agent's reason).
    pub last_error: Option<String>,
}

/// What an agent is built from besides its config.
pub(crate) struct Parts {
    pub provider: Arc<dyn Provider>,
    pub registry: Registry,
    pub env: Arc<ToolEnv>,
    pub events: mpsc::UnboundedSender<AgentEvent>,
    pub live: Arc<Mutex<Live>>,
    pub pending: Pending,
    pub hooks: Arc<crate::extend::run::HookRunner>,
}

impl Agent {
    pub(crate) fn new(mut config: AgentConfig, parts: Parts) -> Agent {
        let turn_seq = parts.env.checkpoints.lock().expect("checkpoints lock").next_turn() - 1;
        Agent {
            // Moved, not copied: a resumed history can be tens of megabytes.
            history: std::mem::take(&mut config.history),
            marks: std::mem::take(&mut config.marks),
            config,
            provider: parts.provider,
            registry: parts.registry,
            env: parts.env,
            events: parts.events,
            live: parts.live,
            pending: parts.pending,
            totals: Usage::default(),
            total_cost: Some(0.0),
            turn_seq,
            session_warned: false,
            last_context: (0, 0),
            hooks: parts.hooks,
            session_context: Vec::new(),
            turn_model: None,
            sub: None,
            spawner: None,
            last_error: None,
        }
    }
}

/// Starts an agent. Must be called inside a tokio runtime.
pub fn spawn(
    mut config: AgentConfig,
    provider: Arc<dyn Provider>,
    registry: Registry,
    env: Arc<ToolEnv>,
) -> AgentHandle {
    let (op_tx, op_rx) = mpsc::unbounded_channel();
    let (ev_tx, ev_rx) = mpsc::unbounded_channel();
    let live = Arc::new(Mutex::new(Live { model: config.model.clone(), policy: config.policy.clone() }));
    let hooks = crate::extend::run::HookRunner::new(
        std::mem::take(&mut config.hooks),
        env.workspace.root.clone(),
        config.session.id().to_string(),
        config.session.path().map(PathBuf::from),
    );
    let pending = Arc::new(Mutex::new(HashMap::new()));
    let has_agents = registry.get("Agent").is_some();
    let parts = Parts { provider, registry, env, events: ev_tx.clone(), live, pending, hooks };
    let mut agent = Agent::new(config, parts);
    if has_agents {
        let secrets = agent.config.session.secrets();
        let spawner: Arc<dyn crate::tools::Subagents> = Arc::new(subagent::Spawner::new(&agent, ev_tx, secrets));
        agent.spawner = Some(spawner);
    }
    tokio::spawn(agent.run(op_rx));
    AgentHandle { ops: op_tx, events: ev_rx }
}

impl Agent {
    pub(crate) fn emit(&self, event: AgentEvent) {
        let event = match &self.sub {
            None => event,
            Some(agent_id) => {
                AgentEvent::Subagent { agent_id: agent_id.clone(), event: Box::new(prefixed(event, agent_id)) }
            }
        };
        let _ = self.events.send(event);
    }

    /// The id an approval of call `id` is asked and answered under: a sub-agent's calls are
    /// prefixed with its id, so they cannot be taken for the parent's.
    pub(crate) fn call_key(&self, id: &str) -> String {
        match &self.sub {
            None => id.to_string(),
            Some(agent_id) => format!("{agent_id}/{id}"),
        }
    }

    /// A sub-agent's tokens, counted into the session's (its own file keeps its requests).
    pub(crate) fn absorb_usage(&mut self, usage: &Usage, model: &str) {
        self.totals.add(usage);
        let cost = self.config.prices.cost(model, usage);
        self.total_cost = match (self.total_cost, cost) {
            (Some(t), Some(c)) => Some(t + c),
            _ => None,
        };
        self.record(crate::session::Record::usage(model, *usage, cost));
        self.emit(AgentEvent::Usage {
            request: *usage,
            session: self.totals,
            request_cost_usd: cost,
            session_cost_usd: self.total_cost,
            context_tokens: self.last_context.0,
            context_window: self.last_context.1,
        });
    }

    async fn run(mut self, mut ops: mpsc::UnboundedReceiver<Op>) {
        let model = self.live.lock().expect("live lock").model.clone();
        self.emit(AgentEvent::SessionStarted {
            session_id: self.config.session.id().to_string(),
            session_file: self.config.session.path().map(PathBuf::from),
            model,
            provider: self.provider.name().to_string(),
            credential: self.provider.credential(),
            cwd: self.env.workspace.cwd.clone(),
            tools: self.registry.names(),
            permission_mode: self.config.policy.mode,
            instruction_files: self.config.instruction_files.clone(),
            sandbox: self.env.sandbox.describe(),
        });
        for f in self.config.instruction_files.clone() {
            if let Some(kept) = f.truncated_to {
                self.emit(AgentEvent::Warning {
                    message: format!(
                        "{} is {} characters; only the first {kept} went into the prompt",
                        f.path.display(),
                        f.chars
                    ),
                });
            }
        }
        self.session_start().await;
        let mut queue: std::collections::VecDeque<Work> = Default::default();
        let mut deferred: Vec<Op> = Vec::new();
        let mut closed = false;
        loop {
            for op in std::mem::take(&mut deferred) {
                self.idle_op(op);
            }
            let work = match queue.pop_front() {
                Some(t) => t,
                None => {
                    if closed {
                        break;
                    }
                    match ops.recv().await {
                        None | Some(Op::Shutdown) => break,
                        Some(Op::UserTurn { text, attachments }) => Work::Turn(text, attachments),
                        Some(Op::Compact { focus }) => Work::Compact(focus),
                        Some(op) => {
                            self.idle_op(op);
                            continue;
                        }
                    }
                }
            };
            let cancel = tokio_util::sync::CancellationToken::new();
            let pending = self.pending.clone();
            let live = self.live.clone();
            let events = self.events.clone();
            let env = self.env.clone();
            let turn = self.run_work(work, cancel.clone());
            tokio::pin!(turn);
            loop {
                tokio::select! {
                    _ = &mut turn => break,
                    op = ops.recv(), if !closed => match op {
                        None | Some(Op::Shutdown) => {
                            closed = true;
                            queue.clear();
                            cancel.cancel();
                        }
                        Some(Op::Interrupt) => cancel.cancel(),
                        Some(Op::ExternalChanges { paths }) => {
                            for message in env.external_changes(&paths) {
                                let _ = events.send(AgentEvent::Warning { message });
                            }
                        }
                        Some(Op::Approval { call_id, decision }) => {
                            if let Some(tx) = pending.lock().expect("pending lock").remove(&call_id) {
                                let _ = tx.send(decision);
                            }
                        }
                        Some(Op::UserTurn { text, attachments }) => queue.push_back(Work::Turn(text, attachments)),
                        Some(Op::Compact { focus }) => queue.push_back(Work::Compact(focus)),
                        Some(
                            op @ (Op::Rename { .. }
                            | Op::ListTurns
                            | Op::PlanRestore { .. }
                            | Op::Restore { .. }),
                        ) => deferred.push(op),
                        Some(Op::SetModel { model }) => {
                            live.lock().expect("live lock").model = model.clone();
                            let _ = events.send(AgentEvent::ModelChanged { model });
                        }
                        Some(Op::SetPermissionMode { mode }) => {
                            live.lock().expect("live lock").policy.mode = mode;
                            let _ = events.send(AgentEvent::PermissionModeChanged { mode });
                        }
                    }
                }
            }
        }
        // The agent ends (/clear, another session, quitting): what its commands left running,
        // background shells included, ends with it.
        self.hook(
            crate::extend::hooks::Event::SessionEnd,
            None,
            serde_json::json!({ "reason": "exit" }),
            &Default::default(),
        )
        .await;
        let env = self.env.clone();
        let _ = tokio::task::spawn_blocking(move || env.groups.stop()).await;
    }

    /// An op that arrives while no turn runs.
    fn idle_op(&mut self, op: Op) {
        match op {
            Op::SetModel { model } => {
                self.live.lock().expect("live lock").model = model.clone();
                self.emit(AgentEvent::ModelChanged { model });
            }
            Op::SetPermissionMode { mode } => {
                self.live.lock().expect("live lock").policy.mode = mode;
                self.emit(AgentEvent::PermissionModeChanged { mode });
            }
            Op::Rename { title } => {
                let title = title.trim().to_string();
                self.record(crate::session::Record::Title { ts: chrono::Utc::now(), title: title.clone() });
                self.emit(AgentEvent::Renamed { title });
            }
            Op::ExternalChanges { paths } => {
                for message in self.env.external_changes(&paths) {
                    self.emit(AgentEvent::Warning { message });
                }
            }
            Op::ListTurns => self.list_turns(),
            Op::PlanRestore { turn, files, conversation } => self.plan_restore(turn, files, conversation),
            Op::Restore { turn, files, conversation, force } => self.restore(turn, files, conversation, force),
            // Nothing runs: nothing to interrupt, no approval waits.
            Op::Interrupt | Op::Approval { .. } | Op::UserTurn { .. } | Op::Compact { .. } | Op::Shutdown => {}
        }
    }

    pub(crate) fn add_session_rule(&self, rule: Rule) {
        self.live.lock().expect("live lock").policy.allow.push(rule);
    }
}

/// A sub-agent's event with its call ids prefixed with its id.
fn prefixed(event: AgentEvent, agent_id: &str) -> AgentEvent {
    let key = |id: String| format!("{agent_id}/{id}");
    match event {
        AgentEvent::ToolCallStarted { call_id, tool, input, summary } => {
            AgentEvent::ToolCallStarted { call_id: key(call_id), tool, input, summary }
        }
        AgentEvent::ToolProgress { call_id, chunk } => AgentEvent::ToolProgress { call_id: key(call_id), chunk },
        AgentEvent::ApprovalRequested { call_id, tool, summary, reason, preview, session_rule } => {
            AgentEvent::ApprovalRequested { call_id: key(call_id), tool, summary, reason, preview, session_rule }
        }
        AgentEvent::ToolCallFinished { call_id, tool, result, is_error, elapsed_ms } => {
            AgentEvent::ToolCallFinished { call_id: key(call_id), tool, result, is_error, elapsed_ms }
        }
        other => other,
    }
}

/// Milliseconds of a duration, for events.
pub(crate) fn millis(d: Duration) -> u64 {
    d.as_millis().min(u64::MAX as u128) as u64
}
