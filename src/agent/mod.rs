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

pub mod ask;
mod calls;
mod compact;
mod extend;
pub mod prompt;
mod protocol;
pub mod replay;
mod rewind;
mod subagent;
mod turn;

pub use protocol::{AgentEvent, Decision, InstructionFile, Op, TurnOutcome};
pub use rewind::{RestoreFile, RestorePlan, TurnInfo};

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

use crate::permission::{Policy, Rule};
use crate::provider::{Message, Provider, ThinkingConfig, Usage};
use crate::session::SessionWriter;
use crate::tools::{Registry, ToolEnv};

/// Default iteration limit: model calls per user turn.
pub const DEFAULT_MAX_ITERATIONS: usize = 16;
/// Default most calls of one answer that run at the same time.
pub const DEFAULT_MAX_PARALLEL: usize = 8;
/// Default `max_tokens` of a request.
pub const DEFAULT_MAX_TOKENS: u32 = 16_384;
/// Default share of the context window that triggers compaction. High enough that short
/// sessions never compact, low enough to leave room for the summary request itself.
pub const DEFAULT_COMPACT_THRESHOLD: f64 = 0.85;

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
    /// The small model WebFetch asks (empty: none, the page itself is the result).
    pub small_model: String,
    /// Whether the run must end with a StructuredOutput call (`--json-schema`).
    pub structured: bool,
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
    pub spawner: Option<Arc<subagent::Spawner>>,
    /// The last error reported (a failed sub-agent's reason).
    pub last_error: Option<String>,
    /// The small model tools ask (WebFetch).
    pub asker: Option<Arc<dyn crate::tools::Ask>>,
    /// The structured answer given so far, and how often the model was reminded of it or
    /// gave one that did not validate.
    pub structured: Option<serde_json::Value>,
    pub structured_misses: u32,
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
            asker: None,
            structured: None,
            structured_misses: 0,
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
    if !agent.config.small_model.is_empty() {
        let model = agent.config.small_model.clone();
        agent.asker = Some(Arc::new(ask::SmallModel { provider: agent.provider.clone(), model }));
    }
    if has_agents {
        let secrets = agent.config.session.secrets();
        agent.spawner = Some(Arc::new(subagent::Spawner::new(&agent, ev_tx, secrets)));
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
                            | Op::ReloadInstructions
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
            Op::ReloadInstructions => {
                let names = self.registry.names();
                let names: Vec<&str> = names.iter().map(String::as_str).collect();
                let home = crate::config::config_home();
                let system = prompt::build(&self.env.workspace, home.as_deref(), &names);
                self.config.system = system.sections;
                self.config.instruction_files = system.instruction_files;
                if let Some(spawner) = &self.spawner {
                    spawner.set_system(self.config.system.clone());
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
pub(crate) fn prefixed(event: AgentEvent, agent_id: &str) -> AgentEvent {
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
