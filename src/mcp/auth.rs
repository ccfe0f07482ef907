//! OAuth for remote MCP servers that require it: `claw-tui mcp login NAME`.
//!
//! rmcp's OAuth client does the protocol: the server's 401 and its protected-resource
//! metadata, the authorization server's metadata, dynamic client registration, the code flow
//! with PKCE (S256) and the `resource` parameter, refreshing. claw-tui gives it the browser
//! (or a pasted answer, over SSH) through the loopback listener its own login uses, and a
//! store: `mcp-credentials.json` in the config home, written atomically with mode 0600, one
//! entry per server (name and address). The tokens are never printed, logged or sent to
//! anything but that server and its authorization server.

use std::collections::BTreeMap;
use std::path::PathBuf;

use rmcp::transport::auth::{
    AuthClient, AuthError, AuthorizationManager, AuthorizationRequest, CredentialStore, OAuthState, StoredCredentials,
};

use super::config::{ServerConfig, Transport};

/// Where MCP servers' tokens are kept.
pub fn credentials_path() -> Option<PathBuf> {
    crate::config::config_home().map(|h| h.join("mcp-credentials.json"))
}

/// The credentials of one server, in the shared file.
#[derive(Clone)]
pub struct FileStore {
    path: PathBuf,
    key: String,
}

impl FileStore {
    pub fn new(path: PathBuf, server: &str, url: &str) -> FileStore {
        FileStore { path, key: format!("{server} {url}") }
    }

    fn read(&self) -> BTreeMap<String, StoredCredentials> {
        std::fs::read(&self.path).ok().and_then(|b| serde_json::from_slice(&b).ok()).unwrap_or_default()
    }

    fn write(&self, all: &BTreeMap<String, StoredCredentials>) -> Result<(), AuthError> {
        if let Some(dir) = self.path.parent() {
            crate::files::private_dir(dir).map_err(|e| AuthError::InternalError(e.to_string()))?;
        }
        let bytes = serde_json::to_vec_pretty(all).map_err(|e| AuthError::InternalError(e.to_string()))?;
        crate::files::write_atomic(&self.path, &bytes, crate::files::PRIVATE_FILE)
            .map_err(|e| AuthError::InternalError(format!("{}: {e}", self.path.display())))
    }

    /// Whether tokens are stored for this server.
    pub fn has_tokens(&self) -> bool {
        self.read().get(&self.key).is_some_and(|c| c.token_response.is_some())
    }

    /// Forgets this server's tokens; whether there were any.
    pub fn forget(&self) -> Result<bool, String> {
        let mut all = self.read();
        if all.remove(&self.key).is_none() {
            return Ok(false);
        }
        self.write(&all).map_err(|e| e.to_string())?;
        Ok(true)
    }
}

#[async_trait::async_trait]
impl CredentialStore for FileStore {
    async fn load(&self) -> Result<Option<StoredCredentials>, AuthError> {
        Ok(self.read().remove(&self.key))
    }

    async fn save(&self, credentials: StoredCredentials) -> Result<(), AuthError> {
        let mut all = self.read();
        all.insert(self.key.clone(), credentials);
        self.write(&all)
    }

    async fn clear(&self) -> Result<(), AuthError> {
        self.forget().map(|_| ()).map_err(AuthError::InternalError)
    }
}

/// The address of a server that can use OAuth (streamable HTTP or SSE).
fn remote_url(server: &ServerConfig) -> Result<&str, String> {
    match &server.transport {
        Transport::Http { url, .. } | Transport::Sse { url, .. } | Transport::Ws { url, .. } => Ok(url),
        other => Err(format!("`{}` is a {} server; only remote servers log in", server.name, other.kind())),
    }
}

/// A manager for `url`: metadata on a loopback or private address is allowed when the server
/// itself is on one (a server on this machine or the LAN), refused otherwise.
async fn manager(url: &str) -> Result<AuthorizationManager, String> {
    let parsed = reqwest::Url::parse(url).map_err(|e| format!("`{url}` is not a URL: {e}"))?;
    let host = parsed.host_str().unwrap_or_default().trim_matches(['[', ']']);
    let private = host == "localhost"
        || host.parse::<std::net::IpAddr>().is_ok_and(|ip| match ip {
            std::net::IpAddr::V4(v4) => v4.is_loopback() || v4.is_private() || v4.is_link_local(),
            std::net::IpAddr::V6(v6) => v6.is_loopback(),
        });
    let manager = match private {
        true => AuthorizationManager::new_allowing_private_addresses(url).await,
        false => AuthorizationManager::new(url).await,
    };
    manager.map_err(|e| format!("cannot start the authorization: {e}"))
}

/// Logs in to `server`: discovery, registration, the browser (or a pasted answer), tokens
/// stored. Returns where they are kept.
pub async fn login(server: &ServerConfig, no_browser: bool) -> Result<PathBuf, String> {
    let url = remote_url(server)?;
    let path = credentials_path().ok_or("no config home (set HOME or CLAW_CONFIG_HOME)")?;
    let mut manager = manager(url).await?;
    manager.set_credential_store(FileStore::new(path.clone(), &server.name, url));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.map_err(|e| format!("no local port: {e}"))?;
    let port = listener.local_addr().map_err(|e| e.to_string())?.port();
    let redirect = format!("http://127.0.0.1:{port}/callback");
    let mut state = OAuthState::Unauthorized(manager);
    state
        .start_authorization(AuthorizationRequest::new(redirect).with_client_name("claw-tui"))
        .await
        .map_err(|e| format!("the authorization could not start: {e}"))?;
    let address = state.get_authorization_url().await.map_err(|e| e.to_string())?;
    println!("Open this address to authorize claw-tui for `{}`:\n\n  {address}\n", server.name);
    println!("Waiting for the answer... (on another machine? paste the address the browser ended on)");
    if !no_browser {
        crate::oauth::open_browser(&address);
    }
    let (code, csrf) = crate::oauth::wait_for_answer(&listener).await?;
    let csrf = csrf.ok_or("the answer carries no state; paste the whole address the browser ended on")?;
    state.handle_callback(&code, &csrf).await.map_err(|e| format!("the authorization failed: {e}"))?;
    Ok(path)
}

/// An HTTP client that sends `server`'s stored token (refreshing it when it expires), or
/// `None` when the server has no stored login.
pub async fn authorized_client(
    server: &ServerConfig,
    http: &reqwest::Client,
) -> Result<Option<AuthClient<reqwest::Client>>, String> {
    let Ok(url) = remote_url(server) else { return Ok(None) };
    let Some(path) = credentials_path() else { return Ok(None) };
    let store = FileStore::new(path, &server.name, url);
    if !store.has_tokens() {
        return Ok(None);
    }
    let mut manager = manager(url).await?;
    manager.set_credential_store(store);
    manager.with_client(http.clone()).map_err(|e| e.to_string())?;
    match manager.initialize_from_store().await {
        Ok(true) => Ok(Some(AuthClient::new(http.clone(), manager))),
        Ok(false) => Ok(None),
        Err(e) => Err(format!("the stored login could not be used ({e}); run `claw-tui mcp login {}`", server.name)),
    }
}

/// The headers of a server reached over SSE or WebSocket, with its stored login's token (fresh
/// at connection time) when it has one.
pub async fn with_token(
    server: &ServerConfig,
    http: &reqwest::Client,
    mut headers: reqwest::header::HeaderMap,
) -> Result<reqwest::header::HeaderMap, String> {
    if let Some(client) = authorized_client(server, http).await? {
        let token = client.get_access_token().await.map_err(|e| {
            format!("the stored login could not be used ({e}); run `claw-tui mcp login {}`", server.name)
        })?;
        let value = reqwest::header::HeaderValue::from_str(&format!("Bearer {token}"))
            .map_err(|_| "the stored token is not valid in a header".to_string())?;
        headers.insert(reqwest::header::AUTHORIZATION, value);
    }
    Ok(headers)
}

/// Forgets `server`'s tokens.
pub fn logout(server: &ServerConfig) -> Result<bool, String> {
    let url = remote_url(server)?;
    let path = credentials_path().ok_or("no config home (set HOME or CLAW_CONFIG_HOME)")?;
    FileStore::new(path, &server.name, url).forget()
}
