//! Scenario files, and a provider that plays them without a network.
//!
//! A [`Scenario`] lists, per expected model call, the [`Reply`]: streamed content blocks (text,
//! thinking, tool calls whose JSON input arrives in chunks), usage, the stop reason, and the
//! failures a real server produces (an HTTP error status with `retry-after`, an `error` event
//! mid-stream, a dropped connection, a stream that ends early, a server that never answers,
//! slow deltas, a non-JSON body). The same file drives the
//! mock HTTP server in `tests/support` and [`ScriptedProvider`], which the offline demo uses.
//! Both turn a reply into Anthropic stream events with [`Reply::stream_events`], and the
//! scripted provider decodes them with the real [`MessageAssembler`], so the demo exercises
//! the same code a live session does.

use std::sync::Mutex;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::sync::mpsc;

use super::anthropic::MessageAssembler;
use super::{BoxFuture, Completion, ModelRequest, Provider, ProviderError, Usage};

/// Characters per text delta when a block does not say.
pub const DEFAULT_TEXT_CHUNK: usize = 12;
/// Bytes of JSON per `input_json_delta` when a tool block does not say.
pub const DEFAULT_JSON_CHUNK: usize = 16;

/// A scripted conversation: one reply per model call, in order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// The prompt the demo sends (tests send their own).
    #[serde(default)]
    pub prompt: Option<String>,
    /// Files to create in the demo's scratch workspace, by relative path.
    #[serde(default)]
    pub files: std::collections::BTreeMap<String, String>,
    pub replies: Vec<Reply>,
}

impl Scenario {
    /// Parses a scenario, with the JSON error's line and column on failure.
    pub fn from_json(text: &str) -> Result<Scenario, String> {
        serde_json::from_str(text).map_err(|e| format!("invalid scenario: {e}"))
    }
}

/// A scripted error event in the stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StreamErrorScript {
    /// Sent after this many events.
    pub after: usize,
    #[serde(rename = "type", default = "overloaded")]
    pub kind: String,
    #[serde(default)]
    pub message: String,
}

fn overloaded() -> String {
    "overloaded_error".into()
}

/// An extra raw event placed in the stream (for example an event type the client must ignore).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InjectedEvent {
    pub after: usize,
    pub event: String,
    pub data: String,
}

/// What the server does for one request.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reply {
    /// Answer with this HTTP status and an Anthropic error body instead of a stream.
    #[serde(default)]
    pub status: Option<u16>,
    #[serde(default)]
    pub error_type: Option<String>,
    #[serde(default)]
    pub error_message: Option<String>,
    /// `retry-after` header, seconds.
    #[serde(default)]
    pub retry_after: Option<f64>,
    /// `retry-after-ms` header.
    #[serde(default)]
    pub retry_after_ms: Option<u64>,
    /// Answer this body verbatim (with `content_type`), e.g. an HTML error page.
    #[serde(default)]
    pub raw_body: Option<String>,
    #[serde(default)]
    pub content_type: Option<String>,
    /// The content blocks of the answer, streamed in order.
    #[serde(default)]
    pub content: Vec<BlockScript>,
    #[serde(default)]
    pub stop_reason: Option<String>,
    #[serde(default)]
    pub usage: Usage,
    /// Pause before each event, to simulate a slow model.
    #[serde(default)]
    pub delay_ms: u64,
    /// Close the connection after this many events, without finishing the message.
    #[serde(default)]
    pub drop_after: Option<usize>,
    /// End the body cleanly after this many events, without finishing the message (a server
    /// that stopped early).
    #[serde(default)]
    pub end_after: Option<usize>,
    /// Accept the request and never answer (not even the status line).
    #[serde(default)]
    pub stall: bool,
    #[serde(default)]
    pub error_event: Option<StreamErrorScript>,
    #[serde(default)]
    pub inject: Vec<InjectedEvent>,
    /// Optional check by the mock server: the last user message must contain this text.
    #[serde(default)]
    pub expect_contains: Option<String>,
    /// For the mock server when requests arrive side by side (sub-agents): this reply answers
    /// the first request whose body contains this text. Replies without one answer requests in
    /// order.
    #[serde(default)]
    pub route: Option<String>,
}

/// One content block of a scripted answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum BlockScript {
    Text {
        text: String,
        #[serde(default)]
        chunk: Option<usize>,
    },
    Thinking {
        thinking: String,
        #[serde(default)]
        signature: String,
        #[serde(default)]
        chunk: Option<usize>,
    },
    ToolUse {
        id: String,
        name: String,
        #[serde(default)]
        input: Value,
        /// Send this text as the input JSON instead of `input` (to script invalid JSON).
        #[serde(default)]
        input_raw: Option<String>,
        #[serde(default)]
        chunk: Option<usize>,
    },
}

/// Splits `s` into pieces of `n` characters (at least one character each).
fn split_chars(s: &str, n: usize) -> Vec<String> {
    let n = n.max(1);
    let chars: Vec<char> = s.chars().collect();
    chars.chunks(n).map(|c| c.iter().collect()).collect()
}

impl Reply {
    /// The stream this reply produces as (event name, JSON data) pairs, in order, including the
    /// scripted error event and injected events; a `drop_after` cut is left to the transport.
    pub fn stream_events(&self, message_id: &str, model: &str) -> Vec<(String, String)> {
        let mut events: Vec<(String, Value)> = Vec::new();
        let start_usage = json!({
            "input_tokens": self.usage.input_tokens,
            "output_tokens": 1,
            "cache_creation_input_tokens": self.usage.cache_creation_input_tokens,
            "cache_read_input_tokens": self.usage.cache_read_input_tokens,
        });
        events.push((
            "message_start".into(),
            json!({"type": "message_start", "message": {
                "id": message_id, "type": "message", "role": "assistant", "model": model,
                "content": [], "stop_reason": null, "stop_sequence": null, "usage": start_usage,
            }}),
        ));
        for (index, block) in self.content.iter().enumerate() {
            let (head, deltas): (Value, Vec<Value>) = match block {
                BlockScript::Text { text, chunk } => (
                    json!({"type": "text", "text": ""}),
                    split_chars(text, chunk.unwrap_or(DEFAULT_TEXT_CHUNK))
                        .into_iter()
                        .map(|t| json!({"type": "text_delta", "text": t}))
                        .collect(),
                ),
                BlockScript::Thinking { thinking, signature, chunk } => {
                    let mut d: Vec<Value> = split_chars(thinking, chunk.unwrap_or(DEFAULT_TEXT_CHUNK))
                        .into_iter()
                        .map(|t| json!({"type": "thinking_delta", "thinking": t}))
                        .collect();
                    d.push(json!({"type": "signature_delta", "signature": signature}));
                    (json!({"type": "thinking", "thinking": ""}), d)
                }
                BlockScript::ToolUse { id, name, input, input_raw, chunk } => {
                    let raw = input_raw
                        .clone()
                        .unwrap_or_else(|| if input.is_null() { "{}".to_string() } else { input.to_string() });
                    (
                        json!({"type": "tool_use", "id": id, "name": name, "input": {}}),
                        split_chars(&raw, chunk.unwrap_or(DEFAULT_JSON_CHUNK))
                            .into_iter()
                            .map(|p| json!({"type": "input_json_delta", "partial_json": p}))
                            .collect(),
                    )
                }
            };
            events.push((
                "content_block_start".into(),
                json!({"type": "content_block_start", "index": index, "content_block": head}),
            ));
            for delta in deltas {
                events.push((
                    "content_block_delta".into(),
                    json!({"type": "content_block_delta", "index": index, "delta": delta}),
                ));
            }
            events.push(("content_block_stop".into(), json!({"type": "content_block_stop", "index": index})));
        }
        let stop = self.stop_reason.clone().unwrap_or_else(|| {
            if self.content.iter().any(|b| matches!(b, BlockScript::ToolUse { .. })) {
                "tool_use".into()
            } else {
                "end_turn".into()
            }
        });
        events.push((
            "message_delta".into(),
            json!({"type": "message_delta", "delta": {"stop_reason": stop, "stop_sequence": null},
                   "usage": {"output_tokens": self.usage.output_tokens}}),
        ));
        events.push(("message_stop".into(), json!({"type": "message_stop"})));

        let mut out: Vec<(String, String)> = events.into_iter().map(|(n, v)| (n, v.to_string())).collect();
        // Inject from the back so earlier positions stay valid.
        let mut inject = self.inject.clone();
        inject.sort_by_key(|e| std::cmp::Reverse(e.after));
        for e in inject {
            let at = e.after.min(out.len());
            out.insert(at, (e.event, e.data));
        }
        if let Some(err) = &self.error_event {
            out.truncate(err.after);
            out.push((
                "error".into(),
                json!({"type": "error", "error": {"type": err.kind, "message": err.message}}).to_string(),
            ));
        }
        out
    }

    /// The same reply on the OpenAI Chat Completions wire: the `data:` payloads in order, the
    /// last one `[DONE]`. Thinking streams as `reasoning_content`, each tool call's arguments in
    /// pieces under its index, the usage in a last chunk without choices; a scripted error event
    /// becomes an error chunk.
    pub fn openai_chunks(&self, model: &str) -> Vec<String> {
        let chunk = |delta: Value, finish: Value| {
            json!({"id": "chatcmpl-mock", "object": "chat.completion.chunk", "model": model,
                   "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})
        };
        let mut out = vec![chunk(json!({"role": "assistant"}), Value::Null)];
        let mut calls = 0;
        for block in &self.content {
            match block {
                BlockScript::Text { text, chunk: n } => out.extend(
                    split_chars(text, n.unwrap_or(DEFAULT_TEXT_CHUNK))
                        .into_iter()
                        .map(|t| chunk(json!({"content": t}), Value::Null)),
                ),
                BlockScript::Thinking { thinking, chunk: n, .. } => out.extend(
                    split_chars(thinking, n.unwrap_or(DEFAULT_TEXT_CHUNK))
                        .into_iter()
                        .map(|t| chunk(json!({"reasoning_content": t}), Value::Null)),
                ),
                BlockScript::ToolUse { id, name, input, input_raw, chunk: n } => {
                    let raw = input_raw
                        .clone()
                        .unwrap_or_else(|| if input.is_null() { "{}".to_string() } else { input.to_string() });
                    let head = json!({"index": calls, "id": id, "type": "function", "function": {"name": name, "arguments": ""}});
                    out.push(chunk(json!({"tool_calls": [head]}), Value::Null));
                    for piece in split_chars(&raw, n.unwrap_or(DEFAULT_JSON_CHUNK)) {
                        let part = json!({"index": calls, "function": {"arguments": piece}});
                        out.push(chunk(json!({"tool_calls": [part]}), Value::Null));
                    }
                    calls += 1;
                }
            }
        }
        let finish = match self.stop_reason.as_deref() {
            Some("tool_use") => "tool_calls",
            Some("max_tokens") => "length",
            Some("refusal") => "content_filter",
            Some("end_turn") => "stop",
            Some(other) => other,
            None if calls > 0 => "tool_calls",
            None => "stop",
        };
        out.push(chunk(json!({}), json!(finish)));
        let u = &self.usage;
        out.push(json!({"id": "chatcmpl-mock", "object": "chat.completion.chunk", "model": model, "choices": [],
            "usage": {"prompt_tokens": u.input_tokens + u.cache_read_input_tokens, "completion_tokens": u.output_tokens,
                      "total_tokens": u.input_tokens + u.cache_read_input_tokens + u.output_tokens,
                      "prompt_tokens_details": {"cached_tokens": u.cache_read_input_tokens}}}));
        let mut out: Vec<String> = out.into_iter().map(|v| v.to_string()).collect();
        if let Some(err) = &self.error_event {
            out.truncate(err.after);
            out.push(json!({"error": {"type": err.kind, "message": err.message}}).to_string());
        }
        out.push("[DONE]".into());
        out
    }

    /// The OpenAI error body for an HTTP error reply.
    pub fn openai_error_body(&self) -> String {
        let anthropic: Value = serde_json::from_str(&self.error_body()).unwrap_or_default();
        let err = &anthropic["error"];
        json!({"error": {"message": err["message"], "type": err["type"], "code": null}}).to_string()
    }

    /// The Anthropic error body for an HTTP error reply.
    pub fn error_body(&self) -> String {
        let status = self.status.unwrap_or(500);
        let kind = self.error_type.clone().unwrap_or_else(|| {
            match status {
                400 => "invalid_request_error",
                401 => "authentication_error",
                403 => "permission_error",
                404 => "not_found_error",
                429 => "rate_limit_error",
                529 => "overloaded_error",
                _ => "api_error",
            }
            .to_string()
        });
        let message = self.error_message.clone().unwrap_or_else(|| kind.replace('_', " "));
        json!({"type": "error", "error": {"type": kind, "message": message}}).to_string()
    }
}

/// Plays a [`Scenario`] in process: no network, same decoding as the real provider.
pub struct ScriptedProvider {
    scenario: Scenario,
    next: Mutex<usize>,
    /// Multiplies every reply's `delay_ms` (0 plays instantly; the demo uses 1).
    pace: f64,
}

impl ScriptedProvider {
    pub fn new(scenario: Scenario, pace: f64) -> Self {
        ScriptedProvider { scenario, next: Mutex::new(0), pace }
    }
}

impl Provider for ScriptedProvider {
    fn name(&self) -> &str {
        "scripted"
    }

    fn stream<'a>(
        &'a self,
        request: &'a ModelRequest,
        events: mpsc::UnboundedSender<super::StreamEvent>,
    ) -> BoxFuture<'a, Result<Completion, ProviderError>> {
        Box::pin(async move {
            let index = {
                let mut next = self.next.lock().expect("scripted provider lock");
                let i = *next;
                *next += 1;
                i
            };
            let Some(reply) = self.scenario.replies.get(index) else {
                return Err(ProviderError::Protocol(format!(
                    "the scenario `{}` has no reply #{} (it has {})",
                    self.scenario.name,
                    index + 1,
                    self.scenario.replies.len()
                )));
            };
            if let Some(status) = reply.status {
                let body: Value = serde_json::from_str(&reply.error_body()).unwrap_or_default();
                return Err(ProviderError::Http {
                    status,
                    kind: body["error"]["type"].as_str().map(str::to_string),
                    message: body["error"]["message"].as_str().unwrap_or_default().to_string(),
                    retry_after: reply.retry_after.map(Duration::from_secs_f64),
                });
            }
            if reply.stall {
                return Err(ProviderError::Network {
                    message: "the scripted server never answered".into(),
                    partial: false,
                });
            }
            let delay = Duration::from_secs_f64(reply.delay_ms as f64 * self.pace / 1000.0);
            let mut assembler = MessageAssembler::new();
            for (n, (name, data)) in
                reply.stream_events(&format!("msg_scripted_{index}"), &request.model).into_iter().enumerate()
            {
                if reply.drop_after == Some(n) || reply.end_after == Some(n) {
                    return Err(ProviderError::Network {
                        message: "the scripted connection dropped".into(),
                        partial: assembler.has_content(),
                    });
                }
                if !delay.is_zero() {
                    tokio::time::sleep(delay).await;
                }
                assembler.handle(Some(&name), &data, &events)?;
            }
            assembler.finish()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::{ContentBlock, StopReason};

    #[tokio::test]
    async fn scripted_provider_plays_a_tool_call() {
        let scenario = Scenario::from_json(
            r#"{"name":"t","replies":[{"content":[
                {"type":"text","text":"Let me look.","chunk":3},
                {"type":"tool_use","id":"toolu_1","name":"read_file","input":{"path":"a.txt"},"chunk":1}
            ],"usage":{"input_tokens":5,"output_tokens":7}}]}"#,
        )
        .unwrap();
        let p = ScriptedProvider::new(scenario, 0.0);
        let req = ModelRequest {
            model: "m".into(),
            system: vec![],
            messages: vec![],
            tools: vec![],
            max_tokens: 10,
            thinking: None,
        };
        let (tx, mut rx) = mpsc::unbounded_channel();
        let c = p.stream(&req, tx).await.unwrap();
        assert_eq!(c.stop_reason, StopReason::ToolUse);
        assert_eq!(c.usage.output_tokens, 7);
        assert_eq!(
            c.message.content[1],
            ContentBlock::ToolUse { id: "toolu_1".into(), name: "read_file".into(), input: json!({"path": "a.txt"}) }
        );
        let mut deltas = 0;
        while rx.try_recv().is_ok() {
            deltas += 1;
        }
        assert!(deltas > 10);
        let err = p.stream(&req, mpsc::unbounded_channel().0).await.unwrap_err();
        assert!(err.to_string().contains("no reply #2"));
    }

    #[test]
    fn error_event_truncates_the_stream() {
        let reply = Reply {
            content: vec![BlockScript::Text { text: "abcdef".into(), chunk: Some(1) }],
            error_event: Some(StreamErrorScript { after: 3, kind: "overloaded_error".into(), message: "busy".into() }),
            ..Default::default()
        };
        let ev = reply.stream_events("m", "x");
        assert_eq!(ev.len(), 4);
        assert_eq!(ev[3].0, "error");
    }
}
