//! `NotebookEdit` {notebook_path, cell_id?, new_source, cell_type?, edit_mode?}: replaces,
//! inserts or deletes one cell of a Jupyter notebook.
//!
//! The change is a proposal like `edit_file`'s: what a reviewer sees (and accepts hunk by
//! hunk) is the cell's source, not the file's JSON; what is written is the notebook with only
//! that cell's bytes changed ([`super::notebook`]). A code cell whose source is replaced loses
//! its outputs and execution count, which were of the old source.

use serde::Deserialize;
use serde_json::{Value, json};

use super::change::{Embed, Review, change_plan, commit};
use super::edit_file::stale_read;
use super::notebook::{CELL_TYPES, CellEdit, Notebook};
use super::text::line_counts;
use super::write_file::current_text;
use super::{CallPlan, Tool, ToolContext, ToolEnv, ToolOutput, parse_input, resolve};
use crate::provider::{BoxFuture, ToolSpec};

const NAME: &str = "NotebookEdit";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Input {
    notebook_path: String,
    #[serde(default)]
    cell_id: Option<String>,
    new_source: String,
    #[serde(default)]
    cell_type: Option<String>,
    #[serde(default)]
    edit_mode: Option<String>,
}

pub struct NotebookEdit;

/// The edit the input asks for, with the cell's source before (`None`: a new cell) and after,
/// and what the model is told when it is written.
fn edit(nb: &Notebook, input: &Input, seed: u64) -> Result<(CellEdit, Option<String>, String, String), String> {
    if let Some(kind) = &input.cell_type
        && !CELL_TYPES.contains(&kind.as_str())
    {
        return Err(format!("{NAME}: cell_type is one of {}, not `{kind}`", CELL_TYPES.join(", ")));
    }
    let cell = |what: &str| match &input.cell_id {
        Some(id) => nb.find(id).map_err(|e| format!("{NAME}: {e}")),
        None => Err(format!("{NAME}: {what} needs cell_id, the id of the cell (as read_file shows it)")),
    };
    let mode = input.edit_mode.as_deref().unwrap_or("replace");
    match mode {
        "replace" => {
            let index = cell("replace")?;
            let changes_type = input.cell_type.as_deref().filter(|t| *t != nb.cell_type(index));
            let cleared = if nb.cell_type(index) == "code" || changes_type == Some("code") {
                "; its outputs were cleared"
            } else {
                ""
            };
            let done = format!("Replaced the source of cell {}{cleared}.", nb.cell_id(index));
            let edit = CellEdit::Replace { index, cell_type: changes_type.map(str::to_string) };
            Ok((edit, Some(nb.source(index)), input.new_source.clone(), done))
        }
        "insert" => {
            let Some(cell_type) = input.cell_type.clone() else {
                return Err(format!("{NAME}: insert needs cell_type ({})", CELL_TYPES.join(", ")));
            };
            let after = input.cell_id.as_ref().map(|_| cell("insert")).transpose()?;
            let id = nb.has_ids().then(|| nb.new_id(seed));
            let shown = id.clone().unwrap_or_else(|| format!("cell-{}", after.map_or(0, |i| i + 1)));
            let place = after.map_or("at the start".to_string(), |i| format!("after cell {}", nb.cell_id(i)));
            let done = format!("Inserted a {cell_type} cell {shown} {place}.");
            Ok((CellEdit::Insert { after, cell_type, id }, None, input.new_source.clone(), done))
        }
        "delete" => {
            let index = cell("delete")?;
            let done = format!("Deleted cell {}.", nb.cell_id(index));
            Ok((CellEdit::Delete { index }, Some(nb.source(index)), String::new(), done))
        }
        other => Err(format!("{NAME}: edit_mode is replace, insert or delete, not `{other}`")),
    }
}

impl Tool for NotebookEdit {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: NAME.into(),
            description: "Edit one cell of a Jupyter notebook (.ipynb): replace its source (the default), insert a \
new cell after the cell with cell_id (or at the start when cell_id is not given; cell_type is then required), or \
delete it. Cells are named by the ids read_file shows (`cell-N`, 0-based, where the notebook has none). \
Replacing a code cell's source clears its outputs. Everything else in the file is kept as it is."
                .into(),
            input_schema: json!({
                "type": "object",
                "properties": {
                    "notebook_path": {"type": "string", "description": "The notebook, relative to the working directory or absolute"},
                    "cell_id": {"type": "string", "description": "The cell to replace or delete, or to insert after"},
                    "new_source": {"type": "string", "description": "The cell's new source (ignored when deleting)"},
                    "cell_type": {"type": "string", "enum": CELL_TYPES, "description": "The cell's type: required to insert; when replacing, changes it"},
                    "edit_mode": {"type": "string", "enum": ["replace", "insert", "delete"], "description": "What to do (default replace)"}
                },
                "required": ["notebook_path", "new_source"],
                "additionalProperties": false
            }),
        }
    }

    fn plan(&self, input: &Value, env: &ToolEnv) -> Result<CallPlan, String> {
        let input: Input = parse_input(NAME, input)?;
        let path = resolve(&env.workspace, NAME, &input.notebook_path)?;
        let shown = env.workspace.display(&path.path);
        if !is_notebook(&path.path) {
            return Err(format!("{NAME}: {shown} is not a notebook (.ipynb); use edit_file for other files"));
        }
        if let Some(why) = stale_read(env, &path.canonical) {
            return Err(format!("{NAME}: {shown}: {why}"));
        }
        let Some(file) = current_text(&path.path, &shown, NAME)? else {
            return Err(format!("{NAME}: {shown} does not exist (write_file creates a notebook)"));
        };
        let nb = Notebook::parse(&file).map_err(|e| format!("{NAME}: {shown} is not a notebook I can edit: {e}"))?;
        let (edit, old, new, done) = edit(&nb, &input, seed(&file))?;
        let label = match &edit {
            CellEdit::Insert { .. } => format!("{shown} › new cell"),
            CellEdit::Replace { index, .. } | CellEdit::Delete { index } => {
                format!("{shown} › cell {}", nb.cell_id(*index))
            }
        };
        let (added, removed) = line_counts(old.as_deref().unwrap_or(""), &new);
        let done = format!("{done} {shown}: +{added} -{removed} lines.");
        let mut plan = change_plan(path, shown, old, new, done);
        let change = plan.change.as_mut().expect("a change plan has a change");
        change.embed = Some(Embed { file, label, edit });
        plan.preview = Some(change.preview());
        Ok(plan)
    }

    fn run<'a>(&'a self, input: Value, ctx: &'a ToolContext) -> BoxFuture<'a, Result<ToolOutput, String>> {
        Box::pin(async move {
            let plan = self.plan(&input, &ctx.env)?;
            let change = plan.change.expect("NotebookEdit plans a change");
            Ok(commit(&ctx.env, NAME, &change, &Review::default()).await)
        })
    }
}

/// Whether a path names a notebook.
pub fn is_notebook(path: &std::path::Path) -> bool {
    path.extension().is_some_and(|e| e.eq_ignore_ascii_case("ipynb"))
}

/// A seed for a new cell's id, from the file: the same file gives the same id (a plan made
/// twice, checked and then run headless, names the same cell), another file another one.
fn seed(file: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    file.hash(&mut h);
    h.finish()
}
