//! Assembling an agent from the command line, the config files and the environment.
//!
//! Shared by headless mode and the TUI, so both run the same agent with the same settings.
//! Precedence, lowest to highest: built-in defaults, config files (user, project, local),
//! environment variables, command-line flags.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use crate::agent::{AgentConfig, DEFAULT_MAX_ITERATIONS, DEFAULT_MAX_TOKENS, prompt};
use crate::cli::Cli;
use crate::config;
use crate::permission::{PermissionMode, Policy, Rule};
use crate::provider::anthropic::{AnthropicConfig, AnthropicProvider};
use crate::provider::scripted::{Scenario, ScriptedProvider};
use crate::provider::{Provider, ThinkingConfig};
use crate::session::{self, Record, SessionWriter};
use crate::tools::{Registry, ToolEnv, Workspace};

/// The model used when nothing says otherwise.
pub const DEFAULT_MODEL: &str = "claude-sonnet-4-5";
/// The built-in demo scenario.
pub const DEMO_SCENARIO: &str = include_str!("../assets/demo.json");

/// Everything needed to spawn an agent.
pub struct Setup {
    pub config: AgentConfig,
    pub provider: Arc<dyn Provider>,
    pub registry: Registry,
    pub env: Arc<ToolEnv>,
    /// Problems found while reading settings, for the user.
    pub warnings: Vec<String>,
    /// Whether credentials were found (always true for the demo).
    pub has_credentials: bool,
    /// Models to offer in pickers, from the config (empty: the built-in list).
    pub models: Vec<String>,
    /// The records of a resumed session, for the interface to show it again.
    pub resumed: Option<Vec<Record>>,
    /// The theme to use (`--theme`, else the config, else dark).
    pub theme: String,
    /// The keymap to use (`--keymap`, else the config, else default).
    pub keymap: String,
    /// Panes, layout and notifications of the interface.
    pub interface: Interface,
}

/// The interface's settings from the config.
#[derive(Debug, Clone, PartialEq)]
pub struct Interface {
    pub show_todos: bool,
    pub show_sidebar: bool,
    pub sidebar_min_width: u16,
    /// How diffs open: side by side or unified, wrapped or not.
    pub diff_view: crate::app::review::DiffView,
    pub bell: bool,
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

fn env_var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
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
    let loaded = config::load(&workspace.root);
    let mut warnings = loaded.warnings;
    let s = loaded.settings;

    let model = cli
        .model
        .clone()
        .or_else(|| env_var("ANTHROPIC_MODEL"))
        .or(s.model.clone())
        .unwrap_or_else(|| DEFAULT_MODEL.to_string());

    let mut mode = PermissionMode::default();
    if let Some(m) = &s.permission_mode {
        match m.parse() {
            Ok(m) => mode = m,
            Err(e) => warnings.push(format!("config: {e}")),
        }
    }
    for var in ["RUSTY_CLAUDE_PERMISSION_MODE", "CLAW_PERMISSION_MODE"] {
        if let Some(v) = env_var(var) {
            match v.parse() {
                Ok(m) => mode = m,
                Err(e) => warnings.push(format!("{var}: {e}")),
            }
        }
    }
    if let Some(m) = cli.permission_mode {
        mode = m;
    }
    if demo.is_some() && !interactive {
        // The demo works in its own scratch directory; headless it cannot ask.
        mode = PermissionMode::DangerFullAccess;
    }
    let mut policy = Policy::new(mode);
    for (text, from) in s.permissions.allow.iter().map(|r| (r.as_str(), "config permissions.allow")) {
        match Rule::parse(text) {
            Ok(r) => policy.allow.push(r),
            Err(e) => warnings.push(format!("{from}: {e}")),
        }
    }
    for (text, from) in s.permissions.deny.iter().map(|r| (r.as_str(), "config permissions.deny")) {
        match Rule::parse(text) {
            Ok(r) => policy.deny.push(r),
            Err(e) => warnings.push(format!("{from}: {e}")),
        }
    }
    for text in &cli.allowed_tools {
        policy.allow.extend(Rule::parse_list(text).map_err(|e| format!("--allowedTools: {e}"))?);
    }
    for text in &cli.disallowed_tools {
        policy.deny.extend(Rule::parse_list(text).map_err(|e| format!("--disallowedTools: {e}"))?);
    }

    let mut env = ToolEnv::new(workspace.clone());
    if let Some(secs) = s.bash.timeout_secs {
        env.bash_default_timeout = Duration::from_secs(secs.clamp(1, crate::tools::bash::MAX_TIMEOUT.as_secs()));
    }
    let env = Arc::new(env);
    let registry = Registry::builtin();

    let (provider, has_credentials, secrets): (Arc<dyn Provider>, bool, Vec<String>) = match demo {
        Some(scenario) => (Arc::new(ScriptedProvider::new(scenario.clone(), 1.0)), true, Vec::new()),
        None => {
            let mut ac = AnthropicConfig::from_env();
            if let Some(url) = s.provider.base_url.clone().filter(|_| env_var("ANTHROPIC_BASE_URL").is_none()) {
                ac.base_url = url;
            }
            if let Some(n) = s.provider.max_retries {
                ac.retry.max_retries = n;
            }
            if let Some(ms) = s.provider.retry_base_delay_ms {
                ac.retry.base_delay = Duration::from_millis(ms);
            }
            if let Some(secs) = s.provider.idle_timeout_secs {
                ac.idle_timeout = Duration::from_secs(secs.max(1));
            }
            let mut secrets: Vec<String> = ac.auth.iter().map(|a| a.secret().to_string()).collect();
            secrets.extend(env_var("OPENAI_API_KEY"));
            let has = ac.auth.is_some();
            let provider = AnthropicProvider::new(ac).map_err(|e| e.to_string())?;
            (Arc::new(provider), has, secrets)
        }
    };

    let names: Vec<&str> = registry.names().collect();
    let system = prompt::build(&workspace, config::config_home().as_deref(), &names);
    let id = session::new_id();
    let resume_path = match (demo, resume) {
        (Some(_), _) => None,
        (None, Some(path)) => Some(path.to_path_buf()),
        (None, None) => resume_target(cli, &workspace)?,
    };
    let mut history = Vec::new();
    let mut marks = Vec::new();
    let mut resumed = None;
    let session = match (cli.no_session_persistence || demo.is_some(), config::sessions_root()) {
        _ if resume_path.is_some() => {
            let path = resume_path.expect("checked");
            let (records, problems) =
                session::read_records(&path).map_err(|e| format!("cannot read the session {}: {e}", path.display()))?;
            warnings.extend(problems);
            (history, marks) = session::replay::history_and_marks(&records);
            let mut summary = session::index::Summary::new("", &path);
            for r in &records {
                summary.apply(r);
            }
            resumed = Some(records);
            if cli.no_session_persistence {
                SessionWriter::disabled(summary.id)
            } else {
                SessionWriter::append_to(&path, summary, secrets)
            }
        }
        (false, Some(root)) => SessionWriter::create(
            &session::project_dir(&root, &workspace.cwd),
            Record::Meta {
                version: session::FORMAT_VERSION,
                id: id.clone(),
                created: chrono::Utc::now(),
                cwd: workspace.cwd.clone(),
                git_branch: prompt::git_branch(&workspace.cwd),
                model: model.clone(),
                claw_version: env!("CARGO_PKG_VERSION").to_string(),
                forked_from: None,
            },
            secrets,
        ),
        _ => SessionWriter::disabled(id),
    };

    // Checkpoints live beside the session file; a resumed session can still undo and rewind.
    {
        let mut checkpoints = crate::session::checkpoint::Checkpoints::new(session.path());
        if let Some(records) = &resumed {
            checkpoints.load(records);
        }
        *env.checkpoints.lock().expect("checkpoints lock") = checkpoints;
    }

    let max_tokens = s.max_tokens.unwrap_or(DEFAULT_MAX_TOKENS);
    let thinking = s.thinking_budget.filter(|b| *b >= 1024).map(|budget_tokens| ThinkingConfig { budget_tokens });
    if let Some(b) = s.thinking_budget.filter(|b| *b > 0 && *b < 1024) {
        warnings.push(format!("config: thinking_budget {b} is below the API's minimum of 1024; thinking stays off"));
    }
    let config = AgentConfig {
        model,
        max_tokens: thinking.map(|t| max_tokens.max(t.budget_tokens + 1024)).unwrap_or(max_tokens),
        thinking,
        max_iterations: cli.max_turns.or(s.max_iterations).unwrap_or(DEFAULT_MAX_ITERATIONS).max(1),
        policy,
        interactive,
        system: system.sections,
        instruction_files: system.instruction_files,
        session,
        history,
        marks,
        prices: crate::provider::pricing::PriceTable {
            overrides: s
                .prices
                .iter()
                .map(|(prefix, p)| crate::provider::pricing::PriceOverride {
                    prefix: prefix.clone(),
                    price: crate::provider::pricing::Price {
                        input: p.input,
                        output: p.output,
                        cache_write: p.cache_write.unwrap_or(p.input * 1.25),
                        cache_read: p.cache_read.unwrap_or(p.input * 0.1),
                    },
                    context_window: p.context_window,
                })
                .collect(),
        },
        compact_threshold: match s.compact_threshold {
            None => crate::agent::DEFAULT_COMPACT_THRESHOLD,
            Some(t) if (0.1..=0.99).contains(&t) => t,
            Some(t) => {
                warnings.push(format!(
                    "config: compact_threshold {t} is outside 0.1-0.99; using {}",
                    crate::agent::DEFAULT_COMPACT_THRESHOLD
                ));
                crate::agent::DEFAULT_COMPACT_THRESHOLD
            }
        },
    };
    let models = s.models.clone().unwrap_or_default();
    let theme = cli.theme.clone().or(s.theme.clone()).unwrap_or_else(|| "dark".to_string());
    let keymap = cli.keymap.clone().or(s.keymap.clone()).unwrap_or_else(|| "default".to_string());
    let bell = match s.notifications.as_deref() {
        None | Some("bell") => true,
        Some("off") => false,
        Some(other) => {
            warnings
                .push(format!("config: notifications = \"{other}\" is not one of \"bell\" or \"off\"; using \"bell\""));
            true
        }
    };
    let interface = Interface {
        show_todos: s.ui.show_todos.unwrap_or(true),
        show_sidebar: s.ui.show_sidebar.unwrap_or(true),
        sidebar_min_width: s.ui.sidebar_min_width.unwrap_or(crate::ui::SIDEBAR_MIN_WIDTH),
        diff_view: crate::app::review::DiffView {
            side_by_side: s.ui.diff_side_by_side.unwrap_or(false),
            wrap: s.ui.diff_wrap.unwrap_or(true),
            ..crate::app::review::DiffView::new()
        },
        bell,
    };
    Ok(Setup { config, provider, registry, env, warnings, has_credentials, models, resumed, theme, keymap, interface })
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

/// The effective settings for `cwd`, one line each, with where every value came from
/// (`claw-tui config`, `/config`). Credentials are named, never shown.
pub fn describe_config(cli: &Cli, cwd: &Path) -> (String, Vec<String>) {
    let root = Workspace::discover(cwd).map(|w| w.root).unwrap_or_else(|_| cwd.to_path_buf());
    let loaded = config::load(&root);
    let s = &loaded.settings;
    let from_file = |key: &str| loaded.sources.get(key).cloned();
    let mut rows: Vec<(String, String, String)> = Vec::new();
    let mut row = |key: &str, value: String, source: String| rows.push((key.to_string(), value, source));
    let q = |v: &str| format!("{v:?}");

    let (model, src) = match (&cli.model, env_var("ANTHROPIC_MODEL"), &s.model) {
        (Some(m), _, _) => (m.clone(), "--model".to_string()),
        (None, Some(m), _) => (m, "env ANTHROPIC_MODEL".to_string()),
        (None, None, Some(m)) => (m.clone(), from_file("model").unwrap_or_default()),
        _ => (DEFAULT_MODEL.to_string(), "default".to_string()),
    };
    row("model", q(&model), src);
    let env_mode =
        ["CLAW_PERMISSION_MODE", "RUSTY_CLAUDE_PERMISSION_MODE"].into_iter().find_map(|v| env_var(v).map(|m| (v, m)));
    let (mode, src) = match (cli.permission_mode, env_mode, &s.permission_mode) {
        (Some(m), _, _) => (m.to_string(), "--permission-mode".to_string()),
        (None, Some((var, m)), _) => (m, format!("env {var}")),
        (None, None, Some(m)) => (m.clone(), from_file("permission_mode").unwrap_or_default()),
        _ => (PermissionMode::default().to_string(), "default".to_string()),
    };
    row("permission_mode", q(&mode), src);
    let file_or = |key: &str, value: Option<String>, default: String| match value {
        Some(v) => (v, from_file(key).unwrap_or_default()),
        None => (default, "default".to_string()),
    };
    let (v, src) = match cli.max_turns {
        Some(n) => (n.to_string(), "--max-turns".to_string()),
        None => file_or("max_iterations", s.max_iterations.map(|n| n.to_string()), DEFAULT_MAX_ITERATIONS.to_string()),
    };
    row("max_iterations", v, src);
    let (v, src) = file_or("max_tokens", s.max_tokens.map(|n| n.to_string()), DEFAULT_MAX_TOKENS.to_string());
    row("max_tokens", v, src);
    let (v, src) = file_or("thinking_budget", s.thinking_budget.map(|n| n.to_string()), "0".into());
    row("thinking_budget", v, src);
    let (v, src) = file_or(
        "compact_threshold",
        s.compact_threshold.map(|n| n.to_string()),
        crate::agent::DEFAULT_COMPACT_THRESHOLD.to_string(),
    );
    row("compact_threshold", v, src);
    let (v, src) =
        file_or("models", s.models.as_ref().map(|m| format!("{m:?}")), "(the known Anthropic models)".into());
    row("models", v, src);
    let (v, src) = match (&cli.theme, &s.theme) {
        (Some(t), _) => (q(t), "--theme".to_string()),
        (None, Some(t)) => (q(t), from_file("theme").unwrap_or_default()),
        _ => (q("dark"), "default".to_string()),
    };
    row("theme", v, src);
    let (v, src) = match (&cli.keymap, &s.keymap) {
        (Some(t), _) => (q(t), "--keymap".to_string()),
        (None, Some(t)) => (q(t), from_file("keymap").unwrap_or_default()),
        _ => (q("default"), "default".to_string()),
    };
    row("keymap", v, src);
    let (v, src) = match (env_var("ANTHROPIC_BASE_URL"), &s.provider.base_url) {
        (Some(u), _) => (q(&u), "env ANTHROPIC_BASE_URL".to_string()),
        (None, Some(u)) => (q(u), from_file("provider.base_url").unwrap_or_default()),
        _ => (q(crate::provider::anthropic::DEFAULT_BASE_URL), "default".to_string()),
    };
    row("provider.base_url", v, src);
    let (v, src) = file_or(
        "provider.max_retries",
        s.provider.max_retries.map(|n| n.to_string()),
        crate::provider::retry::DEFAULT_MAX_RETRIES.to_string(),
    );
    row("provider.max_retries", v, src);
    let (v, src) = file_or(
        "provider.retry_base_delay_ms",
        s.provider.retry_base_delay_ms.map(|n| n.to_string()),
        crate::provider::retry::DEFAULT_BASE_DELAY.as_millis().to_string(),
    );
    row("provider.retry_base_delay_ms", v, src);
    let (v, src) = file_or(
        "provider.idle_timeout_secs",
        s.provider.idle_timeout_secs.map(|n| n.to_string()),
        crate::provider::anthropic::DEFAULT_IDLE_TIMEOUT.as_secs().to_string(),
    );
    row("provider.idle_timeout_secs", v, src);
    for (key, list, flag) in [
        ("permissions.allow", &s.permissions.allow, &cli.allowed_tools),
        ("permissions.deny", &s.permissions.deny, &cli.disallowed_tools),
    ] {
        let mut all = list.clone();
        all.extend(flag.iter().cloned());
        let mut sources = Vec::new();
        if !list.is_empty() {
            sources.extend(from_file(key));
        }
        if !flag.is_empty() {
            sources.push(if key.ends_with("allow") { "--allowedTools".into() } else { "--disallowedTools".into() });
        }
        let src = if sources.is_empty() { "default".into() } else { sources.join(" + ") };
        row(key, format!("{all:?}"), src);
    }
    for (key, value, default) in [
        ("ui.show_todos", s.ui.show_todos.map(|b| b.to_string()), "true".to_string()),
        ("ui.show_sidebar", s.ui.show_sidebar.map(|b| b.to_string()), "true".to_string()),
        ("ui.diff_side_by_side", s.ui.diff_side_by_side.map(|b| b.to_string()), "false".to_string()),
        ("ui.diff_wrap", s.ui.diff_wrap.map(|b| b.to_string()), "true".to_string()),
        (
            "ui.sidebar_min_width",
            s.ui.sidebar_min_width.map(|n| n.to_string()),
            crate::ui::SIDEBAR_MIN_WIDTH.to_string(),
        ),
        ("notifications", s.notifications.as_ref().map(|n| q(n)), q("bell")),
    ] {
        let (v, src) = file_or(key, value, default);
        row(key, v, src);
    }
    let (v, src) = file_or(
        "bash.timeout_secs",
        s.bash.timeout_secs.map(|n| n.to_string()),
        crate::tools::bash::DEFAULT_TIMEOUT.as_secs().to_string(),
    );
    row("bash.timeout_secs", v, src);
    for (prefix, p) in &s.prices {
        let key = format!("prices.{prefix:?}");
        let src = from_file(&format!("prices.{prefix}.input")).unwrap_or_default();
        row(&key, format!("{{ input = {}, output = {} }}", p.input, p.output), src);
    }
    let width = rows.iter().map(|(k, v, _)| k.len() + v.len() + 3).max().unwrap_or(0).min(72);
    let mut out = String::new();
    for (k, v, src) in rows {
        let line = format!("{k} = {v}");
        out.push_str(&format!("{line:<width$}  # {src}\n"));
    }
    let credential = ["ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN"].into_iter().find(|v| env_var(v).is_some());
    out.push_str(&match credential {
        Some(var) => format!("# credentials: {var} is set (its value is never shown)\n"),
        None => "# credentials: none (set ANTHROPIC_API_KEY or ANTHROPIC_AUTH_TOKEN)\n".to_string(),
    });
    let files: Vec<String> = config::config_files(&root)
        .iter()
        .map(|p| {
            let state = if loaded.files.contains(p) {
                "read"
            } else if p.exists() {
                "not used (see warnings)"
            } else {
                "absent"
            };
            format!("#   {} ({state})", p.display())
        })
        .collect();
    out.push_str("# files, lowest precedence first; then the environment, then flags:\n");
    out.push_str(&files.join("\n"));
    out.push('\n');
    (out, loaded.warnings)
}
