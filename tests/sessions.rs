//! Sessions: store round trips, recovery from a kill at any byte, the index, resume and
//! compaction against the mock server, export golden files, the `sessions` command.

mod support;

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use claw_tui::agent::{AgentEvent, Op, TurnOutcome};
use claw_tui::provider::{ContentBlock, Message, Role};
use claw_tui::session::{self, FORMAT_VERSION, Record, SessionWriter, index, replay};
use support::{AgentOptions, MockServer, meta, outcome, spawn_agent, until_finished, walk};

fn claw(server_url: &str, work: &Path, home: &Path) -> Command {
    let mut cmd = Command::from_std(support::claw_command(server_url, work, home));
    cmd.timeout(std::time::Duration::from_secs(30));
    cmd
}

fn turn(text: &str) -> Op {
    Op::UserTurn { text: text.into(), attachments: vec![] }
}

/// Runs the write_roundtrip scenario with a session writer; returns the session file.
async fn recorded_session(store: &Path, work: &Path) -> PathBuf {
    let server = MockServer::scenario("write_roundtrip");
    let writer = SessionWriter::create(store, meta("sess-rt", work), vec![]);
    let mut agent = spawn_agent(&server.url, work, AgentOptions { session: Some(writer), ..Default::default() });
    agent.send(turn("make a file"));
    until_finished(&mut agent).await;
    store.join("sess-rt.jsonl")
}

#[tokio::test]
async fn store_round_trip_gives_back_the_history_the_model_saw() {
    let store = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let path = recorded_session(store.path(), work.path()).await;
    let (records, warnings) = session::read_records(&path).unwrap();
    assert!(warnings.is_empty());
    let history = replay::history(&records);
    assert_eq!(history.len(), 6);
    assert_eq!(history[0], Message::user_text("make a file"));
    assert!(matches!(&history[1].content[1], ContentBlock::ToolUse { name, .. } if name == "write_file"));
    assert!(
        matches!(&history[2].content[0], ContentBlock::ToolResult { content, .. } if content.starts_with("Created"))
    );
    assert_eq!(history[5].text(), "The file says: hello from claw");
    let summary = index::load(&path).unwrap();
    assert_eq!(summary.messages, 6);
    assert_eq!(summary.display_title(), "make a file");
    assert!((summary.cost_usd - (450.0 * 3.0 + 39.0 * 15.0) / 1e6).abs() < 1e-9);
}

#[tokio::test]
async fn a_kill_at_any_byte_of_the_last_line_loses_only_that_line() {
    let store = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let path = recorded_session(store.path(), work.path()).await;
    let full = std::fs::read(&path).unwrap();
    let body = &full[..full.len() - 1];
    let last_start = body.iter().rposition(|&b| b == b'\n').unwrap() + 1;
    let (all, _) = session::read_records(&path).unwrap();
    let torn = store.path().join("torn.jsonl");
    for cut in last_start..full.len() {
        std::fs::write(&torn, &full[..cut]).unwrap();
        let (records, warnings) = session::read_records(&torn).unwrap();
        let complete = cut == full.len() - 1; // only the newline is missing
        let expected = if complete { all.len() } else { all.len() - 1 };
        assert_eq!(records.len(), expected, "cut at byte {cut}");
        let partial = cut > last_start && !complete;
        assert_eq!(warnings.len(), usize::from(partial), "cut at byte {cut}: {warnings:?}");
        // the rest still resumes: a valid history
        let h = replay::history(&records);
        for pair in h.windows(2) {
            assert_ne!(pair[0].role, pair[1].role);
        }
        let _ = index::summarize(&torn).unwrap();
    }
}

#[test]
fn empty_garbage_and_deleted_files() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.jsonl");
    std::fs::write(&empty, "").unwrap();
    let (records, warnings) = session::read_records(&empty).unwrap();
    assert!(records.is_empty() && warnings.is_empty());
    assert_eq!(index::load(&empty).unwrap().display_title(), "(no messages)");
    let garbage = dir.path().join("garbage.jsonl");
    std::fs::write(&garbage, "\u{0}\u{1}not json at all\n{\"type\":\"message\"}\n").unwrap();
    let (records, warnings) = session::read_records(&garbage).unwrap();
    assert!(records.is_empty());
    assert_eq!(warnings.len(), 2);
    assert!(warnings[0].contains("garbage.jsonl:1:"));
    assert!(session::read_records(&dir.path().join("gone.jsonl")).is_err());
}

#[tokio::test]
async fn a_session_file_deleted_while_open_is_written_again_with_a_warning() {
    let server = MockServer::scenario("slow");
    let work = tempfile::tempdir().unwrap();
    let store = tempfile::tempdir().unwrap();
    let writer = SessionWriter::create(store.path(), meta("del", work.path()), vec![]);
    let mut agent = spawn_agent(&server.url, work.path(), AgentOptions { session: Some(writer), ..Default::default() });
    agent.send(turn("one"));
    until_finished(&mut agent).await;
    std::fs::remove_file(store.path().join("del.jsonl")).unwrap();
    agent.send(turn("two"));
    let events = until_finished(&mut agent).await;
    let warnings: Vec<&str> = events
        .iter()
        .filter_map(|e| match e {
            AgentEvent::Warning { message } => Some(message.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains("was deleted while in use"));
    let (records, _) = session::read_records(&store.path().join("del.jsonl")).unwrap();
    assert!(matches!(records[0], Record::Meta { .. }));
    assert!(records.iter().any(|r| matches!(r, Record::Message { message, .. } if message.text() == "two")));
}

#[test]
fn the_index_rebuilds_and_lists_thousands_quickly_enough_to_test() {
    let root = tempfile::tempdir().unwrap();
    let dir = session::project_dir(root.path(), Path::new("/proj"));
    for i in 0..50 {
        let mut w = SessionWriter::create(&dir, meta(&format!("s{i:03}"), Path::new("/proj")), vec![]);
        w.append(&Record::message(Message::user_text(format!("prompt number {i}")))).unwrap();
    }
    // remove every other sidecar: they are rebuilt
    for i in (0..50).step_by(2) {
        std::fs::remove_file(dir.join(format!("s{i:03}.summary.json"))).unwrap();
    }
    let list = index::list(root.path(), Some(&dir));
    assert_eq!(list.len(), 50);
    assert!(dir.join("s000.summary.json").exists(), "rebuilt sidecar written back");
    assert!(list.iter().all(|s| s.display_title().starts_with("prompt number")));
}

#[tokio::test]
async fn compaction_summarizes_and_continues_from_the_summary() {
    let server = MockServer::scenario("compact");
    let work = tempfile::tempdir().unwrap();
    let store = tempfile::tempdir().unwrap();
    let writer = SessionWriter::create(store.path(), meta("cmp", work.path()), vec![]);
    let mut agent = spawn_agent(&server.url, work.path(), AgentOptions { session: Some(writer), ..Default::default() });
    agent.send(turn("first question"));
    until_finished(&mut agent).await;
    agent.send(turn("second question"));
    until_finished(&mut agent).await;
    agent.send(Op::Compact { focus: Some("the answers".into()) });
    let events = until_finished(&mut agent).await;
    assert_eq!(outcome(&events), TurnOutcome::EndTurn);
    let compacted = events.iter().find_map(|e| match e {
        AgentEvent::Compacted { summary, kept, before } => Some((summary.clone(), *kept, *before)),
        _ => None,
    });
    assert_eq!(compacted, Some(("SUMMARY: the user asked two things; both answered.".into(), 2, 4)));
    assert!(!events.iter().any(|e| matches!(e, AgentEvent::TextDelta { .. })), "the summary is not shown as an answer");
    agent.send(turn("third question"));
    until_finished(&mut agent).await;

    let reqs = server.requests();
    // The summary request: the whole history plus the instruction with the focus.
    let summary_req = &reqs[2].body;
    let msgs = summary_req["messages"].as_array().unwrap();
    assert_eq!(msgs.len(), 5);
    assert!(msgs[4]["content"][0]["text"].as_str().unwrap().contains("Focus the summary on: the answers"));
    assert!(summary_req["tools"].as_array().is_some_and(|t| !t.is_empty()), "tools stay declared");
    // The continued conversation: summary, then the last turn, then the new prompt.
    let next = reqs[3].body["messages"].as_array().unwrap();
    assert_eq!(next.len(), 3, "{}", serde_json::to_string_pretty(next).unwrap());
    assert!(next[0]["content"][0]["text"].as_str().unwrap().contains("SUMMARY: the user asked two things"));
    assert!(next[0]["content"][1]["text"].as_str().unwrap() == "second question", "{}", next[0]);
    assert_eq!(next[1]["content"][0]["text"], "Second answer.");
    assert_eq!(next[2]["content"][0]["text"], "third question");
    // The file keeps everything, and resuming it gives the compacted view.
    let (records, _) = session::read_records(&store.path().join("cmp.jsonl")).unwrap();
    let messages = records.iter().filter(|r| matches!(r, Record::Message { .. })).count();
    assert_eq!(messages, 6, "all original messages are still in the file");
    assert!(records.iter().any(|r| matches!(r, Record::Compaction { kept: 2, .. })));
    let h = replay::history(&records);
    assert_eq!(h.len(), 4, "the compacted view plus the answer that followed");
    assert_eq!(h[3].text(), "Third answer.");
}

#[tokio::test]
async fn automatic_compaction_when_the_context_fills() {
    let server = MockServer::scenario("auto_compact");
    let work = tempfile::tempdir().unwrap();
    let mut agent = spawn_agent(&server.url, work.path(), AgentOptions::default());
    for q in ["one", "two"] {
        agent.send(turn(q));
        let events = until_finished(&mut agent).await;
        assert!(!events.iter().any(|e| matches!(e, AgentEvent::Compacted { .. })));
    }
    // The second answer filled 95% of the window: the next turn compacts first.
    agent.send(turn("three"));
    let events = until_finished(&mut agent).await;
    assert!(events.iter().any(|e| matches!(e, AgentEvent::Compacted { .. })), "compacted before the request");
    assert_eq!(support::streamed_text(&events), "Three.");
    let reqs = server.requests();
    assert_eq!(reqs.len(), 4);
    let last = reqs[3].body["messages"].as_array().unwrap();
    assert!(last[0]["content"][0]["text"].as_str().unwrap().contains("SUMMARY: one and two."));
    assert_eq!(last.last().unwrap()["content"].as_array().unwrap().last().unwrap()["text"], "three");
}

#[test]
fn resume_and_continue_send_the_earlier_history() {
    let scenario = claw_tui::provider::scripted::Scenario::from_json(
        r#"{"replies":[
            {"content":[{"type":"text","text":"Remembered: 42."}]},
            {"expect_contains":"what was the number","content":[{"type":"text","text":"It was 42."}]},
            {"expect_contains":"and again","content":[{"type":"text","text":"Still 42."}]}]}"#,
    )
    .unwrap();
    let server = MockServer::start(scenario);
    let work = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let out = claw(&server.url, work.path(), home.path())
        .args(["-p", "remember the number 42", "--output-format", "json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let id =
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()["session_id"].as_str().unwrap().to_string();

    let out = claw(&server.url, work.path(), home.path())
        .args(["-p", "what was the number?", "--resume", &id[..13]])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "It was 42.\n");
    let body = &server.requests()[1].body;
    let msgs = body["messages"].as_array().unwrap();
    assert_eq!(msgs.len(), 3, "the earlier turn is sent again");
    assert_eq!(msgs[0]["content"][0]["text"], "remember the number 42");
    assert_eq!(msgs[1]["content"][0]["text"], "Remembered: 42.");

    let out = claw(&server.url, work.path(), home.path()).args(["-p", "and again", "--continue"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(server.requests()[2].body["messages"].as_array().unwrap().len(), 5);
    // one session file, continued in place
    let sessions: Vec<_> = walk(&home.path().join(".claw/sessions"))
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .collect();
    assert_eq!(sessions.len(), 1);

    let out = claw(&server.url, work.path(), home.path()).args(["-p", "x", "--resume", "nope-nope"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no session `nope-nope`") && err.contains("claw-tui sessions list"), "{err}");
}

fn golden_records() -> (index::Summary, Vec<Record>) {
    let ts = chrono::DateTime::parse_from_rfc3339("2026-11-25T10:00:00Z").unwrap().to_utc();
    let records = vec![
        Record::Meta {
            version: FORMAT_VERSION,
            id: "0199-golden".into(),
            created: ts,
            cwd: "/work/project".into(),
            git_branch: Some("main".into()),
            model: "claude-sonnet-4-5".into(),
            claw_version: "0.1.0".into(),
            forked_from: None,
        },
        Record::Message { ts, message: Message::user_text("List the Rust files.") },
        Record::Message {
            ts,
            message: Message {
                role: Role::Assistant,
                content: vec![
                    ContentBlock::Thinking { thinking: "hidden".into(), signature: "s".into() },
                    ContentBlock::Text { text: "Let me look.".into() },
                    ContentBlock::ToolUse {
                        id: "t1".into(),
                        name: "glob_search".into(),
                        input: serde_json::json!({"pattern": "**/*.rs"}),
                    },
                ],
            },
        },
        Record::Message {
            ts,
            message: Message {
                role: Role::User,
                content: vec![ContentBlock::ToolResult {
                    tool_use_id: "t1".into(),
                    content: "src/main.rs\nsrc/lib.rs".into(),
                    is_error: false,
                    images: vec![],
                }],
            },
        },
        Record::Message {
            ts,
            message: Message {
                role: Role::Assistant,
                content: vec![ContentBlock::Text { text: "There are two: `src/main.rs` and `src/lib.rs`.".into() }],
            },
        },
        Record::Usage { ts, model: "claude-sonnet-4-5".into(), usage: Default::default(), cost_usd: Some(0.0123) },
        Record::Title { ts, title: "Rust files".into() },
    ];
    let mut summary = index::Summary::new("0199-golden", Path::new("/x/0199-golden.jsonl"));
    for r in &records {
        summary.apply(r);
    }
    (summary, records)
}

fn golden(name: &str, actual: &str) {
    let path = format!("{}/tests/golden/{name}", env!("CARGO_MANIFEST_DIR"));
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, actual).unwrap();
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{path}: {e} (run with UPDATE_GOLDEN=1 to create it)"));
    assert_eq!(actual, expected, "{name} differs from the golden file");
}

#[test]
fn export_golden_files() {
    let (summary, records) = golden_records();
    golden("export.md", &session::export::markdown(&summary, &records));
    golden("export.json", &(serde_json::to_string_pretty(&session::export::json(&summary, &records)).unwrap() + "\n"));
}

#[test]
fn sessions_command_lists_shows_and_exports() {
    let home = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let root = home.path().join(".claw/sessions");
    let cwd = work.path().canonicalize().unwrap();
    let mut w = SessionWriter::create(&session::project_dir(&root, &cwd), meta("abc-123", &cwd), vec![]);
    w.append(&Record::message(Message::user_text("hello sessions"))).unwrap();
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_claw-tui"))
            .current_dir(&cwd)
            .env_clear()
            .env("HOME", home.path())
            .env("CLAW_CONFIG_HOME", home.path().join(".claw"))
            .args(args)
            .output()
            .unwrap()
    };
    let out = run(&["sessions", "list"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("abc-123") && text.contains("hello sessions"), "{text}");
    let out = run(&["sessions", "list", "--all", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(out.stdout.split(|&b| b == b'\n').next().unwrap()).unwrap();
    assert_eq!(v["id"], "abc-123");
    assert_eq!(v["title"], "hello sessions");
    let out = run(&["sessions", "show", "abc"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("## You\n\nhello sessions"));
    let out = run(&["sessions", "export", "abc-123", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["records"].as_array().unwrap().len(), 2);
    let out = run(&["sessions", "show", "zzz"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no session `zzz`"));
}
