//! Robust under load and faults, with the hostile input itself, through the binary against
//! the mock model server: processes left running, floods, huge files, FIFOs, torn sessions.

mod support;

use std::path::Path;
use std::time::{Duration, Instant};

use assert_cmd::Command;
use claw_tui::provider::scripted::Scenario;
use serde_json::{Value, json};
use support::MockServer;

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
    let scenario = json!({"name": "robust", "description": "tool calls", "replies": replies});
    MockServer::start(Scenario::from_json(&scenario.to_string()).unwrap())
}

fn claw(server: &MockServer, work: &Path, home: &Path) -> Command {
    let mut cmd = Command::from_std(support::claw_command(&server.url, work, home));
    cmd.timeout(Duration::from_secs(60));
    cmd
}

/// Every tool result the model was sent, in order: (content, is_error).
fn results(server: &MockServer) -> Vec<(String, bool)> {
    let requests = server.requests();
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

/// Whether process `pid` still runs (a zombie nobody reaped does not count).
fn running(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => !stat.rsplit(')').next().unwrap_or("").trim_start().starts_with('Z'),
        Err(_) => false,
    }
}

fn pid_in(path: &Path) -> u32 {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        if let Ok(text) = std::fs::read_to_string(path)
            && let Ok(pid) = text.trim().parse()
        {
            return pid;
        }
        assert!(Instant::now() < deadline, "{} was never written", path.display());
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `sleep 300 & wait` in a background shell, and a foreground command that leaves `sleep 300`
/// behind: neither outlives `claw-tui -p`; so does a command that ignores SIGTERM.
#[test]
fn nothing_a_command_started_outlives_claw_tui() {
    let work = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let server = model_calling(&[
        ("bash", json!({"command": "sleep 300 & echo $! > bg.pid; wait", "run_in_background": true})),
        ("bash", json!({"command": "sleep 300 >/dev/null 2>&1 & echo $! > fg.pid"})),
        ("bash", json!({"command": "(trap '' TERM; sleep 300) >/dev/null 2>&1 & echo $! > stubborn.pid"})),
    ]);
    let started = Instant::now();
    let out = claw(&server, work.path(), home.path())
        .args(["-p", "start things", "--permission-mode", "danger-full-access"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(started.elapsed() < Duration::from_secs(20), "exit waited for the commands");
    for name in ["bg.pid", "fg.pid", "stubborn.pid"] {
        let pid = pid_in(&work.path().join(name));
        let deadline = Instant::now() + Duration::from_secs(3);
        while running(pid) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        assert!(!running(pid), "{name}: pid {pid} outlived claw-tui");
    }
}

/// Commands have no controlling terminal, even when claw-tui runs in one: nothing they do
/// reaches claw-tui's screen, and `/dev/tty` cannot be opened to ask for a password.
#[test]
fn commands_have_no_terminal() {
    let work = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let server = model_calling(&[(
        "bash",
        json!({"command": "echo from-the-command > /dev/tty && echo tty-open || echo no-tty"}),
    )]);
    let mut cmd = support::claw_command(&server.url, work.path(), home.path());
    cmd.args(["-p", "go", "--permission-mode", "danger-full-access"]);
    let mut p = pty::Pty::spawn(cmd, 24, 80);
    assert!(p.wait_exit(Duration::from_secs(30)).success());
    let (content, _) = &results(&server)[0];
    assert!(content.contains("no-tty"), "{content}");
    assert!(!String::from_utf8_lossy(&p.raw_output()).contains("from-the-command"));
}

#[path = "support/pty.rs"]
mod pty;
