//! The model API's faults, as a chaos server produces them, through the agent loop against the
//! mock server: how long a retry waits, what happens to an answer that broke off, and what the
//! user reads when it is over.

mod support;

use std::time::Duration;

use claw_tui::agent::{AgentEvent, Op, TurnOutcome};
use claw_tui::provider::scripted::Scenario;
use serde_json::{Value, json};
use support::{AgentOptions, MockServer, outcome, spawn_agent, streamed_text, until_finished};

fn turn(text: &str) -> Op {
    Op::UserTurn { text: text.into(), attachments: vec![] }
}

fn server(replies: Value) -> MockServer {
    let scenario = json!({"name": "chaos", "description": "faults", "replies": replies});
    MockServer::start(Scenario::from_json(&scenario.to_string()).unwrap())
}

/// (message, retrying_in_ms) of every error event.
fn errors(events: &[AgentEvent]) -> Vec<(String, Option<u64>)> {
    events
        .iter()
        .filter_map(|e| match e {
            AgentEvent::Error { message, retrying_in_ms, .. } => Some((message.clone(), *retrying_in_ms)),
            _ => None,
        })
        .collect()
}

fn discarded(events: &[AgentEvent]) -> usize {
    events.iter().filter(|e| matches!(e, AgentEvent::AnswerDiscarded { .. })).count()
}

/// The assistant text the model was sent back in the next request.
fn history_text(server: &MockServer, request: usize) -> Vec<String> {
    server.requests()[request].body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["role"] == "assistant")
        .map(|m| m["content"][0]["text"].as_str().unwrap_or_default().to_string())
        .collect()
}

const GOOD: &str = "The whole answer.";

fn good() -> Value {
    json!({"content": [{"type": "text", "text": GOOD}], "usage": {"input_tokens": 5, "output_tokens": 4}})
}

fn partial() -> Value {
    json!([{"type": "text", "text": "This answer will be cut off in the middle", "chunk": 5}])
}

/// A 429 with `Retry-After: 75`: the retry waits the 75 seconds (it used to wait 60, landing
/// inside the window). The wait is announced; Esc during it ends the turn at once.
#[tokio::test]
async fn retry_after_75_is_waited_out_in_full() {
    let server = server(json!([{"status": 429, "retry_after": 75}, good()]));
    let dir = tempfile::tempdir().unwrap();
    let mut agent = spawn_agent(&server.url, dir.path(), AgentOptions::default());
    agent.send(turn("hi"));
    let announced = loop {
        match agent.next_event().await.unwrap() {
            AgentEvent::Error { retrying_in_ms: Some(ms), message, .. } => break (ms, message),
            AgentEvent::TurnFinished { .. } => panic!("finished without retrying"),
            _ => {}
        }
    };
    assert!((75_000..76_000).contains(&announced.0), "{announced:?}");
    assert!(announced.1.starts_with("rate limited (429)"), "{}", announced.1);
    agent.send(Op::Interrupt);
    let events = until_finished(&mut agent).await;
    assert_eq!(outcome(&events), TurnOutcome::Interrupted);
    assert_eq!(server.requests().len(), 1, "nothing was sent inside the window");
}

/// A wait longer than claw-tui waits out (an hour): not retried; the error says when to try.
#[tokio::test]
async fn a_long_retry_after_ends_with_when_to_try_again() {
    let server = server(json!([{"status": 429, "retry_after": 3600, "error_message": "Daily limit reached"}, good()]));
    let dir = tempfile::tempdir().unwrap();
    let mut agent = spawn_agent(&server.url, dir.path(), AgentOptions::default());
    agent.send(turn("hi"));
    let events = until_finished(&mut agent).await;
    assert_eq!(outcome(&events), TurnOutcome::Error);
    let errors = errors(&events);
    assert_eq!(errors.len(), 1, "{errors:?}");
    let (message, retrying) = &errors[0];
    assert_eq!(*retrying, None);
    assert!(
        message.starts_with("rate limited (429): Daily limit reached; the server asks to wait 3600s: try again after "),
        "{message}"
    );
    assert_eq!(server.requests().len(), 1);
}

/// The connection breaks after text streamed: retried; what streamed is taken back
/// (`AnswerDiscarded`), the retry is marked, and only the retry's answer is in the history.
#[tokio::test]
async fn a_stream_that_breaks_mid_answer_is_retried_and_the_partial_answer_discarded() {
    let server =
        server(json!([{"content": partial(), "drop_after": 5}, good(), {"content": [{"type": "text", "text": "ok"}]}]));
    let dir = tempfile::tempdir().unwrap();
    let mut agent = spawn_agent(&server.url, dir.path(), AgentOptions::default());
    agent.send(turn("hi"));
    let events = until_finished(&mut agent).await;
    assert_eq!(outcome(&events), TurnOutcome::EndTurn);
    assert_eq!(discarded(&events), 1);
    let discard_at = events.iter().position(|e| matches!(e, AgentEvent::AnswerDiscarded { .. })).unwrap();
    assert_eq!(streamed_text(&events[..discard_at]), "This answer wil");
    assert_eq!(streamed_text(&events[discard_at..]), GOOD);
    let errors = errors(&events);
    assert!(
        errors[0].0.contains("broke off") && errors[0].0.contains("the partial answer was discarded; retrying (1/2)"),
        "{errors:?}"
    );
    agent.send(turn("again"));
    until_finished(&mut agent).await;
    assert_eq!(history_text(&server, 2), [GOOD]);
}

/// A stream that ends cleanly but early (no `message_stop`), after text: retried likewise.
#[tokio::test]
async fn a_stream_that_ends_early_is_retried() {
    let server = server(json!([{"content": partial(), "end_after": 6}, good()]));
    let dir = tempfile::tempdir().unwrap();
    let mut agent = spawn_agent(&server.url, dir.path(), AgentOptions::default());
    agent.send(turn("hi"));
    let events = until_finished(&mut agent).await;
    assert_eq!(outcome(&events), TurnOutcome::EndTurn);
    assert_eq!(discarded(&events), 1);
    let errors = errors(&events);
    assert!(errors[0].0.contains("the stream ended before the message was complete"), "{errors:?}");
    assert!(streamed_text(&events).ends_with(GOOD));
}

/// One malformed event before any content: retried (it used to end the run).
#[tokio::test]
async fn a_malformed_event_before_content_is_retried() {
    let bad = json!({"content": partial(), "inject": [{"after": 1, "event": "content_block_start", "data": "{\"type\": \"content_block_start\", \"index\": 0, "}]});
    let server = server(json!([bad, good()]));
    let dir = tempfile::tempdir().unwrap();
    let mut agent = spawn_agent(&server.url, dir.path(), AgentOptions::default());
    agent.send(turn("hi"));
    let events = until_finished(&mut agent).await;
    assert_eq!(outcome(&events), TurnOutcome::EndTurn);
    assert_eq!(discarded(&events), 0, "nothing had streamed");
    let errors = errors(&events);
    assert!(
        errors[0].0.starts_with("the server sent a malformed event: malformed `content_block_start` event"),
        "{errors:?}"
    );
    assert_eq!(streamed_text(&events), GOOD);
}

/// A server that accepts the connection and never answers: given up on after the idle
/// timeout, retried, and the error says what happened and where.
#[tokio::test]
async fn a_server_that_never_answers_is_given_up_on() {
    let server = server(json!([{"stall": true}, {"stall": true}, {"stall": true}, good()]));
    let dir = tempfile::tempdir().unwrap();
    let opts = AgentOptions { idle_timeout: Duration::from_millis(300), ..AgentOptions::default() };
    let mut agent = spawn_agent(&server.url, dir.path(), opts);
    agent.send(turn("hi"));
    let events = until_finished(&mut agent).await;
    assert_eq!(outcome(&events), TurnOutcome::Error);
    let (message, _) = errors(&events).pop().unwrap();
    assert_eq!(
        message,
        format!("connection failed: {} sent no answer for 300 ms (gave up after 2 retries)", server.url)
    );
}

/// A stream that goes silent mid-answer: given up on after the idle timeout, and retried.
#[tokio::test]
async fn a_stream_that_goes_silent_is_retried() {
    let slow = json!({"content": [{"type": "text", "text": "slow"}], "delay_ms": 2000});
    let server = server(json!([slow, good()]));
    let dir = tempfile::tempdir().unwrap();
    let opts = AgentOptions { idle_timeout: Duration::from_millis(300), ..AgentOptions::default() };
    let mut agent = spawn_agent(&server.url, dir.path(), opts);
    agent.send(turn("hi"));
    let events = until_finished(&mut agent).await;
    assert_eq!(outcome(&events), TurnOutcome::EndTurn);
    let errors = errors(&events);
    assert!(
        errors[0].0.contains("sent nothing more for 300 ms") || errors[0].0.contains("sent no answer"),
        "{errors:?}"
    );
    assert_eq!(streamed_text(&events), GOOD);
}

/// One event line of 20 MB: the decoder gives up at its bound (memory stays bounded) and the
/// call is retried.
#[tokio::test]
async fn an_endless_event_line_is_refused_and_retried() {
    let huge = "x".repeat(20 << 20);
    let bad = json!({"content": partial(), "inject": [{"after": 1, "event": "ping", "data": huge}]});
    let server = server(json!([bad, good()]));
    let dir = tempfile::tempdir().unwrap();
    let mut agent = spawn_agent(&server.url, dir.path(), AgentOptions::default());
    agent.send(turn("hi"));
    let events = until_finished(&mut agent).await;
    assert_eq!(outcome(&events), TurnOutcome::EndTurn);
    let errors = errors(&events);
    assert!(errors[0].0.contains("one event was longer than 16 MiB"), "{errors:?}");
    assert_eq!(streamed_text(&events), GOOD);
}

/// The cost of an attempt that broke after it started is counted: the session's tokens are
/// the broken attempt's and the retry's.
#[tokio::test]
async fn a_broken_attempt_is_still_counted() {
    let broken = json!({"content": partial(), "drop_after": 5, "usage": {"input_tokens": 100, "output_tokens": 7}});
    let server = server(json!([broken, good()]));
    let dir = tempfile::tempdir().unwrap();
    let mut agent = spawn_agent(&server.url, dir.path(), AgentOptions::default());
    agent.send(turn("hi"));
    let events = until_finished(&mut agent).await;
    let session = events
        .iter()
        .rev()
        .find_map(|e| match e {
            AgentEvent::Usage { session, .. } => Some(*session),
            _ => None,
        })
        .unwrap();
    assert_eq!(session.input_tokens, 105, "{session:?}");
}

/// `claw-tui -p`, text and stream-json: an answer that broke off is retried; the text printed
/// is the retry's alone, and stream-json says what to take back.
#[test]
fn headless_prints_only_the_retried_answer() {
    let work = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let replies = json!([{"content": partial(), "drop_after": 5}, good()]);
    let s = server(replies.clone());
    let out = support::claw_command(&s.url, work.path(), home.path()).args(["-p", "hi"]).output().unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout), format!("{GOOD}\n"));
    assert!(String::from_utf8_lossy(&out.stderr).contains("the partial answer was discarded; retrying (1/2) in"));

    let s = server(replies);
    let out = support::claw_command(&s.url, work.path(), home.path())
        .args(["-p", "hi", "--output-format", "stream-json"])
        .output()
        .unwrap();
    let lines: Vec<Value> =
        String::from_utf8_lossy(&out.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let discard = lines.iter().position(|l| l["type"] == "answer_discarded").expect("an answer_discarded line");
    let text_after: String = lines[discard..]
        .iter()
        .filter(|l| l["type"] == "text_delta")
        .map(|l| l["text"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(text_after, GOOD);
}
