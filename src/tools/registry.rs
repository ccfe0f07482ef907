//! The tool registry: specs for the model, and dispatch by name.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::tool_search::{Catalog, ToolSearch};
use super::{Tool, bash, edit_file, glob_search, grep_search, read_file, shells, todo, write_file};
use crate::provider::ToolSpec;

/// The tools of one agent, in the order their specs are sent: the built-in ones, then the
/// tools of the MCP servers (asked of the hub each time, so servers that connect late or
/// change their tools are seen at the next request).
#[derive(Clone)]
pub struct Registry {
    order: Vec<String>,
    tools: BTreeMap<String, Arc<dyn Tool>>,
    catalog: Arc<Catalog>,
}

impl Registry {
    /// An empty registry.
    pub fn empty() -> Self {
        Registry { order: Vec::new(), tools: BTreeMap::new(), catalog: Default::default() }
    }

    /// The built-in tools, ToolSearch included.
    pub fn builtin() -> Self {
        let mut r = Registry::empty();
        r.add(Arc::new(bash::Bash));
        r.add(Arc::new(shells::BashOutput));
        r.add(Arc::new(shells::KillShell));
        r.add(Arc::new(read_file::ReadFile));
        r.add(Arc::new(write_file::WriteFile));
        r.add(Arc::new(edit_file::EditFile));
        r.add(Arc::new(super::notebook_edit::NotebookEdit));
        r.add(Arc::new(glob_search::GlobSearch));
        r.add(Arc::new(grep_search::GrepSearch));
        r.add(Arc::new(todo::TodoWrite));
        r.add(Arc::new(super::web_fetch::WebFetch::default()));
        r.add(Arc::new(super::web_search::WebSearch));
        r.add(Arc::new(super::repl::Repl));
        if super::powershell::PowerShell::available() {
            r.add(Arc::new(super::powershell::PowerShell));
        }
        r.add(Arc::new(super::small::Sleep));
        r.add(Arc::new(super::small::SendUserMessage));
        r.add(Arc::new(ToolSearch { catalog: r.catalog.clone() }));
        r
    }

    /// Adds a tool; a tool of the same name is replaced.
    pub fn add(&mut self, tool: Arc<dyn Tool>) {
        let name = tool.spec().name;
        if !self.tools.contains_key(&name) {
            self.order.push(name.clone());
        }
        self.tools.insert(name, tool);
        self.catalog.set_builtin(self.builtin_specs());
    }

    /// Keeps only the tools `keep` accepts.
    pub fn retain(&mut self, keep: impl Fn(&str) -> bool) {
        self.order.retain(|n| keep(n));
        self.tools.retain(|n, _| keep(n));
        self.catalog.set_builtin(self.builtin_specs());
    }

    /// A registry of the tools `keep` accepts, with a catalog of its own (a sub-agent's: what it
    /// loads through ToolSearch is its own) and the same MCP servers.
    pub fn subset(&self, keep: impl Fn(&str) -> bool) -> Registry {
        let mut r = Registry::empty();
        for name in self.order.iter().filter(|n| *n != "ToolSearch" && keep(n)) {
            r.add(self.tools[name].clone());
        }
        if self.tools.contains_key("ToolSearch") && keep("ToolSearch") {
            r.add(Arc::new(ToolSearch { catalog: r.catalog.clone() }));
        }
        r.attach(self.hub());
        r
    }

    /// Offers the tools of `hub`'s servers (none: no MCP tools).
    pub fn attach(&self, hub: Option<Arc<crate::mcp::Hub>>) {
        self.catalog.set_hub(hub);
    }

    /// The MCP hub in use.
    pub fn hub(&self) -> Option<Arc<crate::mcp::Hub>> {
        self.catalog.hub()
    }

    /// A tool by name: built in, or an MCP server's (deferred or not).
    pub fn get(&self, name: &str) -> Option<Arc<dyn Tool>> {
        if let Some(tool) = self.tools.get(name) {
            return Some(tool.clone());
        }
        if !name.starts_with(crate::mcp::PREFIX) {
            return None;
        }
        let tool = self.catalog.mcp_tools().into_iter().find(|t| t.spec().name == name)?;
        Some(Arc::new(tool))
    }

    /// Every tool's name, MCP tools included.
    pub fn names(&self) -> Vec<String> {
        let mut names = self.order.clone();
        names.extend(self.catalog.mcp_tools().iter().map(|t| t.spec().name));
        names
    }

    fn builtin_specs(&self) -> Vec<ToolSpec> {
        self.order.iter().map(|n| self.tools[n].spec()).collect()
    }

    /// Every tool's spec, no tool deferred.
    pub fn specs(&self) -> Vec<ToolSpec> {
        let mut specs = self.builtin_specs();
        specs.extend(self.catalog.mcp_tools().iter().map(|t| t.spec()));
        specs
    }

    /// The specs to send to a model whose context window is `window` tokens: MCP tools whose
    /// definitions would take more than their share of it are deferred to ToolSearch (whose
    /// description then names them).
    pub fn request_specs(&self, window: u64) -> Vec<ToolSpec> {
        let mcp = self.catalog.mcp_specs_for(window);
        let mut specs = self.builtin_specs();
        specs.extend(mcp);
        specs
    }
}

/// A one-line summary of a tool call's input, like the tool's own plan gives: for a session
/// replayed or previewed, where the plan is not run again.
pub fn input_summary(tool: &str, input: &serde_json::Value) -> String {
    let s = |k: &str| input.get(k).and_then(|v| v.as_str()).unwrap_or_default().to_string();
    match tool {
        "bash" | "PowerShell" => s("command").lines().next().unwrap_or_default().to_string(),
        "read_file" | "write_file" | "edit_file" => s("path"),
        "NotebookEdit" => s("notebook_path"),
        "REPL" => {
            format!("{}: {}", s("language"), s("code").lines().find(|l| !l.trim().is_empty()).unwrap_or_default())
        }
        "glob_search" => s("pattern"),
        "grep_search" => format!("/{}/", s("pattern")),
        "todo_write" => format!("{} items", input.get("todos").and_then(|t| t.as_array()).map_or(0, Vec::len)),
        "bash_output" | "kill_shell" => s("shell_id"),
        "ToolSearch" => s("query"),
        _ => {
            let text = input.to_string();
            text.chars().take(80).collect()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every schema is an object schema whose required fields are declared properties, and
    /// which forbids unknown properties like the input structs do.
    #[test]
    fn specs_are_well_formed() {
        let r = Registry::builtin();
        let specs = r.specs();
        let pwsh = usize::from(crate::tools::powershell::PowerShell::available());
        assert_eq!(specs.len(), 16 + pwsh);
        for spec in specs {
            let s = &spec.input_schema;
            assert_eq!(s["type"], "object", "{}", spec.name);
            assert_eq!(s["additionalProperties"], false, "{}", spec.name);
            let props = s["properties"].as_object().unwrap();
            for req in s["required"].as_array().unwrap() {
                assert!(props.contains_key(req.as_str().unwrap()), "{}: {req}", spec.name);
            }
            assert!(!spec.description.is_empty());
        }
    }
}
