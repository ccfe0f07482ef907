//! `todo_write`: the model's task list, replaced whole on each call.

use serde::Deserialize;
use serde_json::{Value, json};

use super::{Access, CallPlan, Todo, TodoStatus, Tool, ToolContext, ToolEffect, ToolEnv, ToolOutput, parse_input};
use crate::provider::{BoxFuture, ToolSpec};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Input {
    todos: Vec<Todo>,
}

pub struct TodoWrite;

fn validate(todos: &[Todo]) -> Result<(), String> {
    for (i, t) in todos.iter().enumerate() {
        if t.content.trim().is_empty() {
            return Err(format!("todo_write: item {} has empty content", i + 1));
        }
        if t.active_form.trim().is_empty() {
            return Err(format!("todo_write: item {} has an empty activeForm", i + 1));
        }
    }
    Ok(())
}

impl Tool for TodoWrite {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "todo_write".into(),
            description: "Create or update the task list for the current work, shown to the user live. \
Send the whole list each time. Use it for work with three or more steps; keep exactly one item in_progress while working, \
and mark items completed as soon as they are done."
                .into(),
            input_schema: json!({
                "type": "object",
                "properties": {
                    "todos": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {
                                "content": {"type": "string", "description": "The task, imperative (\"Run the tests\")"},
                                "status": {"type": "string", "enum": ["pending", "in_progress", "completed"]},
                                "activeForm": {"type": "string", "description": "The task while it runs (\"Running the tests\")"}
                            },
                            "required": ["content", "status", "activeForm"],
                            "additionalProperties": false
                        }
                    }
                },
                "required": ["todos"],
                "additionalProperties": false
            }),
        }
    }

    fn plan(&self, input: &Value, _env: &ToolEnv) -> Result<CallPlan, String> {
        let input: Input = parse_input("todo_write", input)?;
        validate(&input.todos)?;
        Ok(CallPlan {
            access: Access::Read,
            paths: vec![],
            summary: format!("{} items", input.todos.len()),
            subject: String::new(),
            preview: None,
            change: None,
        })
    }

    fn run<'a>(&'a self, input: Value, ctx: &'a ToolContext) -> BoxFuture<'a, Result<ToolOutput, String>> {
        Box::pin(async move {
            let input: Input = parse_input("todo_write", &input)?;
            validate(&input.todos)?;
            *ctx.env.todos.lock().expect("todos lock") = input.todos.clone();
            let count = |s: TodoStatus| input.todos.iter().filter(|t| t.status == s).count();
            let message = format!(
                "Todo list updated: {} items ({} completed, {} in progress, {} pending).",
                input.todos.len(),
                count(TodoStatus::Completed),
                count(TodoStatus::InProgress),
                count(TodoStatus::Pending)
            );
            Ok(ToolOutput::ok(message).with_effect(ToolEffect::TodosChanged(input.todos)))
        })
    }
}
