//! Permission modes, rules and decisions.
//!
//! Every tool call is planned first ([`crate::tools::CallPlan`]): what access it needs and
//! which paths it touches. [`Policy::decide`] turns that into Allow, Ask or Deny, and every
//! answer but a plain allow says why (the rule and where it came from, or what the mode
//! lacks):
//!
//! 1. a matching deny rule denies ([`rule`]; for shell commands, any simple command in the
//!    parsed command, see [`shell`]);
//! 2. a shell command whose program cannot be known asks when deny rules are set;
//! 3. writing a protected path ([`protect`]) asks, in every mode, unless a rule the person set
//!    themselves names that path;
//! 4. a matching allow rule (from `--allowedTools`, the config, or "allow for this session")
//!    allows;
//! 5. otherwise the mode decides: a call needing no more than the mode grants is allowed,
//!    anything more asks. Running commands needs `danger-full-access` (commands that only read,
//!    [`safe`], need no more than reading); writing files needs `workspace-write`; touching a
//!    path outside the workspace needs `danger-full-access`.

pub mod protect;
pub mod rule;
pub mod safe;
pub mod shell;

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

pub use rule::{Rule, RuleOrigin, canonical_tool_name, claude_tool_name};

use crate::tools::{Access, CallPlan, Preview};

/// How much the agent may do without asking.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum PermissionMode {
    /// Read files in the workspace; every edit is reviewed before it is written, and anything
    /// else asks. (`read-only` names it too.)
    #[serde(alias = "read-only")]
    Review,
    /// Read and change files in the workspace; ask to run commands or leave the workspace.
    #[default]
    WorkspaceWrite,
    /// Everything, without asking.
    DangerFullAccess,
}

impl PermissionMode {
    pub const ALL: [PermissionMode; 3] =
        [PermissionMode::Review, PermissionMode::WorkspaceWrite, PermissionMode::DangerFullAccess];

    pub fn as_str(self) -> &'static str {
        match self {
            PermissionMode::Review => "review",
            PermissionMode::WorkspaceWrite => "workspace-write",
            PermissionMode::DangerFullAccess => "danger-full-access",
        }
    }

    /// What the mode means for edits, in words (the status bar says it).
    pub fn edits(self) -> &'static str {
        match self {
            PermissionMode::Review => "edits reviewed",
            PermissionMode::WorkspaceWrite => "edits applied",
            PermissionMode::DangerFullAccess => "no questions",
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
            // A mode that asks before edits is a review, whatever it was called.
            "review" | "read-only" | "readonly" | "plan" => Ok(PermissionMode::Review),
            // Other agents call this "accept edits": file edits in the workspace go through
            // (still shown as diffs in the transcript); commands ask.
            "workspace-write" | "default" | "accept-edits" | "acceptedits" => Ok(PermissionMode::WorkspaceWrite),
            "danger-full-access" | "full-access" | "bypass-permissions" | "bypasspermissions" => {
                Ok(PermissionMode::DangerFullAccess)
            }
            other => Err(format!(
                "unknown permission mode `{other}` (expected review, workspace-write or danger-full-access; read-only is review)"
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
        Access::Read => PermissionMode::Review,
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

    /// The answer for a call of `tool` planned as `plan` (see the module docs for the order).
    pub fn decide(&self, tool: &str, plan: &CallPlan) -> Verdict {
        let shell = (tool == "bash").then(|| shell::parse(&plan.subject));
        let shell = shell.as_ref();
        let denied =
            self.denial(tool, plan, shell).or_else(|| self.repl_code(tool, plan)).or_else(|| self.powershell(tool));
        if let Some(verdict) = denied {
            return verdict;
        }
        if plan.access >= Access::Write
            && let Some((path, why)) = plan.paths.iter().find_map(|p| protect::protected(p).map(|why| (p, why)))
        {
            let named =
                self.allow.iter().any(|r| r.origin.is_users() && r.names(why.segment) && r.allows(tool, plan, shell));
            if named {
                return Verdict::Allow;
            }
            return Verdict::Ask {
                reason: format!(
                    "{} is {} ({}), so changing it always asks; only a rule of yours naming it allows it",
                    path.path.display(),
                    why.segment,
                    why.what
                ),
            };
        }
        if self.allow.iter().any(|r| r.allows(tool, plan, shell)) {
            return Verdict::Allow;
        }
        let needed = required_mode(plan);
        if needed <= self.mode {
            return Verdict::Allow;
        }
        let what = match plan.access {
            Access::Execute if tool.starts_with(crate::mcp::PREFIX) => "calling an MCP server's tool",
            Access::Execute if tool == "WebFetch" || tool == "WebSearch" => "reaching the network",
            Access::Execute => "running a command",
            Access::Write => "changing a file",
            Access::Read => "reading",
        };
        let why = match plan.paths.iter().find(|p| !p.inside) {
            Some(p) => format!("{what} {}, which is outside the workspace,", p.path.display()),
            None => what.to_string(),
        };
        Verdict::Ask { reason: format!("{why} needs {needed}; the mode is {}", self.mode) }
    }

    /// What the deny rules say: one that matches denies; a shell command whose program is only
    /// known when it runs (`$CMD push`, `eval`) asks while there are deny rules for the tool,
    /// since they cannot be checked.
    fn denial(&self, tool: &str, plan: &CallPlan, shell: Option<&shell::Shell>) -> Option<Verdict> {
        if let Some(rule) = self.deny.iter().find(|r| r.denies(tool, plan, shell)) {
            return Some(Verdict::Deny { reason: format!("denied by the rule `{rule}` ({})", rule.origin) });
        }
        (shell.is_some_and(|s| s.opaque) && self.deny.iter().any(|r| r.tool == tool)).then(|| Verdict::Ask {
            reason: "which program this runs is only known when it runs, so the deny rules cannot be checked".into(),
        })
    }

    /// The REPL runs code that can do what a command does, so the bash deny rules hold for it:
    /// bash code is checked against them like a command; python or node code cannot be, so
    /// while there is any bash deny rule it asks.
    fn repl_code(&self, tool: &str, plan: &CallPlan) -> Option<Verdict> {
        let Some(Preview::Command { command }) = plan.preview.as_ref().filter(|_| tool == "REPL") else {
            return None;
        };
        if !self.deny.iter().any(|r| r.tool == "bash") {
            return None;
        }
        if plan.subject != "bash" {
            return Some(Verdict::Ask {
                reason: format!("{} code can run any program, so the bash deny rules cannot be checked", plan.subject),
            });
        }
        let as_command = CallPlan { subject: command.clone(), paths: Vec::new(), ..plan.clone() };
        self.denial("bash", &as_command, Some(&shell::parse(command)))
    }

    /// PowerShell is not parsed: a deny rule for it denies a command whose text holds the
    /// rule's words ([`Policy::denial`]); and since aliases and expressions are not resolved,
    /// while any deny rule for PowerShell or bash is set every other PowerShell call asks.
    fn powershell(&self, tool: &str) -> Option<Verdict> {
        if tool != "PowerShell" || !self.deny.iter().any(|r| r.tool == "bash" || r.tool == "PowerShell") {
            return None;
        }
        Some(Verdict::Ask {
            reason: "PowerShell commands are not parsed (aliases and expressions are only known when they run), so the deny rules cannot be checked"
                .into(),
        })
    }

    /// The rule "allow for this session" adds for a call: exactly what was approved. The
    /// command for `bash`; the file (never its folder, never the whole tool) for file tools;
    /// the subject for anything else.
    pub fn session_rule(tool: &str, plan: &CallPlan) -> Rule {
        if tool.starts_with(crate::mcp::PREFIX) {
            // An MCP tool: the tool, whatever its arguments.
            return Rule::new(tool, None).from(RuleOrigin::Session);
        }
        let pattern = match plan.paths.first() {
            Some(path) if tool != "bash" => rule::glob_literal(&path.canonical.to_string_lossy()),
            _ => plan.subject.trim().to_string(),
        };
        Rule::new(tool, Some(&pattern)).from(RuleOrigin::Session)
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
        let p = Policy::new(PermissionMode::Review);
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

    /// `mcp__server` covers every tool of that server and nothing else; `mcp__server__tool` one
    /// tool; a deny rule wins; a plain call asks, naming what it is.
    #[test]
    fn mcp_rules_name_a_server_or_one_tool() {
        let call = |server: &str| CallPlan {
            access: Access::Execute,
            paths: vec![],
            summary: String::new(),
            subject: crate::mcp::server_rule(server),
            preview: None,
            change: None,
        };
        let mut p = Policy::new(PermissionMode::WorkspaceWrite);
        assert!(matches!(
            p.decide("mcp__time__now", &call("time")),
            Verdict::Ask { ref reason } if reason.starts_with("calling an MCP server's tool needs danger-full-access")
        ));
        p.allow = Rule::parse_list("mcp__time mcp__git__log").unwrap();
        assert_eq!(p.decide("mcp__time__now", &call("time")), Verdict::Allow);
        assert_eq!(p.decide("mcp__git__log", &call("git")), Verdict::Allow);
        assert!(matches!(p.decide("mcp__git__push", &call("git")), Verdict::Ask { .. }));
        // A server whose name starts like another's is not covered by it.
        assert!(matches!(p.decide("mcp__time-evil__now", &call("time-evil")), Verdict::Ask { .. }));
        // A built-in tool whose subject spells a server rule is not an MCP call.
        let read = CallPlan { access: Access::Write, subject: "mcp__time".into(), ..call("time") };
        assert!(!Rule::new("mcp__time", None).allows("write_file", &read, None));
        p.deny = vec![Rule::parse("mcp__time__now").unwrap()];
        assert!(matches!(p.decide("mcp__time__now", &call("time")), Verdict::Deny { .. }));
        assert_eq!(Policy::session_rule("mcp__git__log", &call("git")).to_string(), "mcp__git__log");
    }

    #[test]
    fn rule_parsing() {
        assert_eq!(Rule::parse("Edit").unwrap(), Rule::new("edit_file", None));
        assert_eq!(Rule::parse("bash(npm run test:*)").unwrap().pattern.as_deref(), Some("npm run test:*"));
        assert!(Rule::parse("Bash(ls").is_err());
        assert!(Rule::parse("(ls)").is_err());
        assert_eq!(Rule::parse_list("Bash(git log --oneline),Read").unwrap().len(), 2);
        assert_eq!("danger_full_access".parse::<PermissionMode>().unwrap(), PermissionMode::DangerFullAccess);
        assert!("yolo".parse::<PermissionMode>().is_err());
        assert_eq!("acceptEdits".parse::<PermissionMode>().unwrap(), PermissionMode::WorkspaceWrite);
        assert_eq!("read-only".parse::<PermissionMode>().unwrap(), PermissionMode::Review);
        assert_eq!(PermissionMode::Review.to_string(), "review");
    }
}
