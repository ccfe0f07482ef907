//! `PowerShell` {command, timeout?, description?}: a command run with `pwsh`, offered only
//! where `pwsh` is on PATH.
//!
//! It runs as `bash` does (its own process group, the sandbox, stdin closed, no secrets, output
//! streamed and bounded; [`super::bash::run_foreground`]) with `pwsh -NoLogo -NoProfile
//! -NonInteractive -Command`. claw-tui has no PowerShell parser, so the permission rules are
//! stricter than bash's: an allow rule allows exactly the command it spells out, and while any
//! deny rule for PowerShell or bash is set, every PowerShell call asks
//! ([`crate::permission::Policy`]).

use std::time::Duration;

use serde::Deserialize;
use serde_json::{Value, json};

use super::bash::{MAX_TIMEOUT, program_command, run_foreground};
use super::{Access, CallPlan, Preview, Tool, ToolContext, ToolEnv, ToolOutput, lenient_usize, parse_input};
use crate::provider::{BoxFuture, ToolSpec};

const NAME: &str = "PowerShell";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Input {
    command: String,
    /// Milliseconds.
    #[serde(default, deserialize_with = "lenient_usize")]
    timeout: Option<usize>,
    #[serde(default)]
    #[allow(dead_code)] // shown in the UI from the raw input; accepted here so it validates
    description: Option<String>,
}

pub struct PowerShell;

impl PowerShell {
    /// Whether the tool can be offered: `pwsh` is on PATH.
    pub fn available() -> bool {
        crate::child::on_path("pwsh").is_some()
    }
}

impl Tool for PowerShell {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: NAME.into(),
            description:
                "Run a PowerShell command (pwsh -NoProfile -Command) in the workspace and return its combined \
output. For Windows-style scripting and cmdlets; use bash for everything else. No stdin. Output beyond 30,000 \
characters is cut from the middle and saved whole to a file named in the result."
                    .into(),
            input_schema: json!({
                "type": "object",
                "properties": {
                    "command": {"type": "string", "description": "The PowerShell command to run"},
                    "timeout": {"type": "integer", "minimum": 1, "maximum": 600000,
                                "description": "Timeout in milliseconds (default 120000, at most 600000)"},
                    "description": {"type": "string", "description": "What the command does, in 5-10 words"}
                },
                "required": ["command"],
                "additionalProperties": false
            }),
        }
    }

    fn plan(&self, input: &Value, _env: &ToolEnv) -> Result<CallPlan, String> {
        let input: Input = parse_input(NAME, input)?;
        if input.command.trim().is_empty() {
            return Err(format!("{NAME}: the command is empty"));
        }
        Ok(CallPlan {
            access: Access::Execute,
            paths: Vec::new(),
            summary: input.command.lines().next().unwrap_or_default().to_string(),
            subject: input.command.clone(),
            preview: Some(Preview::Command { command: input.command }),
            change: None,
        })
    }

    fn run<'a>(&'a self, input: Value, ctx: &'a ToolContext) -> BoxFuture<'a, Result<ToolOutput, String>> {
        Box::pin(async move {
            let input: Input = parse_input(NAME, &input)?;
            let requested = input.timeout.map(|ms| Duration::from_millis(ms as u64));
            let timeout = requested.unwrap_or(ctx.env.bash_default_timeout).min(MAX_TIMEOUT);
            let Some(pwsh) = crate::child::on_path("pwsh") else {
                return Err(format!("{NAME}: pwsh is no longer on PATH"));
            };
            let pwsh = pwsh.to_string_lossy();
            let argv = [pwsh.as_ref(), "-NoLogo", "-NoProfile", "-NonInteractive", "-Command", input.command.as_str()];
            let child = program_command(&argv, &ctx.workspace().cwd, &ctx.env.sandbox)
                .and_then(|mut c| c.spawn())
                .map_err(|e| format!("{NAME}: cannot start pwsh: {e}"))?;
            run_foreground(NAME, child, timeout, requested, ctx).await
        })
    }
}
