//! What a user's (and a project's) files add to claw-tui, in Claude Code's formats so that a
//! `.claude/` folder works unchanged:
//!
//! - [`commands`]: custom slash commands, `commands/**/*.md`;
//! - [`skills`]: `skills/<name>/SKILL.md`, offered to the model through the `Skill` tool;
//! - [`agents`]: sub-agent types, `agents/*.md`, offered through the `Agent` tool;
//! - [`hooks`]: commands run around tool calls, prompts, turns and sessions, from Claude Code's
//!   `settings.json` files and `[hooks]` in claw-tui's TOML ([`run`] runs them).
//!
//! Each kind is looked for in four folders, highest precedence first: the project's `.claw/`
//! and `.claude/`, then the user's `~/.claw/` (the config home) and `~/.claude/`. A file that
//! cannot be used is reported with its `file:line` and skipped alone.

pub mod agents;
pub mod commands;
pub mod frontmatter;
pub mod hooks;
pub mod run;
pub mod skills;

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::config::Problem;

/// Whose file it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// The project's (`.claw/` or `.claude/` of the workspace): shipped by whoever wrote the
    /// repository.
    Project,
    /// The user's own (`~/.claw/`, `~/.claude/`).
    User,
}

impl Scope {
    pub fn name(self) -> &'static str {
        match self {
            Scope::Project => "project",
            Scope::User => "user",
        }
    }
}

/// Claude Code's home: `$CLAUDE_CONFIG_DIR`, or `~/.claude`.
pub fn claude_home() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("CLAUDE_CONFIG_DIR").filter(|v| !v.is_empty()) {
        return Some(PathBuf::from(dir));
    }
    directories::BaseDirs::new().map(|d| d.home_dir().join(".claude"))
}

/// The folders holding `kind` (`commands`, `skills`, `agents`) for the workspace at `root`,
/// highest precedence first.
pub fn folders(root: &Path, kind: &str) -> Vec<(Scope, PathBuf)> {
    let mut dirs =
        vec![(Scope::Project, root.join(".claw").join(kind)), (Scope::Project, root.join(".claude").join(kind))];
    if let Some(home) = crate::config::config_home() {
        dirs.push((Scope::User, home.join(kind)));
    }
    if let Some(home) = claude_home() {
        dirs.push((Scope::User, home.join(kind)));
    }
    dirs.dedup_by(|a, b| a.1 == b.1);
    dirs
}

/// Whether a file of `scope` may be used: a project's must be inside the project, where it
/// really leads. A cloned repository's `.claude/commands/x.md` linking to `~/.ssh/id_rsa`
/// would otherwise put that key in front of the model when someone types `/x`.
pub(crate) fn confined(scope: Scope, root: &Path, path: &Path) -> Result<(), Problem> {
    if scope == Scope::User {
        return Ok(());
    }
    let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    match path.canonicalize() {
        Ok(real) if real.starts_with(&root) => Ok(()),
        Ok(real) => Err(Problem::file(
            path,
            format!(
                "links to {}, outside the project; a project's file must be in the project, so it was skipped",
                real.display()
            ),
        )),
        Err(e) => Err(Problem::file(path, format!("cannot be read: {e}; it was skipped"))),
    }
}

/// The custom commands and skills of a workspace, and what was wrong with their files.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Extensions {
    pub commands: Vec<commands::CustomCommand>,
    pub skills: Vec<skills::Skill>,
    /// Sub-agent types: the built-in general-purpose one and the definitions found.
    pub agents: Vec<agents::AgentDef>,
    pub problems: Vec<Problem>,
}

impl Extensions {
    /// Reads the command and skill folders of the workspace at `root`.
    pub fn discover(root: &Path) -> Extensions {
        let (commands, mut problems) = commands::discover(&folders(root, "commands"), root);
        let (skills, more) = skills::discover(&folders(root, "skills"), root);
        problems.extend(more);
        let (agents, more) = agents::discover(&folders(root, "agents"), root);
        problems.extend(more);
        Extensions { commands, skills, agents, problems }
    }

    /// The custom command typed at the start of `text` (`/name args`), and what follows it.
    pub fn command<'a>(&self, text: &'a str) -> Option<(&commands::CustomCommand, &'a str)> {
        let line = text.strip_prefix('/')?;
        let (name, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
        self.commands.iter().find(|c| c.name == name).map(|c| (c, rest.trim()))
    }
}
