//! The Anthropic Messages API, streamed.
//!
//! Requests go to `{base_url}/v1/messages` with `stream: true`, `anthropic-version: 2023-06-01`
//! and either `x-api-key` (from `ANTHROPIC_API_KEY`) or `Authorization: Bearer` (from
//! `ANTHROPIC_AUTH_TOKEN`). Prompt caching puts `cache_control` breakpoints on the last system
//! section, the last tool definition and the last content block of the latest message, so a
//! long conversation pays full price only for what is new since the previous call.
//!
//! [`MessageAssembler`] turns the event stream into [`StreamEvent`]s and a [`Completion`]; the
//! scripted provider reuses it, so the demo and the tests exercise the same decoding.

use std::fmt;
use std::time::Duration;

use futures_util::StreamExt;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use super::retry::{RetryPolicy, parse_retry_after};
use super::sse::SseDecoder;
use super::{
    BoxFuture, Completion, ContentBlock, Message, ModelRequest, Provider, ProviderError, Role, StopReason, StreamEvent,
    Usage,
};

pub const DEFAULT_BASE_URL: &str = "https://api.anthropic.com";
pub const API_VERSION: &str = "2023-06-01";
/// How long a stream may stay silent before it is treated as dropped. The API sends `ping`
/// events while the model thinks, so two minutes of silence means the connection is gone.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(120);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// Credentials. `Debug` never prints the secret.
#[derive(Clone, PartialEq, Eq)]
pub enum Auth {
    ApiKey(String),
    BearerToken(String),
}

impl Auth {
    /// The secret itself, so session and log writers can redact it.
    pub fn secret(&self) -> &str {
        match self {
            Auth::ApiKey(s) | Auth::BearerToken(s) => s,
        }
    }
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Auth::ApiKey(_) => f.write_str("ApiKey(<redacted>)"),
            Auth::BearerToken(_) => f.write_str("BearerToken(<redacted>)"),
        }
    }
}

/// Reads credentials from the environment: `ANTHROPIC_API_KEY` first, then
/// `ANTHROPIC_AUTH_TOKEN`. Empty values count as unset.
pub fn auth_from_env() -> Option<Auth> {
    let get = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    get("ANTHROPIC_API_KEY").map(Auth::ApiKey).or_else(|| get("ANTHROPIC_AUTH_TOKEN").map(Auth::BearerToken))
}

#[derive(Debug, Clone)]
pub struct AnthropicConfig {
    pub base_url: String,
    pub auth: Option<Auth>,
    pub retry: RetryPolicy,
    pub idle_timeout: Duration,
}

impl AnthropicConfig {
    /// Settings from `ANTHROPIC_BASE_URL`, `ANTHROPIC_API_KEY` / `ANTHROPIC_AUTH_TOKEN`.
    pub fn from_env() -> Self {
        AnthropicConfig {
            base_url: std::env::var("ANTHROPIC_BASE_URL")
                .ok()
                .filter(|v| !v.trim().is_empty())
                .unwrap_or_else(|| DEFAULT_BASE_URL.to_string()),
            auth: auth_from_env(),
            retry: RetryPolicy::default(),
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
        }
    }
}

pub struct AnthropicProvider {
    config: AnthropicConfig,
    client: reqwest::Client,
}

impl AnthropicProvider {
    pub fn new(config: AnthropicConfig) -> Result<Self, ProviderError> {
        crate::install_crypto_provider();
        let client = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .user_agent(concat!("claw-tui/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ProviderError::Protocol(format!("cannot build the HTTP client: {e}")))?;
        Ok(AnthropicProvider { config, client })
    }

    fn endpoint(&self) -> String {
        format!("{}/v1/messages", self.config.base_url.trim_end_matches('/'))
    }

    async fn attempt(
        &self,
        body: &Value,
        events: &mpsc::UnboundedSender<StreamEvent>,
    ) -> Result<Completion, ProviderError> {
        let auth = self.config.auth.as_ref().ok_or_else(|| {
            ProviderError::MissingCredentials(
                "set ANTHROPIC_API_KEY (or ANTHROPIC_AUTH_TOKEN), or try `claw-tui --demo`".into(),
            )
        })?;
        let mut req = self
            .client
            .post(self.endpoint())
            .header("anthropic-version", API_VERSION)
            .header("content-type", "application/json")
            .header("accept", "text/event-stream");
        req = match auth {
            Auth::ApiKey(key) => req.header("x-api-key", key),
            Auth::BearerToken(token) => req.bearer_auth(token),
        };
        let response = req
            .json(body)
            .send()
            .await
            .map_err(|e| ProviderError::Network { message: describe_reqwest_error(&e), partial: false })?;

        let status = response.status().as_u16();
        if !(200..300).contains(&status) {
            let retry_after = parse_retry_after(response.headers());
            let content_type = content_type(&response);
            let text = response.text().await.unwrap_or_default();
            return Err(http_error(status, &content_type, &text, retry_after));
        }

        let content_type = content_type(&response);
        if content_type.starts_with("application/json") {
            // A server (or proxy) that ignored `stream: true` and answered the whole message.
            let text = response
                .text()
                .await
                .map_err(|e| ProviderError::Network { message: describe_reqwest_error(&e), partial: false })?;
            return completion_from_json(&text, events);
        }
        if !content_type.is_empty() && !content_type.starts_with("text/event-stream") {
            let text = response.text().await.unwrap_or_default();
            return Err(ProviderError::Protocol(format!(
                "expected an event stream, got {content_type}: {}",
                snippet(&text)
            )));
        }

        let mut decoder = SseDecoder::new();
        let mut assembler = MessageAssembler::new();
        let mut body = response.bytes_stream();
        loop {
            let next = tokio::time::timeout(self.config.idle_timeout, body.next()).await;
            let chunk = match next {
                Err(_) => {
                    return Err(ProviderError::Network {
                        message: format!(
                            "no data for {}s; the stream was given up",
                            self.config.idle_timeout.as_secs()
                        ),
                        partial: assembler.has_content(),
                    });
                }
                Ok(None) => break,
                Ok(Some(Err(e))) => {
                    return Err(ProviderError::Network {
                        message: describe_reqwest_error(&e),
                        partial: assembler.has_content(),
                    });
                }
                Ok(Some(Ok(chunk))) => chunk,
            };
            for event in decoder.feed(&chunk) {
                assembler.handle(event.event.as_deref(), &event.data, events)?;
                if assembler.is_done() {
                    return assembler.finish();
                }
            }
        }
        decoder.finish();
        if assembler.is_done() {
            return assembler.finish();
        }
        Err(ProviderError::Network {
            message: "the stream ended before the message was complete".into(),
            partial: assembler.has_content(),
        })
    }
}

impl Provider for AnthropicProvider {
    fn name(&self) -> &str {
        "anthropic"
    }

    fn stream<'a>(
        &'a self,
        request: &'a ModelRequest,
        events: mpsc::UnboundedSender<StreamEvent>,
    ) -> BoxFuture<'a, Result<Completion, ProviderError>> {
        Box::pin(async move {
            let body = request_body(request, true);
            let policy = self.config.retry;
            let mut attempt = 0;
            loop {
                match self.attempt(&body, &events).await {
                    Ok(done) => return Ok(done),
                    Err(error) if error.is_retryable() && attempt < policy.max_retries => {
                        attempt += 1;
                        let delay = policy.delay(attempt, error.retry_after());
                        let _ = events.send(StreamEvent::Retrying {
                            attempt,
                            max_retries: policy.max_retries,
                            delay,
                            error,
                        });
                        tokio::time::sleep(delay).await;
                    }
                    Err(error) => return Err(error),
                }
            }
        })
    }
}

fn content_type(response: &reqwest::Response) -> String {
    response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase()
}

/// reqwest's Display hides the cause ("error sending request"); the innermost cause says what
/// happened ("Connection refused"), so that is what the user reads, with where it happened.
fn describe_reqwest_error(e: &reqwest::Error) -> String {
    let mut root: &dyn std::error::Error = e;
    while let Some(s) = root.source() {
        root = s;
    }
    let cause = root.to_string();
    let place = e.url().map(|u| format!("{}://{}", u.scheme(), u.authority())).unwrap_or_default();
    if e.is_connect() {
        return format!("cannot connect to {place}: {cause}");
    }
    if e.is_timeout() {
        return format!("{place} timed out: {cause}");
    }
    if e.is_body() || e.is_decode() {
        return format!("the answer from {place} broke off: {cause}");
    }
    let mut msg = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        let s_msg = s.to_string();
        if !msg.contains(&s_msg) {
            msg.push_str(": ");
            msg.push_str(&s_msg);
        }
        source = s.source();
    }
    msg
}

/// At most 200 characters of a body, on one line, for error messages.
fn snippet(text: &str) -> String {
    let one_line: String = text.chars().map(|c| if c.is_control() { ' ' } else { c }).take(200).collect();
    let trimmed = one_line.trim().to_string();
    if text.chars().count() > 200 { format!("{trimmed}…") } else { trimmed }
}

/// Builds the error for a non-2xx answer, from an Anthropic error body when there is one.
fn http_error(status: u16, content_type: &str, body: &str, retry_after: Option<std::time::Duration>) -> ProviderError {
    let parsed: Option<Value> = serde_json::from_str(body).ok();
    let (kind, mut message) = match parsed.as_ref().and_then(|v| v.get("error")) {
        Some(err) => (
            err.get("type").and_then(Value::as_str).map(str::to_string),
            err.get("message").and_then(Value::as_str).unwrap_or_default().to_string(),
        ),
        None if body.trim().is_empty() => (None, String::new()),
        None => (
            None,
            format!(
                "server answered non-JSON ({}): {}",
                if content_type.is_empty() { "no content type" } else { content_type },
                snippet(body)
            ),
        ),
    };
    if status == 401 {
        message = if message.is_empty() {
            "check ANTHROPIC_API_KEY".into()
        } else {
            format!("check ANTHROPIC_API_KEY ({message})")
        };
    }
    ProviderError::Http { status, kind, message, retry_after }
}

/// The JSON body of a Messages API request, with cache breakpoints.
pub fn request_body(request: &ModelRequest, stream: bool) -> Value {
    let ephemeral = json!({"type": "ephemeral"});
    let system: Vec<Value> = request
        .system
        .iter()
        .enumerate()
        .map(|(i, text)| {
            let mut block = json!({"type": "text", "text": text});
            if i + 1 == request.system.len() {
                block["cache_control"] = ephemeral.clone();
            }
            block
        })
        .collect();
    let tools: Vec<Value> = request
        .tools
        .iter()
        .enumerate()
        .map(|(i, tool)| {
            let mut t = json!({
                "name": tool.name,
                "description": tool.description,
                "input_schema": tool.input_schema,
            });
            if i + 1 == request.tools.len() {
                t["cache_control"] = ephemeral.clone();
            }
            t
        })
        .collect();
    let mut messages: Vec<Value> =
        request.messages.iter().map(|m| serde_json::to_value(m).expect("messages serialize")).collect();
    // The breakpoint goes on the last block that may carry one: thinking blocks may not.
    if let Some(last) = messages.last_mut().and_then(|m| m["content"].as_array_mut())
        && let Some(block) =
            last.iter_mut().rev().find(|b| !matches!(b["type"].as_str(), Some("thinking") | Some("redacted_thinking")))
    {
        block["cache_control"] = ephemeral.clone();
    }
    let mut body = json!({
        "model": request.model,
        "max_tokens": request.max_tokens,
        "messages": messages,
        "stream": stream,
    });
    if !system.is_empty() {
        body["system"] = Value::Array(system);
    }
    if !tools.is_empty() {
        body["tools"] = Value::Array(tools);
    }
    if let Some(thinking) = request.thinking {
        body["thinking"] = json!({"type": "enabled", "budget_tokens": thinking.budget_tokens});
    }
    body
}

/// A complete (non-streamed) message body turned into a completion, announcing its content as
/// if it had streamed.
fn completion_from_json(text: &str, events: &mpsc::UnboundedSender<StreamEvent>) -> Result<Completion, ProviderError> {
    let v: Value = serde_json::from_str(text)
        .map_err(|e| ProviderError::Protocol(format!("invalid JSON ({e}): {}", snippet(text))))?;
    if v.get("type").and_then(Value::as_str) == Some("error") {
        let err = &v["error"];
        return Err(ProviderError::Stream {
            kind: err["type"].as_str().unwrap_or("error").to_string(),
            message: err["message"].as_str().unwrap_or_default().to_string(),
            partial: false,
        });
    }
    let mut assembler = MessageAssembler::new();
    let mut start = v.clone();
    start["content"] = json!([]);
    assembler.handle(Some("message_start"), &json!({"type": "message_start", "message": start}).to_string(), events)?;
    let content = v["content"].as_array().cloned().unwrap_or_default();
    for (index, block) in content.into_iter().enumerate() {
        let mut head = block.clone();
        match block["type"].as_str() {
            Some("text") => head["text"] = json!(""),
            Some("thinking") => head["thinking"] = json!(""),
            _ => {}
        }
        assembler.handle(
            None,
            &json!({"type": "content_block_start", "index": index, "content_block": head}).to_string(),
            events,
        )?;
        let delta = match block["type"].as_str() {
            Some("text") => Some(json!({"type": "text_delta", "text": block["text"]})),
            Some("thinking") => Some(json!({"type": "thinking_delta", "thinking": block["thinking"]})),
            _ => None,
        };
        if let Some(delta) = delta {
            assembler.handle(
                None,
                &json!({"type": "content_block_delta", "index": index, "delta": delta}).to_string(),
                events,
            )?;
        }
        assembler.handle(None, &json!({"type": "content_block_stop", "index": index}).to_string(), events)?;
    }
    assembler.handle(
        None,
        &json!({"type": "message_delta", "delta": {"stop_reason": v["stop_reason"]}, "usage": v["usage"]}).to_string(),
        events,
    )?;
    assembler.handle(None, r#"{"type":"message_stop"}"#, events)?;
    assembler.finish()
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
    use crate::provider::ToolSpec;

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

    #[test]
    fn cache_breakpoints_on_system_tools_and_latest_turn() {
        let req = ModelRequest {
            model: "m".into(),
            system: vec!["a".into(), "b".into()],
            messages: vec![Message::user_text("hello"), Message::user_text("again")],
            tools: vec![
                ToolSpec { name: "x".into(), description: "d".into(), input_schema: json!({"type":"object"}) },
                ToolSpec { name: "y".into(), description: "d".into(), input_schema: json!({"type":"object"}) },
            ],
            max_tokens: 100,
            thinking: None,
        };
        let body = request_body(&req, true);
        assert!(body["system"][0].get("cache_control").is_none());
        assert_eq!(body["system"][1]["cache_control"]["type"], "ephemeral");
        assert!(body["tools"][0].get("cache_control").is_none());
        assert_eq!(body["tools"][1]["cache_control"]["type"], "ephemeral");
        assert!(body["messages"][0]["content"][0].get("cache_control").is_none());
        assert_eq!(body["messages"][1]["content"][0]["cache_control"]["type"], "ephemeral");
        assert_eq!(body["stream"], true);
    }

    #[test]
    fn http_errors_read_well() {
        let e = http_error(
            401,
            "application/json",
            r#"{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}"#,
            None,
        );
        assert_eq!(e.to_string(), "authentication failed (401): check ANTHROPIC_API_KEY (invalid x-api-key)");
        let e = http_error(502, "text/html", "<html>Bad gateway</html>", None);
        assert_eq!(e.to_string(), "bad gateway (502): server answered non-JSON (text/html): <html>Bad gateway</html>");
        assert!(e.is_retryable());
    }

    #[test]
    fn auth_debug_hides_the_secret() {
        let a = Auth::ApiKey("sk-ant-secret".into());
        assert!(!format!("{a:?}").contains("secret"));
    }
}
