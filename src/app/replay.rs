//! Showing a resumed session again: its records become the events that drew it the first time.
//!
//! Tool calls get their result, timing, diff and full output from the records that follow
//! them, so the transcript comes back as it was: messages, tool cells, diffs, todos, cost.

use std::collections::HashMap;

use crate::agent::{AgentEvent, TurnOutcome};
use crate::provider::{ContentBlock, Role, Usage, pricing};
use crate::session::Record;

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

/// A one-line summary of a tool call's input, like the tool's own plan gives.
pub fn input_summary(tool: &str, input: &serde_json::Value) -> String {
    let s = |k: &str| input.get(k).and_then(|v| v.as_str()).unwrap_or_default().to_string();
    match tool {
        "bash" => s("command").lines().next().unwrap_or_default().to_string(),
        "read_file" | "write_file" | "edit_file" => s("path"),
        "glob_search" => s("pattern"),
        "grep_search" => format!("/{}/", s("pattern")),
        "todo_write" => format!("{} items", input.get("todos").and_then(|t| t.as_array()).map_or(0, Vec::len)),
        "bash_output" | "kill_shell" => s("shell_id"),
        _ => {
            let text = input.to_string();
            text.chars().take(80).collect()
        }
    }
}

/// The replay of `records`, which it consumes so that long texts move instead of being copied.
pub fn items(records: Vec<Record>) -> Vec<ReplayItem> {
    // What the records after a call say about it.
    let mut calls: HashMap<String, (u64, bool, Option<String>)> = HashMap::new();
    let mut diffs: HashMap<String, (std::path::PathBuf, String)> = HashMap::new();
    let mut results: HashMap<String, (String, bool)> = HashMap::new();
    for r in &records {
        match r {
            Record::ToolCall { call_id, elapsed_ms, is_error, output, .. } => {
                calls.insert(call_id.clone(), (*elapsed_ms, *is_error, output.clone()));
            }
            Record::FileChange { call_id, path, diff, .. } => {
                diffs.insert(call_id.clone(), (path.clone(), diff.clone()));
            }
            Record::Message { message, .. } => {
                for b in &message.content {
                    if let ContentBlock::ToolResult { tool_use_id, content, is_error } = b {
                        results.insert(tool_use_id.clone(), (content.clone(), *is_error));
                    }
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    let mut session = Usage::default();
    let mut cost = Some(0.0);
    let mut turn = 0;
    for r in records {
        match r {
            Record::Meta { id, cwd, model, .. } => out.push(ReplayItem::Agent(AgentEvent::SessionStarted {
                session_id: id,
                session_file: None,
                model,
                provider: String::new(),
                cwd,
                tools: Vec::new(),
                permission_mode: Default::default(),
                instruction_files: Vec::new(),
            })),
            Record::Message { message, .. } if message.role == Role::User => {
                let text: Vec<String> = message
                    .content
                    .into_iter()
                    .filter_map(|b| match b {
                        ContentBlock::Text { text } => Some(text),
                        _ => None,
                    })
                    .collect();
                if !text.is_empty() {
                    turn += 1;
                    out.push(ReplayItem::User(text.join("\n\n")));
                }
            }
            Record::Message { message, .. } => {
                for b in &message.content {
                    match b {
                        ContentBlock::Text { text } => {
                            out.push(ReplayItem::Agent(AgentEvent::TextDelta { turn_id: turn, text: text.clone() }))
                        }
                        ContentBlock::Thinking { thinking, .. } => {
                            out.push(ReplayItem::Agent(AgentEvent::ThinkingDelta {
                                turn_id: turn,
                                text: thinking.clone(),
                            }))
                        }
                        ContentBlock::ToolUse { id, name, input } => {
                            out.push(ReplayItem::Agent(AgentEvent::ToolCallStarted {
                                call_id: id.clone(),
                                tool: name.clone(),
                                input: input.clone(),
                                summary: input_summary(name, input),
                            }));
                            if let Some((path, diff)) = diffs.remove(id.as_str()) {
                                out.push(ReplayItem::Agent(AgentEvent::FileChanged { path, diff }));
                            }
                            if let Some((elapsed, is_error, full)) = calls.get(id.as_str()) {
                                if name == "bash" {
                                    let shown =
                                        full.clone().or_else(|| results.get(id.as_str()).map(|(c, _)| c.to_string()));
                                    if let Some(text) = shown.filter(|_| !is_error) {
                                        out.push(ReplayItem::Agent(AgentEvent::ToolProgress {
                                            call_id: id.clone(),
                                            chunk: text,
                                        }));
                                    }
                                }
                                let result = results.get(id.as_str()).map(|(c, _)| c.to_string()).unwrap_or_default();
                                out.push(ReplayItem::Agent(AgentEvent::ToolCallFinished {
                                    call_id: id.clone(),
                                    tool: name.clone(),
                                    result,
                                    is_error: *is_error,
                                    elapsed_ms: *elapsed,
                                }));
                            } else if let Some((content, is_error)) = results.get(id.as_str()) {
                                out.push(ReplayItem::Agent(AgentEvent::ToolCallFinished {
                                    call_id: id.clone(),
                                    tool: name.clone(),
                                    result: content.to_string(),
                                    is_error: *is_error,
                                    elapsed_ms: 0,
                                }));
                            }
                        }
                        ContentBlock::RedactedThinking { .. } | ContentBlock::ToolResult { .. } => {}
                    }
                }
                // Marks the end of the answer (the text went out above).
                out.push(ReplayItem::Agent(AgentEvent::AssistantMessage {
                    turn_id: turn,
                    message: crate::provider::Message { role: Role::Assistant, content: Vec::new() },
                }));
            }
            Record::Todos { todos, .. } => out.push(ReplayItem::Agent(AgentEvent::TodosChanged { todos })),
            Record::Usage { model, usage, cost_usd, .. } => {
                session.add(&usage);
                cost = match (cost, cost_usd) {
                    (Some(a), Some(b)) => Some(a + b),
                    _ => None,
                };
                out.push(ReplayItem::Agent(AgentEvent::Usage {
                    request: usage,
                    session,
                    request_cost_usd: cost_usd,
                    session_cost_usd: cost,
                    context_tokens: usage.context_tokens() + usage.output_tokens,
                    context_window: pricing::context_window(&model),
                }));
            }
            Record::Compaction { summary, kept, .. } => {
                out.push(ReplayItem::Agent(AgentEvent::Compacted { summary, kept, before: 0 }))
            }
            Record::Title { title, .. } => out.push(ReplayItem::Agent(AgentEvent::Renamed { title })),
            Record::Turn { turn, .. } => out.push(ReplayItem::Turn(turn)),
            Record::Restore { turn, conversation: true, .. } => out.push(ReplayItem::Rewound(turn)),
            Record::ToolCall { .. }
            | Record::FileChange { .. }
            | Record::Checkpoint { .. }
            | Record::Restore { .. } => {}
        }
    }
    out.push(ReplayItem::Agent(AgentEvent::TurnFinished { turn_id: turn, outcome: TurnOutcome::EndTurn }));
    out
}
