//! `Config` {setting, value?}: reads an effective setting (as `claw-tui config` shows it, with
//! where it comes from), or proposes a change to one in the project's
//! `.claw/config.local.toml`. The change is a file change like any other: that file is a
//! protected path, so it is always asked about (and reviewed as a diff); headless it needs a
//! rule naming the file. Settings that decide what the model may do or where requests go
//! (permissions, sandbox, provider, hooks, MCP servers, trust, keymap) are never changed.

use serde::Deserialize;
use serde_json::{Value, json};

use super::change::change_plan;
use super::write_file::current_text;
use super::{CallPlan, Tool, ToolContext, ToolEnv, ToolOutput, parse_input, resolve};
use crate::provider::{BoxFuture, ToolSpec};

/// What the model may change.
const CHANGEABLE: &[&str] = &[
    "model",
    "theme",
    "max_tokens",
    "max_iterations",
    "thinking_budget",
    "compact_threshold",
    "notifications",
    "small_model",
    "bash.timeout_secs",
    "agents.max_parallel",
    "ui.show_todos",
    "ui.show_sidebar",
    "ui.sidebar_min_width",
    "ui.diff_side_by_side",
    "ui.diff_wrap",
];

/// The file changes go to.
const FILE: &str = ".claw/config.local.toml";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Input {
    setting: String,
    #[serde(default)]
    value: Option<Value>,
}

pub struct ConfigTool {
    /// The effective settings when the session started: key, value, where it comes from.
    pub settings: Vec<(String, String, String)>,
}

impl ConfigTool {
    fn read(&self, key: &str) -> Result<String, String> {
        match self.settings.iter().find(|(k, _, _)| k == key) {
            Some((k, v, src)) => Ok(format!("{k} = {v}  (from {src}; as of this session's start)")),
            None if key.is_empty() => {
                Ok(self.settings.iter().map(|(k, v, src)| format!("{k} = {v}  ({src})\n")).collect())
            }
            None => {
                let keys: Vec<&str> = self.settings.iter().map(|(k, _, _)| k.as_str()).collect();
                Err(format!("Config: there is no setting `{key}`; the settings are: {}", keys.join(", ")))
            }
        }
    }
}

/// The settings file with `key` set to `value`, its comments and layout kept; the value
/// checked as the settings loader would.
fn set(text: &str, key: &str, value: &Value) -> Result<String, String> {
    let item = match value {
        Value::Bool(b) => toml_edit::value(*b),
        Value::Number(n) if n.is_i64() => toml_edit::value(n.as_i64().unwrap_or_default()),
        Value::Number(n) => toml_edit::value(n.as_f64().unwrap_or_default()),
        Value::String(s) => toml_edit::value(s.as_str()),
        other => return Err(format!("Config: `{key}` takes a string, number or boolean, not {other}")),
    };
    let mut doc: toml_edit::DocumentMut = text.parse().map_err(|e| format!("Config: {FILE} is not valid TOML: {e}"))?;
    let (table, leaf) = match key.split_once('.') {
        Some((section, leaf)) => {
            let entry = doc.entry(section).or_insert(toml_edit::table());
            (entry.as_table_mut().ok_or_else(|| format!("Config: `{section}` in {FILE} is not a table"))?, leaf)
        }
        None => (doc.as_table_mut(), key),
    };
    // A value already there keeps its comments and spacing.
    match (table.get_mut(leaf).and_then(|i| i.as_value_mut()), item) {
        (Some(old), toml_edit::Item::Value(mut new)) => {
            *new.decor_mut() = old.decor().clone();
            *old = new;
        }
        (_, item) => {
            table.insert(leaf, item);
        }
    }
    let new = doc.to_string();
    let parsed: toml::Table = new.parse().map_err(|e| format!("Config: {e}"))?;
    toml::Value::Table(parsed)
        .try_into::<crate::config::Settings>()
        .map_err(|e| format!("Config: `{key}` cannot be {value}: {}", e.message().trim()))?;
    Ok(new)
}

impl Tool for ConfigTool {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "Config".into(),
            description: format!(
                "Read claw-tui's effective settings (`setting`: a key such as `model` or `ui.show_todos`; empty: all), \
or change one by giving `value`: the change is proposed to the user as an edit of the project's {FILE}. \
Changeable: {}. Permission, sandbox, provider, hook and MCP settings cannot be changed.",
                CHANGEABLE.join(", ")
            ),
            input_schema: json!({
                "type": "object",
                "properties": {
                    "setting": {"type": "string", "description": "The setting's key"},
                    "value": {"description": "The new value (string, number or boolean); leave out to read"}
                },
                "required": ["setting"],
                "additionalProperties": false
            }),
        }
    }

    fn plan(&self, input: &Value, env: &ToolEnv) -> Result<CallPlan, String> {
        let input: Input = parse_input("Config", input)?;
        let key = input.setting.trim();
        let Some(value) = &input.value else {
            self.read(key)?;
            return Ok(CallPlan {
                access: super::Access::Read,
                paths: vec![],
                summary: if key.is_empty() { "all settings".into() } else { key.to_string() },
                subject: key.to_string(),
                preview: None,
                change: None,
            });
        };
        if !CHANGEABLE.contains(&key) {
            return Err(format!(
                "Config: `{key}` cannot be changed by the model (it may change: {}). Permission, sandbox, provider, \
hook and MCP settings are the user's to set.",
                CHANGEABLE.join(", ")
            ));
        }
        let path = resolve(&env.workspace, "Config", FILE)?;
        let shown = env.workspace.display(&path.path);
        let old = current_text(&path.path, &shown, "Config")?;
        let new = set(old.as_deref().unwrap_or(""), key, value)?;
        let done = format!(
            "Set {key} = {value} in {shown}; it applies when claw-tui reads its settings again (at once in the interface, at the next run headless)."
        );
        let mut plan = change_plan(path, shown, old, new, done);
        plan.summary = format!("{key} = {value}");
        Ok(plan)
    }

    fn run<'a>(&'a self, input: Value, _ctx: &'a ToolContext) -> BoxFuture<'a, Result<ToolOutput, String>> {
        // A change is committed by the agent from the plan; only reads run here.
        Box::pin(async move {
            let input: Input = parse_input("Config", &input)?;
            self.read(input.setting.trim()).map(ToolOutput::ok)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_set_keeping_the_file_and_checked() {
        let text = "# mine\nmodel = \"a\"\n\n[ui]\nshow_todos = true # keep\n";
        let new = set(text, "ui.show_todos", &json!(false)).unwrap();
        assert_eq!(new, "# mine\nmodel = \"a\"\n\n[ui]\nshow_todos = false # keep\n");
        let new = set("", "theme", &json!("light")).unwrap();
        assert_eq!(new.trim(), "theme = \"light\"");
        assert!(set("", "max_tokens", &json!("many")).unwrap_err().contains("cannot be \"many\""));
        assert!(set("", "theme", &json!(["a"])).unwrap_err().contains("string, number or boolean"));
    }
}
