//! Settings: files, environment, command line.
//!
//! Files are TOML, read in this order, later ones overriding earlier ones key by key:
//! the user's `config.toml` in the config home (`$CLAW_CONFIG_HOME`, else `$CLAUDE_CONFIG_HOME`,
//! else `~/.claw`), the project's `.claw/config.toml`, then `.claw/config.local.toml`. The
//! environment and the command line override files (the caller applies those). A file with a
//! syntax error, an unknown key or a wrong type is skipped whole, with a warning naming the
//! file, line and column; the rest still applies.

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The config home: `$CLAW_CONFIG_HOME`, `$CLAUDE_CONFIG_HOME`, or `~/.claw`.
pub fn config_home() -> Option<PathBuf> {
    for var in ["CLAW_CONFIG_HOME", "CLAUDE_CONFIG_HOME"] {
        if let Some(v) = std::env::var_os(var).filter(|v| !v.is_empty()) {
            return Some(PathBuf::from(v));
        }
    }
    directories::BaseDirs::new().map(|d| d.home_dir().join(".claw"))
}

/// Where sessions are stored.
pub fn sessions_root() -> Option<PathBuf> {
    config_home().map(|h| h.join("sessions"))
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderSettings {
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

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BashSettings {
    pub timeout_secs: Option<u64>,
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
    /// Share of the context window (0.1–0.99) at which the conversation is compacted.
    pub compact_threshold: Option<f64>,
    /// Models offered by /model (default: every model in the price table).
    pub models: Option<Vec<String>>,
    #[serde(default)]
    pub provider: ProviderSettings,
    #[serde(default)]
    pub permissions: PermissionSettings,
    #[serde(default)]
    pub bash: BashSettings,
    /// Price overrides by model-id prefix: `[prices."claude-sonnet-4-5"] input = 3.0 ...`.
    #[serde(default)]
    pub prices: std::collections::BTreeMap<String, PriceSettings>,
}

/// The merged settings and what went wrong reading them.
#[derive(Debug, Default)]
pub struct Loaded {
    pub settings: Settings,
    pub files: Vec<PathBuf>,
    pub warnings: Vec<String>,
}

/// The config files that apply to a workspace rooted at `root`, lowest precedence first.
pub fn config_files(root: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    if let Some(home) = config_home() {
        files.push(home.join("config.toml"));
    }
    files.push(root.join(".claw").join("config.toml"));
    files.push(root.join(".claw").join("config.local.toml"));
    files
}

/// Reads and merges the config files of a workspace.
pub fn load(root: &Path) -> Loaded {
    load_files(&config_files(root))
}

pub fn load_files(files: &[PathBuf]) -> Loaded {
    let mut loaded = Loaded::default();
    let mut merged = toml::Table::new();
    for path in files {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => {
                loaded.warnings.push(format!("{}: cannot read: {e}", path.display()));
                continue;
            }
        };
        // Validate the file alone first, so a mistake is reported against its own file.
        if let Err(e) = toml::from_str::<Settings>(&text) {
            loaded.warnings.push(format!("{}: {}; this file was ignored", path.display(), locate(&text, &e)));
            continue;
        }
        let table: toml::Table = match text.parse() {
            Ok(t) => t,
            Err(e) => {
                loaded.warnings.push(format!("{}: {e}", path.display()));
                continue;
            }
        };
        merge(&mut merged, table);
        loaded.files.push(path.clone());
    }
    match toml::Value::Table(merged).try_into::<Settings>() {
        Ok(s) => loaded.settings = s,
        Err(e) => loaded.warnings.push(format!("the merged configuration is invalid: {e}")),
    }
    loaded
}

/// `line L, column C: message` for a TOML error.
fn locate(text: &str, e: &toml::de::Error) -> String {
    let message = e.message().trim().to_string();
    match e.span() {
        Some(span) => {
            let before = &text[..span.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let column = before.rsplit('\n').next().map(|l| l.chars().count()).unwrap_or(0) + 1;
            format!("line {line}, column {column}: {message}")
        }
        None => message,
    }
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
    fn later_files_override_and_bad_files_are_reported_with_position() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.toml");
        let b = dir.path().join("b.toml");
        let c = dir.path().join("c.toml");
        std::fs::write(&a, "model = \"one\"\nmax_iterations = 3\n[provider]\nmax_retries = 5\n").unwrap();
        std::fs::write(&b, "model = \"two\"\n[provider]\nbase_url = \"http://x\"\n").unwrap();
        std::fs::write(&c, "model = \"three\"\nmodle = \"typo\"\n").unwrap();
        let loaded = load_files(&[a, b, c.clone(), dir.path().join("missing.toml")]);
        assert_eq!(loaded.settings.model.as_deref(), Some("two"));
        assert_eq!(loaded.settings.max_iterations, Some(3));
        assert_eq!(loaded.settings.provider.max_retries, Some(5));
        assert_eq!(loaded.settings.provider.base_url.as_deref(), Some("http://x"));
        assert_eq!(loaded.warnings.len(), 1);
        let w = &loaded.warnings[0];
        assert!(w.starts_with(&c.display().to_string()), "{w}");
        assert!(w.contains("line 2, column 1"), "{w}");
        assert!(w.contains("modle"), "{w}");
    }
}
