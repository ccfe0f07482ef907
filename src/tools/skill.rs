//! `Skill`: loads one of the skills ([`crate::extend::skills`]) the description lists: the
//! instructions of its `SKILL.md` (frontmatter left out), the folder they are in, and the
//! folder's other files, which the instructions may tell the model to read or run.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::{Value, json};

use super::{Access, CallPlan, Tool, ToolContext, ToolEnv, ToolOutput, parse_input};
use crate::extend::skills::Skill as Definition;
use crate::provider::{BoxFuture, ToolSpec};

/// Most files of a skill's folder listed.
const MAX_FILES: usize = 100;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Input {
    skill: String,
    #[serde(default)]
    args: Option<String>,
}

pub struct SkillTool {
    pub skills: Vec<Definition>,
}

impl SkillTool {
    fn find(&self, name: &str) -> Result<&Definition, String> {
        let name = name.trim().trim_start_matches('/');
        self.skills.iter().find(|s| s.name == name).ok_or_else(|| {
            let names: Vec<&str> = self.skills.iter().map(|s| s.name.as_str()).collect();
            format!("Skill: there is no skill `{name}`; the skills are: {}", names.join(", "))
        })
    }
}

impl Tool for SkillTool {
    fn spec(&self) -> ToolSpec {
        let mut description = String::from(
            "Load a skill: instructions (and files beside them) for a kind of task. When a task matches a skill's \
description, call this first and follow what it returns.\n\nAvailable skills:",
        );
        for skill in &self.skills {
            description.push_str(&format!("\n- {}: {}", skill.name, skill.description));
        }
        ToolSpec {
            name: "Skill".into(),
            description,
            input_schema: json!({
                "type": "object",
                "properties": {
                    "skill": {"type": "string", "description": "The skill's name, as listed"},
                    "args": {"type": "string", "description": "Optional arguments for the skill"}
                },
                "required": ["skill"],
                "additionalProperties": false
            }),
        }
    }

    fn plan(&self, input: &Value, _env: &ToolEnv) -> Result<CallPlan, String> {
        let input: Input = parse_input("Skill", input)?;
        let skill = self.find(&input.skill)?;
        // Reading the skills the user installed: no path of the workspace, nothing to ask.
        Ok(CallPlan {
            access: Access::Read,
            paths: vec![],
            summary: skill.name.clone(),
            subject: skill.name.clone(),
            preview: None,
            change: None,
        })
    }

    fn run<'a>(&'a self, input: Value, _ctx: &'a ToolContext) -> BoxFuture<'a, Result<ToolOutput, String>> {
        Box::pin(async move {
            let input: Input = parse_input("Skill", &input)?;
            let skill = self.find(&input.skill)?.clone();
            tokio::task::spawn_blocking(move || load(&skill, input.args.as_deref()))
                .await
                .map_err(|_| "Skill: loading the skill failed".to_string())?
                .map(ToolOutput::ok)
        })
    }
}

/// The skill's text for the model.
fn load(skill: &Definition, args: Option<&str>) -> Result<String, String> {
    let text = std::fs::read_to_string(&skill.path)
        .map_err(|e| format!("Skill: cannot read {}: {e}", skill.path.display()))?;
    let body = match crate::extend::frontmatter::split::<serde::de::IgnoredAny>(&text) {
        Ok((_, body)) => body,
        Err(p) => return Err(format!("Skill: {}:{}: {}", skill.path.display(), p.line.unwrap_or(1), p.message)),
    };
    let mut out = format!("Skill `{}` (base directory: {})\n\n{}", skill.name, skill.dir.display(), body.trim());
    if let Some(args) = args.map(str::trim).filter(|a| !a.is_empty()) {
        out.push_str(&format!("\n\nARGUMENTS: {args}"));
    }
    let mut files = Vec::new();
    list(&skill.dir, &skill.dir, &mut files);
    files.retain(|f| f != Path::new("SKILL.md"));
    files.sort();
    if !files.is_empty() {
        out.push_str("\n\nFiles in the skill's folder (paths relative to the base directory):");
        for f in files.iter().take(MAX_FILES) {
            out.push_str(&format!("\n- {}", f.display()));
        }
        if files.len() > MAX_FILES {
            out.push_str(&format!("\n- … and {} more", files.len() - MAX_FILES));
        }
    }
    Ok(out)
}

fn list(base: &Path, dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        if out.len() > MAX_FILES {
            return;
        }
        let path = entry.path();
        let name = entry.file_name();
        if name.to_string_lossy().starts_with('.') {
            continue;
        }
        match entry.file_type() {
            Ok(t) if t.is_dir() => list(base, &path, out),
            Ok(_) => out.push(path.strip_prefix(base).unwrap_or(&path).to_path_buf()),
            Err(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_skill_loads_with_its_files_and_unknown_names_list_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let skill_dir = dir.path().join("pdf");
        std::fs::create_dir_all(skill_dir.join("scripts")).unwrap();
        std::fs::write(skill_dir.join("SKILL.md"), "---\nname: pdf\ndescription: PDFs\n---\nRun scripts/fill.py\n")
            .unwrap();
        std::fs::write(skill_dir.join("scripts/fill.py"), "print(1)").unwrap();
        let skill = Definition {
            name: "pdf".into(),
            description: "PDFs".into(),
            dir: skill_dir.clone(),
            path: skill_dir.join("SKILL.md"),
            scope: crate::extend::Scope::User,
        };
        let text = load(&skill, Some("form.pdf")).unwrap();
        assert!(text.starts_with("Skill `pdf` (base directory:"), "{text}");
        assert!(text.contains("Run scripts/fill.py\n\nARGUMENTS: form.pdf"), "{text}");
        assert!(text.contains("- scripts/fill.py"), "{text}");
        assert!(!text.contains("description: PDFs"), "no frontmatter: {text}");
        let tool = SkillTool { skills: vec![skill] };
        assert!(tool.spec().description.contains("- pdf: PDFs"));
        let env = ToolEnv::new(crate::tools::Workspace::new(dir.path(), dir.path()).unwrap());
        let err = tool.plan(&json!({"skill": "nope"}), &env).unwrap_err();
        assert_eq!(err, "Skill: there is no skill `nope`; the skills are: pdf");
    }
}
