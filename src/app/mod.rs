//! The TUI runtime: terminal setup and teardown, the event bus, the frame scheduler, and the
//! executor of effects.
//!
//! ```text
//!  crossterm EventStream ─┐
//!  agent events ──────────┼─► mpsc<Event> ─► update(&mut State, Event) ─► Vec<Effect> ─► executor
//!  signals, ticks ────────┘                        └─► dirty ─► render(&State) (≤ 120 fps)
//! ```
//!
//! All queued events are applied, then one frame is drawn if anything changed, inside a
//! synchronized update so the terminal never shows half a frame. Nothing ticks while nothing
//! moves: an idle claw-tui draws nothing and wakes for nothing.

pub mod changes;
pub mod effect;
pub mod event;
pub mod keymap;
pub mod replay;
pub mod review;
pub mod rules;
pub mod state;
pub mod terminal;
pub mod update;
pub mod watch;
pub mod workspace_watch;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use tokio::sync::mpsc;

use self::effect::Effect;
use self::event::Event;
use self::state::State;
use crate::agent::{self, AgentHandle, Op};
use crate::cli::Cli;
use crate::setup::{self, DemoWorkspace};
use crate::ui;

/// Shortest time between two frames: 120 frames a second at most.
const FRAME_INTERVAL: Duration = Duration::from_millis(8);
/// Animation clock while something moves (spinners advance ten times a second).
const TICK_INTERVAL: Duration = Duration::from_millis(100);
/// Most events applied before a frame is drawn, so a flood cannot starve the screen.
const MAX_EVENTS_PER_FRAME: usize = 4096;

/// The agent and the task forwarding its events, replaced by /clear and /demo.
struct AgentSlot {
    handle: mpsc::UnboundedSender<Op>,
    forwarder: tokio::task::JoinHandle<()>,
    /// The agent's workspace root: where "always allow" rules are saved.
    root: PathBuf,
    /// The agent's working directory: which project's sessions /resume lists.
    root_cwd: PathBuf,
    /// The agent's tools' shared state: /diff reads the session's checkpoints from it.
    env: std::sync::Arc<crate::tools::ToolEnv>,
    /// Watches the workspace for changes from outside; replaced with the agent.
    _workspace_watch: Option<workspace_watch::WorkspaceWatcher>,
    /// Keeps the demo's scratch directory alive while the demo agent works in it.
    _demo: Option<DemoWorkspace>,
}

/// A started agent and what the interface needs to know about its setup.
struct Started {
    slot: AgentSlot,
    has_credentials: bool,
    models: Vec<String>,
    theme: String,
    keymap: String,
    interface: setup::Interface,
}

/// Starts an agent (continuing the session in `resume`, if given).
fn start_agent(
    cli: &Cli,
    demo: Option<DemoWorkspace>,
    resume: Option<&std::path::Path>,
    bus: &mpsc::UnboundedSender<Event>,
) -> Result<Started, String> {
    let cwd = match &demo {
        Some(d) => d.dir.path().to_path_buf(),
        None => std::env::current_dir().map_err(|e| format!("cannot read the working directory: {e}"))?,
    };
    let built = setup::build(cli, &cwd, demo.as_ref().map(|d| &d.scenario), true, resume)?;
    let mut built = built;
    if let Some(records) = built.resumed.take() {
        let _ = bus.send(Event::Restore(replay::items(records)));
    }
    for w in &built.warnings {
        let _ = bus.send(Event::Agent(agent::AgentEvent::Warning { message: w.clone() }));
    }
    let has_credentials = built.has_credentials;
    let (models, theme, keymap, interface) = (built.models, built.theme, built.keymap, built.interface);
    let root = built.env.workspace.root.clone();
    let root_cwd = built.env.workspace.cwd.clone();
    let env = built.env.clone();
    let workspace_watch = match workspace_watch::watch_workspace(&root, bus.clone()) {
        Ok(w) => Some(w),
        Err(e) => {
            let _ = bus.send(Event::Notice(format!(
                "changes made outside claw-tui will not be noticed (/diff does not refresh by itself): {e}"
            )));
            None
        }
    };
    let AgentHandle { ops, mut events } = agent::spawn(built.config, built.provider, built.registry, built.env);
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
    Ok(Started {
        slot: AgentSlot { handle: ops, forwarder, root, root_cwd, env, _workspace_watch: workspace_watch, _demo: demo },
        has_credentials,
        models,
        theme,
        keymap,
        interface,
    })
}

/// Runs the full-screen UI until the user quits; returns the exit status.
pub async fn run(cli: &Cli) -> i32 {
    let started = Instant::now();
    // Syntax highlighting loads its grammars in the background while the first frame draws.
    std::thread::spawn(ui::highlight::warm_up);
    let (bus, mut rx) = mpsc::unbounded_channel::<Event>();

    let theme = ui::theme::Theme::dark();
    let keymap = keymap::Keymap::default_keymap();
    let mut state = State::new(theme, keymap);

    let demo = if cli.demo {
        match setup::demo_workspace() {
            Ok(d) => Some(d),
            Err(e) => {
                eprintln!("claw-tui: error: {e}");
                return 1;
            }
        }
    } else {
        None
    };
    let demo_prompt = demo.as_ref().and_then(|d| d.scenario.prompt.clone());
    let Started { mut slot, has_credentials, models, theme: theme_name, keymap: keymap_name, interface } =
        match start_agent(cli, demo, None, &bus) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("claw-tui: error: {e}");
                return 1;
            }
        };
    state.status.branch = agent::prompt::git_branch(&slot.root);
    if !has_credentials {
        state.transcript.push(state::CellKind::Welcome);
    }
    if !models.is_empty() {
        state.models = models;
    }
    state.show_todos = interface.show_todos;
    state.show_sidebar = interface.show_sidebar;
    state.sidebar_min_width = interface.sidebar_min_width;
    state.diff_view = interface.diff_view;
    state.bell = interface.bell;
    let depth = ui::theme::ColorDepth::detect();
    ui::highlight::set_color_depth(depth);
    let (theme, problems) = ui::theme::resolve(&theme_name, &ui::theme::theme_dirs(&slot.root));
    state.theme = theme.adapted(depth);
    let (keymap, keymap_problems, _) = keymap::resolve_keymap(&keymap_name, &keymap::keymap_dirs(&slot.root));
    state.keymap = keymap;
    for message in keymap_problems {
        let _ = bus.send(Event::Agent(agent::AgentEvent::Warning { message }));
    }
    for message in problems {
        let _ = bus.send(Event::Agent(agent::AgentEvent::Warning { message }));
    }

    let mut term = match terminal::Tui::enter() {
        Ok(t) => t,
        Err(e) => {
            eprintln!("claw-tui: error: cannot set up the terminal: {e}");
            return 1;
        }
    };
    if let Ok(size) = term.size() {
        state.size = (size.width, size.height);
    }
    if cli.resume.as_deref().is_some_and(|id| id.trim().is_empty()) {
        let _ = bus.send(Event::Command("/resume".into()));
    }
    // Hot reload: the config files and the files the theme and keymap could come from.
    let mut watched = crate::config::config_files(&slot.root);
    for dir in ui::theme::theme_dirs(&slot.root) {
        watched.push(dir.join(format!("{theme_name}.toml")));
        watched.push(dir.join(format!("{theme_name}.json")));
    }
    for dir in keymap::keymap_dirs(&slot.root) {
        watched.push(dir.join(format!("{keymap_name}.toml")));
    }
    let _watcher = match watch::watch(&watched, bus.clone()) {
        Ok(w) => Some(w),
        Err(e) => {
            let _ = bus.send(Event::Notice(format!("settings files will not reload by themselves: {e}")));
            None
        }
    };
    let mut reload_state = Reload {
        theme: theme_name.clone(),
        keymap: keymap_name.clone(),
        settings: crate::config::load(&slot.root).settings,
        depth,
    };
    let mut input = spawn_input(bus.clone());
    spawn_signals(bus.clone());
    if let Some(prompt) = demo_prompt {
        let _ = bus.send(Event::Agent(agent::AgentEvent::Warning {
            message: "demo: a scripted model, real tools, in a scratch directory; nothing here touches your files"
                .into(),
        }));
        let _ = bus.send(Event::SubmitPrompt(prompt));
    }

    let mut clipboard: Option<arboard::Clipboard> = None;
    let mut dirty = true;
    let mut last_draw: Option<Instant> = None;
    loop {
        // Wait for an event, the next allowed frame, or the animation clock.
        let wait = if dirty {
            last_draw.map(|t| FRAME_INTERVAL.saturating_sub(t.elapsed())).unwrap_or_default()
        } else if state.is_animating() {
            TICK_INTERVAL
        } else {
            Duration::from_secs(3600)
        };
        let first = tokio::select! {
            ev = rx.recv() => ev,
            _ = tokio::time::sleep(wait) => if !dirty && state.is_animating() { Some(Event::Tick) } else { None },
        };
        let mut batch: Vec<Event> = first.into_iter().collect();
        while batch.len() < MAX_EVENTS_PER_FRAME {
            match rx.try_recv() {
                Ok(ev) => batch.push(ev),
                Err(_) => break,
            }
        }
        for ev in batch {
            if matches!(&ev, Event::Mouse(m) if matches!(m.kind, crossterm::event::MouseEventKind::Moved)) {
                continue;
            }
            if let Event::FilesChanged(_) = &ev {
                let reloaded = reload(cli, &slot, &mut reload_state);
                let _ = bus.send(reloaded);
            }
            state.now_ms = started.elapsed().as_millis() as u64;
            let effects = update::update(&mut state, ev);
            dirty = true;
            for fx in effects {
                match fx {
                    Effect::Agent(op) => {
                        let _ = slot.handle.send(op);
                    }
                    Effect::Quit => state.quit = true,
                    Effect::Bell => {
                        use std::io::Write;
                        let mut out = std::io::stdout();
                        let _ = out.write_all(b"\x07");
                        let _ = out.flush();
                    }
                    Effect::Copy(text) => {
                        let result = copy(&mut clipboard, &text);
                        let _ = bus.send(Event::Copied(result));
                    }
                    Effect::PersistRule(rule) => {
                        let _ = bus.send(Event::Report(rules::persist_allow_rule(&slot.root, &rule)));
                    }
                    Effect::OpenEditor(text) => {
                        input.abort();
                        let result = term.suspended(|| edit_in_editor(&text));
                        input = spawn_input(bus.clone());
                        let _ = bus.send(Event::EditorDone(result));
                    }
                    Effect::Suspend => {
                        input.abort();
                        term.suspended(|| {
                            // SAFETY: raising SIGTSTP stops the process like Ctrl+Z in a shell
                            // would; execution continues here after `fg`.
                            unsafe { libc::raise(libc::SIGTSTP) };
                            Ok::<(), String>(())
                        })
                        .ok();
                        input = spawn_input(bus.clone());
                    }
                    Effect::ListSessions { all } => list_sessions(&slot, all, &bus),
                    Effect::LoadPreview(path) => {
                        let bus = bus.clone();
                        tokio::task::spawn_blocking(move || {
                            let lines = crate::session::manage::preview(&path)
                                .unwrap_or_else(|e| vec![format!("cannot read {}: {e}", path.display())]);
                            let _ = bus.send(Event::Preview { path, lines });
                        });
                    }
                    Effect::RenameSession { path, title } => {
                        let _ = bus.send(Event::Report(crate::session::manage::rename(&path, &title)));
                        refresh_browser(&state, &slot, &bus);
                    }
                    Effect::ListThemes => {
                        let dirs = ui::theme::theme_dirs(&slot.root);
                        let themes = ui::theme::available(&dirs)
                            .into_iter()
                            .map(|name| {
                                let (theme, _) = ui::theme::resolve(&name, &dirs);
                                let theme = theme.adapted(depth);
                                let builtin = ui::theme::BUILTIN.iter().any(|(n, _)| *n == name)
                                    && !dirs.iter().any(|d| {
                                        d.join(format!("{name}.toml")).exists()
                                            || d.join(format!("{name}.json")).exists()
                                    });
                                (name, theme, builtin)
                            })
                            .collect();
                        let _ = bus.send(Event::Themes(themes));
                    }
                    Effect::ShowConfig => {
                        let (text, warnings) = setup::describe_config(cli, &slot.root_cwd);
                        let mut text = text.trim_end().to_string();
                        for w in warnings {
                            text.push_str(&format!("\n! {w}"));
                        }
                        let _ = bus.send(Event::Notice(text));
                    }
                    Effect::DescribeSession(path) => {
                        let text = match crate::session::index::load(&path) {
                            Ok(s) => format!(
                                "session {} \"{}\" · {} · {} · {} messages · started {} · /resume to switch",
                                s.id,
                                s.display_title(),
                                path.display(),
                                crate::ui::cost::bytes(s.file_len),
                                s.messages,
                                s.created.map(|c| c.format("%Y-%m-%d %H:%M UTC").to_string()).unwrap_or_default(),
                            ),
                            Err(e) => format!("cannot read {}: {e}", path.display()),
                        };
                        let _ = bus.send(Event::Notice(text));
                    }
                    Effect::LoadChanges { scope } => load_changes(&slot, scope, &bus),
                    Effect::ComputeDiff { id, path, old, new } => {
                        let bus = bus.clone();
                        tokio::task::spawn_blocking(move || {
                            let file = review::DiffFile::new(&path, old.as_deref(), Some(&new));
                            let _ = bus.send(Event::DiffReady { id, file: Box::new(file) });
                        });
                    }
                    Effect::LoadFileDiff { scope, file } => load_file_diff(&slot, scope, file, &bus),
                    Effect::ExportFile(path) => {
                        let _ = bus.send(Event::Report(export_file(&path)));
                    }
                    Effect::DeleteSession(path) => {
                        let result = crate::config::sessions_root()
                            .ok_or_else(|| "no sessions directory".to_string())
                            .and_then(|root| crate::session::manage::trash(&root, &path));
                        let _ = bus.send(Event::Report(result));
                        refresh_browser(&state, &slot, &bus);
                    }
                    Effect::Fork(path) => match crate::session::manage::fork(&path) {
                        Ok(new_path) => {
                            let _ = bus.send(Event::Report(Ok("forked: this is a new session".into())));
                            restart_with(&mut slot, cli, &new_path, &bus);
                        }
                        Err(e) => {
                            let _ = bus.send(Event::Report(Err(format!("fork failed: {e}"))));
                        }
                    },
                    Effect::Export { path, json } => {
                        let _ = bus.send(Event::Report(export_session(&state, path.as_deref(), json)));
                    }
                    Effect::Resume(path) => restart_with(&mut slot, cli, &path, &bus),
                    Effect::NewSession | Effect::StartDemo => {
                        let demo = matches!(fx, Effect::StartDemo);
                        let workspace = if demo {
                            match setup::demo_workspace() {
                                Ok(d) => Some(d),
                                Err(e) => {
                                    let _ = bus.send(Event::Agent(agent::AgentEvent::Warning { message: e }));
                                    continue;
                                }
                            }
                        } else {
                            None
                        };
                        let prompt = workspace.as_ref().and_then(|d| d.scenario.prompt.clone());
                        let _ = slot.handle.send(Op::Shutdown);
                        slot.forwarder.abort();
                        match start_agent(cli, workspace, None, &bus) {
                            Ok(Started { slot: new, has_credentials: creds, .. }) => {
                                slot = new;
                                let branch = agent::prompt::git_branch(&slot.root);
                                let _ = bus.send(Event::AgentRestarted { welcome: !creds && !demo, branch });
                                if let Some(p) = prompt {
                                    let _ = bus.send(Event::SubmitPrompt(p));
                                }
                            }
                            Err(e) => {
                                let _ = bus.send(Event::Agent(agent::AgentEvent::Error {
                                    kind: crate::provider::ErrorKind::Config,
                                    message: e,
                                    retrying_in_ms: None,
                                }));
                            }
                        }
                    }
                }
            }
        }
        if state.quit {
            break;
        }
        let due = last_draw.is_none_or(|t| t.elapsed() >= FRAME_INTERVAL);
        if dirty && due {
            if let Err(e) = term.draw(&state) {
                drop(term);
                eprintln!("claw-tui: error: drawing failed: {e}");
                return 1;
            }
            dirty = false;
            if last_draw.is_none() {
                release_freed_memory();
            }
            last_draw = Some(Instant::now());
        }
    }
    let _ = slot.handle.send(Op::Shutdown);
    input.abort();
    drop(term);
    0
}

/// Gives memory freed during start-up (a resumed session's parsing) back to the system, so
/// the resident size reflects what is in use. glibc keeps freed blocks otherwise.
fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free heap pages; it has no preconditions.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Reads terminal input into the bus.
fn spawn_input(bus: mpsc::UnboundedSender<Event>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut stream = crossterm::event::EventStream::new();
        while let Some(Ok(ev)) = stream.next().await {
            let ev = match ev {
                crossterm::event::Event::Key(k) => Event::Key(k),
                crossterm::event::Event::Paste(p) => Event::Paste(p),
                crossterm::event::Event::Mouse(m) => Event::Mouse(m),
                crossterm::event::Event::Resize(w, h) => Event::Resize(w, h),
                crossterm::event::Event::FocusGained => Event::Focus(true),
                crossterm::event::Event::FocusLost => Event::Focus(false),
            };
            if bus.send(ev).is_err() {
                break;
            }
        }
    })
}

/// SIGTERM and SIGHUP end the UI cleanly (the terminal is restored on the way out).
fn spawn_signals(bus: mpsc::UnboundedSender<Event>) {
    use tokio::signal::unix::{SignalKind, signal};
    for kind in [SignalKind::terminate(), SignalKind::hangup()] {
        let bus = bus.clone();
        if let Ok(mut s) = signal(kind) {
            tokio::spawn(async move {
                if s.recv().await.is_some() {
                    let _ = bus.send(Event::Terminate);
                }
            });
        }
    }
}

/// Copies to the system clipboard, or with OSC 52 where there is none (SSH, tmux, no display).
fn copy(clipboard: &mut Option<arboard::Clipboard>, text: &str) -> Result<String, String> {
    if clipboard.is_none() {
        *clipboard = arboard::Clipboard::new().ok();
    }
    if let Some(cb) = clipboard.as_mut()
        && cb.set_text(text.to_string()).is_ok()
    {
        return Ok(format!("{} characters to the clipboard", text.chars().count()));
    }
    terminal::osc52_copy(text).map_err(|e| e.to_string())?;
    Ok(format!("{} characters via the terminal (OSC 52)", text.chars().count()))
}

/// Opens `$VISUAL` / `$EDITOR` (else `vi`) on the text; returns the edited text.
fn edit_in_editor(text: &str) -> Result<String, String> {
    let file = tempfile::Builder::new().prefix("claw-prompt-").suffix(".md").tempfile().map_err(|e| e.to_string())?;
    std::fs::write(file.path(), text).map_err(|e| e.to_string())?;
    let editor = std::env::var("VISUAL").or_else(|_| std::env::var("EDITOR")).unwrap_or_else(|_| "vi".into());
    let mut parts = editor.split_whitespace();
    let program = parts.next().unwrap_or("vi");
    let status = std::process::Command::new(program)
        .args(parts)
        .arg(file.path())
        .status()
        .map_err(|e| format!("cannot start `{editor}`: {e}"))?;
    if !status.success() {
        return Err(format!("`{editor}` exited with {status}"));
    }
    std::fs::read_to_string(file.path()).map_err(|e| e.to_string())
}

/// What hot reload compares against.
struct Reload {
    theme: String,
    keymap: String,
    settings: crate::config::Settings,
    depth: ui::theme::ColorDepth,
}

/// Re-reads the settings after `files` changed: a new theme or keymap when it loads cleanly
/// (a broken save keeps the last good one, with a notice), and model or permission-mode
/// changes passed to the agent.
fn reload(cli: &Cli, slot: &AgentSlot, last: &mut Reload) -> Event {
    let loaded = crate::config::load(&slot.root);
    let mut notices: Vec<String> = loaded.warnings.clone();
    let s = loaded.settings;
    let theme_name = cli.theme.clone().or(s.theme.clone()).unwrap_or_else(|| "dark".into());
    let keymap_name = cli.keymap.clone().or(s.keymap.clone()).unwrap_or_else(|| "default".into());
    let (theme, problems) = ui::theme::resolve(&theme_name, &ui::theme::theme_dirs(&slot.root));
    let theme = if problems.is_empty() {
        Some(theme.adapted(last.depth))
    } else {
        notices.extend(problems.into_iter().map(|p| format!("{p} (keeping the last good theme)")));
        None
    };
    let (keymap, problems, _) = keymap::resolve_keymap(&keymap_name, &keymap::keymap_dirs(&slot.root));
    let keymap = if problems.is_empty() {
        Some(keymap)
    } else {
        notices.extend(problems.into_iter().map(|p| format!("{p} (keeping the last good keymap)")));
        None
    };
    if cli.model.is_none()
        && std::env::var_os("ANTHROPIC_MODEL").is_none()
        && s.model != last.settings.model
        && let Some(m) = s.model.clone()
    {
        let _ = slot.handle.send(Op::SetModel { model: m });
    }
    if cli.permission_mode.is_none()
        && s.permission_mode != last.settings.permission_mode
        && let Some(Ok(mode)) = s.permission_mode.as_deref().map(str::parse)
    {
        let _ = slot.handle.send(Op::SetPermissionMode { mode });
    }
    last.theme = theme_name;
    last.keymap = keymap_name;
    last.settings = s;
    Event::Reloaded { theme, keymap, notices }
}

/// Replaces the agent with one continuing the session in `path` (a fresh one if that fails).
fn restart_with(slot: &mut AgentSlot, cli: &Cli, path: &std::path::Path, bus: &mpsc::UnboundedSender<Event>) {
    let _ = slot.handle.send(Op::Shutdown);
    slot.forwarder.abort();
    let branch = agent::prompt::git_branch(&slot.root);
    let _ = bus.send(Event::AgentRestarted { welcome: false, branch });
    match start_agent(cli, None, Some(path), bus) {
        Ok(started) => *slot = started.slot,
        Err(e) => {
            let _ = bus.send(Event::Report(Err(e)));
            if let Ok(started) = start_agent(cli, None, None, bus) {
                *slot = started.slot;
            }
        }
    }
}

/// Reads the session list (this project's, or all) in the background; answers with
/// `Event::Sessions`.
fn list_sessions(slot: &AgentSlot, all: bool, bus: &mpsc::UnboundedSender<Event>) {
    let cwd = slot.root_cwd.clone();
    let bus = bus.clone();
    tokio::task::spawn_blocking(move || {
        let list = crate::config::sessions_root()
            .map(|root| {
                let dir = crate::session::project_dir(&root, &cwd);
                crate::session::index::list(&root, if all { None } else { Some(&dir) })
            })
            .unwrap_or_default();
        let _ = bus.send(Event::Sessions { list, all });
    });
}

/// Asks for the session list again when the browser is open (after a change to a session).
fn refresh_browser(state: &State, slot: &AgentSlot, bus: &mpsc::UnboundedSender<Event>) {
    if let Some(state::Overlay::Sessions(b)) = state.overlays.last() {
        list_sessions(slot, b.all_projects, bus);
    }
}

/// Writes a saved session as Markdown into the working directory.
/// Lists the changed files for /diff in the background. Outside a git repository the session's
/// changes are all there is.
fn load_changes(slot: &AgentSlot, scope: changes::Scope, bus: &mpsc::UnboundedSender<Event>) {
    let cwd = slot.root_cwd.clone();
    let env = slot.env.clone();
    let bus = bus.clone();
    tokio::task::spawn_blocking(move || {
        let git = changes::in_git(&cwd);
        let scope = if git { scope } else { changes::Scope::Session };
        let result = match scope {
            changes::Scope::WorkingTree => changes::working_tree_changes(&cwd),
            changes::Scope::Session => {
                changes::session_changes(&cwd, &env.checkpoints.lock().expect("checkpoints lock"))
            }
        };
        let _ = bus.send(Event::Changes { scope, git, result });
    });
}

/// Computes one file's diff for /diff in the background: a large file never stalls the screen.
fn load_file_diff(
    slot: &AgentSlot,
    scope: changes::Scope,
    file: changes::ChangedFile,
    bus: &mpsc::UnboundedSender<Event>,
) {
    let cwd = slot.root_cwd.clone();
    let env = slot.env.clone();
    let bus = bus.clone();
    tokio::task::spawn_blocking(move || {
        let diff = match scope {
            changes::Scope::WorkingTree => changes::working_tree_diff(&cwd, &file),
            changes::Scope::Session => {
                changes::session_diff(&cwd, &env.checkpoints.lock().expect("checkpoints lock"), &file.path)
            }
        };
        let _ = bus.send(Event::FileDiff { scope, path: file.path, file: Box::new(diff) });
    });
}

fn export_file(path: &std::path::Path) -> Result<String, String> {
    let (records, _) =
        crate::session::read_records(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let summary = crate::session::index::load(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let short: String = summary.id.chars().take(8).collect();
    let target = PathBuf::from(format!("claw-session-{short}.md"));
    std::fs::write(&target, crate::session::export::markdown(&summary, &records))
        .map_err(|e| format!("cannot write {}: {e}", target.display()))?;
    Ok(format!("exported to {}", target.display()))
}

/// Writes the current session to a file as Markdown or JSON; returns what was written.
fn export_session(state: &State, path: Option<&str>, json: bool) -> Result<String, String> {
    let file =
        state.status.session_file.as_ref().ok_or("this session is not saved, so there is nothing to export yet")?;
    let (records, _) =
        crate::session::read_records(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    let summary = crate::session::index::load(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    let target = PathBuf::from(path.map(str::to_string).unwrap_or_else(|| {
        let short: String = summary.id.chars().take(8).collect();
        format!("claw-session-{short}.{}", if json { "json" } else { "md" })
    }));
    let text = if json {
        serde_json::to_string_pretty(&crate::session::export::json(&summary, &records)).map_err(|e| e.to_string())?
    } else {
        crate::session::export::markdown(&summary, &records)
    };
    std::fs::write(&target, text).map_err(|e| format!("cannot write {}: {e}", target.display()))?;
    Ok(format!("exported to {}", target.display()))
}

/// Where the project config lives, for messages.
pub fn project_config_path(root: &std::path::Path) -> PathBuf {
    root.join(".claw").join("config.toml")
}
