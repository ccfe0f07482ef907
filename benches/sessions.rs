//! Session figures users feel, measured (never asserted):
//!
//! - the session browser with 10,000 sessions in the store: listing them, and process start
//!   to the list on screen (`claw-tui --resume` in a pseudo-terminal);
//! - resuming a session of 5,000 messages / 50 MB: start to the transcript on screen, RSS;
//! - fuzzy filtering 10,000 titles, per keystroke.

#[path = "../tests/support/mod.rs"]
mod support;

#[path = "../tests/support/pty.rs"]
mod pty;

use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use claw_tui::app::state::Browser;
use claw_tui::provider::{ContentBlock, Message, Role};
use claw_tui::session::{self, Record, SessionWriter, index};

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn rss_kb(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

use support::meta;

/// The binary with a dead model server: these figures need no model.
fn claw(home: &Path, work: &Path) -> Command {
    support::claw_command("http://127.0.0.1:9", work, home)
}

const TOPICS: &[&str] = &["parser", "release", "CI", "macOS build", "export", "flaky test", "docs", "benchmarks"];

fn browser() {
    let home = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let cwd = work.path().canonicalize().unwrap();
    let dir = session::project_dir(&home.path().join(".claw/sessions"), &cwd);
    let t = Instant::now();
    for i in 0..10_000 {
        let id = format!("0199{i:08}-0000-7000-8000-000000000000");
        let mut w = SessionWriter::create(&dir, meta(&id, &cwd), vec![]);
        let topic = TOPICS[i % TOPICS.len()];
        w.append(&Record::message(Message::user_text(format!("session {i}: look into the {topic} problem")))).unwrap();
        w.append(&Record::usage("claude-sonnet-4-5", Default::default(), Some(0.01 * (i % 7) as f64))).unwrap();
    }
    println!("created 10,000 sessions in {:.1} s", t.elapsed().as_secs_f64());
    let root = home.path().join(".claw/sessions");
    let mut samples = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        let list = index::list(&root, Some(&dir));
        samples.push(t.elapsed());
        assert_eq!(list.len(), 10_000);
    }
    samples.sort();
    println!("list 10,000 sessions (sidecars current): median {:.1} ms", ms(samples[2]));

    let mut firsts = Vec::new();
    for _ in 0..5 {
        let mut cmd = claw(home.path(), &cwd);
        cmd.arg("--resume");
        let p = pty::Pty::spawn(cmd, 40, 140);
        let started = p.started;
        p.wait_for("10000 of 10000", Duration::from_secs(20));
        firsts.push(started.elapsed());
    }
    firsts.sort();
    println!("claw-tui --resume with 10,000 sessions: start to the list on screen, median {:.1} ms", ms(firsts[2]));

    // Fuzzy filtering, per keystroke.
    let sessions = index::list(&root, Some(&dir));
    let mut b = Browser { sessions, loaded: true, ..Browser::new(false) };
    let mut per_key = Vec::new();
    for c in "flaky tst".chars() {
        b.query.push(c);
        let t = Instant::now();
        claw_tui::app::update::refilter_sessions(&mut b);
        per_key.push(t.elapsed());
    }
    per_key.sort();
    println!(
        "fuzzy filter over 10,000 titles and first prompts, per keystroke: median {:.2} ms, max {:.2} ms",
        ms(per_key[per_key.len() / 2]),
        ms(*per_key.last().unwrap())
    );
}

fn resume_big() {
    let home = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let cwd = work.path().canonicalize().unwrap();
    let dir = session::project_dir(&home.path().join(".claw/sessions"), &cwd);
    let id = "0199ffff-0000-7000-8000-000000000001";
    let mut w = SessionWriter::create(&dir, meta(id, &cwd), vec![]);
    let filler = "The quick brown fox jumps over the lazy dog; ".repeat(440); // ~20 KB
    for i in 0..2_500 {
        w.append(&Record::message(Message::user_text(format!("question {i}: {}", &filler[..200])))).unwrap();
        w.append(&Record::message(Message {
            role: Role::Assistant,
            content: vec![ContentBlock::Text {
                text: format!("## Answer {i}\n\n{filler}\n\n```rust\nfn f{i}() {{}}\n```\n"),
            }],
        }))
        .unwrap();
    }
    let mut last = Record::message(Message {
        role: Role::Assistant,
        content: vec![ContentBlock::Text { text: "THE-LAST-ANSWER".into() }],
    });
    if let Record::Message { ts, .. } = &mut last {
        *ts = chrono::Utc::now();
    }
    w.append(&last).unwrap();
    let path = dir.join(format!("{id}.jsonl"));
    let size = std::fs::metadata(&path).unwrap().len();
    std::io::stdout().flush().unwrap();
    let mut firsts = Vec::new();
    let mut rss = 0;
    for _ in 0..3 {
        let mut cmd = claw(home.path(), &cwd);
        cmd.args(["--resume", id]);
        let p = pty::Pty::spawn(cmd, 40, 140);
        let started = p.started;
        p.wait_for("THE-LAST-ANSWER", Duration::from_secs(60));
        firsts.push(started.elapsed());
        std::thread::sleep(Duration::from_millis(300));
        rss = rss.max(rss_kb(p.child.id()));
    }
    firsts.sort();
    println!(
        "resume 5,001 messages / {:.1} MB: start to the transcript on screen, median {:.0} ms; RSS {:.1} MiB",
        size as f64 / 1e6,
        ms(firsts[1]),
        rss as f64 / 1024.0
    );
}

fn main() {
    let only = std::env::args().nth(1).filter(|a| !a.starts_with('-'));
    let run = |name: &str| only.as_deref().is_none_or(|o| name.contains(o));
    if run("browser") {
        browser();
    }
    if run("resume") {
        resume_big();
    }
}
