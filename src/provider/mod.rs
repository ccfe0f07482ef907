//! Model APIs behind one trait.
//!
//! A [`Provider`] takes a [`ModelRequest`] (system prompt, history, tool specs) and streams the
//! model's answer as [`StreamEvent`]s while it assembles the complete assistant message, which
//! it returns as a [`Completion`]. The wire format of each API lives in its own module; the
//! message types here follow the Anthropic Messages API shape, which is also what session files
//! store, so a message survives a round trip through disk unchanged.
//!
//! This module knows nothing about the agent loop, tools or terminals.

pub mod anthropic;
pub mod assembler;
pub mod catalog;
pub(crate) mod http;
pub mod openai;
pub mod pricing;
pub mod retry;
pub mod scripted;
pub mod select;
pub mod sse;

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::mpsc;

/// Who said a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    User,
    Assistant,
}

/// One message of the conversation, as the Messages API and session files spell it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub role: Role,
    pub content: Vec<ContentBlock>,
}

impl Message {
    pub fn user_text(text: impl Into<String>) -> Self {
        Message { role: Role::User, content: vec![ContentBlock::Text { text: text.into() }] }
    }

    /// The concatenated text blocks of the message (thinking and tool blocks excluded).
    pub fn text(&self) -> String {
        let mut out = String::new();
        for block in &self.content {
            if let ContentBlock::Text { text } = block {
                out.push_str(text);
            }
        }
        out
    }

    /// The tool calls the message asks for, in order.
    pub fn tool_uses(&self) -> impl Iterator<Item = (&str, &str, &Value)> {
        self.content.iter().filter_map(|b| match b {
            ContentBlock::ToolUse { id, name, input } => Some((id.as_str(), name.as_str(), input)),
            _ => None,
        })
    }
}

/// A content block. Serialized exactly as the Messages API expects (`"type": "text"`, ...), so
/// thinking blocks and their signatures go back to the model byte for byte.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ContentBlock {
    Text {
        text: String,
    },
    Thinking {
        thinking: String,
        #[serde(default)]
        signature: String,
    },
    RedactedThinking {
        data: String,
    },
    ToolUse {
        id: String,
        name: String,
        input: Value,
    },
    ToolResult {
        tool_use_id: String,
        content: String,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        is_error: bool,
        /// Images that came with the result (an MCP tool's). Not a field of the Messages
        /// API: each provider sends them as its wire allows (see [`ImageData`]).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        images: Vec<ImageData>,
    },
}

/// An image a tool returned: its media type and base64 data. The Anthropic wire sends it in the
/// tool result; the OpenAI wire, whose tool messages carry text only, says it was left out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageData {
    pub media_type: String,
    pub data: String,
}

/// A tool as the model sees it: name, description and a JSON schema for its input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolSpec {
    pub name: String,
    pub description: String,
    pub input_schema: Value,
}

/// Extended thinking settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThinkingConfig {
    pub budget_tokens: u32,
}

/// Everything one model call needs.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelRequest {
    pub model: String,
    /// System prompt sections, in order. The last one carries the cache breakpoint.
    pub system: Vec<String>,
    pub messages: Vec<Message>,
    pub tools: Vec<ToolSpec>,
    pub max_tokens: u32,
    pub thinking: Option<ThinkingConfig>,
}

/// Token counts of one model call, as the API reports them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    #[serde(default)]
    pub input_tokens: u64,
    #[serde(default)]
    pub output_tokens: u64,
    #[serde(default)]
    pub cache_creation_input_tokens: u64,
    #[serde(default)]
    pub cache_read_input_tokens: u64,
}

impl Usage {
    pub fn add(&mut self, other: &Usage) {
        self.input_tokens += other.input_tokens;
        self.output_tokens += other.output_tokens;
        self.cache_creation_input_tokens += other.cache_creation_input_tokens;
        self.cache_read_input_tokens += other.cache_read_input_tokens;
    }

    /// Tokens of the prompt the model saw (fresh + cache write + cache read): what fills the
    /// context window.
    pub fn context_tokens(&self) -> u64 {
        self.input_tokens + self.cache_creation_input_tokens + self.cache_read_input_tokens
    }
}

/// Why the model stopped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    EndTurn,
    ToolUse,
    MaxTokens,
    StopSequence,
    PauseTurn,
    Refusal,
    #[serde(untagged)]
    Other(String),
}

impl StopReason {
    pub fn parse(s: &str) -> Self {
        match s {
            "end_turn" => StopReason::EndTurn,
            "tool_use" => StopReason::ToolUse,
            "max_tokens" => StopReason::MaxTokens,
            "stop_sequence" => StopReason::StopSequence,
            "pause_turn" => StopReason::PauseTurn,
            "refusal" => StopReason::Refusal,
            other => StopReason::Other(other.to_string()),
        }
    }
}

/// What a provider reports while a call streams. Deltas carry the index of the content block
/// they belong to, so a consumer can keep parallel blocks apart.
#[derive(Debug, Clone, PartialEq)]
pub enum StreamEvent {
    TextDelta {
        index: usize,
        text: String,
    },
    ThinkingDelta {
        index: usize,
        text: String,
    },
    ToolUseStarted {
        index: usize,
        id: String,
        name: String,
    },
    ToolInputDelta {
        index: usize,
        partial_json: String,
    },
    /// Usage so far (sent at message start and again when final counts arrive).
    Usage(Usage),
    /// The call failed in a way worth retrying; the provider will try again after `delay`.
    Retrying {
        attempt: u32,
        max_retries: u32,
        delay: Duration,
        error: ProviderError,
    },
}

/// The finished answer of one call.
#[derive(Debug, Clone, PartialEq)]
pub struct Completion {
    pub message: Message,
    pub stop_reason: StopReason,
    pub usage: Usage,
    /// Tool calls whose streamed input was not valid JSON: (tool_use id, raw input, parse error).
    /// The message holds `{}` for their input so the history stays valid.
    pub invalid_tool_inputs: Vec<(String, String, String)>,
}

/// What went wrong talking to a model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProviderError {
    /// No credentials were found.
    MissingCredentials(String),
    /// The server answered with an error status.
    Http { status: u16, kind: Option<String>, message: String, retry_after: Option<Duration> },
    /// The connection failed or dropped. `partial` is true when content had already streamed.
    Network { message: String, partial: bool },
    /// The server sent an `error` event in the stream.
    Stream { kind: String, message: String, partial: bool },
    /// An event in the stream could not be read (bad JSON, a line beyond the size bound).
    Malformed { message: String, partial: bool },
    /// The server's answer could not be understood.
    Protocol(String),
}

/// A coarse class of error, for display and for scripts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    Auth,
    Permission,
    NotFound,
    BadRequest,
    RateLimit,
    Overloaded,
    Server,
    Network,
    Protocol,
    Config,
    IterationLimit,
    Session,
    Other,
}

impl ProviderError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            ProviderError::MissingCredentials(_) => ErrorKind::Auth,
            ProviderError::Http { status, .. } => match status {
                401 => ErrorKind::Auth,
                403 => ErrorKind::Permission,
                404 => ErrorKind::NotFound,
                400 | 413 | 422 => ErrorKind::BadRequest,
                429 => ErrorKind::RateLimit,
                529 => ErrorKind::Overloaded,
                _ => ErrorKind::Server,
            },
            ProviderError::Network { .. } => ErrorKind::Network,
            ProviderError::Stream { kind, .. } => match kind.as_str() {
                "overloaded_error" => ErrorKind::Overloaded,
                "rate_limit_error" => ErrorKind::RateLimit,
                "authentication_error" => ErrorKind::Auth,
                "invalid_request_error" => ErrorKind::BadRequest,
                _ => ErrorKind::Server,
            },
            ProviderError::Protocol(_) | ProviderError::Malformed { .. } => ErrorKind::Protocol,
        }
    }

    /// Whether trying the same request again may succeed: transient statuses, a connection
    /// that failed or broke, a transient error event, a malformed event. A request has no
    /// effect but its answer, so one that broke mid-answer is retried too (what streamed of it
    /// is discarded: see [`ProviderError::partial`]).
    pub fn is_retryable(&self) -> bool {
        match self {
            ProviderError::Http { status, .. } => retry::is_retryable_status(*status),
            ProviderError::Network { .. } | ProviderError::Malformed { .. } => true,
            ProviderError::Stream { kind, .. } => {
                matches!(kind.as_str(), "overloaded_error" | "api_error" | "rate_limit_error")
            }
            ProviderError::MissingCredentials(_) | ProviderError::Protocol(_) => false,
        }
    }

    /// Whether part of an answer had streamed when this happened.
    pub fn partial(&self) -> bool {
        match self {
            ProviderError::Network { partial, .. }
            | ProviderError::Stream { partial, .. }
            | ProviderError::Malformed { partial, .. } => *partial,
            _ => false,
        }
    }

    /// The error as the last word: a server-given wait (of a second or more) says when to try
    /// again.
    pub fn with_retry_hint(self) -> ProviderError {
        match self {
            // Under a second, "try again after" would be now.
            ProviderError::Http { status, kind, mut message, retry_after: Some(after) }
                if after >= Duration::from_secs(1) =>
            {
                let at = chrono::Local::now() + chrono::Duration::milliseconds(after.as_millis() as i64);
                let hint = format!(
                    "the server asks to wait {}s: try again after {}",
                    after.as_secs_f64().ceil() as u64,
                    at.format("%H:%M:%S")
                );
                message = if message.is_empty() { hint } else { format!("{message}; {hint}") };
                ProviderError::Http { status, kind, message, retry_after: Some(after) }
            }
            other => other,
        }
    }

    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            ProviderError::Http { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

impl fmt::Display for ProviderError {
    /// The message, with any credentials in a URL hidden (reqwest names the URL it failed on).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = Unredacted(self).to_string();
        f.write_str(&crate::sanitize::redact_url_credentials(&text))
    }
}

/// The message as the error holds it.
struct Unredacted<'a>(&'a ProviderError);

impl fmt::Display for Unredacted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            ProviderError::MissingCredentials(hint) => write!(f, "no API key: {hint}"),
            ProviderError::Http { status, message, .. } => {
                let what = match status {
                    400 => "bad request",
                    401 => "authentication failed",
                    403 => "permission denied",
                    404 => "not found",
                    408 => "request timed out",
                    409 => "conflict",
                    413 => "request too large",
                    429 => "rate limited",
                    500 => "server error",
                    502 => "bad gateway",
                    503 => "service unavailable",
                    504 => "gateway timeout",
                    529 => "overloaded",
                    _ => "request failed",
                };
                write!(f, "{what} ({status})")?;
                if !message.is_empty() {
                    write!(f, ": {message}")?;
                }
                Ok(())
            }
            ProviderError::Network { message, partial } => {
                if *partial {
                    write!(f, "connection lost mid-answer: {message}")
                } else {
                    write!(f, "connection failed: {message}")
                }
            }
            ProviderError::Stream { kind, message, .. } => write!(f, "model stream error ({kind}): {message}"),
            ProviderError::Protocol(message) => write!(f, "unexpected answer from the server: {message}"),
            ProviderError::Malformed { message, .. } => write!(f, "the server sent a malformed event: {message}"),
        }
    }
}

impl std::error::Error for ProviderError {}

/// A boxed future, so providers can be used as trait objects.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A model API.
///
/// Contract of [`Provider::stream`]: deltas are sent on `events` as they arrive, in order; on
/// success the returned [`Completion`] holds the same content assembled. Retries happen inside
/// (each announced with [`StreamEvent::Retrying`] before the wait), so a returned error is
/// final. Cancellation is by dropping the future: the HTTP stream is closed at once and nothing
/// more is sent on `events`.
pub trait Provider: Send + Sync {
    /// A short name for status lines ("anthropic", "scripted").
    fn name(&self) -> &str;

    /// Which credential the provider uses, for /status ("API key", "claw-tui login",
    /// "OPENAI_API_KEY", "none"); never the secret itself.
    fn credential(&self) -> String {
        String::new()
    }

    fn stream<'a>(
        &'a self,
        request: &'a ModelRequest,
        events: mpsc::UnboundedSender<StreamEvent>,
    ) -> BoxFuture<'a, Result<Completion, ProviderError>>;
}
