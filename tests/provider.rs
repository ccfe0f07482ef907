//! The Anthropic provider against the mock server, one scenario kind per test.

mod support;

use std::time::Duration;

use claw_tui::provider::{
    ContentBlock, ErrorKind, Message, ModelRequest, Provider, ProviderError, StopReason, StreamEvent, ToolSpec,
};
use serde_json::json;
use support::{MockServer, SECRET};
use tokio::sync::mpsc;

fn request(messages: Vec<Message>) -> ModelRequest {
    ModelRequest {
        model: "claude-sonnet-4-5".into(),
        system: vec!["system one".into(), "system two".into()],
        messages,
        tools: vec![ToolSpec {
            name: "glob_search".into(),
            description: "find".into(),
            input_schema: json!({"type": "object"}),
        }],
        max_tokens: 512,
        thinking: None,
    }
}

async fn call(
    server: &MockServer,
    req: &ModelRequest,
) -> (Result<claw_tui::provider::Completion, ProviderError>, Vec<StreamEvent>) {
    support::stream_all(&support::provider(&server.url), req).await
}

fn text_of(events: &[StreamEvent]) -> String {
    events
        .iter()
        .filter_map(|e| match e {
            StreamEvent::TextDelta { text, .. } => Some(text.as_str()),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn streams_text_in_chunks_with_usage_and_sends_the_right_request() {
    let server = MockServer::scenario("text");
    let (result, events) = call(&server, &request(vec![Message::user_text("hi")])).await;
    let c = result.unwrap();
    let expected = "Hello from the mock. Ünïcödé ✓ survives chunking.";
    assert_eq!(c.message.text(), expected);
    assert_eq!(text_of(&events), expected);
    assert!(events.iter().filter(|e| matches!(e, StreamEvent::TextDelta { .. })).count() > 5, "several deltas");
    assert_eq!(c.stop_reason, StopReason::EndTurn);
    assert_eq!(c.usage.input_tokens, 120);
    assert_eq!(c.usage.output_tokens, 15);
    assert_eq!(c.usage.cache_creation_input_tokens, 30);
    assert_eq!(c.usage.cache_read_input_tokens, 900);

    let reqs = server.requests();
    assert_eq!(reqs.len(), 1);
    let r = &reqs[0];
    assert_eq!(r.path, "/v1/messages");
    assert_eq!(r.header("x-api-key"), Some(SECRET));
    assert_eq!(r.header("anthropic-version"), Some("2023-06-01"));
    assert_eq!(r.body["stream"], true);
    assert_eq!(r.body["model"], "claude-sonnet-4-5");
    // cache breakpoints: last system block, last tool, last block of the latest message
    assert!(r.body["system"][0].get("cache_control").is_none());
    assert_eq!(r.body["system"][1]["cache_control"]["type"], "ephemeral");
    assert_eq!(r.body["tools"][0]["cache_control"]["type"], "ephemeral");
    assert_eq!(r.body["messages"][0]["content"][0]["cache_control"]["type"], "ephemeral");
    // the key appears in the auth header only
    assert_eq!(r.full_text().matches(SECRET).count(), 1);
}

#[tokio::test]
async fn bearer_token_auth() {
    let server = MockServer::scenario("text");
    let p = claw_tui::provider::anthropic::AnthropicProvider::new(claw_tui::provider::anthropic::AnthropicConfig {
        base_url: server.url.clone(),
        auth: Some(claw_tui::provider::anthropic::Auth::BearerToken("tok-123456789".into())),
        retry: Default::default(),
        idle_timeout: Duration::from_secs(5),
        headers: vec![("anthropic-beta".into(), "oauth-2025-04-20".into())],
    })
    .unwrap();
    let (tx, _rx) = mpsc::unbounded_channel();
    p.stream(&request(vec![Message::user_text("hi")]), tx).await.unwrap();
    let r = &server.requests()[0];
    assert_eq!(r.header("authorization"), Some("Bearer tok-123456789"));
    assert_eq!(r.header("anthropic-beta"), Some("oauth-2025-04-20"), "extra headers are sent");
    assert_eq!(r.header("x-api-key"), None);
}

#[tokio::test]
async fn thinking_is_streamed_and_kept_with_its_signature() {
    let server = MockServer::scenario("thinking");
    let (result, events) = call(&server, &request(vec![Message::user_text("list")])).await;
    let c = result.unwrap();
    let thinking: String = events
        .iter()
        .filter_map(|e| match e {
            StreamEvent::ThinkingDelta { text, .. } => Some(text.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(thinking, "The user wants the file listed. I'll use glob.");
    assert_eq!(
        c.message.content[0],
        ContentBlock::Thinking {
            thinking: "The user wants the file listed. I'll use glob.".into(),
            signature: "EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds".into()
        }
    );
    assert_eq!(c.stop_reason, StopReason::ToolUse);
}

#[tokio::test]
async fn tool_input_split_at_every_character() {
    let server = MockServer::scenario("tool_split");
    let (result, events) = call(&server, &request(vec![Message::user_text("write")])).await;
    let c = result.unwrap();
    let pieces = events.iter().filter(|e| matches!(e, StreamEvent::ToolInputDelta { .. })).count();
    assert!(pieces > 30, "one delta per character, got {pieces}");
    assert_eq!(
        c.message.content[1],
        ContentBlock::ToolUse {
            id: "toolu_split_1".into(),
            name: "write_file".into(),
            input: json!({"path": "notes/ünï.txt", "content": "line \"one\"\n\ttab ✓\n"})
        }
    );
    assert!(c.invalid_tool_inputs.is_empty());
}

#[tokio::test]
async fn two_tool_calls_in_one_reply() {
    let server = MockServer::scenario("two_tools");
    let (result, _) = call(&server, &request(vec![Message::user_text("go")])).await;
    let c = result.unwrap();
    let calls: Vec<&str> = c.message.tool_uses().map(|(id, _, _)| id).collect();
    assert_eq!(calls, ["toolu_a", "toolu_b"]);
}

#[tokio::test]
async fn retries_429_and_529_honouring_retry_after_then_succeeds() {
    let server = MockServer::scenario("retry_then_success");
    let (result, events) = call(&server, &request(vec![Message::user_text("hi")])).await;
    assert_eq!(result.unwrap().message.text(), "Third time lucky.");
    let retries: Vec<(u32, Duration, u16)> = events
        .iter()
        .filter_map(|e| match e {
            StreamEvent::Retrying { attempt, delay, error: ProviderError::Http { status, .. }, .. } => {
                Some((*attempt, *delay, *status))
            }
            _ => None,
        })
        .collect();
    // The server's wait, never shortened (a little is added, to land after the window).
    assert_eq!(retries.iter().map(|r| (r.0, r.2)).collect::<Vec<_>>(), [(1, 429), (2, 529)]);
    for (_, delay, _) in &retries {
        assert!(*delay >= Duration::from_millis(20) && *delay <= Duration::from_millis(270), "{delay:?}");
    }
    assert_eq!(server.requests().len(), 3);
}

#[tokio::test]
async fn retries_run_out() {
    let server = MockServer::scenario("retry_exhausted");
    let (result, events) = call(&server, &request(vec![Message::user_text("hi")])).await;
    let err = result.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Overloaded);
    assert_eq!(events.iter().filter(|e| matches!(e, StreamEvent::Retrying { .. })).count(), 2);
    assert_eq!(server.requests().len(), 3, "first try + 2 retries");
}

#[tokio::test]
async fn auth_error_is_not_retried_and_reads_clearly() {
    let server = MockServer::scenario("auth_error");
    let (result, _) = call(&server, &request(vec![Message::user_text("hi")])).await;
    let err = result.unwrap_err();
    assert_eq!(err.to_string(), "authentication failed (401): check ANTHROPIC_API_KEY (invalid x-api-key)");
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn bad_request_with_non_json_body() {
    let server = MockServer::scenario("bad_request");
    let (result, _) = call(&server, &request(vec![Message::user_text("hi")])).await;
    let err = result.unwrap_err();
    assert_eq!(err.to_string(), "bad request (400): server answered non-JSON (text/plain): upstream said no");
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn html_instead_of_a_stream() {
    let server = MockServer::scenario("non_json");
    let (result, _) = call(&server, &request(vec![Message::user_text("hi")])).await;
    let err = result.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Protocol);
    assert!(
        err.to_string().contains("expected an event stream, got text/html: <html><body>Welcome to the captive portal"),
        "{err}"
    );
}

/// An error event after text streamed: retried; what streamed is announced as partial.
#[tokio::test]
async fn error_event_after_content_is_retried() {
    let server = MockServer::scenario("error_event");
    let (result, events) = call(&server, &request(vec![Message::user_text("hi")])).await;
    assert_eq!(result.unwrap().message.text(), "Continuing.");
    let retried: Vec<&ProviderError> = events
        .iter()
        .filter_map(|e| match e {
            StreamEvent::Retrying { error, .. } => Some(error),
            _ => None,
        })
        .collect();
    assert!(
        matches!(retried[..], [ProviderError::Stream { kind, partial: true, .. }] if kind == "overloaded_error"),
        "{retried:?}"
    );
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn error_event_before_content_is_retried() {
    let server = MockServer::scenario("error_event_early");
    let (result, events) = call(&server, &request(vec![Message::user_text("hi")])).await;
    assert_eq!(result.unwrap().message.text(), "Recovered.");
    assert_eq!(events.iter().filter(|e| matches!(e, StreamEvent::Retrying { .. })).count(), 1);
}

/// The connection drops after text streamed: retried, and the error names the server (it
/// used to read "the answer from  broke off").
#[tokio::test]
async fn dropped_connection_mid_answer_is_retried() {
    let server = MockServer::scenario("dropped");
    let (result, events) = call(&server, &request(vec![Message::user_text("hi")])).await;
    assert_eq!(result.unwrap().message.text(), "The whole answer.");
    let error = events
        .iter()
        .find_map(|e| match e {
            StreamEvent::Retrying { error, .. } => Some(error.clone()),
            _ => None,
        })
        .unwrap();
    assert!(matches!(error, ProviderError::Network { partial: true, .. }), "{error:?}");
    let host = server.url.trim_start_matches("http://");
    assert!(error.to_string().contains(&format!("the answer from http://{host} broke off")), "{error}");
    assert!(text_of(&events).starts_with("This answer wil"));
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn dropped_connection_before_content_is_retried() {
    let server = MockServer::scenario("dropped_early");
    let (result, _) = call(&server, &request(vec![Message::user_text("hi")])).await;
    assert_eq!(result.unwrap().message.text(), "Back again.");
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn slow_deltas_arrive_as_they_are_sent() {
    let server = MockServer::scenario("slow");
    let p = support::provider(&server.url);
    let req = request(vec![Message::user_text("hi")]);
    let (tx, mut rx) = mpsc::unbounded_channel();
    let started = std::time::Instant::now();
    let call = tokio::spawn(async move { p.stream(&req, tx).await });
    // The first delta arrives long before the answer is complete (13 events × 40 ms).
    loop {
        match rx.recv().await {
            Some(StreamEvent::TextDelta { text, .. }) => {
                assert_eq!(text, "one ");
                break;
            }
            Some(_) => continue,
            None => panic!("no delta"),
        }
    }
    let first = started.elapsed();
    let c = call.await.unwrap().unwrap();
    let all = started.elapsed();
    assert_eq!(c.message.text(), "one two three four five six seven eight nine ten");
    assert!(first < all, "the first delta came before the end");
}

#[tokio::test]
async fn unknown_events_and_pings_are_ignored() {
    let server = MockServer::scenario("unknown_event");
    let (result, _) = call(&server, &request(vec![Message::user_text("hi")])).await;
    assert_eq!(result.unwrap().message.text(), "Still fine.");
}

#[tokio::test]
async fn dead_server_is_a_network_error() {
    // Bind and drop a listener to get a port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let p = support::provider(&format!("http://127.0.0.1:{port}"));
    let (tx, rx) = mpsc::unbounded_channel();
    let err = p.stream(&request(vec![Message::user_text("hi")]), tx).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Network);
    assert!(err.to_string().starts_with("connection failed:"), "{err}");
    drop(rx);
}

#[tokio::test]
async fn non_streaming_answers_are_understood() {
    // A server that ignores stream: true and answers the whole message as JSON.
    let server = MockServer::scenario("two_tools");
    let body = serde_json::json!({"model": "m", "max_tokens": 10, "stream": false, "messages": [{"role": "user", "content": "x"}]});
    let resp = reqwest::Client::new().post(format!("{}/v1/messages", server.url)).json(&body).send().await.unwrap();
    assert_eq!(resp.headers()["content-type"], "application/json");
    let v: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(v["content"][1]["name"], "grep_search");
    assert_eq!(v["stop_reason"], "tool_use");
}
