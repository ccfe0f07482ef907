//! Diff review figures users feel, measured (never asserted):
//!
//! - opening the review of a 10,000-line file with 500 changed lines: the update that builds
//!   the review, and that plus the first frame;
//! - applying a subset of its hunks (what the agent does after the review);
//! - /diff over a git working tree with 1,000 changed files: listing them, the first file's
//!   diff, the first frame of the tree, a key press in the tree;
//! - the workspace watcher on a 100,000-file tree: setting it up, and CPU while idle.
//!
//! `cargo bench --bench review [name]` runs all, or those whose name contains `name`.

#[path = "../tests/support/tui.rs"]
mod tui;

use std::path::Path;
use std::time::{Duration, Instant};

use claw_tui::agent::AgentEvent;
use claw_tui::app::changes::{self, Scope};
use claw_tui::app::event::Event;
use claw_tui::app::update::update;
use claw_tui::tools::Preview;
use claw_tui::tools::hunks;

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

/// A 10,000-line Rust-looking file and a version with 500 lines changed, one every 20.
fn big_edit() -> (String, String) {
    let old: Vec<String> =
        (0..10_000).map(|i| format!("    let value_{i} = compute(input_{i}, {i}) + offset; // step {i}")).collect();
    let mut new = old.clone();
    for i in (0..10_000).step_by(20) {
        new[i] = format!("    let value_{i} = compute_checked(input_{i}, {i})? + offset; // step {i}");
    }
    (old.join("\n") + "\n", new.join("\n") + "\n")
}

/// The approval request of a proposed edit from `old` to `new`.
fn proposal(old: &str, new: &str) -> Event {
    Event::Agent(AgentEvent::ApprovalRequested {
        call_id: "c".into(),
        tool: "write_file".into(),
        summary: "src/big.rs".into(),
        reason: "changing a file needs workspace-write; the mode is read-only".into(),
        preview: Some(Preview::Edit { path: "src/big.rs".into(), old: Some(old.to_string()), new: new.to_string() }),
        session_rule: "write_file".into(),
    })
}

fn review_open() {
    let (old, new) = big_edit();
    let mut build = Vec::new();
    let mut open = Vec::new();
    for _ in 0..10 {
        let mut s = tui::state("dark");
        s.size = (120, 40);
        let ev = proposal(&old, &new);
        let t = Instant::now();
        update(&mut s, ev);
        build.push(ms(t.elapsed()));
        let _ = tui::render_at(&s, 120, 40);
        open.push(ms(t.elapsed()));
    }
    println!(
        "review of a 10,000-line file with 500 changed lines: update {:.1} ms, update + first frame {:.1} ms (median of 10)",
        median(build),
        median(open)
    );
    // Paging through it: next hunk and a frame.
    let mut s = tui::state("dark");
    s.size = (120, 40);
    update(&mut s, proposal(&old, &new));
    let mut steps = Vec::new();
    for _ in 0..200 {
        let t = Instant::now();
        tui::keys(&mut s, &["n"]);
        let _ = tui::render_at(&s, 120, 40);
        steps.push(ms(t.elapsed()));
    }
    println!("  next hunk + frame: {:.2} ms (median of 200)", median(steps));
    let t = Instant::now();
    for _ in 0..10 {
        let _ = tui::render_at(&s, 120, 40);
    }
    println!("  a frame of the open review: {:.2} ms", ms(t.elapsed()) / 10.0);
    // Beyond 20,000 lines the diff is computed in the background: how long it takes there.
    let big_old: String = old.repeat(5);
    let big_new: String = new.repeat(5);
    let t = Instant::now();
    let f = claw_tui::app::review::DiffFile::new("src/huge.rs", Some(&big_old), Some(&big_new));
    println!(
        "  50,000 lines with 2,500 changed: diffed in the background in {:.0} ms ({} hunks)",
        ms(t.elapsed()),
        f.hunks.len()
    );
    let all = hunks::hunks(&old, &new);
    let subset: Vec<usize> = (0..all.len()).step_by(2).collect();
    let t = Instant::now();
    let out = hunks::apply(&old, &new, &subset);
    println!(
        "  applying {} of {} hunks: {:.1} ms ({} bytes written)",
        subset.len(),
        all.len(),
        ms(t.elapsed()),
        out.len()
    );
}

fn git(dir: &Path, args: &[&str]) {
    let ok = std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["-c", "user.name=b", "-c", "user.email=b@example.com", "-c", "commit.gpgsign=false"])
        .args(args)
        .output()
        .unwrap()
        .status
        .success();
    assert!(ok, "git {args:?}");
}

fn diff_viewer() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    git(&root, &["init", "-q"]);
    for i in 0..1000 {
        let d = root.join(format!("crate{}/src/mod{}", i % 20, i % 7));
        std::fs::create_dir_all(&d).unwrap();
        let text: String = (0..60).map(|l| format!("line {l} of file {i}\n")).collect();
        std::fs::write(d.join(format!("file{i}.rs")), text).unwrap();
    }
    git(&root, &["add", "."]);
    git(&root, &["commit", "-qm", "base"]);
    for i in 0..1000 {
        let p = root.join(format!("crate{}/src/mod{}/file{i}.rs", i % 20, i % 7));
        let text = std::fs::read_to_string(&p).unwrap().replace("line 30 of", "LINE 30 of");
        std::fs::write(&p, text).unwrap();
    }
    let t = Instant::now();
    let files = changes::working_tree_changes(&root).unwrap();
    let list = t.elapsed();
    assert_eq!(files.len(), 1000);
    let t = Instant::now();
    let first = changes::working_tree_diff(&root, &files[0]);
    let one = t.elapsed();
    let mut s = tui::state("dark");
    s.size = (120, 40);
    update(&mut s, Event::Command("/diff".into()));
    let t = Instant::now();
    update(&mut s, Event::Changes { scope: Scope::WorkingTree, git: true, result: Ok(files.clone()) });
    update(
        &mut s,
        Event::FileDiff { scope: Scope::WorkingTree, path: first.path.clone(), file: Box::new(first.clone()) },
    );
    let _ = tui::render_at(&s, 120, 40);
    let frame = t.elapsed();
    let mut keys = Vec::new();
    for _ in 0..100 {
        let t = Instant::now();
        tui::keys(&mut s, &["down"]);
        let _ = tui::render_at(&s, 120, 40);
        keys.push(ms(t.elapsed()));
    }
    println!(
        "/diff over 1,000 changed files: list {:.0} ms, first file's diff {:.0} ms, tree + diff on screen {:.1} ms; \
moving in the tree {:.2} ms per key with a frame (median of 100)",
        ms(list),
        ms(one),
        ms(frame),
        median(keys)
    );
}

fn cpu_seconds() -> f64 {
    // SAFETY: getrusage writes into the struct we pass.
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut u) };
    let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    tv(u.ru_utime) + tv(u.ru_stime)
}

fn watcher_idle() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    let t = Instant::now();
    for d in 0..1000 {
        let sub = root.join(format!("pkg{}/mod{}", d / 50, d));
        std::fs::create_dir_all(&sub).unwrap();
        for f in 0..100 {
            std::fs::write(sub.join(format!("f{f}.txt")), "x").unwrap();
        }
    }
    // An ignored build tree on top: never walked, never watched.
    std::fs::create_dir_all(root.join("target/debug")).unwrap();
    std::fs::write(root.join(".gitignore"), "target/\n").unwrap();
    println!("created 100,000 files in 1,000 folders in {:.1} s", t.elapsed().as_secs_f64());
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    rt.block_on(async {
        let (bus, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let t = Instant::now();
        let (dirs, _) = claw_tui::app::workspace_watch::folders(&root, usize::MAX);
        let walk = t.elapsed();
        let t = Instant::now();
        let _w = claw_tui::app::workspace_watch::watch_workspace(&root, bus).unwrap();
        // The watches are added in the background; a change in the last folder shows when done.
        let last = root.join("pkg19/mod999/f0.txt");
        loop {
            std::fs::write(&last, format!("{:?}", Instant::now())).unwrap();
            if let Ok(Some(claw_tui::app::event::Event::WorkspaceChanged(p))) =
                tokio::time::timeout(Duration::from_millis(500), rx.recv()).await
                && p.contains(&last)
            {
                break;
            }
        }
        let ready = t.elapsed();
        tokio::time::sleep(Duration::from_millis(500)).await;
        let cpu0 = cpu_seconds();
        tokio::time::sleep(Duration::from_secs(10)).await;
        let idle = cpu_seconds() - cpu0;
        println!(
            "watcher on 100,000 files: {} folders found in {:.0} ms, all watched within {:.0} ms; idle CPU {:.3} s in 10 s",
            dirs.len(),
            ms(walk),
            ms(ready),
            idle
        );
    });
}

fn main() {
    let only = std::env::args().nth(1).filter(|a| !a.starts_with('-'));
    let run = |name: &str| only.as_deref().is_none_or(|o| name.contains(o));
    if run("review") {
        review_open();
    }
    if run("diff") {
        diff_viewer();
    }
    if run("watch") {
        watcher_idle();
    }
}
