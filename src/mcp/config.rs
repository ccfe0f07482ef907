//! Which MCP servers to start: the project's `.mcp.json` (the format Claude Code and the other
//! agents read) and `[mcp.servers.NAME]` in claw-tui's TOML layers, with `${VAR}` expanded.
//!
//! Servers from the project's own files (`.mcp.json`, `.claw/config.toml`,
//! `.claw/config.local.toml`) start a program or send the conversation's tool calls somewhere,
//! so they apply only in a trusted folder; the user's own config always applies. A malformed
//! `.mcp.json` is reported with its line and column, and a bad entry is skipped alone.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;

use crate::config::settings::{Loaded, McpServerDef};
use crate::config::trust::{Trust, Withheld};
use crate::config::{Layer, Problem, Source};

/// Default most seconds for one tool call.
pub const DEFAULT_CALL_TIMEOUT: Duration = Duration::from_secs(120);
/// Default most seconds `-p` waits for the servers before its first request.
pub const DEFAULT_STARTUP_TIMEOUT: Duration = Duration::from_secs(10);
/// Default share of the context window MCP tool definitions may take before they are deferred.
pub const DEFAULT_DEFER_THRESHOLD: f64 = 0.1;

/// The MCP servers of a workspace and the limits that apply to them.
#[derive(Debug, Clone, PartialEq)]
pub struct McpConfig {
    pub servers: Vec<ServerConfig>,
    pub call_timeout: Duration,
    pub startup_timeout: Duration,
    pub defer_threshold: f64,
}

impl Default for McpConfig {
    fn default() -> Self {
        McpConfig {
            servers: Vec::new(),
            call_timeout: DEFAULT_CALL_TIMEOUT,
            startup_timeout: DEFAULT_STARTUP_TIMEOUT,
            defer_threshold: DEFAULT_DEFER_THRESHOLD,
        }
    }
}

/// One server, its values expanded.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerConfig {
    pub name: String,
    pub transport: Transport,
    /// The file that defines it.
    pub file: PathBuf,
    /// Why it cannot start (a variable it names is not set, no command or url): it is shown
    /// as failed with this reason.
    pub error: Option<String>,
}

/// How to reach a server.
#[derive(Debug, Clone, PartialEq)]
pub enum Transport {
    /// A child process speaking JSON-RPC on its stdin and stdout.
    Stdio { command: String, args: Vec<String>, env: BTreeMap<String, String> },
    /// Streamable HTTP.
    Http { url: String, headers: BTreeMap<String, String> },
    /// The older HTTP+SSE transport.
    Sse { url: String, headers: BTreeMap<String, String> },
    /// WebSocket.
    Ws { url: String, headers: BTreeMap<String, String> },
}

impl Transport {
    /// Its name in `.mcp.json`'s `type` and in `mcp list`.
    pub fn kind(&self) -> &'static str {
        match self {
            Transport::Stdio { .. } => "stdio",
            Transport::Http { .. } => "http",
            Transport::Sse { .. } => "sse",
            Transport::Ws { .. } => "ws",
        }
    }

    /// The command line or the address, for lists (credentials in a URL hidden).
    pub fn target(&self) -> String {
        match self {
            Transport::Stdio { command, args, .. } => {
                std::iter::once(command.as_str()).chain(args.iter().map(String::as_str)).collect::<Vec<_>>().join(" ")
            }
            Transport::Http { url, .. } | Transport::Sse { url, .. } | Transport::Ws { url, .. } => {
                crate::sanitize::redact_url_credentials(url).into_owned()
            }
        }
    }
}

/// The project's `.mcp.json`.
pub fn mcp_json_path(root: &Path) -> PathBuf {
    root.join(".mcp.json")
}

/// The MCP settings of a workspace: the servers that apply (by folder trust), the project's
/// servers that did not, and what was wrong reading them. `var` reads the environment.
pub fn resolve(
    loaded: &Loaded,
    root: &Path,
    trust: Trust,
    var: &dyn Fn(&str) -> Option<String>,
) -> (McpConfig, Vec<Withheld>, Vec<Problem>) {
    let mut problems = Vec::new();
    let mut withheld = Vec::new();
    let trusted = trust == Trust::Trusted;
    let mut defs: BTreeMap<String, (McpServerDef, PathBuf)> = BTreeMap::new();
    let json_path = mcp_json_path(root);
    match std::fs::read_to_string(&json_path) {
        Ok(text) => {
            let (servers, bad) = parse_mcp_json(&text);
            problems.extend(bad.into_iter().map(|p| p.in_file(&json_path)));
            for (name, def) in servers {
                if trusted {
                    defs.insert(name, (def, json_path.clone()));
                } else {
                    withheld.push(Withheld {
                        key: format!("mcpServers.{name}"),
                        value: describe(&def),
                        file: json_path.clone(),
                    });
                }
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => problems.push(Problem::file(&json_path, format!("cannot read: {e}"))),
    }
    let toml = if trusted { &loaded.settings.mcp.servers } else { &loaded.user.mcp.servers };
    for (name, def) in toml {
        let file = server_source(loaded, name).unwrap_or_default();
        defs.insert(name.clone(), (def.clone(), file));
    }
    if !trusted {
        for (name, def) in &loaded.settings.mcp.servers {
            if let Some(file) = server_source(loaded, name).filter(|_| !loaded.user.mcp.servers.contains_key(name)) {
                withheld.push(Withheld { key: format!("mcp.servers.{name}"), value: describe(def), file });
            }
        }
    }
    let s = &loaded.settings.mcp;
    let defer_threshold = match s.defer_threshold {
        Some(t) if (0.0..=1.0).contains(&t) => t,
        Some(t) => {
            problems.push(Problem::general(format!(
                "mcp.defer_threshold = {t} is not a share between 0 and 1; {DEFAULT_DEFER_THRESHOLD} applies"
            )));
            DEFAULT_DEFER_THRESHOLD
        }
        None => DEFAULT_DEFER_THRESHOLD,
    };
    let config = McpConfig {
        servers: defs.into_iter().map(|(name, (def, file))| server(name, &def, file, var)).collect(),
        call_timeout: s.timeout_secs.map_or(DEFAULT_CALL_TIMEOUT, |t| Duration::from_secs(t.max(1))),
        startup_timeout: s.startup_timeout_secs.map_or(DEFAULT_STARTUP_TIMEOUT, Duration::from_secs),
        defer_threshold,
    };
    (config, withheld, problems)
}

/// The file that set `[mcp.servers.NAME]` (the last layer that did).
fn server_source(loaded: &Loaded, name: &str) -> Option<PathBuf> {
    let prefix = format!("mcp.servers.{name}.");
    let mut found = None;
    for (key, source) in &loaded.sources {
        if key.starts_with(&prefix)
            && let Source::File { layer, path } = source
        {
            let rank = [Layer::User, Layer::Project, Layer::Local].iter().position(|l| l == layer);
            if found.as_ref().is_none_or(|(r, _)| rank > *r) {
                found = Some((rank, path.clone()));
            }
        }
    }
    found.map(|(_, p)| p)
}

/// What a withheld server would have run (its whole command line: the arguments are what a
/// person deciding to trust the folder needs to see) or reached.
fn describe(def: &McpServerDef) -> String {
    match (&def.command, &def.url) {
        (Some(c), _) => {
            let mut line =
                std::iter::once(c.as_str()).chain(def.args.iter().map(String::as_str)).collect::<Vec<_>>().join(" ");
            if line.chars().count() > 200 {
                line = line.chars().take(199).collect::<String>() + "…";
            }
            format!("command {line:?}")
        }
        (None, Some(u)) => format!("url {:?}", crate::sanitize::redact_url_credentials(u)),
        (None, None) => "(a server)".into(),
    }
}

/// Reads `.mcp.json`: its servers, and a problem (line:col in the text) for a syntax error or
/// each entry that is not a server.
pub fn parse_mcp_json(text: &str) -> (Vec<(String, McpServerDef)>, Vec<Problem>) {
    let value: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            let message = format!("{e}; no server of this file was started");
            let message = message.replace(&format!(" at line {} column {}", e.line(), e.column()), "");
            return (Vec::new(), vec![Problem::at(e.line(), e.column(), message)]);
        }
    };
    let Some(servers) = value.get("mcpServers") else {
        return (Vec::new(), vec![Problem::at(1, 1, "no `mcpServers` object; no server was started")]);
    };
    let Some(servers) = servers.as_object() else {
        let (line, col) = locate(text, "mcpServers");
        return (Vec::new(), vec![Problem::at(line, col, "`mcpServers` must be an object of servers by name")]);
    };
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for (name, entry) in servers {
        match json_server(entry) {
            Ok(def) => out.push((name.clone(), def)),
            Err(e) => {
                let (line, col) = locate(text, &format!("\"{name}\""));
                problems.push(Problem::at(line, col, format!("server `{name}`: {e}; it was skipped")));
            }
        }
    }
    (out, problems)
}

/// One `.mcp.json` entry. Keys other agents add (`disabled`, `description`, `timeout`...) are
/// ignored rather than refused, so a file shared with them still works.
fn json_server(entry: &Value) -> Result<McpServerDef, String> {
    let Some(object) = entry.as_object() else {
        return Err(format!("expected an object, got {entry}"));
    };
    let known = ["type", "command", "args", "env", "url", "headers"];
    let kept: serde_json::Map<String, Value> =
        object.iter().filter(|(k, _)| known.contains(&k.as_str())).map(|(k, v)| (k.clone(), v.clone())).collect();
    serde_json::from_value(Value::Object(kept)).map_err(|e| e.to_string())
}

/// The line and column of `needle`'s first appearance (1:1 when absent).
fn locate(text: &str, needle: &str) -> (usize, usize) {
    text.find(needle).map_or((1, 1), |at| crate::config::problem::line_col(text, at))
}

/// A definition as a server to start: its values expanded, its transport chosen.
pub fn server(name: String, def: &McpServerDef, file: PathBuf, var: &dyn Fn(&str) -> Option<String>) -> ServerConfig {
    let mut missing = Vec::new();
    let mut x = |s: &str| expand(s, var, &mut missing);
    let map = |m: &BTreeMap<String, String>, x: &mut dyn FnMut(&str) -> String| {
        m.iter().map(|(k, v)| (k.clone(), x(v))).collect::<BTreeMap<_, _>>()
    };
    let kind = def.kind.as_deref().map(str::to_ascii_lowercase);
    let transport = match (kind.as_deref(), &def.command, &def.url) {
        (None | Some("stdio"), Some(command), _) => Ok(Transport::Stdio {
            command: x(command),
            args: def.args.iter().map(|a| x(a)).collect(),
            env: map(&def.env, &mut x),
        }),
        (None | Some("http" | "streamable-http" | "streamable_http"), _, Some(url)) => {
            Ok(Transport::Http { url: x(url), headers: map(&def.headers, &mut x) })
        }
        (Some("sse"), _, Some(url)) => Ok(Transport::Sse { url: x(url), headers: map(&def.headers, &mut x) }),
        (Some("ws" | "websocket"), _, Some(url)) => {
            Ok(Transport::Ws { url: x(url), headers: map(&def.headers, &mut x) })
        }
        (Some("stdio") | None, None, None) => Err("neither `command` nor `url` is set".to_string()),
        (Some("stdio"), None, Some(_)) => Err("`type` is stdio but there is no `command`".to_string()),
        (Some(k @ ("http" | "sse" | "ws")), _, None) => Err(format!("`type` is {k} but there is no `url`")),
        (Some(other), _, _) => Err(format!("unknown `type` {other:?} (expected stdio, http, sse or ws)")),
    };
    let (transport, mut error) = match transport {
        Ok(t) => (t, None),
        Err(e) => (Transport::Stdio { command: String::new(), args: Vec::new(), env: BTreeMap::new() }, Some(e)),
    };
    if error.is_none() && !missing.is_empty() {
        missing.sort();
        missing.dedup();
        let names: Vec<String> = missing.iter().map(|m| format!("${{{m}}}")).collect();
        error = Some(format!(
            "{} not set in the environment",
            names.join(", ") + if missing.len() == 1 { " is" } else { " are" }
        ));
    }
    ServerConfig { name, transport, file, error }
}

/// `${VAR}` and `${VAR:-default}` replaced by the environment's values; a variable that is not
/// set and has no default is left empty and named in `missing`.
pub fn expand(text: &str, var: &dyn Fn(&str) -> Option<String>, missing: &mut Vec<String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            out.push_str(&rest[start..]);
            return out;
        };
        let inner = &after[..end];
        let (name, default) = match inner.split_once(":-") {
            Some((n, d)) => (n, Some(d)),
            None => (inner, None),
        };
        match (var(name), default) {
            (Some(v), _) => out.push_str(&v),
            (None, Some(d)) => out.push_str(d),
            (None, None) => missing.push(name.to_string()),
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        match name {
            "HOME_DIR" => Some("/home/u".into()),
            "TOKEN" => Some("t0k".into()),
            _ => None,
        }
    }

    #[test]
    fn variables_expand_with_defaults_and_missing_ones_are_named() {
        let mut missing = Vec::new();
        assert_eq!(expand("${HOME_DIR}/x:${NOPE:-d}", &env, &mut missing), "/home/u/x:d");
        assert!(missing.is_empty());
        assert_eq!(expand("Bearer ${TOKEN}${GONE}", &env, &mut missing), "Bearer t0k");
        assert_eq!(missing, ["GONE"]);
        assert_eq!(expand("${unclosed", &env, &mut missing), "${unclosed");
    }

    #[test]
    fn mcp_json_entries_are_read_and_a_bad_one_is_skipped_with_its_place() {
        let text = r#"{
  "mcpServers": {
    "files": {"command": "npx", "args": ["-y", "srv"], "env": {"T": "${TOKEN}"}, "disabled": false},
    "remote": {"type": "http", "url": "http://127.0.0.1:9/mcp", "headers": {"Authorization": "Bearer ${TOKEN}"}},
    "broken": {"command": 42}
  }
}"#;
        let (servers, problems) = parse_mcp_json(text);
        assert_eq!(servers.len(), 2);
        assert_eq!(problems.len(), 1);
        assert_eq!((problems[0].line, problems[0].col), (Some(5), Some(5)));
        assert!(problems[0].message.starts_with("server `broken`: invalid type"), "{}", problems[0].message);
        let files = server(servers[0].0.clone(), &servers[0].1, PathBuf::new(), &env);
        assert_eq!(
            files.transport,
            Transport::Stdio {
                command: "npx".into(),
                args: vec!["-y".into(), "srv".into()],
                env: [("T".to_string(), "t0k".to_string())].into()
            }
        );
        let remote = server(servers[1].0.clone(), &servers[1].1, PathBuf::new(), &env);
        assert_eq!(remote.transport.kind(), "http");
        assert_eq!(remote.error, None);
    }

    #[test]
    fn a_syntax_error_names_its_line_and_column() {
        let (servers, problems) = parse_mcp_json("{\n  \"mcpServers\": {\n    \"a\": {\"command\": \"x\",}\n  }\n}");
        assert!(servers.is_empty());
        assert_eq!(problems[0].line, Some(3));
        assert!(problems[0].message.contains("no server of this file was started"), "{}", problems[0].message);
        assert!(!problems[0].message.contains(" at line "), "{}", problems[0].message);
    }

    #[test]
    fn a_server_that_cannot_start_says_why() {
        let def = |json: &str| serde_json::from_str::<McpServerDef>(json).unwrap();
        let s = server("a".into(), &def(r#"{"command": "x", "env": {"K": "${GONE}"}}"#), PathBuf::new(), &env);
        assert_eq!(s.error.as_deref(), Some("${GONE} is not set in the environment"));
        let s = server("b".into(), &def(r#"{"type": "sse"}"#), PathBuf::new(), &env);
        assert_eq!(s.error.as_deref(), Some("`type` is sse but there is no `url`"));
        let s = server("c".into(), &def(r#"{"type": "grpc", "url": "x"}"#), PathBuf::new(), &env);
        assert!(s.error.unwrap().starts_with("unknown `type` \"grpc\""));
        let s = server("d".into(), &def(r#"{"url": "ws://h/x", "type": "ws"}"#), PathBuf::new(), &env);
        assert_eq!(s.transport.kind(), "ws");
    }
}
