//! Hooks as configured: Claude Code's `hooks` object, read as is from `.claude/settings.json`,
//! `.claude/settings.local.json` and `~/.claude/settings.json`, and the same shape under
//! `[hooks]` in claw-tui's TOML layers:
//!
//! ```json
//! {"hooks": {"PreToolUse": [{"matcher": "Bash|Write", "hooks": [{"type": "command", "command": "./check.sh", "timeout": 30}]}]}}
//! ```
//!
//! Every file's hooks apply (they add up, they do not replace each other). Hooks are commands,
//! so a project's own (its `.claude/` settings and its `.claw/` TOML) apply only in a folder the
//! user trusts; otherwise they are listed as withheld and nothing runs. [`super::run`] runs
//! them.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::Scope;
use crate::config::Problem;
use crate::config::trust::{Trust, Withheld};

/// Seconds a hook may run, unless it says otherwise.
pub const DEFAULT_TIMEOUT_SECS: u64 = 60;

/// When a hook runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Event {
    /// Before a tool call runs (after its input is checked): may block it, allow it without
    /// asking, or make it ask.
    PreToolUse,
    /// After a tool call: may tell the model something about the result.
    PostToolUse,
    /// When a prompt is sent: may block it or add context.
    UserPromptSubmit,
    /// When the main agent is about to end its turn: may make it go on.
    Stop,
    /// When a sub-agent ends.
    SubagentStop,
    /// When a session starts (startup, resume, clear): its output becomes context.
    SessionStart,
    /// When a session ends.
    SessionEnd,
    /// When claw-tui needs the user (an approval waits).
    Notification,
    /// Before the conversation is compacted.
    PreCompact,
}

impl Event {
    pub const ALL: [Event; 9] = [
        Event::PreToolUse,
        Event::PostToolUse,
        Event::UserPromptSubmit,
        Event::Stop,
        Event::SubagentStop,
        Event::SessionStart,
        Event::SessionEnd,
        Event::Notification,
        Event::PreCompact,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Event::PreToolUse => "PreToolUse",
            Event::PostToolUse => "PostToolUse",
            Event::UserPromptSubmit => "UserPromptSubmit",
            Event::Stop => "Stop",
            Event::SubagentStop => "SubagentStop",
            Event::SessionStart => "SessionStart",
            Event::SessionEnd => "SessionEnd",
            Event::Notification => "Notification",
            Event::PreCompact => "PreCompact",
        }
    }

    fn parse(name: &str) -> Option<Event> {
        Event::ALL.into_iter().find(|e| e.name() == name)
    }
}

/// One hook command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hook {
    pub event: Event,
    /// What it applies to (a tool-name pattern for tool events; the source for SessionStart,
    /// the trigger for PreCompact); empty for everything.
    pub matcher: String,
    /// Run with `sh -c` in the workspace.
    pub command: String,
    pub timeout_secs: u64,
    /// The file that configures it.
    pub file: PathBuf,
    pub scope: Scope,
}

/// A matcher entry as settings write it.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct MatcherDef {
    #[serde(default)]
    pub matcher: Option<String>,
    #[serde(default)]
    pub hooks: Vec<CommandDef>,
}

/// A hook as settings write it.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct CommandDef {
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    pub command: Option<String>,
    pub timeout: Option<u64>,
}

/// The hooks of a workspace: every file's, as far as folder trust lets them apply, what was
/// withheld, and what was wrong.
pub fn resolve(root: &Path, trust: Trust) -> (Vec<Hook>, Vec<Withheld>, Vec<Problem>) {
    let mut found = Vec::new();
    let mut problems = Vec::new();
    for (scope, path) in files(root) {
        let Ok(text) = std::fs::read_to_string(&path) else { continue };
        let is_json = path.extension().is_some_and(|e| e == "json");
        let table = if is_json { from_json(&text, &path, &mut problems) } else { from_toml(&text) };
        for (event, defs) in table {
            for def in defs {
                for hook in def.hooks {
                    match hook_of(event, def.matcher.clone(), hook, &path, scope) {
                        Ok(h) => found.push(h),
                        Err(message) => {
                            problems.push(crate::config::problem::locate_in_file(&path, event.name(), message))
                        }
                    }
                }
            }
        }
    }
    let trusted = trust == Trust::Trusted;
    let mut withheld = Vec::new();
    found.retain(|h: &Hook| {
        let applies = trusted || h.scope == Scope::User;
        if !applies {
            withheld.push(Withheld {
                key: format!("hooks.{}", h.event.name()),
                value: format!("{:?}", h.command),
                file: h.file.clone(),
            });
        }
        applies
    });
    (found, withheld, problems)
}

/// Where hooks are configured, lowest precedence first (all of them apply).
fn files(root: &Path) -> Vec<(Scope, PathBuf)> {
    let mut files = Vec::new();
    if let Some(home) = super::claude_home() {
        files.push((Scope::User, home.join("settings.json")));
    }
    for (layer, path) in crate::config::config_files(root) {
        let scope = if layer == crate::config::Layer::User { Scope::User } else { Scope::Project };
        files.push((scope, path));
    }
    files.push((Scope::Project, root.join(".claude").join("settings.json")));
    files.push((Scope::Project, root.join(".claude").join("settings.local.json")));
    files
}

type Table = Vec<(Event, Vec<MatcherDef>)>;

/// A Claude Code settings file's `hooks`; other keys are Claude Code's business.
fn from_json(text: &str, path: &Path, problems: &mut Vec<Problem>) -> Table {
    let value: serde_json::Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            let message = format!("not valid JSON: {e}; its hooks were ignored");
            problems.push(Problem::at(e.line().max(1), e.column().max(1), message).in_file(path));
            return Vec::new();
        }
    };
    let Some(hooks) = value.get("hooks") else { return Vec::new() };
    let Some(hooks) = hooks.as_object() else {
        problems.push(crate::config::problem::locate_in_file(path, "\"hooks\"", "`hooks` must be an object".into()));
        return Vec::new();
    };
    let mut table = Vec::new();
    for (name, defs) in hooks {
        let located = |message: String| crate::config::problem::locate_in_file(path, &format!("\"{name}\""), message);
        let Some(event) = Event::parse(name) else {
            problems.push(located(format!("`{name}` is not a hook event (events: {})", event_names())));
            continue;
        };
        match serde_json::from_value::<Vec<MatcherDef>>(defs.clone()) {
            Ok(defs) => table.push((event, defs)),
            Err(e) => problems.push(located(format!("hooks of {name}: {e}; they were ignored"))),
        }
    }
    table
}

/// A TOML layer's `[hooks]`; its mistakes are reported by the settings loader.
fn from_toml(text: &str) -> Table {
    let Ok(table) = text.parse::<toml::Table>() else { return Vec::new() };
    let Some(toml::Value::Table(hooks)) = table.get("hooks") else { return Vec::new() };
    hooks
        .iter()
        .filter_map(|(name, defs)| Some((Event::parse(name)?, defs.clone().try_into::<Vec<MatcherDef>>().ok()?)))
        .collect()
}

fn event_names() -> String {
    Event::ALL.iter().map(|e| e.name()).collect::<Vec<_>>().join(", ")
}

fn hook_of(event: Event, matcher: Option<String>, def: CommandDef, file: &Path, scope: Scope) -> Result<Hook, String> {
    let kind = def.kind.as_deref().unwrap_or("command");
    if kind != "command" {
        return Err(format!(
            "{}: a hook of type `{kind}` is not supported (only `command`); it was skipped",
            event.name()
        ));
    }
    let command = def
        .command
        .filter(|c| !c.trim().is_empty())
        .ok_or_else(|| format!("{}: a hook without a `command`; it was skipped", event.name()))?;
    let matcher = matcher.unwrap_or_default();
    if let Err(e) = matcher_regex(&matcher) {
        return Err(format!(
            "{}: the matcher `{matcher}` is not a valid pattern ({e}); the hook was skipped",
            event.name()
        ));
    }
    let timeout_secs = def.timeout.unwrap_or(DEFAULT_TIMEOUT_SECS).clamp(1, 3600);
    Ok(Hook { event, matcher, command, timeout_secs, file: file.to_path_buf(), scope })
}

/// The pattern a matcher stands for: `None` for everything (empty or `*`), otherwise the whole
/// name must match.
pub fn matcher_regex(matcher: &str) -> Result<Option<regex::Regex>, regex::Error> {
    let m = matcher.trim();
    if m.is_empty() || m == "*" {
        return Ok(None);
    }
    regex::Regex::new(&format!("^(?:{m})$")).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_files_add_up_and_project_hooks_need_trust() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("ws");
        std::fs::create_dir_all(root.join(".claude")).unwrap();
        std::fs::create_dir_all(root.join(".claw")).unwrap();
        std::fs::write(
            root.join(".claude/settings.json"),
            r#"{"permissions": {"allow": []}, "hooks": {
  "PreToolUse": [{"matcher": "Bash", "hooks": [{"type": "command", "command": "./check.sh", "timeout": 5}]}],
  "Stopp": [],
  "PostToolUse": [{"matcher": "Edit|(", "hooks": [{"type": "command", "command": "x"}]},
                  {"hooks": [{"type": "prompt", "prompt": "judge it"}]}]
}}"#,
        )
        .unwrap();
        std::fs::write(
            root.join(".claw/config.toml"),
            "[[hooks.Stop]]\nhooks = [{ type = \"command\", command = \"echo done\" }]\n",
        )
        .unwrap();
        // Only this workspace's files: the user's own folders are not the test's.
        let ours = |hooks: Vec<Hook>| hooks.into_iter().filter(|h| h.file.starts_with(&root)).collect::<Vec<_>>();
        let (hooks, withheld, problems) = resolve(&root, Trust::Trusted);
        let hooks = ours(hooks);
        let got: Vec<(Event, &str, &str, u64)> =
            hooks.iter().map(|h| (h.event, h.matcher.as_str(), h.command.as_str(), h.timeout_secs)).collect();
        assert!(got.contains(&(Event::PreToolUse, "Bash", "./check.sh", 5)), "{got:?}");
        assert!(got.contains(&(Event::Stop, "", "echo done", DEFAULT_TIMEOUT_SECS)), "{got:?}");
        assert_eq!(got.len(), 2);
        assert!(withheld.is_empty());
        let messages: Vec<String> = problems.iter().map(|p| format!("{}:{}", p.line.unwrap_or(0), p.message)).collect();
        assert!(messages.iter().any(|m| m.starts_with("3:`Stopp` is not a hook event")), "{messages:?}");
        assert!(messages.iter().any(|m| m.contains("matcher `Edit|(`")), "{messages:?}");
        assert!(messages.iter().any(|m| m.contains("type `prompt` is not supported")), "{messages:?}");

        let (hooks, withheld, _) = resolve(&root, Trust::Unknown);
        assert!(ours(hooks).is_empty());
        assert_eq!(withheld.len(), 2, "{withheld:?}");
        assert!(withheld.iter().any(|w| w.key == "hooks.PreToolUse" && w.value == "\"./check.sh\""));
    }

    #[test]
    fn matchers_are_whole_names() {
        let re = matcher_regex("Edit|Write").unwrap().unwrap();
        assert!(re.is_match("Edit") && re.is_match("Write") && !re.is_match("NotebookEdit"));
        assert!(matcher_regex("*").unwrap().is_none());
        assert!(matcher_regex("").unwrap().is_none());
        assert!(matcher_regex("mcp__.*").unwrap().unwrap().is_match("mcp__fs__read"));
    }
}
