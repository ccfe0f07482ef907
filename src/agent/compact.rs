//! Context compaction: the conversation so far becomes a summary the model writes, and the
//! work continues from that summary plus the most recent turn.
//!
//! The summary request reuses the session's system prompt and tool definitions (the API needs
//! tools declared when the history holds tool calls, and reusing them keeps the prompt cache
//! warm), then asks for a summary in a final user message. The session file keeps the full
//! history; a `compaction` record says where the model's view starts.

use tokio_util::sync::CancellationToken;

use super::turn::StreamEnd;
use super::{Agent, AgentEvent, TurnOutcome};
use crate::provider::{ContentBlock, Message, ModelRequest, Role};
use crate::session::Record;
use crate::session::replay::{normalize, summary_message};

/// Most tokens the summary may take.
const SUMMARY_MAX_TOKENS: u32 = 8192;

const INSTRUCTION: &str = "Stop here and write a summary of this conversation so far, so that the work can continue from the summary alone, without the earlier messages. Include: the user's goals and requests, in their words where it matters; decisions made and why; files read and changed, with paths; commands run and what they showed; errors met and how they were resolved; the current state; and what remains to be done. Be specific and complete. Do not call any tool; answer with the summary only.";

impl Agent {
    /// Whether the last request filled the context window past the threshold.
    pub(crate) fn should_compact(&self) -> bool {
        let (tokens, window) = self.last_context;
        window > 0 && self.history.len() > 4 && tokens as f64 >= self.config.compact_threshold * window as f64
    }

    /// Where the kept tail starts: the last prompt the user typed (a user message with text
    /// and no tool results), so no tool call is separated from its result. `None` when that
    /// is the first message (nothing to gain).
    fn tail_start(&self) -> Option<usize> {
        let i = self.history.iter().rposition(|m| {
            m.role == Role::User
                && m.content.iter().any(|b| matches!(b, ContentBlock::Text { .. }))
                && !m.content.iter().any(|b| matches!(b, ContentBlock::ToolResult { .. }))
        })?;
        (i > 0).then_some(i)
    }

    /// Compacts the history. Emits `Compacted` (or a warning when there is nothing to do).
    pub(crate) async fn compact(
        &mut self,
        turn_id: u64,
        focus: Option<String>,
        cancel: &CancellationToken,
    ) -> TurnOutcome {
        let Some(start) = self.tail_start() else {
            self.emit(AgentEvent::Warning { message: "nothing to compact yet".into() });
            self.last_context = (0, 0);
            return TurnOutcome::EndTurn;
        };
        let mut instruction = INSTRUCTION.to_string();
        if let Some(f) = focus.as_deref().filter(|f| !f.trim().is_empty()) {
            instruction.push_str(&format!("\n\nFocus the summary on: {}", f.trim()));
        }
        let mut messages = self.history.clone();
        messages.push(Message::user_text(instruction));
        let model = self.live.lock().expect("live lock").model.clone();
        let request = ModelRequest {
            model: model.clone(),
            system: self.config.system.clone(),
            messages: normalize(messages),
            tools: self.registry.request_specs(self.config.prices.context_window(&model)),
            max_tokens: self.config.max_tokens.min(SUMMARY_MAX_TOKENS),
            thinking: None,
        };
        let (end, attempt) = self.stream_once(turn_id, &request, cancel, false).await;
        let seen = attempt.usage;
        let completion = match end {
            StreamEnd::Done(c) => c,
            StreamEnd::Interrupted => {
                if let Some(u) = seen {
                    self.commit_usage(&u, &model);
                }
                return TurnOutcome::Interrupted;
            }
            StreamEnd::Failed(e) => {
                if let Some(u) = seen {
                    self.commit_usage(&u, &model);
                }
                self.emit(AgentEvent::Error {
                    kind: e.kind(),
                    message: format!("compaction failed: {e}"),
                    retrying_in_ms: None,
                });
                return TurnOutcome::Error;
            }
        };
        self.commit_usage(&completion.usage, &model);
        let summary = completion.message.text().trim().to_string();
        if summary.is_empty() {
            self.emit(AgentEvent::Error {
                kind: crate::provider::ErrorKind::Protocol,
                message: "compaction failed: the model returned no summary".into(),
                retrying_in_ms: None,
            });
            return TurnOutcome::Error;
        }
        let before = self.history.len();
        let tail = self.history.split_off(start);
        let kept = tail.len();
        let mut history = vec![summary_message(&summary)];
        history.extend(tail);
        self.history = normalize(history);
        // Turns before the summary can no longer be rewound to.
        self.marks.clear();
        self.record(Record::Compaction { ts: chrono::Utc::now(), summary: summary.clone(), focus, kept });
        // The next request is smaller; do not compact again on the old figure.
        self.last_context = (0, 0);
        self.emit(AgentEvent::Compacted { summary, kept, before });
        TurnOutcome::EndTurn
    }
}
