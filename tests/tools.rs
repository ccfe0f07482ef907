//! Tools on temporary directories.

use std::sync::Arc;
use std::time::Duration;

use claw_tui::tools::{Access, Registry, ToolContext, ToolEffect, ToolEnv, ToolOutput, Workspace};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

struct Harness {
    dir: tempfile::TempDir,
    env: Arc<ToolEnv>,
    registry: Registry,
}

impl Harness {
    fn new() -> Harness {
        let dir = tempfile::tempdir().unwrap();
        let env = Arc::new(ToolEnv::new(Workspace::new(dir.path(), dir.path()).unwrap()));
        Harness { dir, env, registry: Registry::builtin() }
    }

    fn write(&self, rel: &str, content: impl AsRef<[u8]>) {
        let p = self.dir.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, content).unwrap();
    }

    fn read(&self, rel: &str) -> Vec<u8> {
        std::fs::read(self.dir.path().join(rel)).unwrap()
    }

    /// Plans and runs a call like the agent does (without the permission step).
    async fn call(&self, tool: &str, input: Value) -> ToolOutput {
        self.call_with(tool, input, CancellationToken::new()).await.0
    }

    async fn call_with(&self, tool: &str, input: Value, cancel: CancellationToken) -> (ToolOutput, String) {
        let t = self.registry.get(tool).unwrap().clone();
        if let Err(e) = t.plan(&input, &self.env) {
            return (ToolOutput::error(e), String::new());
        }
        let (ctx, mut rx) = ToolContext::new(self.env.clone(), cancel);
        let out = t.run(input, &ctx).await.unwrap_or_else(ToolOutput::error);
        drop(ctx);
        let mut progress = String::new();
        while let Ok(c) = rx.try_recv() {
            progress.push_str(&c);
        }
        (out, progress)
    }
}

#[tokio::test]
async fn bash_runs_in_the_workspace_and_streams_output() {
    let h = Harness::new();
    h.write("hello.txt", "hi");
    let (out, progress) = h.call_with("bash", json!({"command": "ls; echo err >&2"}), CancellationToken::new()).await;
    assert!(!out.is_error);
    assert!(out.content.contains("hello.txt") && out.content.contains("err"), "{}", out.content);
    assert_eq!(progress.trim_end(), out.content.trim_end());
}

#[tokio::test]
async fn bash_reports_exit_codes_and_empty_output() {
    let h = Harness::new();
    let out = h.call("bash", json!({"command": "echo failing; exit 3"})).await;
    assert!(out.is_error);
    assert_eq!(out.content, "failing\n\nExit code: 3");
    let out = h.call("bash", json!({"command": "true"})).await;
    assert_eq!(out.content, "(no output)");
}

#[tokio::test]
async fn bash_times_out_and_kills_the_process_group() {
    let h = Harness::new();
    let started = std::time::Instant::now();
    let out =
        h.call("bash", json!({"command": "echo before; (sleep 20; touch late.txt) & sleep 20", "timeout": 300})).await;
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(out.is_error);
    assert!(out.content.starts_with("before\n\nTimed out after"), "{}", out.content);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(!h.dir.path().join("late.txt").exists());
}

#[tokio::test]
async fn bash_cancel_stops_at_once() {
    let h = Harness::new();
    let cancel = CancellationToken::new();
    let c2 = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(200)).await;
        c2.cancel();
    });
    let started = std::time::Instant::now();
    let (out, _) = h.call_with("bash", json!({"command": "sleep 30"}), cancel).await;
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(out.content, "Interrupted by the user; the command was stopped.");
}

#[tokio::test]
async fn bash_output_is_cut_for_the_model_with_a_note() {
    let h = Harness::new();
    let out = h.call("bash", json!({"command": "seq 1 100000"})).await;
    assert!(out.content.chars().count() < 31_000);
    assert!(out.content.starts_with("1\n2\n"));
    assert!(out.content.contains("99999\n100000\n\n[The full output (575 KiB) is in /"), "{}", out.content);
    assert!(out.content.contains("cut from the middle"), "the cut is said");
    // The whole output is in the file the note names, which the model may read.
    let path = out.content.split(" is in ").nth(1).unwrap().split(':').next().unwrap();
    let expected: String = (1..=100_000).map(|i| format!("{i}\n")).collect();
    assert_eq!(std::fs::read_to_string(path).unwrap(), expected);
    assert!(h.env.workspace.resolve(path).unwrap().inside, "the scratch folder counts as inside");
    let read = h.call("read_file", json!({"path": path, "offset": 50000, "limit": 2})).await;
    assert!(read.content.contains("50000") && read.content.contains("50001"), "{}", read.content);
}

#[tokio::test]
async fn bash_rejects_bad_arguments() {
    let h = Harness::new();
    let out = h.call("bash", json!({"cmd": "ls"})).await;
    assert!(out.is_error);
    assert!(out.content.contains("unknown field `cmd`"), "{}", out.content);
    let out = h.call("bash", json!({"command": "  "})).await;
    assert_eq!(out.content, "bash: the command is empty");
    let out = h.call("bash", json!("ls")).await;
    assert!(out.content.contains("must be a JSON object"));
}

#[tokio::test]
async fn background_shells() {
    let h = Harness::new();
    let out =
        h.call("bash", json!({"command": "echo one; sleep 0.3; echo two; sleep 30", "run_in_background": true})).await;
    assert!(out.content.starts_with("Started in the background as shell bash_1"), "{}", out.content);
    tokio::time::sleep(Duration::from_millis(700)).await;
    let out = h.call("bash_output", json!({"shell_id": "bash_1"})).await;
    assert!(out.content.contains("running") && out.content.contains("one\ntwo"), "{}", out.content);
    let out = h.call("bash_output", json!({"shell_id": "bash_1"})).await;
    assert!(out.content.ends_with("(no new output)"), "read output is not repeated: {}", out.content);
    let out = h.call("kill_shell", json!({"shell_id": "bash_1"})).await;
    assert!(!out.is_error, "{}", out.content);
    let out = h.call("bash_output", json!({"shell_id": "bash_1"})).await;
    assert!(out.is_error && out.content.contains("no background shell `bash_1`"), "{}", out.content);
}

#[tokio::test]
async fn read_file_numbers_pages_and_refuses_binaries() {
    let h = Harness::new();
    h.write("a.txt", "one\ntwo\nthree\n");
    let out = h.call("read_file", json!({"path": "a.txt"})).await;
    assert_eq!(out.content, "     1\tone\n     2\ttwo\n     3\tthree\n");
    let out = h.call("read_file", json!({"path": "a.txt", "offset": 2, "limit": "1"})).await;
    assert_eq!(out.content, "     2\ttwo\n[lines 2-2 of 3; continue with offset 3]\n");
    h.write("img.png", [0x89u8, b'P', b'N', b'G', 0, 0, 1]);
    let out = h.call("read_file", json!({"path": "img.png"})).await;
    assert!(
        out.is_error && out.content == "read_file: img.png is a binary file (7 bytes); read_file shows text only",
        "{}",
        out.content
    );
    h.write("latin1.txt", b"caf\xe9\n");
    let out = h.call("read_file", json!({"path": "latin1.txt"})).await;
    assert!(!out.is_error);
    assert!(out.content.contains("not valid UTF-8") && out.content.contains("caf\u{fffd}"), "{}", out.content);
    let out = h.call("read_file", json!({"path": "missing.txt"})).await;
    assert_eq!(out.content, "read_file: missing.txt does not exist");
    std::fs::create_dir(h.dir.path().join("sub")).unwrap();
    let out = h.call("read_file", json!({"path": "sub"})).await;
    assert!(out.content.contains("is a directory"));
}

#[tokio::test]
async fn paths_outside_the_workspace_are_flagged() {
    let h = Harness::new();
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.txt"), "s").unwrap();
    std::os::unix::fs::symlink(outside.path(), h.dir.path().join("link")).unwrap();
    let read = h.registry.get("read_file").unwrap();
    for path in ["link/secret.txt", "../x", "/etc/hostname"] {
        let plan = read.plan(&json!({"path": path}), &h.env).unwrap();
        assert!(!plan.paths[0].inside, "{path} is outside");
    }
    let plan = read.plan(&json!({"path": "inside.txt"}), &h.env).unwrap();
    assert!(plan.paths[0].inside);
    assert_eq!(plan.access, Access::Read);
}

#[tokio::test]
async fn write_file_creates_directories_and_reports_the_change() {
    let h = Harness::new();
    let out = h.call("write_file", json!({"path": "deep/er/new.txt", "content": "a\nb\n"})).await;
    assert_eq!(out.content, "Created deep/er/new.txt (2 lines).");
    assert_eq!(h.read("deep/er/new.txt"), b"a\nb\n");
    let out = h.call("write_file", json!({"path": "deep/er/new.txt", "content": "a\nc\n"})).await;
    assert_eq!(out.content, "Wrote deep/er/new.txt (2 lines; +1 -1).");
    assert!(matches!(&out.effects[0], ToolEffect::FileChanged { diff, .. } if diff.contains("-b\n+c")));
    h.write("blob.bin", [0u8, 1, 2]);
    let out = h.call("write_file", json!({"path": "blob.bin", "content": "x"})).await;
    assert!(out.is_error && out.content.contains("binary file"));
}

#[tokio::test]
async fn edit_file_preserves_crlf_and_missing_final_newline() {
    let h = Harness::new();
    h.write("win.txt", "alpha\r\nbeta\r\ngamma");
    let out = h
        .call("edit_file", json!({"path": "win.txt", "old_string": "alpha\nbeta", "new_string": "ALPHA\nBETA\nextra"}))
        .await;
    assert!(!out.is_error, "{}", out.content);
    assert_eq!(h.read("win.txt"), b"ALPHA\r\nBETA\r\nextra\r\ngamma");
    let out = h.call("edit_file", json!({"path": "win.txt", "old_string": "gamma", "new_string": "delta"})).await;
    assert!(!out.is_error);
    assert_eq!(h.read("win.txt"), b"ALPHA\r\nBETA\r\nextra\r\ndelta", "no final newline added");
}

#[tokio::test]
async fn edit_file_refuses_a_stale_read() {
    let h = Harness::new();
    h.write("code.rs", "fn main() {}\n");
    h.call("read_file", json!({"path": "code.rs"})).await;
    // Someone else changes the file after the model read it.
    std::thread::sleep(Duration::from_millis(20));
    h.write("code.rs", "fn main() { println!(\"changed\"); }\n// more\n");
    let out =
        h.call("edit_file", json!({"path": "code.rs", "old_string": "fn main()", "new_string": "fn start()"})).await;
    assert!(out.is_error);
    assert!(out.content.contains("changed on disk since you last read it"), "{}", out.content);
    // After reading again, the edit goes through; the tool's own write keeps the read fresh.
    h.call("read_file", json!({"path": "code.rs"})).await;
    let out =
        h.call("edit_file", json!({"path": "code.rs", "old_string": "fn main()", "new_string": "fn start()"})).await;
    assert!(!out.is_error, "{}", out.content);
    let out = h.call("edit_file", json!({"path": "code.rs", "old_string": "// more", "new_string": "// less"})).await;
    assert!(!out.is_error, "{}", out.content);
}

#[tokio::test]
async fn edit_file_errors_are_clear() {
    let h = Harness::new();
    h.write("x.txt", "same same\n");
    let out = h.call("edit_file", json!({"path": "x.txt", "old_string": "same", "new_string": "diff"})).await;
    assert!(out.content.contains("occurs 2 times"));
    let out = h.call("edit_file", json!({"path": "x.txt", "old_string": "nope", "new_string": "diff"})).await;
    assert!(out.content.contains("not found"));
    let out = h
        .call("edit_file", json!({"path": "x.txt", "old_string": "same", "new_string": "diff", "replace_all": true}))
        .await;
    assert_eq!(out.content, "Edited x.txt: 2 replacements (+1 -1 lines).");
    h.write("bad.txt", b"\xff\xfe text");
    let out = h.call("edit_file", json!({"path": "bad.txt", "old_string": "text", "new_string": "t"})).await;
    assert!(out.content.contains("not valid UTF-8"));
    assert_eq!(h.read("bad.txt"), b"\xff\xfe text", "untouched");
}

#[tokio::test]
async fn glob_honours_gitignore_and_sorts_newest_first() {
    let h = Harness::new();
    h.write(".gitignore", "target/\n*.log\n");
    h.write("src/old.rs", "");
    std::thread::sleep(Duration::from_millis(20));
    h.write("src/new.rs", "");
    h.write("target/debug/gen.rs", "");
    h.write("debug.log", "");
    std::thread::sleep(Duration::from_millis(20));
    h.write(".hidden/h.rs", "");
    let out = h.call("glob_search", json!({"pattern": "**/*.rs"})).await;
    assert_eq!(out.content, ".hidden/h.rs\nsrc/new.rs\nsrc/old.rs");
    let out = h.call("glob_search", json!({"pattern": "*.rs", "path": "src"})).await;
    assert_eq!(out.content, "src/new.rs\nsrc/old.rs");
    let out = h.call("glob_search", json!({"pattern": "*.log"})).await;
    assert_eq!(out.content, "No files match *.log");
    let out = h.call("glob_search", json!({"pattern": "a[", "path": "src"})).await;
    assert!(out.is_error && out.content.contains("invalid pattern"));
}

#[tokio::test]
async fn grep_modes_context_and_limits() {
    let h = Harness::new();
    h.write("a.rs", "fn alpha() {}\nlet x = 1;\nfn Beta() {}\n");
    h.write("b.py", "def beta():\n    pass\n");
    h.write("bin.dat", b"beta\0binary");
    h.write(".gitignore", "ignored/\n");
    h.write("ignored/c.rs", "fn beta() {}\n");
    let out = h.call("grep_search", json!({"pattern": "beta", "-i": true})).await;
    assert_eq!(out.content, "a.rs\nb.py");
    let out = h.call("grep_search", json!({"pattern": "beta", "-i": true, "output_mode": "content", "-B": 1})).await;
    assert_eq!(out.content, "a.rs-2-let x = 1;\na.rs:3:fn Beta() {}\n--\nb.py:1:def beta():");
    let out = h.call("grep_search", json!({"pattern": "fn \\w+", "output_mode": "count"})).await;
    assert_eq!(out.content, "a.rs:2\n[2 matches in 1 files]");
    let out =
        h.call("grep_search", json!({"pattern": "[xB]", "output_mode": "content", "head_limit": 1, "-n": false})).await;
    assert_eq!(out.content, "a.rs:let x = 1;\n[showing the first 1 line (head_limit); there are more]");
    let out = h.call("grep_search", json!({"pattern": "beta", "glob": "*.py"})).await;
    assert_eq!(out.content, "b.py");
    let out = h.call("grep_search", json!({"pattern": "(unclosed"})).await;
    assert!(out.is_error && out.content.contains("invalid regular expression"));
    let out = h.call("grep_search", json!({"pattern": "zzz"})).await;
    assert_eq!(out.content, "No matches for /zzz/");
}

/// 300 files of 50 matching lines of 100 characters (1.5 MB of matches): the result stops at
/// the budget, in path order, and says how to narrow it; counts still total the whole search.
#[tokio::test]
async fn grep_results_stop_at_the_budget_in_path_order() {
    let h = Harness::new();
    let line = format!("match {}\n", "x".repeat(94));
    for i in 0..300 {
        h.write(&format!("f{i:03}.txt"), line.repeat(50));
    }
    let out = h.call("grep_search", json!({"pattern": "match", "output_mode": "content"})).await;
    assert!(out.content.chars().count() <= 100_300, "{}", out.content.chars().count());
    assert!(out.content.starts_with("f000.txt:1:match x"));
    let last = out.content.lines().last().unwrap();
    assert!(last.starts_with("[showing the first 886 lines: the result stops at 100000 characters"), "{last}");
    assert!(out.content.lines().nth(885).unwrap().starts_with("f017.txt:36:"));
    let out = h.call("grep_search", json!({"pattern": "match", "output_mode": "count", "head_limit": 3})).await;
    assert_eq!(
        out.content,
        "f000.txt:50\nf001.txt:50\nf002.txt:50\n[showing the first 3 files (head_limit); there are more]\n[15000 matches in 300 files]"
    );
    let out = h.call("grep_search", json!({"pattern": "match", "glob": "f29*"})).await;
    assert_eq!(out.content, (290..300).map(|i| format!("f{i:03}.txt")).collect::<Vec<_>>().join("\n"));
}

#[tokio::test]
async fn todo_write_replaces_the_list() {
    let h = Harness::new();
    let out = h
        .call(
            "todo_write",
            json!({"todos": [
                {"content": "Read the code", "status": "completed", "activeForm": "Reading the code"},
                {"content": "Fix the bug", "status": "in_progress", "activeForm": "Fixing the bug"},
                {"content": "Run the tests", "status": "pending", "activeForm": "Running the tests"}
            ]}),
        )
        .await;
    assert_eq!(out.content, "Todo list updated: 3 items (1 completed, 1 in progress, 1 pending).");
    assert!(matches!(&out.effects[0], ToolEffect::TodosChanged(t) if t.len() == 3));
    assert_eq!(h.env.todos.lock().unwrap().len(), 3);
    let out = h.call("todo_write", json!({"todos": [{"content": "x", "status": "doing", "activeForm": "x"}]})).await;
    assert!(out.is_error && out.content.contains("unknown variant `doing`"), "{}", out.content);
}
