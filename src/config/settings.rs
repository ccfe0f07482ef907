//! What a config file may say ([`Settings`]) and reading the layers of files into one merged
//! table ([`load_files`]).
//!
//! A file with a syntax error is skipped whole; an unknown key or a value of the wrong type is
//! skipped alone. Either way the [`Problem`] names the file, line and column, and the rest
//! still applies. Which file set each value is kept ([`Loaded::sources`]) for the resolver.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;

use super::problem::{Problem, locate_key};
use super::resolve::{Layer, Source};

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderSettings {
    /// Which provider (see `provider::select`); the default is anthropic.
    pub name: Option<String>,
    pub base_url: Option<String>,
    pub max_retries: Option<u32>,
    pub retry_base_delay_ms: Option<u64>,
    pub idle_timeout_secs: Option<u64>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PermissionSettings {
    #[serde(default)]
    pub allow: Vec<String>,
    #[serde(default)]
    pub deny: Vec<String>,
}

/// A price override: dollars per million tokens; cache prices default to 1.25× and 0.1× input.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriceSettings {
    pub input: f64,
    pub output: f64,
    pub cache_write: Option<f64>,
    pub cache_read: Option<f64>,
    pub context_window: Option<u64>,
}

/// Panes and layout of the interface.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UiSettings {
    /// Show the todo list (ctrl+t toggles it). Default true.
    pub show_todos: Option<bool>,
    /// Show the side column on wide terminals (ctrl+b toggles it). Default true.
    pub show_sidebar: Option<bool>,
    /// Terminals at least this wide get the side column. Default 96.
    pub sidebar_min_width: Option<u16>,
    /// Diffs (the review, /diff) open side by side rather than unified (`s` toggles). Default
    /// false.
    pub diff_side_by_side: Option<bool>,
    /// Long diff lines wrap rather than scroll sideways (`w` toggles). Default true.
    pub diff_wrap: Option<bool>,
}

/// `[sandbox]`: what commands may do once they run.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SandboxSettings {
    /// off, workspace or strict.
    pub mode: Option<String>,
    /// Folders commands may write besides the workspace, temp and the build caches.
    pub writable: Option<Vec<String>>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BashSettings {
    pub timeout_secs: Option<u64>,
}

/// `[agents]`: sub-agents and calls that run side by side.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentsSettings {
    /// Most calls of one answer (sub-agents, reads) that run at the same time. Default 8.
    pub max_parallel: Option<usize>,
}

/// Everything a config file may set. Every field is optional: unset means "the default".
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub model: Option<String>,
    pub max_tokens: Option<u32>,
    pub max_iterations: Option<usize>,
    pub permission_mode: Option<String>,
    pub thinking_budget: Option<u32>,
    /// The interface's colours: a built-in theme or a file in a themes directory.
    pub theme: Option<String>,
    /// The keys: default, vim, emacs, or a file in a keymaps directory.
    pub keymap: Option<String>,
    /// Share of the context window (0.1–0.99) at which the conversation is compacted.
    pub compact_threshold: Option<f64>,
    /// Models offered by /model (default: every model in the price table).
    pub models: Option<Vec<String>>,
    /// The small, fast model WebFetch asks about a page (default: the provider's own, Claude
    /// Haiku on Anthropic's API; the session's model elsewhere).
    pub small_model: Option<String>,
    #[serde(default)]
    pub provider: ProviderSettings,
    #[serde(default)]
    pub permissions: PermissionSettings,
    #[serde(default)]
    pub bash: BashSettings,
    #[serde(default)]
    pub agents: AgentsSettings,
    #[serde(default)]
    pub sandbox: SandboxSettings,
    #[serde(default)]
    pub ui: UiSettings,
    /// When a turn ends while the terminal is not focused: "bell" (the terminal's bell, which
    /// most terminals turn into a notification) or "off". Default "bell".
    pub notifications: Option<String>,
    /// Price overrides by model-id prefix: `[prices."claude-sonnet-4-5"] input = 3.0 ...`.
    #[serde(default)]
    pub prices: std::collections::BTreeMap<String, PriceSettings>,
    /// Folders whose project settings apply (only read from the user's own file).
    #[serde(default)]
    pub trust: TrustSettings,
    /// Providers of the user's own, and built-in ones moved: `[providers.NAME]`.
    #[serde(default)]
    pub providers: std::collections::BTreeMap<String, ProviderDef>,
    /// MCP servers and how long to wait for them: `[mcp]`, `[mcp.servers.NAME]`.
    #[serde(default)]
    pub mcp: McpSettings,
    /// Hooks, in Claude Code's shape: `[[hooks.PreToolUse]] matcher = "Bash"` with
    /// `hooks = [{ type = "command", command = "..." }]` (read per file by `extend::hooks`).
    #[serde(default)]
    pub hooks: BTreeMap<crate::extend::hooks::Event, Vec<crate::extend::hooks::MatcherDef>>,
}

/// `[mcp]`: how long to wait for MCP servers, when their tools are deferred, and the servers.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct McpSettings {
    /// Most seconds one tool call may take. Default 120.
    pub timeout_secs: Option<u64>,
    /// Most seconds `-p` waits for the servers to connect before its first request. Default 10.
    pub startup_timeout_secs: Option<u64>,
    /// Share of the context window (0.0–1.0) MCP tool definitions may take before they are
    /// deferred to ToolSearch. Default 0.1.
    pub defer_threshold: Option<f64>,
    #[serde(default)]
    pub servers: std::collections::BTreeMap<String, McpServerDef>,
}

/// `[mcp.servers.NAME]`, and a server of `.mcp.json`: a command to run (stdio), or the address
/// of a remote server (`type` http, sse or ws; http when only `url` is given).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct McpServerDef {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub command: Option<String>,
    #[serde(default)]
    pub args: Vec<String>,
    #[serde(default)]
    pub env: std::collections::BTreeMap<String, String>,
    pub url: Option<String>,
    #[serde(default)]
    pub headers: std::collections::BTreeMap<String, String>,
}

/// `[providers.NAME]`: a provider of the user's own (a gateway, a server on another machine),
/// or a built-in one with another address, headers or models.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderDef {
    /// "openai" (Chat Completions) or "anthropic" (Messages). A built-in name keeps its own;
    /// a new one needs it.
    pub kind: Option<String>,
    /// The address (for the OpenAI wire, up to and including `/v1`).
    pub base_url: Option<String>,
    /// The environment variable holding the key; keys are never written in config files.
    pub api_key_env: Option<String>,
    /// Extra headers sent with every request.
    #[serde(default)]
    pub headers: std::collections::BTreeMap<String, String>,
    /// What claw-tui should know of the provider's models, by name.
    #[serde(default)]
    pub models: std::collections::BTreeMap<String, ModelDef>,
}

/// `[providers.NAME.models."MODEL"]`: a model's context window, prices (dollars per million
/// tokens) and the most it may write in one answer.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelDef {
    pub context_window: Option<u64>,
    pub input: Option<f64>,
    pub output: Option<f64>,
    pub max_output_tokens: Option<u32>,
}

/// `[trust]`: the folders the user trusts, and those they said no to.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrustSettings {
    #[serde(default)]
    pub trusted: Vec<String>,
    #[serde(default)]
    pub untrusted: Vec<String>,
}

/// The merged settings of every layer and what went wrong reading them.
#[derive(Debug, Clone, Default)]
pub struct Loaded {
    pub settings: Settings,
    /// The files that were read (a file with a syntax error is not among them).
    pub files: Vec<PathBuf>,
    /// Files that exist but could not be used (unreadable, or a syntax error).
    pub not_used: Vec<PathBuf>,
    pub problems: Vec<Problem>,
    /// Which file set each value, by dotted key (the last file that set it).
    pub sources: BTreeMap<String, Source>,
    /// The user's own file alone (what applies where the project's files may not).
    pub user: Settings,
    /// Which file set each value of [`Loaded::user`].
    pub user_sources: BTreeMap<String, Source>,
}

/// Reads and merges config files, lowest precedence first, key by key.
pub fn load_files(files: &[(Layer, PathBuf)]) -> Loaded {
    let mut loaded = Loaded::default();
    let mut merged = toml::Table::new();
    let mut user = toml::Table::new();
    for (layer, path) in files {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => {
                loaded.problems.push(Problem::file(path, format!("cannot read: {e}")));
                loaded.not_used.push(path.clone());
                continue;
            }
        };
        let table = match text.parse::<toml::Table>() {
            Ok(t) => t,
            Err(e) => {
                // A syntax error leaves nothing trustworthy in the file.
                loaded.problems.push(Problem::toml(&text, &e).in_file(path).then("; this file was ignored"));
                loaded.not_used.push(path.clone());
                continue;
            }
        };
        let (mut valid, problems) = validate(&text, table);
        for p in problems {
            loaded.problems.push(p.in_file(path).then("; this setting was ignored"));
        }
        if *layer != Layer::User && valid.remove("trust").is_some() {
            // A project cannot vouch for itself.
            let (line, col) = locate_key(&text, None, "trust");
            loaded.problems.push(
                Problem::at(line, col, "`trust` is only read from your own config file; this setting was ignored")
                    .in_file(path),
            );
        }
        for key in leaf_keys(&valid, "") {
            let source = Source::File { layer: *layer, path: path.clone() };
            if *layer == Layer::User {
                loaded.user_sources.insert(key.clone(), source.clone());
            }
            loaded.sources.insert(key, source);
        }
        if *layer == Layer::User {
            merge(&mut user, valid.clone());
        }
        merge(&mut merged, valid);
        loaded.files.push(path.clone());
    }
    let mut settings = |table: toml::Table| match toml::Value::Table(table).try_into::<Settings>() {
        Ok(s) => s,
        Err(e) => {
            loaded.problems.push(Problem::general(format!("the merged configuration is invalid: {e}")));
            Settings::default()
        }
    };
    let (all, user) = (settings(merged), settings(user));
    loaded.settings = all;
    loaded.user = user;
    loaded
}

/// Tables whose entries are checked one by one (a bad entry does not take its siblings down).
const SECTIONS: &[&str] =
    &["provider", "providers", "permissions", "bash", "agents", "sandbox", "prices", "ui", "trust", "mcp", "hooks"];

/// Keeps the entries of a file's table that are valid settings; returns them and, for each
/// entry that is not, where it is and what is wrong.
fn validate(text: &str, table: toml::Table) -> (toml::Table, Vec<Problem>) {
    let mut valid = toml::Table::new();
    let mut problems = Vec::new();
    let check = |candidate: toml::Table| -> Result<(), String> {
        toml::Value::Table(candidate).try_into::<Settings>().map(|_| ()).map_err(|e| e.message().trim().to_string())
    };
    for (key, value) in table {
        match value {
            toml::Value::Table(entries) if SECTIONS.contains(&key.as_str()) => {
                let mut kept = toml::Table::new();
                for (sub, v) in entries {
                    if key == "mcp" && sub == "servers" && v.is_table() {
                        let (servers, bad) = validate_servers(text, v);
                        problems.extend(bad);
                        kept.insert(sub, servers);
                        continue;
                    }
                    let mut inner = toml::Table::new();
                    inner.insert(sub.clone(), v.clone());
                    let mut candidate = toml::Table::new();
                    candidate.insert(key.clone(), toml::Value::Table(inner));
                    match check(candidate) {
                        Ok(()) => {
                            kept.insert(sub, v);
                        }
                        Err(e) => {
                            let (line, col) = locate_key(text, Some(&key), &sub);
                            problems.push(Problem::at(line, col, explain(&format!("{key}.{sub}"), &e)));
                        }
                    }
                }
                valid.insert(key, toml::Value::Table(kept));
            }
            v => {
                let mut candidate = toml::Table::new();
                candidate.insert(key.clone(), v.clone());
                match check(candidate) {
                    Ok(()) => {
                        valid.insert(key, v);
                    }
                    Err(e) => {
                        let (line, col) = locate_key(text, None, &key);
                        problems.push(Problem::at(line, col, explain(&key, &e)));
                    }
                }
            }
        }
    }
    (valid, problems)
}
/// `[mcp.servers.*]` checked one server at a time: a server with a bad key is skipped alone.
fn validate_servers(text: &str, servers: toml::Value) -> (toml::Value, Vec<Problem>) {
    let mut kept = toml::Table::new();
    let mut problems = Vec::new();
    let toml::Value::Table(servers) = servers else { return (toml::Value::Table(kept), problems) };
    for (name, def) in servers {
        match def.clone().try_into::<McpServerDef>() {
            Ok(_) => {
                kept.insert(name, def);
            }
            Err(e) => {
                let at = text.find(&format!("servers.{name}")).or_else(|| text.find(&format!("servers.\"{name}\"")));
                let (line, col) = at.map_or((1, 1), |at| super::problem::line_col(text, at));
                let message = format!("`mcp.servers.{name}`: {}", e.message().trim());
                problems.push(Problem::at(line, col, message));
            }
        }
    }
    (toml::Value::Table(kept), problems)
}

/// A readable reason: unknown keys get a suggestion instead of serde's list of every field.
fn explain(key: &str, error: &str) -> String {
    if error.starts_with("unknown field") {
        // Suggest among the names that could stand there: top-level names for a top-level
        // key, the section's own keys for a key inside a section.
        let (section, name) = match key.split_once('.') {
            Some((s, n)) => (Some(s), n),
            None => (None, key),
        };
        let candidates: Vec<&str> = KNOWN_KEYS
            .iter()
            .filter_map(|k| match (section, k.split_once('.')) {
                (None, None) => Some(*k),
                (None, Some((top, _))) => Some(top),
                (Some(s), Some((top, rest))) if s == top => Some(rest),
                _ => None,
            })
            .collect();
        let known =
            candidates.into_iter().filter(|k| edit_distance(k, name) <= 2).min_by_key(|k| edit_distance(k, name));
        return match known {
            Some(k) => format!("`{key}` is not a setting (did you mean `{k}`?)"),
            None => format!("`{key}` is not a setting (see docs/configuration.md)"),
        };
    }
    format!("`{key}`: {error}")
}

/// Every setting, for suggestions and for `claw-tui config`.
pub const KNOWN_KEYS: &[&str] = &[
    "model",
    "max_tokens",
    "max_iterations",
    "permission_mode",
    "thinking_budget",
    "compact_threshold",
    "theme",
    "keymap",
    "models",
    "small_model",
    "provider.name",
    "provider.base_url",
    "provider.max_retries",
    "provider.retry_base_delay_ms",
    "provider.idle_timeout_secs",
    "permissions.allow",
    "permissions.deny",
    "bash.timeout_secs",
    "agents.max_parallel",
    "sandbox.mode",
    "sandbox.writable",
    "ui.show_todos",
    "ui.show_sidebar",
    "ui.sidebar_min_width",
    "ui.diff_side_by_side",
    "ui.diff_wrap",
    "notifications",
    "prices",
    "providers",
    "mcp.timeout_secs",
    "mcp.startup_timeout_secs",
    "mcp.defer_threshold",
    "mcp.servers",
    "hooks",
    "trust.trusted",
    "trust.untrusted",
];

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            cur.push((prev[j] + usize::from(ca != *cb)).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

/// Dotted names of the values in a table (`provider.max_retries`).
fn leaf_keys(table: &toml::Table, prefix: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (k, v) in table {
        let name = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
        match v {
            toml::Value::Table(t) => out.extend(leaf_keys(t, &name)),
            _ => out.push(name),
        }
    }
    out
}

fn merge(into: &mut toml::Table, from: toml::Table) {
    for (key, value) in from {
        match (into.get_mut(&key), value) {
            (Some(toml::Value::Table(a)), toml::Value::Table(b)) => merge(a, b),
            (_, v) => {
                into.insert(key, v);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn later_files_override_and_bad_entries_are_reported_with_position() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.toml");
        let b = dir.path().join("b.toml");
        let c = dir.path().join("c.toml");
        std::fs::write(&a, "model = \"one\"\nmax_iterations = 3\n[provider]\nmax_retries = 5\n").unwrap();
        std::fs::write(&b, "model = \"two\"\n[provider]\nbase_url = \"http://x\"\n").unwrap();
        std::fs::write(&c, "model = \"three\"\nmodle = \"typo\"\n").unwrap();
        let d = dir.path().join("d.toml");
        std::fs::write(&d, "[provider]\nmax_retries = \"lots\"\nidle_timeout_secs = 30\n").unwrap();
        let e = dir.path().join("e.toml");
        std::fs::write(&e, "model = \"four\"\nthis is not toml\n").unwrap();
        let files: Vec<(Layer, PathBuf)> = [&a, &b, &c, &d, &e, &dir.path().join("missing.toml")]
            .iter()
            .map(|p| (Layer::User, p.to_path_buf()))
            .collect();
        let loaded = load_files(&files);
        // c's valid line applies; its typo is skipped alone; e is skipped whole.
        assert_eq!(loaded.settings.model.as_deref(), Some("three"));
        assert_eq!(loaded.settings.max_iterations, Some(3));
        assert_eq!(loaded.settings.provider.max_retries, Some(5), "d's bad value did not override a's");
        assert_eq!(loaded.settings.provider.idle_timeout_secs, Some(30));
        assert_eq!(loaded.settings.provider.base_url.as_deref(), Some("http://x"));
        let warnings: Vec<String> = loaded.problems.iter().map(Problem::to_string).collect();
        assert_eq!(warnings.len(), 3, "{warnings:?}");
        assert_eq!(
            warnings[0],
            format!("{}:2:1: `modle` is not a setting (did you mean `model`?); this setting was ignored", c.display())
        );
        assert!(
            warnings[1]
                .starts_with(&format!("{}:2:1: `provider.max_retries`: invalid type: string \"lots\"", d.display())),
            "{}",
            warnings[1]
        );
        assert!(warnings[2].starts_with(&format!("{}:2:", e.display())), "{}", warnings[2]);
        assert!(warnings[2].ends_with("this file was ignored"), "{}", warnings[2]);
        assert_eq!(loaded.sources["model"].to_string(), c.display().to_string());
        assert_eq!(loaded.sources["provider.max_retries"].to_string(), a.display().to_string());
    }
}
