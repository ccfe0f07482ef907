//! Showing a resumed session again: its records become the events that drew it the first time.
//!
//! Tool calls get their result, timing, diff and full output from the records that follow
//! them, so the transcript comes back as it was: messages, tool cells, diffs, todos, cost.
//! Front ends (the TUI today) feed these items to the same code that handles live events;
//! this module owns no interface.

use std::collections::HashMap;
use std::path::PathBuf;

use crate::agent::{AgentEvent, TurnOutcome};
use crate::provider::{ContentBlock, Message, Role, Usage, pricing};
use crate::session::Record;
use crate::tools::registry::input_summary;

/// One step of a replay.
#[derive(Debug, Clone, PartialEq)]
pub enum ReplayItem {
    /// The next prompt starts this turn (what /rewind names).
    Turn(u64),
    /// The conversation went back to before this turn: the transcript from its prompt on goes.
    Rewound(u64),
    /// A prompt the user typed.
    User(String),
    Agent(AgentEvent),
}

/// A sub-agent as the session recorded it.
struct SubagentRecord {
    call_id: String,
    agent_id: String,
    name: String,
    description: String,
    file: Option<PathBuf>,
    outcome: TurnOutcome,
}

/// A sub-agent's life as events, from its own file: started, what it did (wrapped, as it
/// streamed), finished. A file that is gone leaves the start and the end.
fn subagent(sub: SubagentRecord) -> Vec<AgentEvent> {
    let records = sub.file.as_deref().and_then(|f| crate::session::read_records(f).ok()).map(|r| r.0);
    let records = records.unwrap_or_default();
    let first = records.iter().find_map(|r| match r {
        Record::Message { message, .. } if message.role == Role::User => Some(message.text()),
        _ => None,
    });
    let model = records.iter().find_map(|r| match r {
        Record::Meta { model, .. } => Some(model.clone()),
        _ => None,
    });
    let mut events = vec![AgentEvent::SubagentStarted {
        agent_id: sub.agent_id.clone(),
        call_id: sub.call_id,
        name: sub.name,
        description: sub.description,
        prompt: first.unwrap_or_default(),
        model: model.unwrap_or_default(),
        file: sub.file,
    }];
    let (mut usage, mut cost) = (Usage::default(), Some(0.0));
    // Its prompt is in the start event (a prompt replays as `User`, which is left out); the
    // rest comes back as it first streamed.
    for item in items(records) {
        let ReplayItem::Agent(event) = item else { continue };
        match event {
            AgentEvent::Usage { session, session_cost_usd, .. } => (usage, cost) = (session, session_cost_usd),
            AgentEvent::SessionStarted { .. } | AgentEvent::TurnFinished { .. } => {}
            event => events.push(AgentEvent::Subagent {
                agent_id: sub.agent_id.clone(),
                event: Box::new(super::prefixed(event, &sub.agent_id)),
            }),
        }
    }
    events.push(AgentEvent::SubagentFinished { agent_id: sub.agent_id, outcome: sub.outcome, usage, cost_usd: cost });
    events
}

/// What the records after a tool call say about it.
#[derive(Default)]
struct Later {
    /// Elapsed ms, is_error, full output, by call id.
    calls: HashMap<String, (u64, bool, Option<String>)>,
    /// The file a call changed and its diff.
    diffs: HashMap<String, (PathBuf, String)>,
    /// The result the model was sent, and whether it was an error.
    results: HashMap<String, (String, bool)>,
}

impl Later {
    fn of(records: &[Record]) -> Later {
        let mut later = Later::default();
        for r in records {
            match r {
                Record::ToolCall { call_id, elapsed_ms, is_error, output, .. } => {
                    later.calls.insert(call_id.clone(), (*elapsed_ms, *is_error, output.clone()));
                }
                Record::FileChange { call_id, path, diff, .. } => {
                    later.diffs.insert(call_id.clone(), (path.clone(), diff.clone()));
                }
                Record::Message { message, .. } => {
                    for b in &message.content {
                        if let ContentBlock::ToolResult { tool_use_id, content, is_error, .. } = b {
                            later.results.insert(tool_use_id.clone(), (content.clone(), *is_error));
                        }
                    }
                }
                _ => {}
            }
        }
        later
    }
}

/// The replay in progress: items so far and the running totals.
struct Replay {
    later: Later,
    out: Vec<ReplayItem>,
    session: Usage,
    cost: Option<f64>,
    turn: u64,
}

/// The replay of `records`, which it consumes so that long texts move instead of being copied.
pub fn items(records: Vec<Record>) -> Vec<ReplayItem> {
    let mut replay =
        Replay { later: Later::of(&records), out: Vec::new(), session: Usage::default(), cost: Some(0.0), turn: 0 };
    for r in records {
        replay.record(r);
    }
    let turn = replay.turn;
    replay.agent(AgentEvent::TurnFinished { turn_id: turn, outcome: TurnOutcome::EndTurn });
    replay.out
}

impl Replay {
    fn agent(&mut self, event: AgentEvent) {
        self.out.push(ReplayItem::Agent(event));
    }

    fn record(&mut self, r: Record) {
        match r {
            Record::Meta { id, cwd, model, .. } => self.agent(AgentEvent::SessionStarted {
                session_id: id,
                session_file: None,
                model,
                provider: String::new(),
                credential: String::new(),
                cwd,
                tools: Vec::new(),
                permission_mode: Default::default(),
                instruction_files: Vec::new(),
                sandbox: String::new(),
            }),
            Record::Message { message, .. } if message.role == Role::User => self.prompt(message),
            Record::Message { message, .. } => self.answer(&message),
            Record::Todos { todos, .. } => self.agent(AgentEvent::TodosChanged { todos }),
            Record::Usage { model, usage, cost_usd, .. } => {
                self.session.add(&usage);
                self.cost = match (self.cost, cost_usd) {
                    (Some(a), Some(b)) => Some(a + b),
                    _ => None,
                };
                let (session, cost) = (self.session, self.cost);
                self.agent(AgentEvent::Usage {
                    request: usage,
                    session,
                    request_cost_usd: cost_usd,
                    session_cost_usd: cost,
                    context_tokens: usage.context_tokens() + usage.output_tokens,
                    context_window: pricing::context_window(&model),
                });
            }
            Record::Compaction { summary, kept, .. } => self.agent(AgentEvent::Compacted { summary, kept, before: 0 }),
            Record::Title { title, .. } => self.agent(AgentEvent::Renamed { title }),
            Record::Turn { turn, .. } => self.out.push(ReplayItem::Turn(turn)),
            Record::Restore { turn, conversation: true, .. } => self.out.push(ReplayItem::Rewound(turn)),
            Record::Subagent { call_id, agent_id, name, description, file, outcome, .. } => {
                let sub = SubagentRecord { call_id, agent_id, name, description, file, outcome };
                self.out.extend(subagent(sub).into_iter().map(ReplayItem::Agent));
            }
            Record::ToolCall { .. }
            | Record::FileChange { .. }
            | Record::Checkpoint { .. }
            | Record::Restore { .. } => {}
        }
    }

    /// A user message: its text is a prompt (tool results travel in user messages too).
    fn prompt(&mut self, message: Message) {
        let text: Vec<String> = message
            .content
            .into_iter()
            .filter_map(|b| match b {
                ContentBlock::Text { text } => Some(text),
                _ => None,
            })
            .collect();
        if !text.is_empty() {
            self.turn += 1;
            self.out.push(ReplayItem::User(text.join("\n\n")));
        }
    }

    /// An assistant message: its text, thinking and tool calls, then the end of the answer.
    fn answer(&mut self, message: &Message) {
        let turn_id = self.turn;
        for b in &message.content {
            match b {
                ContentBlock::Text { text } => self.agent(AgentEvent::TextDelta { turn_id, text: text.clone() }),
                ContentBlock::Thinking { thinking, .. } => {
                    self.agent(AgentEvent::ThinkingDelta { turn_id, text: thinking.clone() })
                }
                ContentBlock::ToolUse { id, name, input } => self.tool_call(id, name, input),
                ContentBlock::RedactedThinking { .. } | ContentBlock::ToolResult { .. } => {}
            }
        }
        // Marks the end of the answer (the text went out above).
        self.agent(AgentEvent::AssistantMessage {
            turn_id,
            message: Message { role: Role::Assistant, content: Vec::new() },
        });
    }

    /// A tool call, with its diff, output and result from the records that followed it.
    fn tool_call(&mut self, id: &str, name: &str, input: &serde_json::Value) {
        self.agent(AgentEvent::ToolCallStarted {
            call_id: id.to_string(),
            tool: name.to_string(),
            input: input.clone(),
            summary: input_summary(name, input),
        });
        if let Some((path, diff)) = self.later.diffs.remove(id) {
            self.agent(AgentEvent::FileChanged { path, diff });
        }
        let result = self.later.results.get(id).cloned();
        let finished = |result: String, is_error: bool, elapsed_ms: u64| AgentEvent::ToolCallFinished {
            call_id: id.to_string(),
            tool: name.to_string(),
            result,
            is_error,
            elapsed_ms,
        };
        if let Some((elapsed, is_error, full)) = self.later.calls.get(id).cloned() {
            if name == "bash" {
                let shown = full.or_else(|| result.as_ref().map(|(c, _)| c.clone()));
                if let Some(text) = shown.filter(|_| !is_error) {
                    self.agent(AgentEvent::ToolProgress { call_id: id.to_string(), chunk: text });
                }
            }
            let text = result.map(|(c, _)| c).unwrap_or_default();
            self.agent(finished(text, is_error, elapsed));
        } else if let Some((content, is_error)) = result {
            self.agent(finished(content, is_error, 0));
        }
    }
}
