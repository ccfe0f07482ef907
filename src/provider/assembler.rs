//! Assembling a streamed Messages API answer from its server-sent events.
//!
//! [`MessageAssembler`] takes each event (`message_start`, `content_block_*`, `message_delta`,
//! `message_stop`, `ping`, `error`; unknown types are ignored), forwards the deltas as
//! [`StreamEvent`]s, and builds the final [`Completion`]. The Anthropic provider and the
//! scripted provider both use it, so the demo decodes exactly what a live session does.

use serde_json::{Value, json};
use tokio::sync::mpsc;

use super::{Completion, ContentBlock, Message, ProviderError, Role, StopReason, StreamEvent, Usage};

/// At most 200 characters of a body, on one line, for error messages.
pub(crate) fn snippet(text: &str) -> String {
    let one_line: String = text.chars().map(|c| if c.is_control() { ' ' } else { c }).take(200).collect();
    let trimmed = one_line.trim().to_string();
    if text.chars().count() > 200 { format!("{trimmed}…") } else { trimmed }
}

#[derive(Debug)]
enum PartialBlock {
    Text(String),
    Thinking {
        thinking: String,
        signature: String,
    },
    Redacted(String),
    ToolUse {
        id: String,
        name: String,
        json: String,
        initial: Value,
    },
    /// A block type this client does not use (server tools, citations...): skipped.
    Ignored,
}

/// Assembles a streamed Messages API answer. Feed it each SSE event; it forwards deltas as
/// [`StreamEvent`]s and builds the final message.
#[derive(Debug, Default)]
pub struct MessageAssembler {
    blocks: std::collections::BTreeMap<usize, PartialBlock>,
    usage: Usage,
    stop_reason: Option<StopReason>,
    started: bool,
    done: bool,
    content_seen: bool,
}

impl MessageAssembler {
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether any content (text, thinking, tool call) has streamed: after that a failure can
    /// no longer be retried silently.
    pub fn has_content(&self) -> bool {
        self.content_seen
    }

    /// Whether `message_stop` arrived.
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// Handles one SSE event. `name` is the SSE `event:` field; the `type` inside the data
    /// wins when both are present. Unknown event types are ignored. An `error` event becomes
    /// [`ProviderError::Stream`].
    pub fn handle(
        &mut self,
        name: Option<&str>,
        data: &str,
        events: &mpsc::UnboundedSender<StreamEvent>,
    ) -> Result<(), ProviderError> {
        let v: Value = match serde_json::from_str(data) {
            Ok(v) => v,
            Err(e) => {
                return Err(ProviderError::Protocol(format!(
                    "malformed `{}` event ({e}): {}",
                    name.unwrap_or("unnamed"),
                    snippet(data)
                )));
            }
        };
        self.handle_value(name, &v, events)
    }

    /// Handles one event already parsed (another wire's events, translated).
    pub fn handle_value(
        &mut self,
        name: Option<&str>,
        v: &Value,
        events: &mpsc::UnboundedSender<StreamEvent>,
    ) -> Result<(), ProviderError> {
        let kind = v.get("type").and_then(Value::as_str).or(name).unwrap_or("");
        let index = || v.get("index").and_then(Value::as_u64).unwrap_or(0) as usize;
        match kind {
            "message_start" => {
                self.started = true;
                if let Some(u) = v.pointer("/message/usage") {
                    merge_usage(&mut self.usage, u);
                    let _ = events.send(StreamEvent::Usage(self.usage));
                }
            }
            "content_block_start" => {
                let index = index();
                let block = &v["content_block"];
                let partial = match block["type"].as_str() {
                    Some("text") => {
                        let text = block["text"].as_str().unwrap_or_default().to_string();
                        if !text.is_empty() {
                            self.content_seen = true;
                            let _ = events.send(StreamEvent::TextDelta { index, text: text.clone() });
                        }
                        PartialBlock::Text(text)
                    }
                    Some("thinking") => PartialBlock::Thinking {
                        thinking: block["thinking"].as_str().unwrap_or_default().to_string(),
                        signature: block["signature"].as_str().unwrap_or_default().to_string(),
                    },
                    Some("redacted_thinking") => {
                        PartialBlock::Redacted(block["data"].as_str().unwrap_or_default().to_string())
                    }
                    Some("tool_use") => {
                        let id = block["id"].as_str().unwrap_or_default().to_string();
                        let name = block["name"].as_str().unwrap_or_default().to_string();
                        self.content_seen = true;
                        let _ = events.send(StreamEvent::ToolUseStarted { index, id: id.clone(), name: name.clone() });
                        PartialBlock::ToolUse { id, name, json: String::new(), initial: block["input"].clone() }
                    }
                    _ => PartialBlock::Ignored,
                };
                self.blocks.insert(index, partial);
            }
            "content_block_delta" => {
                let index = index();
                let delta = &v["delta"];
                let Some(block) = self.blocks.get_mut(&index) else {
                    return Err(ProviderError::Protocol(format!(
                        "content_block_delta for block {index}, which never started"
                    )));
                };
                match (delta["type"].as_str(), block) {
                    (Some("text_delta"), PartialBlock::Text(text)) => {
                        let piece = delta["text"].as_str().unwrap_or_default();
                        text.push_str(piece);
                        self.content_seen = true;
                        let _ = events.send(StreamEvent::TextDelta { index, text: piece.to_string() });
                    }
                    (Some("thinking_delta"), PartialBlock::Thinking { thinking, .. }) => {
                        let piece = delta["thinking"].as_str().unwrap_or_default();
                        thinking.push_str(piece);
                        self.content_seen = true;
                        let _ = events.send(StreamEvent::ThinkingDelta { index, text: piece.to_string() });
                    }
                    (Some("signature_delta"), PartialBlock::Thinking { signature, .. }) => {
                        signature.push_str(delta["signature"].as_str().unwrap_or_default());
                    }
                    (Some("input_json_delta"), PartialBlock::ToolUse { json, .. }) => {
                        let piece = delta["partial_json"].as_str().unwrap_or_default();
                        json.push_str(piece);
                        let _ = events.send(StreamEvent::ToolInputDelta { index, partial_json: piece.to_string() });
                    }
                    // citations and deltas of ignored blocks
                    _ => {}
                }
            }
            "content_block_stop" | "ping" => {}
            "message_delta" => {
                if let Some(reason) = v.pointer("/delta/stop_reason").and_then(Value::as_str) {
                    self.stop_reason = Some(StopReason::parse(reason));
                }
                if let Some(u) = v.get("usage").filter(|u| u.is_object()) {
                    merge_usage(&mut self.usage, u);
                    let _ = events.send(StreamEvent::Usage(self.usage));
                }
            }
            "message_stop" => self.done = true,
            "error" => {
                let err = &v["error"];
                return Err(ProviderError::Stream {
                    kind: err["type"].as_str().unwrap_or("error").to_string(),
                    message: err["message"].as_str().unwrap_or_default().to_string(),
                    partial: self.content_seen,
                });
            }
            _ => tracing::debug!(event = kind, "ignoring unknown stream event"),
        }
        Ok(())
    }

    /// The message started (with the usage known so far).
    pub fn begin(&mut self, usage: Option<Usage>, events: &mpsc::UnboundedSender<StreamEvent>) {
        self.started = true;
        if let Some(u) = usage {
            self.usage = u;
            let _ = events.send(StreamEvent::Usage(self.usage));
        }
    }

    /// Block `index` starts as text (empty so far).
    pub fn start_text(&mut self, index: usize) {
        self.blocks.insert(index, PartialBlock::Text(String::new()));
    }

    /// Block `index` starts as thinking (empty so far).
    pub fn start_thinking(&mut self, index: usize) {
        self.blocks.insert(index, PartialBlock::Thinking { thinking: String::new(), signature: String::new() });
    }

    /// Block `index` starts as a call of tool `name`, its input to stream.
    pub fn start_tool(&mut self, index: usize, id: String, name: String, events: &mpsc::UnboundedSender<StreamEvent>) {
        self.content_seen = true;
        let _ = events.send(StreamEvent::ToolUseStarted { index, id: id.clone(), name: name.clone() });
        self.blocks.insert(index, PartialBlock::ToolUse { id, name, json: String::new(), initial: Value::Null });
    }

    /// More of block `index`: text, thinking or a tool's input, as the block is. A piece for a
    /// block that never started is an error; one of another kind is dropped.
    pub fn delta(
        &mut self,
        index: usize,
        piece: &str,
        events: &mpsc::UnboundedSender<StreamEvent>,
    ) -> Result<(), ProviderError> {
        let Some(block) = self.blocks.get_mut(&index) else {
            return Err(ProviderError::Protocol(format!("a delta for block {index}, which never started")));
        };
        let event = match block {
            PartialBlock::Text(text) => {
                text.push_str(piece);
                self.content_seen = true;
                StreamEvent::TextDelta { index, text: piece.to_string() }
            }
            PartialBlock::Thinking { thinking, .. } => {
                thinking.push_str(piece);
                self.content_seen = true;
                StreamEvent::ThinkingDelta { index, text: piece.to_string() }
            }
            PartialBlock::ToolUse { json, .. } => {
                json.push_str(piece);
                StreamEvent::ToolInputDelta { index, partial_json: piece.to_string() }
            }
            _ => return Ok(()),
        };
        let _ = events.send(event);
        Ok(())
    }

    /// The usage now (final counts replace earlier ones).
    pub fn set_usage(&mut self, usage: Usage, events: &mpsc::UnboundedSender<StreamEvent>) {
        self.usage = usage;
        let _ = events.send(StreamEvent::Usage(self.usage));
    }

    /// The message is complete, stopped for `reason`.
    pub fn stop(&mut self, reason: StopReason) {
        self.stop_reason = Some(reason);
        self.done = true;
    }

    /// The assembled message. Tool input that is not valid JSON is replaced by `{}` and listed
    /// in [`Completion::invalid_tool_inputs`].
    pub fn finish(self) -> Result<Completion, ProviderError> {
        if !self.started {
            return Err(ProviderError::Protocol("the stream had no message_start event".into()));
        }
        let mut content = Vec::new();
        let mut invalid = Vec::new();
        for (_, block) in self.blocks {
            match block {
                PartialBlock::Text(text) => content.push(ContentBlock::Text { text }),
                PartialBlock::Thinking { thinking, signature } => {
                    content.push(ContentBlock::Thinking { thinking, signature })
                }
                PartialBlock::Redacted(data) => content.push(ContentBlock::RedactedThinking { data }),
                PartialBlock::ToolUse { id, name, json, initial } => {
                    let input = if json.trim().is_empty() {
                        if initial.is_object() { initial } else { json!({}) }
                    } else {
                        match serde_json::from_str::<Value>(&json) {
                            Ok(v) if v.is_object() => v,
                            Ok(_) => {
                                invalid.push((id.clone(), json.clone(), "the input is not a JSON object".to_string()));
                                json!({})
                            }
                            Err(e) => {
                                invalid.push((id.clone(), json.clone(), e.to_string()));
                                json!({})
                            }
                        }
                    };
                    content.push(ContentBlock::ToolUse { id, name, input });
                }
                PartialBlock::Ignored => {}
            }
        }
        let stop_reason = self.stop_reason.unwrap_or(StopReason::EndTurn);
        Ok(Completion {
            message: Message { role: Role::Assistant, content },
            stop_reason,
            usage: self.usage,
            invalid_tool_inputs: invalid,
        })
    }
}

fn merge_usage(usage: &mut Usage, v: &Value) {
    let get = |k: &str| v.get(k).and_then(Value::as_u64);
    if let Some(n) = get("input_tokens") {
        usage.input_tokens = n;
    }
    if let Some(n) = get("output_tokens") {
        usage.output_tokens = n;
    }
    if let Some(n) = get("cache_creation_input_tokens") {
        usage.cache_creation_input_tokens = n;
    }
    if let Some(n) = get("cache_read_input_tokens") {
        usage.cache_read_input_tokens = n;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::{ContentBlock, StopReason};
    use serde_json::json;

    fn feed(a: &mut MessageAssembler, events: &[&str]) -> Vec<StreamEvent> {
        let (tx, mut rx) = mpsc::unbounded_channel();
        for e in events {
            a.handle(None, e, &tx).unwrap();
        }
        drop(tx);
        let mut out = Vec::new();
        while let Ok(e) = rx.try_recv() {
            out.push(e);
        }
        out
    }

    #[test]
    fn assembles_text_thinking_and_tool_use() {
        let mut a = MessageAssembler::new();
        let out = feed(
            &mut a,
            &[
                r#"{"type":"message_start","message":{"usage":{"input_tokens":10,"output_tokens":1,"cache_read_input_tokens":4}}}"#,
                r#"{"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":""}}"#,
                r#"{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"hmm"}}"#,
                r#"{"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"sig=="}}"#,
                r#"{"type":"content_block_stop","index":0}"#,
                r#"{"type":"content_block_start","index":1,"content_block":{"type":"text","text":""}}"#,
                r#"{"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":"Hi"}}"#,
                r#"{"type":"content_block_start","index":2,"content_block":{"type":"tool_use","id":"t1","name":"bash","input":{}}}"#,
                r#"{"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":"{\"comm"}}"#,
                r#"{"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":"and\":\"ls\"}"}}"#,
                r#"{"type":"some_future_event","x":1}"#,
                r#"{"type":"ping"}"#,
                r#"{"type":"message_delta","delta":{"stop_reason":"tool_use"},"usage":{"output_tokens":42}}"#,
                r#"{"type":"message_stop"}"#,
            ],
        );
        assert!(out.contains(&StreamEvent::ThinkingDelta { index: 0, text: "hmm".into() }));
        assert!(out.contains(&StreamEvent::TextDelta { index: 1, text: "Hi".into() }));
        assert!(a.is_done());
        let c = a.finish().unwrap();
        assert_eq!(c.stop_reason, StopReason::ToolUse);
        assert_eq!(
            c.usage,
            Usage { input_tokens: 10, output_tokens: 42, cache_creation_input_tokens: 0, cache_read_input_tokens: 4 }
        );
        assert_eq!(
            c.message.content,
            vec![
                ContentBlock::Thinking { thinking: "hmm".into(), signature: "sig==".into() },
                ContentBlock::Text { text: "Hi".into() },
                ContentBlock::ToolUse { id: "t1".into(), name: "bash".into(), input: json!({"command": "ls"}) },
            ]
        );
    }

    #[test]
    fn invalid_tool_json_is_reported_not_fatal() {
        let mut a = MessageAssembler::new();
        feed(
            &mut a,
            &[
                r#"{"type":"message_start","message":{"usage":{}}}"#,
                r#"{"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":"t1","name":"bash","input":{}}}"#,
                r#"{"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"{\"command\": "}}"#,
                r#"{"type":"message_stop"}"#,
            ],
        );
        let c = a.finish().unwrap();
        assert_eq!(c.invalid_tool_inputs.len(), 1);
        assert_eq!(c.invalid_tool_inputs[0].0, "t1");
        assert_eq!(
            c.message.content[0],
            ContentBlock::ToolUse { id: "t1".into(), name: "bash".into(), input: json!({}) }
        );
    }

    #[test]
    fn error_event_becomes_stream_error() {
        let mut a = MessageAssembler::new();
        let (tx, _rx) = mpsc::unbounded_channel();
        a.handle(None, r#"{"type":"message_start","message":{}}"#, &tx).unwrap();
        let err = a
            .handle(
                Some("error"),
                r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#,
                &tx,
            )
            .unwrap_err();
        assert_eq!(err.kind(), crate::provider::ErrorKind::Overloaded);
        assert!(err.is_retryable(), "no content yet, so retryable");
    }
}
