//! `Agent`: hands a piece of work to a sub-agent, a full agent with its own conversation that
//! answers with its final text. The agent core runs it ([`super::Subagents`]); several calls
//! in one answer run at the same time.

use serde::Deserialize;
use serde_json::{Value, json};

use super::{Access, CallPlan, Tool, ToolContext, ToolEnv, ToolOutput, parse_input};
use crate::extend::agents::{AgentDef, GENERAL};
use crate::provider::{BoxFuture, ToolSpec};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Input {
    pub description: String,
    pub prompt: String,
    #[serde(default)]
    pub subagent_type: Option<String>,
    #[serde(default)]
    pub model: Option<String>,
}

pub struct AgentTool {
    pub definitions: Vec<AgentDef>,
}

impl AgentTool {
    /// The call's input, checked: a prompt, and a type that exists.
    pub fn check(definitions: &[AgentDef], input: &Value) -> Result<(Input, AgentDef), String> {
        let input: Input = parse_input("Agent", input)?;
        if input.prompt.trim().is_empty() {
            return Err("Agent: the prompt is empty; say what the sub-agent should do".into());
        }
        let kind = input.subagent_type.as_deref().map(str::trim).filter(|t| !t.is_empty()).unwrap_or(GENERAL);
        let def = definitions.iter().find(|d| d.name == kind).cloned().ok_or_else(|| {
            let names: Vec<&str> = definitions.iter().map(|d| d.name.as_str()).collect();
            format!("Agent: there is no agent type `{kind}`; the types are: {}", names.join(", "))
        })?;
        Ok((input, def))
    }
}

impl Tool for AgentTool {
    fn spec(&self) -> ToolSpec {
        let mut description = String::from(
            "Launch a sub-agent to carry out a task on its own: it has its own conversation, the same tools \
(unless its type says otherwise) and the same permissions, and answers with a final report, which is \
this call's result. The user does not see that report: tell them what matters. Several Agent calls in one \
message run in parallel; give each a complete, self-contained prompt (it does not see this conversation) \
and say exactly what it should report back.\n\nAgent types (subagent_type):",
        );
        for def in &self.definitions {
            description.push_str(&format!("\n- {}: {}", def.name, def.description));
        }
        ToolSpec {
            name: "Agent".into(),
            description,
            input_schema: json!({
                "type": "object",
                "properties": {
                    "description": {"type": "string", "description": "A short (3-5 words) description of the task"},
                    "prompt": {"type": "string", "description": "The task for the sub-agent, complete and self-contained"},
                    "subagent_type": {"type": "string", "description": format!("The type of agent (default {GENERAL})")},
                    "model": {"type": "string", "description": "Optional model for this agent (default: its type's, or the session's)"}
                },
                "required": ["description", "prompt"],
                "additionalProperties": false
            }),
        }
    }

    fn plan(&self, input: &Value, _env: &ToolEnv) -> Result<CallPlan, String> {
        let (input, def) = Self::check(&self.definitions, input)?;
        // Starting one asks nothing: each of its calls passes the policy on its own.
        Ok(CallPlan {
            access: Access::Read,
            paths: vec![],
            summary: format!("{} ({})", input.description.trim(), def.name),
            subject: def.name,
            preview: None,
            change: None,
        })
    }

    fn run<'a>(&'a self, input: Value, ctx: &'a ToolContext) -> BoxFuture<'a, Result<ToolOutput, String>> {
        Box::pin(async move {
            let Some(subagents) = ctx.subagents.clone() else {
                return Err("Agent: sub-agents cannot be started here".to_string());
            };
            Ok(subagents.run(&ctx.call_id, input, ctx.cancel.clone()).await)
        })
    }
}
