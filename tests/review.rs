//! Edits as proposals, against the mock model server and real files: hunk-by-hunk apply and
//! what the model is told, a file changed between proposal and apply, checkpoints, /undo and
//! /rewind in a temporary git repository, and notices of files changed outside claw-tui.

mod support;

use std::path::Path;
use std::time::Duration;

use claw_tui::agent::{AgentEvent, AgentHandle, Decision, Op, TurnOutcome};
use claw_tui::permission::PermissionMode;
use claw_tui::session::{Record, SessionWriter};
use claw_tui::tools::Preview;
use claw_tui::tools::hunks;
use support::*;

fn turn(text: &str) -> Op {
    Op::UserTurn { text: text.into(), attachments: vec![] }
}

async fn next(agent: &mut AgentHandle) -> AgentEvent {
    tokio::time::timeout(Duration::from_secs(10), agent.next_event()).await.expect("an event in time").expect("open")
}

/// The tool results of a request body, in order: (id, content).
fn results(body: &serde_json::Value) -> Vec<(String, String)> {
    let last = body["messages"].as_array().unwrap().last().unwrap();
    last["content"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["type"] == "tool_result")
        .map(|b| (b["tool_use_id"].as_str().unwrap().to_string(), b["content"].as_str().unwrap_or("").to_string()))
        .collect()
}

/// The review_edits scenario on a 30-line notes.txt, in read-only mode so every edit asks;
/// the prompt is sent.
fn review_edits() -> (MockServer, tempfile::TempDir, AgentHandle) {
    let server = MockServer::scenario("review_edits");
    let dir = tempfile::tempdir().unwrap();
    let base: String = (1..=30).map(|i| format!("line {i}\n")).collect();
    std::fs::write(dir.path().join("notes.txt"), &base).unwrap();
    let agent = spawn_agent(
        &server.url,
        dir.path(),
        AgentOptions { interactive: true, mode: PermissionMode::Review, ..Default::default() },
    );
    agent.send(turn("tidy the notes"));
    (server, dir, agent)
}

#[tokio::test]
async fn hunks_are_applied_as_reviewed_and_the_model_is_told_exactly() {
    let (server, dir, mut agent) = review_edits();
    let mut proposed = None;
    loop {
        match next(&mut agent).await {
            AgentEvent::ApprovalRequested { call_id, preview, .. } => {
                let Some(Preview::Edit { old, new, .. }) = preview else { panic!("an edit preview: {preview:?}") };
                match call_id.as_str() {
                    "toolu_part" => {
                        let old = old.expect("the file exists");
                        assert_eq!(hunks::hunks(&old, &new).len(), 3);
                        proposed = Some((old, new));
                        let decision =
                            Decision::ApplyHunks { accepted: vec![0, 2], note: Some("keep line 15 as it is".into()) };
                        agent.send(Op::Approval { call_id, decision });
                    }
                    "toolu_stale" => {
                        // Someone saves the file while the proposal waits.
                        std::fs::write(dir.path().join("notes.txt"), "edited by hand\n").unwrap();
                        agent.send(Op::Approval { call_id, decision: Decision::AllowOnce });
                    }
                    "toolu_none" => {
                        assert!(old.is_none(), "a new file has no old side");
                        let decision = Decision::ApplyHunks { accepted: vec![], note: None };
                        agent.send(Op::Approval { call_id, decision });
                    }
                    other => panic!("unexpected approval {other}"),
                }
            }
            AgentEvent::TurnFinished { outcome, .. } => {
                assert_eq!(outcome, TurnOutcome::EndTurn);
                break;
            }
            _ => {}
        }
    }
    let reqs = server.requests();
    assert_eq!(reqs.len(), 4, "every expectation of the scenario was met");
    // The partial apply: exactly hunks 1 and 3, and the rejected one quoted for the model.
    let (old, new) = proposed.unwrap();
    let told = &results(&reqs[1].body)[0].1;
    assert!(told.contains("applied 2 of 3 (hunk 1, 3); rejected hunk 2"), "{told}");
    assert!(told.contains("Rejected hunk 2 (old line 15):\n- line 15\n+ LINE 15"), "{told}");
    assert!(told.contains("The user's note: keep line 15 as it is"), "{told}");
    let expected = hunks::apply(&old, &new, &[0, 2]);
    assert!(expected.contains("LINE 2\n") && expected.contains("line 15\n") && expected.contains("LINE 28\n"));
    // The stale apply wrote nothing: the hand edit is still there.
    let told = &results(&reqs[2].body)[0].1;
    assert!(told.contains("notes.txt changed on disk after this change was proposed"), "{told}");
    assert_eq!(std::fs::read_to_string(dir.path().join("notes.txt")).unwrap(), "edited by hand\n");
    // The whole rejection created nothing.
    assert!(results(&reqs[3].body)[0].1.contains("rejected the whole change to other.txt (1 hunk)"));
    assert!(!dir.path().join("other.txt").exists());
}

#[tokio::test]
async fn the_partial_apply_is_on_disk_before_the_next_request() {
    // Same flow, checking the file between the first and second request.
    let (_server, dir, mut agent) = review_edits();
    loop {
        match next(&mut agent).await {
            AgentEvent::ApprovalRequested { call_id, preview: Some(Preview::Edit { old, new, .. }), .. }
                if call_id == "toolu_part" =>
            {
                let accepted = vec![0, 1];
                let want = hunks::apply(old.as_deref().unwrap(), &new, &accepted);
                agent.send(Op::Approval { call_id, decision: Decision::ApplyHunks { accepted, note: None } });
                // The next proposal arrives after the write: the file is the accepted subset.
                loop {
                    match next(&mut agent).await {
                        AgentEvent::ApprovalRequested { call_id, .. } => {
                            assert_eq!(std::fs::read_to_string(dir.path().join("notes.txt")).unwrap(), want);
                            agent.send(Op::Approval { call_id, decision: Decision::Deny { feedback: None } });
                            break;
                        }
                        AgentEvent::TurnFinished { .. } => panic!("the turn ended before the next proposal"),
                        _ => {}
                    }
                }
            }
            AgentEvent::ApprovalRequested { call_id, .. } => {
                agent.send(Op::Approval { call_id, decision: Decision::Deny { feedback: None } });
            }
            AgentEvent::TurnFinished { .. } => break,
            _ => {}
        }
    }
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false"])
        .args(args)
        .output()
        .expect("git runs");
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).to_string()
}

async fn finish(agent: &mut AgentHandle) -> Vec<AgentEvent> {
    until_finished(agent).await
}

async fn wait_for<T>(agent: &mut AgentHandle, mut pick: impl FnMut(AgentEvent) -> Option<T>) -> T {
    loop {
        if let Some(t) = pick(next(agent).await) {
            return t;
        }
    }
}

#[tokio::test]
async fn undo_and_rewind_restore_real_files_in_a_git_repository() {
    let server = MockServer::scenario("undo_rewind");
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path();
    git(ws, &["init", "-q"]);
    std::fs::write(ws.join("a.txt"), "a as committed\n").unwrap();
    git(ws, &["add", "."]);
    git(ws, &["commit", "-qm", "start"]);
    let store = tempfile::tempdir().unwrap();
    let writer = SessionWriter::create(store.path(), meta("rw-1", ws), vec![]);
    let session_file = store.path().join("rw-1.jsonl");
    let mut agent = spawn_agent(&server.url, ws, AgentOptions { session: Some(writer), ..Default::default() });
    agent.send(turn("first prompt"));
    finish(&mut agent).await;
    agent.send(turn("second prompt"));
    finish(&mut agent).await;
    assert_eq!(std::fs::read_to_string(ws.join("a.txt")).unwrap(), "a from turn 2\n");

    // /undo: the last turn's change to a.txt goes back to what turn 1 wrote.
    agent.send(Op::PlanRestore { turn: None, files: true, conversation: false });
    let plan = wait_for(&mut agent, |ev| match ev {
        AgentEvent::RestorePlan { plan } => Some(plan),
        _ => None,
    })
    .await;
    assert_eq!(plan.turn, 2);
    assert_eq!(plan.changes.len(), 1);
    assert_eq!(plan.changes[0].path, "a.txt");
    assert_eq!(plan.changes[0].target.as_deref(), Some("a from turn 1\n"));
    assert!(!plan.changes[0].conflict);
    agent.send(Op::Restore { turn: 2, files: true, conversation: false, force: false });
    let report = wait_for(&mut agent, |ev| match ev {
        AgentEvent::Restored { report, .. } => Some(report),
        _ => None,
    })
    .await;
    assert_eq!(report, ["a.txt: restored"]);
    assert_eq!(std::fs::read_to_string(ws.join("a.txt")).unwrap(), "a from turn 1\n");

    // Someone edits b.txt; rewinding to before turn 1 flags it and keeps it without force.
    std::fs::write(ws.join("b.txt"), "b edited by hand\n").unwrap();
    agent.send(Op::ListTurns);
    let turns = wait_for(&mut agent, |ev| match ev {
        AgentEvent::Turns { turns } => Some(turns),
        _ => None,
    })
    .await;
    assert_eq!(turns.iter().map(|t| t.turn).collect::<Vec<_>>(), [1, 2]);
    assert_eq!(turns[0].files, ["a.txt", "b.txt"]);
    agent.send(Op::PlanRestore { turn: Some(1), files: true, conversation: true });
    let plan = wait_for(&mut agent, |ev| match ev {
        AgentEvent::RestorePlan { plan } => Some(plan),
        _ => None,
    })
    .await;
    let b = plan.changes.iter().find(|c| c.path == "b.txt").unwrap();
    assert!(b.conflict && b.target.is_none(), "{b:?}");
    agent.send(Op::Restore { turn: 1, files: true, conversation: true, force: false });
    let mut todos = None;
    let (report, conversation) = wait_for(&mut agent, |ev| match ev {
        AgentEvent::TodosChanged { todos: t } => {
            todos = Some(t);
            None
        }
        AgentEvent::Restored { report, conversation, .. } => Some((report, conversation)),
        _ => None,
    })
    .await;
    assert_eq!(todos, Some(vec![]), "the task list went back to before turn 1 (empty)");
    assert!(conversation);
    assert!(report.contains(&"a.txt: restored".to_string()), "{report:?}");
    assert!(report.contains(&"b.txt: kept (changed by someone else since)".to_string()), "{report:?}");
    assert_eq!(git(ws, &["status", "--porcelain"]), "?? b.txt\n", "a.txt is as committed again");
    assert_eq!(std::fs::read_to_string(ws.join("b.txt")).unwrap(), "b edited by hand\n");

    // The conversation went back too: the next request starts from the new prompt.
    agent.send(turn("after the rewind"));
    finish(&mut agent).await;
    let last = server.requests().last().unwrap().body.clone();
    let messages = last["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert!(!last.to_string().contains("first prompt"));

    // The session file says all of it, and a resumed history agrees.
    let (records, _) = claw_tui::session::read_records(&session_file).unwrap();
    assert!(records.iter().any(|r| matches!(r, Record::Restore { turn: 1, conversation: true, .. })));
    assert_eq!(records.iter().filter(|r| matches!(r, Record::Checkpoint { .. })).count(), 3);
    let (history, marks) = claw_tui::session::replay::history_and_marks(&records);
    assert_eq!(history.len(), 2, "the rewound turns are gone on resume too");
    assert_eq!(marks.iter().map(|m| m.turn).collect::<Vec<_>>(), [3]);
    assert!(store.path().join("rw-1.checkpoints").is_dir(), "blobs live beside the session file");
}

#[tokio::test]
async fn files_changed_outside_are_noticed_once_and_edits_refuse_a_stale_read() {
    let server = MockServer::scenario("text");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("code.rs");
    std::fs::write(&file, "fn main() {}\n").unwrap();
    let env = std::sync::Arc::new(claw_tui::tools::ToolEnv::new(
        claw_tui::tools::Workspace::new(dir.path(), dir.path()).unwrap(),
    ));
    let read = claw_tui::tools::Registry::builtin();
    let (ctx, _progress) = claw_tui::tools::ToolContext::new(env.clone(), Default::default());
    read.get("read_file").unwrap().run(serde_json::json!({"path": "code.rs"}), &ctx).await.unwrap();
    assert!(env.external_changes(std::slice::from_ref(&file)).is_empty(), "unchanged: nothing to say");
    std::thread::sleep(Duration::from_millis(20));
    std::fs::write(&file, "fn main() { println!(\"hi\"); }\n").unwrap();
    let notes = env.external_changes(std::slice::from_ref(&file));
    assert_eq!(notes.len(), 1);
    assert!(notes[0].starts_with("code.rs changed outside claw-tui"), "{notes:?}");
    assert!(env.external_changes(std::slice::from_ref(&file)).is_empty(), "said once per change");
    let err = read
        .get("edit_file")
        .unwrap()
        .run(serde_json::json!({"path": "code.rs", "old_string": "fn main()", "new_string": "fn start()"}), &ctx)
        .await
        .unwrap_err();
    assert!(err.contains("changed on disk since you last read it; read it again"), "{err}");
    drop(server);
}

#[test]
fn the_diff_viewer_lists_a_real_working_tree() {
    use claw_tui::app::changes::{self, Status};
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().canonicalize().unwrap();
    git(&ws, &["init", "-q"]);
    std::fs::create_dir_all(ws.join("src")).unwrap();
    std::fs::write(ws.join("src/lib.rs"), "fn a() {}\nfn b() {}\n").unwrap();
    std::fs::write(ws.join("old_name.txt"), (1..=20).map(|i| format!("line {i}\n")).collect::<String>()).unwrap();
    std::fs::write(ws.join("gone.txt"), "bye\n").unwrap();
    std::fs::write(ws.join("logo.png"), [0u8, 1, 2, 3]).unwrap();
    std::fs::write(ws.join(".gitignore"), "target/\n").unwrap();
    git(&ws, &["add", "."]);
    git(&ws, &["commit", "-qm", "base"]);
    std::fs::write(ws.join("src/lib.rs"), "fn a() {}\nfn b() { todo!() }\n").unwrap();
    git(&ws, &["mv", "old_name.txt", "new_name.txt"]);
    std::fs::remove_file(ws.join("gone.txt")).unwrap();
    std::fs::write(ws.join("logo.png"), [0u8, 9, 9]).unwrap();
    std::fs::write(ws.join("fresh.txt"), "one\ntwo\n").unwrap();
    std::fs::create_dir_all(ws.join("target")).unwrap();
    std::fs::write(ws.join("target/junk.o"), "x").unwrap();

    assert!(changes::in_git(&ws));
    let files = changes::working_tree_changes(&ws).unwrap();
    let summary: Vec<_> = files.iter().map(|f| (f.path.as_str(), f.status, f.counts)).collect();
    assert_eq!(
        summary,
        [
            ("fresh.txt", Status::Added, Some((2, 0))),
            ("gone.txt", Status::Deleted, Some((0, 1))),
            ("logo.png", Status::Modified, None),
            ("new_name.txt", Status::Renamed, Some((0, 0))),
            ("src/lib.rs", Status::Modified, Some((1, 1))),
        ]
    );
    let renamed = files.iter().find(|f| f.status == Status::Renamed).unwrap();
    assert_eq!(renamed.renamed_from.as_deref(), Some("old_name.txt"));
    let diff = |path: &str| changes::working_tree_diff(&ws, files.iter().find(|f| f.path == path).unwrap());
    let lib = diff("src/lib.rs");
    assert_eq!((lib.added, lib.removed), (1, 1));
    assert_eq!(
        lib.hunks[0].rows.iter().find(|r| r.kind == claw_tui::app::review::RowKind::Added).unwrap().text,
        "fn b() { todo!() }"
    );
    let gone = diff("gone.txt");
    assert!(gone.deleted && gone.removed == 1);
    assert_eq!(diff("logo.png").placeholder, Some(claw_tui::app::review::Placeholder::Binary));
    assert_eq!(diff("new_name.txt").placeholder, Some(claw_tui::app::review::Placeholder::Unchanged));
    assert!(diff("fresh.txt").created);

    // This session's changes: against the first checkpoint, whatever git says.
    let mut cp = claw_tui::session::checkpoint::Checkpoints::new(None);
    cp.begin_turn(1, "p");
    cp.record_change(&ws.join("src/lib.rs"), Some("fn a() {}\nfn b() {}\n"), Some("x")).unwrap();
    cp.record_change(&ws.join("made.txt"), None, Some("m\n")).unwrap();
    std::fs::write(ws.join("made.txt"), "m\n").unwrap();
    let session = changes::session_changes(&ws, &cp).unwrap();
    let summary: Vec<(&str, Status)> = session.iter().map(|f| (f.path.as_str(), f.status)).collect();
    assert_eq!(summary, [("made.txt", Status::Added), ("src/lib.rs", Status::Modified)]);
    assert_eq!(changes::session_diff(&ws, &cp, "src/lib.rs").added, 1);

    // Not a repository: in_git says so (the viewer then shows the session's changes).
    let plain = tempfile::tempdir().unwrap();
    assert!(!changes::in_git(plain.path()));
}
