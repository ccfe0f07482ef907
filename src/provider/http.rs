//! The HTTP side the streaming providers share: one attempt (send, status, content type, the
//! event stream read within an idle timeout), the retry loop around attempts, and errors that
//! name the server (never a credential).
//!
//! A provider says how its wire reads through [`Wire`]: how one server-sent event is decoded,
//! how a whole (non-streamed) JSON answer is, and what an error status means.

use std::time::Duration;

use futures_util::StreamExt;
use tokio::sync::mpsc;

use super::assembler::snippet;
use super::retry::{RetryPolicy, parse_retry_after};
use super::sse::SseDecoder;
use super::{Completion, ProviderError, StreamEvent};

const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// How one provider's answers read.
pub(crate) trait Wire {
    /// Decodes one server-sent event (`name` is its `event:` field).
    fn event(
        &mut self,
        name: Option<&str>,
        data: &str,
        events: &mpsc::UnboundedSender<StreamEvent>,
    ) -> Result<(), ProviderError>;
    /// Whether content has streamed (a failure after it cannot be retried silently).
    fn has_content(&self) -> bool;
    /// Whether the message is complete (nothing more needs reading).
    fn is_done(&self) -> bool;
    /// The completion, once done; or when the body ended, whatever that means on this wire.
    fn finish(self, body_ended: bool) -> Result<Completion, ProviderError>;
    /// A server that ignored `stream: true` and answered the whole message as JSON.
    fn whole(&self, text: &str, events: &mpsc::UnboundedSender<StreamEvent>) -> Result<Completion, ProviderError>;
    /// An error status and its body.
    fn http_error(&self, status: u16, content_type: &str, body: &str, retry_after: Option<Duration>) -> ProviderError;
}

/// A streaming endpoint: the client, where it is, and how long it may stay silent.
pub(crate) struct Endpoint {
    client: reqwest::Client,
    pub url: String,
    idle_timeout: Duration,
    /// Said after "cannot connect": what is probably wrong ("is Ollama running?").
    connect_hint: Option<String>,
    /// Sent with every request (`[providers.NAME] headers`).
    headers: Vec<(String, String)>,
}

impl Endpoint {
    pub fn new(
        url: String,
        idle_timeout: Duration,
        connect_hint: Option<String>,
        headers: Vec<(String, String)>,
    ) -> Result<Endpoint, ProviderError> {
        crate::install_crypto_provider();
        let client = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .user_agent(concat!("claw-tui/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ProviderError::Protocol(format!("cannot build the HTTP client: {e}")))?;
        Ok(Endpoint { client, url, idle_timeout, connect_hint, headers })
    }

    /// A POST to the endpoint asking for an event stream, with the configured headers.
    pub fn post(&self) -> reqwest::RequestBuilder {
        let mut req = self
            .client
            .post(&self.url)
            .header("content-type", "application/json")
            .header("accept", "text/event-stream");
        for (name, value) in &self.headers {
            req = req.header(name, value);
        }
        req
    }

    /// The server, for messages: scheme, host and port, never credentials.
    pub fn place(&self) -> String {
        reqwest::Url::parse(&self.url).map(|u| place(&u)).unwrap_or_else(|_| "the server".into())
    }

    /// A network error from reqwest, naming the server.
    fn network(&self, e: &reqwest::Error, partial: bool) -> ProviderError {
        if let Some(hint) = self.connect_hint.as_deref().filter(|_| e.is_connect() && !partial) {
            let message = format!("{} ({})", nothing_listening(&self.url, hint), root_cause(e));
            return ProviderError::Network { message, partial };
        }
        ProviderError::Network { message: describe_reqwest_error(e, &self.place()), partial }
    }

    /// The response's whole body, within the idle timeout.
    async fn body_text(&self, response: reqwest::Response) -> Result<String, ProviderError> {
        match tokio::time::timeout(self.idle_timeout, response.text()).await {
            Ok(text) => text.map_err(|e| self.network(&e, false)),
            Err(_) => Err(self.silent(false)),
        }
    }

    /// The error for a server that went silent for the idle timeout.
    fn silent(&self, partial: bool) -> ProviderError {
        let what = if partial { "sent nothing more" } else { "sent no answer" };
        let t = self.idle_timeout;
        let waited =
            if t < Duration::from_secs(1) { format!("{} ms", t.as_millis()) } else { format!("{}s", t.as_secs()) };
        ProviderError::Network { message: format!("{} {what} for {waited}", self.place()), partial }
    }

    /// Sends `request` and reads the answer through `wire`.
    pub async fn attempt<W: Wire>(
        &self,
        request: reqwest::RequestBuilder,
        mut wire: W,
        events: &mpsc::UnboundedSender<StreamEvent>,
    ) -> Result<Completion, ProviderError> {
        // A server that accepts the connection and never answers is given up on like a
        // silent stream.
        let response = match tokio::time::timeout(self.idle_timeout, request.send()).await {
            Ok(sent) => sent.map_err(|e| self.network(&e, false))?,
            Err(_) => return Err(self.silent(false)),
        };
        let status = response.status().as_u16();
        let content_type = content_type(&response);
        if !(200..300).contains(&status) {
            let retry_after = parse_retry_after(response.headers());
            let text = self.body_text(response).await.unwrap_or_default();
            return Err(wire.http_error(status, &content_type, &text, retry_after));
        }
        if content_type.starts_with("application/json") {
            let text = self.body_text(response).await?;
            return wire.whole(&text, events);
        }
        if !content_type.is_empty() && !content_type.starts_with("text/event-stream") {
            let text = self.body_text(response).await.unwrap_or_default();
            return Err(ProviderError::Protocol(format!(
                "expected an event stream, got {content_type}: {}",
                snippet(&text)
            )));
        }
        let mut decoder = SseDecoder::new();
        let mut body = response.bytes_stream();
        loop {
            let chunk = match tokio::time::timeout(self.idle_timeout, body.next()).await {
                Err(_) => return Err(self.silent(wire.has_content())),
                Ok(None) => break,
                Ok(Some(Err(e))) => return Err(self.network(&e, wire.has_content())),
                Ok(Some(Ok(chunk))) => chunk,
            };
            for event in decoder.feed(&chunk) {
                // An event that cannot be read is a fault of the transport as much as of the
                // server: worth another try.
                wire.event(event.event.as_deref(), &event.data, events).map_err(|e| match e {
                    ProviderError::Protocol(message) => {
                        ProviderError::Malformed { message, partial: wire.has_content() }
                    }
                    other => other,
                })?;
                if wire.is_done() {
                    return wire.finish(false);
                }
            }
            if decoder.overflowed() {
                return Err(ProviderError::Malformed {
                    message: format!(
                        "one event was longer than {} MiB; the stream was given up",
                        super::sse::MAX_EVENT_BYTES >> 20
                    ),
                    partial: wire.has_content(),
                });
            }
        }
        decoder.finish();
        wire.finish(true)
    }
}

/// Runs `attempt` until it succeeds, fails for good, or the retries allowed by `policy` are
/// spent; each retry is announced on `events` first.
pub(crate) async fn with_retries<F, Fut>(
    policy: RetryPolicy,
    events: &mpsc::UnboundedSender<StreamEvent>,
    mut attempt: F,
) -> Result<Completion, ProviderError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<Completion, ProviderError>>,
{
    let mut n = 0;
    loop {
        let error = match attempt().await {
            Ok(done) => return Ok(done),
            Err(error) => error,
        };
        let delay = match policy.delay(n + 1, error.retry_after()) {
            Some(delay) if error.is_retryable() && n < policy.max_retries => delay,
            _ => return Err(error.with_retry_hint()),
        };
        n += 1;
        let _ = events.send(StreamEvent::Retrying { attempt: n, max_retries: policy.max_retries, delay, error });
        tokio::time::sleep(delay).await;
    }
}

/// "nothing listening at 127.0.0.1:11434 — is Ollama running?": a local server not started.
pub(crate) fn nothing_listening(url: &str, hint: &str) -> String {
    let at = reqwest::Url::parse(url).map(|u| place(&u)).unwrap_or_else(|_| url.to_string());
    let at = at.split_once("://").map_or(at.as_str(), |(_, hostport)| hostport);
    format!("nothing listening at {at} — {hint}")
}

fn content_type(response: &reqwest::Response) -> String {
    response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase()
}

fn place(url: &reqwest::Url) -> String {
    let host = url.host_str().unwrap_or("?");
    match url.port() {
        Some(port) => format!("{}://{host}:{port}", url.scheme()),
        None => format!("{}://{host}", url.scheme()),
    }
}

fn root_cause(e: &reqwest::Error) -> String {
    let mut root: &dyn std::error::Error = e;
    while let Some(s) = root.source() {
        root = s;
    }
    root.to_string()
}

fn describe_reqwest_error(e: &reqwest::Error, fallback: &str) -> String {
    let cause = root_cause(e);
    let place = e.url().map(place).unwrap_or_else(|| fallback.to_string());
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
