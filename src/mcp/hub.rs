//! Every MCP server of a workspace: connected in the background, their status and tools, calls.
//!
//! [`Hub::start`] returns at once; each server connects on its own task, so a slow or dead
//! server never holds up the interface (which shows "mcp 3/4" and the `/mcp` pane from
//! [`Hub::views`], told of changes by [`Hub::subscribe`]) and `-p` waits for them with a limit
//! ([`Hub::wait_settled`]). A server that fails or dies is shown with its reason and its
//! stderr's last lines; the session goes on without it, and [`Hub::reconnect`] tries again.
//! Dropping the hub ends every connection and stops the stdio servers' process groups.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rmcp::model::{CallToolRequestParams, NumberOrString, ProgressToken, RequestMetaObject};
use rmcp::service::{Peer, RoleClient};
use serde_json::Value;
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

use super::config::{McpConfig, ServerConfig};
// What a server says (its names, descriptions, errors) is shown in a terminal: made safe here,
// where it comes in. Names sent back to the server (a prompt's, a resource's URI) stay as given.
use super::connect::{self, Handler, Notice, Progress};
use crate::sanitize::visible_owned;

/// Where a server stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    Connecting,
    Connected,
    Failed(String),
}

impl Status {
    pub fn label(&self) -> &'static str {
        match self {
            Status::Connecting => "connecting",
            Status::Connected => "connected",
            Status::Failed(_) => "failed",
        }
    }
}

/// A server as the interface and `mcp list` show it.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerView {
    pub name: String,
    pub transport: &'static str,
    /// The command line or the address.
    pub target: String,
    pub status: Status,
    /// Its tools' names as the server gives them.
    pub tools: Vec<String>,
    pub prompts: Vec<PromptInfo>,
    pub resources: Vec<ResourceInfo>,
    /// The protocol version agreed on.
    pub protocol: String,
    /// A stdio server's stderr.
    pub log: Option<PathBuf>,
    /// The file that defines it.
    pub file: PathBuf,
}

/// A prompt a server offers: run as `/mcp__<server>__<prompt> args`.
#[derive(Debug, Clone, PartialEq)]
pub struct PromptInfo {
    pub name: String,
    pub description: String,
    /// Its arguments in order, and whether each is required.
    pub arguments: Vec<(String, bool)>,
}

impl From<rmcp::model::Prompt> for PromptInfo {
    fn from(p: rmcp::model::Prompt) -> Self {
        PromptInfo {
            description: visible_owned(p.description.or(p.title).unwrap_or_default()),
            arguments: p
                .arguments
                .unwrap_or_default()
                .into_iter()
                .map(|a| (a.name, a.required == Some(true)))
                .collect(),
            name: p.name,
        }
    }
}

/// A resource a server lists: attached with `@<server>:<uri>`.
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceInfo {
    pub uri: String,
    pub name: String,
}

/// A server's tool, with where it comes from.
#[derive(Debug, Clone)]
pub struct ToolEntry {
    pub server: String,
    pub tool: rmcp::model::Tool,
}

struct State {
    status: Status,
    tools: Vec<rmcp::model::Tool>,
    prompts: Vec<PromptInfo>,
    resources: Vec<ResourceInfo>,
    peer: Option<Peer<RoleClient>>,
    stop: Option<rmcp::service::RunningServiceCancellationToken>,
    pgid: Option<u32>,
    protocol: String,
    /// Which connection attempt is current: an older one's news is ignored.
    epoch: u64,
}

struct Server {
    config: ServerConfig,
    log: PathBuf,
    state: Mutex<State>,
}

struct Shared {
    root: PathBuf,
    servers: Vec<Server>,
    call_timeout: Duration,
    changed: watch::Sender<u64>,
    groups: crate::child::Groups,
    /// Made by the first remote server's connection (off the interface's thread: building a
    /// TLS client takes milliseconds the first frame should not wait for).
    http: std::sync::OnceLock<reqwest::Client>,
    progress: Progress,
    tokens: AtomicU64,
    _logs: Option<tempfile::TempDir>,
}

/// The MCP servers of one workspace.
pub struct Hub {
    shared: Arc<Shared>,
    /// What the settings said, to tell whether a new start can keep this hub.
    pub config: McpConfig,
}

impl Hub {
    /// Starts connecting to every server of `config` (run in `root`). Must be called inside a
    /// tokio runtime; returns at once.
    pub fn start(config: &McpConfig, root: &Path) -> Arc<Hub> {
        crate::install_crypto_provider();
        let logs = tempfile::Builder::new().prefix("claw-mcp-").tempdir().ok();
        let servers = config
            .servers
            .iter()
            .enumerate()
            .map(|(i, s)| Server {
                config: s.clone(),
                // Without a private folder, no log: a guessable path in the temp folder could
                // be another user's symlink.
                log: logs.as_ref().map_or_else(
                    || PathBuf::from("/dev/null"),
                    |d| d.path().join(format!("{i}-{}.log", sanitize_file(&s.name))),
                ),
                state: Mutex::new(State {
                    status: Status::Connecting,
                    tools: Vec::new(),
                    prompts: Vec::new(),
                    resources: Vec::new(),
                    peer: None,
                    stop: None,
                    pgid: None,
                    protocol: String::new(),
                    epoch: 0,
                }),
            })
            .collect();
        let shared = Arc::new(Shared {
            root: root.to_path_buf(),
            servers,
            call_timeout: config.call_timeout,
            changed: watch::channel(0).0,
            groups: Default::default(),
            http: Default::default(),
            progress: Default::default(),
            tokens: AtomicU64::new(1),
            _logs: logs,
        });
        for i in 0..shared.servers.len() {
            tokio::spawn(run(shared.clone(), i, 0));
        }
        Arc::new(Hub { shared, config: config.clone() })
    }

    /// Whether no server is configured.
    pub fn is_empty(&self) -> bool {
        self.shared.servers.is_empty()
    }

    /// Every server as it stands.
    pub fn views(&self) -> Vec<ServerView> {
        self.shared
            .servers
            .iter()
            .map(|s| {
                let st = s.state.lock().expect("mcp state lock");
                ServerView {
                    name: s.config.name.clone(),
                    transport: s.config.transport.kind(),
                    target: s.config.transport.target(),
                    status: st.status.clone(),
                    tools: st.tools.iter().map(|t| visible_owned(t.name.to_string())).collect(),
                    prompts: st.prompts.clone(),
                    resources: st.resources.clone(),
                    protocol: st.protocol.clone(),
                    log: matches!(s.config.transport, super::Transport::Stdio { .. }).then(|| s.log.clone()),
                    file: s.config.file.clone(),
                }
            })
            .collect()
    }

    /// Changes whenever a server's status or tools change.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.shared.changed.subscribe()
    }

    /// The tools of every connected server.
    pub fn tools(&self) -> Vec<ToolEntry> {
        let mut out = Vec::new();
        for s in &self.shared.servers {
            let st = s.state.lock().expect("mcp state lock");
            if st.status == Status::Connected {
                out.extend(st.tools.iter().map(|t| ToolEntry { server: s.config.name.clone(), tool: t.clone() }));
            }
        }
        out
    }

    /// Waits until no server is still connecting, or `limit` passes.
    pub async fn wait_settled(&self, limit: Duration) {
        let mut rx = self.subscribe();
        let settled = |hub: &Hub| hub.views().iter().all(|v| v.status != Status::Connecting);
        let _ = tokio::time::timeout(limit, async {
            while !settled(self) {
                if rx.changed().await.is_err() {
                    return;
                }
            }
        })
        .await;
    }

    /// Ends the connection to `name` (stopping a stdio server) and connects again.
    pub fn reconnect(&self, name: &str) -> bool {
        let Some(i) = self.shared.servers.iter().position(|s| s.config.name == name) else { return false };
        let (epoch, pgid) = {
            let mut st = self.shared.servers[i].state.lock().expect("mcp state lock");
            st.epoch += 1;
            let pgid = disconnect(&mut st);
            st.status = Status::Connecting;
            st.tools.clear();
            st.prompts.clear();
            st.resources.clear();
            (st.epoch, pgid)
        };
        if let Some(pgid) = pgid {
            // Stopping waits up to a grace period: not on the caller's (the interface's) thread.
            let shared = self.shared.clone();
            tokio::task::spawn_blocking(move || shared.groups.stop_one(pgid));
        }
        self.shared.changed.send_modify(|v| *v += 1);
        tokio::spawn(run(self.shared.clone(), i, epoch));
        true
    }

    /// Calls `tool` of `server` with `arguments`: the result as JSON, or why there is none.
    /// Progress notifications go to `progress` as lines; `cancel` or the timeout stop waiting
    /// (rmcp tells the server the request was cancelled).
    pub async fn call(
        &self,
        server: &str,
        tool: &str,
        arguments: serde_json::Map<String, Value>,
        cancel: &CancellationToken,
        progress: mpsc::Sender<String>,
    ) -> Result<Value, String> {
        let (s, peer) = self.peer(server)?;
        let token = format!("claw-{}", self.shared.tokens.fetch_add(1, Ordering::Relaxed));
        self.shared.progress.lock().expect("progress lock").insert(token.clone(), progress);
        let mut params = CallToolRequestParams::new(tool.to_string()).with_arguments(arguments);
        params.meta =
            Some(RequestMetaObject::with_progress_token(ProgressToken(NumberOrString::String(token.clone().into()))));
        let timeout = self.shared.call_timeout;
        let outcome = tokio::select! {
            _ = cancel.cancelled() => Err("interrupted by the user".to_string()),
            _ = tokio::time::sleep(timeout) => Err(format!(
                "no answer within {} s (the limit is mcp.timeout_secs)", timeout.as_secs()
            )),
            result = peer.call_tool(params) => match result {
                Ok(result) => serde_json::to_value(&result).map_err(|e| format!("the result could not be read: {e}")),
                Err(e) => Err(connect::with_stderr(format!("the call failed: {e}"), &s.log)),
            },
        };
        self.shared.progress.lock().expect("progress lock").remove(&token);
        outcome
    }

    /// A connected server's peer.
    fn peer(&self, server: &str) -> Result<(&Server, Peer<RoleClient>), String> {
        let s = self.shared.servers.iter().find(|s| s.config.name == server).ok_or("no such server")?;
        let st = s.state.lock().expect("mcp state lock");
        match (&st.status, &st.peer) {
            (Status::Connected, Some(peer)) => Ok((s, peer.clone())),
            (Status::Failed(why), _) => Err(format!("the MCP server `{server}` is not connected: {why}")),
            _ => Err(format!("the MCP server `{server}` is still connecting; try again in a moment")),
        }
    }

    /// A request's result as JSON, within the call timeout.
    async fn timed<T: serde::Serialize, E: std::fmt::Display>(
        &self,
        request: impl Future<Output = Result<T, E>>,
    ) -> Result<Value, String> {
        let limit = self.shared.call_timeout;
        let result = tokio::time::timeout(limit, request)
            .await
            .map_err(|_| format!("no answer within {} s", limit.as_secs()))?
            .map_err(|e| e.to_string())?;
        Ok(serde_json::to_value(&result).unwrap_or_default())
    }

    /// Runs prompt `name` of `server`: its messages' text.
    pub async fn get_prompt(
        &self,
        server: &str,
        name: &str,
        arguments: serde_json::Map<String, Value>,
    ) -> Result<String, String> {
        let (_, peer) = self.peer(server)?;
        let mut params = rmcp::model::GetPromptRequestParams::new(name);
        params.arguments = Some(arguments);
        let result = self.timed(peer.get_prompt(params)).await?;
        let texts: Vec<String> = result["messages"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|m| super::tool::render(&serde_json::json!({"content": [m["content"].clone()]}), usize::MAX).content)
            .collect();
        Ok(texts.join("\n\n"))
    }

    /// Reads resource `uri` of `server`: its text (binary contents named by type and size).
    pub async fn read_resource(&self, server: &str, uri: &str) -> Result<String, String> {
        let (_, peer) = self.peer(server)?;
        let params = rmcp::model::ReadResourceRequestParams::new(uri);
        let result = self.timed(peer.read_resource(params)).await?;
        let parts: Vec<String> = result["contents"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|c| match c.get("text").and_then(Value::as_str) {
                Some(text) => text.to_string(),
                None => format!(
                    "[binary contents, {}, {} bytes]",
                    c["mimeType"].as_str().unwrap_or("unknown type"),
                    c["blob"].as_str().map_or(0, |b| b.len() / 4 * 3)
                ),
            })
            .collect();
        Ok(parts.join("\n"))
    }

    /// The time one call may take.
    pub fn call_timeout(&self) -> Duration {
        self.shared.call_timeout
    }
}

impl Drop for Hub {
    fn drop(&mut self) {
        for s in &self.shared.servers {
            let mut st = s.state.lock().expect("mcp state lock");
            st.epoch += 1;
            disconnect(&mut st);
        }
        // Every server's group at once: one grace period, not one per server.
        self.shared.groups.stop();
    }
}

/// Ends a server's connection; its process group, for the caller to stop.
fn disconnect(st: &mut State) -> Option<u32> {
    if let Some(stop) = st.stop.take() {
        stop.cancel();
    }
    st.peer = None;
    st.pgid.take()
}

/// Connects server `i` as attempt `epoch`, then follows it: its tool list changing, its end.
async fn run(shared: Arc<Shared>, i: usize, epoch: u64) {
    let server = &shared.servers[i];
    let (notices_tx, mut notices) = mpsc::unbounded_channel();
    let handler = Handler { progress: shared.progress.clone(), notices: notices_tx };
    let http = shared.http.get_or_init(|| {
        reqwest::Client::builder()
            .user_agent(concat!("claw-tui/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(10))
            .build()
            .unwrap_or_default()
    });
    let result = connect::connect(&server.config, &shared.root, &server.log, handler, http).await;
    let mut closed = {
        let mut st = server.state.lock().expect("mcp state lock");
        match result {
            Ok(conn) if st.epoch == epoch => {
                if let Some(pgid) = conn.pgid {
                    shared.groups.track(pgid);
                }
                st.status = Status::Connected;
                st.tools = conn.tools;
                st.prompts = conn.prompts;
                st.resources = conn.resources;
                st.peer = Some(conn.peer);
                st.stop = Some(conn.stop);
                st.pgid = conn.pgid;
                st.protocol = visible_owned(conn.protocol);
                conn.closed
            }
            // A newer attempt (or the hub's end) overtook this one.
            Ok(conn) => {
                conn.stop.cancel();
                drop(st);
                if let Some(pgid) = conn.pgid {
                    tokio::task::spawn_blocking(move || crate::child::Groups::default().stop_one(pgid));
                }
                return;
            }
            Err(why) => {
                if st.epoch == epoch {
                    st.status = Status::Failed(visible_owned(why));
                }
                drop(st);
                shared.changed.send_modify(|v| *v += 1);
                return;
            }
        }
    };
    shared.changed.send_modify(|v| *v += 1);
    loop {
        tokio::select! {
            notice = notices.recv() => if let Some(notice) = notice {
                refresh(&shared, i, epoch, notice).await;
            },
            _ = &mut closed => {
                let mut st = server.state.lock().expect("mcp state lock");
                if st.epoch == epoch {
                    let why = connect::with_stderr("the server closed the connection".into(), &server.log);
                    st.status = Status::Failed(visible_owned(why));
                    st.tools.clear();
                    st.prompts.clear();
                    st.resources.clear();
                    st.peer = None;
                    st.stop = None;
                    drop(st);
                    shared.changed.send_modify(|v| *v += 1);
                }
                return;
            }
        }
    }
}

/// Lists what server `i` said changed (its tools, prompts or resources) again.
async fn refresh(shared: &Shared, i: usize, epoch: u64, what: Notice) {
    let server = &shared.servers[i];
    let peer = server.state.lock().expect("mcp state lock").peer.clone();
    let Some(peer) = peer else { return };
    let tools = match what {
        Notice::ToolsChanged => match peer.list_all_tools().await {
            Ok(tools) => Some(tools),
            Err(_) => return,
        },
        _ => None,
    };
    let prompts = match what {
        Notice::PromptsChanged => Some(connect::list_prompts(&peer).await),
        _ => None,
    };
    let resources = match what {
        Notice::ResourcesChanged => Some(connect::list_resources(&peer).await),
        _ => None,
    };
    let mut st = server.state.lock().expect("mcp state lock");
    if st.epoch != epoch {
        return;
    }
    if let Some(tools) = tools {
        st.tools = tools;
    }
    if let Some(prompts) = prompts {
        st.prompts = prompts;
    }
    if let Some(resources) = resources {
        st.resources = resources;
    }
    drop(st);
    shared.changed.send_modify(|v| *v += 1);
}

fn sanitize_file(name: &str) -> String {
    name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect()
}

/// For `-p` and `mcp list`: starts the servers of `config` and waits (up to its startup
/// timeout) until each has connected or failed. `None` when no server is configured.
pub async fn start_and_wait(config: &McpConfig, root: &Path) -> Option<Arc<Hub>> {
    if config.servers.is_empty() {
        return None;
    }
    let hub = Hub::start(config, root);
    hub.wait_settled(config.startup_timeout).await;
    Some(hub)
}
