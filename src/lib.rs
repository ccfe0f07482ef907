//! claw-tui: a terminal coding agent.
//!
//! The agent core ([`agent`]) drives a model ([`provider`]) and tools ([`tools`]) under a
//! permission policy ([`permission`]), recording the session ([`session`]). Front ends drive
//! it through [`agent::AgentHandle`]: the full-screen UI ([`app`], drawn by [`ui`]) and
//! headless mode ([`headless`]).
//! See DESIGN.md in the project's shared folder for the architecture.

pub mod agent;
pub mod app;
pub mod child;
pub mod cli;
pub mod commands;
pub mod config;
pub mod extend;
pub mod files;
pub mod headless;
pub mod mcp;
pub mod oauth;
pub mod permission;
pub mod provider;
pub mod sandbox;
pub mod sanitize;
pub mod session;
pub mod setup;
pub mod tools;
pub mod ui;

use clap::Parser;

/// Installs the TLS crypto provider (ring) once; later calls do nothing.
pub fn install_crypto_provider() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// Runs claw-tui with the process's arguments; returns the exit status.
pub fn run() -> i32 {
    // Before anything else: children started from here on cannot read this process's memory
    // or environment (where the API key is).
    child::harden_self();
    let cli = cli::Cli::parse();
    match &cli.command {
        Some(cli::Command::Sessions { action }) => return commands::sessions(action),
        Some(cli::Command::Config) => return commands::config(&cli),
        Some(cli::Command::Login { no_browser }) => return commands::login(*no_browser),
        Some(cli::Command::Logout) => return commands::logout(),
        Some(cli::Command::Models { provider, json }) => return commands::models(&cli, provider.as_deref(), *json),
        Some(cli::Command::Trust { dir, revoke }) => return commands::trust(dir.as_deref(), *revoke),
        Some(cli::Command::Mcp { action }) => return mcp::manage::run(&cli, action),
        None => {}
    }
    install_crypto_provider();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("claw-tui: error: cannot start the async runtime: {e}");
            return 1;
        }
    };
    if cli.print {
        let code = runtime.block_on(headless::run(&cli));
        runtime.shutdown_timeout(std::time::Duration::from_millis(500));
        // Whatever the agent's commands left running ends with claw-tui.
        child::stop_all();
        return code;
    }
    if !std::io::IsTerminal::is_terminal(&std::io::stdout()) || !std::io::IsTerminal::is_terminal(&std::io::stdin()) {
        eprintln!("claw-tui: error: the full-screen interface needs a terminal; use -p for scripts and pipes");
        return 2;
    }
    let code = runtime.block_on(app::run(&cli));
    // The agent stops with the runtime; do not wait for stragglers.
    runtime.shutdown_timeout(std::time::Duration::from_millis(500));
    child::stop_all();
    code
}
