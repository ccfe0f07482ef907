//! The agent loop against the mock server: tool round trips, approvals, interrupts, limits,
//! retries, and the history it sends back.

mod support;

use claw_tui::agent::{AgentEvent, Decision, Op, TurnOutcome};
use claw_tui::permission::PermissionMode;
use claw_tui::provider::ErrorKind;
use serde_json::{Value, json};
use support::{AgentOptions, MockServer, outcome, spawn_agent, streamed_text, until_finished};

fn turn(text: &str) -> Op {
    Op::UserTurn { text: text.into(), attachments: vec![] }
}

/// The tool_result blocks of a request's last user message, as (id, content, is_error).
fn tool_results(body: &Value) -> Vec<(String, String, bool)> {
    let last_user = body["messages"].as_array().unwrap().iter().rev().find(|m| m["role"] == "user").unwrap();
    last_user["content"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["type"] == "tool_result")
        .map(|b| {
            (
                b["tool_use_id"].as_str().unwrap().to_string(),
                b["content"].as_str().unwrap().to_string(),
                b["is_error"].as_bool().unwrap_or(false),
            )
        })
        .collect()
}

/// Every tool_use in a request is answered by a tool_result in the next message, and roles
/// alternate.
fn assert_valid_history(body: &Value) {
    let messages = body["messages"].as_array().unwrap();
    for pair in messages.windows(2) {
        assert_ne!(pair[0]["role"], pair[1]["role"], "roles alternate: {body}");
    }
    for (i, m) in messages.iter().enumerate() {
        if m["role"] != "assistant" {
            continue;
        }
        for b in m["content"].as_array().unwrap().iter().filter(|b| b["type"] == "tool_use") {
            let id = &b["id"];
            let next = &messages[i + 1];
            assert!(
                next["content"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|r| r["type"] == "tool_result" && &r["tool_use_id"] == id),
                "tool_use {id} has a result"
            );
        }
    }
}

#[tokio::test]
async fn tool_round_trip_writes_the_file_and_sends_results_back() {
    let server = MockServer::scenario("write_roundtrip");
    let dir = tempfile::tempdir().unwrap();
    let mut agent = spawn_agent(&server.url, dir.path(), AgentOptions::default());
    agent.send(turn("make a file"));
    let events = until_finished(&mut agent).await;
    assert_eq!(outcome(&events), TurnOutcome::EndTurn);
    assert_eq!(std::fs::read_to_string(dir.path().join("out/hello.txt")).unwrap(), "hello from claw\n");
    let reqs = server.requests();
    assert_eq!(reqs.len(), 3);
    let results = tool_results(&reqs[1].body);
    assert_eq!(results, [("toolu_w".to_string(), "Created out/hello.txt (1 lines).".to_string(), false)]);
    assert!(tool_results(&reqs[2].body)[0].1.contains("     1\thello from claw"));
    assert_valid_history(&reqs[2].body);
    // events: started → finished per call, a file change, usage with cost
    let started = events.iter().filter(|e| matches!(e, AgentEvent::ToolCallStarted { .. })).count();
    let finished = events.iter().filter(|e| matches!(e, AgentEvent::ToolCallFinished { .. })).count();
    assert_eq!((started, finished), (2, 2));
    assert!(
        events.iter().any(|e| matches!(e, AgentEvent::FileChanged { diff, .. } if diff.contains("+hello from claw")))
    );
    let last_usage = events.iter().rev().find_map(|e| match e {
        AgentEvent::Usage { session, session_cost_usd, .. } => Some((*session, *session_cost_usd)),
        _ => None,
    });
    let (session, cost) = last_usage.unwrap();
    assert_eq!(session.input_tokens, 450);
    assert_eq!(session.output_tokens, 39);
    assert!((cost.unwrap() - (450.0 * 3.0 + 39.0 * 15.0) / 1e6).abs() < 1e-12);
}

#[tokio::test]
async fn two_tools_in_one_reply_run_in_order() {
    let server = MockServer::scenario("two_tools");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.txt"), "alpha\n").unwrap();
    std::fs::write(dir.path().join("b.txt"), "beta\n").unwrap();
    let mut agent = spawn_agent(&server.url, dir.path(), AgentOptions::default());
    agent.send(turn("look"));
    let events = until_finished(&mut agent).await;
    assert_eq!(outcome(&events), TurnOutcome::EndTurn);
    let order: Vec<&str> = events
        .iter()
        .filter_map(|e| match e {
            AgentEvent::ToolCallStarted { call_id, .. } => Some(call_id.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(order, ["toolu_a", "toolu_b"]);
    let results = tool_results(&server.requests()[1].body);
    assert_eq!(results.len(), 2);
    assert_eq!(results[0].0, "toolu_a");
    assert!(results[0].1.contains("alpha"));
    assert_eq!(results[1].1, "b.txt:1:beta");
}

#[tokio::test]
async fn headless_denies_what_would_need_asking_and_says_why() {
    let server = MockServer::scenario("bash_denied");
    let dir = tempfile::tempdir().unwrap();
    let mut agent = spawn_agent(&server.url, dir.path(), AgentOptions::default());
    agent.send(turn("run it"));
    let events = until_finished(&mut agent).await;
    assert_eq!(outcome(&events), TurnOutcome::EndTurn);
    assert!(!dir.path().join("made-by-bash.txt").exists(), "the command did not run");
    let (_, content, is_error) = tool_results(&server.requests()[1].body).remove(0);
    assert!(is_error);
    assert!(
        content
            .starts_with("Permission denied: running a command needs danger-full-access; the mode is workspace-write"),
        "{content}"
    );
    assert!(content.contains("--allowedTools \"bash(echo hello > made-by-bash.txt)\""), "{content}");
}

#[tokio::test]
async fn approvals_once_for_the_session_and_denied_with_a_note() {
    let server = MockServer::scenario("approval");
    let dir = tempfile::tempdir().unwrap();
    let mut agent = spawn_agent(&server.url, dir.path(), AgentOptions { interactive: true, ..Default::default() });
    agent.send(turn("do things"));
    let mut approvals = Vec::new();
    let mut events = Vec::new();
    loop {
        let ev = tokio::time::timeout(std::time::Duration::from_secs(10), agent.next_event()).await.unwrap().unwrap();
        if let AgentEvent::ApprovalRequested { call_id, reason, preview, session_rule, .. } = &ev {
            approvals.push(call_id.clone());
            assert!(reason.contains("danger-full-access"));
            assert!(preview.is_some());
            let decision = match call_id.as_str() {
                "toolu_ok" => {
                    assert_eq!(session_rule, "bash(echo approved-run | tee /dev/null)");
                    Decision::AllowSession
                }
                "toolu_no" => Decision::Deny { feedback: Some("not that directory".into()) },
                other => panic!("unexpected approval for {other}"),
            };
            // A stale answer for a call that is not waiting is ignored.
            agent.send(Op::Approval { call_id: "toolu_nonexistent".into(), decision: Decision::AllowOnce });
            agent.send(Op::Approval { call_id: call_id.clone(), decision });
        }
        let done = matches!(ev, AgentEvent::TurnFinished { .. });
        events.push(ev);
        if done {
            break;
        }
    }
    assert_eq!(approvals, ["toolu_ok", "toolu_no"], "the third call was allowed by the session rule");
    assert_eq!(outcome(&events), TurnOutcome::EndTurn);
    let reqs = server.requests();
    assert_eq!(reqs.len(), 4);
    assert_eq!(tool_results(&reqs[1].body)[0].1, "approved-run");
    let denied = &tool_results(&reqs[2].body)[0];
    assert!(denied.2);
    assert_eq!(denied.1, "The user denied this tool call. Their note: not that directory");
    assert_eq!(tool_results(&reqs[3].body)[0].1, "approved-run");
}

#[tokio::test]
async fn interrupt_mid_stream_keeps_the_partial_text_and_a_valid_history() {
    let server = MockServer::scenario("slow");
    let dir = tempfile::tempdir().unwrap();
    let mut agent = spawn_agent(&server.url, dir.path(), AgentOptions::default());
    agent.send(turn("count"));
    let mut events = Vec::new();
    loop {
        let ev = agent.next_event().await.unwrap();
        if matches!(ev, AgentEvent::TextDelta { .. }) && streamed_text(&events).is_empty() {
            agent.send(Op::Interrupt);
        }
        let done = matches!(ev, AgentEvent::TurnFinished { .. });
        events.push(ev);
        if done {
            break;
        }
    }
    assert_eq!(outcome(&events), TurnOutcome::Interrupted);
    let partial = streamed_text(&events);
    assert!(partial.starts_with("one ") && partial.len() < 20, "{partial:?}");
    agent.send(turn("again"));
    let events = until_finished(&mut agent).await;
    assert_eq!(outcome(&events), TurnOutcome::EndTurn);
    let body = &server.requests()[1].body;
    assert_valid_history(body);
    let messages = body["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 3);
    assert_eq!(messages[1]["role"], "assistant");
    assert_eq!(messages[1]["content"][0]["text"], partial.trim_end());
}

#[tokio::test]
async fn interrupt_stops_a_running_command_and_answers_every_call() {
    let server = MockServer::scenario("interrupt_tool");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.txt"), "alpha\n").unwrap();
    let mut agent = spawn_agent(
        &server.url,
        dir.path(),
        AgentOptions { mode: PermissionMode::DangerFullAccess, ..Default::default() },
    );
    agent.send(turn("sleep"));
    let started = std::time::Instant::now();
    let mut events = Vec::new();
    loop {
        let ev = tokio::time::timeout(std::time::Duration::from_secs(10), agent.next_event()).await.unwrap().unwrap();
        if let AgentEvent::ToolProgress { chunk, .. } = &ev
            && chunk.contains("started")
        {
            agent.send(Op::Interrupt);
        }
        let done = matches!(ev, AgentEvent::TurnFinished { .. });
        events.push(ev);
        if done {
            break;
        }
    }
    assert!(started.elapsed().as_secs() < 10, "the 30 s sleep was stopped");
    assert_eq!(outcome(&events), TurnOutcome::Interrupted);
    let finished: Vec<(String, String)> = events
        .iter()
        .filter_map(|e| match e {
            AgentEvent::ToolCallFinished { call_id, result, .. } => Some((call_id.clone(), result.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(finished.len(), 2);
    assert!(
        finished[0].1.contains("started") && finished[0].1.contains("Interrupted by the user"),
        "{:?}",
        finished[0]
    );
    assert!(!finished[0].1.contains("finished"));
    assert_eq!(finished[1].1, "Not run: the user interrupted the turn.");
    // The next turn sends a valid history: both calls answered, the new prompt merged in.
    agent.send(turn("what happened?"));
    let events = until_finished(&mut agent).await;
    assert_eq!(outcome(&events), TurnOutcome::EndTurn);
    let body = &server.requests()[1].body;
    assert_valid_history(body);
    let results = tool_results(body);
    assert_eq!(results.iter().map(|r| r.0.as_str()).collect::<Vec<_>>(), ["toolu_sleep", "toolu_after"]);
    assert!(results.iter().all(|r| r.2));
}

#[tokio::test]
async fn iteration_limit_stops_a_looping_model() {
    let server = MockServer::scenario("loop");
    let dir = tempfile::tempdir().unwrap();
    let mut agent = spawn_agent(&server.url, dir.path(), AgentOptions { max_iterations: 3, ..Default::default() });
    agent.send(turn("loop"));
    let events = until_finished(&mut agent).await;
    assert_eq!(outcome(&events), TurnOutcome::MaxIterations);
    assert!(events.iter().any(|e| matches!(e, AgentEvent::Error { kind: ErrorKind::IterationLimit, message, .. } if message.contains("stopped after 3 model calls"))));
    assert_eq!(server.requests().len(), 3);
}

#[tokio::test]
async fn retry_is_announced_then_succeeds() {
    let server = MockServer::scenario("retry_then_success");
    let dir = tempfile::tempdir().unwrap();
    let mut agent = spawn_agent(&server.url, dir.path(), AgentOptions::default());
    agent.send(turn("hi"));
    let events = until_finished(&mut agent).await;
    assert_eq!(outcome(&events), TurnOutcome::EndTurn);
    let retries: Vec<(ErrorKind, Option<u64>)> = events
        .iter()
        .filter_map(|e| match e {
            AgentEvent::Error { kind, retrying_in_ms, .. } => Some((*kind, *retrying_in_ms)),
            _ => None,
        })
        .collect();
    assert_eq!(retries.iter().map(|r| r.0).collect::<Vec<_>>(), [ErrorKind::RateLimit, ErrorKind::Overloaded]);
    assert!(retries.iter().all(|r| r.1.is_some_and(|ms| (20..=270).contains(&ms))), "{retries:?}");
    assert_eq!(streamed_text(&events), "Third time lucky.");
}

#[tokio::test]
async fn retry_exhausted_ends_the_turn_with_an_error() {
    let server = MockServer::scenario("retry_exhausted");
    let dir = tempfile::tempdir().unwrap();
    let mut agent = spawn_agent(&server.url, dir.path(), AgentOptions::default());
    agent.send(turn("hi"));
    let events = until_finished(&mut agent).await;
    assert_eq!(outcome(&events), TurnOutcome::Error);
    let last = events.iter().rev().find_map(|e| match e {
        AgentEvent::Error { message, retrying_in_ms: None, .. } => Some(message.clone()),
        _ => None,
    });
    assert_eq!(last.unwrap(), "overloaded (529): overloaded error (gave up after 2 retries)");
}

#[tokio::test]
async fn invalid_tool_json_and_unknown_tools_are_tool_errors() {
    let server = MockServer::scenario("invalid_tool_json");
    let dir = tempfile::tempdir().unwrap();
    let mut agent = spawn_agent(&server.url, dir.path(), AgentOptions::default());
    agent.send(turn("go"));
    let events = until_finished(&mut agent).await;
    assert_eq!(outcome(&events), TurnOutcome::EndTurn);
    let body = &server.requests()[1].body;
    assert_valid_history(body);
    // The broken input was sent back as {} so the history stays valid JSON.
    assert_eq!(body["messages"][1]["content"][0]["input"], json!({}));
    let results = tool_results(body);
    assert!(results[0].2 && results[0].1.starts_with("bash: the input was not valid JSON"), "{:?}", results[0]);
    assert!(results[0].1.contains("{\"command\": \"ls"));
    assert!(
        results[1].2 && results[1].1.starts_with("unknown tool `teleport`; the available tools are: bash,"),
        "{:?}",
        results[1]
    );
}

#[tokio::test]
async fn wrong_arguments_are_tool_errors_naming_the_field() {
    let scenario = claw_tui::provider::scripted::Scenario::from_json(
        r#"{"replies":[
            {"content":[{"type":"tool_use","id":"t1","name":"read_file","input":{"file":"x"}},
                        {"type":"tool_use","id":"t2","name":"edit_file","input":{"path":"a.txt","old_string":1,"new_string":"x"}},
                        {"type":"tool_use","id":"t3","name":"read_file","input":{"path":"../../etc/passwd"}}]},
            {"content":[{"type":"text","text":"ok"}]}]}"#,
    )
    .unwrap();
    let server = MockServer::start(scenario);
    let dir = tempfile::tempdir().unwrap();
    let mut agent = spawn_agent(&server.url, dir.path(), AgentOptions::default());
    agent.send(turn("go"));
    until_finished(&mut agent).await;
    let results = tool_results(&server.requests()[1].body);
    assert!(results[0].1.contains("read_file: invalid arguments: unknown field `file`"), "{}", results[0].1);
    assert!(
        results[1].1.contains("edit_file: invalid arguments: invalid type: integer `1`, expected a string"),
        "{}",
        results[1].1
    );
    assert!(results[2].1.contains("is outside the workspace"), "{}", results[2].1);
    assert!(results.iter().all(|r| r.2));
}

#[tokio::test]
async fn thinking_blocks_go_back_unchanged() {
    let server = MockServer::scenario("thinking");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("one.txt"), "1").unwrap();
    let mut agent = spawn_agent(&server.url, dir.path(), AgentOptions::default());
    agent.send(turn("list"));
    let events = until_finished(&mut agent).await;
    assert_eq!(outcome(&events), TurnOutcome::EndTurn);
    let body = &server.requests()[1].body;
    assert_eq!(
        body["messages"][1]["content"][0],
        json!({"type": "thinking", "thinking": "The user wants the file listed. I'll use glob.", "signature": "EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds"})
    );
    assert!(events.iter().any(|e| matches!(e, AgentEvent::ThinkingDelta { .. })));
}

#[tokio::test]
async fn prompts_sent_while_working_are_queued() {
    let server = MockServer::scenario("slow");
    let dir = tempfile::tempdir().unwrap();
    let mut agent = spawn_agent(&server.url, dir.path(), AgentOptions::default());
    agent.send(turn("first"));
    agent.send(turn("second"));
    let first = until_finished(&mut agent).await;
    let second = until_finished(&mut agent).await;
    assert_eq!(streamed_text(&first), "one two three four five six seven eight nine ten");
    assert_eq!(streamed_text(&second), "Second answer.");
    let body = &server.requests()[1].body;
    assert_eq!(body["messages"].as_array().unwrap().len(), 3);
    assert_eq!(body["messages"][2]["content"][0]["text"], "second");
}

#[tokio::test]
async fn error_mid_stream_is_reported_and_the_session_goes_on() {
    let server = MockServer::scenario("error_event_exhausted");
    let dir = tempfile::tempdir().unwrap();
    let mut agent = spawn_agent(&server.url, dir.path(), AgentOptions::default());
    agent.send(turn("hi"));
    let events = until_finished(&mut agent).await;
    assert_eq!(outcome(&events), TurnOutcome::Error);
    assert!(events.iter().any(|e| matches!(e, AgentEvent::Error { message, retrying_in_ms: None, .. } if message == "model stream error (overloaded_error): Overloaded (gave up after 2 retries)")));
    // The agent still takes prompts; the last attempt's partial text is part of the history.
    // Three attempts streamed the same start; each retry took the previous one back.
    let partial = "Partial answ";
    assert_eq!(streamed_text(&events), partial.repeat(3));
    assert_eq!(events.iter().filter(|e| matches!(e, AgentEvent::AnswerDiscarded { .. })).count(), 2);
    agent.send(turn("again"));
    let events = until_finished(&mut agent).await;
    assert_eq!(outcome(&events), TurnOutcome::EndTurn);
    let body = &server.requests()[3].body;
    assert_valid_history(body);
    assert_eq!(body["messages"][1]["content"][0]["text"], partial.trim_end());
}

#[tokio::test]
async fn session_file_records_everything_without_the_key() {
    use claw_tui::session::{self, Record, SessionWriter};
    let server = MockServer::scenario("write_roundtrip");
    let dir = tempfile::tempdir().unwrap();
    let store = tempfile::tempdir().unwrap();
    let meta = Record::Meta {
        version: session::FORMAT_VERSION,
        id: "sess-1".into(),
        created: chrono::Utc::now(),
        cwd: dir.path().to_path_buf(),
        git_branch: None,
        model: "claude-sonnet-4-5".into(),
        claw_version: "test".into(),
        forked_from: None,
    };
    let writer = SessionWriter::create(store.path(), meta, vec![support::SECRET.into()]);
    let mut agent = spawn_agent(&server.url, dir.path(), AgentOptions { session: Some(writer), ..Default::default() });
    agent.send(turn(&format!("make a file; my key is {}", support::SECRET)));
    until_finished(&mut agent).await;
    let path = store.path().join("sess-1.jsonl");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(!text.contains(support::SECRET), "the key never reaches the session file");
    let (records, warnings) = session::read_records(&path).unwrap();
    assert!(warnings.is_empty());
    let kinds: Vec<&str> = records
        .iter()
        .map(|r| match r {
            Record::Meta { .. } => "meta",
            Record::Message { .. } => "message",
            Record::ToolCall { .. } => "tool_call",
            Record::Usage { .. } => "usage",
            Record::FileChange { .. } => "file_change",
            Record::Turn { .. } => "turn",
            Record::Checkpoint { .. } => "checkpoint",
            _ => "other",
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "meta",
            "turn",
            "message",
            "usage",
            "message",
            "file_change",
            "checkpoint",
            "tool_call",
            "message",
            "usage",
            "message",
            "tool_call",
            "message",
            "usage",
            "message"
        ]
    );
    // Every content block is there: the last message is the final answer.
    match records.last().unwrap() {
        Record::Message { message, .. } => assert_eq!(message.text(), "The file says: hello from claw"),
        other => panic!("{other:?}"),
    }
}

/// Sleep waits and Esc ends it; SendUserMessage reaches the user as an event mid-turn.
#[tokio::test]
async fn sleep_is_interrupted_and_a_message_reaches_the_user_mid_turn() {
    let server = support::model_calling(&[
        ("SendUserMessage", serde_json::json!({"message": "Halfway: 3 of 6 files fixed.", "status": "success"})),
        ("Sleep", serde_json::json!({"duration_ms": 60000})),
    ]);
    let dir = tempfile::tempdir().unwrap();
    let mut agent = support::spawn_agent(&server.url, dir.path(), support::AgentOptions::default());
    agent.send(claw_tui::agent::Op::UserTurn { text: "go".into(), attachments: vec![] });
    let mut told = false;
    loop {
        match tokio::time::timeout(std::time::Duration::from_secs(10), agent.next_event()).await.unwrap().unwrap() {
            claw_tui::agent::AgentEvent::UserMessage { message, status } => {
                assert_eq!((message.as_str(), status.as_str()), ("Halfway: 3 of 6 files fixed.", "success"));
                told = true;
            }
            claw_tui::agent::AgentEvent::ToolCallStarted { tool, .. } if tool == "Sleep" => {
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                agent.send(claw_tui::agent::Op::Interrupt);
            }
            claw_tui::agent::AgentEvent::ToolCallFinished { tool, result, is_error, .. } if tool == "Sleep" => {
                assert!(is_error && result.starts_with("Sleep: interrupted by the user after"), "{result}");
            }
            claw_tui::agent::AgentEvent::TurnFinished { outcome, .. } => {
                assert_eq!(outcome, claw_tui::agent::TurnOutcome::Interrupted);
                break;
            }
            _ => {}
        }
    }
    assert!(told);
}
