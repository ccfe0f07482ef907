//! WebFetch and WebSearch through the real binary (headless) against pages served by the
//! test on 127.0.0.1 and the mock model, which also plays the small model that reads a page.

mod support;

use std::collections::HashMap;
use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use assert_cmd::Command;
use serde_json::{Value, json};
use support::MockServer;

/// A tiny web server: each path's status, headers and body; every path asked is recorded.
struct Site {
    url: String,
    hits: Arc<Mutex<Vec<String>>>,
    /// Each request's head (request line and headers).
    heads: Arc<Mutex<Vec<String>>>,
}

type Route = (u16, Vec<(&'static str, String)>, Vec<u8>);

fn site(routes: HashMap<&'static str, Route>) -> Site {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let hits = Arc::new(Mutex::new(Vec::new()));
    let heads = Arc::new(Mutex::new(Vec::new()));
    let (seen, seen_heads) = (hits.clone(), heads.clone());
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut stream = stream;
            let mut buf = [0u8; 8192];
            let n = stream.read(&mut buf).unwrap_or(0);
            let head = String::from_utf8_lossy(&buf[..n]).into_owned();
            let target = head.split_whitespace().nth(1).unwrap_or("/").to_string();
            seen.lock().unwrap().push(target.clone());
            seen_heads.lock().unwrap().push(head.clone());
            let path = target.split('?').next().unwrap_or("/").to_string();
            let (status, headers, body) =
                routes.get(path.as_str()).cloned().unwrap_or((404, vec![], b"no such page".to_vec()));
            let mut out = format!("HTTP/1.1 {status} X\r\ncontent-length: {}\r\nconnection: close\r\n", body.len());
            for (k, v) in headers {
                out.push_str(&format!("{k}: {v}\r\n"));
            }
            out.push_str("\r\n");
            let _ = stream.write_all(out.as_bytes());
            let _ = stream.write_all(&body);
        }
    });
    Site { url, hits, heads }
}

fn html(body: &str) -> Route {
    (200, vec![("content-type", "text/html; charset=utf-8".into())], body.as_bytes().to_vec())
}

fn model(replies: Value) -> MockServer {
    let scenario = json!({"name": "web", "description": "", "replies": replies});
    MockServer::start(claw_tui::provider::scripted::Scenario::from_json(&scenario.to_string()).unwrap())
}

fn call(id: &str, tool: &str, input: Value) -> Value {
    json!({"content": [{"type": "tool_use", "id": id, "name": tool, "input": input}]})
}

fn claw(server: &MockServer, work: &std::path::Path, home: &std::path::Path) -> Command {
    let mut cmd = Command::from_std(support::claw_command(&server.url, work, home));
    cmd.timeout(Duration::from_secs(60));
    cmd
}

#[test]
fn a_page_is_read_by_the_small_model_cached_and_redirects_elsewhere_are_reported() {
    let site = site(HashMap::from([
        (
            "/guide",
            html(
                "<html><head><title>Guide</title></head><body><h1>Install</h1><p>Run <code>cargo install claw</code>.</p></body></html>",
            ),
        ),
        ("/moved", (301, vec![("location", "/guide".into())], vec![])),
        ("/away", (302, vec![("location", "http://localhost:9/elsewhere".into())], vec![])),
        ("/logo.png", (200, vec![("content-type", "image/png".into())], b"\x89PNG\r\n\x1a\n\0\0".to_vec())),
    ]));
    let guide = format!("{}/guide", site.url);
    let server = model(json!([
        call("t1", "WebFetch", json!({"url": guide, "prompt": "How do I install it?"})),
        {"route": "Web page content from", "content": [{"type": "text", "text": "Run `cargo install claw`."}], "usage": {"input_tokens": 300, "output_tokens": 9}},
        call("t2", "WebFetch", json!({"url": guide, "prompt": "Again?"})),
        {"route": "Again?", "content": [{"type": "text", "text": "Same answer."}]},
        call("t2b", "WebFetch", json!({"url": format!("{}/moved", site.url), "prompt": "Moved?"})),
        {"route": "Moved?", "content": [{"type": "text", "text": "Followed."}]},
        call("t3", "WebFetch", json!({"url": format!("{}/away", site.url), "prompt": "x"})),
        call("t4", "WebFetch", json!({"url": format!("{}/logo.png", site.url), "prompt": "x"})),
        call("t5", "WebFetch", json!({"url": format!("{}/missing", site.url), "prompt": "x"})),
        call("t6", "WebFetch", json!({"url": "http://127.0.0.1:9/closed", "prompt": "x"})),
        {"content": [{"type": "text", "text": "done"}]}
    ]));
    let (work, home) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let out = claw(&server, work.path(), home.path())
        .args(["-p", "read the guide", "--allowedTools", "WebFetch(domain:127.0.0.1)", "--output-format", "json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let results = server.tool_results();
    assert!(results[0].0.starts_with("Run `cargo install claw`. (from ") && !results[0].1, "{results:?}");
    let small = server.requests().into_iter().find(|r| r.raw_body.contains("Web page content from")).unwrap();
    assert_eq!(small.body["model"], "claude-haiku-4-5");
    assert!(small.body["tools"].as_array().is_none_or(|t| t.is_empty()), "the small model gets no tools");
    assert!(small.raw_body.contains("# Install") && small.raw_body.contains("cargo install claw"), "HTML as Markdown");
    // The same page again comes from the cache; a redirect on the same host is followed.
    let hits = site.hits.lock().unwrap().clone();
    assert_eq!(hits[..3], ["/guide", "/moved", "/guide"], "{hits:?}");
    assert!(results[1].0.starts_with("Same answer.") && results[2].0.starts_with("Followed."), "{results:?}");
    let results = &results[1..];
    assert!(results[2].0.contains("redirects (302) to another host: http://localhost:9/elsewhere") && !results[2].1);
    assert!(results[3].1 && results[3].0.contains("image/png content is not text"), "{:?}", results[3]);
    assert!(results[4].1 && results[4].0.contains("answered 404"), "{:?}", results[4]);
    assert!(results[5].1 && results[5].0.contains("cannot connect"), "{:?}", results[5]);
    // The small model's tokens are in the session's cost.
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(json["usage"]["input_tokens"].as_u64().unwrap() >= 300, "{json}");
}

#[test]
fn fetching_asks_per_domain_and_headless_is_refused_naming_the_rule() {
    let site = site(HashMap::from([("/", html("<p>hi</p>"))]));
    let server = model(
        json!([call("t1", "WebFetch", json!({"url": format!("{}/", site.url), "prompt": "x"})), {"content": [{"type": "text", "text": "done"}]}]),
    );
    let (work, home) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let out = claw(&server, work.path(), home.path()).args(["-p", "go"]).output().unwrap();
    assert!(out.status.success());
    let (text, is_error) = &server.tool_results()[0];
    assert!(
        *is_error && text.starts_with("Permission denied: reaching the network needs danger-full-access"),
        "{text}"
    );
    assert!(text.contains("--allowedTools \"WebFetch(domain:127.0.0.1)\""), "{text}");
    assert!(site.hits.lock().unwrap().is_empty(), "nothing was fetched");
    // A rule for another domain does not allow it either.
    let server = model(
        json!([call("t1", "WebFetch", json!({"url": format!("{}/", site.url), "prompt": "x"})), {"content": [{"type": "text", "text": "done"}]}]),
    );
    claw(&server, work.path(), home.path())
        .args(["-p", "go", "--allowedTools", "WebFetch(domain:example.com)"])
        .output()
        .unwrap();
    assert!(server.tool_results()[0].1);
    assert!(site.hits.lock().unwrap().is_empty());
}

#[test]
fn a_search_returns_decoded_filtered_results() {
    let page = r#"<html><body>
<div class="result"><a class="result__a" href="//duckduckgo.com/l/?uddg=https%3A%2F%2Fdocs.rs%2Ftokio&amp;rut=x">tokio - Rust</a>
<a class="result__snippet">An asynchronous runtime.</a></div>
<div class="result"><a class="result__a" href="//duckduckgo.com/l/?uddg=https%3A%2F%2Fspam.example%2Ftokio">Tokio tips!!!</a></div>
</body></html>"#;
    let site = site(HashMap::from([("/html/", html(page))]));
    let server = model(json!([
        call("t1", "WebSearch", json!({"query": "tokio runtime", "blocked_domains": ["spam.example"]})),
        {"content": [{"type": "text", "text": "done"}]}
    ]));
    let (work, home) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let out = claw(&server, work.path(), home.path())
        .env("CLAWD_WEB_SEARCH_BASE_URL", &site.url)
        .args(["-p", "search", "--allowedTools", "WebSearch"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let (text, is_error) = &server.tool_results()[0];
    assert!(
        !is_error && text.contains("1. tokio - Rust\n   https://docs.rs/tokio\n   An asynchronous runtime."),
        "{text}"
    );
    assert!(!text.contains("spam.example"), "{text}");
    let hits = site.hits.lock().unwrap().clone();
    assert!(hits[0].starts_with("/html/?q=tokio+runtime"), "{hits:?}");
}

/// With a Brave Search API key set, the search goes to the API with the key in its header
/// (and nowhere else: not in the results, not in a command's environment); a refused key is
/// said as such.
#[test]
fn a_search_api_key_sends_the_search_to_the_api() {
    let answer = json!({"web": {"results": [
        {"title": "<strong>tokio</strong> - Rust", "url": "https://docs.rs/tokio", "description": "An asynchronous <strong>runtime</strong>."},
        {"title": "Tokio tips", "url": "https://spam.example/tokio", "description": "!!!"}
    ]}});
    let json_route = (200, vec![("content-type", "application/json".into())], answer.to_string().into_bytes());
    let site = site(HashMap::from([("/res/v1/web/search", json_route)]));
    let server = model(json!([
        call("t1", "WebSearch", json!({"query": "tokio runtime", "blocked_domains": ["spam.example"]})),
        call("t2", "bash", json!({"command": "env | grep -c brave-secret || true"})),
        {"content": [{"type": "text", "text": "done"}]}
    ]));
    let (work, home) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let out = claw(&server, work.path(), home.path())
        .env("CLAW_BRAVE_SEARCH_BASE_URL", &site.url)
        .env("BRAVE_SEARCH_API_KEY", "brave-secret-123")
        .args(["-p", "search", "--permission-mode", "danger-full-access"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let r = server.tool_results();
    assert!(
        !r[0].1 && r[0].0.contains("1. tokio - Rust\n   https://docs.rs/tokio\n   An asynchronous runtime."),
        "{:?}",
        r[0]
    );
    assert!(!r[0].0.contains("spam.example"), "{:?}", r[0]);
    assert_eq!(r[1].0.trim(), "0", "the key is not in a command's environment");
    let head = site.heads.lock().unwrap()[0].to_ascii_lowercase();
    assert!(head.starts_with("get /res/v1/web/search?q=tokio+runtime&count=20 "), "{head}");
    assert!(head.contains("x-subscription-token: brave-secret-123"), "{head}");
    let bodies: String = server.requests().iter().map(|q| q.body.to_string()).collect();
    assert!(!bodies.contains("brave-secret-123"), "the key never reaches the model");

    // A key the API refuses.
    let refused = site_refusing();
    let server =
        model(json!([call("t1", "WebSearch", json!({"query": "x"})), {"content": [{"type": "text", "text": "done"}]}]));
    let out = claw(&server, work.path(), home.path())
        .env("CLAW_BRAVE_SEARCH_BASE_URL", &refused.url)
        .env("BRAVE_API_KEY", "wrong")
        .args(["-p", "search", "--allowedTools", "WebSearch"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let r = server.tool_results();
    assert!(r[0].1 && r[0].0.contains("the Brave Search API refused the key (status 401)"), "{:?}", r[0]);
}

fn site_refusing() -> Site {
    site(HashMap::from([("/res/v1/web/search", (401, vec![], b"{\"error\":\"bad key\"}".to_vec()))]))
}

/// The model reading and changing settings through Config: permission settings are never
/// changed; a change is a protected write (refused headless), and with a rule naming the file
/// it is written, the file's comments kept.
#[test]
fn config_reads_settings_and_never_widens_permissions() {
    let (work, home) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    std::fs::create_dir_all(work.path().join(".claw")).unwrap();
    std::fs::write(work.path().join(".claw/config.local.toml"), "# my local settings\ntheme = \"dark\"\n").unwrap();
    let server = model(json!([
        call("t1", "Config", json!({"setting": "theme"})),
        call("t2", "Config", json!({"setting": "permission_mode", "value": "danger-full-access"})),
        call("t3", "Config", json!({"setting": "permissions.allow", "value": "Bash"})),
        call("t4", "Config", json!({"setting": "theme", "value": "light"})),
        {"content": [{"type": "text", "text": "done"}]}
    ]));
    let out = claw(&server, work.path(), home.path())
        .args(["-p", "go", "--permission-mode", "danger-full-access"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let r = server.tool_results();
    assert!(!r[0].1 && r[0].0.starts_with("theme = \"dark\"") && r[0].0.contains("config.local.toml"), "{:?}", r[0]);
    assert!(r[1].1 && r[1].0.contains("`permission_mode` cannot be changed by the model"), "{:?}", r[1]);
    assert!(r[2].1 && r[2].0.contains("`permissions.allow` cannot be changed by the model"), "{:?}", r[2]);
    assert!(r[3].1 && r[3].0.contains("Permission denied"), "a protected write, even in full access: {:?}", r[3]);
    assert_eq!(
        std::fs::read_to_string(work.path().join(".claw/config.local.toml")).unwrap(),
        "# my local settings\ntheme = \"dark\"\n"
    );

    // The user allows that file: the change is written, the comment kept.
    let server = model(
        json!([call("t1", "Config", json!({"setting": "theme", "value": "light"})), {"content": [{"type": "text", "text": "done"}]}]),
    );
    let out = claw(&server, work.path(), home.path())
        .args(["-p", "go", "--allowedTools", "Config(**/.claw/config.local.toml)"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(!server.tool_results()[0].1, "{:?}", server.tool_results());
    assert_eq!(
        std::fs::read_to_string(work.path().join(".claw/config.local.toml")).unwrap(),
        "# my local settings\ntheme = \"light\"\n"
    );
}
