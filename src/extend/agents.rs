//! Sub-agent definitions: `agents/*.md` in Claude Code's format. The frontmatter names the
//! agent, says when to use it (`description`), which tools it has (`tools`, Claude Code's
//! names or claw-tui's; all when left out) and its model (`model`: a name, `sonnet`, `opus`,
//! `haiku`, or `inherit`); the body is its system prompt.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::Scope;
use super::frontmatter::{self, List};
use crate::config::Problem;

/// The type a sub-agent has when the call names none.
pub const GENERAL: &str = "general-purpose";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentDef {
    pub name: String,
    pub description: String,
    /// claw-tui's tool names; `None`: every tool.
    pub tools: Option<Vec<String>>,
    pub model: Option<String>,
    /// The system prompt.
    pub prompt: String,
    /// `None` for the built-in general-purpose agent.
    pub path: Option<PathBuf>,
    pub scope: Scope,
}

impl AgentDef {
    /// The built-in agent every call may use: all tools, the session's model.
    pub fn general() -> AgentDef {
        AgentDef {
            name: GENERAL.into(),
            description: "A general-purpose agent for researching questions, searching code and carrying out \
multi-step tasks on its own. Use it when a search may take several tries, or for independent pieces of work \
that can run in parallel."
                .into(),
            tools: None,
            model: None,
            prompt: String::new(),
            path: None,
            scope: Scope::User,
        }
    }

    /// Whether it may use the tool named `tool` (claw-tui's name).
    pub fn allows(&self, tool: &str) -> bool {
        self.tools.as_ref().is_none_or(|t| t.iter().any(|n| n == tool))
    }
}

#[derive(Debug, Default, Deserialize)]
struct Front {
    name: Option<String>,
    description: Option<String>,
    tools: Option<List>,
    model: Option<String>,
}

/// Reads every folder, highest precedence first (a name already taken is skipped), after the
/// built-in general-purpose agent (which a file may replace).
pub fn discover(folders: &[(Scope, PathBuf)], root: &Path) -> (Vec<AgentDef>, Vec<Problem>) {
    let mut defs: Vec<AgentDef> = Vec::new();
    let mut problems = Vec::new();
    for (scope, dir) in folders {
        let Ok(entries) = std::fs::read_dir(dir) else { continue };
        let mut files: Vec<PathBuf> = entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e.eq_ignore_ascii_case("md")) && p.is_file())
            .collect();
        files.sort();
        for path in files {
            if let Err(problem) = super::confined(*scope, root, &path) {
                problems.push(problem);
                continue;
            }
            match read(&path, *scope) {
                Ok(def) if defs.iter().any(|d| d.name == def.name) => {}
                Ok(def) => defs.push(def),
                Err(problem) => problems.push(problem.in_file(&path).then("; this agent was skipped")),
            }
        }
    }
    if !defs.iter().any(|d| d.name == GENERAL) {
        defs.push(AgentDef::general());
    }
    defs.sort_by(|a, b| a.name.cmp(&b.name));
    (defs, problems)
}

fn read(path: &Path, scope: Scope) -> Result<AgentDef, Problem> {
    let text = std::fs::read_to_string(path).map_err(|e| Problem::general(format!("cannot read: {e}")))?;
    let (front, body) = frontmatter::split::<Front>(&text)?;
    let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let name = front.name.map(|n| n.trim().to_string()).filter(|n| !n.is_empty()).unwrap_or(stem);
    if !name.chars().all(|c| c.is_alphanumeric() || "-_:.".contains(c)) {
        return Err(Problem::at(2, 1, format!("agent name `{name}` may only have letters, digits, - _ : .")));
    }
    let description = front.description.map(|d| d.trim().to_string()).filter(|d| !d.is_empty()).ok_or_else(|| {
        Problem::at(1, 1, "no `description` in the frontmatter: the model would not know when to use this agent")
    })?;
    let tools = front.tools.map(|list| {
        let mut tools: Vec<String> =
            list.0.iter().map(|t| crate::permission::canonical_tool_name(tool_name(t))).collect();
        // Finding a deferred MCP tool is part of having tools at all.
        tools.push("ToolSearch".into());
        tools
    });
    let model = front.model.map(|m| m.trim().to_string()).filter(|m| !m.is_empty() && m != "inherit");
    Ok(AgentDef {
        name,
        description: crate::sanitize::visible_owned(description),
        tools,
        model,
        prompt: body.trim().to_string(),
        path: Some(path.to_path_buf()),
        scope,
    })
}

/// `Bash(git:*)` names the tool `Bash`.
fn tool_name(entry: &str) -> &str {
    entry.split('(').next().unwrap_or(entry).trim()
}

/// The model a definition's `model` stands for: Claude Code's aliases are the current models
/// of their family.
pub fn model_alias(model: &str) -> &str {
    match model {
        "sonnet" => "claude-sonnet-4-5",
        "opus" => "claude-opus-4-1",
        "haiku" => "claude-haiku-4-5",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn definitions_with_claude_names_models_and_problems() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::write(
            root.join("reviewer.md"),
            "---\nname: code-reviewer\ndescription: Reviews code for bugs\ntools: Read, Grep, Glob, Bash(git diff:*)\nmodel: haiku\n---\nYou review code.\n",
        )
        .unwrap();
        std::fs::write(root.join("helper.md"), "---\ndescription: Helps\nmodel: inherit\n---\nHelp.\n").unwrap();
        std::fs::write(root.join("broken.md"), "---\nname: broken\n---\n").unwrap();
        let (defs, problems) = discover(&[(Scope::Project, root.to_path_buf())], root);
        let names: Vec<&str> = defs.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(names, ["code-reviewer", "general-purpose", "helper"]);
        let reviewer = &defs[0];
        assert_eq!(
            reviewer.tools.as_deref().unwrap(),
            ["read_file", "grep_search", "glob_search", "bash", "ToolSearch"]
        );
        assert!(reviewer.allows("bash") && !reviewer.allows("write_file"));
        assert_eq!(reviewer.model.as_deref().map(model_alias), Some("claude-haiku-4-5"));
        assert_eq!(reviewer.prompt, "You review code.");
        assert_eq!(defs[2].model, None, "inherit is the session's model");
        assert!(defs[2].allows("write_file"));
        assert_eq!(problems.len(), 1);
        assert!(problems[0].message.contains("no `description`"));
    }
}
