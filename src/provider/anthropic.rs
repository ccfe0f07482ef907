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
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::sync::mpsc;

pub use super::assembler::MessageAssembler;
use super::assembler::snippet;
use super::http::{Endpoint, Wire, with_retries};
use super::retry::RetryPolicy;
use super::{BoxFuture, Completion, ModelRequest, Provider, ProviderError, StreamEvent};

pub const DEFAULT_BASE_URL: &str = "https://api.anthropic.com";
pub const API_VERSION: &str = "2023-06-01";
/// How long the server may stay silent (before the response headers, and between two pieces
/// of the stream) before the connection is treated as dead and the request retried. The API
/// sends `ping` events while the model thinks, so 90 seconds of silence means it is gone.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(90);

/// Credentials. `Debug` never prints the secret.
#[derive(Clone)]
pub enum Auth {
    ApiKey(String),
    BearerToken(String),
    /// `claw-tui login`'s tokens, refreshed as they expire.
    OAuth(Arc<OAuthLogin>),
}

impl PartialEq for Auth {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Auth::ApiKey(a), Auth::ApiKey(b)) | (Auth::BearerToken(a), Auth::BearerToken(b)) => a == b,
            (Auth::OAuth(a), Auth::OAuth(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Auth::ApiKey(_) => f.write_str("ApiKey(<redacted>)"),
            Auth::BearerToken(_) => f.write_str("BearerToken(<redacted>)"),
            Auth::OAuth(_) => f.write_str("OAuth(<redacted>)"),
        }
    }
}

impl Auth {
    /// Which credential this is, for /status and `init` lines (never the secret).
    pub fn describe(&self) -> &'static str {
        match self {
            Auth::ApiKey(_) => "API key",
            Auth::BearerToken(_) => "auth token",
            Auth::OAuth(_) => "claw-tui login",
        }
    }
}

/// A login's tokens in use: the access token, refreshed (and stored again) when it is about
/// to expire or the API says it is no longer good.
pub struct OAuthLogin {
    tokens: tokio::sync::Mutex<crate::oauth::Tokens>,
    endpoints: crate::oauth::Endpoints,
}

impl OAuthLogin {
    pub fn new(tokens: crate::oauth::Tokens, endpoints: crate::oauth::Endpoints) -> OAuthLogin {
        OAuthLogin { tokens: tokio::sync::Mutex::new(tokens), endpoints }
    }

    /// The access token to send; refreshed first when stale or when `renew` (after a 401).
    pub async fn bearer(&self, renew: bool) -> Result<String, ProviderError> {
        let mut tokens = self.tokens.lock().await;
        if renew || tokens.stale() {
            let fresh = crate::oauth::refresh(&self.endpoints, &tokens.refresh_token).await.map_err(|e| {
                ProviderError::Http {
                    status: 401,
                    kind: Some("authentication_error".into()),
                    message: format!("the login could not be renewed ({e}); run `claw-tui login` again"),
                    retry_after: None,
                }
            })?;
            if let Err(e) = crate::oauth::save(&fresh) {
                tracing::warn!("the renewed login could not be stored: {e}");
            }
            *tokens = fresh;
        }
        Ok(tokens.access_token.clone())
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
    /// Extra headers sent with every request (`[providers.NAME] headers`).
    pub headers: Vec<(String, String)>,
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
            headers: Vec::new(),
        }
    }
}

pub struct AnthropicProvider {
    config: AnthropicConfig,
    endpoint: Endpoint,
}

impl AnthropicProvider {
    pub fn new(config: AnthropicConfig) -> Result<Self, ProviderError> {
        let url = format!("{}/v1/messages", config.base_url.trim_end_matches('/'));
        let endpoint = Endpoint::new(url, config.idle_timeout, None, config.headers.clone())?;
        Ok(AnthropicProvider { config, endpoint })
    }

    async fn attempt(
        &self,
        body: &Value,
        events: &mpsc::UnboundedSender<StreamEvent>,
    ) -> Result<Completion, ProviderError> {
        let auth = self.config.auth.as_ref().ok_or_else(|| {
            ProviderError::MissingCredentials(
                "set ANTHROPIC_API_KEY (or ANTHROPIC_AUTH_TOKEN), run `claw-tui login`, or try `claw-tui --demo`"
                    .into(),
            )
        })?;
        let req = self.endpoint.post().header("anthropic-version", API_VERSION);
        let login = match auth {
            Auth::ApiKey(key) => return self.send(req.header("x-api-key", key), body, events).await,
            Auth::BearerToken(token) => return self.send(req.bearer_auth(token), body, events).await,
            Auth::OAuth(login) => login,
        };
        let (name, value) = crate::oauth::BETA_HEADER;
        let req = req.header(name, value);
        let bearer = login.bearer(false).await?;
        let first = self.send(req.try_clone().expect("a JSON request clones").bearer_auth(bearer), body, events).await;
        match first {
            // The token went bad before its time (revoked, or the clock): renew it once.
            Err(ProviderError::Http { status: 401, .. }) => {
                let bearer = login.bearer(true).await?;
                self.send(req.bearer_auth(bearer), body, events).await
            }
            other => other,
        }
    }

    async fn send(
        &self,
        req: reqwest::RequestBuilder,
        body: &Value,
        events: &mpsc::UnboundedSender<StreamEvent>,
    ) -> Result<Completion, ProviderError> {
        let check = match self.config.auth {
            Some(Auth::OAuth(_)) => "the login was refused; run `claw-tui login` again",
            _ => "check ANTHROPIC_API_KEY",
        };
        self.endpoint.attempt(req.json(body), AnthropicWire { assembler: MessageAssembler::new(), check }, events).await
    }
}

/// The Messages API's event stream, read by the [`MessageAssembler`].
struct AnthropicWire {
    assembler: MessageAssembler,
    /// What a 401 should tell the user to check.
    check: &'static str,
}

impl Wire for AnthropicWire {
    fn event(
        &mut self,
        name: Option<&str>,
        data: &str,
        events: &mpsc::UnboundedSender<StreamEvent>,
    ) -> Result<(), ProviderError> {
        self.assembler.handle(name, data, events)
    }

    fn has_content(&self) -> bool {
        self.assembler.has_content()
    }

    fn is_done(&self) -> bool {
        self.assembler.is_done()
    }

    fn finish(self, body_ended: bool) -> Result<Completion, ProviderError> {
        if body_ended && !self.assembler.is_done() {
            return Err(ProviderError::Network {
                message: "the stream ended before the message was complete".into(),
                partial: self.assembler.has_content(),
            });
        }
        self.assembler.finish()
    }

    fn whole(&self, text: &str, events: &mpsc::UnboundedSender<StreamEvent>) -> Result<Completion, ProviderError> {
        completion_from_json(text, events)
    }

    fn http_error(&self, status: u16, content_type: &str, body: &str, retry_after: Option<Duration>) -> ProviderError {
        http_error(status, content_type, body, retry_after, self.check)
    }
}

impl Provider for AnthropicProvider {
    fn name(&self) -> &str {
        "anthropic"
    }

    fn credential(&self) -> String {
        self.config.auth.as_ref().map_or("none", Auth::describe).to_string()
    }

    fn stream<'a>(
        &'a self,
        request: &'a ModelRequest,
        events: mpsc::UnboundedSender<StreamEvent>,
    ) -> BoxFuture<'a, Result<Completion, ProviderError>> {
        Box::pin(async move {
            let body = request_body(request, true);
            with_retries(self.config.retry, &events, || self.attempt(&body, &events)).await
        })
    }
}

fn http_error(
    status: u16,
    content_type: &str,
    body: &str,
    retry_after: Option<std::time::Duration>,
    check: &str,
) -> ProviderError {
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
        message = if message.is_empty() { check.to_string() } else { format!("{check} ({message})") };
    }
    ProviderError::Http { status, kind, message, retry_after }
}

/// A tool result with images, as the Messages API takes it: its content an array of the text
/// and the images (base64 sources). Other blocks are left as they are.
fn with_images(block: &mut Value) {
    let Some(images) = block.as_object_mut().and_then(|b| b.remove("images")) else { return };
    let mut content = vec![json!({"type": "text", "text": block["content"].clone()})];
    for image in images.as_array().into_iter().flatten() {
        content.push(json!({
            "type": "image",
            "source": {"type": "base64", "media_type": image["media_type"], "data": image["data"]}
        }));
    }
    block["content"] = Value::Array(content);
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
    for block in messages.iter_mut().filter_map(|m| m["content"].as_array_mut()).flatten() {
        with_images(block);
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::{Message, ToolSpec};

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
            "check ANTHROPIC_API_KEY",
        );
        assert_eq!(e.to_string(), "authentication failed (401): check ANTHROPIC_API_KEY (invalid x-api-key)");
        let e = http_error(502, "text/html", "<html>Bad gateway</html>", None, "check ANTHROPIC_API_KEY");
        assert_eq!(e.to_string(), "bad gateway (502): server answered non-JSON (text/html): <html>Bad gateway</html>");
        assert!(e.is_retryable());
    }

    #[test]
    fn auth_debug_hides_the_secret() {
        let a = Auth::ApiKey("sk-ant-secret".into());
        assert!(!format!("{a:?}").contains("secret"));
    }
}
