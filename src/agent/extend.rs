//! What the user's files add to a turn: a custom command expanded into its prompt, MCP
//! prompts and resources, and hooks run at their events ([`crate::extend`]).

use std::path::PathBuf;

use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use super::{Agent, AgentEvent};
use crate::extend::hooks::Event;
use crate::extend::run::{Outcome, Permission};
use crate::permission::{Rule, RuleOrigin};
use crate::tools::ToolOutput;

/// What `/init` asks of the model.
const INIT: &str = "Survey this repository and write a CLAW.md at its root: the instructions a coding agent \
(you, in a later session) needs to work here. Read the README, the build and test setup (manifests, CI files, \
scripts), and enough of the code to see its layout. Then write CLAW.md with write_file, concise and specific:

- the commands to build, run, lint and test (a single test too), exactly as they are typed;
- the architecture in a few lines: the main parts, where they live, how they talk;
- the conventions that are not obvious from one file (error handling, naming, where tests go);
- anything that surprises newcomers.

Do not list every file, do not invent what you did not see, and leave out generic advice. If the repository \
already has a CLAW.md, CLAUDE.md or AGENTS.md, read it first and propose an improved CLAW.md that keeps what \
is still true. The user reviews the file as a diff before it is written.";

/// A prompt as the model gets it.
pub(crate) struct Prepared {
    pub text: String,
    /// Text blocks after the prompt: MCP resources, hook context.
    pub extra: Vec<String>,
    /// Files the prompt attaches (`@path` of a custom command).
    pub attachments: Vec<PathBuf>,
    /// A custom command's model, for this turn.
    pub model: Option<String>,
    /// A custom command's `allowed-tools`, for this turn.
    pub rules: Vec<Rule>,
}

impl Agent {
    /// Runs the UserPromptSubmit hooks on the prompt as typed, then expands a custom command
    /// or an MCP prompt and attaches `@server:uri` resources. `Err`: the prompt is not sent,
    /// and why.
    pub(crate) async fn prepare(
        &mut self,
        turn_id: u64,
        text: String,
        cancel: &CancellationToken,
    ) -> Result<Prepared, String> {
        // As typed: a hook that blocks the prompt blocks a custom command's shell lines too.
        let outcome = self.hook(Event::UserPromptSubmit, None, json!({ "prompt": text }), cancel).await;
        if let Some(reason) = outcome.block.or(outcome.stop) {
            return Err(format!("a UserPromptSubmit hook blocked this prompt: {reason}"));
        }
        let text = if text.trim() == "/init" { INIT.to_string() } else { text };
        let mut prepared =
            Prepared { text, extra: Vec::new(), attachments: Vec::new(), model: None, rules: Vec::new() };
        self.expand_command(turn_id, &mut prepared, cancel).await;
        let (text, resources) = match self.expand_mcp(std::mem::take(&mut prepared.text)).await {
            Ok(expanded) => expanded,
            Err(why) => {
                // The turn does not happen: a command's rules for it go with it.
                self.live.lock().expect("live lock").policy.allow.retain(|r| !prepared.rules.contains(r));
                return Err(why);
            }
        };
        prepared.text = text;
        prepared.extra.extend(resources);
        prepared.extra.append(&mut self.session_context);
        prepared.extra.extend(
            outcome.context.into_iter().map(|c| format!("<user-prompt-submit-hook>\n{c}\n</user-prompt-submit-hook>")),
        );
        Ok(prepared)
    }

    /// A prompt as the MCP servers make it: a `/mcp__server__prompt` line replaced by the
    /// prompt's text, and the contents of the `@server:uri` resources it names.
    async fn expand_mcp(&self, text: String) -> Result<(String, Vec<String>), String> {
        let Some(hub) = self.registry.hub() else { return Ok((text, Vec::new())) };
        let text = match crate::mcp::context::expand_prompt(&hub, &text).await {
            Some(expanded) => expanded?,
            None => text,
        };
        let resources = crate::mcp::context::attach_resources(&hub, &text).await;
        Ok((text, resources))
    }

    /// `/name args` of a custom command: its body with the arguments in place, each
    /// `` !`cmd` `` replaced by the output of a bash call (which the policy decides on like any
    /// other, shown as a tool call), `@path`s inside the workspace attached.
    async fn expand_command(&mut self, turn_id: u64, prepared: &mut Prepared, cancel: &CancellationToken) {
        let Some((command, args)) = self.config.extensions.command(&prepared.text) else { return };
        let (command, expansion) = (command.clone(), command.expand(args));
        let project = command.scope == crate::extend::Scope::Project;
        prepared.rules = command
            .allowed_tools
            .iter()
            .filter_map(|r| Rule::parse(r).ok())
            .map(|r| Rule { origin: RuleOrigin::File { path: command.path.clone(), project }, ..r })
            .collect();
        self.live.lock().expect("live lock").policy.allow.extend(prepared.rules.iter().cloned());
        let mut text = String::with_capacity(expansion.text.len());
        let mut rest = expansion.text.as_str();
        for (n, (placeholder, shell)) in expansion.shell.iter().enumerate() {
            let Some(at) = rest.find(placeholder.as_str()) else { continue };
            text.push_str(&rest[..at]);
            rest = &rest[at + placeholder.len()..];
            let id = format!("command_{turn_id}_{n}");
            let output = self.tool_call(&id, "bash", json!({ "command": shell }), cancel).await;
            match output.is_error {
                false => text.push_str(output.content.trim_end()),
                true => text.push_str(&format!("[`{shell}` did not run: {}]", output.content.trim_end())),
            }
        }
        text.push_str(rest);
        for mention in &expansion.mentions {
            match self.attachable(mention) {
                Ok(Some(path)) => prepared.attachments.push(path),
                Ok(None) => {}
                Err(why) => text.push_str(&format!("\n[@{mention} was not attached: {why}]")),
            }
        }
        prepared.text = text;
        prepared.model = command.model.clone();
    }

    /// The file `@path` in a custom command attaches: one inside the workspace that the policy
    /// lets the model read (a `Read(.env)` deny rule holds here too). `Ok(None)`: not a file
    /// of the workspace (an e-mail address, a path outside), left as text.
    fn attachable(&self, mention: &str) -> Result<Option<PathBuf>, String> {
        let Ok(path) = self.env.workspace.resolve(mention) else { return Ok(None) };
        if !path.inside || !path.canonical.is_file() {
            return Ok(None);
        }
        let Some(read) = self.registry.get("read_file") else { return Ok(None) };
        let plan = read.plan(&json!({ "path": mention }), &self.env)?;
        match self.live.lock().expect("live lock").policy.decide("read_file", &plan) {
            crate::permission::Verdict::Allow => Ok(Some(path.canonical)),
            crate::permission::Verdict::Deny { reason } | crate::permission::Verdict::Ask { reason } => Err(reason),
        }
    }

    /// Runs the hooks of `event`; what they say for the user is shown as warnings.
    pub(crate) async fn hook(
        &self,
        event: Event,
        subject: Option<&str>,
        fields: Value,
        cancel: &CancellationToken,
    ) -> Outcome {
        let outcome = self.hooks.run(event, subject, fields, cancel).await;
        for note in &outcome.notes {
            self.emit(AgentEvent::Warning { message: crate::sanitize::visible_owned(note.clone()) });
        }
        outcome
    }

    /// PreToolUse: `Err` is the result the model gets instead of the call (a hook blocked it);
    /// `Ok` carries the hooks' say on its permission.
    pub(crate) async fn pre_tool(
        &self,
        name: &str,
        input: &Value,
        cancel: &CancellationToken,
    ) -> Result<Option<Permission>, ToolOutput> {
        let fields = json!({ "tool_name": hook_tool_name(name), "tool_input": self.hook_input(input) });
        let outcome = self.hook(Event::PreToolUse, Some(name), fields, cancel).await;
        match (outcome.block, outcome.permission) {
            (Some(reason), _) | (None, Some(Permission::Deny(reason))) => {
                Err(ToolOutput::error(format!("Blocked by a PreToolUse hook: {reason}")))
            }
            (None, permission) => Ok(permission),
        }
    }

    /// PostToolUse: what the hooks say about the result is added to it for the model.
    pub(crate) async fn post_tool(
        &self,
        name: &str,
        input: &Value,
        output: &mut ToolOutput,
        cancel: &CancellationToken,
    ) {
        let response = json!({ "content": output.content, "is_error": output.is_error });
        let fields = json!({ "tool_name": hook_tool_name(name), "tool_input": self.hook_input(input), "tool_response": response });
        let outcome = self.hook(Event::PostToolUse, Some(name), fields, cancel).await;
        for note in outcome.block.into_iter().chain(outcome.context) {
            output.content.push_str(&format!("\n\n<post-tool-use-hook>\n{note}\n</post-tool-use-hook>"));
        }
    }

    /// Stop: why the turn must go on (a hook blocked the stop), if it must.
    pub(crate) async fn stop_hook(&self, active: bool, cancel: &CancellationToken) -> Option<String> {
        let event = if self.sub.is_some() { Event::SubagentStop } else { Event::Stop };
        let outcome = self.hook(event, None, json!({ "stop_hook_active": active }), cancel).await;
        if outcome.stop.is_some() {
            return None;
        }
        outcome.block
    }

    /// SessionStart, once per agent: what the hooks print goes with the first prompt.
    pub(crate) async fn session_start(&mut self) {
        let source = if self.history.is_empty() { "startup" } else { "resume" };
        let outcome =
            self.hook(Event::SessionStart, Some(source), json!({ "source": source }), &CancellationToken::new()).await;
        self.session_context
            .extend(outcome.context.into_iter().map(|c| format!("<session-start-hook>\n{c}\n</session-start-hook>")));
    }

    /// PreCompact: before the conversation is summarized (`manual` or `auto`).
    pub(crate) async fn pre_compact(&self, trigger: &str, focus: Option<&str>, cancel: &CancellationToken) {
        let fields = json!({ "trigger": trigger, "custom_instructions": focus.unwrap_or("") });
        self.hook(Event::PreCompact, Some(trigger), fields, cancel).await;
    }

    /// Notification: an approval waits for the user. Runs beside the turn, which goes on.
    pub(crate) fn notify(&self, tool: &str) {
        if self.hooks.matching(Event::Notification, None).is_empty() {
            return;
        }
        let hooks = self.hooks.clone();
        let message = format!("claw-tui needs your permission to use {}", hook_tool_name(tool));
        tokio::spawn(async move {
            let fields = json!({ "message": message, "notification_type": "permission_prompt" });
            hooks.run(Event::Notification, None, fields, &CancellationToken::new()).await
        });
    }

    /// The input a hook sees: the call's own, plus `file_path` (absolute) where the call names
    /// a `path`, as Claude Code's tools call it.
    fn hook_input(&self, input: &Value) -> Value {
        let mut input = input.clone();
        if let Some(map) = input.as_object_mut()
            && !map.contains_key("file_path")
            && let Some(path) = map.get("path").and_then(Value::as_str)
            && let Ok(resolved) = self.env.workspace.resolve(path)
        {
            map.insert("file_path".into(), json!(resolved.path.display().to_string()));
        }
        input
    }
}

/// The name a hook script sees: Claude Code's where the tool has one (`Bash`, `Edit`).
fn hook_tool_name(name: &str) -> &str {
    crate::permission::claude_tool_name(name).unwrap_or(name)
}
