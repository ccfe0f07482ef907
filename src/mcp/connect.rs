//! Reaching one MCP server with rmcp: the transport, the handshake, the tool list, and what the
//! server tells us afterwards (its tools changed, a call's progress).
//!
//! A stdio server is started by claw-tui itself rather than by rmcp's child-process helper, so
//! that it gets what every child of claw-tui gets ([`crate::child`]): no secret variables of
//! claw-tui's environment (only what its own `env` names), its own session and process group
//! (stopped as a group), its stderr written to a log file the `/mcp` pane shows.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rmcp::model::{ProtocolVersion, SubscriptionFilter};
use rmcp::service::{ClientLifecycleMode, NotificationContext, Peer, RoleClient};
use rmcp::{ClientHandler, ClientServiceExt};
use tokio::sync::{mpsc, oneshot};

use super::config::{ServerConfig, Transport};

/// The longest a server may take to start and answer the handshake.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(30);

/// Most resources kept of one server, for completion (a file server may list thousands).
const MAX_RESOURCES: usize = 1_000;

/// Where a call's progress notifications go, by progress token.
pub type Progress = Arc<Mutex<HashMap<String, mpsc::Sender<String>>>>;

/// What the connection reports to the hub.
#[derive(Debug)]
pub enum Notice {
    /// The server's tool list changed: list it again.
    ToolsChanged,
    /// Its prompts changed.
    PromptsChanged,
    /// Its resources changed.
    ResourcesChanged,
}

/// The client side of one connection: rmcp calls it for the server's notifications.
#[derive(Clone)]
pub struct Handler {
    pub progress: Progress,
    pub notices: mpsc::UnboundedSender<Notice>,
}

impl ClientHandler for Handler {
    fn get_info(&self) -> rmcp::model::ClientConfig {
        let mut info = rmcp::model::ClientConfig::default();
        info.client_info.name = "claw-tui".into();
        info.client_info.version = env!("CARGO_PKG_VERSION").into();
        info
    }

    async fn on_tool_list_changed(&self, _context: NotificationContext<RoleClient>) {
        let _ = self.notices.send(Notice::ToolsChanged);
    }

    async fn on_prompt_list_changed(&self, _context: NotificationContext<RoleClient>) {
        let _ = self.notices.send(Notice::PromptsChanged);
    }

    async fn on_resource_list_changed(&self, _context: NotificationContext<RoleClient>) {
        let _ = self.notices.send(Notice::ResourcesChanged);
    }

    async fn on_progress(
        &self,
        params: rmcp::model::ProgressNotificationParam,
        _context: NotificationContext<RoleClient>,
    ) {
        let token = match &params.progress_token.0 {
            rmcp::model::NumberOrString::String(s) => s.to_string(),
            rmcp::model::NumberOrString::Number(n) => n.to_string(),
        };
        let sink = self.progress.lock().expect("progress lock").get(&token).cloned();
        if let Some(sink) = sink {
            let _ = sink.try_send(progress_line(&params));
        }
    }
}

/// A progress notification as one line: "message (3/10)", "50%".
fn progress_line(p: &rmcp::model::ProgressNotificationParam) -> String {
    let amount = match p.total {
        Some(total) if total > 0.0 => format!("{}/{}", p.progress, total),
        _ => format!("{}", p.progress),
    };
    match p.message.as_deref() {
        Some(m) if !m.is_empty() => format!("{m} ({amount})\n"),
        _ => format!("progress {amount}\n"),
    }
}

/// A live connection.
pub struct Connection {
    pub peer: Peer<RoleClient>,
    pub tools: Vec<rmcp::model::Tool>,
    pub prompts: Vec<super::hub::PromptInfo>,
    pub resources: Vec<super::hub::ResourceInfo>,
    /// Ends the connection (and with it a stdio server's pipes).
    pub stop: rmcp::service::RunningServiceCancellationToken,
    /// A stdio server's process group.
    pub pgid: Option<u32>,
    /// The protocol version agreed on.
    pub protocol: String,
    /// Fires when the connection ends, for whatever reason.
    pub closed: oneshot::Receiver<()>,
}

/// Connects to `server` (a stdio server runs in `root`, its stderr appended to `log`), lists
/// its tools, and keeps listening for its notifications.
pub async fn connect(
    server: &ServerConfig,
    root: &Path,
    log: &Path,
    handler: Handler,
    http: &reqwest::Client,
) -> Result<Connection, String> {
    if let Some(error) = &server.error {
        return Err(error.clone());
    }
    let notices = handler.notices.clone();
    let auto = ClientLifecycleMode::Auto {
        preferred_versions: vec![ProtocolVersion::LATEST],
        legacy_version: Some(ProtocolVersion::LATEST_WITH_INITIALIZE),
    };
    let (service, pgid) = match open(server, auto, root, log, handler.clone(), http).await {
        // A server that answers `server/discover` but shares no version of it with us: the
        // older handshake, on a new connection.
        Err(Handshake::Incompatible(_)) => open(server, ClientLifecycleMode::Initialize, root, log, handler, http)
            .await
            .map_err(Handshake::into_message)?,
        other => other.map_err(Handshake::into_message)?,
    };
    let peer = service.peer().clone();
    let info = peer.peer_info();
    let protocol = info.as_ref().map(|i| i.protocol_version.to_string()).unwrap_or_default();
    let caps = info.as_ref().map(|i| i.capabilities.clone()).unwrap_or_default();
    // A server with prompts or resources only has no tools to list.
    let tools = match caps.tools {
        Some(_) => match peer.list_all_tools().await {
            Ok(tools) => tools,
            Err(e) => {
                // The child is not the hub's yet: stop it here rather than leave it running.
                if let Some(pgid) = pgid {
                    let _ = tokio::task::spawn_blocking(move || crate::child::Groups::default().stop_one(pgid)).await;
                }
                return Err(with_stderr(format!("listing its tools failed: {e}"), log));
            }
        },
        None => Vec::new(),
    };
    // Prompts and resources are extras: a server that fails to list them still serves tools.
    let prompts = if caps.prompts.is_some() { list_prompts(&peer).await } else { Vec::new() };
    let resources = if caps.resources.is_some() { list_resources(&peer).await } else { Vec::new() };
    if info.as_ref().is_some_and(|i| !i.protocol_version.has_initialize()) {
        listen(&peer, &caps, notices);
    }
    let stop = service.cancellation_token();
    let (tx, closed) = oneshot::channel();
    tokio::spawn(async move {
        let _ = service.waiting().await;
        let _ = tx.send(());
    });
    Ok(Connection { peer, tools, prompts, resources, stop, pgid, protocol, closed })
}

/// Why a handshake failed.
enum Handshake {
    /// The server answered but shares no protocol version with this lifecycle.
    Incompatible(String),
    Failed(String),
}

impl Handshake {
    fn into_message(self) -> String {
        match self {
            Handshake::Incompatible(m) | Handshake::Failed(m) => m,
        }
    }
}

type Service = rmcp::service::RunningService<RoleClient, Handler>;

/// Opens the transport and runs the handshake of `lifecycle`: the service, and a stdio
/// server's process group (stopped again when the handshake fails).
async fn open(
    server: &ServerConfig,
    lifecycle: ClientLifecycleMode,
    root: &Path,
    log: &Path,
    handler: Handler,
    http: &reqwest::Client,
) -> Result<(Service, Option<u32>), Handshake> {
    match &server.transport {
        Transport::Stdio { command, args, env } => {
            let (child, stdout, stdin) = spawn(command, args, env, root, log).map_err(Handshake::Failed)?;
            let pgid = child.id();
            let service = handshake(handler.serve_with_lifecycle((stdout, stdin), lifecycle)).await;
            // The child is watched by its process group from here on; dropping the handle
            // does not kill it (the hub stops the group).
            drop(child);
            match service {
                Ok(service) => Ok((service, pgid)),
                Err(e) => {
                    if let Some(pgid) = pgid {
                        let _ =
                            tokio::task::spawn_blocking(move || crate::child::Groups::default().stop_one(pgid)).await;
                    }
                    Err(match e {
                        Handshake::Incompatible(m) => Handshake::Incompatible(m),
                        Handshake::Failed(m) => Handshake::Failed(with_stderr(m, log)),
                    })
                }
            }
        }
        Transport::Http { url, headers } => {
            use rmcp::transport::streamable_http_client::{
                StreamableHttpClientTransport, StreamableHttpClientTransportConfig,
            };
            let headers = header_map(headers).map_err(Handshake::Failed)?;
            let config = StreamableHttpClientTransportConfig::with_uri(url.as_str()).custom_headers(headers);
            let service = match super::auth::authorized_client(server, http).await.map_err(Handshake::Failed)? {
                // A login is stored: its token goes with every request, refreshed when stale.
                Some(client) => {
                    let transport = StreamableHttpClientTransport::with_client(client, config);
                    handshake(handler.serve_with_lifecycle(transport, lifecycle)).await
                }
                None => {
                    let transport = StreamableHttpClientTransport::with_client(http.clone(), config);
                    handshake(handler.serve_with_lifecycle(transport, lifecycle)).await
                }
            };
            Ok((service.map_err(|e| needs_login(e, &server.name))?, None))
        }
        Transport::Sse { url, headers } => {
            let headers = header_map(headers).map_err(Handshake::Failed)?.into_iter().collect();
            let headers = super::auth::with_token(server, http, headers).await.map_err(Handshake::Failed)?;
            let transport = super::sse::SseTransport::connect(http, url, headers).await.map_err(Handshake::Failed)?;
            Ok((handshake(handler.serve_with_lifecycle(transport, lifecycle)).await?, None))
        }
        Transport::Ws { url, headers } => {
            let headers = header_map(headers).map_err(Handshake::Failed)?.into_iter().collect();
            let headers = super::auth::with_token(server, http, headers).await.map_err(Handshake::Failed)?;
            let transport = super::ws::WsTransport::connect(url, headers).await.map_err(Handshake::Failed)?;
            Ok((handshake(handler.serve_with_lifecycle(transport, lifecycle)).await?, None))
        }
    }
}

/// A refusal for want of authorization, with what to do about it.
fn needs_login(e: Handshake, name: &str) -> Handshake {
    match e {
        Handshake::Failed(m) if m.contains("401") || m.to_ascii_lowercase().contains("auth") => {
            Handshake::Failed(format!("{m}; the server needs authorization: run `claw-tui mcp login {name}`"))
        }
        other => other,
    }
}

/// A server's prompts (none when listing them fails: they are extras, tools still work).
pub async fn list_prompts(peer: &Peer<RoleClient>) -> Vec<super::hub::PromptInfo> {
    peer.list_all_prompts().await.unwrap_or_default().into_iter().map(super::hub::PromptInfo::from).collect()
}

/// A server's resources, at most [`MAX_RESOURCES`].
pub async fn list_resources(peer: &Peer<RoleClient>) -> Vec<super::hub::ResourceInfo> {
    let all = peer.list_all_resources().await.unwrap_or_default();
    // A URI with control characters could not be typed as `@server:uri`, and would reach the
    // terminal in completion: left out.
    all.into_iter()
        .filter(|r| !r.uri.chars().any(char::is_control))
        .take(MAX_RESOURCES)
        .map(|r| super::hub::ResourceInfo { uri: r.uri, name: crate::sanitize::visible_owned(r.name) })
        .collect()
}

/// On 2026-07-28 a server sends list changes only on a stream that asked for them: asks for
/// those its capabilities announce, and passes them on.
fn listen(peer: &Peer<RoleClient>, caps: &rmcp::model::ServerCapabilities, notices: mpsc::UnboundedSender<Notice>) {
    let mut filter = SubscriptionFilter::builder();
    let mut any = false;
    if caps.tools.as_ref().and_then(|t| t.list_changed) == Some(true) {
        filter = filter.tools_list_changed();
        any = true;
    }
    if caps.prompts.as_ref().and_then(|p| p.list_changed) == Some(true) {
        filter = filter.prompts_list_changed();
        any = true;
    }
    if caps.resources.as_ref().and_then(|r| r.list_changed) == Some(true) {
        filter = filter.resources_list_changed();
        any = true;
    }
    if !any {
        return;
    }
    let (peer, filter) = (peer.clone(), filter.build());
    tokio::spawn(async move {
        let Ok(mut sub) = peer.listen(filter).await else { return };
        while let Ok(Some(n)) = sub.next().await {
            use rmcp::model::ServerNotification as N;
            let notice = match n {
                N::ToolListChangedNotification(_) => Notice::ToolsChanged,
                N::PromptListChangedNotification(_) => Notice::PromptsChanged,
                N::ResourceListChangedNotification(_) => Notice::ResourcesChanged,
                _ => continue,
            };
            let _ = notices.send(notice);
        }
    });
}

/// The handshake, within [`HANDSHAKE_TIMEOUT`].
async fn handshake<S>(
    serving: impl Future<Output = Result<S, rmcp::service::ClientInitializeError>>,
) -> Result<S, Handshake> {
    match tokio::time::timeout(HANDSHAKE_TIMEOUT, serving).await {
        Ok(Ok(service)) => Ok(service),
        Ok(Err(e @ rmcp::service::ClientInitializeError::NoCompatibleProtocolVersion { .. })) => {
            Err(Handshake::Incompatible(format!("the handshake failed: {e}")))
        }
        Ok(Err(e)) => Err(Handshake::Failed(format!("the handshake failed: {e}"))),
        Err(_) => {
            Err(Handshake::Failed(format!("no answer to the handshake within {} s", HANDSHAKE_TIMEOUT.as_secs())))
        }
    }
}

type Spawned = (tokio::process::Child, tokio::process::ChildStdout, tokio::process::ChildStdin);

/// Starts a stdio server: the workspace as its folder, claw-tui's environment without secrets
/// plus its own `env`, its own session, stderr to `log`.
fn spawn(
    command: &str,
    args: &[String],
    env: &std::collections::BTreeMap<String, String>,
    root: &Path,
    log: &Path,
) -> Result<Spawned, String> {
    let stderr = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .map_err(|e| format!("cannot open its log {}: {e}", log.display()))?;
    let mut cmd = tokio::process::Command::new(command);
    cmd.args(args)
        .current_dir(root)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(stderr);
    crate::child::scrub_async(&mut cmd);
    // What the server's own definition names, it gets (a token it needs, by the user's choice).
    cmd.envs(env);
    crate::child::new_session(&mut cmd);
    let mut child = cmd.spawn().map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => format!("cannot start `{command}`: no such program"),
        _ => format!("cannot start `{command}`: {e}"),
    })?;
    let stdout = child.stdout.take().ok_or("its stdout could not be read")?;
    let stdin = child.stdin.take().ok_or("its stdin could not be written")?;
    Ok((child, stdout, stdin))
}

/// An error with the last lines the server wrote to stderr, which usually say why.
pub fn with_stderr(error: String, log: &Path) -> String {
    match stderr_tail(log, 5) {
        Some(tail) => format!("{error}; its stderr ends: {tail}"),
        None => error,
    }
}

/// The last `lines` non-empty lines of a log, joined with " | ", made safe to print.
pub fn stderr_tail(log: &Path, lines: usize) -> Option<String> {
    let text = std::fs::read(log).ok()?;
    let start = text.len().saturating_sub(4096);
    let text = String::from_utf8_lossy(&text[start..]);
    let tail: Vec<&str> = text.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    let tail = &tail[tail.len().saturating_sub(lines)..];
    (!tail.is_empty()).then(|| crate::sanitize::visible_owned(tail.join(" | ")))
}

fn header_map(
    headers: &std::collections::BTreeMap<String, String>,
) -> Result<HashMap<reqwest::header::HeaderName, reqwest::header::HeaderValue>, String> {
    headers
        .iter()
        .map(|(k, v)| {
            let name = reqwest::header::HeaderName::from_bytes(k.as_bytes())
                .map_err(|_| format!("`{k}` is not a valid header name"))?;
            let value = reqwest::header::HeaderValue::from_str(v)
                .map_err(|_| format!("the value of header `{k}` is not valid in a header"))?;
            Ok((name, value))
        })
        .collect()
}
