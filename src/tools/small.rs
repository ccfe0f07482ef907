//! The small tools: `Sleep` {duration_ms} (waits, interruptible, capped) and
//! `SendUserMessage` {message, status?} (tells the user something mid-turn: a message in the
//! transcript, a `user_message` event headless).

use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::{Value, json};

use super::{Access, CallPlan, Tool, ToolContext, ToolEffect, ToolEnv, ToolOutput, parse_input};
use crate::provider::{BoxFuture, ToolSpec};

/// Longest a Sleep may be.
pub const MAX_SLEEP: Duration = Duration::from_secs(300);
/// Longest message to the user.
const MAX_MESSAGE_CHARS: usize = 4000;
/// What a message's `status` may be.
pub const STATUSES: &[&str] = &["info", "success", "warning", "error"];

fn plan(summary: String) -> CallPlan {
    CallPlan { access: Access::Read, paths: vec![], summary, subject: String::new(), preview: None, change: None }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SleepInput {
    duration_ms: u64,
}

pub struct Sleep;

impl Tool for Sleep {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "Sleep".into(),
            description: format!(
                "Wait, doing nothing, for duration_ms milliseconds (at most {} s): to give a background command or \
a server time before checking on it. The user can interrupt it.",
                MAX_SLEEP.as_secs()
            ),
            input_schema: json!({
                "type": "object",
                "properties": {"duration_ms": {"type": "integer", "minimum": 0, "description": "How long to wait"}},
                "required": ["duration_ms"],
                "additionalProperties": false
            }),
        }
    }

    fn plan(&self, input: &Value, _env: &ToolEnv) -> Result<CallPlan, String> {
        let input: SleepInput = parse_input("Sleep", input)?;
        if input.duration_ms > MAX_SLEEP.as_millis() as u64 {
            return Err(format!("Sleep: at most {} ms; ask for less", MAX_SLEEP.as_millis()));
        }
        Ok(plan(format!("{} ms", input.duration_ms)))
    }

    fn run<'a>(&'a self, input: Value, ctx: &'a ToolContext) -> BoxFuture<'a, Result<ToolOutput, String>> {
        Box::pin(async move {
            let input: SleepInput = parse_input("Sleep", &input)?;
            let wanted = Duration::from_millis(input.duration_ms).min(MAX_SLEEP);
            let started = Instant::now();
            tokio::select! {
                _ = tokio::time::sleep(wanted) => Ok(ToolOutput::ok(format!("Slept {} ms.", wanted.as_millis()))),
                _ = ctx.cancel.cancelled() => Err(format!("Sleep: interrupted by the user after {} ms", started.elapsed().as_millis())),
            }
        })
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MessageInput {
    message: String,
    #[serde(default)]
    status: Option<String>,
}

pub struct SendUserMessage;

impl SendUserMessage {
    fn check(input: &Value) -> Result<(String, String), String> {
        let input: MessageInput = parse_input("SendUserMessage", input)?;
        if input.message.trim().is_empty() {
            return Err("SendUserMessage: the message is empty".into());
        }
        if input.message.chars().count() > MAX_MESSAGE_CHARS {
            return Err(format!("SendUserMessage: at most {MAX_MESSAGE_CHARS} characters"));
        }
        let status = input.status.unwrap_or_else(|| "info".into());
        if !STATUSES.contains(&status.as_str()) {
            return Err(format!("SendUserMessage: status is one of {}", STATUSES.join(", ")));
        }
        Ok((input.message, status))
    }
}

impl Tool for SendUserMessage {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "SendUserMessage".into(),
            description: "Tell the user something now, while you keep working: progress on a long task, a \
finding they should see at once, a warning. It does not wait for an answer; your final answer still comes at \
the end."
                .into(),
            input_schema: json!({
                "type": "object",
                "properties": {
                    "message": {"type": "string", "description": "What to tell the user (Markdown)"},
                    "status": {"type": "string", "enum": STATUSES, "description": "How it should look (default info)"}
                },
                "required": ["message"],
                "additionalProperties": false
            }),
        }
    }

    fn plan(&self, input: &Value, _env: &ToolEnv) -> Result<CallPlan, String> {
        let (message, _) = Self::check(input)?;
        Ok(plan(message.lines().next().unwrap_or("").chars().take(60).collect()))
    }

    fn run<'a>(&'a self, input: Value, _ctx: &'a ToolContext) -> BoxFuture<'a, Result<ToolOutput, String>> {
        Box::pin(async move {
            let (message, status) = Self::check(&input)?;
            Ok(ToolOutput::ok("The user has been shown the message.")
                .with_effect(ToolEffect::UserMessage { message, status }))
        })
    }
}
