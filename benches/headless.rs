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
}
