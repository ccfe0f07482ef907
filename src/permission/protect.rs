//! Protected paths: files whose change would widen what claw-tui (or another agent, or an
//! editor) does, so writing them always asks, in every mode.
//!
//! - claw-tui's and Claude Code's settings (`.claw/`, `.claude/`, the config home): a model
//!   that writes them could give itself full access, rebind a key to "always allow", or
//!   point the provider elsewhere;
//! - `.git/`: its config and hooks run commands (`core.fsmonitor`, `core.pager`, hooks);
//! - editor folders (`.vscode/`, `.idea/`): tasks and run configurations run commands;
//! - `.mcp.json`: MCP servers are commands;
//! - instruction files (`CLAW.md`, `CLAUDE.md`, `AGENTS.md`): what the model is told to do.
//!
//! A path is protected when the path as named or where it really leads (symlinks followed)
//! has such a component anywhere, case-insensitively (a case-insensitive disk makes `.GIT` the
//! same folder).

use std::path::{Component, Path};

use crate::tools::ResolvedPath;

/// Folders whose contents are protected, and why.
const FOLDERS: &[(&str, &str)] = &[
    (".claw", "claw-tui's settings"),
    (".claude", "Claude Code's settings"),
    (".git", "git's config and hooks, which run commands"),
    (".vscode", "editor settings, whose tasks run commands"),
    (".idea", "editor settings, whose run configurations run commands"),
];

/// Files that are protected wherever they are, and why.
const FILES: &[(&str, &str)] = &[
    (".mcp.json", "MCP server settings, which start commands"),
    ("CLAW.md", "instructions the model follows"),
    ("CLAUDE.md", "instructions the model follows"),
    ("CLAUDE.local.md", "instructions the model follows"),
    ("CLAW.local.md", "instructions the model follows"),
    ("AGENTS.md", "instructions the model follows"),
];

/// Why a path is protected: the name that makes it so, and what it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Protected {
    /// The folder or file name (`.git`, `CLAUDE.md`): what a rule must spell out to allow it.
    pub segment: &'static str,
    pub what: &'static str,
}

/// Whether writing `path` must always ask, and why.
pub fn protected(path: &ResolvedPath) -> Option<Protected> {
    of(&path.path).or_else(|| of(&path.canonical)).or_else(|| in_config_home(&path.canonical))
}

/// The protected name in `path`, if any.
fn of(path: &Path) -> Option<Protected> {
    let names: Vec<&str> =
        path.components().filter_map(|c| if let Component::Normal(n) = c { n.to_str() } else { None }).collect();
    let (last, dirs) = names.split_last()?;
    for name in dirs.iter().chain(std::iter::once(last)) {
        if let Some((segment, what)) = FOLDERS.iter().find(|(f, _)| f.eq_ignore_ascii_case(name)) {
            return Some(Protected { segment, what });
        }
    }
    FILES.iter().find(|(f, _)| f.eq_ignore_ascii_case(last)).map(|(segment, what)| Protected { segment, what })
}

/// Everything under claw-tui's config home (`~/.claw`, or `$CLAW_CONFIG_HOME` wherever it is).
fn in_config_home(path: &Path) -> Option<Protected> {
    let home = crate::config::config_home()?;
    let home = home.canonicalize().unwrap_or(home);
    path.starts_with(&home).then_some(Protected { segment: ".claw", what: "claw-tui's settings" })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn at(p: &str) -> ResolvedPath {
        ResolvedPath { path: PathBuf::from(p), canonical: PathBuf::from(p), inside: true }
    }

    #[test]
    fn settings_git_editors_and_instructions_are_protected() {
        for p in [
            "/ws/.claw/config.local.toml",
            "/ws/.claw/keymaps/default.toml",
            "/ws/.claude/settings.json",
            "/ws/.git/config",
            "/ws/.git/hooks/pre-commit",
            "/ws/sub/.GIT/config",
            "/ws/.vscode/tasks.json",
            "/ws/.idea/workspace.xml",
            "/ws/.mcp.json",
            "/ws/CLAUDE.md",
            "/ws/pkg/AGENTS.md",
            "/ws/claw.md",
        ] {
            assert!(protected(&at(p)).is_some(), "{p}");
        }
        for p in ["/ws/src/main.rs", "/ws/.github/workflows/ci.yml", "/ws/docs/claude.txt", "/ws/.gitignore"] {
            assert!(protected(&at(p)).is_none(), "{p}");
        }
        let via_link = ResolvedPath {
            path: PathBuf::from("/ws/notes.md"),
            canonical: PathBuf::from("/ws/.git/config"),
            inside: true,
        };
        assert_eq!(protected(&via_link).map(|p| p.segment), Some(".git"), "a link into .git is .git");
    }
}
