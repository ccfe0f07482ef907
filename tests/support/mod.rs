//! The mock model server: HTTP/1.1 on 127.0.0.1, speaking the Anthropic Messages API and
//! playing a scenario file (see `claw_tui::provider::scripted`). Every request is recorded so
//! tests can assert on what was sent.
//!
//! It runs on its own thread with its own runtime, so both async tests and tests that run the
//! binary can use it. Responses close the connection; streams use chunked encoding, so a
//! scripted drop mid-stream looks to the client exactly like a connection cut in half.

#![allow(dead_code)] // each test binary uses a different part

use std::io;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use claw_tui::provider::scripted::{BlockScript, Reply, Scenario};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A request as the server received it.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    pub method: String,
    pub path: String,
    /// Header names lower-cased.
    pub headers: Vec<(String, String)>,
    pub raw_body: String,
    pub body: Value,
    /// When it arrived.
    pub at: std::time::Instant,
}

impl RecordedRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// The whole request as text: request line, headers and body.
    pub fn full_text(&self) -> String {
        let headers: Vec<String> = self.headers.iter().map(|(n, v)| format!("{n}: {v}")).collect();
        format!("{} {}\n{}\n\n{}", self.method, self.path, headers.join("\n"), self.raw_body)
    }
}

pub struct MockServer {
    pub url: String,
    requests: Arc<Mutex<Vec<RecordedRequest>>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl MockServer {
    /// Starts a server playing `scenario`.
    pub fn start(scenario: Scenario) -> MockServer {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        listener.set_nonblocking(true).unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel();
        let recorded = requests.clone();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            rt.block_on(serve(listener, Arc::new(scenario), recorded, stop_rx));
        });
        MockServer { url, requests, stop: Some(stop_tx), thread: Some(thread) }
    }

    /// Loads `tests/scenarios/<name>.json` and starts a server playing it.
    pub fn scenario(name: &str) -> MockServer {
        MockServer::start(load_scenario(name))
    }

    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.requests.lock().unwrap().clone()
    }

    /// Every tool result the model was sent (in the last request), in order: (content,
    /// is_error).
    pub fn tool_results(&self) -> Vec<(String, bool)> {
        let requests = self.requests();
        let Some(last) = requests.last() else { return Vec::new() };
        last.body["messages"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["role"] == "user")
            .flat_map(|m| m["content"].as_array().cloned().unwrap_or_default())
            .filter(|b| b["type"] == "tool_result")
            .map(|b| (b["content"].as_str().unwrap_or_default().to_string(), b["is_error"].as_bool().unwrap_or(false)))
            .collect()
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A model that makes `calls` one after the other (each answered before the next), then says
/// it is done.
pub fn model_calling(calls: &[(&str, Value)]) -> MockServer {
    let mut replies: Vec<Value> = calls
        .iter()
        .enumerate()
        .map(|(i, (tool, input))| {
            json!({"content": [{"type": "tool_use", "id": format!("toolu_{i}"), "name": tool, "input": input}]})
        })
        .collect();
    replies.push(json!({"content": [{"type": "text", "text": "done"}]}));
    let scenario = json!({"name": "calls", "description": "tool calls, then done", "replies": replies});
    MockServer::start(Scenario::from_json(&scenario.to_string()).unwrap())
}

pub fn load_scenario(name: &str) -> Scenario {
    let path = format!("{}/tests/scenarios/{name}.json", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    Scenario::from_json(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

async fn serve(
    listener: std::net::TcpListener,
    scenario: Arc<Scenario>,
    requests: Arc<Mutex<Vec<RecordedRequest>>>,
    mut stop: tokio::sync::oneshot::Receiver<()>,
) {
    let listener = TcpListener::from_std(listener).unwrap();
    let next = Arc::new(Mutex::new(Vec::<usize>::new()));
    loop {
        tokio::select! {
            _ = &mut stop => break,
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let scenario = scenario.clone();
                let requests = requests.clone();
                let next = next.clone();
                tokio::spawn(async move {
                    let _ = handle(stream, scenario, requests, next).await;
                });
            }
        }
    }
}

async fn read_request(stream: &mut TcpStream) -> io::Result<Option<RecordedRequest>> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let header_end = loop {
        if let Some(pos) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break pos;
        }
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(None);
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..header_end]).into_owned();
    let mut lines = head.split("\r\n");
    let request_line = lines.next().unwrap_or_default();
    let mut parts = request_line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_string();
    let path = parts.next().unwrap_or_default().to_string();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let length: usize =
        headers.iter().find(|(n, _)| n == "content-length").and_then(|(_, v)| v.parse().ok()).unwrap_or(0);
    let mut body = buf[header_end + 4..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    let raw_body = String::from_utf8_lossy(&body).into_owned();
    let body = serde_json::from_str(&raw_body).unwrap_or(Value::Null);
    Ok(Some(RecordedRequest { method, path, headers, raw_body, body, at: std::time::Instant::now() }))
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        408 => "Request Timeout",
        409 => "Conflict",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        529 => "Overloaded",
        _ => "Status",
    }
}

async fn respond(
    stream: &mut TcpStream,
    status: u16,
    content_type: &str,
    extra: &[(String, String)],
    body: &str,
) -> io::Result<()> {
    let mut head = format!(
        "HTTP/1.1 {status} {}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n",
        reason(status),
        body.len()
    );
    for (n, v) in extra {
        head.push_str(&format!("{n}: {v}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body.as_bytes()).await?;
    stream.flush().await
}

/// What the client said since the model's last message: the last user message (with its tool
/// results) on the Anthropic wire, the `tool` messages and the user message on the OpenAI one.
fn last_user_text(body: &Value) -> String {
    let messages = body["messages"].as_array().cloned().unwrap_or_default();
    let since = messages.iter().rposition(|m| m["role"] == "assistant").map_or(0, |i| i + 1);
    messages[since..].iter().filter(|m| m["role"] != "system").map(|m| m["content"].to_string()).collect()
}

async fn handle(
    mut stream: TcpStream,
    scenario: Arc<Scenario>,
    requests: Arc<Mutex<Vec<RecordedRequest>>>,
    next: Arc<Mutex<Vec<usize>>>,
) -> io::Result<()> {
    let Some(request) = read_request(&mut stream).await? else { return Ok(()) };
    requests.lock().unwrap().push(request.clone());
    // An OpenAI-compatible server's model list, and Ollama's details of one model.
    if request.method == "GET" && request.path == "/v1/models" {
        let body = json!({"object": "list", "data": [{"id": "mock-coder", "object": "model"}, {"id": "mock-chat", "object": "model"}]});
        return respond(&mut stream, 200, "application/json", &[], &body.to_string()).await;
    }
    if request.method == "POST" && request.path == "/api/show" {
        let window = if request.body["model"] == "mock-coder" { 32768 } else { 8192 };
        let body = json!({"model_info": {"general.architecture": "qwen3", "qwen3.context_length": window}});
        return respond(&mut stream, 200, "application/json", &[], &body.to_string()).await;
    }
    let openai = request.path == "/v1/chat/completions";
    if request.method != "POST" || !(request.path == "/v1/messages" || openai) {
        let body = json!({"type": "error", "error": {"type": "not_found_error", "message": format!("mock: no route {} {}", request.method, request.path)}});
        return respond(&mut stream, 404, "application/json", &[], &body.to_string()).await;
    }
    // The first reply not given yet whose route (if it has one) the request matches.
    let index = {
        let mut used = next.lock().unwrap();
        let fits = |i: &usize| {
            !used.contains(i)
                && scenario.replies[*i].route.as_ref().is_none_or(|r| request.raw_body.contains(r.as_str()))
        };
        let i = (0..scenario.replies.len()).find(fits).unwrap_or(scenario.replies.len() + used.len());
        used.push(i);
        i
    };
    let Some(reply) = scenario.replies.get(index) else {
        let body = json!({"type": "error", "error": {"type": "api_error", "message": format!("mock: the scenario has no reply #{}", index + 1)}});
        return respond(&mut stream, 500, "application/json", &[], &body.to_string()).await;
    };
    if let Some(expected) = &reply.expect_contains {
        let got = last_user_text(&request.body);
        if !got.contains(expected.as_str()) {
            let body = json!({"type": "error", "error": {"type": "invalid_request_error", "message": format!("mock: reply #{} expected the last user message to contain {expected:?}, got {got}", index + 1)}});
            return respond(&mut stream, 400, "application/json", &[], &body.to_string()).await;
        }
    }
    let delay = Duration::from_millis(reply.delay_ms);
    if reply.stall {
        // Hold the connection open and say nothing, until the client gives up.
        tokio::time::sleep(Duration::from_secs(3600)).await;
        return Ok(());
    }
    if let Some(raw) = &reply.raw_body {
        tokio::time::sleep(delay).await;
        let ct = reply.content_type.clone().unwrap_or_else(|| "text/html".into());
        return respond(&mut stream, reply.status.unwrap_or(200), &ct, &[], raw).await;
    }
    if let Some(status) = reply.status {
        let mut extra = Vec::new();
        if let Some(s) = reply.retry_after {
            extra.push(("retry-after".to_string(), s.to_string()));
        }
        if let Some(ms) = reply.retry_after_ms {
            extra.push(("retry-after-ms".to_string(), ms.to_string()));
        }
        let body = if openai { reply.openai_error_body() } else { reply.error_body() };
        return respond(&mut stream, status, "application/json", &extra, &body).await;
    }
    let model = request.body["model"].as_str().unwrap_or("mock-model").to_string();
    let message_id = format!("msg_mock_{}", index + 1);
    if request.body["stream"] != json!(true) {
        let body = whole_message(reply, &message_id, &model);
        return respond(&mut stream, 200, "application/json", &[], &body.to_string()).await;
    }
    let head = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-cache\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n";
    stream.write_all(head.as_bytes()).await?;
    // The OpenAI wire has no event names: each chunk is a bare `data:` line.
    let frames: Vec<(Option<String>, String)> = if openai {
        reply.openai_chunks(&model).into_iter().map(|d| (None, d)).collect()
    } else {
        reply.stream_events(&message_id, &model).into_iter().map(|(e, d)| (Some(e), d)).collect()
    };
    for (n, (event, data)) in frames.into_iter().enumerate() {
        if reply.drop_after == Some(n) {
            // Cut the connection mid-body: no terminating chunk.
            stream.flush().await?;
            return stream.shutdown().await;
        }
        if reply.end_after == Some(n) {
            // End the body properly, with the message unfinished.
            break;
        }
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        let frame = match event {
            Some(event) => format!("event: {event}\ndata: {data}\n\n"),
            None => format!("data: {data}\n\n"),
        };
        stream.write_all(format!("{:x}\r\n{frame}\r\n", frame.len()).as_bytes()).await?;
        stream.flush().await?;
    }
    stream.write_all(b"0\r\n\r\n").await?;
    stream.flush().await?;
    STREAMS_ENDED.lock().unwrap().push(std::time::Instant::now());
    Ok(())
}

/// When each streamed answer's last byte was sent, for benchmarks that time what follows.
pub static STREAMS_ENDED: Mutex<Vec<std::time::Instant>> = Mutex::new(Vec::new());

/// The non-streaming form of a reply.
fn whole_message(reply: &Reply, id: &str, model: &str) -> Value {
    let content: Vec<Value> = reply
        .content
        .iter()
        .map(|b| match b {
            BlockScript::Text { text, .. } => json!({"type": "text", "text": text}),
            BlockScript::Thinking { thinking, signature, .. } => {
                json!({"type": "thinking", "thinking": thinking, "signature": signature})
            }
            BlockScript::ToolUse { id, name, input, .. } => {
                json!({"type": "tool_use", "id": id, "name": name, "input": input})
            }
        })
        .collect();
    let stop = reply.stop_reason.clone().unwrap_or_else(|| {
        if reply.content.iter().any(|b| matches!(b, BlockScript::ToolUse { .. })) {
            "tool_use".into()
        } else {
            "end_turn".into()
        }
    });
    json!({
        "id": id, "type": "message", "role": "assistant", "model": model, "content": content,
        "stop_reason": stop, "stop_sequence": null, "usage": reply.usage,
    })
}

// ---------------------------------------------------------------------------------------------
// Helpers to build providers and agents against the mock.

use std::path::Path;

use claw_tui::agent::{self, AgentConfig, AgentEvent, AgentHandle};
use claw_tui::permission::{PermissionMode, Policy};
use claw_tui::provider::anthropic::{AnthropicConfig, AnthropicProvider, Auth};
use claw_tui::provider::retry::RetryPolicy;
use claw_tui::session::SessionWriter;
use claw_tui::tools::{Registry, ToolEnv, Workspace};

/// The API key tests use; it must never show up anywhere but the auth header.
pub const SECRET: &str = "sk-ant-test-0123456789-very-secret";

pub fn provider(url: &str) -> AnthropicProvider {
    provider_with(url, Duration::from_secs(10))
}

/// One call to `provider`: its result and every event it streamed.
pub async fn stream_all(
    provider: &dyn claw_tui::provider::Provider,
    request: &claw_tui::provider::ModelRequest,
) -> (Result<claw_tui::provider::Completion, claw_tui::provider::ProviderError>, Vec<claw_tui::provider::StreamEvent>) {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let result = provider.stream(request, tx).await;
    let mut events = Vec::new();
    while let Ok(e) = rx.try_recv() {
        events.push(e);
    }
    (result, events)
}

/// The test provider with its own idle timeout (a silent server is given up on after it).
pub fn provider_with(url: &str, idle_timeout: Duration) -> AnthropicProvider {
    AnthropicProvider::new(AnthropicConfig {
        base_url: url.to_string(),
        auth: Some(Auth::ApiKey(SECRET.into())),
        retry: RetryPolicy {
            max_retries: 2,
            base_delay: Duration::from_millis(5),
            max_delay: Duration::from_millis(20),
        },
        idle_timeout,
        headers: Vec::new(),
    })
    .unwrap()
}

/// Options for [`spawn_agent`].
pub struct AgentOptions {
    pub mode: PermissionMode,
    pub interactive: bool,
    pub max_iterations: usize,
    pub session: Option<SessionWriter>,
    pub history: Vec<claw_tui::provider::Message>,
    pub compact_threshold: f64,
    pub idle_timeout: Duration,
    /// The tools (default: the built-in ones).
    pub registry: Option<Registry>,
    pub hooks: Vec<claw_tui::extend::hooks::Hook>,
    pub extensions: claw_tui::extend::Extensions,
    /// WebFetch's small model (empty: none).
    pub small_model: String,
}

impl Default for AgentOptions {
    fn default() -> Self {
        AgentOptions {
            mode: PermissionMode::WorkspaceWrite,
            interactive: false,
            max_iterations: 16,
            session: None,
            history: Vec::new(),
            compact_threshold: claw_tui::agent::DEFAULT_COMPACT_THRESHOLD,
            idle_timeout: Duration::from_secs(10),
            registry: None,
            hooks: Vec::new(),
            extensions: Default::default(),
            small_model: String::new(),
        }
    }
}

/// An agent talking to the mock at `url`, working in `dir`.
pub fn spawn_agent(url: &str, dir: &Path, opts: AgentOptions) -> AgentHandle {
    let ws = Workspace::new(dir, dir).unwrap();
    let session = opts.session.unwrap_or_else(|| SessionWriter::disabled("test-session".into()));
    // As setup does: checkpoints beside the session file.
    let env = ToolEnv::new(ws);
    *env.checkpoints.lock().unwrap() = claw_tui::session::checkpoint::Checkpoints::new(session.path());
    let config = AgentConfig {
        model: "claude-sonnet-4-5".into(),
        max_tokens: 1024,
        thinking: None,
        max_iterations: opts.max_iterations,
        policy: Policy::new(opts.mode),
        interactive: opts.interactive,
        system: vec!["You are a test.".into(), "Environment: test".into()],
        instruction_files: vec![],
        session,
        history: opts.history,
        marks: Vec::new(),
        compact_threshold: opts.compact_threshold,
        prices: Default::default(),
        hooks: opts.hooks,
        extensions: Arc::new(opts.extensions),
        max_parallel: claw_tui::agent::DEFAULT_MAX_PARALLEL,
        small_model: opts.small_model,
        structured: false,
    };
    let registry = opts.registry.unwrap_or_else(Registry::builtin);
    agent::spawn(config, Arc::new(provider_with(url, opts.idle_timeout)), registry, Arc::new(env))
}

/// Reads events until the turn finishes (10 s at most).
pub async fn until_finished(handle: &mut AgentHandle) -> Vec<AgentEvent> {
    let mut events = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let ev = tokio::time::timeout_at(deadline, handle.next_event())
            .await
            .expect("the turn did not finish within 10 s")
            .expect("the agent stopped before the turn finished");
        let done = matches!(ev, AgentEvent::TurnFinished { .. });
        events.push(ev);
        if done {
            return events;
        }
    }
}

/// The outcome of the finished turn in `events`.
pub fn outcome(events: &[AgentEvent]) -> agent::TurnOutcome {
    events
        .iter()
        .find_map(|e| match e {
            AgentEvent::TurnFinished { outcome, .. } => Some(*outcome),
            _ => None,
        })
        .expect("a TurnFinished event")
}

/// The streamed text of `events`.
pub fn streamed_text(events: &[AgentEvent]) -> String {
    events
        .iter()
        .filter_map(|e| match e {
            AgentEvent::TextDelta { text, .. } => Some(text.as_str()),
            _ => None,
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Running the binary.

/// The built binary, isolated: working in `work`, with `home` as HOME and its `.claw` as the
/// config home, no inherited environment but PATH, a terminal type, and credentials for the
/// model server at `url`.
pub fn claw_command(url: &str, work: &Path, home: &Path) -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_claw-tui"));
    cmd.current_dir(work)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("TERM", "xterm-256color")
        .env("CLAW_CONFIG_HOME", home.join(".claw"))
        .env("ANTHROPIC_BASE_URL", url)
        .env("ANTHROPIC_API_KEY", SECRET);
    cmd
}

/// A workspace and a home folder of a test's own.
pub struct Dirs {
    pub work: tempfile::TempDir,
    pub home: tempfile::TempDir,
}

pub fn dirs() -> Dirs {
    Dirs { work: tempfile::tempdir().unwrap(), home: tempfile::tempdir().unwrap() }
}

/// The binary against the mock in `d`'s workspace and home, stopped after a minute.
pub fn claw(server: &MockServer, d: &Dirs) -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::from_std(claw_command(&server.url, d.work.path(), d.home.path()));
    cmd.timeout(Duration::from_secs(60));
    cmd
}

pub fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A session's `meta` record for tests.
pub fn meta(id: &str, cwd: &Path) -> claw_tui::session::Record {
    claw_tui::session::Record::Meta {
        version: claw_tui::session::FORMAT_VERSION,
        id: id.into(),
        created: chrono::Utc::now(),
        cwd: cwd.to_path_buf(),
        git_branch: Some("main".into()),
        model: "claude-sonnet-4-5".into(),
        claw_version: "test".into(),
        forked_from: None,
    }
}

/// Every file under `dir`.
pub fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}
