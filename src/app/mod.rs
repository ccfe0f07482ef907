//! The TUI: an Elm-style loop over one event bus.
//!
//! - [`runtime`]: start-up, the event loop, teardown; [`frame`]: when to draw;
//!   [`executor`]: performs effects, blocking ones as [`jobs`]; [`slot`]: the running agent,
//!   prepared off the loop thread and replaced by /clear, /demo, /resume and forks.
//! - [`event`], [`update`], [`effect`], [`state`]: everything that can happen, the pure
//!   `update(&mut State, Event) -> Vec<Effect>`, what it asks for, and what it changes.
//! - [`settings`]: the interface's settings (effective values, theme, keymap) for start-up and
//!   hot reload; [`watch`] and [`workspace_watch`]: file watchers.
//! - [`keymap`]: keys to actions; [`terminal`]: the terminal itself; [`screen`]: the backend
//!   that writes frames to it (scrolling, short sequences, one write a frame).
//! - [`review`], [`changes`]: the diff review's and /diff's models; [`rules`]: saving
//!   "always allow" rules.
//!
//! Drawing is `crate::ui`'s: a function of [`state::State`] that never changes it.

pub mod changes;
pub mod effect;
pub mod event;
pub mod executor;
pub mod frame;
pub mod jobs;
pub mod keymap;
pub mod mcp_host;
pub mod paint;
pub mod panes;
pub mod review;
pub mod rules;
pub mod runtime;
pub mod screen;
pub mod settings;
pub mod slot;
pub mod state;
pub mod terminal;
pub mod update;
pub mod watch;
pub mod workspace_watch;

pub use runtime::run;

/// Where the project config lives, for messages.
pub fn project_config_path(root: &std::path::Path) -> std::path::PathBuf {
    root.join(".claw").join("config.toml")
}
