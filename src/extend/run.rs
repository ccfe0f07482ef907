//! Running hooks: each matching hook is started with `sh -c` in the workspace, gets the
//! event as JSON on stdin, and answers by its exit code and stdout, as Claude Code defines:
//!
//! - exit 0: stdout that is a JSON object carries decisions (`decision`, `reason`,
//!   `continue`, `stopReason`, `systemMessage`, and under `hookSpecificOutput`
//!   `permissionDecision` allow/deny/ask, `permissionDecisionReason`, `additionalContext`);
//!   other stdout is context for UserPromptSubmit and SessionStart and ignored elsewhere;
//! - exit 2: blocks; stderr says why (to the model, or to the user where no model is told);
//! - any other exit: shown to the user, does not block.
//!
//! Hooks of one event run at the same time; each is stopped (its whole process group) at its
//! timeout. They run with the secrets scrubbed from their environment, like every child.

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_util::sync::CancellationToken;

use super::hooks::{Event, Hook, matcher_regex};
use crate::permission::claude_tool_name;

/// Most bytes of a hook's stdout and of its stderr that are read.
const MAX_OUTPUT: u64 = 256 * 1024;

/// A PreToolUse hook's say on the permission of a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Permission {
    /// Run it without asking (the policy's deny rules still hold).
    Allow,
    /// Ask the user, even where the policy would allow.
    Ask(String),
    Deny(String),
}

/// What the hooks of one event said, together.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    /// Why a hook blocked (exit 2's stderr, or a `decision: "block"`'s reason).
    pub block: Option<String>,
    /// PreToolUse's permission decision (deny over ask over allow).
    pub permission: Option<Permission>,
    /// Text for the model.
    pub context: Vec<String>,
    /// `continue: false`: stop after this, saying why.
    pub stop: Option<String>,
    /// What the user should see: a hook that failed or timed out, a `systemMessage`.
    pub notes: Vec<String>,
}

impl Outcome {
    fn merge(&mut self, other: Outcome) {
        join(&mut self.block, other.block);
        join(&mut self.stop, other.stop);
        self.context.extend(other.context);
        self.notes.extend(other.notes);
        self.permission = match (self.permission.take(), other.permission) {
            (Some(Permission::Deny(r)), _) | (_, Some(Permission::Deny(r))) => Some(Permission::Deny(r)),
            (Some(Permission::Ask(r)), _) | (_, Some(Permission::Ask(r))) => Some(Permission::Ask(r)),
            (a, b) => a.or(b),
        };
    }
}

fn join(into: &mut Option<String>, more: Option<String>) {
    *into = match (into.take(), more) {
        (Some(a), Some(b)) => Some(format!("{a}\n{b}")),
        (a, b) => a.or(b),
    };
}

/// The hooks of one agent, ready to run.
#[derive(Debug, Default)]
pub struct HookRunner {
    hooks: Vec<(Hook, Option<regex::Regex>)>,
    root: PathBuf,
    session_id: String,
    transcript: Option<PathBuf>,
}

impl HookRunner {
    pub fn new(hooks: Vec<Hook>, root: PathBuf, session_id: String, transcript: Option<PathBuf>) -> Arc<HookRunner> {
        let hooks = hooks.into_iter().filter_map(|h| matcher_regex(&h.matcher).ok().map(|re| (h, re))).collect();
        Arc::new(HookRunner { hooks, root, session_id, transcript })
    }

    /// The hooks that run for `event` on `subject` (a tool name, matched as claw-tui and Claude
    /// Code name it; a SessionStart source; a PreCompact trigger); events without a subject run
    /// every hook of theirs. A command configured twice runs once.
    pub fn matching(&self, event: Event, subject: Option<&str>) -> Vec<&Hook> {
        let mut found: Vec<&Hook> = Vec::new();
        for (hook, re) in &self.hooks {
            if hook.event != event || found.iter().any(|h| h.command == hook.command) {
                continue;
            }
            let matches = match (re, subject) {
                (None, _) | (_, None) => true,
                (Some(re), Some(s)) => re.is_match(s) || claude_tool_name(s).is_some_and(|c| re.is_match(c)),
            };
            if matches {
                found.push(hook);
            }
        }
        found
    }

    /// Runs the hooks of `event` for `subject` with `fields` (the event's own keys; the common
    /// ones are added) and says what they decided. Nothing configured: nothing runs.
    pub async fn run(&self, event: Event, subject: Option<&str>, fields: Value, cancel: &CancellationToken) -> Outcome {
        let hooks = self.matching(event, subject);
        if hooks.is_empty() {
            return Outcome::default();
        }
        let mut input = Map::new();
        input.insert("session_id".into(), json!(self.session_id));
        input.insert("transcript_path".into(), json!(self.transcript.as_ref().map(|p| p.display().to_string())));
        input.insert("cwd".into(), json!(self.root.display().to_string()));
        input.insert("hook_event_name".into(), json!(event.name()));
        if let Value::Object(own) = fields {
            input.extend(own);
        }
        let stdin = serde_json::to_vec(&Value::Object(input)).unwrap_or_default();
        let runs = hooks.iter().map(|hook| self.run_one(hook, &stdin, cancel));
        let mut outcome = Outcome::default();
        for one in futures_util::future::join_all(runs).await {
            outcome.merge(one);
        }
        outcome
    }

    async fn run_one(&self, hook: &Hook, stdin: &[u8], cancel: &CancellationToken) -> Outcome {
        let name = format!("{} hook `{}` ({})", hook.event.name(), short(&hook.command), hook.file.display());
        let ran = tokio::select! {
            ran = self.spawn(hook, stdin) => ran,
            _ = cancel.cancelled() => Err("interrupted".to_string()),
        };
        match ran {
            Ok(ran) => interpret(hook.event, &name, ran),
            Err(e) => Outcome { notes: vec![format!("{name}: {e}")], ..Outcome::default() },
        }
    }

    async fn spawn(&self, hook: &Hook, stdin: &[u8]) -> Result<Ran, String> {
        let mut cmd = tokio::process::Command::new("sh");
        cmd.arg("-c")
            .arg(&hook.command)
            .current_dir(&self.root)
            .env("CLAUDE_PROJECT_DIR", &self.root)
            .env("CLAW_PROJECT_DIR", &self.root)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        crate::child::scrub_async(&mut cmd);
        crate::child::new_session(&mut cmd);
        let mut child = cmd.spawn().map_err(|e| format!("cannot start: {e}"))?;
        let group = child.id();
        let _stop = StopGroup(group);
        let mut input = child.stdin.take();
        let data = stdin.to_vec();
        let feed = async move {
            if let Some(pipe) = input.as_mut() {
                // A hook that does not read its input closes the pipe: that is its business.
                let _ = pipe.write_all(&data).await;
            }
            drop(input);
        };
        let (mut out, mut err) = (child.stdout.take(), child.stderr.take());
        let read = |pipe: Option<tokio::process::ChildStdout>| async move {
            let mut buf = Vec::new();
            if let Some(p) = pipe {
                let _ = p.take(MAX_OUTPUT).read_to_end(&mut buf).await;
            }
            String::from_utf8_lossy(&buf).into_owned()
        };
        let read_err = |pipe: Option<tokio::process::ChildStderr>| async move {
            let mut buf = Vec::new();
            if let Some(p) = pipe {
                let _ = p.take(MAX_OUTPUT).read_to_end(&mut buf).await;
            }
            String::from_utf8_lossy(&buf).into_owned()
        };
        let work = async {
            let ((), stdout, stderr) = tokio::join!(feed, read(out.take()), read_err(err.take()));
            let status = child.wait().await.map_err(|e| e.to_string())?;
            Ok::<_, String>(Ran { code: status.code(), stdout, stderr })
        };
        match tokio::time::timeout(Duration::from_secs(hook.timeout_secs), work).await {
            Ok(ran) => ran,
            Err(_) => Err(format!("timed out after {} s and was stopped", hook.timeout_secs)),
        }
    }
}

/// Kills a hook's process group when its run ends, however it ends (a timeout, an
/// interrupt, or what it left running in the background).
struct StopGroup(Option<u32>);

impl Drop for StopGroup {
    fn drop(&mut self) {
        if let Some(pgid) = self.0.and_then(|p| i32::try_from(p).ok()) {
            // SAFETY: killpg only sends a signal to the group the hook's shell leads.
            unsafe {
                libc::killpg(pgid, libc::SIGKILL);
            }
        }
    }
}

struct Ran {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn short(command: &str) -> String {
    let line = command.lines().next().unwrap_or("");
    let mut s: String = line.chars().take(60).collect();
    if s.len() < command.len() {
        s.push('…');
    }
    s
}

/// What one hook's exit code and output mean for its event.
fn interpret(event: Event, name: &str, ran: Ran) -> Outcome {
    let mut outcome = Outcome::default();
    let stderr = ran.stderr.trim().to_string();
    match ran.code {
        Some(0) => {}
        Some(2) => {
            let reason = if stderr.is_empty() { format!("{name} blocked this (exit 2)") } else { stderr };
            match event {
                Event::PreToolUse
                | Event::PostToolUse
                | Event::UserPromptSubmit
                | Event::Stop
                | Event::SubagentStop => outcome.block = Some(reason),
                _ => outcome.notes.push(format!("{name}: {reason}")),
            }
            return outcome;
        }
        code => {
            let how = code.map_or("was killed by a signal".to_string(), |c| format!("failed (exit {c})"));
            let tail =
                if stderr.is_empty() { String::new() } else { format!(": {}", stderr.lines().last().unwrap_or("")) };
            outcome.notes.push(format!("{name} {how}{tail}"));
            return outcome;
        }
    }
    let stdout = ran.stdout.trim();
    match serde_json::from_str::<Value>(stdout) {
        Ok(Value::Object(answer)) => decisions(event, &answer, &mut outcome),
        _ if !stdout.is_empty() && matches!(event, Event::UserPromptSubmit | Event::SessionStart) => {
            outcome.context.push(stdout.to_string())
        }
        _ => {}
    }
    outcome
}

/// A hook's JSON answer.
fn decisions(event: Event, answer: &Map<String, Value>, outcome: &mut Outcome) {
    let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_string).filter(|s| !s.trim().is_empty());
    let specific = answer.get("hookSpecificOutput").and_then(Value::as_object);
    if answer.get("continue").and_then(Value::as_bool) == Some(false) {
        outcome.stop =
            Some(text(answer.get("stopReason")).unwrap_or_else(|| format!("a {} hook stopped the turn", event.name())));
    }
    if let Some(message) = text(answer.get("systemMessage")) {
        outcome.notes.push(message);
    }
    let reason = text(answer.get("reason"));
    match answer.get("decision").and_then(Value::as_str) {
        Some("block") => {
            outcome.block = Some(reason.clone().unwrap_or_else(|| format!("blocked by a {} hook", event.name())))
        }
        Some("approve") if event == Event::PreToolUse => outcome.permission = Some(Permission::Allow),
        _ => {}
    }
    if let Some(decision) = specific.and_then(|s| s.get("permissionDecision")).and_then(Value::as_str) {
        let why = text(specific.and_then(|s| s.get("permissionDecisionReason")))
            .or(reason)
            .unwrap_or_else(|| "a PreToolUse hook said so".to_string());
        outcome.permission = match decision {
            "allow" => Some(Permission::Allow),
            "deny" => Some(Permission::Deny(why)),
            "ask" => Some(Permission::Ask(why)),
            _ => outcome.permission.take(),
        };
    }
    for context in [text(specific.and_then(|s| s.get("additionalContext"))), text(answer.get("additionalContext"))]
        .into_iter()
        .flatten()
    {
        outcome.context.push(context);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ran(code: i32, stdout: &str, stderr: &str) -> Ran {
        Ran { code: Some(code), stdout: stdout.into(), stderr: stderr.into() }
    }

    #[test]
    fn exit_codes_and_json_answers() {
        let o = interpret(Event::PreToolUse, "h", ran(2, "", "no rm please\n"));
        assert_eq!(o.block.as_deref(), Some("no rm please"));
        let o = interpret(Event::PreToolUse, "h", ran(1, "", "oops\nlast words"));
        assert_eq!((o.block, o.notes), (None, vec!["h failed (exit 1): last words".to_string()]));
        let o = interpret(Event::SessionStart, "h", ran(2, "", "nope"));
        assert_eq!((o.block, o.notes.len()), (None, 1), "SessionStart cannot block");
        let o = interpret(
            Event::PreToolUse,
            "h",
            ran(
                0,
                r#"{"hookSpecificOutput": {"hookEventName": "PreToolUse", "permissionDecision": "deny", "permissionDecisionReason": "policy"}}"#,
                "",
            ),
        );
        assert_eq!(o.permission, Some(Permission::Deny("policy".into())));
        let o = interpret(Event::PostToolUse, "h", ran(0, r#"{"decision": "block", "reason": "lint failed"}"#, ""));
        assert_eq!(o.block.as_deref(), Some("lint failed"));
        let o = interpret(Event::UserPromptSubmit, "h", ran(0, "Today is Monday.\n", ""));
        assert_eq!(o.context, ["Today is Monday."]);
        let o = interpret(Event::UserPromptSubmit, "h", ran(0, "{not json", ""));
        assert_eq!(o.context, ["{not json"], "invalid JSON is plain output");
        let o = interpret(Event::PreToolUse, "h", ran(0, "{not json", ""));
        assert_eq!(o, Outcome::default());
        let o = interpret(
            Event::Stop,
            "h",
            ran(0, r#"{"continue": false, "stopReason": "done for today", "systemMessage": "bye"}"#, ""),
        );
        assert_eq!((o.stop.as_deref(), o.notes), (Some("done for today"), vec!["bye".to_string()]));
        let mut a = Outcome { permission: Some(Permission::Allow), ..Outcome::default() };
        a.merge(Outcome { permission: Some(Permission::Ask("look".into())), ..Outcome::default() });
        assert_eq!(a.permission, Some(Permission::Ask("look".into())), "ask wins over allow");
    }
}
