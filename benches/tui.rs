//! What users feel in the full-screen UI, measured (never asserted):
//!
//! - start-up to first frame, in a pseudo-terminal;
//! - frame render time with a 10,000-message transcript (in process, TestBackend 120×40);
//! - CPU time and memory to display a 2,000-line Markdown answer streamed as fast as the mock
//!   can send it, and idle CPU over 10 s, for the real binary in a pseudo-terminal.
//!
//! `cargo bench --bench tui` prints the figures; docs/performance.md records them.

#[path = "../tests/support/mod.rs"]
mod support;

#[path = "../tests/support/pty.rs"]
mod pty;

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
}
