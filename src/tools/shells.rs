//! Background shells: `bash` with `run_in_background`, `bash_output` and `kill_shell`.
//!
//! Each background command's output is collected by a reader task: what was not read yet
//! stays in memory up to [`MAX_BUFFER`] (the oldest part is dropped first and counted), and
//! the whole output is logged to a file in the agent's scratch folder (up to
//! [`SPILL_MAX`](super::capture::SPILL_MAX)), named to the model when a read was cut. `bash_output` returns what arrived since the previous
//! read and whether the command is still running. Background commands are stopped with their
//! whole process group when the agent ends (/clear, resuming another session, quitting) and
//! when claw-tui exits.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use serde::Deserialize;
use serde_json::{Value, json};
use tokio::io::AsyncReadExt;

use super::bash::{shell_command, stop_group};
use super::capture::{SpillFile, bytes};
use super::text::{MAX_OUTPUT_CHARS, truncate_middle};
use super::{Access, CallPlan, Tool, ToolContext, ToolEnv, ToolOutput, parse_input};
use crate::provider::{BoxFuture, ToolSpec};

/// Bytes of unread output kept in memory per background shell.
pub const MAX_BUFFER: usize = 256 * 1024;

#[derive(Debug, Default)]
struct ShellState {
    unread: Vec<u8>,
    dropped: usize,
    exit: Option<String>,
    log: Option<SpillFile>,
    total: u64,
}

impl ShellState {
    fn push(&mut self, bytes: &[u8]) {
        self.total += bytes.len() as u64;
        if let Some(log) = self.log.as_mut() {
            log.write(bytes);
        }
        self.unread.extend_from_slice(bytes);
        if self.unread.len() > MAX_BUFFER {
            let excess = self.unread.len() - MAX_BUFFER;
            self.unread.drain(..excess);
            self.dropped += excess;
        }
    }
}

#[derive(Debug)]
struct Shell {
    command: String,
    state: Arc<Mutex<ShellState>>,
    child: Arc<tokio::sync::Mutex<tokio::process::Child>>,
}

/// The background shells of one agent.
#[derive(Debug, Default)]
pub struct Shells {
    next: Mutex<u32>,
    shells: Mutex<BTreeMap<String, Shell>>,
}

impl Shells {
    /// Starts `command` in the background, logging its output to `log`; returns its id and
    /// pid. Its process group is tracked in `groups` so that it is stopped with the agent at
    /// the latest.
    pub fn spawn(
        &self,
        command: &str,
        cwd: &Path,
        groups: &crate::child::Groups,
        log: Option<SpillFile>,
        sandbox: &crate::sandbox::Sandbox,
    ) -> std::io::Result<(String, u32)> {
        let mut child = shell_command(command, cwd, sandbox)?.spawn()?;
        let pid = child.id().unwrap_or_default();
        groups.track(pid);
        let id = {
            let mut next = self.next.lock().expect("shells lock");
            *next += 1;
            format!("bash_{}", *next)
        };
        let state = Arc::new(Mutex::new(ShellState { log, ..Default::default() }));
        for mut pipe in [
            Box::new(child.stdout.take().expect("piped")) as Box<dyn tokio::io::AsyncRead + Unpin + Send>,
            Box::new(child.stderr.take().expect("piped")),
        ] {
            let state = state.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 64 * 1024];
                while let Ok(n) = pipe.read(&mut buf).await {
                    if n == 0 {
                        break;
                    }
                    state.lock().expect("shell state").push(&buf[..n]);
                }
            });
        }
        let child = Arc::new(tokio::sync::Mutex::new(child));
        {
            let child = child.clone();
            let state = state.clone();
            tokio::spawn(async move {
                // Poll rather than hold the lock across wait(), so kill_shell can take it.
                loop {
                    let status = child.lock().await.try_wait();
                    match status {
                        Ok(Some(status)) => {
                            state.lock().expect("shell state").exit = Some(match status.code() {
                                Some(code) => format!("exited with code {code}"),
                                None => "killed by a signal".into(),
                            });
                            break;
                        }
                        Ok(None) => tokio::time::sleep(std::time::Duration::from_millis(100)).await,
                        Err(e) => {
                            state.lock().expect("shell state").exit = Some(format!("lost: {e}"));
                            break;
                        }
                    }
                }
            });
        }
        self.shells
            .lock()
            .expect("shells lock")
            .insert(id.clone(), Shell { command: command.to_string(), state, child });
        Ok((id, pid))
    }

    fn known(&self) -> String {
        known_list(&self.shells.lock().expect("shells lock"))
    }

    /// New output of `id` since the last read, with its status.
    pub fn read(&self, id: &str) -> Result<String, String> {
        let shells = self.shells.lock().expect("shells lock");
        let shell = shells.get(id).ok_or_else(|| format!("no background shell `{id}`; {}", known_list(&shells)))?;
        let mut s = shell.state.lock().expect("shell state");
        let text = String::from_utf8_lossy(&s.unread).into_owned();
        s.unread.clear();
        let mut out =
            format!("Shell {id} ({}): {}\n", shell.command, s.exit.clone().unwrap_or_else(|| "running".into()));
        if let Some(log) = s.log.as_mut() {
            log.flush();
        }
        let dropped = std::mem::take(&mut s.dropped);
        if dropped > 0 {
            out.push_str(&format!(
                "[{} of output before this were dropped unread: only the last {} wait to be read]\n",
                bytes(dropped as u64),
                bytes(MAX_BUFFER as u64)
            ));
        }
        let body = truncate_middle(&text, MAX_OUTPUT_CHARS);
        let cut = dropped > 0 || body.len() != text.len();
        if text.is_empty() {
            out.push_str("(no new output)");
        } else {
            out.push_str(&body);
        }
        match s.log.as_ref() {
            Some(log) if cut => out.push_str(&format!("\n\n{}", log.note(s.total))),
            None if cut => out.push_str("\n\n[The full output was not saved: there is no scratch folder.]"),
            _ => {}
        }
        Ok(out)
    }

    /// Stops `id` and forgets it.
    pub async fn kill(&self, id: &str) -> Result<String, String> {
        let shell = self.shells.lock().expect("shells lock").remove(id);
        let Some(shell) = shell else {
            return Err(format!("no background shell `{id}`; {}", self.known()));
        };
        let mut child = shell.child.lock().await;
        stop_group(&mut child).await;
        Ok(format!("Shell {id} ({}) was stopped.", shell.command))
    }
}

fn known_list(shells: &BTreeMap<String, Shell>) -> String {
    if shells.is_empty() {
        "there are no background shells".into()
    } else {
        format!("known shells: {}", shells.keys().cloned().collect::<Vec<_>>().join(", "))
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ShellInput {
    shell_id: String,
}

pub struct BashOutput;
pub struct KillShell;

fn shell_schema() -> Value {
    json!({
        "type": "object",
        "properties": {"shell_id": {"type": "string", "description": "The id bash gave the background shell (bash_1, ...)"}},
        "required": ["shell_id"],
        "additionalProperties": false
    })
}

/// Reading or stopping a background shell names only the shell. Both count as
/// reads: stopping a process the agent itself started is no more than starting it was.
fn shell_plan(tool: &str, input: &Value) -> Result<CallPlan, String> {
    let input: ShellInput = parse_input(tool, input)?;
    Ok(CallPlan {
        access: Access::Read,
        paths: vec![],
        summary: input.shell_id.clone(),
        subject: input.shell_id,
        preview: None,
        change: None,
    })
}

impl Tool for BashOutput {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "bash_output".into(),
            description:
                "Read the output a background shell produced since the last read, and whether it is still running."
                    .into(),
            input_schema: shell_schema(),
        }
    }

    fn plan(&self, input: &Value, _env: &ToolEnv) -> Result<CallPlan, String> {
        shell_plan("bash_output", input)
    }

    fn run<'a>(&'a self, input: Value, ctx: &'a ToolContext) -> BoxFuture<'a, Result<ToolOutput, String>> {
        Box::pin(async move {
            let input: ShellInput = parse_input("bash_output", &input)?;
            ctx.env.shells.read(&input.shell_id).map(ToolOutput::ok).map_err(|e| format!("bash_output: {e}"))
        })
    }
}

impl Tool for KillShell {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "kill_shell".into(),
            description: "Stop a background shell started by bash with run_in_background.".into(),
            input_schema: shell_schema(),
        }
    }

    fn plan(&self, input: &Value, _env: &ToolEnv) -> Result<CallPlan, String> {
        shell_plan("kill_shell", input)
    }

    fn run<'a>(&'a self, input: Value, ctx: &'a ToolContext) -> BoxFuture<'a, Result<ToolOutput, String>> {
        Box::pin(async move {
            let input: ShellInput = parse_input("kill_shell", &input)?;
            ctx.env.shells.kill(&input.shell_id).await.map(ToolOutput::ok).map_err(|e| format!("kill_shell: {e}"))
        })
    }
}
