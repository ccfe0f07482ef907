//! `-p` mode: one conversation, no terminal UI.
//!
//! Drives the same [`AgentHandle`] as the TUI. Approvals cannot be asked, so the agent runs
//! non-interactive: calls the policy would ask about are denied and the model is told why.
//! Output: `text` prints the final answer; `json` one result object; `stream-json` every agent
//! event as a JSON line, then the result object. Errors go to stderr, one line each, and the
//! exit status is non-zero.

use std::io::{IsTerminal, Read, Write};
use std::time::Instant;

use serde_json::json;

use crate::agent::{self, AgentEvent, Op, TurnOutcome};
use crate::cli::{Cli, OutputFormat};
use crate::provider::Usage;
use crate::setup::{self, DemoWorkspace};

/// Exit status for a failed run.
pub const EXIT_ERROR: i32 = 1;
/// Exit status after Ctrl+C, as shells expect.
pub const EXIT_INTERRUPTED: i32 = 130;

/// The prompt from the argument and stdin: piped input comes first, as context for the
/// argument. Stdin is read only when it is not a terminal.
pub fn read_prompt(arg: Option<&str>) -> Result<String, String> {
    let mut piped = String::new();
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        stdin.lock().read_to_string(&mut piped).map_err(|e| format!("cannot read stdin: {e}"))?;
    }
    let prompt = match (piped.trim().is_empty(), arg.map(str::trim).filter(|a| !a.is_empty())) {
        (true, None) => return Err("no prompt: give one as an argument (claw-tui -p \"...\") or on stdin".into()),
        (true, Some(a)) => a.to_string(),
        (false, None) => piped,
        (false, Some(a)) => format!("{}\n\n{a}", piped.trim_end()),
    };
    Ok(prompt)
}

struct Outcome {
    result: String,
    /// The StructuredOutput answer of a `--json-schema` run.
    structured: Option<serde_json::Value>,
    error: Option<String>,
    outcome: Option<TurnOutcome>,
    session_id: String,
    usage: Usage,
    cost: Option<f64>,
    num_turns: u64,
    model: String,
}

/// Runs headless and returns the exit status.
pub async fn run(cli: &Cli) -> i32 {
    let started = Instant::now();
    if cli.resume.as_deref().is_some_and(|id| id.trim().is_empty()) {
        return fail(
            cli,
            "--resume without an id opens the session browser, which needs the interface; with -p give an id (claw-tui sessions list) or use --continue",
        );
    }
    let demo: Option<DemoWorkspace> = if cli.demo {
        match setup::demo_workspace() {
            Ok(d) => Some(d),
            Err(e) => return fail(cli, &e),
        }
    } else {
        None
    };
    let prompt = match &demo {
        Some(d) => d.scenario.prompt.clone().unwrap_or_default(),
        None => match read_prompt(cli.prompt.as_deref()) {
            Ok(p) => p,
            Err(e) => return fail(cli, &e),
        },
    };
    let cwd = match &demo {
        Some(d) => d.dir.path().to_path_buf(),
        None => match std::env::current_dir() {
            Ok(d) => d,
            Err(e) => return fail(cli, &format!("cannot read the working directory: {e}")),
        },
    };
    let setup = match setup::build(cli, &cwd, demo.as_ref().map(|d| &d.scenario), false, None) {
        Ok(s) => s,
        Err(e) => return fail(cli, &e),
    };
    for p in &setup.problems {
        eprintln!("claw-tui: warning: {p}");
    }
    if !setup.effective.withheld.is_empty() {
        eprintln!("claw-tui: warning: {}", crate::config::trust::ignored_notice(&setup.effective.withheld));
    }
    if !setup.has_credentials {
        return fail(
            cli,
            "no API key: set ANTHROPIC_API_KEY (or ANTHROPIC_AUTH_TOKEN); `claw-tui --demo` runs offline",
        );
    }
    // The demo in text mode shows the conversation on stdout instead of only the answer.
    let demo_text = cli.demo && cli.output_format == OutputFormat::Text;
    let verbose = cli.verbose || demo_text;
    let mut progress = Progress { to_stdout: demo_text, mid_line: false };
    let mut stdout = Stdout::default();
    if demo_text {
        stdout.line(&format!("claw-tui demo: a scripted session in {} (no network, no API key)\n", cwd.display()));
        stdout.line(&format!("> {prompt}\n"));
    }

    // MCP servers connect (or fail) before the first request, within the startup timeout.
    let hub = crate::mcp::hub::start_and_wait(&setup.effective.mcp, &setup.env.workspace.root).await;
    for view in hub.as_ref().map(|h| h.views()).unwrap_or_default() {
        match &view.status {
            crate::mcp::Status::Failed(why) => {
                eprintln!("claw-tui: warning: MCP server `{}` failed: {why}; its tools are not offered", view.name)
            }
            crate::mcp::Status::Connecting => eprintln!(
                "claw-tui: warning: MCP server `{}` did not connect within {} s (mcp.startup_timeout_secs); its tools are offered once it does",
                view.name,
                setup.effective.mcp.startup_timeout.as_secs()
            ),
            crate::mcp::Status::Connected => {}
        }
    }
    setup.registry.attach(hub.clone());
    let mut handle = agent::spawn(setup.config, setup.provider, setup.registry, setup.env);
    handle.send(Op::UserTurn { text: prompt, attachments: Vec::new() });

    let mut out = Outcome {
        result: String::new(),
        structured: None,
        error: None,
        outcome: None,
        session_id: String::new(),
        usage: Usage::default(),
        cost: Some(0.0),
        num_turns: 0,
        model: String::new(),
    };
    let mut interrupted = false;
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    loop {
        let event = tokio::select! {
            ev = handle.next_event() => ev,
            _ = &mut ctrl_c, if !interrupted => {
                interrupted = true;
                handle.send(Op::Interrupt);
                continue;
            }
        };
        let Some(event) = event else { break };
        if cli.output_format == OutputFormat::StreamJson {
            let mut line = serde_json::to_vec(&event).unwrap_or_default();
            line.push(b'\n');
            stdout.write(&line);
        } else if verbose {
            progress.show(&event, &mut stdout);
        }
        if stdout.closed && !interrupted {
            // Nobody reads the answer any more (`| head -n 1`): stop spending on it.
            interrupted = true;
            handle.send(Op::Interrupt);
        }
        match event {
            AgentEvent::SessionStarted { session_id, model, .. } => {
                out.session_id = session_id;
                out.model = model;
            }
            AgentEvent::AssistantMessage { message, .. } => {
                out.num_turns += 1;
                let text = message.text();
                if !text.trim().is_empty() {
                    out.result = text;
                }
            }
            AgentEvent::Usage { session, session_cost_usd, .. } => {
                out.usage = session;
                out.cost = session_cost_usd;
            }
            AgentEvent::Error { message, retrying_in_ms: None, .. } => out.error = Some(message),
            AgentEvent::Error { message, retrying_in_ms: Some(ms), .. }
                if cli.output_format != OutputFormat::StreamJson =>
            {
                eprintln!("claw-tui: {message} in {:.1}s", ms as f64 / 1000.0);
            }
            AgentEvent::Warning { message } if cli.output_format != OutputFormat::StreamJson => {
                eprintln!("claw-tui: warning: {message}");
            }
            AgentEvent::StructuredOutput { value } => out.structured = Some(value),
            AgentEvent::UserMessage { message, status } if cli.output_format != OutputFormat::StreamJson => {
                // The model's words reach a terminal: as visible text, never as commands.
                eprintln!("claw-tui: message from the model ({status}): {}", crate::sanitize::visible(&message));
            }
            AgentEvent::TurnFinished { outcome, .. } => {
                out.outcome = Some(outcome);
                handle.send(Op::Shutdown);
            }
            _ => {}
        }
    }
    if progress.mid_line {
        progress.show_newline(&mut stdout);
    }
    drop(demo);
    if stdout.closed {
        // The reader went away: the run ends quietly, with nothing half-written.
        return 0;
    }
    finish(cli, out, started, interrupted, demo_text, &mut stdout)
}

/// Standard output, written whole line by whole line. A reader that went away (a closed pipe)
/// is remembered rather than treated as an error, and nothing more is written.
#[derive(Default)]
struct Stdout {
    closed: bool,
}

impl Stdout {
    fn write(&mut self, bytes: &[u8]) {
        if self.closed {
            return;
        }
        let mut lock = std::io::stdout().lock();
        if lock.write_all(bytes).and_then(|_| lock.flush()).is_err() {
            self.closed = true;
        }
    }

    fn line(&mut self, text: &str) {
        let mut bytes = Vec::with_capacity(text.len() + 1);
        bytes.extend_from_slice(text.as_bytes());
        bytes.push(b'\n');
        self.write(&bytes);
    }
}

fn finish(cli: &Cli, out: Outcome, started: Instant, interrupted: bool, shown: bool, stdout: &mut Stdout) -> i32 {
    let outcome = out.outcome.unwrap_or(TurnOutcome::Error);
    let (subtype, is_error) = match outcome {
        TurnOutcome::EndTurn | TurnOutcome::StopSequence => ("success", false),
        TurnOutcome::MaxTokens => ("success", false),
        TurnOutcome::Refusal => ("refusal", true),
        TurnOutcome::Interrupted => ("interrupted", true),
        TurnOutcome::MaxIterations => ("error_max_turns", true),
        TurnOutcome::Error => ("error_during_execution", true),
    };
    let error = match outcome {
        TurnOutcome::Interrupted => Some("interrupted".to_string()),
        TurnOutcome::Refusal => Some("the model declined to answer".to_string()),
        _ if is_error => out.error.clone().or_else(|| Some("the turn failed".into())),
        _ => None,
    };
    match cli.output_format {
        OutputFormat::Text => {
            if let Some(value) = &out.structured {
                stdout.line(&serde_json::to_string_pretty(value).unwrap_or_default());
            } else if !out.result.is_empty() && !shown {
                // A terminal gets escape sequences as visible text, never as commands.
                let text = out.result.trim_end();
                let text = if std::io::stdout().is_terminal() { crate::sanitize::visible(text) } else { text.into() };
                stdout.line(&text);
            }
        }
        OutputFormat::Json | OutputFormat::StreamJson => {
            let mut result = json!({
                "type": "result",
                "subtype": subtype,
                "is_error": is_error,
                "result": out.result,
                "error": error,
                "session_id": out.session_id,
                "model": out.model,
                "num_turns": out.num_turns,
                "duration_ms": started.elapsed().as_millis() as u64,
                "usage": out.usage,
                "total_cost_usd": out.cost,
            });
            if let Some(value) = out.structured {
                result["structured_output"] = value;
            }
            stdout.line(&result.to_string());
        }
    }
    if let Some(e) = &error {
        eprintln!("claw-tui: error: {e}");
    }
    if interrupted {
        EXIT_INTERRUPTED
    } else if is_error {
        EXIT_ERROR
    } else {
        0
    }
}

/// Reports a failure before the agent started: stderr, and a result object for JSON formats.
fn fail(cli: &Cli, message: &str) -> i32 {
    if cli.output_format != OutputFormat::Text {
        let result = json!({"type": "result", "subtype": "error_during_execution", "is_error": true, "result": "", "error": message});
        Stdout::default().line(&result.to_string());
    }
    eprintln!("claw-tui: error: {message}");
    EXIT_ERROR
}

/// `--verbose` text mode and the demo: the conversation as it happens.
struct Progress {
    to_stdout: bool,
    /// Whether the last thing written left the cursor mid-line.
    mid_line: bool,
}

impl Progress {
    fn show_newline(&mut self, stdout: &mut Stdout) {
        if self.to_stdout {
            stdout.write(b"\n");
        } else {
            eprintln!();
        }
        self.mid_line = false;
    }

    fn show(&mut self, event: &AgentEvent, stdout: &mut Stdout) {
        use crate::sanitize::visible;
        let mut text = String::new();
        match event {
            AgentEvent::TextDelta { text: t, .. } => {
                text.push_str(&visible(t));
            }
            // The retry's notice follows on stderr: end the cut-off line first.
            AgentEvent::AnswerDiscarded { .. } => {
                if self.mid_line {
                    self.show_newline(stdout);
                }
                return;
            }
            AgentEvent::ToolCallStarted { tool, summary, .. } => {
                text.push_str(&format!("● {tool} {}\n", visible(summary)));
            }
            AgentEvent::ToolCallFinished { result, is_error, elapsed_ms, .. } => {
                let first = result.lines().next().unwrap_or_default();
                let more = result.lines().count().saturating_sub(1);
                let mark = if *is_error { "✗" } else { "⎿" };
                let tail = if more > 0 { format!(" (+{more} lines)") } else { String::new() };
                text.push_str(&format!("  {mark} {}{tail} [{:.1}s]\n", visible(first), *elapsed_ms as f64 / 1000.0));
            }
            AgentEvent::TodosChanged { todos } => {
                for t in todos {
                    let mark = match t.status {
                        crate::tools::TodoStatus::Completed => "☒",
                        crate::tools::TodoStatus::InProgress => "▶",
                        crate::tools::TodoStatus::Pending => "☐",
                    };
                    text.push_str(&format!("    {mark} {}\n", visible(&t.content)));
                }
            }
            _ => return,
        }
        if text.is_empty() {
            return;
        }
        // A tool line after streamed text starts on a fresh line, with a blank line between.
        if !matches!(event, AgentEvent::TextDelta { .. }) && self.mid_line {
            text.insert_str(0, "\n\n");
        }
        self.mid_line = !text.ends_with('\n');
        if matches!(event, AgentEvent::ToolCallFinished { .. }) {
            text.push('\n');
        }
        if self.to_stdout {
            stdout.write(text.as_bytes());
        } else {
            let mut err = std::io::stderr().lock();
            let _ = err.write_all(text.as_bytes());
            let _ = err.flush();
        }
    }
}
