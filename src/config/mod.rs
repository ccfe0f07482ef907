//! Settings: where they live, reading them, and resolving them into effective values.
//!
//! - [`settings`]: what a config file may say, and reading the layers of TOML files (the
//!   user's `config.toml` in the config home, the project's `.claw/config.toml`, then
//!   `.claw/config.local.toml`) into one merged table, key by key.
//! - [`resolve`]: the one place precedence is applied (defaults < user < project < local <
//!   environment < flags); every value comes out with its [`Source`].
//! - [`theme`] and [`keymap`]: finding and parsing theme and keymap files (built-in ones
//!   included), for the interface to use.
//! - [`trust`]: folder trust, which decides whether a project's own files may set what widens
//!   claw-tui's reach (provider address, permission mode and rules, keymaps).
//! - [`problem`]: [`Problem`], how every loader says what is wrong and where.
//! - [`describe`]: the report `claw-tui config` and `/config` print; [`edit`]: changing a
//!   list in a settings file, keeping the rest of it as it was.
//!
//! Nothing here draws or decides permissions; it reads files and reports.

use std::path::{Path, PathBuf};

pub mod describe;
pub mod edit;
pub mod keymap;
pub mod problem;
pub mod resolve;
pub mod settings;
pub mod theme;
pub mod trust;

pub use problem::Problem;
pub use resolve::{
    DEFAULT_KEYMAP, DEFAULT_MODEL, DEFAULT_SIDEBAR_MIN_WIDTH, DEFAULT_THEME, Effective, Env, FileState, Layer, Source,
    Sourced, resolve,
};
pub use settings::{KNOWN_KEYS, Loaded, Settings, load_files};

/// The config home: `$CLAW_CONFIG_HOME`, `$CLAUDE_CONFIG_HOME`, or `~/.claw`.
pub fn config_home() -> Option<PathBuf> {
    for var in ["CLAW_CONFIG_HOME", "CLAUDE_CONFIG_HOME"] {
        if let Some(v) = std::env::var_os(var).filter(|v| !v.is_empty()) {
            return Some(PathBuf::from(v));
        }
    }
    directories::BaseDirs::new().map(|d| d.home_dir().join(".claw"))
}

/// Where sessions are stored.
pub fn sessions_root() -> Option<PathBuf> {
    config_home().map(|h| h.join("sessions"))
}

/// The config files that apply to a workspace rooted at `root`, lowest precedence first, each
/// with its layer.
pub fn config_files(root: &Path) -> Vec<(Layer, PathBuf)> {
    let mut files = Vec::new();
    if let Some(home) = config_home() {
        files.push((Layer::User, home.join("config.toml")));
    }
    files.push((Layer::Project, root.join(".claw").join("config.toml")));
    files.push((Layer::Local, root.join(".claw").join("config.local.toml")));
    files
}

/// Reads and merges the config files of a workspace.
pub fn load(root: &Path) -> Loaded {
    load_files(&config_files(root))
}

/// Reads the config files of the workspace at `root` and resolves them with the command line
/// and the process's environment: the effective settings. The folder's trust comes from
/// `--trust` or the user's own file.
pub fn effective(cli: &crate::cli::Cli, root: &Path) -> Effective {
    let files = config_files(root);
    let loaded = load_files(&files);
    let trust = if cli.trust { trust::Trust::Trusted } else { trust::of(&loaded.user.trust, root) };
    let mut effective = resolve(cli, &Env::from_process(), &loaded, &files, trust);
    let (mcp, withheld, problems) = crate::mcp::config::resolve(&loaded, root, trust, &|name| std::env::var(name).ok());
    effective.mcp = mcp;
    effective.withheld.extend(withheld);
    effective.problems.extend(problems);
    let (hooks, withheld, problems) = crate::extend::hooks::resolve(root, trust);
    effective.hooks = hooks;
    effective.withheld.extend(withheld);
    effective.problems.extend(problems);
    effective
}
