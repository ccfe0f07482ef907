//! `REPL` {code, language, timeout_ms?}: code run in an interpreter that lives across calls
//! (python3, node or bash, where installed), so that variables, imports and functions stay.
//!
//! Each language's interpreter starts at its first call, like a `bash` command: through the
//! shell, in its own process group, in the sandbox, with stdin closed and no secrets in its
//! environment. It runs a small driver ([`driver.py`, `driver.js`, `driver.sh`](repl/)) that
//! reads code from file descriptor 3 (so the code's own stdin stays closed and cannot eat the
//! next call), runs it, and ends its output on stdout and stderr with a line holding a random
//! mark and the status. Output streams to the UI as it comes; the model gets it bounded like a
//! command's. A timeout or an interrupt stops the interpreter's whole process group (its state
//! is lost, and the model is told); the agent's end stops them all.

use std::collections::HashMap;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Deserialize;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::process::{Child, ChildStderr, ChildStdout};

use super::bash::{DEFAULT_TIMEOUT, MAX_TIMEOUT, shell_command, stop_group};
use super::capture::{Capture, Throttle};
use super::text::MAX_OUTPUT_CHARS;
use super::{Access, CallPlan, Preview, Tool, ToolContext, ToolEnv, ToolOutput, lenient_usize, parse_input};
use crate::provider::{BoxFuture, ToolSpec};

const NAME: &str = "REPL";

/// A language the REPL runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Language {
    Python,
    Node,
    Bash,
}

impl Language {
    pub const ALL: [Language; 3] = [Language::Python, Language::Node, Language::Bash];

    fn parse(name: &str) -> Result<Language, String> {
        match name.trim().to_ascii_lowercase().as_str() {
            "python" | "python3" | "py" => Ok(Language::Python),
            "node" | "javascript" | "js" | "nodejs" => Ok(Language::Node),
            "bash" | "sh" | "shell" => Ok(Language::Bash),
            other => Err(format!("{NAME}: language is python, node or bash, not `{other}`")),
        }
    }

    /// The name rules and the model use.
    pub fn name(self) -> &'static str {
        match self {
            Language::Python => "python",
            Language::Node => "node",
            Language::Bash => "bash",
        }
    }

    /// The interpreter looked for on PATH.
    pub fn program(self) -> &'static str {
        match self {
            Language::Python => "python3",
            Language::Node => "node",
            Language::Bash => "bash",
        }
    }

    /// The shell command that becomes the interpreter running the driver.
    fn command(self) -> &'static str {
        match self {
            Language::Python => "exec python3 -u -c \"$CLAW_REPL_DRIVER\"",
            Language::Node => "exec node -e \"$CLAW_REPL_DRIVER\"",
            Language::Bash => "exec bash --norc --noprofile -c \"$CLAW_REPL_DRIVER\"",
        }
    }

    fn driver(self) -> &'static str {
        match self {
            Language::Python => include_str!("repl/driver.py"),
            Language::Node => include_str!("repl/driver.js"),
            Language::Bash => include_str!("repl/driver.sh"),
        }
    }

    /// Code as one line for the driver: a JSON string, or for bash, newlines and backslashes
    /// escaped for `printf %b`.
    fn frame(self, code: &str) -> String {
        match self {
            Language::Bash => format!("{}\n", code.replace('\\', "\\\\").replace('\n', "\\n")),
            _ => format!("{}\n", serde_json::to_string(code).expect("a string serializes")),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Input {
    code: String,
    language: String,
    #[serde(default, deserialize_with = "lenient_usize")]
    timeout_ms: Option<usize>,
}

/// The interpreters of one agent, one per language, each used by one call at a time.
#[derive(Default)]
pub struct Repls {
    slots: Mutex<HashMap<Language, Arc<tokio::sync::Mutex<Option<Interp>>>>>,
}

impl std::fmt::Debug for Repls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let slots = self.slots.lock().expect("repls lock");
        f.debug_struct("Repls").field("languages", &slots.keys().collect::<Vec<_>>()).finish()
    }
}

impl Repls {
    fn slot(&self, language: Language) -> Arc<tokio::sync::Mutex<Option<Interp>>> {
        self.slots.lock().expect("repls lock").entry(language).or_default().clone()
    }
}

/// A running interpreter.
struct Interp {
    child: Child,
    frames: tokio::net::unix::pipe::Sender,
    stdout: ChildStdout,
    stderr: ChildStderr,
    out: Framer,
    err: Framer,
}

/// Finds the end mark in one output stream: `\n<nonce> <status>\n`. What comes before it is
/// output; what may be the start of a mark is held back until it is known not to be.
struct Framer {
    mark: Vec<u8>,
    held: Vec<u8>,
}

impl Framer {
    fn new(nonce: &str) -> Framer {
        Framer { mark: format!("\n{nonce} ").into_bytes(), held: Vec::new() }
    }

    /// Adds output: what can be shown now, and the status once the end mark is complete. What
    /// follows the mark (output of something the code left running) waits for the next call.
    fn push(&mut self, chunk: &[u8]) -> (Vec<u8>, Option<i64>) {
        self.held.extend_from_slice(chunk);
        let m = self.mark.len();
        if let Some(at) = self.held.windows(m).position(|w| w == self.mark.as_slice()) {
            let rest = &self.held[at + m..];
            if let Some(nl) = rest.iter().position(|&b| b == b'\n') {
                let status = std::str::from_utf8(&rest[..nl]).ok().and_then(|s| s.trim().parse().ok()).unwrap_or(1);
                let shown = self.held[..at].to_vec();
                self.held.drain(..at + m + nl + 1);
                return (shown, Some(status));
            }
            return (self.held.drain(..at).collect(), None);
        }
        // Hold back only what could still become a mark: the text from the last line break,
        // when it is the start of one.
        let keep = match self.held.iter().rposition(|&b| b == b'\n') {
            Some(at) if self.mark.starts_with(&self.held[at..]) => self.held.len() - at,
            _ => 0,
        };
        (self.held.drain(..self.held.len() - keep).collect(), None)
    }
}

/// How a call ended.
enum Ending {
    Done(i64),
    Exited(String),
    TimedOut,
    Cancelled,
}

pub struct Repl;

impl Tool for Repl {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: NAME.into(),
            description: "Run code in a persistent interpreter (python, node or bash): variables, imports, functions \
and the working directory stay from one call to the next, one interpreter per language. The value of a last \
expression is printed (as in an interactive session). Output beyond 30,000 characters is cut from the middle. \
No stdin. timeout_ms (default 120000, at most 600000): at a timeout the interpreter is stopped and its state lost."
                .into(),
            input_schema: json!({
                "type": "object",
                "properties": {
                    "code": {"type": "string", "description": "The code to run"},
                    "language": {"type": "string", "enum": ["python", "node", "bash"], "description": "Which interpreter"},
                    "timeout_ms": {"type": "integer", "minimum": 1, "maximum": 600000, "description": "Timeout in milliseconds (default 120000)"}
                },
                "required": ["code", "language"],
                "additionalProperties": false
            }),
        }
    }

    /// Runs code: like a command, it needs danger-full-access or a rule (`REPL(python)`); the
    /// subject is the language, the preview the code.
    fn plan(&self, input: &Value, _env: &ToolEnv) -> Result<CallPlan, String> {
        let input: Input = parse_input(NAME, input)?;
        let language = Language::parse(&input.language)?;
        if input.code.trim().is_empty() {
            return Err(format!("{NAME}: the code is empty"));
        }
        if language == Language::Bash && input.code.contains('\0') {
            return Err(format!("{NAME}: bash code cannot hold a NUL character"));
        }
        let first = input.code.lines().find(|l| !l.trim().is_empty()).unwrap_or_default();
        Ok(CallPlan {
            access: Access::Execute,
            paths: Vec::new(),
            summary: format!("{}: {first}", language.name()),
            subject: language.name().into(),
            preview: Some(Preview::Command { command: input.code }),
            change: None,
        })
    }

    fn run<'a>(&'a self, input: Value, ctx: &'a ToolContext) -> BoxFuture<'a, Result<ToolOutput, String>> {
        Box::pin(async move {
            let input: Input = parse_input(NAME, &input)?;
            let language = Language::parse(&input.language)?;
            let requested = input.timeout_ms.map(|ms| Duration::from_millis(ms as u64));
            let timeout = requested.unwrap_or(DEFAULT_TIMEOUT).min(MAX_TIMEOUT);
            let slot = ctx.env.repls.slot(language);
            let mut guard = tokio::select! {
                guard = slot.lock() => guard,
                _ = ctx.cancel.cancelled() => return Err(format!("{NAME}: interrupted by the user")),
            };
            let fresh = guard.is_none();
            if fresh {
                *guard = Some(start(language, &ctx.env)?);
            }
            let interp = guard.as_mut().expect("started above");
            let mut capture = Capture::new(ctx.env.spill_file("repl"));
            let ending = converse(interp, &language.frame(&input.code), timeout, ctx, &mut capture).await;
            if !matches!(ending, Ending::Done(_)) {
                if let Some(mut interp) = guard.take() {
                    stop_group(&mut interp.child).await;
                }
                ctx.env.groups.prune();
            }
            let body = capture.finish(MAX_OUTPUT_CHARS);
            let text = body.text.trim_end().to_string();
            let lost = format!(
                "the {} REPL was stopped and its state is lost; the next call starts a new one",
                language.name()
            );
            let mut out = match ending {
                Ending::Done(0) => ToolOutput::ok(if text.is_empty() { "(no output)".into() } else { text }),
                Ending::Done(status) => {
                    ToolOutput::error(format!("{text}\n\nStatus: {status}").trim_start().to_string())
                }
                Ending::Exited(how) => {
                    ToolOutput::error(format!("{text}\n\nThe interpreter {how}; {lost}.").trim_start().to_string())
                }
                Ending::TimedOut => ToolOutput::error(
                    format!("{text}\n\nTimed out after {} ms: {lost}.", timeout.as_millis()).trim_start().to_string(),
                ),
                Ending::Cancelled => {
                    ToolOutput::error(format!("{text}\n\nInterrupted by the user: {lost}.").trim_start().to_string())
                }
            };
            if out.is_error
                && let Some(note) = ctx.env.sandbox.explain_failure(&out.content)
            {
                out.content = format!("{}\n\n{note}", out.content);
            }
            if fresh && !out.content.is_empty() {
                out.content = format!("[a new {} REPL was started]\n{}", language.name(), out.content);
            }
            out.full_output = body.full;
            Ok(out)
        })
    }
}

/// Sends `frame` and reads the output until both streams carry the end mark.
async fn converse(
    interp: &mut Interp,
    frame: &str,
    timeout: Duration,
    ctx: &ToolContext,
    capture: &mut Capture,
) -> Ending {
    let deadline = tokio::time::sleep(timeout);
    tokio::pin!(deadline);
    // An interpreter that does not read (its driver stuck) holds a large piece of code in the
    // pipe: the timeout and Esc hold for the sending too.
    tokio::select! {
        sent = interp.frames.write_all(frame.as_bytes()) => if let Err(e) = sent {
            return Ending::Exited(format!("could not be given the code ({e})"));
        },
        _ = ctx.cancel.cancelled() => return Ending::Cancelled,
        _ = &mut deadline => return Ending::TimedOut,
    }
    let mut progress = Throttle::default();
    let (mut out_buf, mut err_buf) = (vec![0u8; 64 * 1024], vec![0u8; 64 * 1024]);
    let (mut out_status, mut err_status) = (None, None);
    let (mut out_open, mut err_open) = (true, true);
    let mut show = |bytes: &[u8]| {
        if !bytes.is_empty() {
            capture.push(bytes);
            progress.push(bytes, &ctx.progress);
        }
    };
    // Output already waiting from the last call (something it left running).
    for framer in [&mut interp.out, &mut interp.err] {
        let (early, _) = framer.push(&[]);
        show(&early);
    }
    // Once a stream ends before its mark, the other gets a second to say why (a crash's
    // message on stderr); then the call ends.
    let grace = tokio::time::sleep(Duration::from_secs(3600));
    tokio::pin!(grace);
    let mut graced = false;
    let ending = loop {
        let out_live = out_open && out_status.is_none();
        let err_live = err_open && err_status.is_none();
        let broken = (!out_open && out_status.is_none()) || (!err_open && err_status.is_none());
        if broken && !graced {
            graced = true;
            grace.as_mut().reset(tokio::time::Instant::now() + Duration::from_secs(1));
        }
        if !out_live && !err_live || graced && grace.is_elapsed() {
            if let (Some(status), Some(_)) = (out_status, err_status) {
                break Ending::Done(status);
            }
            // A stream ended before its mark: the interpreter is gone, or the code closed it
            // (then the interpreter is stopped: its output can no longer be read).
            break match tokio::time::timeout(Duration::from_secs(1), interp.child.wait()).await {
                Ok(Ok(status)) => Ending::Exited(format!("exited ({status})")),
                Ok(Err(e)) => Ending::Exited(format!("could not be waited for ({e})")),
                Err(_) => Ending::Exited("closed its output".into()),
            };
        }
        tokio::select! {
            _ = ctx.cancel.cancelled() => break Ending::Cancelled,
            _ = &mut deadline => break Ending::TimedOut,
            _ = &mut grace, if graced => {}
            n = interp.stdout.read(&mut out_buf), if out_live => match n {
                Ok(0) | Err(_) => out_open = false,
                Ok(n) => {
                    let (shown, status) = interp.out.push(&out_buf[..n]);
                    show(&shown);
                    out_status = status;
                }
            },
            n = interp.stderr.read(&mut err_buf), if err_live => match n {
                Ok(0) | Err(_) => err_open = false,
                Ok(n) => {
                    let (shown, status) = interp.err.push(&err_buf[..n]);
                    show(&shown);
                    err_status = status;
                }
            },
        }
    };
    progress.finish(&ctx.progress);
    ending
}

/// Starts `language`'s interpreter with its driver, code coming on fd 3.
fn start(language: Language, env: &ToolEnv) -> Result<Interp, String> {
    let program = language.program();
    if crate::child::on_path(program).is_none() {
        let have: Vec<&str> =
            Language::ALL.iter().filter(|l| crate::child::on_path(l.program()).is_some()).map(|l| l.name()).collect();
        let have = if have.is_empty() { "none".to_string() } else { have.join(", ") };
        return Err(format!("{NAME}: {program} is not installed (not found on PATH); the languages here: {have}"));
    }
    let cannot = |e: std::io::Error| format!("{NAME}: cannot start {program}: {e}");
    let (read, write) = pipe().map_err(cannot)?;
    let mut nonce = [0u8; 16];
    getrandom::fill(&mut nonce).map_err(|e| format!("{NAME}: no randomness for the end mark: {e}"))?;
    let nonce: String = nonce.iter().map(|b| format!("{b:02x}")).collect();
    let mut cmd = shell_command(language.command(), &env.workspace.cwd, &env.sandbox).map_err(cannot)?;
    cmd.env("CLAW_REPL_DRIVER", language.driver()).env("CLAW_REPL_NONCE", &nonce);
    let raw = read.as_raw_fd();
    // SAFETY: only dup2/fcntl between fork and exec, both async-signal-safe; `read` stays open
    // in the parent until the child is spawned.
    unsafe {
        cmd.pre_exec(move || {
            let ok = if raw == 3 { libc::fcntl(3, libc::F_SETFD, 0) } else { libc::dup2(raw, 3) };
            if ok < 0 { Err(std::io::Error::last_os_error()) } else { Ok(()) }
        });
    }
    let mut child = cmd.spawn().map_err(cannot)?;
    drop(read);
    env.groups.track(child.id().unwrap_or_default());
    let frames = tokio::net::unix::pipe::Sender::from_owned_fd(write).map_err(cannot)?;
    let stdout = child.stdout.take().expect("piped stdout");
    let stderr = child.stderr.take().expect("piped stderr");
    Ok(Interp { child, frames, stdout, stderr, out: Framer::new(&nonce), err: Framer::new(&nonce) })
}

/// A pipe whose ends are closed on exec (the child gets its read end as fd 3 explicitly).
fn pipe() -> std::io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0; 2];
    // SAFETY: pipe2 fills two new descriptors, owned from here on.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: both descriptors were just created and are owned by nothing else.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_end_mark_is_found_across_chunks_and_what_follows_waits() {
        let mut f = Framer::new("abc");
        let (a, s) = f.push(b"hello\n");
        assert_eq!((a.as_slice(), s), (b"hello".as_slice(), None), "a line break may start a mark");
        let (b, s) = f.push(b"world\n\nab");
        assert_eq!((b.as_slice(), s), (b"\nworld\n".as_slice(), None), "so may `\\nab`");
        let (c, s) = f.push(b"c 0\nlate");
        assert_eq!((c.as_slice(), s), (b"".as_slice(), Some(0)));
        assert_eq!(f.push(&[]).0, b"late", "what follows the mark waits for the next call");
        let (d, s) = f.push(b" output\n\nabc 3\n");
        assert_eq!((d.as_slice(), s), (b" output\n".as_slice(), Some(3)));
        assert_eq!(f.push(b"\nabx").0, b"\nabx", "not a mark after all");
    }

    #[test]
    fn frames_hold_one_line() {
        assert_eq!(Language::Bash.frame("a\\nb\nc"), "a\\\\nb\\nc\n");
        assert_eq!(Language::Python.frame("x = \"1\"\ny"), "\"x = \\\"1\\\"\\ny\"\n");
        assert!(Language::parse("Ruby").unwrap_err().contains("python, node or bash"));
        assert_eq!(Language::parse("JS"), Ok(Language::Node));
    }
}
