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
