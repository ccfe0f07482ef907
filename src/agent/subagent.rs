//! Sub-agents: the `Agent` tool's work. A sub-agent is an [`Agent`] of its own (its own
//! conversation, the parent's provider, tools, workspace, permission policy, pending approvals
//! and hooks) whose final answer is the call's result. Its events reach the front end wrapped
//! in [`AgentEvent::Subagent`], their call ids prefixed with its id, so its approvals open the
//! same modal (labelled) and are answered through the same `Op::Approval`; its usage is added
//! to the parent's once it ends. Interrupting the parent's turn cancels it.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::Value;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::{Agent, AgentConfig, AgentEvent, Live, Pending, TurnOutcome};
use crate::extend::agents::{AgentDef, model_alias};
use crate::provider::{BoxFuture, ContentBlock, Message, Provider, Role};
use crate::session::SessionWriter;
use crate::tools::agent::AgentTool;
use crate::tools::{Registry, Subagents, ToolEffect, ToolEnv, ToolOutput};

/// What a parent agent lends its sub-agents.
pub(crate) struct Spawner {
    pub provider: Arc<dyn Provider>,
    /// The parent's tools (sub-agents get them less `Agent`, and less what their type leaves
    /// out).
    pub registry: Registry,
    pub env: Arc<ToolEnv>,
    pub events: mpsc::UnboundedSender<AgentEvent>,
    pub pending: Pending,
    pub live: Arc<Mutex<Live>>,
    pub hooks: Arc<crate::extend::run::HookRunner>,
    pub definitions: Vec<AgentDef>,
    /// The parent's settings a sub-agent starts from.
    pub template: Template,
    /// The parent's session file: sub-agents' transcripts are written beside it.
    pub session: Option<std::path::PathBuf>,
    pub secrets: Vec<String>,
    /// The parent's small model, for its sub-agents' WebFetch calls.
    pub asker: Option<Arc<dyn crate::tools::Ask>>,
    next: AtomicU64,
}

/// The parent's settings a sub-agent starts from.
#[derive(Clone)]
pub(crate) struct Template {
    pub max_tokens: u32,
    pub max_iterations: usize,
    pub interactive: bool,
    pub system: Arc<Mutex<Vec<String>>>,
    pub prices: crate::provider::pricing::PriceTable,
    pub max_parallel: usize,
}

impl Spawner {
    pub fn new(parent: &Agent, events: mpsc::UnboundedSender<AgentEvent>, secrets: Vec<String>) -> Spawner {
        let c = &parent.config;
        Spawner {
            provider: parent.provider.clone(),
            registry: parent.registry.clone(),
            env: parent.env.clone(),
            events,
            pending: parent.pending.clone(),
            live: parent.live.clone(),
            hooks: parent.hooks.clone(),
            definitions: c.extensions.agents.clone(),
            template: Template {
                max_tokens: c.max_tokens,
                max_iterations: c.max_iterations,
                interactive: c.interactive,
                system: Arc::new(Mutex::new(c.system.clone())),
                prices: c.prices.clone(),
                max_parallel: c.max_parallel,
            },
            session: c.session.path().map(std::path::PathBuf::from),
            secrets,
            asker: parent.asker.clone(),
            next: AtomicU64::new(first_free(c.session.path())),
        }
    }

    /// The instruction files were read again (`/memory`): sub-agents started from now on get
    /// them.
    pub fn set_system(&self, system: Vec<String>) {
        *self.template.system.lock().expect("system lock") = system;
    }

    /// The sub-agent a call asks for, built but not started: its id, its type and its agent.
    fn build(&self, input: &Value) -> Result<(String, AgentDef, String, Agent), String> {
        let (input, def) = AgentTool::check(&self.definitions, input)?;
        let agent_id = format!("agent-{}", self.next.fetch_add(1, Ordering::Relaxed));
        let model = input
            .model
            .as_deref()
            .or(def.model.as_deref())
            .map(|m| model_alias(m.trim()).to_string())
            .unwrap_or_else(|| self.live.lock().expect("live lock").model.clone());
        let registry = self.registry.subset(|name| !matches!(name, "Agent" | "StructuredOutput") && def.allows(name));
        let mut system = self.template.system.lock().expect("system lock").clone();
        system.push(format!(
            "You are a sub-agent ({}) started by the main agent for one task: \"{}\". You cannot ask the user \
anything. Work on your own until the task is done, then answer with a final report: it is the only thing the \
main agent receives, so include what it needs (findings, file paths, what you changed).",
            def.name,
            input.description.trim()
        ));
        if !def.prompt.is_empty() {
            system.push(def.prompt.clone());
        }
        let t = &self.template;
        let config = AgentConfig {
            model: model.clone(),
            max_tokens: t.max_tokens,
            thinking: None,
            max_iterations: t.max_iterations,
            policy: self.live.lock().expect("live lock").policy.clone(),
            interactive: t.interactive,
            system,
            instruction_files: Vec::new(),
            session: self.session_writer(&agent_id, &model),
            history: Vec::new(),
            marks: Vec::new(),
            compact_threshold: 1.0,
            prices: t.prices.clone(),
            hooks: Vec::new(),
            extensions: Default::default(),
            max_parallel: t.max_parallel,
            small_model: String::new(),
            structured: false,
        };
        let parts = super::Parts {
            provider: self.provider.clone(),
            registry,
            env: self.env.clone(),
            events: self.events.clone(),
            live: self.live.clone(),
            pending: self.pending.clone(),
            hooks: self.hooks.clone(),
        };
        let mut agent = Agent::new(config, parts);
        agent.asker = self.asker.clone();
        agent.sub = Some(agent_id.clone());
        agent.turn_model = Some(model.clone());
        agent
            .history
            .push(Message { role: Role::User, content: vec![ContentBlock::Text { text: input.prompt.clone() }] });
        Ok((agent_id, def, input.description, agent))
    }

    /// A sub-agent's own session file, beside the parent's (`<id>.agents/<agent-id>.jsonl`).
    fn session_writer(&self, agent_id: &str, model: &str) -> SessionWriter {
        let Some(parent) = &self.session else { return SessionWriter::disabled(agent_id.to_string()) };
        let dir = parent.with_extension("agents");
        if let Err(e) = crate::files::private_dir(&dir) {
            tracing::warn!("cannot keep a sub-agent's transcript in {}: {e}", dir.display());
            return SessionWriter::disabled(agent_id.to_string());
        }
        let meta = crate::session::Record::Meta {
            version: crate::session::FORMAT_VERSION,
            id: agent_id.to_string(),
            created: chrono::Utc::now(),
            cwd: self.env.workspace.cwd.clone(),
            git_branch: None,
            model: model.to_string(),
            claw_version: env!("CARGO_PKG_VERSION").to_string(),
            forked_from: None,
        };
        SessionWriter::create(&dir, meta, self.secrets.clone())
    }
}

impl Subagents for Spawner {
    fn run<'a>(&'a self, call_id: &'a str, input: Value, cancel: CancellationToken) -> BoxFuture<'a, ToolOutput> {
        Box::pin(async move {
            let (agent_id, def, description, mut agent) = match self.build(&input) {
                Ok(built) => built,
                Err(message) => return ToolOutput::error(message),
            };
            let _ = self.events.send(AgentEvent::SubagentStarted {
                agent_id: agent_id.clone(),
                call_id: call_id.to_string(),
                name: def.name.clone(),
                description: description.clone(),
                prompt: agent.history[0].text(),
                model: agent.turn_model.clone().unwrap_or_default(),
                file: agent.config.session.path().map(std::path::PathBuf::from),
            });
            let prompt = agent.history[0].clone();
            agent.record(crate::session::Record::message(prompt));
            agent.emit(AgentEvent::TurnStarted { turn_id: 1 });
            let outcome = agent.turn_loop(1, &cancel).await;
            agent.sync_session();
            agent.emit(AgentEvent::TurnFinished { turn_id: 1, outcome });
            let effect = ToolEffect::Subagent {
                agent_id: agent_id.clone(),
                name: def.name.clone(),
                description: description.clone(),
                file: agent.config.session.path().map(std::path::PathBuf::from),
                outcome,
                usage: agent.totals,
                model: agent.turn_model.clone().unwrap_or_default(),
            };
            let _ = self.events.send(AgentEvent::SubagentFinished {
                agent_id: agent_id.clone(),
                outcome,
                usage: agent.totals,
                cost_usd: agent.total_cost,
            });
            report(&agent, &def.name, outcome).with_effect(effect)
        })
    }
}

/// The first sub-agent number whose file is free: a resumed session's earlier sub-agents keep
/// their transcripts.
fn first_free(session: Option<&std::path::Path>) -> u64 {
    let Some(dir) = session.map(|s| s.with_extension("agents")) else { return 1 };
    let taken = std::fs::read_dir(dir).into_iter().flatten().flatten().filter_map(|e| {
        let name = e.file_name().into_string().ok()?;
        name.strip_prefix("agent-")?.strip_suffix(".jsonl")?.parse::<u64>().ok()
    });
    taken.max().map_or(1, |n| n + 1)
}

/// What the parent gets: the sub-agent's final answer, or why there is none.
fn report(agent: &Agent, name: &str, outcome: TurnOutcome) -> ToolOutput {
    let last = agent.history.iter().rev().find(|m| m.role == Role::Assistant).map(Message::text).unwrap_or_default();
    match outcome {
        TurnOutcome::EndTurn | TurnOutcome::StopSequence | TurnOutcome::MaxTokens if !last.trim().is_empty() => {
            ToolOutput::ok(last)
        }
        TurnOutcome::Interrupted => ToolOutput::error(format!("The {name} sub-agent was interrupted by the user.")),
        _ => {
            let why = agent.last_error.clone().unwrap_or_else(|| format!("it ended ({outcome:?}) without an answer"));
            let mut text = format!("The {name} sub-agent failed: {why}");
            if !last.trim().is_empty() {
                text.push_str(&format!("\nIts last words: {last}"));
            }
            ToolOutput::error(text)
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_resumed_session_s_sub_agents_keep_their_files() {
        let dir = tempfile::tempdir().unwrap();
        let session = dir.path().join("s1.jsonl");
        assert_eq!(super::first_free(Some(&session)), 1);
        std::fs::create_dir_all(dir.path().join("s1.agents")).unwrap();
        for name in ["agent-1.jsonl", "agent-7.jsonl", "notes.txt"] {
            std::fs::write(dir.path().join("s1.agents").join(name), "").unwrap();
        }
        assert_eq!(super::first_free(Some(&session)), 8);
        assert_eq!(super::first_free(None), 1);
    }
}
