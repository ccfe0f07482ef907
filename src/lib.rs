//! claw-tui: a terminal coding agent.
//!
//! The agent core ([`agent`]) drives a model ([`provider`]) and tools ([`tools`]) under a
//! permission policy ([`permission`]), recording the session ([`session`]). Front ends drive
//! it through [`agent::AgentHandle`]: headless mode ([`headless`]) today.
//! See DESIGN.md in the project's shared folder for the architecture.

pub mod agent;
pub mod cli;
pub mod config;
pub mod headless;
pub mod permission;
pub mod provider;
pub mod sanitize;
pub mod session;
pub mod setup;
pub mod tools;

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
    let cli = cli::Cli::parse();
    install_crypto_provider();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("claw-tui: error: cannot start the async runtime: {e}");
            return 1;
        }
    };
    if cli.print || cli.demo {
        return runtime.block_on(headless::run(&cli));
    }
    eprintln!(
        "claw-tui: the full-screen interface is not part of this build yet.\n\
         Run a prompt headless with `claw-tui -p \"...\"`, or watch the offline demo with `claw-tui --demo`."
    );
    2
}
