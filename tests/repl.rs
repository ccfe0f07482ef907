//! The REPL through the binary (headless) and the agent loop, against the mock model: state kept
//! across calls in python, node and bash, a timeout that stops the interpreter, code that tries
//! to read the driver's pipe or claw-tui's key, the permission rules (bash deny rules included),
//! an interpreter that is not installed, and nothing left running after the run.

mod support;

use std::time::Duration;

use claw_tui::agent::{AgentEvent, Op};
use claw_tui::permission::PermissionMode;
use serde_json::json;
use support::*;

fn installed(program: &str) -> bool {
    let ok = claw_tui::child::on_path(program).is_some();
    if !ok {
        eprintln!("{program} is not installed here; this part is skipped");
    }
    ok
}

fn repl(language: &str, code: &str) -> (&'static str, serde_json::Value) {
    ("REPL", json!({"language": language, "code": code}))
}

fn full_access(server: &MockServer, d: &Dirs) -> std::process::Output {
    claw(server, d).args(["-p", "go", "--permission-mode", "danger-full-access"]).output().unwrap()
}

#[test]
fn state_is_kept_across_calls_in_each_language() {
    let d = dirs();
    std::fs::create_dir(d.work.path().join("sub")).unwrap();
    let mut calls =
        vec![repl("bash", "cd sub\nv=7\ngreet() { echo \"hi $1\"; }"), repl("bash", "echo $v; greet you; pwd")];
    let python = installed("python3");
    if python {
        calls.extend([
            repl("python", "import math\nx = 41"),
            repl("python", "print('sum:', x + 1)\nmath.sqrt(16)"),
            repl("python", "1 / 0"),
            repl("python", "x"),
        ]);
    }
    let node = installed("node");
    if node {
        calls.extend([
            repl("node", "var n = 2; const m = 3;"),
            repl("node", "console.log(n * 21); Promise.resolve(m + 1)"),
        ]);
    }
    let server = model_calling(&calls);
    let out = full_access(&server, &d);
    assert!(out.status.success(), "{}", stderr(&out));
    let r = server.tool_results();
    assert_eq!(r[0], ("[a new bash REPL was started]\n(no output)".to_string(), false));
    let sub = d.work.path().join("sub").canonicalize().unwrap();
    assert_eq!(r[1], (format!("7\nhi you\n{}", sub.display()), false));
    let mut i = 2;
    if python {
        assert_eq!(r[i].0, "[a new python REPL was started]\n(no output)");
        assert_eq!(r[i + 1], ("sum: 42\n4.0".to_string(), false));
        let (err, is_error) = &r[i + 2];
        assert!(
            *is_error && err.contains("ZeroDivisionError: division by zero") && err.ends_with("Status: 1"),
            "{err}"
        );
        assert!(!err.contains("_run") && !err.contains("CLAW_REPL"), "the driver stays out of the traceback: {err}");
        assert_eq!(r[i + 3], ("41".to_string(), false), "an exception keeps the state");
        i += 4;
    }
    if node {
        assert_eq!(r[i].0, "[a new node REPL was started]\n(no output)");
        assert_eq!(r[i + 1], ("42\n4".to_string(), false));
    }
}

/// A timeout stops the interpreter and says its state is lost; the next call starts a new one.
/// Code reading stdin or the driver's pipe gets nothing, and the driver goes on.
#[test]
fn a_timeout_stops_it_and_hostile_code_cannot_reach_the_pipe_or_the_key() {
    if !installed("python3") {
        return;
    }
    let d = dirs();
    let server = model_calling(&[
        repl("python", "x = 1"),
        ("REPL", json!({"language": "python", "code": "import time\ntime.sleep(30)", "timeout_ms": 500})),
        repl("python", "x"),
        repl("python", "input()"),
        repl(
            "python",
            "import subprocess\nsubprocess.run(['sh', '-c', 'cat <&3'], capture_output=True).stderr.decode()",
        ),
        repl("python", "import os\n[k for k in os.environ if 'KEY' in k or 'CLAW_REPL' in k]"),
        repl("bash", "read line; echo \"read: [$line]\"; cat <&3"),
        repl("bash", "echo still here"),
    ]);
    let out = full_access(&server, &d);
    assert!(out.status.success(), "{}", stderr(&out));
    let r = server.tool_results();
    assert!(
        r[1].1 && r[1].0.contains("Timed out after 500 ms: the python REPL was stopped and its state is lost"),
        "{:?}",
        r[1]
    );
    assert!(
        r[2].1 && r[2].0.starts_with("[a new python REPL was started]") && r[2].0.contains("NameError"),
        "{:?}",
        r[2]
    );
    assert!(r[3].1 && r[3].0.contains("EOFError"), "stdin is closed: {:?}", r[3]);
    assert!(r[4].0.contains("Bad file descriptor"), "the driver's pipe is not inherited: {:?}", r[4]);
    assert_eq!(r[5], ("[]".to_string(), false), "no key and no driver variables in the environment");
    assert!(r[6].0.contains("read: []") && r[6].0.contains("Bad file descriptor"), "{:?}", r[6]);
    assert!(r[7].0.ends_with("still here") && !r[7].1, "{:?}", r[7]);
}

#[test]
fn permissions_hold_for_the_repl_as_for_commands() {
    let d = dirs();
    std::fs::write(d.work.path().join("keep.txt"), "mine").unwrap();
    let server = model_calling(&[repl("bash", "echo hi")]);
    let out = claw(&server, &d).args(["-p", "go"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let r = server.tool_results();
    assert!(r[0].1 && r[0].0.contains("running a command needs danger-full-access"), "{:?}", r[0]);

    // A rule for one language allows that one only.
    let server = model_calling(&[repl("bash", "echo allowed"), repl("node", "1")]);
    let out = claw(&server, &d).args(["-p", "go", "--allowedTools", "REPL(bash)"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let r = server.tool_results();
    assert_eq!(r[0], ("[a new bash REPL was started]\nallowed".to_string(), false));
    assert!(r[1].1 && r[1].0.contains("Permission"), "{:?}", r[1]);

    // The bash deny rules hold for bash code, even in full access; python code cannot be
    // checked against them, so it asks (and headless, is refused).
    let server =
        model_calling(&[repl("bash", "echo x && rm -f keep.txt"), repl("python", "import os; os.remove('keep.txt')")]);
    let out = claw(&server, &d)
        .args(["-p", "go", "--permission-mode", "danger-full-access", "--disallowedTools", "Bash(rm:*)"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let r = server.tool_results();
    assert!(r[0].1 && r[0].0.contains("denied by the rule `bash(rm:*)`"), "{:?}", r[0]);
    assert!(r[1].1 && r[1].0.contains("python code can run any program"), "{:?}", r[1]);
    assert_eq!(std::fs::read_to_string(d.work.path().join("keep.txt")).unwrap(), "mine");
}

#[test]
fn an_interpreter_that_is_not_installed_is_named() {
    let d = dirs();
    let bin = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink("/bin/bash", bin.path().join("bash")).unwrap();
    let server = model_calling(&[repl("python", "1"), repl("bash", "echo ok")]);
    let out = claw(&server, &d)
        .env("PATH", bin.path())
        .args(["-p", "go", "--permission-mode", "danger-full-access"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let r = server.tool_results();
    assert!(
        r[0].1 && r[0].0.contains("python3 is not installed (not found on PATH); the languages here: bash"),
        "{:?}",
        r[0]
    );
    assert_eq!(r[1], ("[a new bash REPL was started]\nok".to_string(), false));
}

/// What the REPL starts is stopped with the run: the interpreter and what it left behind.
#[test]
fn nothing_is_left_running_after_the_run() {
    let d = dirs();
    let server = model_calling(&[repl("bash", "sleep 300 &\necho $! > pid.txt\necho $$ >> pid.txt")]);
    let out = full_access(&server, &d);
    assert!(out.status.success(), "{}", stderr(&out));
    let pids = std::fs::read_to_string(d.work.path().join("pid.txt")).unwrap();
    for pid in pids.lines() {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        let state = status.lines().find(|l| l.starts_with("State:")).unwrap_or("gone");
        assert!(state == "gone" || state.contains("zombie"), "process {pid} still runs: {state}");
    }
}

/// Output streams as progress while the code runs, before the call ends.
#[tokio::test]
async fn output_streams_while_the_code_runs() {
    let dir = tempfile::tempdir().unwrap();
    let server = model_calling(&[repl("bash", "echo first; sleep 1; echo second")]);
    let mut agent = spawn_agent(
        &server.url,
        dir.path(),
        AgentOptions { mode: PermissionMode::DangerFullAccess, ..Default::default() },
    );
    agent.send(Op::UserTurn { text: "go".into(), attachments: vec![] });
    let mut progress_before_end = false;
    loop {
        let ev = tokio::time::timeout(Duration::from_secs(10), agent.next_event()).await.unwrap().unwrap();
        match ev {
            AgentEvent::ToolProgress { chunk, .. } if chunk.contains("first") && !chunk.contains("second") => {
                progress_before_end = true
            }
            AgentEvent::TurnFinished { .. } => break,
            _ => {}
        }
    }
    assert!(progress_before_end, "the first line was shown before the second was printed");
    assert_eq!(server.tool_results()[0], ("[a new bash REPL was started]\nfirst\nsecond".to_string(), false));
}

/// Code that closes its own output cannot hang the call: the interpreter is stopped, and the
/// next call starts a new one.
#[test]
fn code_closing_its_output_does_not_hang_the_call() {
    if !installed("python3") {
        return;
    }
    let d = dirs();
    let server =
        model_calling(&[repl("python", "import os, time\nos.close(1)\ntime.sleep(60)"), repl("python", "2 + 2")]);
    let out = full_access(&server, &d);
    assert!(out.status.success(), "{}", stderr(&out));
    let r = server.tool_results();
    assert!(r[0].1 && r[0].0.contains("The interpreter closed its output; the python REPL was stopped"), "{:?}", r[0]);
    assert_eq!(r[1], ("[a new python REPL was started]\n4".to_string(), false));
}
