//! The executor: performs the [`Effect`]s `update` returns.
//!
//! Effects that touch the disk, run git or build an agent go through [`Executor::spawn_io`]:
//! a blocking job whose result comes back on the bus as an [`Event`], so the loop thread never
//! waits on a file. What must happen on the loop thread stays here: sending ops to the agent,
//! the terminal (bell, clipboard's OSC 52, the editor, suspending), installing a prepared
//! agent. Starting an agent is tagged with a generation; a prepared agent older than the
//! latest start is dropped, not installed.

use std::sync::Arc;

use tokio::sync::mpsc;

use super::effect::Effect;
use super::event::Event;
use super::jobs;
use super::slot::{self, AgentSlot, Start};
use super::terminal::Tui;
use crate::agent::Op;
use crate::cli::Cli;
use crate::ui::theme::ColorDepth;

/// What the loop should do after an effect.
#[derive(Debug, PartialEq, Eq)]
pub enum Flow {
    Continue,
    Quit,
}

pub struct Executor {
    cli: Arc<Cli>,
    bus: mpsc::UnboundedSender<Event>,
    /// Where the terminal's input goes (apart from the bus: see [`super::frame::Inbox`]).
    input_tx: mpsc::UnboundedSender<Event>,
    /// The agent in use; `None` while a replacement is being prepared (ops are dropped then:
    /// the interface queues prompts while an agent starts).
    agent: Option<AgentSlot>,
    /// The latest start asked for; prepared agents of older starts are dropped.
    generation: u64,
    clipboard: Option<arboard::Clipboard>,
    depth: ColorDepth,
    /// The task reading the terminal's input; stopped while another program has the terminal.
    input: Option<tokio::task::JoinHandle<()>>,
    /// The MCP servers, kept across agents.
    mcp: super::mcp_host::McpHost,
}

impl Executor {
    pub fn new(
        cli: Arc<Cli>,
        bus: mpsc::UnboundedSender<Event>,
        input_tx: mpsc::UnboundedSender<Event>,
        depth: ColorDepth,
    ) -> Executor {
        Executor {
            cli,
            bus,
            input_tx,
            agent: None,
            generation: 0,
            clipboard: None,
            depth,
            input: None,
            mcp: Default::default(),
        }
    }

    /// Starts reading the terminal's input.
    pub fn read_input(&mut self) {
        self.input = Some(super::runtime::spawn_input(self.input_tx.clone()));
    }

    /// Hands the terminal to `f` (an editor, a suspension): input reading stops first, so the
    /// other program gets every key, and starts again after.
    /// `/memory`: the scope's instruction file in `$EDITOR`, the terminal handed over.
    fn edit_memory(&mut self, term: &mut Tui, scope: crate::agent::prompt::MemoryScope) {
        let root = self.agent.as_ref().map(|a| a.root.clone());
        let home = crate::config::config_home();
        let file = root.and_then(|r| crate::agent::prompt::memory_file(scope, &r, home.as_deref()));
        let result = match file {
            Some(path) => self.hand_over(term, || super::terminal::edit_file(&path).map(|()| path.clone())),
            None => Err("no workspace or config home to keep the file in".to_string()),
        };
        let _ = self.bus.send(Event::MemoryEdited(result));
    }

    fn hand_over<T>(&mut self, term: &mut Tui, f: impl FnOnce() -> Result<T, String>) -> Result<T, String> {
        if let Some(input) = self.input.take() {
            input.abort();
        }
        let result = term.suspended(f);
        self.read_input();
        result
    }

    /// The agent in use, if one is installed.
    pub fn agent(&self) -> Option<&AgentSlot> {
        self.agent.as_ref()
    }

    /// Runs `job` on a blocking thread and sends its answer on the bus.
    pub fn spawn_io(&self, job: impl FnOnce() -> Event + Send + 'static) {
        let bus = self.bus.clone();
        tokio::task::spawn_blocking(move || {
            let _ = bus.send(job());
        });
    }

    /// Performs one effect.
    pub fn execute(&mut self, effect: Effect, term: &mut Tui) -> Flow {
        match effect {
            Effect::Agent(op) => match &self.agent {
                Some(agent) => {
                    agent.send(op);
                }
                // No agent (one that could not be started): a prompt gets an answer saying so
                // rather than a spinner forever. Other ops have nobody to reach.
                None if matches!(op, Op::UserTurn { .. } | Op::Compact { .. }) => {
                    use crate::agent::{AgentEvent, TurnOutcome};
                    let _ = self.bus.send(Event::Agent(AgentEvent::Error {
                        kind: crate::provider::ErrorKind::Other,
                        message: "no agent is running (it could not be started); /clear tries again".into(),
                        retrying_in_ms: None,
                    }));
                    let _ = self
                        .bus
                        .send(Event::Agent(AgentEvent::TurnFinished { turn_id: 0, outcome: TurnOutcome::Error }));
                }
                None => {}
            },
            Effect::Quit => return Flow::Quit,
            Effect::Bell => super::terminal::bell(),
            Effect::Copy(text) => {
                let result = super::terminal::copy(&mut self.clipboard, &text);
                let _ = self.bus.send(Event::Copied(result));
            }
            Effect::Login => {
                let result = self.hand_over(term, || {
                    // The login is async and this thread runs the interface's runtime: it gets
                    // a thread and a runtime of its own.
                    std::thread::spawn(|| {
                        let endpoints = crate::oauth::Endpoints::from_env();
                        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build();
                        rt.map_err(|e| e.to_string()).and_then(|rt| rt.block_on(crate::oauth::login(&endpoints, false)))
                    })
                    .join()
                    .unwrap_or_else(|_| Err("the login stopped unexpectedly".into()))
                });
                let _ = self.bus.send(Event::LoggedIn(result));
            }
            Effect::OpenEditor(text) => {
                let result = self.hand_over(term, || super::terminal::edit_in_editor(&text));
                let _ = self.bus.send(Event::EditorDone(result));
            }
            Effect::EditMemory(scope) => self.edit_memory(term, scope),
            Effect::Suspend => {
                let _ = self.hand_over(term, || {
                    // SAFETY: raising SIGTSTP stops the process like Ctrl+Z in a shell would;
                    // execution continues here after `fg`.
                    unsafe { libc::raise(libc::SIGTSTP) };
                    Ok::<(), String>(())
                });
            }
            Effect::StartAgent { generation, start } => self.start(generation, start),
            Effect::McpReconnect(name) => self.mcp.reconnect(&name),
            Effect::ReadMcpLog { name, path } => self.spawn_io(move || {
                let lines = super::update::read_mcp_log(&path);
                Event::McpLog { name, lines }
            }),
            Effect::InstallAgent { generation, built } => {
                if generation == self.generation
                    && let Some(built) = built.take()
                {
                    let (config, root) = built.mcp();
                    let hub = self.mcp.hub_for(config, root, &self.bus);
                    self.agent = Some(slot::install(built, hub, &self.bus));
                }
            }
            other => self.execute_io(other),
        }
        Flow::Continue
    }

    /// Effects that are blocking jobs.
    fn execute_io(&mut self, effect: Effect) {
        let (root, cwd, env) = match &self.agent {
            Some(a) => (a.root.clone(), a.cwd.clone(), Some(a.env.clone())),
            None => {
                let here = std::env::current_dir().unwrap_or_default();
                (here.clone(), here, None)
            }
        };
        let depth = self.depth;
        match effect {
            Effect::PersistRule(rule) => {
                self.spawn_io(move || Event::Report(super::rules::persist_allow_rule(&root, &rule)))
            }
            Effect::ListSessions { all } => self.spawn_io(move || jobs::list_sessions(&cwd, all)),
            Effect::LoadPreview(path) => self.spawn_io(move || jobs::preview(path)),
            Effect::RenameSession { path, title } => self.spawn_io(move || jobs::rename(&path, &title)),
            Effect::DeleteSession(path) => self.spawn_io(move || jobs::delete(&path)),
            Effect::Fork(path) => self.spawn_io(move || jobs::fork(&path)),
            Effect::FindSession(id) => self.spawn_io(move || jobs::find_session(&id)),
            Effect::ExportFile(path) => self.spawn_io(move || jobs::export_file(&path)),
            Effect::Export { session, path, json } => {
                self.spawn_io(move || Event::Report(jobs::export(&session, path.as_deref(), json)))
            }
            Effect::DescribeSession(path) => self.spawn_io(move || jobs::describe_session(&path)),
            Effect::ListThemes => self.spawn_io(move || jobs::list_themes(&root, depth)),
            Effect::ShowConfig => {
                let cli = self.cli.clone();
                self.spawn_io(move || jobs::show_config(&cli, &cwd))
            }
            Effect::Reload { changed } => {
                let cli = self.cli.clone();
                self.spawn_io(move || {
                    let settings = Box::new(super::settings::load(&cli, &root, depth));
                    Event::Reloaded { settings, changed }
                })
            }
            Effect::LoadChanges { scope } => {
                if let Some(env) = env {
                    self.spawn_io(move || jobs::load_changes(&cwd, &env, scope))
                }
            }
            Effect::LoadFileDiff { scope, file } => {
                if let Some(env) = env {
                    self.spawn_io(move || jobs::load_file_diff(&cwd, &env, scope, file))
                }
            }
            Effect::ComputeDiff { id, path, old, new } => {
                self.spawn_io(move || jobs::compute_diff(id, &path, old.as_deref(), &new))
            }
            Effect::RememberTrust { root, trusted } => self.spawn_io(move || Event::TrustRemembered {
                trusted,
                result: crate::config::trust::remember(&root, trusted),
            }),
            // Handled by `execute`.
            Effect::Agent(_)
            | Effect::Quit
            | Effect::Bell
            | Effect::Copy(_)
            | Effect::OpenEditor(_)
            | Effect::EditMemory(_)
            | Effect::Login
            | Effect::Suspend
            | Effect::StartAgent { .. }
            | Effect::InstallAgent { .. }
            | Effect::McpReconnect(_)
            | Effect::ReadMcpLog { .. } => {}
        }
    }

    /// Replaces the agent: the old one stops at once, the new one is prepared in the
    /// background and installed when `update` passes it on.
    fn start(&mut self, generation: u64, start: Start) {
        self.generation = generation;
        if let Some(old) = self.agent.take() {
            old.shut_down();
        }
        if let Start::Switch { provider, model, .. } = &start {
            // From now on (/clear included) the run is on the new provider.
            self.cli = Arc::new(slot::switched(&self.cli, provider, model));
        }
        let cli = self.cli.clone();
        let bus = self.bus.clone();
        let depth = self.depth;
        self.spawn_io(move || {
            let result = slot::prepare(&cli, &start, depth, &bus).map(Box::new);
            Event::AgentPrepared { generation, start, result }
        });
    }

    /// Stops the agent and input reading (on quit).
    pub fn shut_down(&mut self) {
        if let Some(old) = self.agent.take() {
            old.shut_down();
        }
        if let Some(input) = self.input.take() {
            input.abort();
        }
    }
}
