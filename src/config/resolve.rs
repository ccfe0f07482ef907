//! The one settings resolver: command line, environment and config files in, every effective
//! value out with where it came from.
//!
//! Precedence, lowest to highest: built-in defaults, the user file, the project file, the
//! local file, environment variables, command-line flags. [`resolve`] is pure: the files are
//! read beforehand ([`super::load`]) and the environment is captured in an [`Env`], so the
//! same inputs always give the same [`Effective`]. Start-up (TUI and headless), `claw-tui
//! config`, `/config` and hot reload all read this one result; none of them applies
//! precedence itself.
//!
//! Every value is a [`Sourced`]: its [`Source`] says which layer set it, and
//! [`Source::is_project`] tells values from files a cloned repository ships (the project and
//! local layers) from the user's own, which is what folder trust decides on.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

use super::problem::Problem;
use super::settings::{Loaded, PriceSettings};
use super::trust::{GATED, Trust, Withheld};
use crate::cli::Cli;
use crate::permission::PermissionMode;

/// The model used when nothing says otherwise.
pub const DEFAULT_MODEL: &str = "claude-sonnet-4-5";
/// The theme used when nothing says otherwise.
pub const DEFAULT_THEME: &str = "dark";
/// The keymap used when nothing says otherwise.
pub const DEFAULT_KEYMAP: &str = "default";
/// Terminals at least this wide get the side column (todo list and cost meter), unless the
/// config says otherwise (`[ui] sidebar_min_width`): 96 leaves the transcript 66 columns next
/// to the 30-column side pane, the narrowest that still reads comfortably.
pub const DEFAULT_SIDEBAR_MIN_WIDTH: u16 = 96;
/// Thinking budgets below this are refused by the API.
pub const MIN_THINKING_BUDGET: u32 = 1024;

/// Which config file a value came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Layer {
    /// `config.toml` in the config home: the user's own.
    User,
    /// `.claw/config.toml` in the repository: shipped with it.
    Project,
    /// `.claw/config.local.toml`: this checkout's overrides (usually not committed).
    Local,
}

impl Layer {
    pub fn name(self) -> &'static str {
        match self {
            Layer::User => "user",
            Layer::Project => "project",
            Layer::Local => "local",
        }
    }
}

/// Where an effective value came from.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Source {
    /// Nothing set it: claw-tui's own default.
    #[default]
    Default,
    /// A config file.
    File { layer: Layer, path: PathBuf },
    /// An environment variable, by name.
    Env(&'static str),
    /// A command-line flag, as written (`--model`).
    Flag(&'static str),
}

impl Source {
    /// Whether the value comes from a file inside the project (project or local layer): the
    /// values folder trust has to approve before they widen what claw-tui does.
    pub fn is_project(&self) -> bool {
        matches!(self, Source::File { layer: Layer::Project | Layer::Local, .. })
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Default => f.write_str("default"),
            Source::File { path, .. } => write!(f, "{}", path.display()),
            Source::Env(var) => write!(f, "env {var}"),
            Source::Flag(flag) => f.write_str(flag),
        }
    }
}

/// A value and where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Sourced<T> {
    pub value: T,
    pub source: Source,
}

impl<T> Sourced<T> {
    /// claw-tui's default, the lowest layer.
    pub fn default_value(value: T) -> Sourced<T> {
        Sourced { value, source: Source::Default }
    }

    /// Overridden by the config files' merged value of dotted `key`, when they set it.
    fn file(self, value: Option<T>, key: &str, loaded: &Loaded) -> Sourced<T> {
        match value {
            Some(value) => Sourced { value, source: loaded.sources.get(key).cloned().unwrap_or_default() },
            None => self,
        }
    }

    /// Overridden by environment variable `var`, when it is set (and valid).
    fn env(self, value: Option<T>, var: &'static str) -> Sourced<T> {
        match value {
            Some(value) => Sourced { value, source: Source::Env(var) },
            None => self,
        }
    }

    /// Overridden by command-line flag `flag`, when given.
    fn flag(self, value: Option<T>, flag: &'static str) -> Sourced<T> {
        match value {
            Some(value) => Sourced { value, source: Source::Flag(flag) },
            None => self,
        }
    }
}

/// The environment variables that settings read, captured once so that resolving is pure.
/// Secrets are not captured: only which credential variable is set.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Env {
    vars: BTreeMap<&'static str, String>,
    credential: Option<&'static str>,
}

/// Variables whose values are settings.
const SETTING_VARS: &[&str] = &[
    "ANTHROPIC_MODEL",
    "ANTHROPIC_BASE_URL",
    "CLAW_PERMISSION_MODE",
    "RUSTY_CLAUDE_PERMISSION_MODE",
    "CLAW_SMALL_MODEL",
];
/// Variables that hold credentials, in the order they are used.
const CREDENTIAL_VARS: &[&str] = &["ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN"];

impl Env {
    /// The process's environment. Empty and blank values count as unset.
    pub fn from_process() -> Env {
        let read = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let mut env = Env::default();
        for var in SETTING_VARS {
            if let Some(v) = read(var) {
                env.vars.insert(var, v);
            }
        }
        env.credential = CREDENTIAL_VARS.iter().copied().find(|v| read(v).is_some());
        env
    }

    /// The same environment with `name` set (for tests and callers that know better).
    pub fn with(mut self, name: &'static str, value: &str) -> Env {
        if CREDENTIAL_VARS.contains(&name) {
            self.credential = self.credential.or(Some(name));
        } else {
            self.vars.insert(name, value.to_string());
        }
        self
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars.get(name).map(String::as_str)
    }

    /// The credential variable that is set, by name (its value is never kept).
    pub fn credential(&self) -> Option<&'static str> {
        self.credential
    }
}

/// `[provider]`: where requests go and how they are retried.
#[derive(Debug, Clone, PartialEq)]
pub struct ProviderEffective {
    /// The provider asked for (`--provider`, `CLAW_PROVIDER`, `[provider] name`).
    pub name: Sourced<String>,
    pub base_url: Sourced<String>,
    pub max_retries: Sourced<u32>,
    pub retry_base_delay_ms: Sourced<u64>,
    pub idle_timeout_secs: Sourced<u64>,
}

/// `[ui]` and `notifications`: panes and layout of the interface.
#[derive(Debug, Clone, PartialEq)]
pub struct UiEffective {
    pub show_todos: Sourced<bool>,
    pub show_sidebar: Sourced<bool>,
    pub sidebar_min_width: Sourced<u16>,
    pub diff_side_by_side: Sourced<bool>,
    pub diff_wrap: Sourced<bool>,
    /// Ring the terminal's bell when a turn ends unfocused (`notifications = "bell"`).
    pub bell: Sourced<bool>,
}

/// How a config file fared, for `claw-tui config`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileState {
    Read,
    /// It exists but could not be used (a syntax error, unreadable): see the problems.
    NotUsed,
    Absent,
}

/// Every effective setting with its source, and the problems found resolving them.
#[derive(Debug, Clone, PartialEq)]
pub struct Effective {
    pub model: Sourced<String>,
    pub permission_mode: Sourced<PermissionMode>,
    pub max_iterations: Sourced<usize>,
    pub max_tokens: Sourced<u32>,
    /// Extended thinking's budget; 0 is off.
    pub thinking_budget: Sourced<u32>,
    pub compact_threshold: Sourced<f64>,
    /// Models offered by /model; empty means the built-in list.
    pub models: Sourced<Vec<String>>,
    pub theme: Sourced<String>,
    pub keymap: Sourced<String>,
    pub provider: ProviderEffective,
    /// Allow and deny rules, each with its source (a file's list, or a flag).
    pub allow: Vec<Sourced<String>>,
    pub deny: Vec<Sourced<String>>,
    pub bash_timeout_secs: Sourced<u64>,
    /// Most calls of one answer that run at the same time (sub-agents, reads).
    pub max_parallel: Sourced<usize>,
    /// WebFetch's small model; empty: the provider's default.
    pub small_model: Sourced<String>,
    pub sandbox_mode: Sourced<crate::sandbox::SandboxMode>,
    /// Folders commands may write besides the built-in ones.
    pub sandbox_writable: Sourced<Vec<String>>,
    pub ui: UiEffective,
    /// Price overrides by model-id prefix.
    pub prices: Vec<Sourced<(String, PriceSettings)>>,
    /// `[providers.NAME]`, as far as folder trust lets them apply.
    pub providers: BTreeMap<String, super::settings::ProviderDef>,
    /// The credential variable that is set, by name.
    pub credential: Option<&'static str>,
    /// MCP servers (as far as folder trust lets them apply) and their limits: filled by
    /// [`super::effective`], which reads `.mcp.json`.
    pub mcp: crate::mcp::McpConfig,
    /// Hooks of every settings file (as far as folder trust lets them apply): filled by
    /// [`super::effective`].
    pub hooks: Vec<crate::extend::hooks::Hook>,
    /// Whether the project's own settings apply ([`super::trust`]).
    pub trust: Trust,
    /// What the project's files set that did not apply because the folder is not trusted.
    pub withheld: Vec<Withheld>,
    /// The config files, lowest precedence first, and how each fared.
    pub files: Vec<(PathBuf, FileState)>,
    /// Everything wrong in the files and the environment, in the order found.
    pub problems: Vec<Problem>,
}

impl Effective {
    /// The built-in defaults alone: no file, no environment, no flag.
    pub fn defaults() -> Effective {
        use clap::Parser;
        resolve(&Cli::parse_from(["claw-tui"]), &Env::default(), &Loaded::default(), &[], Trust::Unknown)
    }

    /// Whether the project's own settings apply.
    pub fn trusted(&self) -> bool {
        self.trust == Trust::Trusted
    }
}

/// WebFetch's small model: the config, then `CLAW_SMALL_MODEL`.
fn small_model(env: &Env, loaded: &Loaded) -> Sourced<String> {
    Sourced::default_value(String::new())
        .file(loaded.settings.small_model.clone(), "small_model", loaded)
        .env(env.get("CLAW_SMALL_MODEL").map(str::to_string), "CLAW_SMALL_MODEL")
}

/// A command's default timeout and how many calls run side by side.
fn limits(loaded: &Loaded) -> (Sourced<u64>, Sourced<usize>) {
    let s = &loaded.settings;
    let bash = crate::tools::bash::DEFAULT_TIMEOUT.as_secs();
    (
        Sourced::default_value(bash).file(s.bash.timeout_secs, "bash.timeout_secs", loaded),
        Sourced::default_value(crate::agent::DEFAULT_MAX_PARALLEL).file(
            s.agents.max_parallel,
            "agents.max_parallel",
            loaded,
        ),
    )
}

/// Resolves every setting from the command line, the environment and the config files
/// (`loaded`, read from `files`, lowest precedence first). Unless the folder is trusted, the
/// settings of [`GATED`] come from the user's own file, not the project's.
pub fn resolve(cli: &Cli, env: &Env, loaded: &Loaded, files: &[(Layer, PathBuf)], trust: Trust) -> Effective {
    let (gated, withheld) = withhold(loaded, trust);
    let loaded = &gated;
    let s = &loaded.settings;
    let mut problems = loaded.problems.clone();
    let model = Sourced::default_value(DEFAULT_MODEL.to_string())
        .file(s.model.clone(), "model", loaded)
        .env(env.get("ANTHROPIC_MODEL").map(str::to_string), "ANTHROPIC_MODEL")
        .flag(cli.model.clone(), "--model");
    let permission_mode = permission_mode(cli, env, loaded, &mut problems);
    let (thinking_budget, compact_threshold) = checked_numbers(loaded, &mut problems);
    let theme = Sourced::default_value(DEFAULT_THEME.to_string())
        .file(s.theme.clone(), "theme", loaded)
        .flag(cli.theme.clone(), "--theme");
    let (bash_timeout_secs, max_parallel) = limits(loaded);
    let keymap = Sourced::default_value(DEFAULT_KEYMAP.to_string())
        .file(s.keymap.clone(), "keymap", loaded)
        .flag(cli.keymap.clone(), "--keymap");
    Effective {
        model,
        permission_mode,
        max_iterations: Sourced::default_value(crate::agent::DEFAULT_MAX_ITERATIONS)
            .file(s.max_iterations, "max_iterations", loaded)
            .flag(cli.max_turns, "--max-turns"),
        max_tokens: Sourced::default_value(crate::agent::DEFAULT_MAX_TOKENS).file(s.max_tokens, "max_tokens", loaded),
        thinking_budget,
        compact_threshold,
        models: Sourced::default_value(Vec::new()).file(s.models.clone(), "models", loaded),
        theme,
        keymap,
        provider: provider(cli, env, loaded),
        allow: rules(&s.permissions.allow, "permissions.allow", &cli.allowed_tools, "--allowedTools", loaded),
        deny: rules(&s.permissions.deny, "permissions.deny", &cli.disallowed_tools, "--disallowedTools", loaded),
        bash_timeout_secs,
        max_parallel,
        small_model: small_model(env, loaded),
        sandbox_mode: sandbox_mode(cli, loaded, &mut problems),
        sandbox_writable: Sourced::default_value(Vec::new()).file(
            s.sandbox.writable.clone(),
            "sandbox.writable",
            loaded,
        ),
        ui: ui(loaded, &mut problems),
        prices: s
            .prices
            .iter()
            .map(|(prefix, p)| {
                Sourced::default_value((prefix.clone(), p.clone())).file(
                    Some((prefix.clone(), p.clone())),
                    &format!("prices.{prefix}.input"),
                    loaded,
                )
            })
            .collect(),
        providers: s.providers.clone(),
        credential: env.credential(),
        mcp: Default::default(),
        hooks: Vec::new(),
        trust,
        withheld,
        files: files
            .iter()
            .map(|(_, p)| {
                let state = if loaded.files.contains(p) {
                    FileState::Read
                } else if loaded.not_used.contains(p) {
                    FileState::NotUsed
                } else {
                    FileState::Absent
                };
                (p.clone(), state)
            })
            .collect(),
        problems,
    }
}

/// `loaded` with the [`GATED`] settings that only the project's files set replaced by the
/// user's own (or nothing), unless the folder is trusted; and what was replaced.
fn withhold(loaded: &Loaded, trust: Trust) -> (Loaded, Vec<Withheld>) {
    let mut out = loaded.clone();
    let mut withheld = Vec::new();
    if trust == Trust::Trusted {
        return (out, withheld);
    }
    let (s, u) = (&mut out.settings, &loaded.user);
    for key in GATED {
        let Some(Source::File { path, .. }) = loaded.sources.get(*key).filter(|src| src.is_project()) else {
            continue;
        };
        let value = match *key {
            "permission_mode" => format!("{:?}", std::mem::replace(&mut s.permission_mode, u.permission_mode.clone())),
            "permissions.allow" => {
                format!("{:?}", std::mem::replace(&mut s.permissions.allow, u.permissions.allow.clone()))
            }
            "provider.base_url" => {
                format!("{:?}", std::mem::replace(&mut s.provider.base_url, u.provider.base_url.clone()))
            }
            "provider.name" => format!("{:?}", std::mem::replace(&mut s.provider.name, u.provider.name.clone())),
            "keymap" => format!("{:?}", std::mem::replace(&mut s.keymap, u.keymap.clone())),
            "sandbox.mode" => format!("{:?}", std::mem::replace(&mut s.sandbox.mode, u.sandbox.mode.clone())),
            "sandbox.writable" => {
                format!("{:?}", std::mem::replace(&mut s.sandbox.writable, u.sandbox.writable.clone()))
            }
            _ => continue,
        };
        let value = value.trim_start_matches("Some(").trim_end_matches(')').to_string();
        withheld.push(Withheld { key: key.to_string(), value, file: path.clone() });
        match loaded.user_sources.get(*key) {
            Some(src) => out.sources.insert(key.to_string(), src.clone()),
            None => out.sources.remove(*key),
        };
    }
    withhold_providers(loaded, &mut out, &mut withheld);
    (out, withheld)
}

/// `[providers.NAME]` from the project's files: where the conversation and a key would go, so
/// none of them applies in a folder not trusted (the user's own definitions stay).
fn withhold_providers(loaded: &Loaded, out: &mut Loaded, withheld: &mut Vec<Withheld>) {
    let project: BTreeMap<String, PathBuf> = loaded
        .sources
        .iter()
        .filter_map(|(key, src)| match src {
            Source::File { path, .. } if src.is_project() => {
                let name = key.strip_prefix("providers.")?.split('.').next()?;
                Some((name.to_string(), path.clone()))
            }
            _ => None,
        })
        .collect();
    if project.is_empty() {
        return;
    }
    for (name, file) in project {
        let def = loaded.settings.providers.get(&name);
        let value = def.and_then(|d| d.base_url.as_deref()).map_or_else(
            || "(a provider definition)".to_string(),
            |u| format!("base_url = {:?}", crate::sanitize::redact_url_credentials(u)),
        );
        withheld.push(Withheld { key: format!("providers.{name}"), value, file });
    }
    out.settings.providers = loaded.user.providers.clone();
    out.sources.retain(|key, src| !(key.starts_with("providers.") && src.is_project()));
}

/// The permission mode: file < `RUSTY_CLAUDE_PERMISSION_MODE` < `CLAW_PERMISSION_MODE` <
/// `--permission-mode`. A value that does not parse is reported and the layer below applies.
fn permission_mode(cli: &Cli, env: &Env, loaded: &Loaded, problems: &mut Vec<Problem>) -> Sourced<PermissionMode> {
    let from_file = match loaded.settings.permission_mode.as_deref().map(str::parse::<PermissionMode>) {
        Some(Ok(m)) => Some(m),
        Some(Err(e)) => {
            let source = loaded.sources.get("permission_mode").cloned().unwrap_or_default();
            problems.push(match source {
                Source::File { path, .. } => Problem::file(&path, format!("permission_mode: {e}")),
                _ => Problem::general(format!("config: {e}")),
            });
            None
        }
        None => None,
    };
    let mut mode = Sourced::default_value(PermissionMode::default()).file(from_file, "permission_mode", loaded);
    for var in ["RUSTY_CLAUDE_PERMISSION_MODE", "CLAW_PERMISSION_MODE"] {
        match env.get(var).map(str::parse::<PermissionMode>) {
            Some(Ok(m)) => mode = mode.env(Some(m), var),
            Some(Err(e)) => problems.push(Problem::general(format!("{var}: {e}"))),
            None => {}
        }
    }
    mode.flag(cli.permission_mode, "--permission-mode")
}

/// The sandbox mode: file < `--sandbox`. A value that does not parse is reported and the
/// default applies.
fn sandbox_mode(cli: &Cli, loaded: &Loaded, problems: &mut Vec<Problem>) -> Sourced<crate::sandbox::SandboxMode> {
    let from_file = match loaded.settings.sandbox.mode.as_deref().map(str::parse) {
        Some(Ok(m)) => Some(m),
        Some(Err(e)) => {
            problems.push(match loaded.sources.get("sandbox.mode").cloned().unwrap_or_default() {
                Source::File { path, .. } => {
                    let text = std::fs::read_to_string(&path).unwrap_or_default();
                    let (line, col) = super::problem::locate_key(&text, Some("sandbox"), "mode");
                    Problem::at(line, col, format!("sandbox.mode: {e}; the default applies")).in_file(&path)
                }
                _ => Problem::general(format!("config: {e}")),
            });
            None
        }
        None => None,
    };
    Sourced::default_value(Default::default()).file(from_file, "sandbox.mode", loaded).flag(cli.sandbox, "--sandbox")
}

/// `thinking_budget` and `compact_threshold`, with values the API or the agent cannot use
/// reported and replaced.
fn checked_numbers(loaded: &Loaded, problems: &mut Vec<Problem>) -> (Sourced<u32>, Sourced<f64>) {
    let s = &loaded.settings;
    let mut thinking = Sourced::default_value(0).file(s.thinking_budget, "thinking_budget", loaded);
    if thinking.value > 0 && thinking.value < MIN_THINKING_BUDGET {
        problems.push(Problem::general(format!(
            "config: thinking_budget {} is below the API's minimum of {MIN_THINKING_BUDGET}; thinking stays off",
            thinking.value
        )));
        thinking = Sourced::default_value(0);
    }
    let default = crate::agent::DEFAULT_COMPACT_THRESHOLD;
    let mut threshold = Sourced::default_value(default).file(s.compact_threshold, "compact_threshold", loaded);
    if !(0.1..=0.99).contains(&threshold.value) {
        problems.push(Problem::general(format!(
            "config: compact_threshold {} is outside 0.1-0.99; using {default}",
            threshold.value
        )));
        threshold = Sourced::default_value(default);
    }
    (thinking, threshold)
}

fn provider(cli: &Cli, env: &Env, loaded: &Loaded) -> ProviderEffective {
    let p = &loaded.settings.provider;
    let name = Sourced::default_value("anthropic".to_string())
        .file(p.name.clone(), "provider.name", loaded)
        .env(env.get("CLAW_PROVIDER").map(str::to_string), "CLAW_PROVIDER")
        .flag(cli.provider.clone(), "--provider");
    // ANTHROPIC_BASE_URL is Anthropic's address; it does not move another provider.
    let anthropic_url = env.get("ANTHROPIC_BASE_URL").filter(|_| name.value == "anthropic");
    ProviderEffective {
        name,
        base_url: Sourced::default_value(crate::provider::anthropic::DEFAULT_BASE_URL.to_string())
            .file(p.base_url.clone(), "provider.base_url", loaded)
            .env(anthropic_url.map(str::to_string), "ANTHROPIC_BASE_URL"),
        max_retries: Sourced::default_value(crate::provider::retry::DEFAULT_MAX_RETRIES).file(
            p.max_retries,
            "provider.max_retries",
            loaded,
        ),
        retry_base_delay_ms: Sourced::default_value(crate::provider::retry::DEFAULT_BASE_DELAY.as_millis() as u64)
            .file(p.retry_base_delay_ms, "provider.retry_base_delay_ms", loaded),
        idle_timeout_secs: Sourced::default_value(crate::provider::anthropic::DEFAULT_IDLE_TIMEOUT.as_secs()).file(
            p.idle_timeout_secs,
            "provider.idle_timeout_secs",
            loaded,
        ),
    }
}

/// A list of rules: the files' (the last file that sets the list wins), then the flag's.
fn rules(
    from_files: &[String],
    key: &str,
    from_flag: &[String],
    flag: &'static str,
    loaded: &Loaded,
) -> Vec<Sourced<String>> {
    let file_source = loaded.sources.get(key).cloned().unwrap_or_default();
    let mut out: Vec<Sourced<String>> =
        from_files.iter().map(|r| Sourced { value: r.clone(), source: file_source.clone() }).collect();
    out.extend(from_flag.iter().map(|r| Sourced { value: r.clone(), source: Source::Flag(flag) }));
    out
}

fn ui(loaded: &Loaded, problems: &mut Vec<Problem>) -> UiEffective {
    let u = &loaded.settings.ui;
    let bell = match loaded.settings.notifications.as_deref() {
        None => None,
        Some("bell") => Some(true),
        Some("off") => Some(false),
        Some(other) => {
            problems.push(Problem::general(format!(
                "config: notifications = \"{other}\" is not one of \"bell\" or \"off\"; using \"bell\""
            )));
            None
        }
    };
    UiEffective {
        show_todos: Sourced::default_value(true).file(u.show_todos, "ui.show_todos", loaded),
        show_sidebar: Sourced::default_value(true).file(u.show_sidebar, "ui.show_sidebar", loaded),
        sidebar_min_width: Sourced::default_value(DEFAULT_SIDEBAR_MIN_WIDTH).file(
            u.sidebar_min_width,
            "ui.sidebar_min_width",
            loaded,
        ),
        diff_side_by_side: Sourced::default_value(false).file(u.diff_side_by_side, "ui.diff_side_by_side", loaded),
        diff_wrap: Sourced::default_value(true).file(u.diff_wrap, "ui.diff_wrap", loaded),
        bell: Sourced::default_value(true).file(bell, "notifications", loaded),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn cli(args: &[&str]) -> Cli {
        Cli::parse_from(std::iter::once("claw-tui").chain(args.iter().copied()))
    }

    fn files(dir: &std::path::Path, user: &str, project: &str, local: &str) -> (Loaded, Vec<(Layer, PathBuf)>) {
        let list = vec![
            (Layer::User, dir.join("user.toml")),
            (Layer::Project, dir.join("project.toml")),
            (Layer::Local, dir.join("local.toml")),
        ];
        for ((_, path), text) in list.iter().zip([user, project, local]) {
            if !text.is_empty() {
                std::fs::write(path, text).unwrap();
            }
        }
        (super::super::settings::load_files(&list), list)
    }

    #[test]
    fn every_layer_wins_over_the_one_below_and_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let (loaded, list) = files(
            dir.path(),
            "model = \"u\"\nmax_tokens = 1\ntheme = \"nord\"\n",
            "model = \"p\"\nmax_tokens = 2\n",
            "model = \"l\"\n",
        );
        let e = resolve(&cli(&[]), &Env::default(), &loaded, &list, Trust::Trusted);
        assert_eq!(e.model.value, "l");
        assert_eq!(e.model.source, Source::File { layer: Layer::Local, path: list[2].1.clone() });
        assert!(e.model.source.is_project(), "the local layer lives in the project");
        assert_eq!(e.max_tokens.value, 2);
        assert_eq!(e.theme.source, Source::File { layer: Layer::User, path: list[0].1.clone() });
        assert!(!e.theme.source.is_project());
        assert_eq!(e.keymap, Sourced::default_value("default".to_string()));
        let env = Env::default().with("ANTHROPIC_MODEL", "e");
        assert_eq!(
            resolve(&cli(&[]), &env, &loaded, &list, Trust::Trusted).model.source,
            Source::Env("ANTHROPIC_MODEL")
        );
        let e = resolve(&cli(&["--model", "f"]), &env, &loaded, &list, Trust::Trusted);
        assert_eq!((e.model.value.as_str(), e.model.source.to_string().as_str()), ("f", "--model"));
    }

    /// The bug hot reload had: with CLAW_PERMISSION_MODE set, a config file's
    /// permission_mode must not win, however the file changes.
    #[test]
    fn the_environment_beats_a_file_for_the_permission_mode() {
        let dir = tempfile::tempdir().unwrap();
        let env = Env::default().with("CLAW_PERMISSION_MODE", "read-only");
        let (loaded, list) = files(dir.path(), "", "", "permission_mode = \"danger-full-access\"\n");
        let e = resolve(&cli(&[]), &env, &loaded, &list, Trust::Trusted);
        assert_eq!(e.permission_mode.value, PermissionMode::Review);
        assert_eq!(e.permission_mode.source, Source::Env("CLAW_PERMISSION_MODE"));
        let env = env.with("RUSTY_CLAUDE_PERMISSION_MODE", "danger-full-access");
        assert_eq!(
            resolve(&cli(&[]), &env, &loaded, &list, Trust::Trusted).permission_mode.value,
            PermissionMode::Review
        );
        let e = resolve(&cli(&["--permission-mode", "workspace-write"]), &env, &loaded, &list, Trust::Trusted);
        assert_eq!(e.permission_mode.source, Source::Flag("--permission-mode"));
    }

    #[test]
    fn bad_values_are_reported_and_the_layer_below_applies() {
        let dir = tempfile::tempdir().unwrap();
        let (loaded, list) = files(
            dir.path(),
            "",
            "permission_mode = \"yolo\"\nthinking_budget = 10\ncompact_threshold = 2.0\nnotifications = \"loud\"\n",
            "",
        );
        let env = Env::default().with("CLAW_PERMISSION_MODE", "nope");
        let e = resolve(&cli(&[]), &env, &loaded, &list, Trust::Trusted);
        assert_eq!(e.permission_mode, Sourced::default_value(PermissionMode::default()));
        assert_eq!(e.thinking_budget.value, 0);
        assert_eq!(e.compact_threshold.value, crate::agent::DEFAULT_COMPACT_THRESHOLD);
        assert!(e.ui.bell.value);
        let text: Vec<String> = e.problems.iter().map(Problem::to_string).collect();
        assert_eq!(text.len(), 5, "{text:?}");
        assert!(text[0].starts_with(&format!("{}: permission_mode: ", list[1].1.display())), "{text:?}");
        assert!(text.iter().any(|t| t.starts_with("CLAW_PERMISSION_MODE: ")), "{text:?}");
        assert_eq!(e.files[0].1, FileState::Absent);
        assert_eq!(e.files[1].1, FileState::Read);
    }

    #[test]
    fn rules_keep_their_source_and_flags_add_to_files() {
        let dir = tempfile::tempdir().unwrap();
        let (loaded, list) = files(dir.path(), "", "[permissions]\nallow = [\"Bash(ls)\"]\n", "");
        let e = resolve(&cli(&["--allowedTools", "Bash(git status)"]), &Env::default(), &loaded, &list, Trust::Trusted);
        let allow: Vec<(String, bool)> = e.allow.iter().map(|r| (r.value.clone(), r.source.is_project())).collect();
        assert_eq!(allow, [("Bash(ls)".to_string(), true), ("Bash(git status)".to_string(), false)]);
    }
}
