//! A model's tool calls, run: each is checked (its plan, PreToolUse hooks, the permission
//! policy and maybe a person), run, and finished (PostToolUse hooks, effects, the session
//! record). Calls that neither ask nor write (sub-agents, reads) and follow one another run at
//! the same time, up to `max_parallel`; anything that asks or writes runs alone, in order.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Instant;

use futures_util::FutureExt;
use serde_json::Value;
use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;

use super::{Agent, AgentEvent, Decision, millis};
use crate::extend::run::Permission;
use crate::permission::{Policy, Verdict, required_mode};
use crate::provider::ContentBlock;
use crate::session::Record;
use crate::tools::change::{Review, commit};
use crate::tools::{Access, CallPlan, Tool, ToolContext, ToolEffect, ToolOutput};

/// A call past its checks, ready to run.
struct Ready {
    id: String,
    name: String,
    tool: Arc<dyn Tool>,
    plan: CallPlan,
    input: Value,
    review: Review,
    started: Instant,
}

impl Ready {
    /// Whether it may run beside its neighbours: it changes nothing the others could see (a
    /// sub-agent's own calls each pass the policy). `todo_write` and `kill_shell` plan as reads
    /// but change state, so they are not among these.
    fn parallel(&self) -> bool {
        const SIDE_BY_SIDE: &[&str] =
            &["Agent", "read_file", "glob_search", "grep_search", "bash", "bash_output", "ToolSearch", "Skill"];
        SIDE_BY_SIDE.contains(&self.name.as_str()) && self.plan.access == Access::Read && self.plan.change.is_none()
    }
}

/// A tool call as the model made it: id, name, input, and the input's JSON error if it had
/// one (raw text, error).
pub(crate) struct Call {
    pub id: String,
    pub name: String,
    pub input: Value,
    pub invalid: Option<(String, String)>,
}

impl Agent {
    /// Runs an answer's tool calls; their results, in the calls' order.
    pub(super) async fn run_calls(&mut self, calls: Vec<Call>, cancel: &CancellationToken) -> Vec<ContentBlock> {
        let mut done: Vec<(String, ToolOutput)> = Vec::with_capacity(calls.len());
        let mut batch: Vec<Ready> = Vec::new();
        for call in calls {
            let started = Instant::now();
            match self.check(&call, started, cancel).await {
                Ok(ready) if ready.parallel() && !cancel.is_cancelled() => batch.push(ready),
                Ok(ready) => {
                    self.flush(&mut batch, &mut done, cancel).await;
                    let output = self.run_ready(&ready, cancel).await;
                    done.push((call.id, self.finish(ready, output, cancel).await));
                }
                Err(output) => {
                    self.flush(&mut batch, &mut done, cancel).await;
                    done.push((call.id.clone(), self.finish_unrun(&call, started, output)));
                }
            }
        }
        self.flush(&mut batch, &mut done, cancel).await;
        done.into_iter()
            .map(|(id, output)| ContentBlock::ToolResult {
                tool_use_id: id,
                content: output.content,
                is_error: output.is_error,
                images: output.images,
            })
            .collect()
    }

    /// Runs the calls waiting to run side by side, at most `max_parallel` at once.
    async fn flush(
        &mut self,
        batch: &mut Vec<Ready>,
        done: &mut Vec<(String, ToolOutput)>,
        cancel: &CancellationToken,
    ) {
        if batch.is_empty() {
            return;
        }
        let permits = Arc::new(tokio::sync::Semaphore::new(self.config.max_parallel.max(1)));
        let this = &*self;
        let runs = batch.iter().map(|ready| {
            let permits = permits.clone();
            async move {
                let _permit = permits.acquire().await;
                this.run_ready(ready, cancel).await
            }
        });
        let outputs = futures_util::future::join_all(runs).await;
        for (ready, output) in std::mem::take(batch).into_iter().zip(outputs) {
            let id = ready.id.clone();
            done.push((id, self.finish(ready, output, cancel).await));
        }
    }

    /// Validates, authorizes and runs one call alone. Always returns a result for the model.
    pub(super) async fn tool_call(
        &mut self,
        id: &str,
        name: &str,
        input: Value,
        cancel: &CancellationToken,
    ) -> ToolOutput {
        let call = Call { id: id.into(), name: name.into(), input, invalid: None };
        let started = Instant::now();
        match self.check(&call, started, cancel).await {
            Ok(ready) => {
                let output = self.run_ready(&ready, cancel).await;
                self.finish(ready, output, cancel).await
            }
            Err(output) => self.finish_unrun(&call, started, output),
        }
    }

    /// Plans a call (it starts in the transcript), runs the PreToolUse hooks and asks the
    /// policy (and a person). `Err`: the result instead of running it.
    async fn check(&mut self, call: &Call, started: Instant, cancel: &CancellationToken) -> Result<Ready, ToolOutput> {
        let (id, name) = (call.id.as_str(), call.name.as_str());
        let tool = self.registry.get(name);
        let plan = match (&call.invalid, &tool) {
            (Some(_), _) | (_, None) => None,
            // Planning reads files (an edit's diff) and parses commands: off the agent task,
            // so that a slow disk cannot stall it and Esc still ends the turn.
            (None, Some(tool)) => {
                let (env, tool, input) = (self.env.clone(), tool.clone(), call.input.clone());
                let planning = tokio::task::spawn_blocking(move || tool.plan(&input, &env));
                Some(tokio::select! {
                    _ = cancel.cancelled() => Err(format!("{name}: interrupted by the user")),
                    plan = planning => plan.unwrap_or_else(|_| Err(format!("{name}: the tool crashed while checking its input"))),
                })
            }
        };
        let summary = match &plan {
            Some(Ok(p)) => p.summary.clone(),
            _ => String::new(),
        };
        let input = call.input.clone();
        self.emit(AgentEvent::ToolCallStarted { call_id: id.into(), tool: name.into(), input: input.clone(), summary });
        let (tool, plan) = match (tool, plan) {
            _ if cancel.is_cancelled() => return Err(ToolOutput::error("Not run: the user interrupted the turn.")),
            _ if call.invalid.is_some() => {
                let (raw, err) = call.invalid.clone().unwrap_or_default();
                return Err(ToolOutput::error(format!(
                    "{name}: the input was not valid JSON ({err}); nothing was run. Input received: {raw}"
                )));
            }
            (None, _) | (_, None) => {
                let names = self.registry.names().join(", ");
                return Err(ToolOutput::error(format!("unknown tool `{name}`; the available tools are: {names}")));
            }
            (Some(_), Some(Err(message))) => return Err(ToolOutput::error(message)),
            (Some(tool), Some(Ok(plan))) => (tool, plan),
        };
        let hooked = self.pre_tool(name, &input, cancel).await?;
        let review = self.authorize(id, name, &plan, hooked, cancel).await?;
        Ok(Ready { id: id.into(), name: name.into(), tool, plan, input, review, started })
    }

    /// Runs a call that passed its checks: a file change is written as proposed (and
    /// reviewed), not computed again; anything else runs.
    async fn run_ready(&self, ready: &Ready, cancel: &CancellationToken) -> ToolOutput {
        if cancel.is_cancelled() {
            return ToolOutput::error("Not run: the user interrupted the turn.");
        }
        match &ready.plan.change {
            Some(change) => commit(&self.env, &ready.name, change, &ready.review).await,
            None => self.execute(&ready.id, ready.tool.clone(), ready.input.clone(), cancel).await,
        }
    }

    /// After a call ran: the PostToolUse hooks, its effects, the record, the event.
    async fn finish(&mut self, ready: Ready, mut output: ToolOutput, cancel: &CancellationToken) -> ToolOutput {
        self.post_tool(&ready.name, &ready.input, &mut output, cancel).await;
        let call = Call { id: ready.id, name: ready.name, input: ready.input, invalid: None };
        self.finish_unrun(&call, ready.started, output)
    }

    /// A call's effects, record and last event (for a call that did not run, its reason).
    fn finish_unrun(&mut self, call: &Call, started: Instant, output: ToolOutput) -> ToolOutput {
        let id = call.id.as_str();
        for effect in &output.effects {
            match effect {
                ToolEffect::TodosChanged(todos) => {
                    self.record(Record::Todos { ts: chrono::Utc::now(), todos: todos.clone() });
                    self.emit(AgentEvent::TodosChanged { todos: todos.clone() })
                }
                ToolEffect::FileChanged { path, diff } => {
                    self.record(Record::FileChange {
                        ts: chrono::Utc::now(),
                        call_id: id.to_string(),
                        path: path.clone(),
                        diff: diff.clone(),
                    });
                    self.emit(AgentEvent::FileChanged { path: path.clone(), diff: diff.clone() })
                }
                ToolEffect::Checkpoint(checkpoint) => {
                    self.record(Record::Checkpoint { ts: chrono::Utc::now(), checkpoint: checkpoint.clone() })
                }
                ToolEffect::Usage { usage, model } => self.absorb_usage(usage, model),
                ToolEffect::Structured(value) => {
                    self.structured = Some(value.clone());
                    self.emit(AgentEvent::StructuredOutput { value: value.clone() })
                }
                ToolEffect::UserMessage { message, status } => {
                    self.emit(AgentEvent::UserMessage { message: message.clone(), status: status.clone() })
                }
                ToolEffect::Subagent { agent_id, name, description, file, outcome, usage, model } => {
                    self.record(Record::Subagent {
                        ts: chrono::Utc::now(),
                        call_id: id.to_string(),
                        agent_id: agent_id.clone(),
                        name: name.clone(),
                        description: description.clone(),
                        file: file.clone(),
                        outcome: *outcome,
                    });
                    self.absorb_usage(usage, model)
                }
            }
        }
        if call.name == "StructuredOutput" && output.is_error {
            self.structured_misses += 1;
        }
        let elapsed_ms = millis(started.elapsed());
        self.record(Record::tool_call(id, &call.name, elapsed_ms, output.is_error, output.full_output.as_deref()));
        self.emit(AgentEvent::ToolCallFinished {
            call_id: id.into(),
            tool: call.name.clone(),
            result: output.content.clone(),
            is_error: output.is_error,
            elapsed_ms,
        });
        output
    }

    /// Asks the policy, and a person where the policy (or a PreToolUse hook) says so: what the
    /// person accepted of a file change. A hook's "allow" skips asking but never a deny rule.
    /// `Err` carries the result to give the model instead of running the call.
    async fn authorize(
        &mut self,
        id: &str,
        name: &str,
        plan: &crate::tools::CallPlan,
        hooked: Option<Permission>,
        cancel: &CancellationToken,
    ) -> Result<Review, ToolOutput> {
        let verdict = self.live.lock().expect("live lock").policy.decide(name, plan);
        let verdict = match (verdict, hooked) {
            (deny @ Verdict::Deny { .. }, _) | (deny, None) => deny,
            (_, Some(Permission::Allow)) => Verdict::Allow,
            (Verdict::Allow, Some(Permission::Ask(reason))) => {
                Verdict::Ask { reason: format!("a PreToolUse hook asks: {reason}") }
            }
            (verdict, Some(_)) => verdict,
        };
        match verdict {
            Verdict::Allow => Ok(Review::default()),
            Verdict::Deny { reason } => Err(ToolOutput::error(format!("Permission denied: {reason}."))),
            Verdict::Ask { reason } => {
                let rule = Policy::session_rule(name, plan);
                if !self.config.interactive {
                    let server = match name.starts_with(crate::mcp::PREFIX) {
                        true => format!(" (or \"{}\" for every tool of that server)", plan.subject),
                        false => String::new(),
                    };
                    return Err(ToolOutput::error(format!(
                        "Permission denied: {reason}, and claw-tui is running non-interactively so it cannot ask. \
The user can allow this with --allowedTools \"{rule}\"{server} or --permission-mode {}.",
                        required_mode(plan)
                    )));
                }
                let (tx, rx) = oneshot::channel();
                self.pending.lock().expect("pending lock").insert(self.call_key(id), tx);
                self.notify(name);
                self.emit(AgentEvent::ApprovalRequested {
                    call_id: id.into(),
                    tool: name.into(),
                    summary: plan.summary.clone(),
                    reason,
                    preview: plan.preview.clone(),
                    session_rule: rule.to_string(),
                });
                let decision = tokio::select! {
                    d = rx => d.ok(),
                    _ = cancel.cancelled() => None,
                };
                self.pending.lock().expect("pending lock").remove(&self.call_key(id));
                match decision {
                    None => Err(ToolOutput::error(
                        "Not run: the user interrupted the turn while this call waited for approval.",
                    )),
                    Some(Decision::AllowOnce) => Ok(Review::default()),
                    Some(Decision::AllowSession) => {
                        self.add_session_rule(rule);
                        Ok(Review::default())
                    }
                    Some(Decision::ApplyHunks { accepted, note }) => Ok(Review { accepted: Some(accepted), note }),
                    Some(Decision::Deny { feedback }) => {
                        let mut message = "The user denied this tool call.".to_string();
                        if let Some(note) = feedback.filter(|f| !f.trim().is_empty()) {
                            message.push_str(&format!(" Their note: {}", note.trim()));
                        } else {
                            message.push_str(" Do not retry it as it was; ask the user or take another approach.");
                        }
                        Err(ToolOutput::error(message))
                    }
                }
            }
        }
    }

    /// Runs an authorized call, forwarding its progress, catching a panic.
    async fn execute(&self, id: &str, tool: Arc<dyn Tool>, input: Value, cancel: &CancellationToken) -> ToolOutput {
        let (mut ctx, mut progress_rx) = ToolContext::new(self.env.clone(), cancel.child_token());
        ctx.call_id = id.to_string();
        ctx.subagents = self.spawner.clone().map(|s| s as Arc<dyn crate::tools::Subagents>);
        ctx.ask = self.asker.clone();
        let run = AssertUnwindSafe(tool.run(input, &ctx)).catch_unwind();
        tokio::pin!(run);
        let mut open = true;
        let result = loop {
            tokio::select! {
                chunk = progress_rx.recv(), if open => match chunk {
                    Some(chunk) => self.emit(AgentEvent::ToolProgress { call_id: id.into(), chunk }),
                    None => open = false,
                },
                r = &mut run => break r,
            }
        };
        while let Ok(chunk) = progress_rx.try_recv() {
            self.emit(AgentEvent::ToolProgress { call_id: id.into(), chunk });
        }
        result.map(|r| r.unwrap_or_else(ToolOutput::error)).unwrap_or_else(|panic| {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown cause".into());
            ToolOutput::error(format!("the tool crashed: {what}"))
        })
    }
}
