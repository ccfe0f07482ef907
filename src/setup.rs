//! Assembling an agent from the effective settings.
//!
//! Shared by headless mode and the TUI, so both run the same agent with the same settings.
//! Precedence is not applied here: [`crate::config::effective`] resolves every value once,
//! and this module turns those values into a provider, a policy, tools and a session. It knows
//! nothing about the interface (no `app` or `ui` imports): what the interface needs from the
//! settings travels in [`Setup::effective`].

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use crate::agent::{AgentConfig, prompt};
use crate::cli::Cli;
use crate::config::{self, Effective, Layer, Problem, Source};
use crate::permission::{PermissionMode, Policy, Rule, RuleOrigin};
use crate::provider::anthropic::{AnthropicConfig, AnthropicProvider};
use crate::provider::scripted::{Scenario, ScriptedProvider};
use crate::provider::{Provider, ThinkingConfig};
use crate::session::{self, Record, SessionWriter};
use crate::tools::{Registry, ToolEnv, Workspace};

pub use crate::config::DEFAULT_MODEL;
/// The built-in demo scenario.
pub const DEMO_SCENARIO: &str = include_str!("../assets/demo.json");

/// Everything needed to spawn an agent.
pub struct Setup {
    pub config: AgentConfig,
    pub provider: Arc<dyn Provider>,
    pub registry: Registry,
    /// Custom commands and skills found for the workspace.
    pub extensions: Arc<crate::extend::Extensions>,
    pub env: Arc<ToolEnv>,
    /// Problems found in the settings and the resumed session, for the user.
    pub problems: Vec<Problem>,
    /// Whether credentials were found (always true for the demo).
    pub has_credentials: bool,
    /// The records of a resumed session, for the interface to show it again.
    pub resumed: Option<Vec<Record>>,
    /// The settings the agent was built from (the interface reads its own from them too).
    pub effective: Effective,
}

/// The demo's scratch workspace, removed when dropped.
pub struct DemoWorkspace {
    pub dir: tempfile::TempDir,
    pub scenario: Scenario,
}

/// Creates a scratch directory holding the demo scenario's files.
pub fn demo_workspace() -> Result<DemoWorkspace, String> {
    let scenario = Scenario::from_json(DEMO_SCENARIO).map_err(|e| format!("the built-in demo is broken: {e}"))?;
    let dir = tempfile::Builder::new()
        .prefix("claw-demo-")
        .tempdir()
        .map_err(|e| format!("cannot create the demo's scratch directory: {e}"))?;
    for (rel, content) in &scenario.files {
        let path = dir.path().join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("demo: {}: {e}", parent.display()))?;
        }
        std::fs::write(&path, content).map_err(|e| format!("demo: {}: {e}", path.display()))?;
    }
    Ok(DemoWorkspace { dir, scenario })
}

/// Builds the agent for `cwd` (or for the demo's scenario). `interactive` says whether a
/// person can answer approvals.
/// `resume` names a session file to continue; without it, `--resume ID` / `--continue` decide.
pub fn build(
    cli: &Cli,
    cwd: &Path,
    demo: Option<&Scenario>,
    interactive: bool,
    resume: Option<&Path>,
) -> Result<Setup, String> {
    let workspace =
        Workspace::discover(cwd).map_err(|e| format!("cannot use {} as the workspace: {e}", cwd.display()))?;
    let effective = config::effective(cli, &workspace.root);
    let mut problems = effective.problems.clone();
    let policy = policy(&effective, demo.is_some() && !interactive, &mut problems)?;
    let mut env = ToolEnv::new(workspace.clone());
    let max = crate::tools::bash::MAX_TIMEOUT.as_secs();
    env.bash_default_timeout = Duration::from_secs(effective.bash_timeout_secs.value.clamp(1, max));
    env.sandbox =
        crate::sandbox::Sandbox::new(effective.sandbox_mode.value, &workspace.root, &effective.sandbox_writable.value);
    let mut prices = prices(&effective);
    let env = Arc::new(env);
    let extensions = Arc::new(extensions(&workspace.root, effective.trusted(), &mut problems));
    let mut registry = tools(&extensions);
    let structured = more_tools(cli, interactive, &effective, &mut registry)?;
    let Provided { provider, has_credentials, secrets, model, model_def } = provider(&effective, demo, &mut problems)?;
    if let Some(def) = &model_def {
        prices.overrides.push(model_override(&model, def));
    }

    let names = registry.names();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let mut system = prompt::build(&workspace, config::config_home().as_deref(), &names);
    if structured {
        system.sections.push(STRUCTURED_PROMPT.to_string());
    }
    let resume_path = match (demo, resume) {
        (Some(_), _) => None,
        (None, Some(path)) => Some(path.to_path_buf()),
        (None, None) => resume_target(cli, &workspace)?,
    };
    let persist = !cli.no_session_persistence && demo.is_none();
    let opened = open_session(resume_path.as_deref(), persist, &workspace, &model, secrets)?;
    *env.checkpoints.lock().expect("checkpoints lock") = checkpoints(&opened);
    problems.extend(opened.problems.into_iter().map(Problem::general));
    let thinking = (effective.thinking_budget.value > 0)
        .then_some(ThinkingConfig { budget_tokens: effective.thinking_budget.value });
    let max_tokens = effective.max_tokens.value.min(model_def.and_then(|d| d.max_output_tokens).unwrap_or(u32::MAX));
    let config = AgentConfig {
        small_model: match effective.small_model.value.trim() {
            "" => crate::agent::ask::default_small_model(provider.name(), &model),
            chosen => chosen.to_string(),
        },
        model,
        max_tokens: thinking.map(|t| max_tokens.max(t.budget_tokens + 1024)).unwrap_or(max_tokens),
        thinking,
        max_iterations: effective.max_iterations.value.max(1),
        policy,
        interactive,
        system: system.sections,
        instruction_files: system.instruction_files,
        session: opened.writer,
        history: opened.history,
        marks: opened.marks,
        prices,
        compact_threshold: effective.compact_threshold.value,
        hooks: effective.hooks.clone(),
        extensions: extensions.clone(),
        max_parallel: effective.max_parallel.value.clamp(1, 64),
        structured,
    };
    Ok(Setup {
        config,
        provider,
        registry,
        env,
        problems,
        has_credentials,
        resumed: opened.records,
        effective,
        extensions,
    })
}

/// What a `--json-schema` run's model is told.
const STRUCTURED_PROMPT: &str = "This run's answer is structured data: when the task is done, call the \
StructuredOutput tool once with an object that matches its input schema exactly. That call is the answer; \
text you write is not read.";

/// Config (with the settings in force), and for `--json-schema` (headless) the StructuredOutput
/// tool with the schema: whether there is one. A schema that cannot be read or is not a valid
/// JSON Schema stops the run, saying where.
fn more_tools(cli: &Cli, interactive: bool, effective: &Effective, registry: &mut Registry) -> Result<bool, String> {
    registry.add(Arc::new(crate::tools::config_tool::ConfigTool { settings: config::describe::rows(effective) }));
    let Some(arg) = cli.json_schema.as_deref().filter(|_| !interactive) else { return Ok(false) };
    let schema = crate::tools::structured::load_schema(arg)?;
    registry.add(Arc::new(crate::tools::structured::StructuredOutput { schema }));
    Ok(true)
}

/// Checkpoints live beside the session file; a resumed session can still undo and rewind.
fn checkpoints(opened: &Opened) -> crate::session::checkpoint::Checkpoints {
    let mut checkpoints = crate::session::checkpoint::Checkpoints::new(opened.writer.path());
    if let Some(records) = &opened.records {
        checkpoints.load(records);
    }
    checkpoints
}

/// The built-in tools, `Agent` with the agent types, and `Skill` where there are skills.
fn tools(extensions: &crate::extend::Extensions) -> Registry {
    let mut registry = Registry::builtin();
    registry.add(Arc::new(crate::tools::agent::AgentTool { definitions: extensions.agents.clone() }));
    if !extensions.skills.is_empty() {
        registry.add(Arc::new(crate::tools::skill::SkillTool { skills: extensions.skills.clone() }));
    }
    registry
}

/// The custom commands and skills of the workspace. A project's command may not widen the
/// permissions (`allowed-tools`) in a folder the user has not trusted: that part is dropped,
/// and said.
fn extensions(root: &Path, trusted: bool, problems: &mut Vec<Problem>) -> crate::extend::Extensions {
    let mut found = crate::extend::Extensions::discover(root);
    problems.append(&mut found.problems);
    for command in &mut found.commands {
        if command.scope == crate::extend::Scope::Project && !trusted && !command.allowed_tools.is_empty() {
            command.allowed_tools.clear();
            problems.push(Problem::file(
                &command.path,
                "`allowed-tools` of a project's command applies only in a trusted folder; /trust to let it",
            ));
        }
    }
    found
}

/// The permission policy: the effective mode and rules. A malformed rule from a file is
/// reported and skipped; one from a flag is an error (the person just typed it). The demo run
/// headless works in its own scratch directory and cannot ask, so it gets full access.
fn policy(effective: &Effective, headless_demo: bool, problems: &mut Vec<Problem>) -> Result<Policy, String> {
    let mode = if headless_demo { PermissionMode::DangerFullAccess } else { effective.permission_mode.value };
    let mut policy = Policy::new(mode);
    for (rules, key, into_allow) in
        [(&effective.allow, "permissions.allow", true), (&effective.deny, "permissions.deny", false)]
    {
        for rule in rules {
            let origin = match &rule.source {
                Source::Flag(flag) => RuleOrigin::Flag(flag.to_string()),
                Source::File { layer, path } => RuleOrigin::File { path: path.clone(), project: *layer != Layer::User },
                _ => RuleOrigin::Builtin,
            };
            let parsed = match &rule.source {
                Source::Flag(flag) => Rule::parse_list(&rule.value).map_err(|e| format!("{flag}: {e}"))?,
                source => match Rule::parse(&rule.value) {
                    Ok(r) => vec![r],
                    Err(e) => {
                        let message = format!("{key}: {e}; this rule was skipped");
                        problems.push(match source {
                            Source::File { path, .. } => config::problem::locate_in_file(path, &rule.value, message),
                            _ => Problem::general(format!("config {message}")),
                        });
                        continue;
                    }
                },
            };
            let parsed = parsed.into_iter().map(|r| r.from(origin.clone()));
            if into_allow {
                policy.allow.extend(parsed);
            } else {
                policy.deny.extend(parsed);
            }
        }
    }
    Ok(policy)
}

/// The provider a run talks to, and what comes with it.
struct Provided {
    provider: Arc<dyn Provider>,
    /// Whether the credentials it needs were found (a local server needs none).
    has_credentials: bool,
    /// Every key in the environment, for the session writer to redact.
    secrets: Vec<String>,
    /// The model name to send (without a `NAME/` prefix that chose the provider).
    model: String,
    /// What `[providers.NAME.models."MODEL"]` says of it.
    model_def: Option<crate::config::settings::ModelDef>,
}

/// A variable's value, unless unset or blank.
pub(crate) fn env_value(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// The model as given; but when a project file of a folder not trusted names it with a prefix
/// that would switch the provider (which folder trust decides, as it does `[provider] name`),
/// the prefix is dropped and a problem says so.
fn gated_model(effective: &Effective, problems: &mut Vec<Problem>) -> String {
    let m = &effective.model;
    match crate::provider::select::prefix(&m.value, &effective.providers) {
        Some((name, rest))
            if name != effective.provider.name.value
                && m.source.is_project()
                && effective.trust != crate::config::trust::Trust::Trusted =>
        {
            problems.push(Problem::general(format!(
                "the model {:?} in {} would switch the provider to {name}, which this folder's files may do only \
                 once it is trusted (/trust, `claw-tui trust`, or --trust for one run); asking {} for {rest:?} instead",
                m.value, m.source, effective.provider.name.value
            )));
            rest.to_string()
        }
        _ => m.value.clone(),
    }
}

/// The model provider: the demo's scripted one, or the provider asked for (`--provider`,
/// `[provider] name`, a `NAME/` model prefix; built in or `[providers.NAME]`) with the
/// effective address and retry settings.
fn provider(effective: &Effective, demo: Option<&Scenario>, problems: &mut Vec<Problem>) -> Result<Provided, String> {
    use crate::provider::select::{self, Kind};
    let model = effective.model.value.clone();
    if let Some(scenario) = demo {
        let provider = Arc::new(ScriptedProvider::new(scenario.clone(), 1.0));
        return Ok(Provided { provider, has_credentials: true, secrets: Vec::new(), model, model_def: None });
    }
    let p = &effective.provider;
    let asked = (p.name.source != Source::Default).then_some(p.name.value.as_str());
    let (chosen, model) = select::choose(asked, &gated_model(effective, problems), &effective.providers)?;
    let mut secrets: Vec<String> = ["ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN"]
        .into_iter()
        .map(str::to_string)
        .chain(select::PRESETS.iter().filter_map(|p| p.key_env).map(str::to_string))
        .chain(effective.providers.values().filter_map(|d| d.api_key_env.clone()))
        .filter_map(|var| env_value(&var))
        .collect();
    // The login's tokens too, whether or not this run uses them.
    let login = crate::oauth::load();
    secrets.extend(login.iter().flat_map(|t| [t.access_token.clone(), t.refresh_token.clone()]));
    secrets.sort();
    secrets.dedup();
    let retry = crate::provider::retry::RetryPolicy {
        max_retries: p.max_retries.value,
        base_delay: Duration::from_millis(p.retry_base_delay_ms.value),
        ..Default::default()
    };
    let idle_timeout = Duration::from_secs(p.idle_timeout_secs.value.max(1));
    let base_url = base_url(effective, &chosen);
    let (provider, has_credentials): (Arc<dyn Provider>, bool) = match chosen.kind {
        Kind::Anthropic => anthropic(&chosen, base_url, retry, idle_timeout, login)?,
        Kind::OpenAi => openai(&chosen, base_url, retry, idle_timeout)?,
    };
    let model_def = chosen.models.get(&model).cloned();
    Ok(Provided { provider, has_credentials, secrets, model, model_def })
}

/// Where `chosen` is: `[provider] base_url` in a file (or a flag) moves whichever provider is
/// chosen; then the provider's own definition; then its variable (ANTHROPIC_BASE_URL,
/// OPENAI_BASE_URL); then its built-in address.
pub(crate) fn base_url(effective: &Effective, chosen: &crate::provider::select::Chosen) -> String {
    let p = &effective.provider;
    let from_file =
        matches!(p.base_url.source, Source::File { .. } | Source::Flag(_)).then(|| p.base_url.value.clone());
    if let Some(url) = from_file.or_else(|| chosen.base_url.clone()) {
        return url;
    }
    match chosen.kind {
        // The effective value: ANTHROPIC_BASE_URL or the default.
        crate::provider::select::Kind::Anthropic => p.base_url.value.clone(),
        crate::provider::select::Kind::OpenAi => {
            let preset = chosen.preset.map(|p| (p.base_url, p.base_url_env));
            preset
                .and_then(|(_, var)| var)
                .and_then(env_value)
                .or_else(|| preset.map(|(url, _)| url.to_string()))
                .unwrap_or_default()
        }
    }
}

/// The Anthropic wire at `base_url`: its own variables' credentials, or the definition's, or
/// (Anthropic's own API without a key) `login`.
fn anthropic(
    chosen: &crate::provider::select::Chosen,
    base_url: String,
    retry: crate::provider::retry::RetryPolicy,
    idle_timeout: Duration,
    login: Option<crate::oauth::Tokens>,
) -> Result<(Arc<dyn Provider>, bool), String> {
    use crate::provider::anthropic::{Auth, OAuthLogin};
    let mut ac = AnthropicConfig::from_env();
    let own_key = chosen.key_env.as_deref().filter(|v| *v != "ANTHROPIC_API_KEY");
    if let Some(var) = own_key {
        ac.auth = env_value(var).map(Auth::ApiKey);
    }
    // Without a key, Anthropic's own API takes `claw-tui login`'s tokens.
    if ac.auth.is_none() && own_key.is_none() && chosen.preset.is_some_and(|p| p.name == "anthropic") {
        ac.auth =
            login.map(|tokens| Auth::OAuth(Arc::new(OAuthLogin::new(tokens, crate::oauth::Endpoints::from_env()))));
    }
    ac.base_url = base_url;
    ac.retry = retry;
    ac.idle_timeout = idle_timeout;
    ac.headers = chosen.headers.clone();
    let has = ac.auth.is_some();
    Ok((Arc::new(AnthropicProvider::new(ac).map_err(|e| e.to_string())?), has))
}

/// The OpenAI wire at `base_url`.
fn openai(
    chosen: &crate::provider::select::Chosen,
    base_url: String,
    retry: crate::provider::retry::RetryPolicy,
    idle_timeout: Duration,
) -> Result<(Arc<dyn Provider>, bool), String> {
    use crate::provider::openai::{OpenAiConfig, OpenAiProvider};
    let api_key = chosen.key_env.as_deref().and_then(env_value);
    let has = chosen.key_env.is_none() || api_key.is_some();
    let config = OpenAiConfig {
        name: chosen.name.clone(),
        base_url,
        api_key,
        key_env: chosen.key_env.clone(),
        headers: chosen.headers.clone(),
        retry,
        idle_timeout,
        connect_hint: chosen.connect_hint(),
    };
    Ok((Arc::new(OpenAiProvider::new(config).map_err(|e| e.to_string())?), has))
}

/// What `[providers.NAME.models."MODEL"]` says of the model in use, as a price override (a
/// price only when both input and output are given; cache prices as `[prices]` defaults them).
fn model_override(model: &str, def: &crate::config::settings::ModelDef) -> crate::provider::pricing::PriceOverride {
    use crate::provider::pricing::{Price, PriceOverride};
    let price = match (def.input, def.output) {
        (Some(input), Some(output)) => {
            Some(Price { input, output, cache_write: input * 1.25, cache_read: input * 0.1 })
        }
        _ => None,
    };
    PriceOverride { prefix: model.to_string(), price, context_window: def.context_window }
}

/// The price table: the built-in prices with the config's overrides.
pub(crate) fn prices(effective: &Effective) -> crate::provider::pricing::PriceTable {
    use crate::provider::pricing::{Price, PriceOverride, PriceTable};
    PriceTable {
        overrides: effective
            .prices
            .iter()
            .map(|p| {
                let (prefix, p) = &p.value;
                PriceOverride {
                    prefix: prefix.clone(),
                    price: Some(Price {
                        input: p.input,
                        output: p.output,
                        cache_write: p.cache_write.unwrap_or(p.input * 1.25),
                        cache_read: p.cache_read.unwrap_or(p.input * 0.1),
                    }),
                    context_window: p.context_window,
                }
            })
            .collect(),
    }
}

/// A session to write to, and what a resumed one brings.
struct Opened {
    writer: SessionWriter,
    history: Vec<crate::provider::Message>,
    marks: Vec<crate::session::replay::Mark>,
    records: Option<Vec<Record>>,
    problems: Vec<String>,
}

/// Opens the session: continues the file at `resume` (appending unless `persist` is off), or
/// creates a new one in the project's sessions folder, or writes nowhere.
fn open_session(
    resume: Option<&Path>,
    persist: bool,
    workspace: &Workspace,
    model: &str,
    secrets: Vec<String>,
) -> Result<Opened, String> {
    let id = session::new_id();
    if let Some(path) = resume {
        let (records, problems) =
            session::read_records(path).map_err(|e| format!("cannot read the session {}: {e}", path.display()))?;
        let (history, marks) = session::replay::history_and_marks(&records);
        let mut summary = session::index::Summary::new("", path);
        for r in &records {
            summary.apply(r);
        }
        let writer = if persist {
            SessionWriter::append_to(path, summary, secrets)
        } else {
            SessionWriter::disabled(summary.id)
        };
        return Ok(Opened { writer, history, marks, records: Some(records), problems });
    }
    let writer = match (persist, config::sessions_root()) {
        (true, Some(root)) => SessionWriter::create(
            &session::project_dir(&root, &workspace.cwd),
            Record::Meta {
                version: session::FORMAT_VERSION,
                id: id.clone(),
                created: chrono::Utc::now(),
                cwd: workspace.cwd.clone(),
                git_branch: prompt::git_branch(&workspace.cwd),
                model: model.to_string(),
                claw_version: env!("CARGO_PKG_VERSION").to_string(),
                forked_from: None,
            },
            secrets,
        ),
        _ => SessionWriter::disabled(id),
    };
    Ok(Opened { writer, history: Vec::new(), marks: Vec::new(), records: None, problems: Vec::new() })
}

/// The session file `--resume ID` or `--continue` names, if any. An empty `--resume` (pick one)
/// is the interface's to handle and gives `None` here.
fn resume_target(cli: &Cli, workspace: &Workspace) -> Result<Option<std::path::PathBuf>, String> {
    let root = config::sessions_root().ok_or("cannot find the home directory for sessions")?;
    if let Some(id) = cli.resume.as_deref().filter(|id| !id.trim().is_empty()) {
        return session::index::find(&root, id).map(Some);
    }
    if cli.continue_latest {
        let dir = session::project_dir(&root, &workspace.cwd);
        return match session::index::list(&root, Some(&dir)).into_iter().next() {
            Some(s) => Ok(Some(s.path)),
            None => {
                Err(format!("no earlier session in {} to continue; start one with `claw-tui`", workspace.cwd.display()))
            }
        };
    }
    Ok(None)
}
