//! Custom slash commands: Markdown files in `commands/` folders (subfolders give `ns:name`),
//! whose body is the prompt, in Claude Code's format.
//!
//! ```markdown
//! ---
//! description: Review the staged changes
//! argument-hint: [focus]
//! model: claude-haiku-4-5
//! allowed-tools: Bash(git diff:*), Read
//! ---
//! Review this diff with a focus on $ARGUMENTS:
//! !`git diff --staged`
//! ```
//!
//! `$ARGUMENTS` is what follows the name, `$1`..`$9` its words (quotes group them); a body
//! naming neither gets the arguments appended. `` !`cmd` `` is replaced by the command's output
//! and `@path` attaches a workspace file: both are done by the agent, so that the command runs
//! through the permission policy like any bash call ([`CustomCommand::expand`] only finds them).

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::Scope;
use super::frontmatter::{self, List};
use crate::config::Problem;

/// Deepest subfolder of a commands folder that is read.
const MAX_DEPTH: usize = 4;

/// A custom command as its file defines it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomCommand {
    /// What follows the slash: `review`, `frontend:component`.
    pub name: String,
    pub description: String,
    pub argument_hint: Option<String>,
    /// The model to answer it with (for that turn).
    pub model: Option<String>,
    /// Permission rules allowed while it runs (`Bash(git diff:*)`).
    pub allowed_tools: Vec<String>,
    pub body: String,
    pub path: PathBuf,
    pub scope: Scope,
}

#[derive(Debug, Default, Deserialize)]
struct Front {
    description: Option<String>,
    #[serde(rename = "argument-hint", alias = "argument_hint")]
    argument_hint: Option<String>,
    model: Option<String>,
    #[serde(rename = "allowed-tools", alias = "allowed_tools")]
    allowed_tools: Option<List>,
}

/// A command's prompt with the arguments in place: the text for the model, the shell
/// commands (`` !`cmd` ``) whose output replaces their placeholder, and the `@path`s named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expansion {
    pub text: String,
    /// `(placeholder as written, command)`, in order.
    pub shell: Vec<(String, String)>,
    pub mentions: Vec<String>,
}

impl CustomCommand {
    /// The body with `$ARGUMENTS` and `$1`..`$9` replaced by `args`.
    pub fn expand(&self, args: &str) -> Expansion {
        let words = split_args(args);
        let mut text = String::with_capacity(self.body.len() + args.len());
        let mut used = false;
        let mut rest = self.body.as_str();
        while let Some(at) = rest.find('$') {
            text.push_str(&rest[..at]);
            let after = &rest[at + 1..];
            if let Some(tail) = after.strip_prefix("ARGUMENTS") {
                text.push_str(args);
                used = true;
                rest = tail;
            } else if let Some(d) = after.chars().next().filter(|c| ('1'..='9').contains(c)) {
                let n = d as usize - '1' as usize;
                text.push_str(words.get(n).map(String::as_str).unwrap_or(""));
                used = true;
                rest = &after[1..];
            } else {
                text.push('$');
                rest = after;
            }
        }
        text.push_str(rest);
        if !used && !args.is_empty() {
            text = format!("{}\n\nARGUMENTS: {args}", text.trim_end());
        }
        let shell = shell_commands(&text);
        let mentions = mentions(&text);
        Expansion { text, shell, mentions }
    }

    /// Whether it uses what follows its name.
    pub fn takes_arguments(&self) -> bool {
        self.argument_hint.is_some()
            || self.body.contains("$ARGUMENTS")
            || (1..=9).any(|n| self.body.contains(&format!("${n}")))
    }

    /// How help and completion show it: `/name hint`.
    pub fn usage(&self) -> String {
        match &self.argument_hint {
            Some(hint) => format!("/{} {hint}", self.name),
            None => format!("/{}", self.name),
        }
    }
}

/// Words of an argument line; single and double quotes group words.
fn split_args(args: &str) -> Vec<String> {
    let mut words = Vec::new();
    let (mut word, mut quote, mut open) = (String::new(), None, false);
    for c in args.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => word.push(c),
            (None, '"' | '\'') => {
                quote = Some(c);
                open = true;
            }
            (None, c) if c.is_whitespace() => {
                if open || !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
                open = false;
            }
            (None, c) => word.push(c),
        }
    }
    if open || !word.is_empty() {
        words.push(word);
    }
    words
}

/// `` !`cmd` `` placeholders: a `!` right before a backtick-quoted command.
fn shell_commands(text: &str) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("!`") {
        let after = &rest[at + 2..];
        let Some(end) = after.find('`') else { break };
        let command = &after[..end];
        if !command.trim().is_empty() && !command.contains('\n') {
            found.push((format!("!`{command}`"), command.to_string()));
        }
        rest = &after[end + 1..];
    }
    found
}

/// `@path` words (not e-mail addresses): a `@` at the start of a word, followed by a path.
fn mentions(text: &str) -> Vec<String> {
    text.split_whitespace()
        .filter_map(|w| w.strip_prefix('@'))
        .map(|p| p.trim_end_matches([',', '.', ';', ':', ')', '"', '\'']))
        .filter(|p| !p.is_empty() && !p.contains(':'))
        .map(str::to_string)
        .collect()
}

/// Reads every folder, highest precedence first: a name already taken is skipped. (A name
/// that is also a built-in command's is kept; the interface runs the built-in and says so.)
pub fn discover(folders: &[(Scope, PathBuf)], root: &Path) -> (Vec<CustomCommand>, Vec<Problem>) {
    let mut commands: Vec<CustomCommand> = Vec::new();
    let mut problems = Vec::new();
    for (scope, dir) in folders {
        let mut files = Vec::new();
        markdown_files(dir, 0, &mut files);
        files.sort();
        for path in files {
            let name = command_name(dir, &path);
            if commands.iter().any(|c| c.name == name) {
                continue;
            }
            if let Err(problem) = super::confined(*scope, root, &path) {
                problems.push(problem);
                continue;
            }
            match read(&path, name, *scope) {
                Ok(command) => commands.push(command),
                Err(problem) => problems.push(problem.in_file(&path).then("; this command was skipped")),
            }
        }
    }
    commands.sort_by(|a, b| a.name.cmp(&b.name));
    (commands, problems)
}

fn read(path: &Path, name: String, scope: Scope) -> Result<CustomCommand, Problem> {
    let text = std::fs::read_to_string(path).map_err(|e| Problem::general(format!("cannot read: {e}")))?;
    let (front, body) = frontmatter::split::<Front>(&text)?;
    let description =
        front.description.filter(|d| !d.trim().is_empty()).unwrap_or_else(|| frontmatter::first_line(&body));
    Ok(CustomCommand {
        name,
        description: crate::sanitize::visible_owned(description),
        argument_hint: front.argument_hint.map(crate::sanitize::visible_owned),
        model: front.model.filter(|m| !m.trim().is_empty()),
        allowed_tools: front.allowed_tools.unwrap_or_default().0,
        body,
        path: path.to_path_buf(),
        scope,
    })
}

/// `frontend/component.md` → `frontend:component`.
fn command_name(dir: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(dir).unwrap_or(path).with_extension("");
    let parts: Vec<String> = rel.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
    parts.join(":")
}

fn markdown_files(dir: &Path, depth: usize, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(kind) = entry.file_type() else { continue };
        // Links are followed (dotfile managers link these folders); `metadata` says where to.
        let is_dir = kind.is_dir() || (kind.is_symlink() && path.is_dir());
        if is_dir && depth < MAX_DEPTH {
            markdown_files(&path, depth + 1, out);
        } else if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("md")) && path.is_file() {
            let name = path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
            if !name.is_empty() && name.chars().all(|c| c.is_alphanumeric() || "-_.".contains(c)) {
                out.push(path);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn command(body: &str) -> CustomCommand {
        CustomCommand {
            name: "x".into(),
            description: String::new(),
            argument_hint: None,
            model: None,
            allowed_tools: Vec::new(),
            body: body.into(),
            path: PathBuf::new(),
            scope: Scope::User,
        }
    }

    #[test]
    fn arguments_positions_shell_and_mentions() {
        let e = command("Fix issue #$1 in $2 ($ARGUMENTS), costs $5.00").expand("42 \"src/a b.rs\"");
        assert_eq!(e.text, "Fix issue #42 in src/a b.rs (42 \"src/a b.rs\"), costs .00");
        let e = command("Review the code").expand("carefully");
        assert_eq!(e.text, "Review the code\n\nARGUMENTS: carefully");
        assert_eq!(command("Plain $ sign").expand("").text, "Plain $ sign");
        let e = command("Status: !`git status --short` and !`git log -1`; see @src/main.rs, mail a@b.c").expand("");
        assert_eq!(
            e.shell,
            vec![
                ("!`git status --short`".into(), "git status --short".into()),
                ("!`git log -1`".into(), "git log -1".into())
            ]
        );
        assert_eq!(e.mentions, vec!["src/main.rs".to_string()]);
    }

    #[test]
    fn folders_namespaces_precedence_and_bad_files() {
        let dir = tempfile::tempdir().unwrap();
        let (project, user) = (dir.path().join("p"), dir.path().join("u"));
        std::fs::create_dir_all(project.join("frontend")).unwrap();
        std::fs::create_dir_all(&user).unwrap();
        std::fs::write(
            project.join("review.md"),
            "---\ndescription: Project review\nargument-hint: [focus]\n---\nbody",
        )
        .unwrap();
        std::fs::write(project.join("frontend/component.md"), "# Make a component\n$ARGUMENTS").unwrap();
        std::fs::write(user.join("review.md"), "user review").unwrap();
        std::fs::write(user.join("broken.md"), "---\ndescription: ok\nnot a key line\n---\n").unwrap();
        let (commands, problems) =
            discover(&[(Scope::Project, project.clone()), (Scope::User, user.clone())], dir.path());
        let names: Vec<&str> = commands.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["frontend:component", "review"]);
        assert_eq!(commands[1].description, "Project review");
        assert_eq!(commands[1].usage(), "/review [focus]");
        assert_eq!(commands[1].scope, Scope::Project);
        assert_eq!(commands[0].description, "Make a component");
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems.iter().any(|p| p.path == Some(user.join("broken.md")) && p.line == Some(3)), "{problems:?}");
    }
}
