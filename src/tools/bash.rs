//! `bash`: runs a shell command in the workspace.
//!
//! The command runs in its own process group with stdin closed, so an interrupt or a timeout
//! can stop it and everything it started (SIGTERM, then SIGKILL after a grace period). Output
//! (stdout and stderr, interleaved as they arrive) streams to the UI as progress; the model
//! gets it cut to [`MAX_OUTPUT_CHARS`] with a note. However much a command prints, only a
//! bounded head and tail stay in memory; the whole output goes to a file in the agent's
//! scratch folder that the note names ([`super::capture`]). Secrets (claw-tui's credentials,
//! and any variable named like a key, token or password) are removed from the command's
//! environment ([`crate::child`]) so a command cannot print them into the session or send them
//! away. The command runs in the agent's sandbox ([`crate::sandbox`]).

use std::process::Stdio;
use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::{Value, json};
use tokio::io::AsyncReadExt;
use tokio::process::{Child, Command};

use super::capture::{Capture, Captured, Throttle};
use super::text::MAX_OUTPUT_CHARS;
use super::{Access, CallPlan, Preview, Tool, ToolContext, ToolEnv, ToolOutput, lenient_usize, parse_input};
use crate::provider::{BoxFuture, ToolSpec};

pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(120);
pub const MAX_TIMEOUT: Duration = Duration::from_secs(600);
/// Time between SIGTERM and SIGKILL when a command is stopped.
const KILL_GRACE: Duration = Duration::from_millis(500);

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
    #[serde(default)]
    run_in_background: bool,
}

pub struct Bash;

/// Builds the shell command: `bash -c` (or `sh -c` where there is no bash), in `cwd`, in a new
/// session (its own process group, no controlling terminal), in the sandbox, stdin closed,
/// output piped, with a plain-text-friendly environment and no secrets.
pub fn shell_command(
    command: &str,
    cwd: &std::path::Path,
    sandbox: &crate::sandbox::Sandbox,
) -> std::io::Result<Command> {
    let shell = if std::path::Path::new("/bin/bash").exists() { "/bin/bash" } else { "/bin/sh" };
    program_command(&[shell, "-c", command], cwd, sandbox)
}

/// Builds a command for `argv` as [`shell_command`] does for the shell: in `cwd`, its own
/// session, the sandbox, stdin closed, output piped, no secrets.
pub fn program_command(
    argv: &[&str],
    cwd: &std::path::Path,
    sandbox: &crate::sandbox::Sandbox,
) -> std::io::Result<Command> {
    let (program, args) = sandbox.wrap(argv);
    let mut cmd = Command::new(program);
    cmd.args(args)
        .current_dir(cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .env("CLAW_TUI", "1")
        .env("PAGER", "cat")
        .env("GIT_PAGER", "cat")
        .env("GIT_TERMINAL_PROMPT", "0")
        .kill_on_drop(true);
    crate::child::new_session(&mut cmd);
    crate::child::scrub_async(&mut cmd);
    sandbox.confine(&mut cmd)?;
    Ok(cmd)
}

/// Stops a process group: SIGTERM, then SIGKILL after a grace period.
pub async fn stop_group(child: &mut Child) {
    if let Some(pid) = child.id() {
        // SAFETY: killpg only sends a signal; the group id is the child's pid (process_group(0)).
        unsafe {
            libc::killpg(pid as libc::pid_t, libc::SIGTERM);
        }
        if tokio::time::timeout(KILL_GRACE, child.wait()).await.is_err() {
            // SAFETY: as above.
            unsafe {
                libc::killpg(pid as libc::pid_t, libc::SIGKILL);
            }
        }
    }
    let _ = child.kill().await;
}

enum Ending {
    Exited(std::process::ExitStatus),
    TimedOut,
    Cancelled,
}

impl Tool for Bash {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "bash".into(),
            description: "Run a shell command in the workspace with bash -c and return its combined stdout and stderr. \
Use it for builds, tests, git and other commands; prefer read_file, glob_search and grep_search for reading and searching. \
The command has no stdin (do not start interactive programs). Output beyond 30,000 characters is cut from the middle and saved whole to a file named in the result. \
Set run_in_background for servers and long jobs, then read their output with bash_output."
                .into(),
            input_schema: json!({
                "type": "object",
                "properties": {
                    "command": {"type": "string", "description": "The command to run"},
                    "timeout": {"type": "integer", "minimum": 1, "maximum": 600000,
                                "description": "Timeout in milliseconds (default 120000, at most 600000)"},
                    "description": {"type": "string", "description": "What the command does, in 5-10 words"},
                    "run_in_background": {"type": "boolean", "description": "Start the command and return at once; read its output with bash_output"}
                },
                "required": ["command"],
                "additionalProperties": false
            }),
        }
    }

    /// A command that only reads (`ls`, `rg`, `git status`) needs no more than reading, with
    /// the files it names as its paths; anything else runs a command, with the files its
    /// redirections write as its paths (so writing a protected file with `>` asks).
    fn plan(&self, input: &Value, env: &ToolEnv) -> Result<CallPlan, String> {
        let input: Input = parse_input("bash", input)?;
        if input.command.trim().is_empty() {
            return Err("bash: the command is empty".into());
        }
        let summary = input.command.lines().next().unwrap_or_default().to_string();
        let shell = crate::permission::shell::parse(&input.command);
        let ws = &env.workspace;
        let (access, named) = match crate::permission::safe::read_only(&shell) {
            Some(files) if !input.run_in_background => (Access::Read, files),
            _ => (Access::Execute, shell.writes.clone()),
        };
        let paths = named.iter().filter_map(|p| ws.resolve(p).ok()).collect();
        Ok(CallPlan {
            access,
            paths,
            summary,
            subject: input.command.clone(),
            preview: Some(Preview::Command { command: input.command }),
            change: None,
        })
    }

    fn run<'a>(&'a self, input: Value, ctx: &'a ToolContext) -> BoxFuture<'a, Result<ToolOutput, String>> {
        Box::pin(async move {
            let input: Input = parse_input("bash", &input)?;
            let cwd = ctx.workspace().cwd.clone();
            if input.run_in_background {
                let (id, pid) = ctx
                    .env
                    .shells
                    .spawn(&input.command, &cwd, &ctx.env.groups, ctx.env.spill_file("bash"), &ctx.env.sandbox)
                    .map_err(|e| format!("bash: cannot start the command: {e}"))?;
                return Ok(ToolOutput::ok(format!(
                    "Started in the background as shell {id} (pid {pid}). Read its output with bash_output {{\"shell_id\": \"{id}\"}}; stop it with kill_shell."
                )));
            }
            let requested = input.timeout.map(|ms| Duration::from_millis(ms as u64));
            let timeout = requested.unwrap_or(ctx.env.bash_default_timeout).min(MAX_TIMEOUT);
            let child = shell_command(&input.command, &cwd, &ctx.env.sandbox)
                .and_then(|mut c| c.spawn())
                .map_err(|e| format!("bash: cannot start the shell: {e}"))?;
            run_foreground("bash", child, timeout, requested, ctx).await
        })
    }
}

/// Runs a started command to its end, its timeout or an interrupt: output streamed as
/// progress and captured for the model, the process group stopped when it does not end by
/// itself.
pub async fn run_foreground(
    tool: &str,
    mut child: Child,
    timeout: Duration,
    requested: Option<Duration>,
    ctx: &ToolContext,
) -> Result<ToolOutput, String> {
    // What the command leaves running (`server &`) is stopped with its agent at the
    // latest.
    ctx.env.groups.track(child.id().unwrap_or_default());
    let started = Instant::now();
    let mut stdout = child.stdout.take().expect("piped stdout");
    let mut stderr = child.stderr.take().expect("piped stderr");
    let mut capture = Capture::new(ctx.env.spill_file(tool));
    let mut progress = Throttle::default();
    let mut out_buf = vec![0u8; 64 * 1024];
    let mut err_buf = vec![0u8; 64 * 1024];
    let (mut out_open, mut err_open) = (true, true);
    let deadline = tokio::time::sleep(timeout);
    tokio::pin!(deadline);
    let ending = loop {
        tokio::select! {
            _ = ctx.cancel.cancelled() => break Ending::Cancelled,
            _ = &mut deadline => break Ending::TimedOut,
            n = stdout.read(&mut out_buf), if out_open => match n {
                Ok(0) | Err(_) => out_open = false,
                Ok(n) => {
                    capture.push(&out_buf[..n]);
                    progress.push(&out_buf[..n], &ctx.progress);
                }
            },
            n = stderr.read(&mut err_buf), if err_open => match n {
                Ok(0) | Err(_) => err_open = false,
                Ok(n) => {
                    capture.push(&err_buf[..n]);
                    progress.push(&err_buf[..n], &ctx.progress);
                }
            },
            status = child.wait(), if !out_open && !err_open => match status {
                Ok(s) => break Ending::Exited(s),
                Err(e) => return Err(format!("{tool}: waiting for the command failed: {e}")),
            },
        }
    };
    progress.finish(&ctx.progress);
    if !matches!(ending, Ending::Exited(_)) {
        stop_group(&mut child).await;
    }
    ctx.env.groups.prune();
    let Captured { text: mut body, full } = capture.finish(MAX_OUTPUT_CHARS);
    let elapsed = started.elapsed();
    let mut out = match ending {
        Ending::Exited(status) => match status.code() {
            Some(0) => {
                if body.is_empty() {
                    body = "(no output)".into();
                }
                ToolOutput::ok(body)
            }
            Some(code) => ToolOutput::error(format!("{body}\n\nExit code: {code}").trim_start().to_string()),
            None => ToolOutput::error(format!("{body}\n\nKilled by a signal").trim_start().to_string()),
        },
        Ending::TimedOut => ToolOutput::error(
            format!(
                "{body}\n\nTimed out after {:.0}s and was stopped{}.",
                elapsed.as_secs_f64(),
                if requested.is_some_and(|r| r > MAX_TIMEOUT) { " (the timeout is capped at 600000 ms)" } else { "" }
            )
            .trim_start()
            .to_string(),
        ),
        Ending::Cancelled => ToolOutput::error(
            format!("{body}\n\nInterrupted by the user; the command was stopped.").trim_start().to_string(),
        ),
    };
    if out.is_error
        && matches!(ending, Ending::Exited(_))
        && let Some(note) = ctx.env.sandbox.explain_failure(&out.content)
    {
        out.content = format!("{}\n\n{note}", out.content);
    }
    out.full_output = full;
    Ok(out)
}
