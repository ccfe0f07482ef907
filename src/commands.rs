//! `claw-tui sessions ...`: sessions for scripts.

use std::io::Write;

use crate::cli::{ExportFormat, SessionsCommand};
use crate::session::{self, index};

/// `claw-tui config`: the effective settings with their sources and every problem found (in
/// the config layers, the theme and the keymap); the problems on stderr too, for scripts.
pub fn config(cli: &crate::cli::Cli) -> i32 {
    let cwd = match std::env::current_dir() {
        Ok(d) => d,
        Err(e) => {
            eprintln!("claw-tui: error: cannot read the working directory: {e}");
            return 1;
        }
    };
    let (text, problems) = crate::config::describe::describe(cli, &cwd);
    print!("{text}");
    let _ = std::io::stdout().flush();
    for p in &problems {
        eprintln!("claw-tui: warning: {p}");
    }
    0
}

/// The workspace the working directory belongs to (the directory itself outside a repository),
/// or `None` after saying why there is none.
pub fn workspace_root() -> Option<std::path::PathBuf> {
    match std::env::current_dir() {
        Ok(cwd) => Some(crate::tools::Workspace::discover(&cwd).map(|w| w.root).unwrap_or(cwd)),
        Err(e) => {
            eprintln!("claw-tui: error: cannot read the working directory: {e}");
            None
        }
    }
}

/// `claw-tui models [--provider NAME] [--json]`: without a provider, every provider's known
/// models and the server of the one in use (when it is OpenAI-compatible); with one, its
/// known models and its server's list. A server that cannot be reached is said on stderr; the
/// status is 1 when nothing could be listed.
pub fn models(cli: &crate::cli::Cli, only: Option<&str>, json: bool) -> i32 {
    use crate::provider::catalog::{self, Server};
    use crate::provider::select::{self, Kind};
    let Some(root) = workspace_root() else { return 1 };
    let effective = crate::config::effective(cli, &root);
    let prices = crate::setup::prices(&effective);
    let defs = &effective.providers;
    let in_use = match only {
        Some(name) => name.to_string(),
        None => select::choose(
            (effective.provider.name.source != crate::config::Source::Default)
                .then_some(effective.provider.name.value.as_str()),
            &effective.model.value,
            defs,
        )
        .map(|(c, _)| c.name)
        .unwrap_or_default(),
    };
    let names = match only {
        Some(name) => vec![name.to_string()],
        None => select::names(defs),
    };
    let mut entries = Vec::new();
    let mut failed = false;
    for name in names {
        let chosen = match select::find(&name, defs) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("claw-tui: error: {e}");
                return 1;
            }
        };
        entries.extend(catalog::known(&chosen, &prices));
        if chosen.kind != Kind::OpenAi || name != in_use {
            continue;
        }
        let server = Server {
            base_url: crate::setup::base_url(&effective, &chosen),
            api_key: chosen.key_env.as_deref().and_then(crate::setup::env_value),
            headers: chosen.headers.clone(),
            connect_hint: chosen.connect_hint(),
        };
        if chosen.key_env.is_some() && server.api_key.is_none() {
            eprintln!("claw-tui: {name}: set {} to list its models", chosen.key_env.as_deref().unwrap_or_default());
            failed = true;
            continue;
        }
        let asked = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| e.to_string())
            .and_then(|rt| rt.block_on(catalog::ask(&chosen, &server, &prices)));
        match asked {
            Ok(found) => {
                for e in found {
                    if !entries.iter().any(|k: &catalog::Entry| k.provider == e.provider && k.model == e.model) {
                        entries.push(e);
                    }
                }
            }
            Err(e) => {
                eprintln!("claw-tui: {name}: {e}");
                failed = true;
            }
        }
    }
    if json {
        println!("{}", serde_json::to_string_pretty(&entries).unwrap_or_default());
    } else {
        print!("{}", catalog::table(&entries));
    }
    if failed && entries.is_empty() { 1 } else { 0 }
}

/// `claw-tui login [--no-browser]`.
pub fn login(no_browser: bool) -> i32 {
    let endpoints = crate::oauth::Endpoints::from_env();
    let done = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())
        .and_then(|rt| rt.block_on(crate::oauth::login(&endpoints, no_browser)));
    match done {
        Ok(path) => {
            println!("Logged in. The login is kept in {} (readable by you only).", path.display());
            if std::env::var_os("ANTHROPIC_API_KEY").is_some() {
                println!("ANTHROPIC_API_KEY is set, and an API key is used before the login.");
            }
            0
        }
        Err(e) => {
            eprintln!("claw-tui: error: login failed: {e}");
            1
        }
    }
}

/// `claw-tui logout`.
pub fn logout() -> i32 {
    match crate::oauth::remove() {
        Ok(true) => {
            println!("Logged out: the stored login is gone.");
            0
        }
        Ok(false) => {
            println!("Not logged in.");
            0
        }
        Err(e) => {
            eprintln!("claw-tui: error: {e}");
            1
        }
    }
}

/// `claw-tui trust [DIR] [--revoke]`: remembers the answer for the workspace around `dir`.
pub fn trust(dir: Option<&std::path::Path>, revoke: bool) -> i32 {
    let dir = match dir.map(std::path::Path::to_path_buf).map(Ok).unwrap_or_else(std::env::current_dir) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("claw-tui: error: cannot read the working directory: {e}");
            return 1;
        }
    };
    let root = match crate::tools::Workspace::discover(&dir) {
        Ok(ws) => ws.root,
        Err(e) => {
            eprintln!("claw-tui: error: {}: {e}", dir.display());
            return 1;
        }
    };
    match crate::config::trust::remember(&root, !revoke) {
        Ok(message) => {
            println!("{message}");
            0
        }
        Err(e) => {
            eprintln!("claw-tui: error: {e}");
            1
        }
    }
}

/// Runs a `sessions` subcommand; returns the exit status.
pub fn sessions(action: &SessionsCommand) -> i32 {
    match run(action) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("claw-tui: error: {e}");
            1
        }
    }
}

fn run(action: &SessionsCommand) -> Result<(), String> {
    let root = crate::config::sessions_root().ok_or("cannot find the home directory for sessions")?;
    let mut out = std::io::stdout().lock();
    let w = |out: &mut std::io::StdoutLock, s: String| writeln!(out, "{s}").map_err(|e| e.to_string());
    match action {
        SessionsCommand::List { all, json } => {
            let cwd = std::env::current_dir().map_err(|e| e.to_string())?;
            let project = crate::tools::Workspace::discover(&cwd).map(|ws| ws.cwd).unwrap_or(cwd);
            let dir = session::project_dir(&root, &project);
            let list = index::list(&root, if *all { None } else { Some(&dir) });
            if list.is_empty() && !json {
                eprintln!(
                    "no saved sessions {}",
                    if *all { format!("in {}", root.display()) } else { format!("for {}", project.display()) }
                );
            }
            for s in list {
                if *json {
                    let mut v = serde_json::to_value(&s).map_err(|e| e.to_string())?;
                    v["title"] = serde_json::Value::String(s.display_title());
                    v["path"] = serde_json::Value::String(s.path.display().to_string());
                    w(&mut out, v.to_string())?;
                } else {
                    let updated = s.updated.map(|u| u.format("%Y-%m-%d %H:%M").to_string()).unwrap_or_default();
                    let cost = if s.cost_known { format!("${:.4}", s.cost_usd) } else { "n/a".into() };
                    w(
                        &mut out,
                        format!("{}  {updated}  {:>4} msgs  {cost:>9}  {}", s.id, s.messages, s.display_title()),
                    )?;
                }
            }
        }
        SessionsCommand::Show { id } | SessionsCommand::Export { id, .. } => {
            let path = index::find(&root, id)?;
            let (records, warnings) = session::read_records(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            for warning in warnings {
                eprintln!("claw-tui: warning: {warning}");
            }
            let summary = index::load(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            let json = matches!(action, SessionsCommand::Export { format: ExportFormat::Json, .. });
            let text = if json {
                serde_json::to_string_pretty(&session::export::json(&summary, &records)).map_err(|e| e.to_string())?
            } else {
                session::export::markdown(&summary, &records)
            };
            w(&mut out, text)?;
        }
    }
    Ok(())
}
