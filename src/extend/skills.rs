//! Skills: `skills/<name>/SKILL.md` folders in Claude Code's format. Their names and
//! descriptions are listed to the model (in the `Skill` tool's description); the model calls
//! `Skill` to load one's instructions, which may point at the folder's other files.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::Scope;
use super::frontmatter;
use crate::config::Problem;

/// Most characters of a description listed to the model.
const MAX_DESCRIPTION: usize = 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skill {
    pub name: String,
    pub description: String,
    /// The skill's folder.
    pub dir: PathBuf,
    /// Its `SKILL.md`.
    pub path: PathBuf,
    pub scope: Scope,
}

#[derive(Debug, Default, Deserialize)]
struct Front {
    name: Option<String>,
    description: Option<String>,
}

/// Reads every folder, highest precedence first: a name already taken is skipped.
pub fn discover(folders: &[(Scope, PathBuf)], root: &Path) -> (Vec<Skill>, Vec<Problem>) {
    let mut skills: Vec<Skill> = Vec::new();
    let mut problems = Vec::new();
    for (scope, dir) in folders {
        let Ok(entries) = std::fs::read_dir(dir) else { continue };
        let mut dirs: Vec<PathBuf> = entries.flatten().map(|e| e.path()).filter(|p| p.is_dir()).collect();
        dirs.sort();
        for skill_dir in dirs {
            let path = skill_dir.join("SKILL.md");
            if !path.is_file() {
                continue;
            }
            if let Err(problem) = super::confined(*scope, root, &path) {
                problems.push(problem);
                continue;
            }
            match read(&skill_dir, &path, *scope) {
                Ok(skill) if skills.iter().any(|s| s.name == skill.name) => {}
                Ok(skill) => skills.push(skill),
                Err(problem) => problems.push(problem.in_file(&path).then("; this skill was skipped")),
            }
        }
    }
    skills.sort_by(|a, b| a.name.cmp(&b.name));
    (skills, problems)
}

fn read(dir: &Path, path: &Path, scope: Scope) -> Result<Skill, Problem> {
    let text = std::fs::read_to_string(path).map_err(|e| Problem::general(format!("cannot read: {e}")))?;
    let (front, _) = frontmatter::split::<Front>(&text)?;
    let folder = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let name = front.name.map(|n| n.trim().to_string()).filter(|n| !n.is_empty()).unwrap_or(folder);
    if !name.chars().all(|c| c.is_alphanumeric() || "-_:.".contains(c)) {
        return Err(Problem::at(2, 1, format!("skill name `{name}` may only have letters, digits, - _ : .")));
    }
    let description = front.description.map(|d| d.trim().to_string()).filter(|d| !d.is_empty()).ok_or_else(|| {
        Problem::at(1, 1, "no `description` in the frontmatter: the model would not know when to use this skill")
    })?;
    let description: String = crate::sanitize::visible_owned(description).chars().take(MAX_DESCRIPTION).collect();
    Ok(Skill { name, description, dir: dir.to_path_buf(), path: path.to_path_buf(), scope })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skills_are_found_named_and_checked() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for (folder, text) in [
            ("pdf", "---\nname: pdf-tools\ndescription: Fill and merge PDF forms\n---\nUse scripts/fill.py\n"),
            ("plain", "---\ndescription: Folder name as the name\n---\n"),
            ("nodesc", "---\nname: nodesc\n---\nbody"),
            ("bad", "---\nname: [x\n---\n"),
        ] {
            std::fs::create_dir_all(root.join(folder)).unwrap();
            std::fs::write(root.join(folder).join("SKILL.md"), text).unwrap();
        }
        std::fs::create_dir_all(root.join("empty")).unwrap();
        let (skills, problems) = discover(&[(Scope::Project, root.to_path_buf())], root);
        let names: Vec<&str> = skills.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["pdf-tools", "plain"]);
        assert_eq!(skills[0].description, "Fill and merge PDF forms");
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems.iter().any(|p| p.message.contains("no `description`")));
        assert!(problems.iter().all(|p| p.path.is_some() && p.line.is_some()));
    }
}
