//! End to end: the real binary in a pseudo-terminal, against the mock model server.

mod support;

#[path = "support/pty.rs"]
mod pty;

use std::process::Command;
use std::time::Duration;

use support::MockServer;

const T: Duration = Duration::from_secs(20);

fn claw(server: &MockServer, work: &std::path::Path, home: &std::path::Path) -> Command {
    support::claw_command(&server.url, work, home)
}

#[test]
fn prompt_stream_approve_and_quit_restores_the_terminal() {
    let server = MockServer::scenario("tui_e2e");
    let work = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let mut p = pty::Pty::spawn(claw(&server, work.path(), home.path()), 30, 100);
    p.wait_for("enter send", T);
    p.type_text("please run the marker command");
    p.send(b"\r");
    // The streamed markdown, and the dialog with the command.
    p.wait_for_all(&["Allow bash?", "Hello from the mock. Let me run it:", "$ echo e2e-output-marker"], T);
    p.send(b"y");
    // The command's output, the final answer, the prompt above them.
    p.wait_for_all(&["All done.", "⎿ e2e-output-marker", "› please run the marker command"], T);
    p.wait_for("idle", T);
    p.send(b"\x04"); // ctrl+d on an empty prompt
    let status = p.wait_exit(T);
    assert!(status.success(), "{status:?}");
    let problems = p.restore_problems();
    assert!(problems.is_empty(), "terminal not restored: {problems:?}");
    // The session was saved and the key is nowhere in it.
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2);
    let tool_result = &reqs[1].body["messages"][2]["content"][0];
    assert_eq!(tool_result["content"], "e2e-output-marker");
}

#[test]
fn sigterm_restores_the_terminal() {
    let server = MockServer::scenario("text");
    let work = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let mut p = pty::Pty::spawn(claw(&server, work.path(), home.path()), 24, 80);
    p.wait_for("enter send", T);
    // SAFETY: sending a signal to our own child.
    unsafe { libc::kill(p.child.id() as i32, libc::SIGTERM) };
    p.wait_exit(T);
    let problems = p.restore_problems();
    assert!(problems.is_empty(), "terminal not restored: {problems:?}");
}

#[test]
fn first_run_without_a_key_offers_the_demo() {
    let server = MockServer::scenario("text");
    let work = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let mut cmd = claw(&server, work.path(), home.path());
    cmd.env_remove("ANTHROPIC_API_KEY");
    let mut p = pty::Pty::spawn(cmd, 30, 100);
    p.wait_for_all(&["Welcome to claw-tui", "export ANTHROPIC_API_KEY", "/demo"], T);
    p.type_text("/demo");
    p.send(b"\r");
    p.wait_for("Allow bash?", Duration::from_secs(40));
    p.send(b"y");
    p.wait_for("print what they should", Duration::from_secs(40));
    p.wait_for("idle", T);
    p.send(b"\x03"); // ctrl+c: idle with an empty prompt quits
    assert!(p.wait_exit(T).success());
    assert!(p.restore_problems().is_empty());
    assert!(server.requests().is_empty(), "the demo never touches the network");
}

#[test]
fn resume_brings_the_transcript_back_and_continues() {
    let scenario = claw_tui::provider::scripted::Scenario::from_json(
        r#"{"replies":[
            {"content":[{"type":"text","text":"Writing it now."},
                        {"type":"tool_use","id":"w1","name":"write_file","input":{"path":"notes.txt","content":"remember the milk\n"}}]},
            {"content":[{"type":"tool_use","id":"t1","name":"todo_write","input":{"todos":[
                {"content":"Buy milk","status":"in_progress","activeForm":"Buying milk"}]}}]},
            {"content":[{"type":"text","text":"Saved your note."}],"usage":{"input_tokens":1000,"output_tokens":50}},
            {"expect_contains":"what did I ask","content":[{"type":"text","text":"You asked me to save a note about milk."}]}]}"#,
    )
    .unwrap();
    let server = MockServer::start(scenario);
    let work = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let out = claw(&server, work.path(), home.path())
        .args(["-p", "save a note about milk", "--output-format", "json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let id =
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()["session_id"].as_str().unwrap().to_string();

    let mut cmd = claw(&server, work.path(), home.path());
    cmd.args(["--resume", &id]);
    let mut p = pty::Pty::spawn(cmd, 40, 120);
    // The answer, the prompt, the tool cell with its diff, the todo list.
    p.wait_for_all(
        &[
            "Saved your note.",
            "› save a note about milk",
            "write_file notes.txt",
            "1 + remember the milk",
            "Buying milk",
        ],
        T,
    );
    p.type_text("what did I ask?");
    p.send(b"\r");
    p.wait_for("You asked me to save a note about milk.", T);
    p.wait_for("idle", T);
    p.send(b"\x04");
    assert!(p.wait_exit(T).success());
    assert!(p.restore_problems().is_empty());
    let msgs = server.requests()[3].body["messages"].as_array().unwrap().clone();
    assert_eq!(msgs.len(), 7, "the whole earlier conversation went with the new prompt");
    assert_eq!(msgs[0]["content"][0]["text"], "save a note about milk");
}

#[test]
fn saving_a_theme_file_recolours_the_running_interface() {
    let server = MockServer::scenario("text");
    let work = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(work.path().join(".claw/themes")).unwrap();
    std::fs::write(work.path().join(".claw/config.toml"), "theme = \"mine\"\n").unwrap();
    let theme = work.path().join(".claw/themes/mine.toml");
    std::fs::write(&theme, "inherits = \"dark\"\n[ui]\nprimary = \"#ff0000\"\n").unwrap();
    let mut p = pty::Pty::spawn(claw(&server, work.path(), home.path()), 30, 100);
    p.wait_for("enter send", T);
    // The status bar's model name is drawn in ui.primary (256 colours under this TERM).
    let model_cell = |p: &pty::Pty| p.fg(29, 1);
    assert_eq!(model_cell(&p), Some(vt100::Color::Idx(196)));
    std::fs::write(&theme, "inherits = \"dark\"\n[ui]\nprimary = \"#00ff00\"\n").unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while model_cell(&p) != Some(vt100::Color::Idx(46)) {
        assert!(std::time::Instant::now() < deadline, "the new colour did not show: {:?}", model_cell(&p));
        std::thread::sleep(Duration::from_millis(50));
    }
    // A broken save keeps the last good theme, with a notice.
    std::fs::write(&theme, "inherits = \"dark\"\n[ui\nprimary = \"#0000ff\"\n").unwrap();
    p.wait_for("last good theme", T);
    assert_eq!(model_cell(&p), Some(vt100::Color::Idx(46)));
    p.send(b"\x04");
    assert!(p.wait_exit(T).success());
}

#[test]
fn a_file_changed_outside_is_noticed_and_a_stale_edit_refused() {
    let server = MockServer::scenario("watch_e2e");
    let work = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    std::fs::write(work.path().join("code.rs"), "fn main() {}\n").unwrap();
    let mut p = pty::Pty::spawn(claw(&server, work.path(), home.path()), 30, 100);
    p.wait_for("enter send", T);
    p.type_text("read code.rs");
    p.send(b"\r");
    p.wait_for("I have read code.rs.", T);
    p.wait_for("idle", T);
    // Someone edits the file in another window.
    std::thread::sleep(Duration::from_millis(300));
    std::fs::write(work.path().join("code.rs"), "fn main() { println!(\"edited\"); }\n").unwrap();
    p.wait_for("code.rs changed outside claw-tui since the model read it", T);
    p.type_text("now rename main");
    p.send(b"\r");
    p.wait_for("reading it again first", T);
    assert_eq!(std::fs::read_to_string(work.path().join("code.rs")).unwrap(), "fn main() { println!(\"edited\"); }\n");
    assert_eq!(server.requests().len(), 4, "the refusal reached the model");
    p.send(b"\x04");
    assert!(p.wait_exit(T).success());
    assert!(p.restore_problems().is_empty());
}

#[test]
fn an_edit_is_reviewed_hunk_by_hunk_in_the_terminal() {
    let server = MockServer::scenario("review_e2e");
    let work = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let old: String = (1..=20).map(|i| format!("line {i}\n")).collect();
    std::fs::write(work.path().join("notes.txt"), &old).unwrap();
    let mut cmd = claw(&server, work.path(), home.path());
    cmd.args(["--permission-mode", "read-only"]);
    let mut p = pty::Pty::spawn(cmd, 30, 100);
    p.wait_for("enter send", T);
    p.type_text("update the notes");
    p.send(b"\r");
    p.wait_for_all(&["Review write_file: notes.txt", "hunk 1/2", "+ LINE 2"], T);
    // Next hunk, reject it, apply.
    p.send(b"n");
    p.wait_for("hunk 2/2", T);
    p.send(b" ");
    p.wait_for("1 of 2 accepted", T);
    p.send(b"\r");
    p.wait_for("Kept your choice.", T);
    let now = std::fs::read_to_string(work.path().join("notes.txt")).unwrap();
    assert_eq!(now, old.replace("line 2\n", "LINE 2\n"), "only the first hunk was written");
    p.wait_for("idle", T);
    // /diff (no git here: this session's changes) lists the file with its counts.
    p.type_text("/diff");
    p.send(b"\r");
    p.wait_for_all(&["Changes: changes made in this session", "M notes.txt +1 -1", "+ LINE 2"], T);
    p.send(b"\x1b");
    // A lone ESC is only a key once nothing follows it at once.
    std::thread::sleep(Duration::from_millis(300));
    // /undo shows what goes back, and restores it from the checkpoint on disk.
    p.type_text("/undo");
    p.send(b"\r");
    p.wait_for_all(&["Restore files to before turn 1", "- LINE 2"], T);
    p.send(b"\r");
    p.wait_for("Restored the files to before turn 1", T);
    assert_eq!(std::fs::read_to_string(work.path().join("notes.txt")).unwrap(), old);
    p.send(b"\x04");
    assert!(p.wait_exit(T).success());
    assert!(p.restore_problems().is_empty());
}

/// The first start in a cloned repository whose config asks for full access: the question
/// lists it, `y` remembers the answer in the user's own config, and the folder's mode applies.
#[test]
fn the_first_start_in_an_untrusted_folder_asks_and_remembers() {
    let server = MockServer::scenario("text");
    let work = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(work.path().join(".claw")).unwrap();
    std::fs::write(work.path().join(".claw/config.toml"), "permission_mode = \"danger-full-access\"\n").unwrap();
    let mut p = pty::Pty::spawn(claw(&server, work.path(), home.path()), 30, 110);
    // Not applied before the answer: the status bar says workspace-write (waited for with the
    // question, since the status bar may be drawn a frame after it).
    let screen =
        p.wait_for_all(&["Trust this folder?", "permission_mode = \"danger-full-access\"", "workspace-write"], T);
    assert!(!screen.contains("danger-full-access │"), "{screen}");
    p.send(b"y");
    p.wait_for("danger-full-access │", T);
    let user = std::fs::read_to_string(home.path().join(".claw/config.toml")).unwrap();
    let root = work.path().canonicalize().unwrap();
    assert!(user.contains("[trust]") && user.contains(&root.display().to_string()), "{user}");
    p.send(b"\x04");
    assert!(p.wait_exit(T).success());
    // Asked once: the next start goes straight to work.
    let mut p = pty::Pty::spawn(claw(&server, work.path(), home.path()), 30, 110);
    let screen = p.wait_for("enter send", T);
    assert!(!screen.contains("Trust this folder?"), "{screen}");
    p.send(b"\x04");
    assert!(p.wait_exit(T).success());
}

#[test]
fn switching_provider_mid_session_keeps_the_conversation() {
    // Two replies from the same mock: the first on the Anthropic wire, the second (after
    // /model openai/...) on the OpenAI wire, which must carry the first exchange.
    let scenario = claw_tui::provider::scripted::Scenario {
        replies: vec![
            claw_tui::provider::scripted::Reply {
                content: vec![claw_tui::provider::scripted::BlockScript::Text {
                    text: "first answer".into(),
                    chunk: None,
                }],
                ..Default::default()
            },
            claw_tui::provider::scripted::Reply {
                expect_contains: Some("second question".into()),
                content: vec![claw_tui::provider::scripted::BlockScript::Text {
                    text: "second answer".into(),
                    chunk: None,
                }],
                ..Default::default()
            },
        ],
        ..Default::default()
    };
    let server = MockServer::start(scenario);
    let work = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let mut cmd = claw(&server, work.path(), home.path());
    cmd.env("OPENAI_API_KEY", "sk-openai-e2e-secret").env("OPENAI_BASE_URL", format!("{}/v1", server.url));
    let mut p = pty::Pty::spawn(cmd, 30, 100);
    p.wait_for("enter send", T);
    p.type_text("first question");
    p.send(b"\r");
    p.wait_for("first answer", T);
    p.wait_for("idle", T);
    p.type_text("/model openai/gpt-4o-mini");
    p.send(b"\r");
    p.wait_for("gpt-4o-mini", T);
    p.type_text("second question");
    p.send(b"\r");
    p.wait_for("second answer", T);
    p.wait_for("idle", T);
    p.send(b"\x04");
    assert!(p.wait_exit(T).success());
    assert!(p.restore_problems().is_empty());
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2, "{:?}", reqs.iter().map(|r| &r.path).collect::<Vec<_>>());
    assert_eq!((reqs[0].path.as_str(), reqs[1].path.as_str()), ("/v1/messages", "/v1/chat/completions"));
    let messages = reqs[1].body["messages"].as_array().unwrap();
    let said: Vec<(&str, &str)> =
        messages.iter().filter_map(|m| Some((m["role"].as_str()?, m["content"].as_str()?))).collect();
    assert!(said.contains(&("user", "first question")) && said.contains(&("assistant", "first answer")), "{said:?}");
    assert_eq!(reqs[1].body["model"], "gpt-4o-mini");
}

/// Two sub-agents in the real interface: the side column lists them while they run, one of
/// them asks (the modal names it), the answer reaches it, and /agents shows its transcript.
#[test]
fn sub_agents_run_ask_through_the_modal_and_show_in_the_agents_pane() {
    let scenario = serde_json::json!({"name": "agents", "description": "", "replies": [
        {"content": [
            {"type": "tool_use", "id": "toolu_a", "name": "Agent", "input": {"description": "write the marker", "prompt": "TASK-MARK"}},
            {"type": "tool_use", "id": "toolu_b", "name": "Agent", "input": {"description": "read slowly", "prompt": "TASK-SLOW"}}
        ]},
        {"route": "TASK-MARK", "content": [{"type": "tool_use", "id": "toolu_m", "name": "bash", "input": {"command": "touch sub-agent-was-here"}}]},
        {"route": "TASK-SLOW", "delay_ms": 40, "content": [{"type": "text", "text": "The slow reader read every file twice over.", "chunk": 3}]},
        {"route": "toolu_m", "content": [{"type": "text", "text": "Marker written."}]},
        {"content": [{"type": "text", "text": "Both sub-agents are done."}]}
    ]});
    let server = MockServer::start(claw_tui::provider::scripted::Scenario::from_json(&scenario.to_string()).unwrap());
    let work = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let mut p = pty::Pty::spawn(claw(&server, work.path(), home.path()), 30, 110);
    p.wait_for("enter send", T);
    p.type_text("do both");
    p.send(b"\r");
    p.wait_for_all(&["general-purpose: write the marker · allow bash?", "Agents", "read slowly"], T);
    p.send(b"y");
    p.wait_for("Both sub-agents are done.", T);
    assert!(work.path().join("sub-agent-was-here").exists());
    p.wait_for("idle", T);
    p.type_text("/agents");
    p.send(b"\r");
    p.wait_for_all(&["general-purpose: read slowly", "done", "Agent types"], T);
    p.send(b"\r");
    p.wait_for_all(&["› TASK-SLOW", "The slow reader read every file twice over."], T);
    p.send(b"\x1b");
    p.wait_for("Agent types", T);
    std::thread::sleep(Duration::from_millis(100));
    p.send(b"\x1b");
    p.wait_for("enter send", T);
    std::thread::sleep(Duration::from_millis(100));
    p.send(b"\x04");
    assert!(p.wait_exit(T).success());
    assert!(p.restore_problems().is_empty());
}
