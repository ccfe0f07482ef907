//! `ToolSearch`: finding tools by name or description, and the deferred tools it loads.
//!
//! With many MCP servers the tool definitions alone can fill a good part of the context
//! window. Once the MCP tools' definitions would take more than `mcp.defer_threshold` of the
//! window, they are deferred: the request carries only their names (in this tool's
//! description), and the model asks `ToolSearch` for the ones it needs; the definitions found
//! are returned and sent with every later request. A deferred tool called by name without a
//! search still runs (after the permission check like any call). The search covers the
//! built-in tools too, so the tool is offered in every request.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, RwLock};

use serde::Deserialize;
use serde_json::{Value, json};

use super::{Access, CallPlan, Tool, ToolContext, ToolEnv, ToolOutput, parse_input};
use crate::mcp::Hub;
use crate::provider::{BoxFuture, ToolSpec};

pub const NAME: &str = "ToolSearch";
/// Results when the model does not say.
const DEFAULT_RESULTS: usize = 5;

/// What can be searched: the built-in tools, the MCP hub's tools, and which of those are
/// deferred or loaded. Shared by the registry and the tool.
#[derive(Default)]
pub struct Catalog {
    builtin: RwLock<Vec<ToolSpec>>,
    hub: RwLock<Option<Arc<Hub>>>,
    /// MCP tools left out of the last request (names), listed in this tool's description.
    deferred: Mutex<Vec<String>>,
    /// Deferred tools the model found: sent in full from then on.
    loaded: Mutex<BTreeSet<String>>,
}

impl Catalog {
    pub fn set_builtin(&self, specs: Vec<ToolSpec>) {
        *self.builtin.write().expect("catalog lock") = specs;
    }

    pub fn set_hub(&self, hub: Option<Arc<Hub>>) {
        *self.hub.write().expect("catalog lock") = hub;
    }

    pub fn hub(&self) -> Option<Arc<Hub>> {
        self.hub.read().expect("catalog lock").clone()
    }

    /// The MCP tools of every connected server, as agent tools.
    pub fn mcp_tools(&self) -> Vec<crate::mcp::tool::McpTool> {
        let Some(hub) = self.hub() else { return Vec::new() };
        hub.tools().iter().map(|entry| crate::mcp::tool::McpTool::new(hub.clone(), entry)).collect()
    }

    /// The MCP specs to send with a request to a model whose window is `window` tokens: all of
    /// them while they fit in the hub's share of the window, else only those loaded. Remembers
    /// what was left out for this tool's description.
    pub fn mcp_specs_for(&self, window: u64) -> Vec<ToolSpec> {
        let specs: Vec<ToolSpec> = self.mcp_tools().iter().map(Tool::spec).collect();
        let threshold = self.hub().map_or(0.0, |h| h.config.defer_threshold);
        let tokens: usize = specs.iter().map(spec_tokens).sum();
        let fits = (tokens as f64) <= threshold * window as f64;
        let loaded = self.loaded.lock().expect("catalog lock").clone();
        let (sent, deferred): (Vec<ToolSpec>, Vec<ToolSpec>) =
            specs.into_iter().partition(|s| fits || loaded.contains(&s.name));
        *self.deferred.lock().expect("catalog lock") = deferred.into_iter().map(|s| s.name).collect();
        sent
    }

    /// Every tool's spec, built-in first.
    fn everything(&self) -> Vec<ToolSpec> {
        let mut all = self.builtin.read().expect("catalog lock").clone();
        all.extend(self.mcp_tools().iter().map(Tool::spec));
        all
    }
}

/// A rough token count of a tool definition (4 characters a token), for the deferral rule.
pub fn spec_tokens(spec: &ToolSpec) -> usize {
    (spec.name.len() + spec.description.len() + spec.input_schema.to_string().len()).div_ceil(4)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Input {
    query: String,
    #[serde(default, deserialize_with = "super::lenient_usize")]
    max_results: Option<usize>,
}

/// The tool.
pub struct ToolSearch {
    pub catalog: Arc<Catalog>,
}

impl Tool for ToolSearch {
    fn spec(&self) -> ToolSpec {
        let deferred = self.catalog.deferred.lock().expect("catalog lock").clone();
        let mut description = String::from(
            "Search the available tools by name or description and get their full definitions. \
Use `select:NAME1,NAME2` to fetch tools by exact name, or keywords (\"github issue\", \"time zone\") \
to find tools whose name or description match. Tools found here can be called in the next step.",
        );
        if !deferred.is_empty() {
            description.push_str(
                "\n\nThese tools exist but their definitions were left out to save context; \
search for them before calling them:\n",
            );
            description.push_str(&deferred.join("\n"));
        }
        ToolSpec {
            name: NAME.into(),
            description,
            input_schema: json!({
                "type": "object",
                "properties": {
                    "query": {"type": "string", "description": "Keywords, or `select:NAME1,NAME2` for exact names."},
                    "max_results": {"type": "integer", "description": "Most tools to return (default 5)."}
                },
                "required": ["query"],
                "additionalProperties": false
            }),
        }
    }

    fn plan(&self, input: &Value, _env: &ToolEnv) -> Result<CallPlan, String> {
        let input: Input = parse_input(NAME, input)?;
        if input.query.trim().is_empty() {
            return Err(format!("{NAME}: the query is empty"));
        }
        Ok(CallPlan {
            access: Access::Read,
            paths: Vec::new(),
            summary: input.query.clone(),
            subject: input.query,
            preview: None,
            change: None,
        })
    }

    fn run<'a>(&'a self, input: Value, _ctx: &'a ToolContext) -> BoxFuture<'a, Result<ToolOutput, String>> {
        Box::pin(async move {
            let input: Input = parse_input(NAME, &input)?;
            let max = input.max_results.unwrap_or(DEFAULT_RESULTS).clamp(1, 50);
            let found = search(&self.catalog.everything(), &input.query, max);
            if found.is_empty() {
                return Ok(ToolOutput::ok(format!("No tool matches \"{}\".", input.query)));
            }
            self.catalog.loaded.lock().expect("catalog lock").extend(found.iter().map(|s| s.name.clone()));
            let defs: Vec<Value> = found
                .iter()
                .map(|s| json!({"name": s.name, "description": s.description, "input_schema": s.input_schema}))
                .collect();
            let text = serde_json::to_string_pretty(&defs).unwrap_or_default();
            Ok(ToolOutput::ok(format!("{} tool(s) found; they can be called now:\n{text}", found.len())))
        })
    }
}

/// The tools matching `query`, best first: `select:a,b` by exact name; otherwise every word
/// scored against the name (its parts split at `_`) and the description.
pub fn search(all: &[ToolSpec], query: &str, max: usize) -> Vec<ToolSpec> {
    if let Some(names) = query.trim().strip_prefix("select:") {
        let wanted: Vec<&str> = names.split(',').map(str::trim).filter(|n| !n.is_empty()).collect();
        return wanted.iter().filter_map(|w| all.iter().find(|s| s.name == *w)).take(max).cloned().collect();
    }
    let words: Vec<String> = query.split_whitespace().map(str::to_lowercase).collect();
    let mut scored: Vec<(usize, usize, &ToolSpec)> = all
        .iter()
        .enumerate()
        .filter_map(|(i, s)| {
            let name = s.name.to_lowercase();
            let description = s.description.to_lowercase();
            let score: usize = words
                .iter()
                .map(|w| {
                    if name == *w {
                        10
                    } else if name.split(['_', '-']).any(|part| part == w) {
                        5
                    } else if name.contains(w.as_str()) {
                        3
                    } else if description.contains(w.as_str()) {
                        1
                    } else {
                        0
                    }
                })
                .sum();
            (score > 0).then_some((score, i, s))
        })
        .collect();
    scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    scored.into_iter().take(max).map(|(_, _, s)| s.clone()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(name: &str, description: &str) -> ToolSpec {
        ToolSpec { name: name.into(), description: description.into(), input_schema: json!({"type": "object"}) }
    }

    #[test]
    fn selects_by_name_and_ranks_keywords() {
        let all = vec![
            spec("bash", "Run a shell command"),
            spec("mcp__github__create_issue", "Create an issue in a repository"),
            spec("mcp__time__get_current_time", "The current time in a time zone"),
        ];
        let names = |found: Vec<ToolSpec>| found.into_iter().map(|s| s.name).collect::<Vec<_>>();
        assert_eq!(
            names(search(&all, "select:mcp__time__get_current_time,bash", 5)),
            ["mcp__time__get_current_time", "bash"]
        );
        assert_eq!(names(search(&all, "github issue", 5)), ["mcp__github__create_issue"]);
        assert_eq!(names(search(&all, "time zone", 1)), ["mcp__time__get_current_time"]);
        assert!(search(&all, "kubernetes", 5).is_empty());
    }

    /// Every built-in tool is found by its name, and by words of its description.
    #[test]
    fn every_built_in_tool_is_findable() {
        let mut all = crate::tools::Registry::builtin().specs();
        all.push(crate::tools::powershell::PowerShell.spec());
        for (query, want) in [
            ("select:NotebookEdit", "NotebookEdit"),
            ("jupyter notebook cell", "NotebookEdit"),
            ("persistent interpreter python", "REPL"),
            ("powershell", "PowerShell"),
            ("search the web", "WebSearch"),
            ("wait", "Sleep"),
        ] {
            let found: Vec<String> = search(&all, query, 3).into_iter().map(|s| s.name).collect();
            assert_eq!(found.first().map(String::as_str), Some(want), "{query}: {found:?}");
        }
        for spec in &all {
            assert_eq!(search(&all, &format!("select:{}", spec.name), 1)[0].name, spec.name);
        }
    }
}
