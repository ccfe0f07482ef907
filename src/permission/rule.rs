//! Allow and deny rules: `Tool` or `Tool(pattern)`, where they came from, and what they match.
//!
//! Tool names are ours (`bash`, `edit_file`) or the names other agents use (`Bash`, `Edit`,
//! `Read`...). For `bash` the pattern is a command, exact or a prefix when it ends in `:*` (or
//! `*`), compared word by word with the parsed command ([`super::shell`]). For file tools it is
//! a glob on the path.

use std::fmt;
use std::path::PathBuf;

use globset::GlobBuilder;

use super::shell::{Shell, pattern_words};
use crate::tools::CallPlan;

/// Where a rule came from: what a decision names when it explains itself.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum RuleOrigin {
    /// A command-line flag (`--allowedTools`).
    Flag(String),
    /// A config file; `project` when it is one of the project's own files (which may not
    /// allow writing protected paths).
    File { path: PathBuf, project: bool },
    /// "Allow for this session", answered by the person.
    Session,
    /// Made in code (tests, built-in defaults).
    #[default]
    Builtin,
}

impl RuleOrigin {
    /// Whether the person set this rule themselves (a flag, their own config, an answer),
    /// as opposed to a file the project ships.
    pub fn is_users(&self) -> bool {
        !matches!(self, RuleOrigin::File { project: true, .. })
    }
}

impl fmt::Display for RuleOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RuleOrigin::Flag(flag) => f.write_str(flag),
            RuleOrigin::File { path, .. } => write!(f, "{}", path.display()),
            RuleOrigin::Session => f.write_str("allowed for this session"),
            RuleOrigin::Builtin => f.write_str("built in"),
        }
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

/// The name other agents (Claude Code) give one of our tools: the other way round from
/// [`canonical_tool_name`], for hooks, whose matchers and scripts use those names.
pub fn claude_tool_name(ours: &str) -> Option<&'static str> {
    Some(match ours {
        "bash" => "Bash",
        "bash_output" => "BashOutput",
        "kill_shell" => "KillShell",
        "read_file" => "Read",
        "write_file" => "Write",
        "edit_file" => "Edit",
        "glob_search" => "Glob",
        "grep_search" => "Grep",
        "todo_write" => "TodoWrite",
        _ => return None,
    })
}

/// One allow or deny rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub tool: String,
    pub pattern: Option<String>,
    pub origin: RuleOrigin,
}

impl Rule {
    /// A rule made in code.
    pub fn new(tool: &str, pattern: Option<&str>) -> Rule {
        Rule { tool: tool.to_string(), pattern: pattern.map(str::to_string), origin: RuleOrigin::Builtin }
    }

    /// The same rule, from `origin`.
    pub fn from(mut self, origin: RuleOrigin) -> Rule {
        self.origin = origin;
        self
    }

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
                let pattern = if pattern.is_empty() || pattern == "*" { None } else { Some(pattern) };
                Ok(Rule::new(&canonical_tool_name(tool), pattern))
            }
            None => {
                if text.contains(')') || text.contains(char::is_whitespace) {
                    return Err(format!("rule `{text}`: expected `Tool` or `Tool(pattern)`"));
                }
                Ok(Rule::new(&canonical_tool_name(text), None))
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

    /// Whether this rule, as an allow rule, covers a call of `tool`. A shell command is
    /// covered only when it is one simple command whose words are the pattern's (or start
    /// with them, for a prefix rule) and whose redirections stay in the workspace.
    pub fn allows(&self, tool: &str, plan: &CallPlan, shell: Option<&Shell>) -> bool {
        if !self.covers(tool, plan) {
            return false;
        }
        if tool == "PowerShell" {
            // Not parsed: a rule allows the whole tool, or exactly the command it spells out.
            return self.pattern.as_deref().is_none_or(|p| p.trim() == plan.subject.trim());
        }
        match shell {
            // A rule that spells out the whole command allows exactly that text, list or not:
            // what the person approved ("for this session", "always").
            Some(_)
                if self.pattern.as_deref().is_some_and(|p| !p.ends_with('*') && p.trim() == plan.subject.trim()) =>
            {
                true
            }
            Some(shell) => {
                // One command, and nothing it runs in turn (`find -exec`, `sh -c`, `eval`).
                let single = shell.parsed && !shell.side_effects && shell.commands.len() <= 1;
                let Some(words) = shell.simple.as_ref().filter(|_| single) else {
                    return false;
                };
                plan.paths.iter().all(|p| p.inside) && self.command_matches(words)
            }
            None => self.path_matches(plan),
        }
    }

    /// Whether this rule, as a deny rule, covers a call: for a shell command, whether it
    /// matches any simple command in it.
    pub fn denies(&self, tool: &str, plan: &CallPlan, shell: Option<&Shell>) -> bool {
        if !self.covers(tool, plan) {
            return false;
        }
        if tool == "PowerShell" {
            // Not parsed: the rule's words anywhere in the command, in any case.
            let Some(pattern) = &self.pattern else { return true };
            let words = pattern.trim_end_matches('*').trim_end_matches(':').trim().to_lowercase();
            return plan.subject.to_lowercase().contains(&words);
        }
        match shell {
            Some(shell) => self.pattern.is_none() || shell.commands.iter().any(|words| self.command_matches(words)),
            None => self.path_matches(plan),
        }
    }

    /// Whether the rule names the tool: by its name, or, for an MCP tool, by its server's rule
    /// name (`mcp__server` covers every tool of that server; the plan's subject is it).
    fn covers(&self, tool: &str, plan: &CallPlan) -> bool {
        self.tool == tool
            // Edit rules cover every tool that edits files, as Claude Code's do.
            || (self.tool == "edit_file" && tool == "NotebookEdit")
            || (self.pattern.is_none() && tool.starts_with(crate::mcp::PREFIX) && self.tool == plan.subject)
    }

    /// Whether a command's words are the pattern's: exact, or starting with them for `:*`.
    fn command_matches(&self, words: &[String]) -> bool {
        let Some(pattern) = &self.pattern else { return true };
        match pattern.strip_suffix(":*").or_else(|| pattern.strip_suffix('*')) {
            Some(prefix) => {
                let want = pattern_words(prefix.trim_end());
                !want.is_empty() && words.starts_with(&want)
            }
            None => words == pattern_words(pattern),
        }
    }

    /// Whether the glob matches the call's subject or one of its paths (as named, or
    /// resolved).
    fn path_matches(&self, plan: &CallPlan) -> bool {
        let Some(pattern) = &self.pattern else { return true };
        match GlobBuilder::new(pattern).literal_separator(false).build() {
            Ok(glob) => {
                let m = glob.compile_matcher();
                m.is_match(&plan.subject) || plan.paths.iter().any(|p| m.is_match(&p.path) || m.is_match(&p.canonical))
            }
            Err(_) => plan.subject == *pattern,
        }
    }

    /// Whether the rule's pattern spells out `segment` (a protected folder or file name):
    /// only a rule that names a protected path may allow writing it.
    pub fn names(&self, segment: &str) -> bool {
        self.pattern.as_deref().is_some_and(|p| p.to_ascii_lowercase().contains(&segment.to_ascii_lowercase()))
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

/// A pattern that matches exactly `path` as a glob: its metacharacters escaped.
pub fn glob_literal(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for c in path.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '{' | '}') {
            out.push('[');
            out.push(c);
            out.push(']');
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file name with glob characters, as a session rule writes it, matches that file only.
    #[test]
    fn literal_globs_match_only_their_path() {
        let pattern = glob_literal("/ws/src/a[1]*{x}.rs");
        let glob = GlobBuilder::new(&pattern).literal_separator(false).build().unwrap().compile_matcher();
        assert!(glob.is_match("/ws/src/a[1]*{x}.rs"));
        assert!(!glob.is_match("/ws/src/a1zx.rs"));
        assert!(!glob.is_match("/ws/src/a[1]anything{x}.rs"));
    }
}
