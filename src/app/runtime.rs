//! The TUI's runtime: start-up, the event loop, and teardown.
//!
//! ```text
//!  crossterm EventStream ───► input ─┐
//!  agent events ──────────┐          ├─► update(&mut State, Event) ─► Vec<Effect> ─► executor
//!  file watchers ─────────┼─► bus ───┘          └─► frame clock ─► render(&State) (paced)
//!  signals, jobs ─────────┘
//! ```
//!
//! Start-up reads what the first frame needs (the agent, the settings) before the loop runs.
//! Input and the bus are two channels ([`Inbox`]) so that a stream's frame, waiting for its
//! time, is woken by a key but not by every delta. Then all queued events are applied, effects go to the [`Executor`], and one frame is drawn
//! when the [`FrameClock`] says one is due, inside a synchronized update so the terminal never
//! shows half a frame. Nothing ticks while nothing moves.

use std::sync::Arc;

use futures_util::StreamExt;
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::event::Event;
use super::executor::{Executor, Flow};
use super::frame::{FrameClock, Inbox, Woke};
use super::slot::{self, Start};
use super::state::State;
use super::terminal::Tui;
use super::{settings, update, watch};
use crate::cli::Cli;
use crate::ui;

/// Most events applied before a frame is drawn, so a flood cannot starve the screen.
const MAX_EVENTS_PER_FRAME: usize = 4096;

/// Runs the full-screen UI until the user quits; returns the exit status.
pub async fn run(cli: &Cli) -> i32 {
    let started = Instant::now();
    // Syntax highlighting loads its grammars in the background while the first frame draws.
    std::thread::spawn(ui::highlight::warm_up);
    let (bus, rx) = mpsc::unbounded_channel::<Event>();
    let (input, input_rx) = mpsc::unbounded_channel::<Event>();
    let cli = Arc::new(cli.clone());
    let depth = ui::theme::ColorDepth::detect();
    ui::highlight::set_color_depth(depth);

    let prepared = match slot::prepare(&cli, &Start::Launch, depth, &bus) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("claw-tui: error: {e}");
            return 1;
        }
    };
    let settings = prepared.interface.as_deref().expect("a launch reads the interface's settings");
    let watched = settings::watched_files(&prepared.root, &settings.effective);
    let mut state = State::from_setup(settings);

    let mut term = match Tui::enter() {
        Ok(t) => t,
        Err(e) => {
            eprintln!("claw-tui: error: cannot set up the terminal: {e}");
            return 1;
        }
    };
    if let Ok(size) = term.size() {
        state.size = (size.width, size.height);
    }
    let _ = bus.send(Event::AgentPrepared { generation: 0, start: Start::Launch, result: Ok(Box::new(prepared)) });
    if cli.resume.as_deref().is_some_and(|id| id.trim().is_empty()) {
        let _ = bus.send(Event::Command("/resume".into()));
    }
    // Hot reload: the config files and the files the theme and keymap could come from.
    let _watcher = match watch::watch(&watched, bus.clone()) {
        Ok(w) => Some(w),
        Err(e) => {
            let _ = bus.send(Event::Notice(format!("settings files will not reload by themselves: {e}")));
            None
        }
    };
    let mut executor = Executor::new(cli, bus.clone(), input, depth);
    executor.read_input();
    spawn_signals(bus);
    let mut inbox = Inbox::new(input_rx, rx);
    let code = event_loop(&mut state, &mut inbox, &mut executor, &mut term, started).await;
    executor.shut_down();
    drop(term);
    code
}

/// Applies events and draws frames until the person quits; returns the exit status.
async fn event_loop(
    state: &mut State,
    inbox: &mut Inbox<Event>,
    executor: &mut Executor,
    term: &mut Tui,
    started: Instant,
) -> i32 {
    let mut clock = FrameClock::new();
    loop {
        let first = match clock.next(inbox, state.is_animating()).await {
            Woke::Event(ev) => Some(ev),
            Woke::Tick => Some(Event::Tick),
            Woke::Frame => None,
            Woke::Closed => return 0,
        };
        let mut batch: Vec<Event> = first.into_iter().collect();
        while batch.len() < MAX_EVENTS_PER_FRAME {
            match inbox.try_next() {
                Some(ev) => batch.push(ev),
                None => break,
            }
        }
        for ev in batch {
            if matches!(&ev, Event::Mouse(m) if matches!(m.kind, crossterm::event::MouseEventKind::Moved)) {
                continue;
            }
            state.now_ms = started.elapsed().as_millis() as u64;
            clock.request(ev.urgency());
            let effects = update::update(state, ev);
            for fx in effects {
                if executor.execute(fx, term) == Flow::Quit {
                    state.quit = true;
                }
            }
        }
        if state.quit {
            return 0;
        }
        let now = Instant::now();
        if clock.due(now) {
            if let Err(e) = term.draw(state) {
                super::terminal::restore();
                eprintln!("claw-tui: error: drawing failed: {e}");
                return 1;
            }
            if clock.first() {
                release_freed_memory();
            }
            clock.drawn(now);
        }
    }
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

/// Reads terminal input into the loop's input channel.
pub(super) fn spawn_input(bus: mpsc::UnboundedSender<Event>) -> tokio::task::JoinHandle<()> {
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
