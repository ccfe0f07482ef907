//! Sub-agents through the agent loop against the mock model (which answers each sub-agent by
//! what its request says): parallel runs, results under the right ids, interrupting, an
//! approval from a sub-agent, a failing one, types from `.claude/agents/`, their transcripts
//! kept beside the session, and their cost counted.

mod support;

use std::sync::Arc;
use std::time::Duration;

use claw_tui::agent::{AgentEvent, Decision, Op, TurnOutcome};
use claw_tui::extend::Extensions;
use claw_tui::extend::agents::AgentDef;
use claw_tui::provider::scripted::Scenario;
use claw_tui::tools::Registry;
use serde_json::{Value, json};
use support::{AgentOptions, MockServer, spawn_agent, until_finished};

/// The built-in tools and `Agent` with the general-purpose type.
fn with_agents() -> (Registry, Extensions) {
    let mut registry = Registry::builtin();
    let definitions = vec![AgentDef::general()];
    registry.add(Arc::new(claw_tui::tools::agent::AgentTool { definitions: definitions.clone() }));
    (registry, Extensions { agents: definitions, ..Extensions::default() })
}

fn server(replies: Value) -> MockServer {
    let scenario = json!({"name": "subagents", "description": "", "replies": replies});
    MockServer::start(Scenario::from_json(&scenario.to_string()).unwrap())
}

fn agent_call(id: &str, description: &str, prompt: &str) -> Value {
    json!({"type": "tool_use", "id": id, "name": "Agent", "input": {"description": description, "prompt": prompt}})
}

fn text(t: &str) -> Value {
    json!({"type": "text", "text": t, "chunk": 4})
}

fn options(interactive: bool) -> AgentOptions {
    let (registry, extensions) = with_agents();
    AgentOptions { interactive, registry: Some(registry), extensions, ..AgentOptions::default() }
}

/// The tool results of the last request, by tool id.
fn results(server: &MockServer) -> Vec<(String, String, bool)> {
    let requests = server.requests();
    let last = requests.last().unwrap();
    let messages = last.body["messages"].as_array().unwrap();
    messages
        .iter()
        .flat_map(|m| m["content"].as_array().cloned().unwrap_or_default())
        .filter(|b| b["type"] == "tool_result")
        .map(|b| {
            let content = b["content"].as_str().unwrap_or_default().to_string();
            (b["tool_use_id"].as_str().unwrap().to_string(), content, b["is_error"].as_bool().unwrap_or(false))
        })
        .collect()
}

#[tokio::test]
async fn two_sub_agents_run_side_by_side_and_answer_under_their_own_ids() {
    let server = server(json!([
        {"content": [agent_call("toolu_a", "find alpha", "TASK-ALPHA: find it"), agent_call("toolu_b", "find beta", "TASK-BETA: find it")]},
        {"route": "TASK-BETA", "delay_ms": 150, "content": [text("beta is in b.rs")], "usage": {"input_tokens": 1000, "output_tokens": 100}},
        {"route": "TASK-ALPHA", "delay_ms": 150, "content": [text("alpha is in a.rs")], "usage": {"input_tokens": 2000, "output_tokens": 200}},
        {"route": "alpha is in a.rs", "content": [text("Both found.")], "usage": {"input_tokens": 10, "output_tokens": 5}}
    ]));
    let dir = tempfile::tempdir().unwrap();
    let mut agent = spawn_agent(&server.url, dir.path(), options(false));
    agent.send(Op::UserTurn { text: "find both".into(), attachments: vec![] });
    let events = until_finished(&mut agent).await;
    assert_eq!(support::outcome(&events), TurnOutcome::EndTurn, "{events:#?}");
    let requests = server.requests();
    assert_eq!(requests.len(), 4);
    // Each sub-agent answer takes about 150 ms × its events; side by side, the second request
    // arrives long before the first answer ends.
    let (one, two) = (requests[1].at, requests[2].at);
    let apart = if one > two { one - two } else { two - one };
    assert!(apart < Duration::from_millis(400), "the sub-agents ran one after the other: {apart:?} apart");
    let mut got = results(&server);
    got.sort();
    assert_eq!(
        got,
        [
            ("toolu_a".to_string(), "alpha is in a.rs".to_string(), false),
            ("toolu_b".to_string(), "beta is in b.rs".to_string(), false)
        ]
    );
    // Each sub-agent's first request: its own prompt, no Agent tool, the sub-agent's system.
    let first =
        requests.iter().find(|r| r.raw_body.contains("TASK-ALPHA") && !r.raw_body.contains("tool_use")).unwrap();
    let tools: Vec<&str> =
        first.body["tools"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert!(!tools.contains(&"Agent") && tools.contains(&"bash"), "{tools:?}");
    assert!(first.body["system"].to_string().contains("You are a sub-agent (general-purpose)"));
    // Their events came wrapped, started and finished; their tokens are in the session's.
    let started = events.iter().filter(|e| matches!(e, AgentEvent::SubagentStarted { .. })).count();
    let finished = events
        .iter()
        .filter(|e| matches!(e, AgentEvent::SubagentFinished { outcome: TurnOutcome::EndTurn, .. }))
        .count();
    assert_eq!((started, finished), (2, 2));
    assert!(
        events.iter().any(
            |e| matches!(e, AgentEvent::Subagent { event, .. } if matches!(**event, AgentEvent::TextDelta { .. }))
        )
    );
    let session = events.iter().rev().find_map(|e| match e {
        AgentEvent::Usage { session, .. } => Some(*session),
        _ => None,
    });
    assert_eq!(session.map(|s| (s.input_tokens, s.output_tokens)), Some((3010, 305)), "the sub-agents' tokens count");
}

#[tokio::test]
async fn interrupting_the_turn_cancels_every_sub_agent() {
    let server = server(json!([
        {"content": [agent_call("toolu_a", "slow one", "TASK-ONE"), agent_call("toolu_b", "slow two", "TASK-TWO")]},
        {"route": "TASK-ONE", "stall": true},
        {"route": "TASK-TWO", "stall": true}
    ]));
    let dir = tempfile::tempdir().unwrap();
    let mut agent = spawn_agent(&server.url, dir.path(), options(true));
    agent.send(Op::UserTurn { text: "go".into(), attachments: vec![] });
    let mut started = 0;
    while started < 2 {
        if let AgentEvent::SubagentStarted { .. } =
            tokio::time::timeout(Duration::from_secs(10), agent.next_event()).await.unwrap().unwrap()
        {
            started += 1;
        }
    }
    // Both are waiting on the model.
    tokio::time::sleep(Duration::from_millis(200)).await;
    agent.send(Op::Interrupt);
    let events = until_finished(&mut agent).await;
    assert_eq!(support::outcome(&events), TurnOutcome::Interrupted);
    let interrupted = events
        .iter()
        .filter(|e| matches!(e, AgentEvent::SubagentFinished { outcome: TurnOutcome::Interrupted, .. }))
        .count();
    assert_eq!(interrupted, 2, "{events:#?}");
}

#[tokio::test]
async fn a_sub_agent_s_approval_is_asked_under_its_id_and_answered() {
    let server = server(json!([
        {"content": [agent_call("toolu_a", "make a file", "TASK-FILE")]},
        {"route": "TASK-FILE", "content": [{"type": "tool_use", "id": "toolu_x", "name": "bash", "input": {"command": "touch from-sub-agent"}}]},
        {"route": "toolu_x", "content": [text("made it")]},
        {"content": [text("The sub-agent made it.")]}
    ]));
    let dir = tempfile::tempdir().unwrap();
    let mut agent = spawn_agent(&server.url, dir.path(), options(true));
    agent.send(Op::UserTurn { text: "go".into(), attachments: vec![] });
    loop {
        match tokio::time::timeout(Duration::from_secs(10), agent.next_event()).await.unwrap().unwrap() {
            AgentEvent::Subagent { agent_id, event } => {
                if let AgentEvent::ApprovalRequested { call_id, tool, .. } = *event {
                    assert_eq!((call_id.as_str(), tool.as_str()), ("agent-1/toolu_x", "bash"));
                    assert_eq!(agent_id, "agent-1");
                    // The parent's own id does not answer it.
                    agent.send(Op::Approval { call_id: "toolu_x".into(), decision: Decision::Deny { feedback: None } });
                    agent.send(Op::Approval { call_id, decision: Decision::AllowOnce });
                }
            }
            AgentEvent::ApprovalRequested { .. } => panic!("the main agent asked nothing"),
            AgentEvent::TurnFinished { outcome, .. } => {
                assert_eq!(outcome, TurnOutcome::EndTurn);
                break;
            }
            _ => {}
        }
    }
    assert!(dir.path().join("from-sub-agent").exists());
    assert_eq!(results(&server), [("toolu_a".to_string(), "made it".to_string(), false)]);
}

#[tokio::test]
async fn a_failing_sub_agent_returns_its_error_and_the_turn_goes_on() {
    let server = server(json!([
        {"content": [agent_call("toolu_a", "doomed", "TASK-DOOMED"), {"type": "tool_use", "id": "toolu_c", "name": "Agent", "input": {"description": "x", "prompt": "p", "subagent_type": "nope"}}]},
        {"route": "TASK-DOOMED", "status": 400, "error_type": "invalid_request_error", "error_message": "prompt is too long"},
        {"content": [text("One failed; I will do it myself.")]}
    ]));
    let dir = tempfile::tempdir().unwrap();
    let mut agent = spawn_agent(&server.url, dir.path(), options(false));
    agent.send(Op::UserTurn { text: "go".into(), attachments: vec![] });
    let events = until_finished(&mut agent).await;
    assert_eq!(support::outcome(&events), TurnOutcome::EndTurn);
    let got = results(&server);
    assert!(
        got[0].2
            && got[0].1.starts_with("The general-purpose sub-agent failed:")
            && got[0].1.contains("prompt is too long"),
        "{got:?}"
    );
    assert_eq!(
        got[1],
        ("toolu_c".into(), "Agent: there is no agent type `nope`; the types are: general-purpose".into(), true)
    );
}

/// A Claude Code agent file: its tools (Claude names), model alias and prompt shape the
/// sub-agent; the run's session keeps the sub-agent's transcript beside it; `-p` works.
#[test]
fn a_claude_code_agent_definition_shapes_the_sub_agent_and_its_transcript_is_kept() {
    let work = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let agents = work.path().join(".claude/agents");
    std::fs::create_dir_all(&agents).unwrap();
    std::fs::write(
        agents.join("reviewer.md"),
        "---\nname: code-reviewer\ndescription: Reviews code for bugs\ntools: Read, Grep\nmodel: haiku\n---\nYou are a meticulous reviewer.\n",
    )
    .unwrap();
    std::fs::write(agents.join("broken.md"), "---\nname: broken\n---\nno description\n").unwrap();
    let server = server(json!([
        {"content": [{"type": "tool_use", "id": "toolu_r", "name": "Agent", "input": {"description": "review", "prompt": "REVIEW-THIS", "subagent_type": "code-reviewer"}}]},
        {"route": "REVIEW-THIS", "content": [text("No bugs found.")]},
        {"content": [text("The reviewer found no bugs.")]}
    ]));
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_claw-tui"))
        .args(["-p", "review", "--output-format", "json"])
        .current_dir(work.path())
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home.path())
        .env("CLAW_CONFIG_HOME", home.path().join(".claw"))
        .env("ANTHROPIC_BASE_URL", &server.url)
        .env("ANTHROPIC_API_KEY", support::SECRET)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("broken.md:1:1: no `description`"), "{stderr}");
    let parent = &server.requests()[0];
    let agent_tool = parent.body["tools"].as_array().unwrap().iter().find(|t| t["name"] == "Agent").unwrap().clone();
    assert!(agent_tool["description"].as_str().unwrap().contains("- code-reviewer: Reviews code for bugs"));
    let sub = &server.requests()[1];
    assert_eq!(sub.body["model"], "claude-haiku-4-5");
    let tools: Vec<&str> = sub.body["tools"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(tools, ["read_file", "grep_search", "ToolSearch"]);
    assert!(sub.body["system"].to_string().contains("You are a meticulous reviewer."));
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["result"], "The reviewer found no bugs.");
    // The sub-agent's transcript, beside the session file, with no secret in it.
    let sessions: Vec<std::path::PathBuf> = support::walk(&home.path().join(".claw/sessions"));
    let child = sessions.iter().find(|p| p.to_string_lossy().contains(".agents/agent-1.jsonl")).expect("a transcript");
    let text = std::fs::read_to_string(child).unwrap();
    assert!(text.contains("REVIEW-THIS") && text.contains("No bugs found."), "{text}");
    assert!(!text.contains(support::SECRET));

    // The export shows it under its call; a resumed session shows it again in /agents.
    let session = sessions
        .iter()
        .find(|p| p.extension().is_some_and(|e| e == "jsonl") && !p.to_string_lossy().contains(".agents"))
        .unwrap();
    let id = session.file_stem().unwrap().to_string_lossy().into_owned();
    let export = |format: &str| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_claw-tui"))
            .args(["sessions", "export", &id, "--format", format])
            .current_dir(work.path())
            .env_clear()
            .env("HOME", home.path())
            .env("CLAW_CONFIG_HOME", home.path().join(".claw"))
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let markdown = export("md");
    assert!(
        markdown.contains("### Sub-agent `code-reviewer`: review") && markdown.contains("No bugs found."),
        "{markdown}"
    );
    let json: Value = serde_json::from_str(&export("json")).unwrap();
    assert!(json["subagents"]["agent-1"].to_string().contains("REVIEW-THIS"), "{json}");
    let (records, _) = claw_tui::session::read_records(session).unwrap();
    let replayed: Vec<AgentEvent> = claw_tui::agent::replay::items(records)
        .into_iter()
        .filter_map(|i| match i {
            claw_tui::agent::replay::ReplayItem::Agent(e) => Some(e),
            _ => None,
        })
        .collect();
    assert!(replayed.iter().any(|e| matches!(e, AgentEvent::SubagentStarted { prompt, call_id, .. } if prompt == "REVIEW-THIS" && call_id == "toolu_r")));
    assert!(replayed.iter().any(|e| matches!(e, AgentEvent::Subagent { event, .. } if matches!(&**event, AgentEvent::TextDelta { text, .. } if text.contains("No bugs found.")))));
    assert!(replayed.iter().any(|e| matches!(e, AgentEvent::SubagentFinished { outcome: TurnOutcome::EndTurn, .. })));
}
