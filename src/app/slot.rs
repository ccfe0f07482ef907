//! The running agent: preparing one off the loop thread, installing it, replacing it.
//!
//! Starting an agent reads files (the config, instruction files, a resumed session that can
//! be tens of megabytes) and runs git, so [`prepare`] runs as a blocking job and hands its
//! result back as an event ([`Prepared`]); the executor then [`install`]s it: spawns the agent,
//! forwards its events onto the bus, and says what the interface must show (the transcript of
//! a resumed session, problems, the welcome). A newer start makes an older one stale: only the
//! latest prepared agent is installed.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use tokio::sync::mpsc;

use super::event::Event;
use super::workspace_watch::{self, WorkspaceWatcher};
use crate::agent::{self, AgentHandle, Op};
use crate::cli::Cli;
use crate::config::Problem;
use crate::setup::{self, DemoWorkspace, Setup};

/// Which agent to start.
#[derive(Debug, Clone, PartialEq)]
pub enum Start {
    /// At start-up: as the command line says (`--resume ID`, `--continue`, `--demo`).
    Launch,
    /// A new conversation (/clear).
    Fresh,
    /// The offline demo in a scratch directory (/demo).
    Demo,
    /// Continue the session in this file (/resume, a fork).
    Resume(PathBuf),
    /// Continue this session (none: a new one) on another provider and model (/model
    /// NAME/model): the conversation is kept, converted to the new provider's wire as it is
    /// sent. Later starts (/clear) keep the new provider.
    Switch { session: Option<PathBuf>, provider: String, model: String },
}

/// A value handed from a background job to the executor through `update`, which only passes
/// it on: events must be cloneable and comparable, and an agent is neither. The first
/// [`Handoff::take`] gets the value.
pub struct Handoff<T>(Arc<Mutex<Option<T>>>);

impl<T> Handoff<T> {
    pub fn new(value: T) -> Handoff<T> {
        Handoff(Arc::new(Mutex::new(Some(value))))
    }

    /// A handoff with nothing in it (tests of `update`).
    pub fn empty() -> Handoff<T> {
        Handoff(Arc::new(Mutex::new(None)))
    }

    pub fn take(&self) -> Option<T> {
        self.0.lock().ok()?.take()
    }
}

impl<T> Clone for Handoff<T> {
    fn clone(&self) -> Self {
        Handoff(self.0.clone())
    }
}

impl<T> PartialEq for Handoff<T> {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl<T> std::fmt::Debug for Handoff<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Handoff(..)")
    }
}

/// What a prepared agent needs to run, moved to the executor in one piece.
pub struct Built {
    setup: Setup,
    demo: Option<DemoWorkspace>,
    workspace_watch: Option<WorkspaceWatcher>,
}

/// An agent ready to install, and what the interface should show once it is.
#[derive(Debug, Clone, PartialEq)]
pub struct Prepared {
    pub built: Handoff<Built>,
    /// The new agent's workspace root.
    pub root: PathBuf,
    /// The transcript of a resumed session.
    pub replay: Option<Vec<agent::replay::ReplayItem>>,
    /// Problems in the settings and the session, and a watcher that could not start.
    pub problems: Vec<Problem>,
    pub notices: Vec<String>,
    pub has_credentials: bool,
    pub branch: Option<String>,
    /// The demo's opening prompt.
    pub prompt: Option<String>,
    /// The interface's settings, read again (at launch, and when the folder's trust changed).
    pub interface: Option<Box<super::settings::InterfaceSettings>>,
    /// Whether the folder's own settings apply, and what they wanted that did not.
    pub trust: crate::config::trust::Trust,
    pub withheld: Vec<crate::config::trust::Withheld>,
    /// Custom commands and skills, and the hooks, for completion and listing.
    pub extensions: Arc<crate::extend::Extensions>,
    pub hooks: Vec<crate::extend::hooks::Hook>,
}

/// Builds an agent as `start` asks, without spawning it: the blocking part of a start. A launch
/// also reads the interface's settings (in colours for `depth`).
pub fn prepare(
    cli: &Cli,
    start: &Start,
    depth: crate::ui::theme::ColorDepth,
    bus: &mpsc::UnboundedSender<Event>,
) -> Result<Prepared, String> {
    let demo = match start {
        Start::Demo => Some(setup::demo_workspace()?),
        Start::Launch if cli.demo => Some(setup::demo_workspace()?),
        _ => None,
    };
    let cwd = match &demo {
        Some(d) => d.dir.path().to_path_buf(),
        None => std::env::current_dir().map_err(|e| format!("cannot read the working directory: {e}"))?,
    };
    // Only the launch follows `--resume ID` / `--continue`; /clear starts afresh.
    let fresh_cli;
    let cli = match start {
        Start::Launch => cli,
        Start::Switch { provider, model, .. } => {
            fresh_cli = switched(cli, provider, model);
            &fresh_cli
        }
        _ => {
            fresh_cli = Cli { resume: None, continue_latest: false, ..cli.clone() };
            &fresh_cli
        }
    };
    let resume = match start {
        Start::Resume(path) | Start::Switch { session: Some(path), .. } => Some(path.as_path()),
        _ => None,
    };
    let mut setup = setup::build(cli, &cwd, demo.as_ref().map(|d| &d.scenario), true, resume)?;
    let replay = setup.resumed.take().map(agent::replay::items);
    let root = setup.env.workspace.root.clone();
    let interface = (*start == Start::Launch).then(|| Box::new(super::settings::load(cli, &root, depth)));
    let mut notices = Vec::new();
    // A custom command named like a built-in one is never run (the built-in is).
    for command in &setup.extensions.commands {
        if let Some(builtin) = crate::app::update::COMMANDS.iter().find(|c| c.is(&format!("/{}", command.name))) {
            setup.problems.push(Problem::file(
                &command.path,
                format!("{} is a built-in command, which runs instead of this file (rename it)", builtin.name),
            ));
        }
    }
    let workspace_watch = match workspace_watch::watch_workspace(&root, bus.clone()) {
        Ok(w) => Some(w),
        Err(e) => {
            notices.push(format!(
                "changes made outside claw-tui will not be noticed (/diff does not refresh by itself): {e}"
            ));
            None
        }
    };
    Ok(Prepared {
        replay,
        problems: std::mem::take(&mut setup.problems),
        notices,
        has_credentials: setup.has_credentials,
        branch: agent::prompt::git_branch(&root),
        root,
        prompt: demo.as_ref().and_then(|d| d.scenario.prompt.clone()),
        interface,
        trust: setup.effective.trust,
        withheld: setup.effective.withheld.clone(),
        extensions: setup.extensions.clone(),
        hooks: setup.effective.hooks.clone(),
        built: Handoff::new(Built { setup, demo, workspace_watch }),
    })
}

/// The command line as a switch to `provider` and `model` leaves it (no resume of its own).
pub fn switched(cli: &Cli, provider: &str, model: &str) -> Cli {
    Cli {
        provider: Some(provider.to_string()),
        model: Some(model.to_string()),
        resume: None,
        continue_latest: false,
        ..cli.clone()
    }
}

/// The agent in use and what the executor needs to know about it.
pub struct AgentSlot {
    ops: mpsc::UnboundedSender<Op>,
    forwarder: tokio::task::JoinHandle<()>,
    /// The agent's workspace root: where "always allow" rules are saved.
    pub root: PathBuf,
    /// The agent's working directory: which project's sessions /resume lists.
    pub cwd: PathBuf,
    /// The agent's tools' shared state: /diff reads the session's checkpoints from it.
    pub env: Arc<crate::tools::ToolEnv>,
    _workspace_watch: Option<WorkspaceWatcher>,
    /// Keeps the demo's scratch directory alive while the demo agent works in it.
    _demo: Option<DemoWorkspace>,
}

impl AgentSlot {
    /// Sends an op to the agent; false when it has stopped.
    pub fn send(&self, op: Op) -> bool {
        self.ops.send(op).is_ok()
    }

    /// Asks the agent to stop and stops forwarding its events (a replaced agent says nothing
    /// more).
    pub fn shut_down(self) {
        let _ = self.ops.send(Op::Shutdown);
        self.forwarder.abort();
    }
}

impl Built {
    /// The MCP settings of the agent and its workspace root.
    pub fn mcp(&self) -> (&crate::mcp::McpConfig, &std::path::Path) {
        (&self.setup.effective.mcp, &self.setup.env.workspace.root)
    }
}

/// Spawns a built agent (offering the tools of `hub`'s servers) and forwards its events onto
/// `bus`.
pub fn install(built: Built, hub: Option<Arc<crate::mcp::Hub>>, bus: &mpsc::UnboundedSender<Event>) -> AgentSlot {
    let Built { setup, demo, workspace_watch } = built;
    setup.registry.attach(hub);
    let root = setup.env.workspace.root.clone();
    let cwd = setup.env.workspace.cwd.clone();
    let env = setup.env.clone();
    let AgentHandle { ops, mut events } = agent::spawn(setup.config, setup.provider, setup.registry, setup.env);
    let tx = bus.clone();
    let forwarder = tokio::spawn(async move {
        while let Some(ev) = events.recv().await {
            if tx.send(Event::Agent(ev)).is_err() {
                return;
            }
        }
        // The agent ended without being asked to (a replaced agent's forwarder is aborted
        // first, and on quit nobody reads this): say so rather than ignore prompts silently.
        let _ = tx.send(Event::Agent(agent::AgentEvent::Error {
            kind: crate::provider::ErrorKind::Other,
            message: "the agent stopped unexpectedly; /clear starts a new one (this session is saved)".into(),
            retrying_in_ms: None,
        }));
    });
    AgentSlot { ops, forwarder, root, cwd, env, _workspace_watch: workspace_watch, _demo: demo }
}
