//! `StructuredOutput`: headless runs with `--json-schema` ask the model for an answer shaped by
//! a JSON Schema. The model finishes by calling this tool with an object; one that does not
//! validate comes back to the model with the validation errors (it tries again, a few times at
//! most), one that does is the run's `structured_output`.

use serde_json::{Value, json};

use super::{Access, CallPlan, Tool, ToolContext, ToolEffect, ToolEnv, ToolOutput};
use crate::provider::{BoxFuture, ToolSpec};

/// Reads `--json-schema`: JSON written out, or a file holding it. The schema itself must be a
/// valid JSON Schema; a mistake names where it is.
pub fn load_schema(arg: &str) -> Result<Value, String> {
    let (text, from) = if arg.trim_start().starts_with('{') {
        (arg.to_string(), "--json-schema".to_string())
    } else {
        let text = std::fs::read_to_string(arg).map_err(|e| format!("--json-schema {arg}: cannot read: {e}"))?;
        (text, arg.to_string())
    };
    let schema: Value =
        serde_json::from_str(&text).map_err(|e| format!("{from}:{}:{}: not JSON: {e}", e.line(), e.column()))?;
    jsonschema::validator_for(&schema).map_err(|e| format!("{from}: not a valid JSON Schema: {e}"))?;
    if !schema.is_object() {
        return Err(format!("{from}: a JSON Schema is an object"));
    }
    Ok(schema)
}

/// Whether the schema describes an object (the tool's input is one); other schemas are
/// wrapped as `{"value": ...}`.
fn describes_object(schema: &Value) -> bool {
    schema.get("type").and_then(Value::as_str) == Some("object")
}

pub struct StructuredOutput {
    pub schema: Value,
}

impl StructuredOutput {
    fn input_schema(&self) -> Value {
        match describes_object(&self.schema) {
            true => self.schema.clone(),
            false => json!({"type": "object", "properties": {"value": self.schema}, "required": ["value"]}),
        }
    }

    /// The output an input stands for, if it validates; else every validation error.
    fn check(&self, input: &Value) -> Result<Value, String> {
        let value = match describes_object(&self.schema) {
            true => input.clone(),
            false => input.get("value").cloned().unwrap_or(Value::Null),
        };
        let validator = jsonschema::validator_for(&self.schema).map_err(|e| format!("StructuredOutput: {e}"))?;
        let errors: Vec<String> =
            validator.iter_errors(&value).map(|e| format!("- at `{}`: {e}", e.instance_path())).collect();
        if errors.is_empty() {
            return Ok(value);
        }
        Err(format!(
            "StructuredOutput: the output does not match the schema; fix these and call StructuredOutput again:\n{}",
            errors.join("\n")
        ))
    }
}

impl Tool for StructuredOutput {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "StructuredOutput".into(),
            description: "Give your final answer as structured data: call this once you are done, with an object \
that matches the input schema exactly. The run's result is what you pass here."
                .into(),
            input_schema: self.input_schema(),
        }
    }

    fn plan(&self, input: &Value, _env: &ToolEnv) -> Result<CallPlan, String> {
        self.check(input)?;
        Ok(CallPlan {
            access: Access::Read,
            paths: vec![],
            summary: String::from("final answer"),
            subject: String::new(),
            preview: None,
            change: None,
        })
    }

    fn run<'a>(&'a self, input: Value, _ctx: &'a ToolContext) -> BoxFuture<'a, Result<ToolOutput, String>> {
        Box::pin(async move {
            let value = self.check(&input)?;
            Ok(ToolOutput::ok("Recorded. Your work is done: end your turn now.")
                .with_effect(ToolEffect::Structured(value)))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemas_are_loaded_checked_and_wrapped() {
        assert!(load_schema("{\"type\": \"object\"").unwrap_err().starts_with("--json-schema:1:"));
        assert!(load_schema("{\"type\": 12}").unwrap_err().contains("not a valid JSON Schema"));
        assert!(load_schema("/nonexistent/schema.json").unwrap_err().contains("cannot read"));
        let tool = StructuredOutput {
            schema: json!({"type": "object", "properties": {"count": {"type": "integer"}}, "required": ["count"]}),
        };
        assert_eq!(tool.check(&json!({"count": 3})).unwrap(), json!({"count": 3}));
        let err = tool.check(&json!({"count": "three"})).unwrap_err();
        assert!(err.contains("at `/count`") && err.contains("is not of type"), "{err}");
        let list = StructuredOutput { schema: json!({"type": "array", "items": {"type": "string"}}) };
        assert_eq!(list.input_schema()["required"], json!(["value"]));
        assert_eq!(list.check(&json!({"value": ["a"]})).unwrap(), json!(["a"]));
    }
}
