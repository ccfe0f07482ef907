//! Permission modes, rules and decisions.
//!
//! Every tool call is planned first ([`crate::tools::CallPlan`]): what access it needs and
//! which paths it touches. [`Policy::decide`] turns that into Allow, Ask or Deny:
//!
//! 1. a matching deny rule denies;
//! 2. a matching allow rule (from `--allowedTools`, config, or "allow for this session")
//!    allows;
//! 3. otherwise the mode decides: a call needing no more than the mode grants is allowed,
//!    anything more asks. Running commands needs `danger-full-access`; writing files needs
//!    `workspace-write`; touching a path outside the workspace needs `danger-full-access`.
//!
//! Rules are written `Tool` or `Tool(pattern)`. Tool names are ours (`bash`, `edit_file`) or
//! the names other agents use (`Bash`, `Edit`, `Read`...). For `bash` the pattern matches the
//! command: exact, or a prefix when it ends in `:*` or `*`. For file tools it is a glob on the
//! path.

use std::fmt;
use std::str::FromStr;

use globset::GlobBuilder;
use serde::{Deserialize, Serialize};

use crate::tools::{Access, CallPlan};

/// How much the agent may do without asking.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum PermissionMode {
    /// Read files in the workspace; ask for anything else.
    ReadOnly,
    /// Read and change files in the workspace; ask to run commands or leave the workspace.
    #[default]
    WorkspaceWrite,
    /// Everything, without asking.
    DangerFullAccess,
}

impl PermissionMode {
    pub const ALL: [PermissionMode; 3] =
        [PermissionMode::ReadOnly, PermissionMode::WorkspaceWrite, PermissionMode::DangerFullAccess];

    pub fn as_str(self) -> &'static str {
        match self {
            PermissionMode::ReadOnly => "read-only",
            PermissionMode::WorkspaceWrite => "workspace-write",
            PermissionMode::DangerFullAccess => "danger-full-access",
        }
    }
}

impl fmt::Display for PermissionMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for PermissionMode {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().replace('_', "-").as_str() {
            "read-only" | "readonly" => Ok(PermissionMode::ReadOnly),
            // Other agents call this "accept edits": file edits in the workspace go through
            // (still shown as diffs in the transcript); commands ask.
            "workspace-write" | "default" | "accept-edits" | "acceptedits" => Ok(PermissionMode::WorkspaceWrite),
            "danger-full-access" | "full-access" | "bypass-permissions" | "bypasspermissions" => {
                Ok(PermissionMode::DangerFullAccess)
            }
            other => Err(format!(
                "unknown permission mode `{other}` (expected read-only, workspace-write or danger-full-access)"
            )),
        }
    }
}

/// The mode a call needs.
pub fn required_mode(plan: &CallPlan) -> PermissionMode {
    let outside = plan.paths.iter().any(|p| !p.inside);
    match plan.access {
        Access::Execute => PermissionMode::DangerFullAccess,
        _ if outside => PermissionMode::DangerFullAccess,
        Access::Write => PermissionMode::WorkspaceWrite,
        Access::Read => PermissionMode::ReadOnly,
    }
}

/// Our tool name for a name other agents use in their rules.
pub fn canonical_tool_name(name: &str) -> String {
    match name {
        "Bash" => "bash",
        "BashOutput" => "bash_output",
        "KillShell" | "KillBash" => "kill_shell",
        "Read" => "read_file",
        "Write" => "write_file",
        "Edit" | "MultiEdit" => "edit_file",
        "Glob" => "glob_search",
        "Grep" => "grep_search",
        "TodoWrite" => "todo_write",
        other => other,
    }
    .to_string()
}

/// One allow or deny rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub tool: String,
    pub pattern: Option<String>,
}

impl Rule {
    /// Parses `Tool` or `Tool(pattern)`.
    pub fn parse(text: &str) -> Result<Rule, String> {
        let text = text.trim();
        if text.is_empty() {
            return Err("empty rule".into());
        }
        match text.find('(') {
            Some(open) => {
                let Some(inner) = text[open + 1..].strip_suffix(')') else {
                    return Err(format!("rule `{text}`: missing `)` at the end"));
                };
                let tool = text[..open].trim();
                if tool.is_empty() {
                    return Err(format!("rule `{text}`: no tool name before `(`"));
                }
                let pattern = inner.trim();
                Ok(Rule {
                    tool: canonical_tool_name(tool),
                    pattern: if pattern.is_empty() || pattern == "*" { None } else { Some(pattern.to_string()) },
                })
            }
            None => {
                if text.contains(')') || text.contains(char::is_whitespace) {
                    return Err(format!("rule `{text}`: expected `Tool` or `Tool(pattern)`"));
                }
                Ok(Rule { tool: canonical_tool_name(text), pattern: None })
            }
        }
    }

    /// Parses a list as given on the command line: entries separated by commas or spaces,
    /// where a space inside parentheses belongs to the pattern.
    pub fn parse_list(text: &str) -> Result<Vec<Rule>, String> {
        let mut rules = Vec::new();
        let mut depth = 0usize;
        let mut current = String::new();
        for c in text.chars() {
            match c {
                '(' => {
                    depth += 1;
                    current.push(c);
                }
                ')' => {
                    depth = depth.saturating_sub(1);
                    current.push(c);
                }
                ',' | ' ' if depth == 0 => {
                    if !current.trim().is_empty() {
                        rules.push(Rule::parse(&current)?);
                    }
                    current.clear();
                }
                _ => current.push(c),
            }
        }
        if !current.trim().is_empty() {
            rules.push(Rule::parse(&current)?);
        }
        Ok(rules)
    }

    /// Whether the rule covers a call of `tool` with this plan.
    pub fn matches(&self, tool: &str, plan: &CallPlan) -> bool {
        if self.tool != tool {
            return false;
        }
        let Some(pattern) = &self.pattern else { return true };
        let subject = plan.subject.as_str();
        if tool == "bash" {
            if let Some(prefix) = pattern.strip_suffix(":*").or_else(|| pattern.strip_suffix('*')) {
                let prefix = prefix.trim_end();
                return subject == prefix
                    || subject
                        .strip_prefix(prefix)
                        .is_some_and(|rest| rest.starts_with(char::is_whitespace) || prefix.ends_with(' '));
            }
            return subject.trim() == pattern.trim();
        }
        match GlobBuilder::new(pattern).literal_separator(false).build() {
            Ok(glob) => {
                let m = glob.compile_matcher();
                m.is_match(subject) || plan.paths.iter().any(|p| m.is_match(&p.path) || m.is_match(&p.canonical))
            }
            Err(_) => subject == pattern,
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.pattern {
            Some(p) => write!(f, "{}({p})", self.tool),
            None => f.write_str(&self.tool),
        }
    }
}

/// The policy's answer for one call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Allow,
    Ask { reason: String },
    Deny { reason: String },
}

/// Mode plus rules.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Policy {
    pub mode: PermissionMode,
    pub allow: Vec<Rule>,
    pub deny: Vec<Rule>,
}

impl Policy {
    pub fn new(mode: PermissionMode) -> Self {
        Policy { mode, ..Default::default() }
    }

    pub fn decide(&self, tool: &str, plan: &CallPlan) -> Verdict {
        if let Some(rule) = self.deny.iter().find(|r| r.matches(tool, plan)) {
            return Verdict::Deny { reason: format!("denied by the rule `{rule}`") };
        }
        if self.allow.iter().any(|r| r.matches(tool, plan)) {
            return Verdict::Allow;
        }
        let needed = required_mode(plan);
        if needed <= self.mode {
            return Verdict::Allow;
        }
        let why = if let Some(p) = plan.paths.iter().find(|p| !p.inside) {
            format!("{} is outside the workspace", p.path.display())
        } else {
            match plan.access {
                Access::Execute => "running a command".to_string(),
                Access::Write => "changing a file".to_string(),
                Access::Read => "reading".to_string(),
            }
        };
        Verdict::Ask { reason: format!("{why} needs {needed}; the mode is {}", self.mode) }
    }

    /// The rule "allow for this session" adds for a call: the exact command for `bash`, the
    /// tool for calls inside the workspace, the directory for a path outside it.
    pub fn session_rule(tool: &str, plan: &CallPlan) -> Rule {
        if tool == "bash" {
            return Rule { tool: tool.into(), pattern: Some(plan.subject.clone()) };
        }
        if let Some(outside) = plan.paths.iter().find(|p| !p.inside) {
            let dir = outside.canonical.parent().unwrap_or(&outside.canonical);
            return Rule { tool: tool.into(), pattern: Some(format!("{}/**", dir.display())) };
        }
        Rule { tool: tool.into(), pattern: None }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tools::ResolvedPath;
    use std::path::PathBuf;

    fn plan(access: Access, subject: &str, inside: bool) -> CallPlan {
        let paths = if access == Access::Execute {
            vec![]
        } else {
            vec![ResolvedPath {
                path: PathBuf::from(format!("/ws/{subject}")),
                canonical: PathBuf::from(format!("/ws/{subject}")),
                inside,
            }]
        };
        CallPlan { access, paths, summary: subject.into(), subject: subject.into(), preview: None, change: None }
    }

    #[test]
    fn modes_decide_by_access() {
        let read = plan(Access::Read, "a.rs", true);
        let write = plan(Access::Write, "a.rs", true);
        let exec = plan(Access::Execute, "ls", true);
        let outside = plan(Access::Read, "../x", false);
        let p = Policy::new(PermissionMode::ReadOnly);
        assert_eq!(p.decide("read_file", &read), Verdict::Allow);
        assert!(matches!(p.decide("write_file", &write), Verdict::Ask { .. }));
        let p = Policy::new(PermissionMode::WorkspaceWrite);
        assert_eq!(p.decide("write_file", &write), Verdict::Allow);
        assert!(
            matches!(p.decide("bash", &exec), Verdict::Ask { ref reason } if reason.contains("danger-full-access"))
        );
        assert!(
            matches!(p.decide("read_file", &outside), Verdict::Ask { ref reason } if reason.contains("outside the workspace"))
        );
        let p = Policy::new(PermissionMode::DangerFullAccess);
        assert_eq!(p.decide("bash", &exec), Verdict::Allow);
        assert_eq!(p.decide("read_file", &outside), Verdict::Allow);
    }

    #[test]
    fn rules_allow_and_deny() {
        let mut p = Policy::new(PermissionMode::WorkspaceWrite);
        p.allow = Rule::parse_list("Bash(git status), Bash(cargo test:*) Read").unwrap();
        p.deny = vec![Rule::parse("Write(secrets/**)").unwrap()];
        assert_eq!(p.decide("bash", &plan(Access::Execute, "git status", true)), Verdict::Allow);
        assert!(matches!(p.decide("bash", &plan(Access::Execute, "git push", true)), Verdict::Ask { .. }));
        assert_eq!(p.decide("bash", &plan(Access::Execute, "cargo test --all", true)), Verdict::Allow);
        assert!(matches!(p.decide("bash", &plan(Access::Execute, "cargo testx", true)), Verdict::Ask { .. }));
        assert!(matches!(p.decide("write_file", &plan(Access::Write, "secrets/key", true)), Verdict::Deny { .. }));
        assert_eq!(p.decide("read_file", &plan(Access::Read, "../x", false)), Verdict::Allow);
    }

    #[test]
    fn rule_parsing() {
        assert_eq!(Rule::parse("Edit").unwrap(), Rule { tool: "edit_file".into(), pattern: None });
        assert_eq!(Rule::parse("bash(npm run test:*)").unwrap().pattern.as_deref(), Some("npm run test:*"));
        assert!(Rule::parse("Bash(ls").is_err());
        assert!(Rule::parse("(ls)").is_err());
        assert_eq!(Rule::parse_list("Bash(git log --oneline),Read").unwrap().len(), 2);
        assert_eq!("danger_full_access".parse::<PermissionMode>().unwrap(), PermissionMode::DangerFullAccess);
        assert!("yolo".parse::<PermissionMode>().is_err());
        assert_eq!("acceptEdits".parse::<PermissionMode>().unwrap(), PermissionMode::WorkspaceWrite);
    }
}
