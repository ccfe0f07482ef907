//! Blocking work the executor runs off the loop thread, one function per kind of job. Each
//! takes what it needs by value and returns the [`Event`] that answers it, so the loop thread
//! never touches the disk and every result comes back through `update`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::changes::{self, ChangedFile, Scope};
use super::event::Event;
use crate::session::{self, index, manage};
use crate::ui::theme::ColorDepth;

/// The session list, of this project (`cwd`) or of all.
pub fn list_sessions(cwd: &Path, all: bool) -> Event {
    let list = crate::config::sessions_root()
        .map(|root| {
            let dir = session::project_dir(&root, cwd);
            index::list(&root, if all { None } else { Some(&dir) })
        })
        .unwrap_or_default();
    Event::Sessions { list, all }
}

/// The end of a saved conversation, for the browser's preview.
pub fn preview(path: PathBuf) -> Event {
    let lines = manage::preview(&path).unwrap_or_else(|e| vec![format!("cannot read {}: {e}", path.display())]);
    Event::Preview { path, lines }
}

pub fn rename(path: &Path, title: &str) -> Event {
    Event::SessionsChanged(manage::rename(path, title))
}

/// Moves a saved session to the trash.
pub fn delete(path: &Path) -> Event {
    let result = crate::config::sessions_root()
        .ok_or_else(|| "no sessions directory".to_string())
        .and_then(|root| manage::trash(&root, path));
    Event::SessionsChanged(result)
}

/// The session `/resume ID` names (an id or its start).
pub fn find_session(id: &str) -> Event {
    let found = match crate::config::sessions_root() {
        Some(root) => index::find(&root, id),
        None => Err("cannot find the home directory for sessions".to_string()),
    };
    Event::SessionFound(found)
}

pub fn fork(path: &Path) -> Event {
    Event::Forked(manage::fork(path).map_err(|e| format!("fork failed: {e}")))
}

/// What the session in `path` is: id, title, file, size, messages.
pub fn describe_session(path: &Path) -> Event {
    Event::Notice(match index::load(path) {
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
    })
}

/// Writes a saved session as Markdown into the working directory.
pub fn export_file(path: &Path) -> Event {
    Event::Report(export(path, None, false))
}

/// Writes the session in `session` as Markdown or JSON to `target` (default: a name made of
/// the session id, in the working directory).
pub fn export(session: &Path, target: Option<&str>, json: bool) -> Result<String, String> {
    let (records, _) = session::read_records(session).map_err(|e| format!("cannot read {}: {e}", session.display()))?;
    let summary = index::load(session).map_err(|e| format!("cannot read {}: {e}", session.display()))?;
    let target = PathBuf::from(target.map(str::to_string).unwrap_or_else(|| {
        let short: String = summary.id.chars().take(8).collect();
        format!("claw-session-{short}.{}", if json { "json" } else { "md" })
    }));
    let text = if json {
        serde_json::to_string_pretty(&session::export::json(&summary, &records)).map_err(|e| e.to_string())?
    } else {
        session::export::markdown(&summary, &records)
    };
    std::fs::write(&target, text).map_err(|e| format!("cannot write {}: {e}", target.display()))?;
    Ok(format!("exported to {}", target.display()))
}

/// Every available theme (name, theme, built-in?), for the theme picker.
pub fn list_themes(root: &Path, depth: ColorDepth) -> Event {
    use crate::config::theme;
    let dirs = theme::theme_dirs(root);
    let themes = theme::available(&dirs)
        .into_iter()
        .map(|name| {
            let (t, _) = theme::resolve(&name, &dirs);
            let builtin = theme::is_builtin(&name, &dirs);
            (name, t.adapted(depth), builtin)
        })
        .collect();
    Event::Themes(themes)
}

/// The effective settings and their sources, with every problem, as a notice.
pub fn show_config(cli: &crate::cli::Cli, cwd: &Path) -> Event {
    let (text, _) = crate::config::describe::describe(cli, cwd);
    Event::Notice(text.trim_end().to_string())
}

/// The changed files for /diff. Outside a git repository the session's changes are all there
/// is.
pub fn load_changes(cwd: &Path, env: &Arc<crate::tools::ToolEnv>, scope: Scope) -> Event {
    let git = changes::in_git(cwd);
    let scope = if git { scope } else { Scope::Session };
    let result = match scope {
        Scope::WorkingTree => changes::working_tree_changes(cwd),
        Scope::Session => changes::session_changes(cwd, &env.checkpoints.lock().expect("checkpoints lock")),
    };
    Event::Changes { scope, git, result }
}

/// One file's diff for /diff: a large file never stalls the screen.
pub fn load_file_diff(cwd: &Path, env: &Arc<crate::tools::ToolEnv>, scope: Scope, file: ChangedFile) -> Event {
    let diff = match scope {
        Scope::WorkingTree => changes::working_tree_diff(cwd, &file),
        Scope::Session => changes::session_diff(cwd, &env.checkpoints.lock().expect("checkpoints lock"), &file.path),
    };
    Event::FileDiff { scope, path: file.path, file: Box::new(diff) }
}

/// The diff of a large proposal, for the review.
pub fn compute_diff(id: String, path: &str, old: Option<&str>, new: &str) -> Event {
    Event::DiffReady { id, file: Box::new(super::review::DiffFile::new(path, old, Some(new))) }
}
