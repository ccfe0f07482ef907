//! `claw-tui login` against an OAuth server started here: PKCE (the verifier's S256 challenge
//! is checked by the server), the state, the loopback redirect, tokens stored 0600, used as a
//! bearer with the beta header, refreshed before expiry and after a 401; `logout`.

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use claw_tui::provider::scripted::{BlockScript, Reply, Scenario};
use serde_json::{Value, json};
use support::MockServer;

/// A token endpoint: checks the code and the PKCE verifier against the challenge the
/// authorization address carried, and refresh tokens; records every request.
struct OAuthServer {
    url: String,
    challenge: Arc<Mutex<Option<String>>>,
    requests: Arc<Mutex<Vec<Value>>>,
}

fn s256(verifier: &str) -> String {
    claw_tui::oauth::challenge(verifier)
}

impl OAuthServer {
    fn start() -> OAuthServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let challenge: Arc<Mutex<Option<String>>> = Arc::default();
        let requests: Arc<Mutex<Vec<Value>>> = Arc::default();
        let (c, r) = (challenge.clone(), requests.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let body = read_body(&stream);
                r.lock().unwrap().push(body.clone());
                let answer = token_answer(&body, c.lock().unwrap().as_deref());
                let (status, text) = match answer {
                    Ok(v) => ("200 OK", v.to_string()),
                    Err(why) => {
                        ("400 Bad Request", json!({"error": "invalid_grant", "error_description": why}).to_string())
                    }
                };
                let mut stream = stream;
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{text}",
                    text.len()
                );
            }
        });
        OAuthServer { url, challenge, requests }
    }

    fn env(&self, cmd: &mut Command) {
        cmd.env("CLAW_OAUTH_AUTHORIZE_URL", format!("{}/authorize", self.url))
            .env("CLAW_OAUTH_TOKEN_URL", format!("{}/token", self.url))
            .env("CLAW_OAUTH_CLIENT_ID", "test-client");
    }
}

fn read_body(stream: &TcpStream) -> Value {
    let mut reader = BufReader::new(stream);
    let mut length = 0;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
            break;
        }
        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            length = v.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0; length];
    let _ = reader.read_exact(&mut body);
    serde_json::from_slice(&body).unwrap_or(Value::Null)
}

fn token_answer(body: &Value, challenge: Option<&str>) -> Result<Value, String> {
    if body["client_id"] != "test-client" {
        return Err("unknown client".into());
    }
    match body["grant_type"].as_str() {
        Some("authorization_code") => {
            if body["code"] != "the-code" {
                return Err("bad code".into());
            }
            let verifier = body["code_verifier"].as_str().ok_or("no verifier")?;
            if Some(s256(verifier).as_str()) != challenge {
                return Err("the verifier does not match the challenge".into());
            }
            Ok(json!({"access_token": "at-1", "refresh_token": "rt-1", "expires_in": 3600, "token_type": "Bearer"}))
        }
        Some("refresh_token") if body["refresh_token"] == "rt-1" => {
            Ok(json!({"access_token": "at-2", "refresh_token": "rt-2", "expires_in": 3600}))
        }
        _ => Err("unsupported grant".into()),
    }
}

fn claw(home: &Path, work: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_claw-tui"));
    cmd.current_dir(work)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("CLAW_CONFIG_HOME", home.join(".claw"));
    cmd
}

/// Runs `claw-tui login --no-browser`, answers as the browser would (with `state` when given,
/// else the one asked for); returns the exit status and stderr.
fn login(oauth: &OAuthServer, home: &Path, work: &Path, state: Option<&str>) -> (bool, String) {
    login_by(oauth, home, work, state, false)
}

/// As [`login`]; with `paste`, the answer is pasted at the prompt (as over SSH, where the
/// browser cannot reach the listener) instead of coming to the listener.
fn login_by(oauth: &OAuthServer, home: &Path, work: &Path, state: Option<&str>, paste: bool) -> (bool, String) {
    let mut cmd = claw(home, work);
    oauth.env(&mut cmd);
    // A terminal that stays open and silent (nobody pastes): the login must still end when
    // the browser answers, not wait for a line.
    let mut child = cmd
        .args(["login", "--no-browser"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let address = loop {
        let mut line = String::new();
        assert!(out.read_line(&mut line).unwrap() > 0, "login printed no address");
        if let Some(a) = line.trim().strip_prefix("http") {
            break format!("http{a}");
        }
    };
    let url = reqwest::Url::parse(&address).unwrap();
    let q = |k: &str| url.query_pairs().find(|(n, _)| n == k).map(|(_, v)| v.into_owned()).unwrap();
    assert!(address.starts_with(&format!("{}/authorize?", oauth.url)), "{address}");
    assert_eq!((q("code_challenge_method").as_str(), q("client_id").as_str()), ("S256", "test-client"));
    *oauth.challenge.lock().unwrap() = Some(q("code_challenge"));
    // The browser comes back to the loopback address with the code.
    let redirect = reqwest::Url::parse(&q("redirect_uri")).unwrap();
    assert_eq!(redirect.host_str(), Some("127.0.0.1"));
    let state = state.map_or_else(|| q("state"), str::to_string);
    if paste {
        writeln!(stdin, "{redirect}?code=the-code&state={state}").unwrap();
    } else {
        let mut browser = TcpStream::connect((redirect.host_str().unwrap(), redirect.port().unwrap())).unwrap();
        write!(browser, "GET {}?code=the-code&state={state} HTTP/1.1\r\nhost: x\r\n\r\n", redirect.path()).unwrap();
        let mut page = String::new();
        let _ = browser.read_to_string(&mut page);
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("login did not finish after the browser's answer");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let mut err = String::new();
    child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
    (status.success(), err)
}

#[test]
fn login_with_pkce_stores_private_tokens_and_logout_forgets_them() {
    let oauth = OAuthServer::start();
    let (home, work) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (ok, err) = login(&oauth, home.path(), work.path(), None);
    assert!(ok, "{err}");
    let file = home.path().join(".claw/credentials.json");
    let stored: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(stored["anthropic"]["access_token"], "at-1");
    assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
    let exchange = &oauth.requests.lock().unwrap()[0];
    assert_eq!(exchange["grant_type"], "authorization_code");
    assert!(exchange["redirect_uri"].as_str().unwrap().starts_with("http://127.0.0.1:"));

    let out = claw(home.path(), work.path()).arg("logout").output().unwrap();
    assert!(out.status.success());
    assert!(!file.exists(), "logout removes the tokens");
}

#[test]
fn over_ssh_the_address_the_browser_ended_on_is_pasted() {
    let oauth = OAuthServer::start();
    let (home, work) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (ok, err) = login_by(&oauth, home.path(), work.path(), None, true);
    assert!(ok, "{err}");
    assert!(std::fs::read_to_string(home.path().join(".claw/credentials.json")).unwrap().contains("at-1"));
}

#[test]
fn an_answer_with_another_state_is_refused() {
    // The attack: an answer from another login (or a forged one) lands on the listener.
    let oauth = OAuthServer::start();
    let (home, work) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (ok, err) = login(&oauth, home.path(), work.path(), Some("forged-state"));
    assert!(!ok);
    assert!(err.contains("state does not match"), "{err}");
    assert!(!home.path().join(".claw/credentials.json").exists());
    assert!(oauth.requests.lock().unwrap().is_empty(), "no code was traded");
}

fn store(home: &Path, access: &str, expires_at: u64) {
    std::fs::create_dir_all(home.join(".claw")).unwrap();
    let t = json!({"anthropic": {"access_token": access, "refresh_token": "rt-1", "expires_at": expires_at}});
    std::fs::write(home.join(".claw/credentials.json"), t.to_string()).unwrap();
}

fn text_reply(text: &str) -> Reply {
    Reply { content: vec![BlockScript::Text { text: text.into(), chunk: None }], ..Default::default() }
}

fn run_prompt(server: &MockServer, oauth: &OAuthServer, home: &Path, work: &Path) -> std::process::Output {
    let mut cmd = claw(home, work);
    oauth.env(&mut cmd);
    cmd.env("ANTHROPIC_BASE_URL", &server.url).args(["-p", "hi"]).timeout_output()
}

trait TimeoutOutput {
    fn timeout_output(&mut self) -> std::process::Output;
}

impl TimeoutOutput for Command {
    fn timeout_output(&mut self) -> std::process::Output {
        let mut cmd = assert_cmd::Command::from_std(std::mem::replace(self, Command::new("true")));
        cmd.timeout(Duration::from_secs(30)).output().unwrap()
    }
}

#[test]
fn an_expired_login_is_refreshed_before_use_and_sent_with_the_beta_header() {
    let oauth = OAuthServer::start();
    let server = MockServer::start(Scenario { replies: vec![text_reply("hello")], ..Default::default() });
    let (home, work) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    store(home.path(), "at-old", 0);
    let out = run_prompt(&server, &oauth, home.path(), work.path());
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let r = &server.requests()[0];
    assert_eq!(r.header("authorization"), Some("Bearer at-2"), "refreshed before the request");
    assert_eq!(r.header("anthropic-beta"), Some("oauth-2025-04-20"));
    assert_eq!(r.header("x-api-key"), None);
    let stored = std::fs::read_to_string(home.path().join(".claw/credentials.json")).unwrap();
    assert!(stored.contains("at-2") && stored.contains("rt-2"), "the renewed tokens are kept");
    for file in support::walk(home.path()).into_iter().filter(|f| !f.ends_with("credentials.json")) {
        let text = String::from_utf8_lossy(&std::fs::read(&file).unwrap()).into_owned();
        assert!(!text.contains("at-2") && !text.contains("rt-2"), "a token was written to {}", file.display());
    }
}

#[test]
fn a_401_renews_the_login_once_and_retries() {
    let oauth = OAuthServer::start();
    let denied = Reply { status: Some(401), ..Default::default() };
    let server = MockServer::start(Scenario { replies: vec![denied, text_reply("hello again")], ..Default::default() });
    let (home, work) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    store(home.path(), "at-revoked", u64::MAX / 2);
    let out = run_prompt(&server, &oauth, home.path(), work.path());
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "hello again\n");
    let auth: Vec<String> =
        server.requests().iter().map(|r| r.header("authorization").unwrap_or_default().to_string()).collect();
    assert_eq!(auth, ["Bearer at-revoked", "Bearer at-2"]);
}

#[test]
fn a_login_refused_even_after_renewal_says_to_log_in_again() {
    let oauth = OAuthServer::start();
    let denied = || Reply { status: Some(401), ..Default::default() };
    let server = MockServer::start(Scenario { replies: vec![denied(), denied()], ..Default::default() });
    let (home, work) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    store(home.path(), "at-revoked", u64::MAX / 2);
    let out = run_prompt(&server, &oauth, home.path(), work.path());
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("run `claw-tui login` again"), "{err}");
    assert!(!err.contains("ANTHROPIC_API_KEY"), "no key is in use: {err}");
}

#[test]
fn the_model_cannot_read_the_stored_login() {
    // The attack: a model (or a prompt injected into what it read) asks for the tokens.
    let oauth = OAuthServer::start();
    let (home, work) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    store(home.path(), "at-secret-token", u64::MAX / 2);
    let file = home.path().join(".claw/credentials.json");
    let tool = |id: &str, name: &str, input: Value| BlockScript::ToolUse {
        id: id.into(),
        name: name.into(),
        input,
        input_raw: None,
        chunk: None,
    };
    let scenario = Scenario {
        replies: vec![
            Reply {
                content: vec![
                    tool("t1", "bash", json!({"command": format!("cat {}", file.display())})),
                    tool("t2", "read_file", json!({"path": file.display().to_string()})),
                ],
                ..Default::default()
            },
            text_reply("done"),
        ],
        ..Default::default()
    };
    let server = MockServer::start(scenario);
    let out = run_prompt(&server, &oauth, home.path(), work.path());
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let results = server.tool_results();
    assert_eq!(results.len(), 2, "{results:?}");
    for (text, is_error) in &results {
        assert!(*is_error, "refused: {text}");
        assert!(text.contains("outside the workspace"), "with the reason: {text}");
        assert!(!text.contains("at-secret-token"), "the token never reaches the model: {text}");
    }
}
