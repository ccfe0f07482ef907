//! claw-tui under load, as a user meets it: a command that floods its output for as long as
//! it may run, through the real binary (release settings) against the mock model server.
//!
//! `cargo bench --bench load` prints the wall time and claw-tui's peak resident memory
//! (VmHWM, read by the model's next command from `/proc/$PPID/status`: bash's parent is
//! claw-tui), what the sandbox adds to a command's start, then `grep_search` against ripgrep
//! on a large tree (the crate sources in
//! cargo's registry cache, or `CLAW_BENCH_TREE`), side by side, warm page cache. Nothing
//! here asserts: the figures go to docs/performance.md.

#[path = "../tests/support/mod.rs"]
mod support;

use std::time::Instant;

use claw_tui::provider::scripted::Scenario;
use serde_json::{Value, json};

/// Runs `command` through bash in `claw-tui -p`, then reads claw-tui's peak memory.
/// Returns (seconds, peak KiB, the flood's result's last line).
fn flood(command: &str, timeout_ms: u64) -> (f64, u64, String) {
    let replies = json!([
        {"content": [{"type": "tool_use", "id": "toolu_0", "name": "bash",
                      "input": {"command": command, "timeout": timeout_ms}}]},
        {"content": [{"type": "tool_use", "id": "toolu_1", "name": "bash",
                      "input": {"command": "grep VmHWM /proc/$PPID/status"}}]},
        {"content": [{"type": "text", "text": "done"}]}
    ]);
    let scenario = json!({"name": "flood", "description": "a bash flood", "replies": replies});
    let server = support::MockServer::start(Scenario::from_json(&scenario.to_string()).unwrap());
    let work = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let out = support::claw_command(&server.url, work.path(), home.path())
        .args(["-p", "flood", "--permission-mode", "danger-full-access", "--no-session-persistence"])
        .output()
        .unwrap();
    let secs = started.elapsed().as_secs_f64();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let requests = server.requests();
    let results: Vec<String> = requests.last().unwrap().body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|m| m["content"].as_array().cloned().unwrap_or_default())
        .filter(|b| b["type"] == "tool_result")
        .map(|b: Value| b["content"].as_str().unwrap_or_default().to_string())
        .collect();
    let kib = results[1].split_whitespace().nth(1).and_then(|n| n.parse().ok()).expect("VmHWM");
    let note = results[0].lines().last().unwrap_or_default().to_string();
    (secs, kib, note)
}

/// Median wall time of `run` over `n` runs, after one warm-up; and the warm-up's answer.
fn median<T>(n: usize, mut run: impl FnMut() -> T) -> (f64, T) {
    let first = run();
    let mut samples: Vec<f64> = (0..n)
        .map(|_| {
            let started = Instant::now();
            std::hint::black_box(run());
            started.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    samples.sort_by(f64::total_cmp);
    (samples[n / 2], first)
}

/// `grep_search` in process against `rg` as a command, for each output mode.
fn search() {
    let tree = std::env::var_os("CLAW_BENCH_TREE").map(std::path::PathBuf::from).unwrap_or_else(|| {
        let cargo = std::env::var_os("CARGO_HOME")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|| std::path::PathBuf::from(std::env::var_os("HOME").unwrap()).join(".cargo"));
        cargo.join("registry/src")
    });
    if !tree.is_dir() {
        println!("no tree to search at {}: set CLAW_BENCH_TREE", tree.display());
        return;
    }
    use claw_tui::tools::{Registry, ToolContext, ToolEnv, Workspace};
    let env = std::sync::Arc::new(ToolEnv::new(Workspace::new(&tree, &tree).unwrap()));
    let grep = Registry::builtin().get("grep_search").unwrap().clone();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    for (pattern, mode, rg_flag) in [
        (r"fn\s+main\s*\(", "files_with_matches", "-l"),
        (r"fn\s+main\s*\(", "content", "-n"),
        // Fewer matches than the budget: both search the whole tree.
        ("tokio::main", "content", "-n"),
        ("tokio::main", "count", "-c"),
    ] {
        let (ours, answer) = median(10, || {
            let (ctx, _progress) = ToolContext::new(env.clone(), Default::default());
            let input = json!({"pattern": pattern, "output_mode": mode});
            runtime.block_on(grep.run(input, &ctx)).unwrap().content
        });
        let (rg, rg_lines) = median(10, || {
            let out = std::process::Command::new("rg")
                .args(["--no-require-git", "--hidden", rg_flag, pattern])
                .arg(&tree)
                .output()
                .expect("rg installed");
            out.stdout.iter().filter(|&&b| b == b'\n').count()
        });
        println!(
            "grep_search /{pattern}/ {mode:<18} {ours:>7.1} ms   rg {rg_flag} {rg:>7.1} ms   ({:.2}×; {} lines in our answer, {rg_lines} from rg)",
            ours / rg,
            answer.lines().count()
        );
        println!("    our answer ends: {}", answer.lines().last().unwrap_or_default());
    }
}

/// A command's start as the user waits for it: `bash -c true` through the tool, without and
/// with the sandbox (the Landlock ruleset is built for every command).
fn sandbox_cost() {
    use claw_tui::sandbox::{Sandbox, SandboxMode};
    use claw_tui::tools::{Registry, ToolContext, ToolEnv, Workspace};
    let dir = tempfile::tempdir().unwrap();
    let bash = Registry::builtin().get("bash").unwrap().clone();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    for mode in [SandboxMode::Off, SandboxMode::Workspace, SandboxMode::Strict] {
        let mut env = ToolEnv::new(Workspace::new(dir.path(), dir.path()).unwrap());
        env.sandbox = Sandbox::new(mode, dir.path(), &[]);
        let env = std::sync::Arc::new(env);
        let (ms, out) = median(50, || {
            let (ctx, _progress) = ToolContext::new(env.clone(), Default::default());
            runtime.block_on(bash.run(json!({"command": "true"}), &ctx)).unwrap().content
        });
        println!("bash `true`, sandbox {mode:<10} {ms:>7.2} ms   ({}; {})", out, env.sandbox.describe());
    }
}

fn main() {
    sandbox_cost();
    search();
    if std::env::args().any(|a| a == "--search-only") {
        return;
    }
    for (name, command, timeout) in [
        ("yes | head -c 2000000000 (2 GB)", "yes | head -c 2000000000", 600_000),
        ("yes for the default timeout (120 s)", "yes", 120_000),
    ] {
        let (secs, kib, note) = flood(command, timeout);
        println!("{name:<40} {secs:>7.1} s   peak RSS {:>6.1} MiB", kib as f64 / 1024.0);
        println!("    {note}");
    }
}
