//! Start-up and first-token latency of the real binary, against the mock model server.
//!
//! `cargo bench --bench headless` builds claw-tui with the bench profile (release settings)
//! and prints medians and 90th percentiles. Nothing here asserts a time: the figures go to
//! docs/performance.md.

#[path = "../tests/support/mod.rs"]
mod support;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const RUNS: usize = 30;

fn summary(name: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let median = samples[samples.len() / 2];
    let p90 = samples[samples.len() * 9 / 10];
    println!(
        "{name:<50} median {:>7.2} ms   p90 {:>7.2} ms   min {:>7.2} ms   ({} runs)",
        ms(median),
        ms(p90),
        ms(samples[0]),
        samples.len()
    );
}

fn main() {
    let bin = env!("CARGO_BIN_EXE_claw-tui");
    let home = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();

    let mut version = Vec::new();
    for _ in 0..RUNS {
        let started = Instant::now();
        let out = Command::new(bin).arg("--version").output().unwrap();
        version.push(started.elapsed());
        assert!(out.status.success());
    }
    summary("claw-tui --version", version);

    let mut first_token = Vec::new();
    let mut whole = Vec::new();
    for _ in 0..RUNS {
        let server = support::MockServer::scenario("text");
        let started = Instant::now();
        let mut child = Command::new(bin)
            .args(["-p", "hello", "--output-format", "stream-json", "--no-session-persistence"])
            .current_dir(work.path())
            .env("HOME", home.path())
            .env("CLAW_CONFIG_HOME", home.path())
            .env("ANTHROPIC_BASE_URL", &server.url)
            .env("ANTHROPIC_API_KEY", support::SECRET)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        let mut seen = None;
        for line in stdout.lines() {
            let line = line.unwrap();
            if seen.is_none() && line.contains("\"type\":\"text_delta\"") {
                seen = Some(started.elapsed());
            }
        }
        assert!(child.wait().unwrap().success());
        whole.push(started.elapsed());
        first_token.push(seen.expect("a text_delta line"));
    }
    summary("-p: start to first streamed token (stream-json)", first_token);
    summary("-p: start to exit (whole answer)", whole);
    wires(bin, work.path(), home.path());
    policy_decisions();
}

/// CPU seconds this process's waited-for children have used.
fn children_cpu() -> f64 {
    // SAFETY: getrusage only writes the struct it is given.
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut u) };
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    secs(u.ru_utime) + secs(u.ru_stime)
}

/// The same answer, 1,000 deltas of 20 characters, on the Anthropic wire and on the OpenAI
/// wire: first token and claw-tui's CPU for the whole run (`-p`, stream-json).
fn wires(bin: &str, work: &std::path::Path, home: &std::path::Path) {
    use claw_tui::provider::scripted::{BlockScript, Reply, Scenario};
    let text: String = (0..1100).map(|i| format!("word{i:04} and more. ")).collect::<String>()[..20_000].to_string();
    let scenario = Scenario {
        replies: vec![Reply { content: vec![BlockScript::Text { text, chunk: Some(20) }], ..Default::default() }],
        ..Default::default()
    };
    for openai in [false, true] {
        let (mut first, mut cpu) = (Vec::new(), Vec::new());
        for _ in 0..RUNS {
            let server = support::MockServer::start(scenario.clone());
            let mut cmd = Command::new(bin);
            cmd.args(["-p", "hello", "--output-format", "stream-json", "--no-session-persistence"])
                .current_dir(work)
                .env_clear()
                .env("HOME", home)
                .env("CLAW_CONFIG_HOME", home);
            if openai {
                cmd.env("OPENAI_BASE_URL", format!("{}/v1", server.url))
                    .env("OPENAI_API_KEY", support::SECRET)
                    .args(["--provider", "openai"]);
            } else {
                cmd.env("ANTHROPIC_BASE_URL", &server.url).env("ANTHROPIC_API_KEY", support::SECRET);
            }
            let before = children_cpu();
            let started = Instant::now();
            let mut child = cmd.stdin(Stdio::null()).stdout(Stdio::piped()).spawn().unwrap();
            let stdout = BufReader::new(child.stdout.take().unwrap());
            let mut seen = None;
            let mut deltas = 0;
            for line in stdout.lines() {
                if line.unwrap().contains("\"type\":\"text_delta\"") {
                    deltas += 1;
                    seen.get_or_insert(started.elapsed());
                }
            }
            assert!(child.wait().unwrap().success());
            assert_eq!(deltas, 1000, "every delta streamed");
            first.push(seen.unwrap());
            cpu.push(Duration::from_secs_f64(children_cpu() - before));
        }
        let wire = if openai { "OpenAI wire" } else { "Anthropic wire" };
        summary(&format!("1,000 deltas, {wire}: first token"), first);
        summary(&format!("1,000 deltas, {wire}: CPU of the whole run"), cpu);
    }
}

/// What the parsed-command policy costs per bash call: the tool's plan (parse, read-only
/// classification, redirections resolved) and the policy's decision (parse again, deny and
/// allow rules), for a spread of commands.
fn policy_decisions() {
    use claw_tui::permission::{PermissionMode, Policy, Rule};
    use claw_tui::tools::{Registry, ToolEnv, Workspace};
    let dir = tempfile::tempdir().unwrap();
    let env = ToolEnv::new(Workspace::new(dir.path(), dir.path()).unwrap());
    let bash = Registry::builtin().get("bash").unwrap().clone();
    let mut policy = Policy::new(PermissionMode::WorkspaceWrite);
    policy.allow = Rule::parse_list("Bash(npm test:*), Bash(cargo test:*), Bash(git commit:*)").unwrap();
    policy.deny = Rule::parse_list("Bash(git push:*), Bash(rm -rf:*), Bash(curl:*)").unwrap();
    let commands = [
        "npm test --watch",
        "git status",
        "cargo test -p core -- --nocapture 2>&1 | tee out.txt",
        "echo ok && sudo -u root /usr/bin/git push origin main",
        "for f in $(ls src); do rg -n TODO \"$f\"; done",
        "bash -c 'make && make install' > build.log",
    ];
    let mut samples = Vec::new();
    for _ in 0..200 {
        for c in commands {
            let started = Instant::now();
            let plan = bash.plan(&serde_json::json!({"command": c}), &env).unwrap();
            std::hint::black_box(policy.decide("bash", &plan));
            samples.push(started.elapsed());
        }
    }
    samples.sort();
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    println!(
        "{:<50} median {:>7.1} µs   p90 {:>7.1} µs   max {:>7.1} µs   ({} decisions)",
        "bash call: plan + policy decision (parsed)",
        us(samples[samples.len() / 2]),
        us(samples[samples.len() * 9 / 10]),
        us(*samples.last().unwrap()),
        samples.len()
    );
}
