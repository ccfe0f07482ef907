//! Robust under load and faults, with the hostile input itself, through the binary against
//! the mock model server: processes left running, floods, huge files, FIFOs, torn sessions.

mod support;

use std::path::Path;
use std::time::{Duration, Instant};

use assert_cmd::Command;
use serde_json::{Value, json};
use support::{MockServer, model_calling};

fn claw(server: &MockServer, work: &Path, home: &Path) -> Command {
    let mut cmd = Command::from_std(support::claw_command(&server.url, work, home));
    cmd.timeout(Duration::from_secs(60));
    cmd
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
    let (content, _) = &server.tool_results()[0];
    assert!(content.contains("no-tty"), "{content}");
    assert!(!String::from_utf8_lossy(&p.raw_output()).contains("from-the-command"));
}

/// `yes | head -c 400000000` (400 MB) through bash: claw-tui's peak resident memory stays
/// far below the output (the model itself asks for it: the next command reads its parent's
/// VmHWM); the model gets the head and the tail and where the whole output went; the file
/// holds the first 64 MiB and says so.
#[test]
fn a_bash_flood_keeps_memory_bounded_and_says_where_the_output_went() {
    let work = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let server = model_calling(&[
        ("bash", json!({"command": "yes | head -c 400000000"})),
        ("bash", json!({"command": "grep VmHWM /proc/$PPID/status"})),
    ]);
    let out = claw(&server, work.path(), home.path())
        .args(["-p", "flood", "--permission-mode", "danger-full-access"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let results = server.tool_results();
    let (flood, is_error) = &results[0];
    assert!(!is_error);
    assert!(flood.chars().count() < 31_000, "{}", flood.chars().count());
    assert!(flood.starts_with("y\ny\n") && flood.contains("cut from the middle; 381 MiB in all"), "{flood}");
    assert!(flood.contains("The first 64 MiB of the output (381 MiB in all) are in /"), "{flood}");
    let (hwm, _) = &results[1];
    let kib: u64 = hwm.split_whitespace().nth(1).and_then(|n| n.parse().ok()).expect(hwm);
    assert!(kib < 150 * 1024, "claw-tui's peak resident memory was {kib} KiB under a 400 MB flood");
}

/// A FIFO in the workspace: reading, editing or writing it is refused at once with the
/// reason (it used to hang the turn: planning an edit read it on the agent task).
#[test]
fn a_fifo_is_refused_not_waited_on() {
    let work = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let fifo = work.path().join("pipe");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let server = model_calling(&[
        ("edit_file", json!({"path": "pipe", "old_string": "a", "new_string": "b"})),
        ("read_file", json!({"path": "pipe"})),
        ("write_file", json!({"path": "pipe", "content": "x"})),
        ("grep_search", json!({"pattern": "x"})),
    ]);
    let started = Instant::now();
    let out = claw(&server, work.path(), home.path())
        .args(["-p", "edit the pipe", "--permission-mode", "danger-full-access"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(started.elapsed() < Duration::from_secs(20));
    let results = server.tool_results();
    assert_eq!(
        results[0],
        ("edit_file: pipe is a FIFO (named pipe), not a regular file; it cannot be edited".into(), true)
    );
    assert_eq!(
        results[1],
        ("read_file: pipe is a FIFO (named pipe), not a regular file; read_file reads files only".into(), true)
    );
    assert_eq!(
        results[2],
        ("write_file: pipe is a FIFO (named pipe), not a regular file; it cannot be edited".into(), true)
    );
    assert_eq!(results[3], ("No matches for /x/".into(), false));
}

/// A 20 MB one-line file and a 200,000-line file: each result stays within 100,000
/// characters and says what was cut and how to read on.
#[test]
fn huge_files_are_read_in_bounded_pieces() {
    let work = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    std::fs::write(work.path().join("min.js"), "x".repeat(20_000_000)).unwrap();
    let lines: String = (1..=200_000).map(|i| format!("line {i}\n")).collect();
    std::fs::write(work.path().join("big.log"), lines).unwrap();
    let server = model_calling(&[
        ("read_file", json!({"path": "min.js"})),
        ("read_file", json!({"path": "big.log", "limit": 200_000})),
        ("read_file", json!({"path": "big.log", "offset": 199_999})),
        ("grep_search", json!({"pattern": "line", "output_mode": "content"})),
    ]);
    let out = claw(&server, work.path(), home.path()).args(["-p", "read"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let results = server.tool_results();
    for (content, is_error) in &results {
        assert!(!is_error, "{content}");
        assert!(content.chars().count() <= 100_300, "{}", content.chars().count());
    }
    assert!(results[0].0.ends_with("… [line cut: 20000000 characters; search it with grep_search]\n"));
    let tail = results[1].0.lines().last().unwrap();
    assert!(
        tail.starts_with("[lines 1-")
            && tail.contains("of 200000: the result stops at 100000 characters; continue with offset"),
        "{tail}"
    );
    assert_eq!(results[2].0, "199999\tline 199999\n200000\tline 200000\n[lines 199999-200000 of 200000]\n");
    assert!(
        results[3].0.ends_with("narrow the search with path, glob or a stricter pattern]"),
        "{}",
        &results[3].0[results[3].0.len() - 200..]
    );
}

/// A model with a 32,000-token window (a local one, its window from the config) gets reads of
/// at most 16,000 characters: a read cannot fill its context.
#[test]
fn a_small_model_gets_smaller_results() {
    let work = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(home.path().join(".claw")).unwrap();
    std::fs::write(
        home.path().join(".claw/config.toml"),
        "model = \"my-local-7b\"\n[prices.\"my-local\"]\ninput = 0\noutput = 0\ncontext_window = 32000\n",
    )
    .unwrap();
    let lines: String = (1..=5000).map(|i| format!("line {i}\n")).collect();
    std::fs::write(work.path().join("big.log"), lines).unwrap();
    let server = model_calling(&[("read_file", json!({"path": "big.log"}))]);
    let out = claw(&server, work.path(), home.path()).args(["-p", "read"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let (content, _) = &server.tool_results()[0];
    assert!(content.chars().count() <= 16_200, "{}", content.chars().count());
    assert!(content.contains("the result stops at 16000 characters; continue with offset"), "{content}");
}

/// The same flood with the interface on screen: the output streams into the transcript and
/// claw-tui's memory stays bounded; the interface answers and quits cleanly after it.
#[test]
fn a_bash_flood_in_the_interface_keeps_memory_bounded() {
    let work = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let server = model_calling(&[
        ("bash", json!({"command": "yes flood-line | head -c 400000000"})),
        ("bash", json!({"command": "grep VmHWM /proc/$PPID/status"})),
    ]);
    let mut cmd = support::claw_command(&server.url, work.path(), home.path());
    cmd.args(["--permission-mode", "danger-full-access"]);
    let mut p = pty::Pty::spawn(cmd, 30, 100);
    let t = Duration::from_secs(60);
    p.wait_for("enter send", t);
    p.type_text("flood");
    p.send(b"\r");
    p.wait_for_all(&["flood-line", "done"], t);
    p.wait_for("idle", t);
    p.send(b"\x04");
    assert!(p.wait_exit(t).success());
    assert!(p.restore_problems().is_empty());
    let (hwm, _) = &server.tool_results()[1];
    let kib: u64 = hwm.split_whitespace().nth(1).and_then(|n| n.parse().ok()).expect(hwm);
    assert!(kib < 150 * 1024, "claw-tui's peak resident memory was {kib} KiB under a 400 MB flood");
}

/// A disk that fills during an edit (simulated with RLIMIT_FSIZE: writes past 1 MB fail, as
/// they would on a full disk): the edit fails with the reason and the file is whole, as it
/// was. The old write truncated the file first and left it cut at the limit.
#[test]
fn a_full_disk_during_an_edit_leaves_the_file_whole() {
    use std::os::unix::process::CommandExt;
    let work = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let original = format!("MARKER\n{}", "keep this line\n".repeat(60_000)); // 900 KB
    std::fs::write(work.path().join("data.txt"), &original).unwrap();
    let server = model_calling(&[
        ("read_file", json!({"path": "data.txt", "limit": 1})),
        ("edit_file", json!({"path": "data.txt", "old_string": "MARKER", "new_string": "x".repeat(300_000)})),
    ]);
    let mut cmd = support::claw_command(&server.url, work.path(), home.path());
    cmd.args(["-p", "edit", "--permission-mode", "workspace-write"]);
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            let limit = libc::rlimit { rlim_cur: 1_000_000, rlim_max: 1_000_000 };
            libc::setrlimit(libc::RLIMIT_FSIZE, &limit);
            Ok(())
        });
    }
    let out = Command::from_std(cmd).timeout(Duration::from_secs(60)).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let (content, is_error) = &server.tool_results()[1];
    assert!(*is_error && content.contains("cannot write data.txt") && content.contains("too large"), "{content}");
    assert!(std::fs::read_to_string(work.path().join("data.txt")).unwrap() == original, "the file was damaged");
    let left: Vec<_> = std::fs::read_dir(work.path()).unwrap().flatten().map(|e| e.file_name()).collect();
    assert_eq!(left, ["data.txt"], "no temporary file is left behind");
}

/// An edit keeps the file's mode (an executable script stays executable), and a file with a
/// second hard link is written through, so both names see the change.
#[test]
fn an_edit_keeps_the_mode_and_writes_through_hard_links() {
    use std::os::unix::fs::PermissionsExt;
    let work = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let script = work.path().join("run.sh");
    std::fs::write(&script, "echo one\n").unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o750)).unwrap();
    std::fs::write(work.path().join("a.txt"), "one\n").unwrap();
    std::fs::hard_link(work.path().join("a.txt"), work.path().join("b.txt")).unwrap();
    let server = model_calling(&[
        ("read_file", json!({"path": "run.sh"})),
        ("edit_file", json!({"path": "run.sh", "old_string": "one", "new_string": "two"})),
        ("read_file", json!({"path": "a.txt"})),
        ("edit_file", json!({"path": "a.txt", "old_string": "one", "new_string": "two"})),
    ]);
    let out = claw(&server, work.path(), home.path())
        .args(["-p", "edit", "--permission-mode", "workspace-write"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(std::fs::read_to_string(&script).unwrap(), "echo two\n");
    assert_eq!(std::fs::metadata(&script).unwrap().permissions().mode() & 0o777, 0o750);
    assert_eq!(std::fs::read_to_string(work.path().join("b.txt")).unwrap(), "two\n");
}

/// A session killed mid-write (a torn last line) is resumed and appended to: the next record
/// starts on a line of its own, every line parses, the history reaches the model whole. The
/// session's files are 0600 in 0700 folders, checkpoints (a copy of `.env`) included.
#[test]
fn a_torn_session_is_repaired_and_the_sessions_folder_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let work = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    std::fs::write(work.path().join(".env"), "TOKEN=abc\n").unwrap();
    let server = model_calling(&[
        ("read_file", json!({"path": ".env"})),
        ("edit_file", json!({"path": ".env", "old_string": "abc", "new_string": "def"})),
    ]);
    let out = claw(&server, work.path(), home.path())
        .args(["-p", "first", "--permission-mode", "workspace-write"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let sessions = home.path().join(".claw/sessions");
    let files = support::walk(&sessions);
    let session = files.iter().find(|p| p.extension().is_some_and(|e| e == "jsonl")).unwrap().clone();
    assert!(files.iter().any(|p| p.parent().unwrap().extension().is_some_and(|e| e == "checkpoints")));
    for f in &files {
        let mode = std::fs::metadata(f).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{}", f.display());
        let dir_mode = std::fs::metadata(f.parent().unwrap()).unwrap().permissions().mode() & 0o777;
        assert_eq!(dir_mode, 0o700, "{}", f.parent().unwrap().display());
    }
    assert_eq!(std::fs::metadata(&sessions).unwrap().permissions().mode() & 0o777, 0o700);

    // Killed mid-write: half a record at the end.
    let mut text = std::fs::read_to_string(&session).unwrap();
    text.push_str("{\"type\":\"message\",\"ts\":\"2026-");
    std::fs::write(&session, text).unwrap();
    let server = model_calling(&[]);
    let out = claw(&server, work.path(), home.path()).args(["-p", "second", "--continue"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let body = &server.requests()[0].body;
    let messages = body["messages"].as_array().unwrap();
    assert_eq!(messages.first().unwrap()["content"][0]["text"], "first");
    assert_eq!(messages.last().unwrap()["content"][0]["text"], "second");
    let text = std::fs::read_to_string(&session).unwrap();
    for (i, line) in text.lines().enumerate() {
        assert!(serde_json::from_str::<Value>(line).is_ok(), "line {} does not parse: {line}", i + 1);
    }
    assert!(text.contains("\"second\""));
}

#[path = "support/pty.rs"]
mod pty;
