//! The system prompt: a base prompt, facts about the environment, and the instruction files
//! the user keeps for agents (`CLAW.md`, `CLAUDE.md`, `AGENTS.md`).
//!
//! Instruction files are looked for in `~/.claw/CLAW.md` (the user's, first) and then in every
//! directory from the repository root down to the working directory, in that order, so the
//! most specific file comes last. Each file is capped at [`MAX_INSTRUCTION_CHARS`]; a cut is
//! said in the prompt and reported to the user.

use std::path::{Path, PathBuf};

use super::InstructionFile;
use crate::tools::Workspace;

/// Characters of one instruction file put into the prompt (about 10k tokens).
pub const MAX_INSTRUCTION_CHARS: usize = 40_000;
/// Lines of `git status` shown to the model.
const MAX_STATUS_LINES: usize = 40;
/// File names read as instructions, in each directory.
pub const INSTRUCTION_FILE_NAMES: &[&str] = &["CLAW.md", "CLAUDE.md", "AGENTS.md", "CLAW.local.md", "CLAUDE.local.md"];

/// Whose instruction file `/memory` edits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemoryScope {
    /// The repository's (`CLAW.md`, or the `CLAUDE.md` / `AGENTS.md` it already has).
    Project,
    /// The user's own for this repository, not checked in (`CLAW.local.md`, or an existing
    /// `CLAUDE.local.md`).
    Local,
    /// The user's for every project (`~/.claw/CLAW.md`).
    User,
}

/// The file `/memory` opens for `scope`: an existing one of the names the scope reads, else
/// the first name (to be created).
pub fn memory_file(scope: MemoryScope, root: &Path, user_dir: Option<&Path>) -> Option<PathBuf> {
    let (dir, names): (PathBuf, &[&str]) = match scope {
        MemoryScope::Project => (root.to_path_buf(), &["CLAW.md", "CLAUDE.md", "AGENTS.md"]),
        MemoryScope::Local => (root.to_path_buf(), &["CLAW.local.md", "CLAUDE.local.md"]),
        MemoryScope::User => (user_dir?.to_path_buf(), &["CLAW.md"]),
    };
    let existing = names.iter().map(|n| dir.join(n)).find(|p| p.is_file());
    Some(existing.unwrap_or_else(|| dir.join(names[0])))
}

const BASE_PROMPT: &str = "You are claw-tui, a coding agent working in the user's terminal on the repository described below. \
You help with software engineering: reading and changing code, running builds and tests, explaining, debugging.

How to work:
- Understand before you change: read the relevant files and search the code (glob_search, grep_search, read_file) rather than guessing.
- Make focused changes that fit the code around them: its style, its libraries, its conventions. Do not add what was not asked for.
- Edit with edit_file (exact, unique old_string); use write_file for new files or complete rewrites. Read a file before editing it.
- Verify: run the project's tests, build or linters with bash when they exist. Say honestly when something failed or could not be checked.
- For work with several steps, keep a task list with todo_write and update it as you go.
- Tool calls may need the user's approval; if one is denied, do not retry the same call: ask, or take another way.
- Never print or write secrets (API keys, tokens, passwords) you come across.

How to answer:
- Be brief and direct; the user reads you in a terminal. Use Markdown: short paragraphs, lists, fenced code blocks with a language.
- Refer to code as path:line so the user can find it.
- When you are done, say in a sentence or two what changed and what you verified.";

/// The prompt's sections and the instruction files found.
pub struct SystemPrompt {
    pub sections: Vec<String>,
    pub instruction_files: Vec<InstructionFile>,
}

/// Builds the system prompt for `workspace`. `user_dir` is claw's config home (for the user's
/// own `CLAW.md`); `tool_names` are listed so the model knows what it has.
pub fn build(workspace: &Workspace, user_dir: Option<&Path>, tool_names: &[&str]) -> SystemPrompt {
    let mut sections = vec![BASE_PROMPT.to_string(), environment(workspace, tool_names)];
    let mut files = Vec::new();
    let mut texts = Vec::new();
    for path in instruction_paths(workspace, user_dir) {
        let Ok(text) = std::fs::read_to_string(&path) else { continue };
        if text.trim().is_empty() {
            continue;
        }
        let chars = text.chars().count();
        let (body, truncated_to) = if chars > MAX_INSTRUCTION_CHARS {
            let kept: String = text.chars().take(MAX_INSTRUCTION_CHARS).collect();
            (
                format!(
                    "{kept}\n[... cut: this file has {chars} characters; only the first {MAX_INSTRUCTION_CHARS} are shown]"
                ),
                Some(MAX_INSTRUCTION_CHARS),
            )
        } else {
            (text, None)
        };
        texts.push(format!("<instructions path=\"{}\">\n{}\n</instructions>", path.display(), body.trim_end()));
        files.push(InstructionFile { path, chars, truncated_to });
    }
    if !texts.is_empty() {
        sections.push(format!(
            "The user keeps these instructions for agents working here; follow them (later, more specific files take precedence):\n\n{}",
            texts.join("\n\n")
        ));
    }
    SystemPrompt { sections, instruction_files: files }
}

/// Instruction files that exist, in prompt order.
pub fn instruction_paths(workspace: &Workspace, user_dir: Option<&Path>) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Some(dir) = user_dir {
        let p = dir.join("CLAW.md");
        if p.is_file() {
            out.push(p);
        }
    }
    let mut dirs: Vec<&Path> = workspace.cwd.ancestors().take_while(|d| d.starts_with(&workspace.root)).collect();
    dirs.reverse();
    for dir in dirs {
        for name in INSTRUCTION_FILE_NAMES {
            let p = dir.join(name);
            if p.is_file() && !out.contains(&p) {
                out.push(p);
            }
        }
    }
    out
}

fn git(cwd: &Path, args: &[&str]) -> Option<String> {
    let out = crate::child::git(cwd).args(args).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim_end().to_string())
}

/// The current git branch of `cwd`, if it is in a repository.
pub fn git_branch(cwd: &Path) -> Option<String> {
    git(cwd, &["rev-parse", "--abbrev-ref", "HEAD"]).filter(|b| !b.is_empty())
}

fn environment(ws: &Workspace, tool_names: &[&str]) -> String {
    let mut s = String::from("Environment:\n");
    s.push_str(&format!("- Working directory: {}\n", ws.cwd.display()));
    if ws.root != ws.cwd {
        s.push_str(&format!("- Workspace root: {}\n", ws.root.display()));
    }
    s.push_str(&format!("- Platform: {} ({})\n", std::env::consts::OS, std::env::consts::ARCH));
    s.push_str(&format!("- Today's date: {}\n", chrono::Local::now().format("%Y-%m-%d")));
    s.push_str(&format!("- Tools: {}\n", tool_names.join(", ")));
    match git(&ws.cwd, &["status", "--porcelain=v1", "--branch"]) {
        Some(status) => {
            let mut lines = status.lines();
            let branch = lines.next().unwrap_or_default().trim_start_matches("## ");
            s.push_str(&format!("- Git repository: yes, branch {branch}\n"));
            let changes: Vec<&str> = lines.collect();
            if changes.is_empty() {
                s.push_str("- Git status: clean\n");
            } else {
                s.push_str(&format!("- Git status ({} changed paths):\n", changes.len()));
                for line in changes.iter().take(MAX_STATUS_LINES) {
                    s.push_str(&format!("    {line}\n"));
                }
                if changes.len() > MAX_STATUS_LINES {
                    s.push_str(&format!("    ... and {} more\n", changes.len() - MAX_STATUS_LINES));
                }
            }
        }
        None => s.push_str("- Git repository: no\n"),
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_files_prefer_what_exists() {
        let dir = tempfile::tempdir().unwrap();
        let (root, user) = (dir.path().join("ws"), dir.path().join("home"));
        std::fs::create_dir_all(&root).unwrap();
        let file = |scope| memory_file(scope, &root, Some(&user)).unwrap();
        assert_eq!(file(MemoryScope::Project), root.join("CLAW.md"), "new: claw-tui's name");
        std::fs::write(root.join("CLAUDE.md"), "x").unwrap();
        assert_eq!(file(MemoryScope::Project), root.join("CLAUDE.md"), "a Claude Code user's file is kept");
        std::fs::write(root.join("CLAUDE.local.md"), "x").unwrap();
        assert_eq!(file(MemoryScope::Local), root.join("CLAUDE.local.md"));
        assert_eq!(file(MemoryScope::User), user.join("CLAW.md"));
        assert!(memory_file(MemoryScope::User, &root, None).is_none());
    }

    #[test]
    fn instruction_files_root_to_cwd_with_cap() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join(".git")).unwrap();
        std::fs::create_dir_all(root.join("pkg/sub")).unwrap();
        std::fs::write(root.join("AGENTS.md"), "root rules").unwrap();
        std::fs::write(root.join("pkg/CLAUDE.md"), "x".repeat(MAX_INSTRUCTION_CHARS + 10)).unwrap();
        std::fs::write(root.join("pkg/sub/CLAW.md"), "sub rules").unwrap();
        let user = tempfile::tempdir().unwrap();
        std::fs::write(user.path().join("CLAW.md"), "user rules").unwrap();
        let ws = Workspace::discover(&root.join("pkg/sub")).unwrap();
        let p = build(&ws, Some(user.path()), &["bash"]);
        let names: Vec<String> =
            p.instruction_files.iter().map(|f| f.path.file_name().unwrap().to_string_lossy().into_owned()).collect();
        assert_eq!(names, ["CLAW.md", "AGENTS.md", "CLAUDE.md", "CLAW.md"]);
        assert_eq!(p.instruction_files[2].truncated_to, Some(MAX_INSTRUCTION_CHARS));
        let all = p.sections.join("\n");
        let (u, r, s) =
            (all.find("user rules").unwrap(), all.find("root rules").unwrap(), all.find("sub rules").unwrap());
        assert!(u < r && r < s);
        assert!(all.contains("only the first 40000 are shown"));
        assert!(all.contains("Tools: bash"));
    }
}
