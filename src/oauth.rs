//! `claw-tui login` / `logout`: Anthropic's OAuth authorization-code flow with PKCE, and the
//! tokens it leaves in `~/.claw/credentials.json` (0600), refreshed before they expire.
//!
//! The login opens (or prints) the authorization page; the answer comes back to a listener on
//! 127.0.0.1 (the redirect), or — over SSH, where the browser cannot reach this machine — the
//! address the browser ended on (or just the code) is pasted at the prompt. The verifier and
//! the state are 32 random bytes from the operating system; the state is checked, the verifier
//! only ever goes to the token endpoint. The endpoints and the client id can be moved
//! (`CLAW_OAUTH_AUTHORIZE_URL`, `CLAW_OAUTH_TOKEN_URL`, `CLAW_OAUTH_CLIENT_ID`), which is how
//! the tests run against a local server.

use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use sha2::Digest;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The header the Messages API wants with an OAuth bearer token.
pub const BETA_HEADER: (&str, &str) = ("anthropic-beta", "oauth-2025-04-20");
/// A token this close to its expiry is refreshed before it is used.
const REFRESH_MARGIN: Duration = Duration::from_secs(300);

/// Where to log in.
#[derive(Debug, Clone, PartialEq)]
pub struct Endpoints {
    pub authorize: String,
    pub token: String,
    pub client_id: String,
    pub scopes: String,
}

impl Endpoints {
    /// Anthropic's (the public client Claude Code's login uses), unless moved by the variables.
    pub fn from_env() -> Endpoints {
        let get = |var: &str, default: &str| {
            std::env::var(var).ok().filter(|v| !v.trim().is_empty()).unwrap_or_else(|| default.to_string())
        };
        Endpoints {
            authorize: get("CLAW_OAUTH_AUTHORIZE_URL", "https://claude.ai/oauth/authorize"),
            token: get("CLAW_OAUTH_TOKEN_URL", "https://console.anthropic.com/v1/oauth/token"),
            client_id: get("CLAW_OAUTH_CLIENT_ID", "9d1c250a-e61b-44d9-88ed-5944d1962f5e"),
            scopes: "org:create_api_key user:profile user:inference".into(),
        }
    }
}

/// The tokens of a login. `Debug` never prints them.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct Tokens {
    pub access_token: String,
    pub refresh_token: String,
    /// Seconds since the Unix epoch.
    pub expires_at: u64,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokens").field("expires_at", &self.expires_at).finish_non_exhaustive()
    }
}

impl Tokens {
    /// Whether the access token is expired or about to be.
    pub fn stale(&self) -> bool {
        now() + REFRESH_MARGIN.as_secs() >= self.expires_at
    }
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// `bytes` random bytes from the operating system, URL-safe base64.
fn random(bytes: usize) -> Result<String, String> {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).map_err(|e| format!("no randomness from the system: {e}"))?;
    Ok(URL_SAFE_NO_PAD.encode(buf))
}

/// The S256 challenge of a PKCE verifier.
pub fn challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier.as_bytes()))
}

/// `~/.claw/credentials.json`.
pub fn credentials_path() -> Option<PathBuf> {
    crate::config::config_home().map(|h| h.join("credentials.json"))
}

#[derive(Default, Serialize, Deserialize)]
struct CredentialsFile {
    #[serde(skip_serializing_if = "Option::is_none")]
    anthropic: Option<Tokens>,
}

/// The stored login, if there is one (a file that cannot be read counts as none).
pub fn load() -> Option<Tokens> {
    let text = std::fs::read_to_string(credentials_path()?).ok()?;
    serde_json::from_str::<CredentialsFile>(&text).ok()?.anthropic
}

/// Stores `tokens` (the file and its folder private to the user).
pub fn save(tokens: &Tokens) -> Result<PathBuf, String> {
    let path = credentials_path().ok_or("no home folder to keep the login in")?;
    if let Some(dir) = path.parent() {
        crate::files::private_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let file = CredentialsFile { anthropic: Some(tokens.clone()) };
    let text = serde_json::to_string_pretty(&file).map_err(|e| e.to_string())?;
    crate::files::write_atomic(&path, text.as_bytes(), crate::files::PRIVATE_FILE)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(path)
}

/// Forgets the login; says whether there was one.
pub fn remove() -> Result<bool, String> {
    let Some(path) = credentials_path() else { return Ok(false) };
    match std::fs::remove_file(&path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(format!("{}: {e}", path.display())),
    }
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    refresh_token: Option<String>,
    expires_in: Option<u64>,
}

/// A POST to the token endpoint.
async fn token_request(endpoints: &Endpoints, body: serde_json::Value) -> Result<TokenAnswer, String> {
    crate::install_crypto_provider();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
    let response = client
        .post(&endpoints.token)
        .json(&body)
        .send()
        .await
        .map_err(|e| format!("cannot reach {}: {e}", endpoints.token))?;
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    if !status.is_success() {
        let v: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
        let why = v["error_description"].as_str().or_else(|| v["error"].as_str()).unwrap_or("no reason given");
        return Err(format!("the login server refused ({status}): {why}"));
    }
    serde_json::from_str(&text).map_err(|e| format!("the login server's answer is not a token ({e})"))
}

fn tokens_of(answer: TokenAnswer, previous_refresh: Option<&str>) -> Result<Tokens, String> {
    let refresh_token = answer
        .refresh_token
        .or_else(|| previous_refresh.map(str::to_string))
        .ok_or("the login server sent no refresh token")?;
    Ok(Tokens {
        access_token: answer.access_token,
        refresh_token,
        expires_at: now() + answer.expires_in.unwrap_or(3600),
    })
}

/// New tokens for a refresh token.
pub async fn refresh(endpoints: &Endpoints, refresh_token: &str) -> Result<Tokens, String> {
    let body = serde_json::json!({
        "grant_type": "refresh_token", "refresh_token": refresh_token, "client_id": endpoints.client_id,
    });
    tokens_of(token_request(endpoints, body).await?, Some(refresh_token))
}

/// What came back from the authorization page: a code, and the state it carries when known.
fn parse_answer(text: &str) -> Option<(String, Option<String>)> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    // A whole address (`http://127.0.0.1:PORT/callback?code=..&state=..`) or its query.
    if let Some(query) = text.split_once('?').map(|(_, q)| q).or(text.contains("code=").then_some(text)) {
        let pairs: Vec<(String, String)> = url_pairs(query.split('#').next().unwrap_or(query)).into_iter().collect();
        let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        return get("code").map(|code| (code, get("state")));
    }
    // `code#state`, as Anthropic's page shows it, or the code alone.
    match text.split_once('#') {
        Some((code, state)) => Some((code.to_string(), Some(state.to_string()))),
        None => Some((text.to_string(), None)),
    }
}

fn url_pairs(query: &str) -> Vec<(String, String)> {
    reqwest::Url::parse(&format!("http://x/?{query}"))
        .map(|u| u.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect())
        .unwrap_or_default()
}

/// The browser's request to the loopback listener: the code and state in its query.
async fn read_redirect(listener: &tokio::net::TcpListener) -> Result<(String, Option<String>), String> {
    loop {
        let (mut stream, _) = listener.accept().await.map_err(|e| e.to_string())?;
        let mut buf = vec![0u8; 8192];
        let n = stream.read(&mut buf).await.unwrap_or(0);
        let head = String::from_utf8_lossy(&buf[..n]).into_owned();
        let target = head.split_whitespace().nth(1).unwrap_or("").to_string();
        // Only a request carrying a code is the answer (not the browser's /favicon.ico).
        let answer = target.split_once('?').and_then(|(_, q)| parse_answer(&format!("?{q}")));
        let page = if answer.is_some() {
            "Logged in to claw-tui. You can close this tab."
        } else {
            "claw-tui is waiting for the login's answer here."
        };
        let reply = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{page}",
            page.len()
        );
        let _ = stream.write_all(reply.as_bytes()).await;
        if let Some(answer) = answer {
            return Ok(answer);
        }
    }
}

/// Logs in: prints (and unless `no_browser`, opens) the authorization page, waits for the
/// answer on the loopback listener or a pasted line on stdin, checks the state, trades the
/// code for tokens and stores them.
pub async fn login(endpoints: &Endpoints, no_browser: bool) -> Result<PathBuf, String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.map_err(|e| format!("no local port: {e}"))?;
    let port = listener.local_addr().map_err(|e| e.to_string())?.port();
    let redirect = format!("http://127.0.0.1:{port}/callback");
    let (verifier, state) = (random(32)?, random(32)?);
    let mut url = reqwest::Url::parse(&endpoints.authorize).map_err(|e| format!("{}: {e}", endpoints.authorize))?;
    url.query_pairs_mut()
        .append_pair("code", "true")
        .append_pair("response_type", "code")
        .append_pair("client_id", &endpoints.client_id)
        .append_pair("redirect_uri", &redirect)
        .append_pair("scope", &endpoints.scopes)
        .append_pair("code_challenge", &challenge(&verifier))
        .append_pair("code_challenge_method", "S256")
        .append_pair("state", &state);
    println!("Open this address to log in:\n\n  {url}\n");
    println!("Waiting for the answer... (on another machine? paste the address the browser ended on, or the code)");
    if !no_browser {
        open_browser(url.as_str());
    }
    let (code, got_state) = wait_for_answer(&listener).await?;
    if got_state.as_deref().is_some_and(|s| s != state) {
        return Err("the answer's state does not match this login (a stale or forged answer); try again".into());
    }
    let body = serde_json::json!({
        "grant_type": "authorization_code", "code": code, "state": state, "client_id": endpoints.client_id,
        "redirect_uri": redirect, "code_verifier": verifier,
    });
    let tokens = tokens_of(token_request(endpoints, body).await?, None)?;
    save(&tokens)
}

/// Waits for the authorization's answer: the browser's redirect to `listener`, or a line
/// pasted on stdin (the address the browser ended on, or the code). The code, and the state
/// when the answer carries one.
pub(crate) async fn wait_for_answer(listener: &tokio::net::TcpListener) -> Result<(String, Option<String>), String> {
    let reader = PastedLines::start();
    let mut lines = reader.lines;
    // One listener future for the whole wait: a connection it accepted is never dropped
    // because a line arrived meanwhile.
    let browser = read_redirect(listener);
    tokio::pin!(browser);
    let mut stdin_open = true;
    let (code, got_state) = loop {
        tokio::select! {
            answer = &mut browser => break answer?,
            line = lines.recv(), if stdin_open => match line {
                Some(line) => {
                    if let Some(answer) = parse_answer(&line) {
                        break answer;
                    }
                }
                // No terminal to paste into: only the browser can answer.
                None => stdin_open = false,
            },
        }
    };
    drop(reader.stop);
    Ok((code, got_state))
}

/// Lines typed (pasted) on stdin while the login waits, read by a thread that polls stdin and
/// stops once the login no longer listens, so that it never takes a key from whatever reads
/// the terminal next (the interface, after /login).
struct PastedLines {
    lines: tokio::sync::mpsc::UnboundedReceiver<String>,
    stop: StopOnDrop,
}

/// Sets its flag when dropped.
struct StopOnDrop(std::sync::Arc<std::sync::atomic::AtomicBool>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

impl PastedLines {
    fn start() -> PastedLines {
        use std::io::BufRead;
        use std::sync::atomic::Ordering;
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (tx, lines) = tokio::sync::mpsc::unbounded_channel();
        let flag = stop.clone();
        std::thread::spawn(move || {
            while !flag.load(Ordering::SeqCst) {
                let mut pfd = libc::pollfd { fd: 0, events: libc::POLLIN, revents: 0 };
                // SAFETY: one valid pollfd, for the duration of the call.
                let ready = unsafe { libc::poll(&mut pfd, 1, 100) };
                if ready < 0 {
                    break;
                }
                if ready == 0 || flag.load(Ordering::SeqCst) {
                    continue;
                }
                let mut line = String::new();
                match std::io::stdin().lock().read_line(&mut line) {
                    Ok(0) | Err(_) => break,
                    Ok(_) if tx.send(line).is_err() => break,
                    Ok(_) => {}
                }
            }
        });
        PastedLines { lines, stop: StopOnDrop(stop) }
    }
}

/// Opens `url` in the desktop's browser, quietly (nothing happens without one).
pub(crate) fn open_browser(url: &str) {
    let opener = if cfg!(target_os = "macos") { "open" } else { "xdg-open" };
    let mut cmd = std::process::Command::new(opener);
    cmd.arg(url)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    let _ = crate::child::scrub(&mut cmd).spawn();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_challenge_is_rfc_7636s() {
        // The example of RFC 7636, appendix B.
        assert_eq!(
            challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn answers_are_read_from_an_address_a_query_or_a_pasted_code() {
        let code = |s: &str| parse_answer(s);
        assert_eq!(code("http://127.0.0.1:5/callback?code=abc&state=xyz"), Some(("abc".into(), Some("xyz".into()))));
        assert_eq!(code("/callback?state=s&code=c%2Fd"), Some(("c/d".into(), Some("s".into()))));
        assert_eq!(code("abc#xyz"), Some(("abc".into(), Some("xyz".into()))));
        assert_eq!(code("  abc \n"), Some(("abc".into(), None)));
        assert_eq!(code(""), None);
    }

    #[test]
    fn tokens_never_print() {
        let t = Tokens { access_token: "sk-at".into(), refresh_token: "sk-rt".into(), expires_at: 1 };
        let shown = format!("{t:?}");
        assert!(!shown.contains("sk-at") && !shown.contains("sk-rt"), "{shown}");
        assert!(t.stale());
    }
}
