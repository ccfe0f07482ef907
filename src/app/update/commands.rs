//! Slash commands: one table, [`COMMANDS`], from which the completion popup, the palette, the
//! help overlay and docs/tui.md's list all come, and which runs them.

use super::*;
use crate::app::changes::Scope;
use crate::app::slot::Start;

/// A slash command.
pub struct Command {
    /// What is typed, with its slash: `/model`.
    pub name: &'static str,
    /// Other names that run it.
    pub aliases: &'static [&'static str],
    /// What may follow the name, as help writes it (`[NAME]`, `TITLE`); empty for nothing.
    pub args: &'static str,
    pub description: &'static str,
    /// Runs it with what followed the name (trimmed, maybe empty).
    pub run: fn(&mut State, &str, &mut Vec<Effect>),
}

impl Command {
    /// Whether `typed` names this command (its name or an alias).
    pub fn is(&self, typed: &str) -> bool {
        self.name == typed || self.aliases.contains(&typed)
    }
}

macro_rules! commands {
    ($( $name:literal $([$($alias:literal),*])? args $args:literal => $run:ident : $desc:literal ),* $(,)?) => {
        /// Every slash command, in the order the popup and help list them.
        pub const COMMANDS: &[Command] = &[
            $( Command { name: $name, aliases: &[$($($alias),*)?], args: $args, description: $desc, run: $run } ),*
        ];
    };
}

commands! {
    "/help" args "" => help: "Show the keys of the active keymap",
    "/clear" args "" => clear: "Start a new conversation",
    "/exit" ["/quit"] args "" => exit: "Quit claw-tui",
    "/version" args "" => version: "Show the version",
    "/cost" args "" => cost: "Show the tokens and cost of this session",
    "/status" args "" => status: "Show the model, session, workspace, mode and sandbox",
    "/model" args "[NAME]" => model: "Pick the model (or /model NAME)",
    "/permissions" args "[MODE]" => permissions: "Show and change the permission mode (or /permissions MODE)",
    "/demo" args "" => demo: "Play the offline demo in a scratch directory",
    "/config" args "" => config: "Show the effective settings and where each comes from",
    "/theme" args "" => theme: "Pick a theme, previewed as you move",
    "/keymap" args "[test]" => keymap: "List the active key bindings (/keymap test: see what a key does)",
    "/resume" ["/sessions"] args "[ID]" => resume: "Browse saved sessions: search, preview, resume, rename, fork, delete (/resume ID: that one)",
    "/fork" args "" => fork: "Continue in a copy of this session",
    "/session" args "" => session: "Show this session's id, file, size and message count",
    "/rename" args "TITLE" => rename: "Give this session a title (/rename TITLE)",
    "/compact" args "[FOCUS]" => compact: "Summarize the conversation to free context (/compact [FOCUS])",
    "/export" args "[PATH]" => export: "Write this session to a file (/export [PATH], .json for JSON)",
    "/diff" args "[session]" => diff: "Browse changed files and their diffs (/diff session: only this session's changes)",
    "/undo" args "" => undo: "Revert the file changes of the last turn that made any, after showing them",
    "/rewind" args "" => rewind: "Go back to before a turn: its files, the conversation, or both",
    "/trust" args "" => trust: "Trust this folder, so the settings its files set apply (asks first)",
    "/login" args "" => login: "Log in with your Anthropic account (OAuth)",
    "/mcp" args "" => mcp: "The MCP servers: status, tools, last error; reconnect, read a server's log",
    "/agents" args "" => agents: "The sub-agents of this session (enter: a transcript) and the agent types",
    "/memory" args "" => memory: "Edit an instruction file (project, local or yours) in $EDITOR; read again after",
    "/init" args "" => init: "Have the model survey the repository and propose a CLAW.md (reviewed as a diff)",
    "/hooks" args "" => hooks: "List the hooks in force and the file each comes from",
    "/skills" args "" => skills: "List the skills offered to the model and custom commands",
}

/// Runs a command line (`/name args`).
pub(super) fn run_command(state: &mut State, line: &str, fx: &mut Vec<Effect>) {
    let (name, arg) = match line.split_once(char::is_whitespace) {
        Some((n, a)) => (n, a.trim()),
        None => (line, ""),
    };
    match COMMANDS.iter().find(|c| c.is(name)) {
        Some(command) => (command.run)(state, arg, fx),
        // An MCP server's prompt or a custom command: the agent expands it and sends its text.
        None if name.starts_with("/mcp__") || state.extensions.command(line).is_some() => {
            if state.turn_running {
                state.queued.push_back(line.to_string());
            } else {
                send_prompt(state, line.to_string(), fx);
            }
        }
        None => notice(
            state,
            NoticeLevel::Error,
            format!(
                "unknown command {name}; type / to see the commands, or press {} for help",
                state.keymap.hint(Action::Help)
            ),
        ),
    }
}

pub(super) fn set_mode(state: &mut State, mode: PermissionMode, fx: &mut Vec<Effect>) {
    state.status.mode = mode;
    flash(state, format!("permission mode: {mode}"));
    fx.push(Effect::Agent(Op::SetPermissionMode { mode }));
}

fn memory(state: &mut State, _: &str, _: &mut Vec<Effect>) {
    use crate::agent::prompt::MemoryScope;
    let item = |label: &str, detail: &str, scope| PickerItem {
        label: label.into(),
        detail: detail.into(),
        key: String::new(),
        action: PickerAction::Memory(scope),
    };
    let items = vec![
        item(
            "project",
            "CLAW.md (or the CLAUDE.md / AGENTS.md it has): checked in, for everyone",
            MemoryScope::Project,
        ),
        item(
            "local",
            "CLAW.local.md (or CLAUDE.local.md): yours in this repository, not checked in",
            MemoryScope::Local,
        ),
        item("user", "~/.claw/CLAW.md: yours, in every project", MemoryScope::User),
    ];
    super::pickers::open_picker(state, "Edit instructions", items);
}

/// `/memory`'s file was saved (or the editor failed): the agent reads the files again.
pub(super) fn memory_edited(state: &mut State, result: Result<std::path::PathBuf, String>, fx: &mut Vec<Effect>) {
    match result {
        Ok(path) => {
            let text = format!("{} saved; the model reads it from the next request on", path.display());
            notice(state, NoticeLevel::Info, text);
            fx.push(Effect::Agent(Op::ReloadInstructions));
        }
        Err(e) => notice(state, NoticeLevel::Error, format!("the editor failed: {e}")),
    }
}

/// `/resume ID` found its session (or not).
pub(super) fn session_found(state: &mut State, result: Result<std::path::PathBuf, String>, fx: &mut Vec<Effect>) {
    match result {
        Ok(path) => super::start::start_agent(state, Start::Resume(path), fx),
        Err(e) => notice(state, NoticeLevel::Error, e),
    }
}

fn init(state: &mut State, _: &str, fx: &mut Vec<Effect>) {
    if state.turn_running {
        state.queued.push_back("/init".into());
    } else {
        send_prompt(state, "/init".into(), fx);
    }
}

fn agents(state: &mut State, _: &str, _: &mut Vec<Effect>) {
    super::agents::open(state);
}

fn hooks(state: &mut State, _: &str, _: &mut Vec<Effect>) {
    let text = super::listing::hooks(&state.hooks, state.untrusted.as_ref());
    notice(state, NoticeLevel::Info, text);
}

fn skills(state: &mut State, _: &str, _: &mut Vec<Effect>) {
    let text = super::listing::skills_and_commands(&state.extensions);
    notice(state, NoticeLevel::Info, text);
}

fn mcp(state: &mut State, _: &str, _: &mut Vec<Effect>) {
    state.overlays.push(Overlay::Mcp(Box::default()));
}

fn help(state: &mut State, _: &str, _: &mut Vec<Effect>) {
    state.overlays.push(Overlay::Help { scroll: 0 });
}

fn clear(state: &mut State, _: &str, fx: &mut Vec<Effect>) {
    super::start::start_agent(state, Start::Fresh, fx);
}

fn exit(_: &mut State, _: &str, fx: &mut Vec<Effect>) {
    fx.push(Effect::Quit);
}

fn version(state: &mut State, _: &str, _: &mut Vec<Effect>) {
    notice(state, NoticeLevel::Info, format!("claw-tui {}", env!("CARGO_PKG_VERSION")));
}

fn cost(state: &mut State, _: &str, _: &mut Vec<Effect>) {
    let text = ui::cost::summary(&state.cost);
    notice(state, NoticeLevel::Info, text);
}

fn status(state: &mut State, _: &str, _: &mut Vec<Effect>) {
    let s = &state.status;
    let credential = if s.credential.is_empty() { String::new() } else { format!(" ({})", s.credential) };
    let text = format!(
        "model {} on {}{credential} · session {} · {}{} · permission mode {} · context {} · sandbox {}",
        s.model,
        if s.provider.is_empty() { "?" } else { &s.provider },
        if s.session_id.is_empty() { "(none)" } else { &s.session_id },
        s.cwd.display(),
        s.branch.as_ref().map(|b| format!(" ({b})")).unwrap_or_default(),
        s.mode,
        ui::status::context_label(&state.cost),
        if s.sandbox.is_empty() { "off" } else { &s.sandbox },
    );
    notice(state, NoticeLevel::Info, text);
}

fn model(state: &mut State, arg: &str, fx: &mut Vec<Effect>) {
    if !arg.is_empty() {
        return use_model(state, arg, fx);
    }
    let current = (state.status.provider.as_str(), state.status.model.as_str());
    let mut choices = model_choices(state);
    // The provider in use first, then the others, each in the order they are known.
    choices.sort_by_key(|e| e.provider != current.0);
    let items = choices
        .into_iter()
        .map(|e| {
            let now = (e.provider.as_str(), e.model.as_str()) == current;
            PickerItem {
                detail: model_detail(&e, now),
                label: e.model.clone(),
                key: String::new(),
                action: PickerAction::SetModel(format!("{}/{}", e.provider, e.model)),
            }
        })
        .collect::<Vec<PickerItem>>();
    let now = items.iter().position(|i| i.detail.ends_with(" · current"));
    open_picker(state, "Model", items);
    // The list opens on the model in use.
    if let (Some(Overlay::Picker(p)), Some(i)) = (state.overlays.last_mut(), now) {
        p.selected = i;
    }
}

/// The models /model offers: the `models` setting (or the built-in table), each with the
/// provider its `NAME/` prefix names (anthropic without one), and the models of the user's
/// own providers.
fn model_choices(state: &State) -> Vec<crate::provider::catalog::Entry> {
    use crate::provider::{catalog, select};
    let defs = &state.settings.providers;
    let prices = crate::setup::prices(&state.settings);
    let mut out: Vec<catalog::Entry> = Vec::new();
    for name in &state.models {
        let (provider, model) = select::prefix(name, defs).unwrap_or(("anthropic", name));
        let window = prices.known_context_window(model);
        let price = prices.price(model);
        out.push(catalog::Entry {
            provider: provider.to_string(),
            model: model.to_string(),
            context_window: window,
            input_price: price.map(|p| p.input),
            output_price: price.map(|p| p.output),
        });
    }
    for name in defs.keys() {
        if let Ok(chosen) = select::find(name, defs) {
            for e in catalog::known(&chosen, &prices) {
                if !out.contains(&e) {
                    out.push(e);
                }
            }
        }
    }
    out
}

/// "ollama · 32k context · $0.50/$1.50 per M tokens · current".
fn model_detail(e: &crate::provider::catalog::Entry, current: bool) -> String {
    let window = e.context_window.map_or("context n/a".to_string(), |n| format!("{}k context", n / 1000));
    let price = match (e.input_price, e.output_price) {
        (Some(i), Some(o)) => format!("${i:.2}/${o:.2} per M"),
        _ => "price n/a".to_string(),
    };
    format!("{} · {window} · {price}{}", e.provider, if current { " · current" } else { "" })
}

/// Where the model `name` runs: Ok(the model to send) on the provider in use (a `NAME/` prefix
/// naming that provider is dropped; an unknown prefix is part of the name), or Err((provider,
/// model)) when the prefix names another provider.
pub(super) fn on_provider(
    state: &State,
    name: &str,
    defs: &std::collections::BTreeMap<String, crate::config::settings::ProviderDef>,
) -> Result<String, (String, String)> {
    match crate::provider::select::prefix(name, defs) {
        Some((provider, model)) if provider != state.status.provider => Err((provider.to_string(), model.to_string())),
        Some((_, model)) => Ok(model.to_string()),
        None => Ok(name.to_string()),
    }
}

/// Uses the model `name`: on the provider in use, or, when its `NAME/` prefix names another
/// provider, on that one (the agent starts again on this session; the conversation is kept).
pub(super) fn use_model(state: &mut State, name: &str, fx: &mut Vec<Effect>) {
    match on_provider(state, name, &state.settings.providers) {
        Ok(model) => fx.push(Effect::Agent(Op::SetModel { model })),
        Err((provider, model)) => {
            if let Err(e) = crate::provider::select::find(&provider, &state.settings.providers) {
                return notice(state, NoticeLevel::Error, e);
            }
            let session = state.status.session_file.clone();
            // Without a session file (not saving sessions) there is nothing to continue from.
            let kept = if session.is_some() { "the conversation is kept" } else { "a new conversation" };
            flash(state, format!("switching to {provider}: {model}; {kept}"));
            super::start::start_agent(state, Start::Switch { session, provider, model }, fx);
        }
    }
}

fn login(_: &mut State, _: &str, fx: &mut Vec<Effect>) {
    fx.push(Effect::Login);
}

/// The login finished: the agent starts again on this session, with the login's tokens.
pub(super) fn logged_in(state: &mut State, result: Result<std::path::PathBuf, String>, fx: &mut Vec<Effect>) {
    match result {
        Ok(path) => {
            notice(state, NoticeLevel::Info, format!("logged in; the login is kept in {}", path.display()));
            let start = match state.status.session_file.clone() {
                Some(path) => Start::Resume(path),
                None => Start::Fresh,
            };
            super::start::start_agent(state, start, fx);
        }
        Err(e) => notice(state, NoticeLevel::Error, format!("login failed: {e}")),
    }
}

fn permissions(state: &mut State, arg: &str, fx: &mut Vec<Effect>) {
    if !arg.is_empty() {
        return match arg.parse::<PermissionMode>() {
            Ok(mode) => set_mode(state, mode, fx),
            Err(e) => notice(state, NoticeLevel::Error, e),
        };
    }
    let items = PermissionMode::ALL
        .iter()
        .map(|m| PickerItem {
            label: m.to_string(),
            detail: match m {
                PermissionMode::Review => "review every edit hunk by hunk before it is written; ask to run commands",
                PermissionMode::WorkspaceWrite => "write files in the workspace without asking; ask to run commands",
                PermissionMode::DangerFullAccess => "everything without asking, but protected files still ask",
            }
            .to_string(),
            key: if *m == state.status.mode { "current".into() } else { String::new() },
            action: PickerAction::SetMode(*m),
        })
        .collect();
    open_picker(state, "Permission mode", items);
}

fn demo(state: &mut State, _: &str, fx: &mut Vec<Effect>) {
    super::start::start_agent(state, Start::Demo, fx);
}

fn config(_: &mut State, _: &str, fx: &mut Vec<Effect>) {
    fx.push(Effect::ShowConfig);
}

fn theme(_: &mut State, _: &str, fx: &mut Vec<Effect>) {
    fx.push(Effect::ListThemes);
}

fn keymap(state: &mut State, arg: &str, _: &mut Vec<Effect>) {
    state.overlays.push(if arg == "test" { Overlay::KeyTester { last: None } } else { Overlay::Help { scroll: 0 } });
}

fn resume(state: &mut State, id: &str, fx: &mut Vec<Effect>) {
    match id.split_whitespace().next() {
        Some(id) => fx.push(Effect::FindSession(id.to_string())),
        None => open_browser(state, false, fx),
    }
}

fn fork(state: &mut State, _: &str, fx: &mut Vec<Effect>) {
    match state.status.session_file.clone() {
        Some(path) => fx.push(Effect::Fork(path)),
        None => notice(state, NoticeLevel::Error, "nothing to fork yet: this session has not been saved"),
    }
}

fn session(state: &mut State, _: &str, fx: &mut Vec<Effect>) {
    match &state.status.session_file {
        Some(path) => fx.push(Effect::DescribeSession(path.clone())),
        None => notice(
            state,
            NoticeLevel::Info,
            format!(
                "session {} is not being saved (nothing said yet, the demo, or saving is off)",
                state.status.session_id
            ),
        ),
    }
}

fn rename(state: &mut State, arg: &str, fx: &mut Vec<Effect>) {
    if arg.is_empty() {
        return notice(state, NoticeLevel::Error, "give the new title: /rename TITLE");
    }
    fx.push(Effect::Agent(Op::Rename { title: arg.to_string() }));
}

fn compact(state: &mut State, arg: &str, fx: &mut Vec<Effect>) {
    let focus = (!arg.is_empty()).then(|| arg.to_string());
    state.turn_running = true;
    state.activity = Activity::Thinking;
    notice(state, NoticeLevel::Info, "compacting the conversation…");
    fx.push(Effect::Agent(Op::Compact { focus }));
}

fn export(state: &mut State, arg: &str, fx: &mut Vec<Effect>) {
    let Some(session) = state.status.session_file.clone() else {
        return notice(state, NoticeLevel::Error, "this session is not saved, so there is nothing to export yet");
    };
    let json = arg.ends_with(".json");
    fx.push(Effect::Export { session, path: (!arg.is_empty()).then(|| arg.to_string()), json });
}

fn diff(state: &mut State, arg: &str, fx: &mut Vec<Effect>) {
    let scope = match arg {
        "" | "all" | "tree" => Scope::WorkingTree,
        "session" => Scope::Session,
        other => {
            return notice(
                state,
                NoticeLevel::Error,
                format!("/diff {other}: expected nothing (all changes) or `session`"),
            );
        }
    };
    super::viewer::open_viewer(state, Some(scope), fx);
}

fn undo(state: &mut State, _: &str, fx: &mut Vec<Effect>) {
    super::review::undo(state, fx);
}

fn rewind(state: &mut State, _: &str, fx: &mut Vec<Effect>) {
    super::review::rewind(state, fx);
}

fn trust(state: &mut State, _: &str, _: &mut Vec<Effect>) {
    super::start::ask_trust(state);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The table docs/tui.md shows, made from [`COMMANDS`].
    fn docs_table() -> String {
        let mut out = String::from("| command | also | what it does |\n|---|---|---|\n");
        for c in COMMANDS {
            let usage = if c.args.is_empty() { c.name.to_string() } else { format!("{} {}", c.name, c.args) };
            let also: Vec<String> = c.aliases.iter().map(|a| format!("`{a}`")).collect();
            out.push_str(&format!("| `{usage}` | {} | {} |\n", also.join(", "), c.description));
        }
        out
    }

    /// docs/tui.md lists every command, as the table says, in its order, and nothing else.
    #[test]
    fn docs_list_every_command() {
        let doc = include_str!("../../../docs/tui.md");
        let table = docs_table();
        assert!(doc.contains(&table), "docs/tui.md's command table should read:\n{table}");
    }

    #[test]
    fn names_and_aliases_are_unique_and_run() {
        let mut seen = std::collections::HashSet::new();
        for c in COMMANDS {
            assert!(c.name.starts_with('/'), "{}", c.name);
            for name in std::iter::once(&c.name).chain(c.aliases) {
                assert!(seen.insert(*name), "{name} twice");
                assert!(COMMANDS.iter().find(|x| x.is(name)).is_some_and(|x| x.name == c.name));
            }
        }
    }
}
