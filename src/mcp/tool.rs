//! A server's tool as one of the agent's tools: `mcp__<server>__<tool>`.
//!
//! Planned as a call that reaches beyond the workspace (it asks unless a rule or full access
//! allows it; the rules `mcp__<server>` and `mcp__<server>__<tool>` match it), shown to the
//! person with its arguments, and run through the [`Hub`]. The result (text, structured
//! content, resource links, images and audio named by type and size) becomes text for the
//! model, cut to the result budget; a server's error result stays an error.

use std::sync::Arc;

use serde_json::Value;

use super::hub::{Hub, ToolEntry};
use crate::provider::{BoxFuture, ToolSpec};
use crate::tools::{Access, CallPlan, Preview, Tool, ToolContext, ToolEnv, ToolOutput};

/// Longest description sent for one tool; some servers write pages.
const MAX_DESCRIPTION: usize = 2_000;
/// Images of one result sent to the model, and the largest one (the Messages API's limit);
/// others are named by type and size only.
const MAX_IMAGES: usize = 4;
const MAX_IMAGE_BYTES: usize = 5 << 20;
/// The image types the providers take.
const IMAGE_TYPES: &[&str] = &["image/png", "image/jpeg", "image/gif", "image/webp"];

/// One tool of one server.
pub struct McpTool {
    hub: Arc<Hub>,
    server: String,
    tool: String,
    spec: ToolSpec,
    /// The output schema the tool declares (its results must then carry structured content
    /// that matches it).
    output_schema: Option<Value>,
}

/// What is wrong with `value` by `schema`: up to three errors, each with where it is. A schema
/// that cannot be compiled (an unreachable `$ref`) checks nothing: the server has the last word.
pub fn schema_errors(schema: &Value, value: &Value) -> Option<String> {
    let validator = jsonschema::validator_for(schema).ok()?;
    let errors: Vec<String> = validator
        .iter_errors(value)
        .take(3)
        .map(|e| {
            let at = e.instance_path().to_string();
            if at.is_empty() { e.to_string() } else { format!("{at}: {e}") }
        })
        .collect();
    (!errors.is_empty()).then(|| errors.join("; "))
}

impl McpTool {
    pub fn new(hub: Arc<Hub>, entry: &ToolEntry) -> McpTool {
        let t = &entry.tool;
        let mut description = t.description.as_deref().or(t.title.as_deref()).unwrap_or_default().to_string();
        if description.chars().count() > MAX_DESCRIPTION {
            description = description.chars().take(MAX_DESCRIPTION).collect::<String>() + "…";
        }
        if description.is_empty() {
            description = format!("The `{}` tool of the MCP server `{}`.", t.name, entry.server);
        }
        let mut schema = Value::Object((*t.input_schema).clone());
        if schema.get("type").is_none() {
            schema["type"] = Value::from("object");
        }
        McpTool {
            spec: ToolSpec { name: super::tool_name(&entry.server, &t.name), description, input_schema: schema },
            server: entry.server.clone(),
            tool: t.name.to_string(),
            output_schema: t.output_schema.as_ref().map(|s| Value::Object((**s).clone())),
            hub,
        }
    }
}

impl Tool for McpTool {
    fn spec(&self) -> ToolSpec {
        self.spec.clone()
    }

    fn plan(&self, input: &Value, _env: &ToolEnv) -> Result<CallPlan, String> {
        if !input.is_object() && !input.is_null() {
            return Err(format!("{}: the input must be a JSON object, got {input}", self.spec.name));
        }
        let args = if input.is_null() { Value::Object(Default::default()) } else { input.clone() };
        if let Some(errors) = schema_errors(&self.spec.input_schema, &args) {
            return Err(format!("{}: invalid arguments: {errors}; nothing was sent to the server", self.spec.name));
        }
        let mut summary = if input.is_null() { "{}".to_string() } else { input.to_string() };
        if summary.chars().count() > 100 {
            summary = summary.chars().take(99).collect::<String>() + "…";
        }
        Ok(CallPlan {
            access: Access::Execute,
            paths: Vec::new(),
            summary,
            subject: super::server_rule(&self.server),
            preview: Some(Preview::Arguments {
                call: format!("{} › {}", self.server, self.tool),
                json: serde_json::to_string_pretty(input).unwrap_or_default(),
            }),
            change: None,
        })
    }

    fn run<'a>(&'a self, input: Value, ctx: &'a ToolContext) -> BoxFuture<'a, Result<ToolOutput, String>> {
        Box::pin(async move {
            let arguments = match input {
                Value::Object(map) => map,
                _ => Default::default(),
            };
            let result = self
                .hub
                .call(&self.server, &self.tool, arguments, &ctx.cancel, ctx.progress.clone())
                .await
                .map_err(|e| format!("{}: {e}", self.spec.name))?;
            let mut out = render(&result, ctx.env.max_result_chars());
            if let Some(schema) = self.output_schema.as_ref().filter(|_| !out.is_error) {
                let problem = match result.get("structuredContent").filter(|v| !v.is_null()) {
                    None => Some("the server declares an output schema but sent no structured content".to_string()),
                    Some(structured) => schema_errors(schema, structured)
                        .map(|e| format!("the server's structured result does not match its output schema ({e})")),
                };
                if let Some(problem) = problem {
                    out = ToolOutput::error(format!("{}: {problem}; its answer was: {}", self.spec.name, out.content));
                }
            }
            Ok(out)
        })
    }
}

/// A `tools/call` result as text for the model, at most `max` characters.
pub fn render(result: &Value, max: usize) -> ToolOutput {
    let mut parts: Vec<String> = Vec::new();
    for item in result.get("content").and_then(Value::as_array).into_iter().flatten() {
        parts.push(content_text(item));
    }
    if let Some(structured) = result.get("structuredContent").filter(|v| !v.is_null())
        && parts.iter().all(|p| p.trim().is_empty())
    {
        parts = vec![serde_json::to_string_pretty(structured).unwrap_or_default()];
    }
    let mut text = parts.join("\n");
    if text.trim().is_empty() {
        text = "(the tool returned no content)".into();
    }
    let full = text.chars().count() > max;
    let content = if full { crate::tools::text::truncate_middle(&text, max) } else { text.clone() };
    let is_error = result.get("isError").and_then(Value::as_bool).unwrap_or(false);
    let images = result
        .get("content")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|c| c["type"] == "image")
        .filter_map(|c| {
            let (mime, data) = (c["mimeType"].as_str()?, c["data"].as_str()?);
            (IMAGE_TYPES.contains(&mime) && decoded_len(data) <= MAX_IMAGE_BYTES)
                .then(|| crate::provider::ImageData { media_type: mime.to_string(), data: data.to_string() })
        })
        .take(MAX_IMAGES)
        .collect();
    ToolOutput { content, is_error, effects: Vec::new(), full_output: full.then_some(text), images }
}

/// The bytes base64 `data` decodes to.
fn decoded_len(data: &str) -> usize {
    let data = data.trim_end();
    (data.len() / 4 * 3).saturating_sub(data.bytes().rev().take_while(|b| *b == b'=').count())
}

/// One content item as text: text as is; an image or audio by type and size; a resource link
/// by name and address; an embedded resource by its text (or its type, when binary).
fn content_text(item: &Value) -> String {
    let s = |k: &str| item.get(k).and_then(Value::as_str).unwrap_or_default();
    let size = decoded_len;
    match s("type") {
        "text" => s("text").to_string(),
        "image" | "audio" => format!("[{} {}, {} bytes]", s("type"), s("mimeType"), size(s("data"))),
        "resource_link" => {
            let name = if s("name").is_empty() { s("uri") } else { s("name") };
            format!("[resource link: {name} <{}>]", s("uri"))
        }
        "resource" => {
            let r = item.get("resource").cloned().unwrap_or_default();
            let rs = |k: &str| r.get(k).and_then(Value::as_str).unwrap_or_default().to_string();
            match r.get("text").and_then(Value::as_str) {
                Some(text) => format!("[resource {}]\n{text}", rs("uri")),
                None => format!("[resource {} ({}, {} bytes)]", rs("uri"), rs("mimeType"), size(&rs("blob"))),
            }
        }
        other => format!("[{other} content]"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn results_become_text_and_errors_stay_errors() {
        let r = json!({"content": [
            {"type": "text", "text": "hello"},
            {"type": "image", "data": "AAAA", "mimeType": "image/png"},
            {"type": "resource_link", "uri": "file:///a.txt", "name": "a.txt"},
            {"type": "resource", "resource": {"uri": "mem://x", "text": "inside"}}
        ]});
        let out = render(&r, 10_000);
        assert_eq!(
            out.content,
            "hello\n[image image/png, 3 bytes]\n[resource link: a.txt <file:///a.txt>]\n[resource mem://x]\ninside"
        );
        assert_eq!(out.images.len(), 1);
        assert_eq!(decoded_len("AAA="), 2);
        assert!(!out.is_error);
        let out = render(&json!({"content": [{"type": "text", "text": "no such city"}], "isError": true}), 100);
        assert!(out.is_error);
        let out = render(&json!({"content": [], "structuredContent": {"t": 21}}), 100);
        assert_eq!(out.content, "{\n  \"t\": 21\n}");
        let out = render(&json!({"content": [{"type": "text", "text": "x".repeat(500)}]}), 100);
        assert!(out.content.chars().count() < 200);
        assert_eq!(out.full_output.map(|f| f.len()), Some(500));
    }
}
