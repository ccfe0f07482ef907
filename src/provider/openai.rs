//! OpenAI's Chat Completions API, streamed, and the servers that speak it: llama.cpp's server,
//! Ollama, vLLM, LM Studio, OpenRouter, LiteLLM.
//!
//! Requests go to `{base_url}/chat/completions` (the base URL includes `/v1`) with
//! `stream: true` and `stream_options.include_usage`, and `Authorization: Bearer <key>` only
//! when a key is set (local servers need none). The conversation the agent keeps in the
//! Messages form is converted on the way out: the system prompt becomes a system message, tool
//! calls the assistant message's `tool_calls` (arguments as a JSON string), tool results
//! `role: "tool"` messages answering a `tool_call_id`. On the way back each chunk is translated
//! into the Messages API's events and read by the same [`MessageAssembler`] as the Anthropic
//! wire, so a completion (and a tool call whose arguments are not JSON) is built one way.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::time::Duration;

use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use super::assembler::{MessageAssembler, snippet};
use super::http::{Endpoint, Wire, with_retries};
use super::retry::RetryPolicy;
use super::{
    BoxFuture, Completion, ContentBlock, ModelRequest, Provider, ProviderError, Role, StopReason, StreamEvent,
};

/// How to reach one OpenAI-compatible server. `Debug` never prints the key.
#[derive(Clone)]
pub struct OpenAiConfig {
    /// The provider's name, for status lines and messages ("openai", "ollama").
    pub name: String,
    /// Up to and including `/v1`.
    pub base_url: String,
    pub api_key: Option<String>,
    /// Where the key comes from ("OPENAI_API_KEY"); a provider with one cannot be called
    /// without the key, one without needs none.
    pub key_env: Option<String>,
    /// Extra headers sent with every request (OpenRouter's `HTTP-Referer`, a gateway's).
    pub headers: Vec<(String, String)>,
    pub retry: RetryPolicy,
    pub idle_timeout: Duration,
    /// What to say when nothing listens at the address ("is Ollama running?").
    pub connect_hint: Option<String>,
}

impl fmt::Debug for OpenAiConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpenAiConfig")
            .field("name", &self.name)
            .field("base_url", &self.base_url)
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("headers", &self.headers.iter().map(|(n, _)| n).collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

pub struct OpenAiProvider {
    config: OpenAiConfig,
    endpoint: Endpoint,
}

impl OpenAiProvider {
    pub fn new(config: OpenAiConfig) -> Result<Self, ProviderError> {
        let url = format!("{}/chat/completions", config.base_url.trim_end_matches('/'));
        let endpoint = Endpoint::new(url, config.idle_timeout, config.connect_hint.clone(), config.headers.clone())?;
        Ok(OpenAiProvider { config, endpoint })
    }

    async fn attempt(
        &self,
        body: &Value,
        events: &mpsc::UnboundedSender<StreamEvent>,
    ) -> Result<Completion, ProviderError> {
        if self.config.api_key.is_none()
            && let Some(var) = &self.config.key_env
        {
            return Err(ProviderError::MissingCredentials(format!(
                "set {var} for the {} provider, or choose a local one (--provider ollama)",
                self.config.name
            )));
        }
        let mut req = self.endpoint.post();
        if let Some(key) = &self.config.api_key {
            req = req.bearer_auth(key);
        }
        let wire = OpenAiWire { key_env: self.config.key_env.clone(), ..OpenAiWire::default() };
        self.endpoint.attempt(req.json(body), wire, events).await
    }
}

impl Provider for OpenAiProvider {
    fn name(&self) -> &str {
        &self.config.name
    }

    fn credential(&self) -> String {
        match (&self.config.key_env, &self.config.api_key) {
            (Some(var), Some(_)) => var.clone(),
            (Some(var), None) => format!("none ({var} is not set)"),
            (None, _) => "none needed".into(),
        }
    }

    fn stream<'a>(
        &'a self,
        request: &'a ModelRequest,
        events: mpsc::UnboundedSender<StreamEvent>,
    ) -> BoxFuture<'a, Result<Completion, ProviderError>> {
        Box::pin(async move {
            let body = request_body(request);
            with_retries(self.config.retry, &events, || self.attempt(&body, &events)).await
        })
    }
}

/// The request in Chat Completions form.
pub fn request_body(request: &ModelRequest) -> Value {
    let mut messages = Vec::new();
    if !request.system.is_empty() {
        messages.push(json!({"role": "system", "content": request.system.join("\n\n")}));
    }
    for m in &request.messages {
        match m.role {
            Role::User => user_messages(&m.content, &mut messages),
            Role::Assistant => messages.push(assistant_message(&m.content)),
        }
    }
    let mut body = json!({
        "model": request.model,
        "messages": messages,
        "max_tokens": request.max_tokens,
        "stream": true,
        "stream_options": {"include_usage": true},
    });
    if !request.tools.is_empty() {
        let tools: Vec<Value> = request
            .tools
            .iter()
            .map(|t| {
                json!({"type": "function", "function": {
                    "name": t.name, "description": t.description, "parameters": t.input_schema,
                }})
            })
            .collect();
        body["tools"] = Value::Array(tools);
        body["tool_choice"] = json!("auto");
    }
    body
}

/// A user turn: its tool results first (each a `tool` message answering its call), then its
/// text.
fn user_messages(content: &[ContentBlock], out: &mut Vec<Value>) {
    let mut text = String::new();
    for block in content {
        match block {
            ContentBlock::ToolResult { tool_use_id, content, is_error, images } => {
                let mut content = if *is_error { format!("Error: {content}") } else { content.clone() };
                if !images.is_empty() {
                    // Chat Completions' tool messages carry text only.
                    content.push_str(&format!(
                        "\n({} image(s) left out: this provider's tool results carry text only)",
                        images.len()
                    ));
                }
                out.push(json!({"role": "tool", "tool_call_id": tool_use_id, "content": content}));
            }
            ContentBlock::Text { text: t } => {
                if !text.is_empty() {
                    text.push_str("\n\n");
                }
                text.push_str(t);
            }
            _ => {}
        }
    }
    if !text.is_empty() {
        out.push(json!({"role": "user", "content": text}));
    }
}

/// An assistant turn: its text, and its tool calls with their arguments as JSON text.
/// Thinking is not sent back (this wire has no place for it).
fn assistant_message(content: &[ContentBlock]) -> Value {
    let mut text = String::new();
    let mut calls = Vec::new();
    for block in content {
        match block {
            ContentBlock::Text { text: t } => text.push_str(t),
            ContentBlock::ToolUse { id, name, input } => calls.push(json!({
                "id": id, "type": "function", "function": {"name": name, "arguments": input.to_string()},
            })),
            _ => {}
        }
    }
    let mut message = json!({"role": "assistant", "content": if text.is_empty() { Value::Null } else { json!(text) }});
    if !calls.is_empty() {
        message["tool_calls"] = Value::Array(calls);
    }
    message
}

/// One streamed chunk, as far as claw-tui reads it (ids, model names and the rest are skipped
/// unread). Strings borrow from the chunk's text where they can.
#[derive(Deserialize)]
struct Chunk<'a> {
    #[serde(default, borrow)]
    choices: Vec<Choice<'a>>,
    usage: Option<ChunkUsage>,
    error: Option<Value>,
}

#[derive(Deserialize)]
struct Choice<'a> {
    #[serde(default, borrow)]
    delta: Delta<'a>,
    finish_reason: Option<String>,
}

#[derive(Deserialize, Default)]
struct Delta<'a> {
    #[serde(borrow)]
    content: Option<Cow<'a, str>>,
    #[serde(borrow)]
    reasoning_content: Option<Cow<'a, str>>,
    #[serde(borrow)]
    reasoning: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    tool_calls: Vec<CallDelta<'a>>,
}

#[derive(Deserialize)]
struct CallDelta<'a> {
    index: Option<u64>,
    id: Option<String>,
    #[serde(default, borrow)]
    function: FunctionDelta<'a>,
}

#[derive(Deserialize, Default)]
struct FunctionDelta<'a> {
    name: Option<String>,
    #[serde(borrow)]
    arguments: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct ChunkUsage {
    #[serde(default)]
    prompt_tokens: u64,
    #[serde(default)]
    completion_tokens: u64,
    prompt_tokens_details: Option<PromptDetails>,
}

#[derive(Deserialize)]
struct PromptDetails {
    #[serde(default)]
    cached_tokens: u64,
}

/// Chat Completions chunks, read into the [`MessageAssembler`]. Blocks are numbered in the
/// order they first appear: reasoning, text, each tool call.
#[derive(Default)]
struct OpenAiWire {
    assembler: MessageAssembler,
    started: bool,
    thinking: Option<usize>,
    text: Option<usize>,
    /// Tool calls by their index in the chunks, to the block they became.
    tools: HashMap<u64, usize>,
    blocks: usize,
    finish_reason: Option<String>,
    done: bool,
    key_env: Option<String>,
}

impl OpenAiWire {
    fn next_block(&mut self) -> usize {
        self.blocks += 1;
        self.blocks - 1
    }

    fn chunk(&mut self, c: Chunk<'_>, events: &mpsc::UnboundedSender<StreamEvent>) -> Result<(), ProviderError> {
        if let Some(err) = c.error {
            return Err(ProviderError::Stream {
                kind: error_kind(&err).unwrap_or_else(|| "error".into()),
                message: error_message(&err),
                partial: self.assembler.has_content(),
            });
        }
        if !self.started {
            self.started = true;
            // Usage comes at the end on this wire; say "nothing yet" where the Messages API
            // says its input count, so both wires report the same events.
            self.assembler.begin(Some(crate::provider::Usage::default()), events);
        }
        if let Some(choice) = c.choices.into_iter().next() {
            self.delta(choice.delta, events)?;
            if let Some(reason) = choice.finish_reason {
                self.finish_reason = Some(reason);
            }
        }
        if let Some(u) = c.usage {
            // prompt_tokens count the cached ones too; the meter keeps them apart.
            let cached = u.prompt_tokens_details.map_or(0, |d| d.cached_tokens);
            let usage = crate::provider::Usage {
                input_tokens: u.prompt_tokens.saturating_sub(cached),
                output_tokens: u.completion_tokens,
                cache_read_input_tokens: cached,
                ..Default::default()
            };
            self.assembler.set_usage(usage, events);
        }
        Ok(())
    }

    fn delta(&mut self, delta: Delta<'_>, events: &mpsc::UnboundedSender<StreamEvent>) -> Result<(), ProviderError> {
        if let Some(piece) = delta.reasoning_content.or(delta.reasoning).filter(|s| !s.is_empty()) {
            let index = match self.thinking {
                Some(i) => i,
                None => {
                    let i = self.next_block();
                    self.assembler.start_thinking(i);
                    *self.thinking.insert(i)
                }
            };
            self.assembler.delta(index, &piece, events)?;
        }
        if let Some(piece) = delta.content.filter(|s| !s.is_empty()) {
            let index = match self.text {
                Some(i) => i,
                None => {
                    let i = self.next_block();
                    self.assembler.start_text(i);
                    *self.text.insert(i)
                }
            };
            self.assembler.delta(index, &piece, events)?;
        }
        for (position, call) in delta.tool_calls.into_iter().enumerate() {
            let key = call.index.unwrap_or(position as u64);
            let index = match self.tools.get(&key) {
                Some(i) => *i,
                None => {
                    let index = self.next_block();
                    self.tools.insert(key, index);
                    let id = call.id.unwrap_or_else(|| format!("call_{index}"));
                    let name = call.function.name.unwrap_or_default();
                    self.assembler.start_tool(index, id, name, events);
                    index
                }
            };
            if let Some(args) = call.function.arguments.filter(|a| !a.is_empty()) {
                self.assembler.delta(index, &args, events)?;
            }
        }
        Ok(())
    }

    /// The message is complete: its stop reason in the Messages API's words.
    fn close(&mut self) {
        let reason = match self.finish_reason.as_deref() {
            // Some servers say "stop" after calling tools.
            Some("tool_calls" | "function_call") => StopReason::ToolUse,
            Some("stop") | None if !self.tools.is_empty() => StopReason::ToolUse,
            Some("stop") | None => StopReason::EndTurn,
            Some("length") => StopReason::MaxTokens,
            Some("content_filter") => StopReason::Refusal,
            Some(other) => StopReason::Other(other.to_string()),
        };
        self.assembler.stop(reason);
        self.done = true;
    }
}

impl Wire for OpenAiWire {
    fn event(
        &mut self,
        _name: Option<&str>,
        data: &str,
        events: &mpsc::UnboundedSender<StreamEvent>,
    ) -> Result<(), ProviderError> {
        if data.trim() == "[DONE]" {
            if !self.started {
                return Err(ProviderError::Protocol("the stream ended ([DONE]) before any chunk".into()));
            }
            self.close();
            return Ok(());
        }
        let chunk: Chunk = serde_json::from_str(data)
            .map_err(|e| ProviderError::Protocol(format!("malformed chunk ({e}): {}", snippet(data))))?;
        self.chunk(chunk, events)
    }

    fn has_content(&self) -> bool {
        self.assembler.has_content()
    }

    fn is_done(&self) -> bool {
        self.done
    }

    fn finish(mut self, body_ended: bool) -> Result<Completion, ProviderError> {
        if body_ended && !self.done {
            // Servers that end the body after the finishing chunk without `[DONE]`.
            if self.finish_reason.is_none() {
                return Err(ProviderError::Network {
                    message: "the stream ended before the message was complete".into(),
                    partial: self.assembler.has_content(),
                });
            }
            self.close();
        }
        self.assembler.finish()
    }

    fn whole(&self, text: &str, events: &mpsc::UnboundedSender<StreamEvent>) -> Result<Completion, ProviderError> {
        let v: Value = serde_json::from_str(text)
            .map_err(|e| ProviderError::Protocol(format!("invalid JSON ({e}): {}", snippet(text))))?;
        let mut wire = OpenAiWire { key_env: self.key_env.clone(), ..OpenAiWire::default() };
        let choice = v["choices"].get(0).cloned().unwrap_or(Value::Null);
        let mut delta = choice["message"].clone();
        if let Some(calls) = delta["tool_calls"].as_array_mut() {
            for (i, call) in calls.iter_mut().enumerate() {
                call["index"] = json!(i);
            }
        }
        let chunk =
            json!({"choices": [{"delta": delta, "finish_reason": choice["finish_reason"]}], "usage": v["usage"]});
        let chunk = if v.get("error").is_some() { v } else { chunk };
        let chunk = Chunk::deserialize(&chunk)
            .map_err(|e| ProviderError::Protocol(format!("unexpected answer ({e}): {}", snippet(text))))?;
        wire.chunk(chunk, events)?;
        wire.close();
        wire.assembler.finish()
    }

    fn http_error(&self, status: u16, content_type: &str, body: &str, retry_after: Option<Duration>) -> ProviderError {
        let parsed: Option<Value> = serde_json::from_str(body).ok();
        let err = parsed.as_ref().and_then(|v| v.get("error"));
        let kind = err.and_then(error_kind);
        let mut message = match err {
            Some(err) => error_message(err),
            None if body.trim().is_empty() => String::new(),
            None => format!(
                "server answered non-JSON ({}): {}",
                if content_type.is_empty() { "no content type" } else { content_type },
                snippet(body)
            ),
        };
        let lower = message.to_ascii_lowercase();
        if status == 400 && lower.contains("tool") && (lower.contains("support") || lower.contains("not allowed")) {
            message = format!(
                "this model or server does not support tool calls, which claw-tui needs; choose a model that \
                 does (the server said: {message})"
            );
        }
        if status == 401 {
            let check = self.key_env.as_deref().map_or("check the API key".to_string(), |k| format!("check {k}"));
            message = if message.is_empty() { check } else { format!("{check} ({message})") };
        }
        ProviderError::Http { status, kind, message, retry_after }
    }
}

/// An error object's kind: its `type`, else its `code`.
fn error_kind(err: &Value) -> Option<String> {
    err.get("type").and_then(Value::as_str).map(str::to_string).or_else(|| {
        err.get("code").filter(|c| !c.is_null()).map(|c| c.as_str().map_or_else(|| c.to_string(), str::to_string))
    })
}

/// An error object's message; some servers send the error as a bare string.
fn error_message(err: &Value) -> String {
    match err {
        Value::String(s) => s.clone(),
        _ => err["message"].as_str().unwrap_or_default().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds `chunks` (data payloads) through a wire; the completion and what streamed.
    fn read(chunks: &[&str], body_ends: bool) -> (Result<Completion, ProviderError>, Vec<StreamEvent>) {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let mut wire = OpenAiWire::default();
        let mut result = None;
        for c in chunks {
            if let Err(e) = wire.event(None, c, &tx) {
                result = Some(Err(e));
                break;
            }
        }
        let result = result.unwrap_or_else(|| {
            if wire.is_done() || body_ends {
                wire.finish(body_ends)
            } else {
                Err(ProviderError::Protocol("open".into()))
            }
        });
        let mut events = Vec::new();
        while let Ok(e) = rx.try_recv() {
            events.push(e);
        }
        (result, events)
    }

    /// Tool messages carry text only: an image a tool returned is named, not sent.
    #[test]
    fn images_in_tool_results_are_named() {
        let block = ContentBlock::ToolResult {
            tool_use_id: "c1".into(),
            content: "a chart:".into(),
            is_error: false,
            images: vec![crate::provider::ImageData { media_type: "image/png".into(), data: "AAAA".into() }],
        };
        let mut out = Vec::new();
        user_messages(&[block], &mut out);
        assert_eq!(out[0]["content"], "a chart:\n(1 image(s) left out: this provider's tool results carry text only)");
    }

    #[test]
    fn interleaved_tool_calls_are_kept_apart_by_index() {
        let (c, _) = read(
            &[
                r#"{"choices":[{"delta":{"tool_calls":[{"index":0,"id":"a","function":{"name":"read_file","arguments":"{\"pa"}}]}}]}"#,
                r#"{"choices":[{"delta":{"tool_calls":[{"index":1,"id":"b","function":{"name":"glob_search","arguments":"{\"pattern\""}}]}}]}"#,
                r#"{"choices":[{"delta":{"tool_calls":[{"index":0,"function":{"arguments":"th\":\"x\"}"}}]}}]}"#,
                r#"{"choices":[{"delta":{"tool_calls":[{"index":1,"function":{"arguments":":\"*\"}"}}]}}]}"#,
                // Ollama says "stop" after calling tools.
                r#"{"choices":[{"delta":{},"finish_reason":"stop"}]}"#,
                "[DONE]",
            ],
            false,
        );
        let c = c.unwrap();
        assert_eq!(c.stop_reason, StopReason::ToolUse);
        let calls: Vec<_> = c.message.tool_uses().map(|(id, name, input)| (id, name, input.clone())).collect();
        assert_eq!(calls, [("a", "read_file", json!({"path": "x"})), ("b", "glob_search", json!({"pattern": "*"}))]);
    }

    #[test]
    fn reasoning_and_a_server_without_usage_or_done() {
        let (c, events) = read(
            &[
                r#"{"choices":[{"delta":{"reasoning":"think"}}]}"#,
                r#"{"choices":[{"delta":{"content":"answer"}}]}"#,
                r#"{"choices":[{"delta":{},"finish_reason":"length"}]}"#,
            ],
            true,
        );
        let c = c.unwrap();
        assert_eq!(c.stop_reason, StopReason::MaxTokens);
        assert_eq!(c.usage, crate::provider::Usage::default(), "no usage is zero, not a guess");
        assert!(matches!(&c.message.content[0], ContentBlock::Thinking { thinking, .. } if thinking == "think"));
        assert_eq!(c.message.text(), "answer");
        assert!(events.iter().any(|e| matches!(e, StreamEvent::ThinkingDelta { .. })));
    }

    #[test]
    fn error_chunks_and_bad_arguments() {
        let (r, _) = read(
            &[
                r#"{"choices":[{"delta":{"content":"par"}}]}"#,
                r#"{"error":{"message":"overloaded","type":"server_error"}}"#,
            ],
            false,
        );
        match r.unwrap_err() {
            ProviderError::Stream { kind, message, partial } => {
                assert_eq!((kind.as_str(), message.as_str(), partial), ("server_error", "overloaded", true))
            }
            other => panic!("{other:?}"),
        }
        let (r, _) = read(&[r#"{"error":"model not loaded"}"#], false);
        assert!(r.unwrap_err().to_string().contains("model not loaded"));
        // Arguments that are not JSON: the call is kept with {} and reported, not fatal.
        let (c, _) = read(
            &[
                r#"{"choices":[{"delta":{"tool_calls":[{"index":0,"id":"a","function":{"name":"read_file","arguments":"{oops"}}]},"finish_reason":"tool_calls"}]}"#,
                "[DONE]",
            ],
            false,
        );
        let c = c.unwrap();
        assert_eq!(c.invalid_tool_inputs.len(), 1);
        assert_eq!(c.message.tool_uses().next().unwrap().2, &json!({}));
    }

    #[test]
    fn a_whole_json_answer_reads_like_a_stream() {
        let wire = OpenAiWire::default();
        let (tx, _rx) = mpsc::unbounded_channel();
        let body = r#"{"choices":[{"message":{"role":"assistant","content":"hi","tool_calls":[{"id":"t","type":"function","function":{"name":"read_file","arguments":"{\"path\":\"a\"}"}}]},"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":5,"completion_tokens":2}}"#;
        let c = wire.whole(body, &tx).unwrap();
        assert_eq!(c.message.text(), "hi");
        assert_eq!(c.stop_reason, StopReason::ToolUse);
        assert_eq!((c.usage.input_tokens, c.usage.output_tokens), (5, 2));
    }
}
