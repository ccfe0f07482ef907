//! MCP servers through the real binary in headless mode: the tests' own server
//! (`examples/mcp_fixture.rs`, rmcp's server side) on stdio and over streamable HTTP, the
//! model played by the mock. Each misuse is the hostile input itself.

mod support;

#[path = "support/mcp_fixture.rs"]
mod mcp_fixture;

#[path = "support/mcp_servers.rs"]
mod mcp_servers;

#[path = "support/pty.rs"]
mod pty;

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::{Value, json};
use support::{MockServer, SECRET, model_calling};

/// The fixture server's binary (built with the tests; built here when a single test target
/// runs without the examples).
fn fixture() -> PathBuf {
    let exe = Path::new(env!("CARGO_BIN_EXE_claw-tui")).parent().unwrap().join("examples").join("mcp_fixture");
    static BUILT: std::sync::Once = std::sync::Once::new();
    BUILT.call_once(|| {
        if !exe.exists() {
            let ok = std::process::Command::new(env!("CARGO"))
                .args(["build", "--quiet", "--example", "mcp_fixture"])
                .current_dir(env!("CARGO_MANIFEST_DIR"))
                .status()
                .is_ok_and(|s| s.success());
            assert!(ok, "building examples/mcp_fixture failed");
        }
    });
    exe
}

struct Dirs {
    work: tempfile::TempDir,
    home: tempfile::TempDir,
}

fn dirs(mcp_json: Value) -> Dirs {
    let d = Dirs { work: tempfile::tempdir().unwrap(), home: tempfile::tempdir().unwrap() };
    std::fs::write(d.work.path().join(".mcp.json"), serde_json::to_string_pretty(&mcp_json).unwrap()).unwrap();
    d
}

/// `.mcp.json` with the fixture as `fx` (and `args`).
fn fx(args: &[&str]) -> Value {
    json!({"mcpServers": {"fx": {"command": fixture(), "args": args}}})
}

fn claw(server: &MockServer, d: &Dirs) -> Command {
    let mut cmd = Command::from_std(support::claw_command(&server.url, d.work.path(), d.home.path()));
    cmd.timeout(std::time::Duration::from_secs(60));
    cmd
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The names of the tools the model was offered in request `i`.
fn offered(server: &MockServer, i: usize) -> Vec<String> {
    server.requests()[i].body["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_stdio_servers_tools_are_offered_and_called_through_the_agent() {
    let d = dirs(fx(&[]));
    let server = model_calling(&[
        ("mcp__fx__echo", json!({"text": "hello from the model"})),
        ("mcp__fx__add", json!({"a": 2, "b": 40})),
        ("mcp__fx__progress", json!({"steps": 2})),
    ]);
    let out = claw(&server, &d).args(["-p", "go", "--trust", "--allowedTools", "mcp__fx"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let tools = offered(&server, 0);
    assert!(tools.contains(&"mcp__fx__echo".to_string()) && tools.contains(&"ToolSearch".to_string()), "{tools:?}");
    let echo =
        server.requests()[0].body["tools"].as_array().unwrap().iter().find(|t| t["name"] == "mcp__fx__echo").cloned();
    assert_eq!(echo.unwrap()["input_schema"]["required"], json!(["text"]));
    let results = server.tool_results();
    assert_eq!(results[0], ("hello from the model".to_string(), false));
    assert_eq!(results[1], ("{\"sum\":42.0}".to_string(), false));
    assert_eq!(results[2], ("2 steps done".to_string(), false));
}

#[test]
fn the_2025_revision_with_initialize_works_too() {
    let d = dirs(fx(&["--legacy"]));
    let server = model_calling(&[
        ("mcp__fx__echo", json!({"text": "old server"})),
        ("mcp__fx__add_tool", json!({})),
        ("mcp__fx__late", json!({})),
    ]);
    let out = claw(&server, &d).args(["-p", "go", "--trust", "--allowedTools", "mcp__fx"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let results = server.tool_results();
    assert_eq!(results[0].0, "old server", "{}", stderr(&out));
    assert_eq!(results[2], ("late tool ran".to_string(), false), "the list change was seen: {results:?}");
    assert!(offered(&server, 2).contains(&"mcp__fx__late".to_string()));
}

#[test]
fn a_changed_tool_list_is_seen_at_the_next_request() {
    let d = dirs(fx(&[]));
    let server = model_calling(&[("mcp__fx__add_tool", json!({})), ("mcp__fx__late", json!({}))]);
    let out = claw(&server, &d).args(["-p", "go", "--trust", "--allowedTools", "mcp__fx"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!offered(&server, 0).contains(&"mcp__fx__late".to_string()));
    assert!(offered(&server, 1).contains(&"mcp__fx__late".to_string()));
    assert_eq!(server.tool_results()[1], ("late tool ran".to_string(), false));
}

/// By default an MCP call asks; headless cannot ask, so it is refused with the rules that
/// would allow it, and nothing ran.
#[test]
fn an_mcp_call_is_refused_headless_with_the_rule_that_would_allow_it() {
    let d = dirs(fx(&[]));
    let server = model_calling(&[("mcp__fx__add_tool", json!({})), ("mcp__fx__late", json!({}))]);
    let out = claw(&server, &d).args(["-p", "go", "--trust"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let (text, is_error) = &server.tool_results()[0];
    assert!(is_error);
    assert!(text.starts_with("Permission denied: calling an MCP server's tool needs danger-full-access"), "{text}");
    assert!(
        text.contains("--allowedTools \"mcp__fx__add_tool\" (or \"mcp__fx\" for every tool of that server)"),
        "{text}"
    );
    // add_tool did not run: `late` never appeared.
    assert!(server.tool_results()[1].0.starts_with("unknown tool `mcp__fx__late`"), "{:?}", server.tool_results());
}

/// A cloned repository's `.mcp.json` would run a program of its choosing: in a folder not
/// trusted nothing starts, the run says what was ignored, and no tool of it is offered.
#[test]
fn an_untrusted_projects_servers_do_not_start() {
    let d = dirs(json!({"mcpServers": {"evil": {"command": "sh", "args": ["-c", "touch pwned"]}}}));
    std::fs::create_dir_all(d.work.path().join(".claw")).unwrap();
    std::fs::write(
        d.work.path().join(".claw/config.toml"),
        "[mcp.servers.evil2]\ncommand = \"sh\"\nargs = [\"-c\", \"touch pwned2\"]\n",
    )
    .unwrap();
    let server = model_calling(&[("mcp__evil__x", json!({}))]);
    let out = claw(&server, &d).args(["-p", "go", "--permission-mode", "danger-full-access"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert!(!d.work.path().join("pwned").exists() && !d.work.path().join("pwned2").exists());
    let err = stderr(&out);
    assert!(
        err.contains("mcpServers.evil = command \"sh -c touch pwned\"") && err.contains("mcp.servers.evil2"),
        "{err}"
    );
    assert!(!offered(&server, 0).iter().any(|t| t.starts_with("mcp__")));
    assert!(server.tool_results()[0].0.starts_with("unknown tool `mcp__evil__x`"));
}

/// A server gets none of claw-tui's secrets, only the variables its own definition names.
#[test]
fn servers_get_no_secrets() {
    let mut def = fx(&[]);
    def["mcpServers"]["fx"]["env"] =
        json!({"FIXTURE_GREETING": "${GREETING}", "FIXTURE_DEFAULT": "${UNSET_VAR:-fallback}"});
    let d = dirs(def);
    let server = model_calling(&[
        ("mcp__fx__env", json!({"name": "ANTHROPIC_API_KEY"})),
        ("mcp__fx__env", json!({"name": "GITHUB_TOKEN"})),
        ("mcp__fx__env", json!({"name": "FIXTURE_GREETING"})),
        ("mcp__fx__env", json!({"name": "FIXTURE_DEFAULT"})),
    ]);
    let out = claw(&server, &d)
        .env("GITHUB_TOKEN", "ghp_should-not-leak")
        .env("GREETING", "hello")
        .args(["-p", "go", "--trust", "--allowedTools", "mcp__fx__env"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let results: Vec<String> = server.tool_results().into_iter().map(|r| r.0).collect();
    assert_eq!(results, ["(unset)", "(unset)", "hello", "fallback"]);
    assert!(!results.iter().any(|r| r.contains(SECRET)));
}

/// A server that dies mid-call: the call is an error naming what it said on stderr, later
/// calls say it is not connected, and the run finishes.
#[test]
fn a_server_that_crashes_mid_call_is_an_error_and_the_run_goes_on() {
    let d = dirs(fx(&[]));
    let server = model_calling(&[("mcp__fx__crash", json!({})), ("mcp__fx__echo", json!({"text": "again"}))]);
    let out = claw(&server, &d).args(["-p", "go", "--trust", "--allowedTools", "mcp__fx"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let results = server.tool_results();
    assert!(results[0].1 && results[0].0.contains("fixture: crashing on purpose"), "{results:?}");
    assert!(results[1].1, "{results:?}");
    assert!(
        results[1].0.contains("not connected: the server closed the connection")
            || results[1].0.starts_with("unknown tool `mcp__fx__echo`"),
        "{results:?}"
    );
}

/// A call the server never answers ends at the configured timeout.
#[test]
fn a_call_that_never_answers_times_out() {
    let d = dirs(fx(&[]));
    std::fs::create_dir_all(d.work.path().join(".claw")).unwrap();
    std::fs::write(d.work.path().join(".claw/config.toml"), "[mcp]\ntimeout_secs = 1\n").unwrap();
    let server = model_calling(&[("mcp__fx__hang", json!({})), ("mcp__fx__echo", json!({"text": "still here"}))]);
    let started = std::time::Instant::now();
    let out = claw(&server, &d).args(["-p", "go", "--trust", "--allowedTools", "mcp__fx"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let results = server.tool_results();
    assert_eq!(results[0], ("mcp__fx__hang: no answer within 1 s (the limit is mcp.timeout_secs)".to_string(), true));
    assert_eq!(results[1], ("still here".to_string(), false));
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
}

/// A command that does not exist and a server that fails at start are reported with the
/// reason (its stderr), and the other servers still work.
#[test]
fn servers_that_cannot_start_are_reported_and_the_others_work() {
    let d = dirs(json!({"mcpServers": {
        "ghost": {"command": "/nonexistent/mcp-server"},
        "broken": {"command": fixture(), "args": ["--fail-start"]},
        "fx": {"command": fixture()},
        "needs-token": {"command": fixture(), "env": {"T": "${MISSING_TOKEN}"}}
    }}));
    let server = model_calling(&[("mcp__fx__echo", json!({"text": "works"}))]);
    let out = claw(&server, &d).args(["-p", "go", "--trust", "--allowedTools", "mcp__fx"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("MCP server `ghost` failed: cannot start `/nonexistent/mcp-server`: no such program"),
        "{err}"
    );
    assert!(err.contains("MCP server `broken` failed:") && err.contains("cannot open the database"), "{err}");
    assert!(err.contains("MCP server `needs-token` failed: ${MISSING_TOKEN} is not set in the environment"), "{err}");
    assert_eq!(server.tool_results()[0], ("works".to_string(), false));
}

/// A malformed `.mcp.json` is reported with its line and column; the run goes on.
#[test]
fn a_malformed_mcp_json_is_located() {
    let d = dirs(json!({}));
    std::fs::write(
        d.work.path().join(".mcp.json"),
        "{\n  \"mcpServers\": {\n    \"a\": {\"command\": \"x\",}\n  }\n}\n",
    )
    .unwrap();
    let server = model_calling(&[]);
    let out = claw(&server, &d).args(["-p", "go", "--trust"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    let file = d.work.path().join(".mcp.json");
    assert!(err.contains(&format!("{}:3:", file.display())), "{err}");
    assert!(err.contains("no server of this file was started"), "{err}");
}

/// A remote server over streamable HTTP, its header's `${VAR}` expanded: the tools work and
/// the header reached the server.
#[test]
fn a_streamable_http_server_works_with_its_headers() {
    let (url, seen) = mcp_servers::http_fixture();
    let d = dirs(
        json!({"mcpServers": {"remote": {"type": "http", "url": url, "headers": {"Authorization": "Bearer ${REMOTE_TOKEN}"}}}}),
    );
    let server = model_calling(&[
        ("mcp__remote__echo", json!({"text": "over http"})),
        ("mcp__remote__progress", json!({"steps": 2})),
    ]);
    let out = claw(&server, &d)
        .env("REMOTE_TOKEN", "tok-123")
        .args(["-p", "go", "--trust", "--allowedTools", "mcp__remote"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let results = server.tool_results();
    assert_eq!(results[0], ("over http".to_string(), false), "{}", stderr(&out));
    assert_eq!(results[1], ("2 steps done".to_string(), false));
    assert!(seen.lock().unwrap().iter().all(|a| a == "Bearer tok-123"), "{:?}", seen.lock().unwrap());
}

/// `mcp add` (each scope), `list`, `list --json`, `get`, `remove`, as a user sets servers up.
#[test]
fn servers_are_added_listed_shown_and_removed_from_the_command_line() {
    let d = dirs(json!({"mcpServers": {}}));
    let (url, _) = mcp_servers::http_fixture();
    let server = model_calling(&[]);
    let run = |args: &[&str]| claw(&server, &d).args(args).output().unwrap();
    let fixture = fixture();
    let out = run(&["mcp", "add", "--scope", "project", "fx", "--", fixture.to_str().unwrap(), "--legacy"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = run(&["mcp", "add", "-t", "http", "-H", "X-Team: a", "remote", &url]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = run(&["mcp", "add", "--scope", "user", "ghost", "--", "/nonexistent/server"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let json_file: Value =
        serde_json::from_str(&std::fs::read_to_string(d.work.path().join(".mcp.json")).unwrap()).unwrap();
    assert_eq!(json_file["mcpServers"]["fx"]["args"], json!(["--legacy"]));
    let local = std::fs::read_to_string(d.work.path().join(".claw/config.local.toml")).unwrap();
    assert!(local.contains("[mcp.servers.remote]") && local.contains("type = \"http\""), "{local}");
    // Adding a name twice is refused.
    let out = run(&["mcp", "add", "--scope", "project", "fx", "--", "x"]);
    assert!(!out.status.success() && stderr(&out).contains("already defines `fx`"));

    let out = run(&["--trust", "mcp", "list", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let list: Value = serde_json::from_slice(&out.stdout).unwrap();
    let by_name = |n: &str| list.as_array().unwrap().iter().find(|s| s["name"] == n).cloned().unwrap();
    assert_eq!(by_name("fx")["status"], "connected");
    assert_eq!(by_name("fx")["tools"], 10);
    assert_eq!(by_name("remote")["transport"], "http");
    assert_eq!(by_name("remote")["status"], "connected");
    assert_eq!(by_name("ghost")["status"], "failed");
    assert!(by_name("ghost")["error"].as_str().unwrap().contains("no such program"));

    let out = run(&["mcp", "list"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("ghost") && !text.contains("fx "),
        "untrusted: the project's servers are not started: {text}"
    );
    assert!(stderr(&out).contains("mcpServers.fx"), "{}", stderr(&out));

    let out = run(&["--trust", "config"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("#   ghost (stdio: /nonexistent/server)  from "), "{text}");

    let out = run(&["--trust", "mcp", "get", "fx"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("status:     connected (protocol 2025-11-25)") && text.contains("echo, add"), "{text}");

    let out = run(&["mcp", "remove", "fx"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = run(&["mcp", "remove", "fx"]);
    assert!(!out.status.success() && stderr(&out).contains("no MCP server named `fx`"));
}

/// 300 tools whose definitions would take far more than a tenth of the window: none is sent,
/// ToolSearch names them, a search loads the chosen one for the next requests, and a deferred
/// tool called by name without a search still runs after the permission check.
#[test]
fn many_tools_are_deferred_to_tool_search() {
    let d = dirs(fx(&["--many", "300"]));
    let server = model_calling(&[
        ("ToolSearch", json!({"query": "select:mcp__fx__bulk_7"})),
        ("mcp__fx__bulk_7", json!({"q": "x"})),
        ("mcp__fx__bulk_9", json!({})),
        ("ToolSearch", json!({"query": "echo text back"})),
    ]);
    let out = claw(&server, &d).args(["-p", "go", "--trust", "--allowedTools", "mcp__fx__bulk_7"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let first = offered(&server, 0);
    assert!(!first.iter().any(|t| t.starts_with("mcp__")), "{first:?}");
    let tools = server.requests()[0].body["tools"].clone();
    let search = tools.as_array().unwrap().iter().find(|t| t["name"] == "ToolSearch").unwrap().clone();
    let description = search["description"].as_str().unwrap();
    assert!(description.contains("mcp__fx__bulk_7\n") && description.contains("mcp__fx__echo"), "{description}");
    let results = server.tool_results();
    assert!(
        results[0].0.starts_with("1 tool(s) found") && results[0].0.contains("\"what to look up\""),
        "{}",
        results[0].0
    );
    assert_eq!(offered(&server, 1).iter().filter(|t| t.starts_with("mcp__")).collect::<Vec<_>>(), ["mcp__fx__bulk_7"]);
    assert_eq!(results[1], ("bulk_7 ran".to_string(), false));
    // Called without a search: the permission check still applies (headless: refused).
    assert!(results[2].1 && results[2].0.starts_with("Permission denied"), "{:?}", results[2]);
    assert!(results[3].0.contains("\"name\": \"mcp__fx__echo\""), "{}", results[3].0);
    // The whole list would have been far larger than what was sent.
    let sent = tools.to_string().len();
    assert!(sent < 20_000, "{sent} bytes of tool definitions sent");
}

/// The interface does not wait for MCP servers: its first frame comes while a slow server is
/// still connecting, the status bar counts them ("mcp 1/2"), and it follows when it connects.
#[test]
fn the_interface_does_not_wait_for_slow_servers() {
    let d = dirs(json!({"mcpServers": {
        "fx": {"command": fixture()},
        "slow": {"command": fixture(), "args": ["--slow-start", "2500"]}
    }}));
    let server = model_calling(&[]);
    let started = std::time::Instant::now();
    let mut cmd = support::claw_command(&server.url, d.work.path(), d.home.path());
    cmd.arg("--trust");
    let mut p = pty::Pty::spawn(cmd, 40, 120);
    p.wait_for("enter send", std::time::Duration::from_secs(10));
    let first_frame = started.elapsed();
    let screen = p.screen();
    assert!(first_frame < std::time::Duration::from_millis(2500), "the first frame waited {first_frame:?}: {screen}");
    assert!(!screen.contains("mcp 2/2"), "{screen}");
    p.wait_for("mcp 2/2", std::time::Duration::from_secs(15));
    p.send(b"\x04");
    p.wait_exit(std::time::Duration::from_secs(10));
}

/// `/mcp__fx__review ARGS` runs the server's prompt and sends its text; `@fx:URI` attaches
/// the resource; a prompt missing a required argument is an error that says the usage, and
/// nothing is sent.
#[test]
fn prompts_run_as_commands_and_resources_attach() {
    let d = dirs(fx(&[]));
    let server = model_calling(&[]);
    let out = claw(&server, &d).args(["-p", "/mcp__fx__review src/main.rs error paths", "--trust"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let first = &server.requests()[0].body["messages"][0]["content"];
    assert_eq!(first[0]["text"], "Review src/main.rs, looking at error paths.");

    let server = model_calling(&[]);
    let out = claw(&server, &d).args(["-p", "what is left in @fx:mem://notes/todo.txt?", "--trust"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let content = server.requests()[0].body["messages"][0]["content"].clone();
    assert_eq!(content[0]["text"], "what is left in @fx:mem://notes/todo.txt?");
    assert_eq!(
        content[1]["text"],
        "<resource server=\"fx\" uri=\"mem://notes/todo.txt\">\nbuy milk\nfix the build\n</resource>"
    );

    let server = model_calling(&[]);
    let out = claw(&server, &d).args(["-p", "/mcp__fx__review", "--trust"]).output().unwrap();
    assert!(!out.status.success());
    assert!(stderr(&out).contains("/mcp__fx__review: missing file; usage: FILE [FOCUS]"), "{}", stderr(&out));
    assert!(server.requests().is_empty());
}

/// A server of the older HTTP+SSE transport works (the 2025 revision's handshake over it); one
/// that names an endpoint on another origin is refused.
#[test]
fn a_legacy_sse_server_works_and_cannot_redirect_messages_elsewhere() {
    let url = mcp_servers::sse_fixture(false);
    let evil = mcp_servers::sse_fixture(true);
    let d = dirs(json!({"mcpServers": {
        "old": {"type": "sse", "url": url},
        "evil": {"type": "sse", "url": evil}
    }}));
    let server =
        model_calling(&[("mcp__old__echo", json!({"text": "over sse"})), ("mcp__old__add", json!({"a": 1, "b": 2}))]);
    let out = claw(&server, &d).args(["-p", "go", "--trust", "--allowedTools", "mcp__old"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let results = server.tool_results();
    assert_eq!(results[0], ("over sse".to_string(), false), "{}", stderr(&out));
    assert_eq!(results[1].0, "{\"sum\":3.0}");
    assert!(
        stderr(&out).contains(
            "MCP server `evil` failed: the server named an endpoint on another origin (http://evil.invalid); refused"
        ),
        "{}",
        stderr(&out)
    );
}

/// A server over WebSocket: the `mcp` subprotocol asked for, the headers sent with the upgrade,
/// tools called.
#[test]
fn a_websocket_server_works() {
    let (url, seen) = mcp_servers::ws_fixture();
    let d = dirs(
        json!({"mcpServers": {"sock": {"type": "ws", "url": url, "headers": {"Authorization": "Bearer ${WS_TOKEN}"}}}}),
    );
    let server = model_calling(&[("mcp__sock__echo", json!({"text": "over a socket"}))]);
    let out = claw(&server, &d)
        .env("WS_TOKEN", "w-1")
        .args(["-p", "go", "--trust", "--allowedTools", "mcp__sock"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(server.tool_results()[0], ("over a socket".to_string(), false), "{}", stderr(&out));
    assert_eq!(seen.lock().unwrap()[0], ("Bearer w-1".to_string(), "mcp".to_string()));
}

/// A server that requires OAuth: without a login it fails saying how to log in; `mcp login`
/// discovers, registers, runs the code flow with PKCE (the test plays the browser), stores the
/// tokens 0600 without printing them; a run then calls its tools, refreshing the expired token.
#[test]
fn a_server_behind_oauth_logs_in_and_refreshes() {
    use std::io::BufRead;
    let (url, log) = mcp_servers::oauth_fixture();
    let d = dirs(json!({"mcpServers": {"remote": {"type": "http", "url": url}}}));
    let server = model_calling(&[("mcp__remote__echo", json!({"text": "authorized"}))]);
    let out = claw(&server, &d).args(["--trust", "mcp", "list", "--json"]).output().unwrap();
    let list: Value = serde_json::from_slice(&out.stdout).unwrap();
    let error = list[0]["error"].as_str().unwrap_or_default().to_string();
    assert!(error.contains("run `claw-tui mcp login remote`"), "{error}");

    let mut login = support::claw_command(&server.url, d.work.path(), d.home.path());
    login
        .args(["--trust", "mcp", "login", "remote", "--no-browser"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = login.spawn().unwrap();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut printed = String::new();
    let address = loop {
        let mut line = String::new();
        assert!(stdout.read_line(&mut line).unwrap() > 0, "no address printed: {printed}");
        printed.push_str(&line);
        if let Some(a) = line.trim().strip_prefix("http") {
            break format!("http{a}");
        }
    };
    // The browser: the authorize page redirects to claw-tui's loopback listener.
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    claw_tui::install_crypto_provider();
    rt.block_on(async {
        let browser = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let to = browser.get(&address).send().await.unwrap();
        let location = to.headers()["location"].to_str().unwrap().to_string();
        let page = browser.get(&location).send().await.unwrap().text().await.unwrap();
        assert!(page.contains("You can close this tab"), "{page}");
    });
    let status = child.wait().unwrap();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut rest).unwrap();
    printed.push_str(&rest);
    assert!(status.success(), "{printed}");
    assert!(!printed.contains("at-1") && !printed.contains("rt-1"), "{printed}");
    let stored = d.home.path().join(".claw/mcp-credentials.json");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&stored).unwrap().permissions().mode() & 0o777, 0o600);

    std::thread::sleep(std::time::Duration::from_millis(2100));
    // The run also tries to read the stored tokens (the attack an injected prompt would make).
    let server = model_calling(&[
        ("mcp__remote__echo", json!({"text": "authorized"})),
        ("bash", json!({"command": format!("cat {}", stored.display())})),
        ("read_file", json!({"path": stored.display().to_string()})),
    ]);
    let out = claw(&server, &d).args(["-p", "go", "--trust", "--allowedTools", "mcp__remote"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let results = server.tool_results();
    assert_eq!(results[0], ("authorized".to_string(), false), "{}", stderr(&out));
    for (text, is_error) in &results[1..] {
        assert!(*is_error && text.contains("outside the workspace") && !text.contains("at-"), "{text}");
    }
    let log = log.lock().unwrap();
    assert_eq!(log.grants, ["authorization_code", "refresh_token"], "the expired token was refreshed");
    assert_eq!(log.bearer.last().map(String::as_str), Some("Bearer at-2"));
    // Nothing of the tokens in the session.
    for file in support::walk(&d.home.path().join(".claw/sessions")) {
        let text = std::fs::read_to_string(file).unwrap_or_default();
        assert!(!text.contains("at-2") && !text.contains("rt-2"));
    }
}

/// Esc during an MCP call: the call ends at once as interrupted, the turn ends, and the server
/// is told (rmcp sends `notifications/cancelled`; the fixture writes that it saw it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_call_ends_at_once_and_the_server_is_told() {
    use claw_tui::agent::{AgentEvent, Op, TurnOutcome};
    use claw_tui::mcp::{Hub, McpConfig, ServerConfig, Transport};
    let work = tempfile::tempdir().unwrap();
    let config = McpConfig {
        servers: vec![ServerConfig {
            name: "fx".into(),
            transport: Transport::Stdio {
                command: fixture().display().to_string(),
                args: vec![],
                env: Default::default(),
            },
            file: work.path().join(".mcp.json"),
            error: None,
        }],
        ..Default::default()
    };
    let hub = Hub::start(&config, work.path());
    hub.wait_settled(std::time::Duration::from_secs(10)).await;
    let registry = claw_tui::tools::Registry::builtin();
    registry.attach(Some(hub.clone()));
    let server = model_calling(&[("mcp__fx__hang", json!({}))]);
    let opts = support::AgentOptions {
        mode: claw_tui::permission::PermissionMode::DangerFullAccess,
        registry: Some(registry),
        ..Default::default()
    };
    let mut handle = support::spawn_agent(&server.url, work.path(), opts);
    handle.send(Op::UserTurn { text: "go".into(), attachments: vec![] });
    loop {
        let ev = tokio::time::timeout(std::time::Duration::from_secs(10), handle.next_event()).await.unwrap().unwrap();
        if matches!(&ev, AgentEvent::ToolCallStarted { tool, .. } if tool == "mcp__fx__hang") {
            break;
        }
    }
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let asked = std::time::Instant::now();
    handle.send(Op::Interrupt);
    let events = support::until_finished(&mut handle).await;
    assert!(asked.elapsed() < std::time::Duration::from_secs(2), "{:?}", asked.elapsed());
    assert_eq!(support::outcome(&events), TurnOutcome::Interrupted);
    let finished = events.iter().find_map(|e| match e {
        AgentEvent::ToolCallFinished { result, is_error, .. } => Some((result.clone(), *is_error)),
        _ => None,
    });
    assert_eq!(finished, Some(("mcp__fx__hang: interrupted by the user".to_string(), true)));
    let log = hub.views()[0].log.clone().unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while !std::fs::read_to_string(&log).unwrap_or_default().contains("fixture: hang cancelled") {
        assert!(
            std::time::Instant::now() < deadline,
            "the server was not told: {}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// Arguments that do not match a tool's schema are refused before anything is sent, naming the
/// field; a structured result that does not match the declared output schema reaches the model
/// as an error, never a crash.
#[test]
fn schemas_are_checked_both_ways() {
    let d = dirs(fx(&[]));
    let server = model_calling(&[
        ("mcp__fx__echo", json!({"text": 42})),
        ("mcp__fx__add", json!({"a": 1})),
        ("mcp__fx__bad_output", json!({})),
    ]);
    let out = claw(&server, &d).args(["-p", "go", "--trust", "--allowedTools", "mcp__fx"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let results = server.tool_results();
    assert!(
        results[0].1
            && results[0].0.starts_with("mcp__fx__echo: invalid arguments: /text: 42 is not of type \"string\""),
        "{:?}",
        results[0]
    );
    assert!(results[1].1 && results[1].0.contains("\"b\" is a required property"), "{:?}", results[1]);
    assert!(results[2].1, "{:?}", results[2]);
    assert!(
        results[2].0.contains("does not match its output schema (\"sum\" is a required property)"),
        "{}",
        results[2].0
    );
}

/// An image a tool returns reaches an Anthropic model as an image in the tool result; the text
/// beside it names it.
#[test]
fn images_from_tools_reach_the_model_where_the_wire_allows() {
    let d = dirs(fx(&[]));
    let server = model_calling(&[("mcp__fx__image", json!({}))]);
    let out = claw(&server, &d).args(["-p", "go", "--trust", "--allowedTools", "mcp__fx"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let body = &server.requests()[1].body;
    let result = body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|m| m["content"].as_array().cloned().unwrap_or_default())
        .find(|b| b["type"] == "tool_result")
        .unwrap();
    assert_eq!(result["content"][0]["text"], "a red dot:\n[image image/png, 70 bytes]");
    assert_eq!(result["content"][1]["type"], "image");
    assert_eq!(
        result["content"][1]["source"],
        json!({"type": "base64", "media_type": "image/png", "data": mcp_fixture::TINY_PNG})
    );
    assert!(result.get("images").is_none(), "no field the API does not know");
}

/// A server whose resources change says so (`notifications/resources/list_changed`, through
/// the listen stream on 2026-07-28 and as a plain notification on 2025-11-25); the hub lists
/// them again, so completion and `@server:uri` see the new one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changed_resources_are_listed_again_on_both_revisions() {
    use claw_tui::mcp::{Hub, McpConfig, ServerConfig, Transport};
    for args in [vec![], vec!["--legacy".to_string()]] {
        let work = tempfile::tempdir().unwrap();
        let command = fixture().display().to_string();
        let config = McpConfig {
            servers: vec![ServerConfig {
                name: "fx".into(),
                transport: Transport::Stdio { command, args: args.clone(), env: Default::default() },
                file: work.path().join(".mcp.json"),
                error: None,
            }],
            ..Default::default()
        };
        let hub = Hub::start(&config, work.path());
        hub.wait_settled(std::time::Duration::from_secs(10)).await;
        let uris = |hub: &Hub| hub.views()[0].resources.iter().map(|r| r.uri.clone()).collect::<Vec<_>>();
        assert_eq!(uris(&hub), ["mem://notes/todo.txt", "mem://notes/plan.md"], "{args:?}");
        let (progress, _rx) = tokio::sync::mpsc::channel(8);
        let cancel = tokio_util::sync::CancellationToken::new();
        hub.call("fx", "add_note", Default::default(), &cancel, progress).await.unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while !uris(&hub).contains(&"mem://notes/new.txt".to_string()) {
            assert!(std::time::Instant::now() < deadline, "{args:?}: {:?}", uris(&hub));
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        assert_eq!(hub.read_resource("fx", "mem://notes/new.txt").await.unwrap(), "a new note");
    }
}

/// A server's names and descriptions are text of its choosing: escape sequences in them (a
/// title change, a clipboard write) never reach the terminal through `mcp get`, and the tool's
/// name for the model keeps only safe characters.
#[test]
fn a_hostile_servers_names_reach_no_terminal() {
    let d = dirs(fx(&["--hostile"]));
    let server = model_calling(&[]);
    let out = claw(&server, &d).args(["--trust", "mcp", "get", "fx"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains('\u{1b}') && !text.contains('\u{7}'), "{text:?}");
    assert!(text.contains("evil\u{241b}]0;pwned\u{2407}"), "shown, made visible: {text}");
    assert!(text.contains("prompt:     /mcp__fx__review  Review\u{241b}]52;c;cHduZWQ=\u{2407}"), "{text}");
    let out = claw(&server, &d).args(["-p", "go", "--trust"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let names = offered(&server, 0);
    assert!(names.contains(&"mcp__fx__evil__0_pwned_".to_string()), "{names:?}");
}

/// The model adding an MCP server for itself: `.mcp.json` (and claw-tui's own config) start
/// commands, so writing them always asks, even in a trusted folder in workspace-write mode;
/// headless, the write is refused with the reason and the file stays as it was.
#[test]
fn the_model_cannot_add_a_server_for_itself() {
    let d = dirs(fx(&[]));
    let before = std::fs::read_to_string(d.work.path().join(".mcp.json")).unwrap();
    let evil = json!({"mcpServers": {"evil": {"command": "sh", "args": ["-c", "touch pwned"]}}}).to_string();
    let server = model_calling(&[
        ("write_file", json!({"path": ".mcp.json", "content": evil})),
        (
            "edit_file",
            json!({"path": ".mcp.json", "old_string": "\"fx\"", "new_string": "\"evil\": {\"command\": \"sh\"}, \"fx\""}),
        ),
        ("write_file", json!({"path": ".claw/config.local.toml", "content": "[mcp.servers.evil]\ncommand = \"sh\"\n"})),
    ]);
    let out = claw(&server, &d).args(["-p", "go", "--trust", "--permission-mode", "workspace-write"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    for (text, is_error) in server.tool_results() {
        assert!(is_error && text.starts_with("Permission denied"), "{text}");
        assert!(text.contains("MCP server settings, which start commands") || text.contains(".claw"), "{text}");
    }
    assert_eq!(std::fs::read_to_string(d.work.path().join(".mcp.json")).unwrap(), before);
    assert!(!d.work.path().join(".claw/config.local.toml").exists());
    assert!(!d.work.path().join("pwned").exists());
}
