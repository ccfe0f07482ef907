//! MCP servers through the real binary in headless mode: the tests' own server
//! (`examples/mcp_fixture.rs`, rmcp's server side) on stdio and over streamable HTTP, the
//! model played by the mock. Each misuse is the hostile input itself.

mod support;

#[path = "support/mcp_fixture.rs"]
mod mcp_fixture;

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use claw_tui::provider::scripted::Scenario;
use serde_json::{Value, json};
use support::{MockServer, SECRET};

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

/// A model that makes `calls` one after the other, then says it is done.
fn model_calling(calls: &[(&str, Value)]) -> MockServer {
    let mut replies: Vec<Value> = calls
        .iter()
        .enumerate()
        .map(|(i, (tool, input))| {
            json!({"content": [{"type": "tool_use", "id": format!("toolu_{i}"), "name": tool, "input": input}]})
        })
        .collect();
    replies.push(json!({"content": [{"type": "text", "text": "done"}]}));
    let scenario = json!({"name": "mcp", "description": "MCP tool calls", "replies": replies});
    MockServer::start(Scenario::from_json(&scenario.to_string()).unwrap())
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
    assert!(err.contains("mcpServers.evil = command \"sh\"") && err.contains("mcp.servers.evil2"), "{err}");
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
