//! What users feel in the full-screen UI, measured (never asserted):
//!
//! - start-up to first frame, in a pseudo-terminal;
//! - frame render time with a 10,000-message transcript (in process, TestBackend 120×40);
//! - CPU time and memory to display a 2,000-line Markdown answer streamed as fast as the mock
//!   can send it, and idle CPU over 10 s, for the real binary in a pseudo-terminal;
//! - the same kind of answer at a real model's pace (20 characters every 2 ms, about ten
//!   seconds) against all at once: CPU, bytes written to the terminal, frames, how soon the
//!   last line shows after the stream ends, and keystroke-to-screen latency while it streams.
//!
//! - eight sub-agents streaming at once against one stream: CPU per second and per frame.
//!
//! `cargo bench --bench tui` prints the figures; docs/performance.md records them.

#[path = "../tests/support/mod.rs"]
mod support;

#[path = "../tests/support/pty.rs"]
mod pty;

#[path = "../tests/support/answer.rs"]
mod answer;

use std::process::Command;
use std::time::{Duration, Instant};

use claw_tui::agent::AgentEvent;
use claw_tui::app::event::Event;
use claw_tui::app::keymap::Keymap;
use claw_tui::app::state::State;
use claw_tui::app::update::update;
use claw_tui::provider::scripted::{BlockScript, Reply, Scenario};
use claw_tui::ui::theme::Theme;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use serde_json::json;

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn stats(name: &str, mut v: Vec<Duration>) {
    v.sort();
    println!(
        "{name:<58} median {:>8.3} ms  p90 {:>8.3} ms  max {:>8.3} ms  ({} samples)",
        ms(v[v.len() / 2]),
        ms(v[v.len() * 9 / 10]),
        ms(*v.last().unwrap()),
        v.len()
    );
}

/// CPU seconds (user + system) and resident memory of a process, from /proc.
fn proc_usage(pid: u32) -> (f64, u64) {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after = stat.rsplit(')').next().unwrap_or("");
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    let cpu = (fields.get(11).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0)
        + fields.get(12).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0))
        / ticks;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let rss_kb = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    (cpu, rss_kb)
}

fn claw(url: &str, home: &std::path::Path, work: &std::path::Path) -> Command {
    support::claw_command(url, work, home)
}

fn startup() {
    let home = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let server = support::MockServer::scenario("text");
    let mut samples = Vec::new();
    for _ in 0..15 {
        let p = pty::Pty::spawn(claw(&server.url, home.path(), work.path()), 40, 120);
        let started = p.started;
        p.wait_for("enter send", Duration::from_secs(10));
        samples.push(started.elapsed());
    }
    stats("start-up to first frame (pty, 120x40)", samples);
}

fn big_state() -> State {
    let mut s = State::new(Theme::dark(), Keymap::default_keymap());
    s.size = (120, 40);
    let answer = "Here is what I found in `src/parser.rs`:\n\n- the **guard** is missing\n- the test covers only digits\n\n```rust\nfn parse(s: &str) -> Option<u32> {\n    s.trim().parse().ok()\n}\n```\n";
    for i in 0..2_500u64 {
        update(&mut s, Event::SubmitPrompt(format!("question number {i}: why does it fail?")));
        update(&mut s, Event::Agent(AgentEvent::TurnStarted { turn_id: i }));
        update(&mut s, Event::Agent(AgentEvent::TextDelta { turn_id: i, text: answer.into() }));
        let id = format!("t{i}");
        update(
            &mut s,
            Event::Agent(AgentEvent::ToolCallStarted {
                call_id: id.clone(),
                tool: "bash".into(),
                input: json!({}),
                summary: "cargo test".into(),
            }),
        );
        update(
            &mut s,
            Event::Agent(AgentEvent::ToolProgress {
                call_id: id.clone(),
                chunk: "running 3 tests\ntest a ... ok\n".into(),
            }),
        );
        update(
            &mut s,
            Event::Agent(AgentEvent::ToolCallFinished {
                call_id: id,
                tool: "bash".into(),
                result: "ok".into(),
                is_error: false,
                elapsed_ms: 20,
            }),
        );
        update(&mut s, Event::Agent(AgentEvent::TextDelta { turn_id: i, text: "All tests pass.".into() }));
        update(
            &mut s,
            Event::Agent(AgentEvent::TurnFinished { turn_id: i, outcome: claw_tui::agent::TurnOutcome::EndTurn }),
        );
    }
    s
}

fn frames() {
    let built = Instant::now();
    let mut s = big_state();
    println!("transcript of {} cells built in {:.1} ms", s.transcript.cells.len(), ms(built.elapsed()));
    let mut term = Terminal::new(TestBackend::new(120, 40)).unwrap();
    let mut draw = |s: &State| {
        let t = Instant::now();
        term.draw(|f| claw_tui::ui::render(s, f)).unwrap();
        t.elapsed()
    };
    stats("10k cells: first frame (cold caches, following the end)", vec![draw(&s)]);
    stats("10k cells: frame, following the end", (0..200).map(|_| draw(&s)).collect());
    // Page through from the top: each step lays out the cells it reaches.
    update(
        &mut s,
        Event::Key(crossterm::event::KeyEvent::new(
            crossterm::event::KeyCode::Home,
            crossterm::event::KeyModifiers::CONTROL,
        )),
    );
    let mut paging = Vec::new();
    for _ in 0..300 {
        let t = Instant::now();
        update(&mut s, Event::Key(crossterm::event::KeyEvent::from(crossterm::event::KeyCode::PageDown)));
        term.draw(|f| claw_tui::ui::render(&s, f)).unwrap();
        paging.push(t.elapsed());
    }
    stats("10k cells: page down + frame, from the top", paging);
    // Streaming at the end of a long session.
    update(
        &mut s,
        Event::Key(crossterm::event::KeyEvent::new(
            crossterm::event::KeyCode::End,
            crossterm::event::KeyModifiers::CONTROL,
        )),
    );
    update(&mut s, Event::Agent(AgentEvent::TurnStarted { turn_id: 99_999 }));
    let mut streaming = Vec::new();
    for i in 0..500 {
        let t = Instant::now();
        update(&mut s, Event::Agent(AgentEvent::TextDelta { turn_id: 99_999, text: format!("word{i} ") }));
        term.draw(|f| claw_tui::ui::render(&s, f)).unwrap();
        streaming.push(t.elapsed());
    }
    stats("10k cells: one streamed delta + frame", streaming);
}

/// The survey answer streamed into the state in process, 20 characters per delta, a frame
/// every 16 deltas (30 frames a second at 2 ms per delta): the interface's own cost per
/// answer, without the terminal, the network or the agent.
fn stream_in_process() {
    let text = answer::long_answer(44);
    let mut s = State::new(Theme::dark(), Keymap::default_keymap());
    s.size = (120, 40);
    let mut term = Terminal::new(TestBackend::new(120, 40)).unwrap();
    update(&mut s, Event::SubmitPrompt("go".into()));
    update(&mut s, Event::Agent(AgentEvent::TurnStarted { turn_id: 1 }));
    let chars: Vec<char> = text.chars().collect();
    let (mut updating, mut drawing) = (Duration::ZERO, Duration::ZERO);
    for (i, piece) in chars.chunks(20).enumerate() {
        let t = Instant::now();
        update(&mut s, Event::Agent(AgentEvent::TextDelta { turn_id: 1, text: piece.iter().collect() }));
        updating += t.elapsed();
        if i % 16 == 15 {
            let t = Instant::now();
            term.draw(|f| claw_tui::ui::render(&s, f)).unwrap();
            drawing += t.elapsed();
        }
    }
    let t = Instant::now();
    update(
        &mut s,
        Event::Agent(AgentEvent::TurnFinished { turn_id: 1, outcome: claw_tui::agent::TurnOutcome::EndTurn }),
    );
    term.draw(|f| claw_tui::ui::render(&s, f)).unwrap();
    let last = t.elapsed();
    println!(
        "survey answer in process, 30 fps: updates {:.1} ms, frames {:.1} ms, the finished answer's frame {:.1} ms",
        ms(updating),
        ms(drawing),
        ms(last)
    );
}

/// Highlighting the survey answer's 44 code blocks: the first time in a process (syntect
/// compiles each language's regexes on first use) and again.
fn highlighting() {
    let text = answer::long_answer(44);
    let blocks = claw_tui::ui::markdown::code_blocks(&text);
    let langs: Vec<&str> = text.lines().filter_map(|l| l.strip_prefix("```")).filter(|l| !l.is_empty()).collect();
    let t = Instant::now();
    claw_tui::ui::highlight::warm_up();
    let load = t.elapsed();
    for round in ["first", "second"] {
        let t = Instant::now();
        let mut lines = 0;
        for (code, lang) in blocks.iter().zip(&langs) {
            lines += claw_tui::ui::highlight::highlight(code, lang, "base16-ocean.dark", Default::default()).len();
        }
        println!(
            "highlighting {lines} code lines, {round} time: {:.1} ms (syntax set loaded in {:.1} ms)",
            ms(t.elapsed()),
            ms(load)
        );
    }
}

fn long_answer_scenario(lines: usize) -> Scenario {
    let mut text = String::new();
    for i in 0..lines {
        match i % 40 {
            0 => text.push_str(&format!("## Section {}\n\n", i / 40)),
            10 => text.push_str("```rust\nfn example(x: u32) -> u32 {\n    x * 2 + 1\n}\n```\n\n"),
            20 => text.push_str("- a list item with **bold** and `code`\n- another item\n\n"),
            _ => text.push_str(&format!(
                "Line {i} of a long answer with some *emphasis* and a [link](https://example.com).\n"
            )),
        }
    }
    text.push_str("\nEND-OF-ANSWER\n");
    Scenario {
        name: "long".into(),
        replies: vec![Reply {
            content: vec![BlockScript::Text { text, chunk: Some(24) }],
            usage: claw_tui::provider::Usage { input_tokens: 100, output_tokens: 40_000, ..Default::default() },
            ..Default::default()
        }],
        ..Default::default()
    }
}

fn streaming_and_idle() {
    let home = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let server = support::MockServer::start(long_answer_scenario(2000));
    let mut p = pty::Pty::spawn(claw(&server.url, home.path(), work.path()), 40, 120);
    p.wait_for("enter send", Duration::from_secs(10));
    let pid = p.child.id();
    std::thread::sleep(Duration::from_secs(1));
    let (cpu0, rss_idle) = proc_usage(pid);
    std::thread::sleep(Duration::from_secs(10));
    let (cpu1, _) = proc_usage(pid);
    println!(
        "idle CPU over 10 s: {:.3} s ({:.2}% of one core); RSS idle {:.1} MiB",
        cpu1 - cpu0,
        (cpu1 - cpu0) * 10.0,
        rss_idle as f64 / 1024.0
    );

    let events = long_answer_scenario(2000).replies[0].stream_events("m", "x").len();
    let t = Instant::now();
    p.type_text("go");
    p.send(b"\r");
    p.wait_for("END-OF-ANSWER", Duration::from_secs(120));
    p.wait_for("idle", Duration::from_secs(60));
    let wall = t.elapsed();
    let (cpu2, rss_after) = proc_usage(pid);
    println!(
        "2,000-line answer ({events} SSE events): {:.2} s CPU, {:.2} s wall to the last line on screen; RSS after {:.1} MiB",
        cpu2 - cpu1,
        wall.as_secs_f64(),
        rss_after as f64 / 1024.0
    );
    p.send(b"\x04");
    p.wait_exit(Duration::from_secs(10));
}

/// What one run of the 2,001-line answer cost, from Enter to its last line on screen.
struct Run {
    cpu: f64,
    bytes: usize,
    frames: usize,
    /// From the mock sending the last byte to the last line on screen.
    end_lag: Duration,
    /// Keystroke to screen, while the answer streams (paced runs only).
    keys: Vec<Duration>,
}

/// The survey answer (2,001 lines, 73 KB, 44 code blocks, 14 tables) in deltas of 20
/// characters, `delay_ms` apart (2 ms: a fast real model; 0: all at once).
fn paced_scenario(delay_ms: u64) -> Scenario {
    Scenario {
        name: "paced".into(),
        replies: vec![Reply {
            content: vec![BlockScript::Text { text: answer::long_answer(44), chunk: Some(20) }],
            usage: claw_tui::provider::Usage { input_tokens: 100, output_tokens: 20_000, ..Default::default() },
            delay_ms,
            ..Default::default()
        }],
        ..Default::default()
    }
}

fn one_run(delay_ms: u64, type_keys: bool) -> Run {
    const SYNC: &[u8] = b"\x1b[?2026h";
    let home = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let server = support::MockServer::start(paced_scenario(delay_ms));
    let mut p = pty::Pty::spawn(claw(&server.url, home.path(), work.path()), 40, 120);
    p.wait_for("enter send", Duration::from_secs(10));
    std::thread::sleep(Duration::from_millis(500));
    let pid = p.child.id();
    let (cpu0, _) = proc_usage(pid);
    let (bytes0, frames0) = (p.output_len(), p.output_count(SYNC));
    let streams_before = support::STREAMS_ENDED.lock().unwrap().len();
    p.type_text("go");
    p.send(b"\r");
    let mut keys = Vec::new();
    if type_keys {
        // Typing while the answer streams: each key's letter on screen, 150 ms apart.
        p.wait_for("Part 3", Duration::from_secs(20));
        for k in 1..=20 {
            let sent = Instant::now();
            p.send(b"Z");
            keys.push(p.wait_for_closely(&"Z".repeat(k), Duration::from_secs(5)) - sent);
            std::thread::sleep(Duration::from_millis(150));
        }
    }
    let shown = p.wait_for_closely("END-OF-ANSWER", Duration::from_secs(120));
    let (cpu1, _) = proc_usage(pid);
    // The last line can show before the stream's last events (message_delta, message_stop).
    let deadline = Instant::now() + Duration::from_secs(10);
    while support::STREAMS_ENDED.lock().unwrap().len() < streams_before + 1 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(1));
    }
    let ended = *support::STREAMS_ENDED.lock().unwrap().last().expect("the stream ended");
    let run = Run {
        cpu: cpu1 - cpu0,
        bytes: p.output_len() - bytes0,
        frames: p.output_count(SYNC) - frames0,
        end_lag: shown.saturating_duration_since(ended),
        keys,
    };
    if let Some(path) = std::env::var_os("CLAW_BENCH_DUMP") {
        // What was written to the terminal, for a closer look at where the bytes go.
        std::fs::write(path, &p.raw_output()[bytes0..]).unwrap();
    }
    drop(p); // kills claw-tui: the composer holds the typed keys, so ctrl+d would not quit
    run
}

fn median<T: PartialOrd + Copy>(mut v: Vec<T>) -> T {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

/// The survey answer at a real model's pace and all at once, three runs each (medians).
fn paced() {
    for (name, delay, keys) in [("all at once", 0, false), ("paced, 20 chars / 2 ms", 2, true)] {
        let runs: Vec<Run> = (0..3).map(|_| one_run(delay, keys)).collect();
        println!(
            "2,001-line answer, {name}: {:.2} CPU s, {:.0} KiB to the terminal, {} frames, last line {:.1} ms after the stream's end",
            median(runs.iter().map(|r| r.cpu).collect()),
            median(runs.iter().map(|r| r.bytes).collect()) as f64 / 1024.0,
            median(runs.iter().map(|r| r.frames).collect()),
            ms(median(runs.iter().map(|r| r.end_lag).collect())),
        );
        let keys: Vec<Duration> = runs.into_iter().flat_map(|r| r.keys).collect();
        if !keys.is_empty() {
            stats("  keystroke to screen while streaming", keys);
        }
    }
}

/// A 10-part survey (about 16 KB) in deltas of 20 characters, 2 ms apart: one stream.
fn survey_reply(route: Option<String>) -> Reply {
    let text = answer::long_answer(10).replace("END-OF-ANSWER", "end of the survey");
    Reply {
        content: vec![BlockScript::Text { text, chunk: Some(20) }],
        usage: claw_tui::provider::Usage { input_tokens: 100, output_tokens: 4_000, ..Default::default() },
        delay_ms: 2,
        route,
        ..Default::default()
    }
}

fn text_reply(text: &str) -> Reply {
    Reply { content: vec![BlockScript::Text { text: text.into(), chunk: None }], ..Default::default() }
}

/// The main agent streaming the survey itself, or handing it to `n` sub-agents that stream
/// one each, side by side.
fn fan_out_scenario(n: usize) -> Scenario {
    let mut replies = Vec::new();
    if n == 0 {
        let mut reply = survey_reply(None);
        if let Some(BlockScript::Text { text, .. }) = reply.content.first_mut() {
            text.push_str("\nEND-OF-ANSWER\n");
        }
        replies.push(reply);
    } else {
        let calls = (0..n)
            .map(|k| BlockScript::ToolUse {
                id: format!("toolu_{k}"),
                name: "Agent".into(),
                input: json!({"description": format!("survey part {k}"), "prompt": format!("SUBTASK-{k}: survey it")}),
                input_raw: None,
                chunk: None,
            })
            .collect();
        replies.push(Reply { content: calls, ..Default::default() });
        replies.extend((0..n).map(|k| survey_reply(Some(format!("SUBTASK-{k}:")))));
        replies.push(text_reply("All parts surveyed.\nEND-OF-ANSWER"));
    }
    Scenario { name: "fan-out".into(), replies, ..Default::default() }
}

/// One run in a pseudo-terminal: CPU seconds, wall seconds and frames from Enter to
/// END-OF-ANSWER on screen.
fn fan_out_run(n: usize) -> (f64, f64, usize) {
    const SYNC: &[u8] = b"\x1b[?2026h";
    let home = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let server = support::MockServer::start(fan_out_scenario(n));
    let mut cmd = claw(&server.url, home.path(), work.path());
    cmd.arg("--permission-mode").arg("danger-full-access");
    let mut p = pty::Pty::spawn(cmd, 40, 120);
    p.wait_for("enter send", Duration::from_secs(10));
    std::thread::sleep(Duration::from_millis(500));
    let pid = p.child.id();
    let (cpu0, _) = proc_usage(pid);
    let frames0 = p.output_count(SYNC);
    let t = Instant::now();
    p.type_text("go");
    p.send(b"\r");
    p.wait_for_closely("END-OF-ANSWER", Duration::from_secs(120));
    let wall = t.elapsed().as_secs_f64();
    let (cpu1, _) = proc_usage(pid);
    let frames = p.output_count(SYNC) - frames0;
    drop(p);
    (cpu1 - cpu0, wall, frames)
}

/// Eight sub-agents streaming at once against the main agent streaming alone: CPU per second
/// of wall time and CPU per frame (three runs each, medians).
fn subagents() {
    for n in [0, 8] {
        let runs: Vec<(f64, f64, usize)> = (0..3).map(|_| fan_out_run(n)).collect();
        let cpu = median(runs.iter().map(|r| r.0).collect());
        let wall = median(runs.iter().map(|r| r.1).collect());
        let frames = median(runs.iter().map(|r| r.2).collect());
        let name = if n == 0 {
            "one stream (the main agent)".to_string()
        } else {
            format!("{n} sub-agents streaming at once")
        };
        println!(
            "{name:<34} {cpu:.2} CPU s over {wall:.2} s wall = {:.3} CPU s per s; {frames} frames, {:.2} ms CPU per frame",
            cpu / wall,
            cpu * 1000.0 / frames.max(1) as f64
        );
    }
}

fn main() {
    let only = std::env::args().nth(1).filter(|a| !a.starts_with('-'));
    let run = |name: &str| only.as_deref().is_none_or(|o| name.contains(o));
    if run("startup") {
        startup();
    }
    if run("frames") {
        frames();
    }
    if run("streaming") {
        streaming_and_idle();
    }
    if run("highlighting") {
        highlighting();
    }
    if run("inprocess") {
        stream_in_process();
    }
    if run("paced") {
        paced();
    }
    if run("subagents") {
        subagents();
    }
}
