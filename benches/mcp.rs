//! MCP as a user feels it: the time to the first frame with servers configured (slow ones
//! must not delay it), and the tokens of tool definitions sent with 300 MCP tools, with and
//! without deferral to ToolSearch.
//!
//! `cargo bench --bench mcp`. Nothing here asserts a figure: they go to docs/performance.md.

#[path = "../tests/support/mod.rs"]
mod support;

#[path = "../tests/support/pty.rs"]
mod pty;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use claw_tui::provider::scripted::Scenario;
use serde_json::json;

/// The tests' MCP server, built in this profile when it is not there yet.
fn fixture() -> PathBuf {
    let exe = Path::new(env!("CARGO_BIN_EXE_claw-tui")).parent().unwrap().join("examples").join("mcp_fixture");
    if !exe.exists() {
        let release = exe.to_string_lossy().contains("/release/");
        let mut cmd = std::process::Command::new(env!("CARGO"));
        cmd.args(["build", "--quiet", "--example", "mcp_fixture"]).current_dir(env!("CARGO_MANIFEST_DIR"));
        if release {
            cmd.arg("--release");
        }
        assert!(cmd.status().unwrap().success(), "building the fixture failed");
    }
    exe
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn first_frame(servers: serde_json::Value, label: &str) {
    let work = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    std::fs::write(work.path().join(".mcp.json"), servers.to_string()).unwrap();
    let scenario = json!({"name": "idle", "description": "", "replies": []});
    let server = support::MockServer::start(Scenario::from_json(&scenario.to_string()).unwrap());
    let mut samples = Vec::new();
    for _ in 0..10 {
        let mut cmd = support::claw_command(&server.url, work.path(), home.path());
        cmd.arg("--trust");
        let mut p = pty::Pty::spawn(cmd, 40, 120);
        let started = p.started;
        p.wait_for("enter send", Duration::from_secs(20));
        samples.push(started.elapsed());
        p.send(b"\x04");
        p.wait_exit(Duration::from_secs(10));
    }
    println!("{label:<60} median {:>7.1} ms", median(samples).as_secs_f64() * 1000.0);
}

/// Bytes and approximate tokens (4 bytes a token) of the tool definitions in the first request.
fn tool_tokens(threshold: Option<f64>) -> (usize, usize) {
    let work = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let servers = json!({"mcpServers": {"fx": {"command": fixture(), "args": ["--many", "300"]}}});
    std::fs::write(work.path().join(".mcp.json"), servers.to_string()).unwrap();
    if let Some(t) = threshold {
        std::fs::create_dir_all(home.path().join(".claw")).unwrap();
        std::fs::write(home.path().join(".claw/config.toml"), format!("[mcp]\ndefer_threshold = {t}\n")).unwrap();
    }
    let scenario =
        json!({"name": "one", "description": "", "replies": [{"content": [{"type": "text", "text": "ok"}]}]});
    let server = support::MockServer::start(Scenario::from_json(&scenario.to_string()).unwrap());
    let out = support::claw_command(&server.url, work.path(), home.path())
        .args(["-p", "hi", "--trust", "--no-session-persistence"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let tools = server.requests()[0].body["tools"].clone();
    let bytes = tools.to_string().len();
    (tools.as_array().map_or(0, Vec::len), bytes)
}

fn main() {
    let fx = fixture();
    first_frame(json!({"mcpServers": {}}), "first frame, no MCP server");
    let four = json!({"mcpServers": {
        "a": {"command": fx}, "b": {"command": fx},
        "slow1": {"command": fx, "args": ["--slow-start", "5000"]},
        "slow2": {"command": fx, "args": ["--slow-start", "5000"]}
    }});
    first_frame(four, "first frame, 4 servers (2 answer after 5 s)");
    let started = Instant::now();
    for (label, threshold) in
        [("300 MCP tools, deferred (default 10%)", None), ("300 MCP tools, not deferred", Some(1.0))]
    {
        let (count, bytes) = tool_tokens(threshold);
        println!("{label:<60} {count:>4} definitions, {bytes:>7} bytes, ~{:>6} tokens", bytes / 4);
    }
    let _ = started;
}
