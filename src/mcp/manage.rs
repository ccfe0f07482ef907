//! `claw-tui mcp list|get|add|remove`: the servers for scripts and for setting them up.
//!
//! `list` and `get` connect to the servers as a run would (folder trust applies: a project's
//! servers are listed as not started in a folder not trusted). `add` writes the project's
//! `.mcp.json` (scope project, the file other agents read too), `.claw/config.local.toml`
//! (local, the default) or the user's `config.toml` (user), keeping the rest of the file as it
//! was; `remove` takes a server out of the file that defines it.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use super::hub::{ServerView, Status};
use crate::cli::{Cli, McpCommand, McpScope, McpTransportArg};

pub fn run(cli: &Cli, action: &McpCommand) -> i32 {
    let Some(root) = crate::commands::workspace_root() else { return 1 };
    let outcome = match action {
        McpCommand::List { json } => list(cli, &root, *json),
        McpCommand::Get { name } => get(cli, &root, name),
        McpCommand::Add { name, target, scope, transport, env, header } => {
            add(&root, name, target, *scope, *transport, env, header)
        }
        McpCommand::Remove { name, scope } => remove(&root, name, *scope),
        McpCommand::Login { name, no_browser } => login(cli, &root, name, *no_browser),
        McpCommand::Logout { name } => logout(cli, &root, name),
    };
    match outcome {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("claw-tui: error: {e}");
            1
        }
    }
}

/// The effective MCP settings (problems and withheld servers said on stderr) and every
/// server's state once each has connected or failed.
fn connect_all(cli: &Cli, root: &Path) -> Result<(crate::config::Effective, Vec<ServerView>), String> {
    let effective = crate::config::effective(cli, root);
    for p in effective.problems.iter().filter(|p| p.path.as_ref().is_some_and(|f| f.ends_with(".mcp.json"))) {
        eprintln!("claw-tui: warning: {p}");
    }
    let withheld: Vec<_> = effective.withheld.iter().filter(|w| w.key.starts_with("mcp")).cloned().collect();
    if !withheld.is_empty() {
        eprintln!("claw-tui: warning: {}", crate::config::trust::ignored_notice(&withheld));
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    let views = runtime.block_on(async {
        let hub = super::hub::start_and_wait(&effective.mcp, root).await;
        hub.map(|h| h.views()).unwrap_or_default()
    });
    runtime.shutdown_timeout(std::time::Duration::from_millis(200));
    Ok((effective, views))
}

fn list(cli: &Cli, root: &Path, json: bool) -> Result<(), String> {
    let (_, views) = connect_all(cli, root)?;
    if json {
        let list: Vec<Value> = views
            .iter()
            .map(|v| {
                let (status, error) = match &v.status {
                    Status::Connected => ("connected", Value::Null),
                    Status::Failed(why) => ("failed", Value::from(why.as_str())),
                    Status::Connecting => ("failed", Value::from("did not connect within the startup timeout")),
                };
                json!({"name": v.name, "transport": v.transport, "status": status, "error": error, "tools": v.tools.len()})
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&list).unwrap_or_default());
        return Ok(());
    }
    if views.is_empty() {
        println!(
            "No MCP servers. Add one with `claw-tui mcp add NAME -- COMMAND [ARGS...]` or `claw-tui mcp add -t http NAME URL`, or in .mcp.json."
        );
        return Ok(());
    }
    let width = views.iter().map(|v| v.name.chars().count()).max().unwrap_or(0);
    for v in &views {
        let status = match &v.status {
            Status::Connected => {
                format!("connected, {} tool{}", v.tools.len(), if v.tools.len() == 1 { "" } else { "s" })
            }
            Status::Failed(why) => format!("failed: {why}"),
            Status::Connecting => "failed: did not connect within the startup timeout".into(),
        };
        println!("{:width$}  {:5}  {}  ({})", v.name, v.transport, status, v.target);
    }
    Ok(())
}

fn get(cli: &Cli, root: &Path, name: &str) -> Result<(), String> {
    let (effective, views) = connect_all(cli, root)?;
    let Some(server) = effective.mcp.servers.iter().find(|s| s.name == name) else {
        if let Some(w) = effective.withheld.iter().find(|w| w.key.ends_with(&format!(".{name}"))) {
            return Err(format!(
                "`{name}` is defined in {}, but this folder is not trusted, so it does not start (claw-tui trust)",
                w.file.display()
            ));
        }
        return Err(format!("no MCP server named `{name}` (claw-tui mcp list shows them)"));
    };
    let view = views.iter().find(|v| v.name == name);
    println!("{name}");
    println!("  defined in: {}", server.file.display());
    println!("  transport:  {}", server.transport.kind());
    match &server.transport {
        super::Transport::Stdio { env, .. } => {
            println!("  command:    {}", server.transport.target());
            if !env.is_empty() {
                let keys: Vec<&str> = env.keys().map(String::as_str).collect();
                println!("  env:        {} (values not shown)", keys.join(", "));
            }
        }
        super::Transport::Http { headers, .. }
        | super::Transport::Sse { headers, .. }
        | super::Transport::Ws { headers, .. } => {
            println!("  url:        {}", server.transport.target());
            if !headers.is_empty() {
                let keys: Vec<&str> = headers.keys().map(String::as_str).collect();
                println!("  headers:    {} (values not shown)", keys.join(", "));
            }
        }
    }
    match view.map(|v| &v.status) {
        Some(Status::Connected) => {
            let v = view.expect("a view");
            println!("  status:     connected (protocol {})", v.protocol);
            println!("  tools ({}):  {}", v.tools.len(), v.tools.join(", "));
            for p in &v.prompts {
                println!("  prompt:     {}  {}", super::context::prompt_command(name, &p.name), p.description);
            }
        }
        Some(Status::Failed(why)) => println!("  status:     failed: {why}"),
        _ => println!("  status:     failed: did not connect within the startup timeout"),
    }
    Ok(())
}

/// The server named `name` among those that apply here.
fn configured(cli: &Cli, root: &Path, name: &str) -> Result<super::ServerConfig, String> {
    let effective = crate::config::effective(cli, root);
    effective.mcp.servers.into_iter().find(|s| s.name == name).ok_or_else(|| {
        format!(
            "no MCP server named `{name}` applies here (claw-tui mcp list; a project's servers need a trusted folder)"
        )
    })
}

fn login(cli: &Cli, root: &Path, name: &str, no_browser: bool) -> Result<(), String> {
    let server = configured(cli, root, name)?;
    crate::install_crypto_provider();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    let path = runtime.block_on(super::auth::login(&server, no_browser))?;
    println!("Authorized: the tokens for `{name}` are in {} (readable by you alone).", path.display());
    Ok(())
}

fn logout(cli: &Cli, root: &Path, name: &str) -> Result<(), String> {
    let server = configured(cli, root, name)?;
    match super::auth::logout(&server)? {
        true => println!("Forgot the login of `{name}`."),
        false => println!("`{name}` had no stored login."),
    }
    Ok(())
}

/// The TOML file a scope writes (project scope writes `.mcp.json`, not this).
fn toml_file(root: &Path, scope: McpScope) -> Result<PathBuf, String> {
    match scope {
        McpScope::Local => Ok(root.join(".claw").join("config.local.toml")),
        McpScope::Project => Ok(root.join(".claw").join("config.toml")),
        McpScope::User => crate::config::config_home()
            .map(|h| h.join("config.toml"))
            .ok_or_else(|| "no config home (set HOME or CLAW_CONFIG_HOME)".to_string()),
    }
}

fn add(
    root: &Path,
    name: &str,
    target: &[String],
    scope: McpScope,
    transport: McpTransportArg,
    env: &[String],
    header: &[String],
) -> Result<(), String> {
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')) {
        return Err(format!("`{name}` cannot name a server: use letters, digits, `_`, `-` and `.`"));
    }
    let pairs = |items: &[String], sep: char, what: &str| -> Result<Vec<(String, String)>, String> {
        items
            .iter()
            .map(|item| match item.split_once(sep) {
                Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_string(), v.trim_start().to_string())),
                _ => Err(format!("`{item}` is not {what}")),
            })
            .collect()
    };
    let mut def = serde_json::Map::new();
    match transport {
        McpTransportArg::Stdio => {
            def.insert("command".into(), Value::from(target[0].clone()));
            def.insert("args".into(), Value::from(target[1..].to_vec()));
            let env = pairs(env, '=', "KEY=VALUE")?;
            if !env.is_empty() {
                def.insert("env".into(), Value::Object(env.into_iter().map(|(k, v)| (k, Value::from(v))).collect()));
            }
        }
        remote => {
            let [url] = target else {
                return Err(format!("a {remote:?} server takes one URL, got {}", target.join(" ")).to_lowercase());
            };
            let kind = match remote {
                McpTransportArg::Sse => "sse",
                McpTransportArg::Ws => "ws",
                _ => "http",
            };
            def.insert("type".into(), Value::from(kind));
            def.insert("url".into(), Value::from(url.clone()));
            let headers = pairs(header, ':', "a header (\"Name: value\")")?;
            if !headers.is_empty() {
                def.insert(
                    "headers".into(),
                    Value::Object(headers.into_iter().map(|(k, v)| (k, Value::from(v))).collect()),
                );
            }
        }
    }
    let file = match scope {
        McpScope::Project => add_json(&super::config::mcp_json_path(root), name, def)?,
        scope => {
            let file = toml_file(root, scope)?;
            add_toml(&file, name, &def)?;
            file
        }
    };
    println!("Added the {} server `{name}` to {}.", kind_of(transport), file.display());
    if scope != McpScope::User {
        println!("Project servers start in a trusted folder only (`claw-tui trust`, or --trust for one run).");
    }
    Ok(())
}

fn kind_of(t: McpTransportArg) -> &'static str {
    match t {
        McpTransportArg::Stdio => "stdio",
        McpTransportArg::Http => "http",
        McpTransportArg::Sse => "sse",
        McpTransportArg::Ws => "ws",
    }
}

/// Reads `.mcp.json` as JSON (an absent file is an empty one).
fn read_json(path: &Path) -> Result<Value, String> {
    match std::fs::read_to_string(path) {
        Ok(text) => serde_json::from_str(&text).map_err(|e| {
            format!("{}:{}:{}: not valid JSON, so it was left alone: {e}", path.display(), e.line(), e.column())
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(json!({})),
        Err(e) => Err(format!("{}: {e}", path.display())),
    }
}

fn write_json(path: &Path, value: &Value) -> Result<(), String> {
    let text = serde_json::to_string_pretty(value).unwrap_or_default() + "\n";
    crate::files::write_atomic(path, text.as_bytes(), 0o644).map_err(|e| format!("{}: {e}", path.display()))
}

fn add_json(path: &Path, name: &str, def: serde_json::Map<String, Value>) -> Result<PathBuf, String> {
    let mut doc = read_json(path)?;
    let servers = doc
        .as_object_mut()
        .ok_or_else(|| format!("{} is not a JSON object, so it was left alone", path.display()))?
        .entry("mcpServers")
        .or_insert_with(|| json!({}))
        .as_object_mut()
        .ok_or_else(|| format!("{}: `mcpServers` is not an object, so it was left alone", path.display()))?;
    if servers.contains_key(name) {
        return Err(format!(
            "{} already defines `{name}`; remove it first (claw-tui mcp remove {name})",
            path.display()
        ));
    }
    servers.insert(name.to_string(), Value::Object(def));
    write_json(path, &doc)?;
    Ok(path.to_path_buf())
}

fn read_toml(path: &Path) -> Result<toml_edit::DocumentMut, String> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(format!("{}: {e}", path.display())),
    };
    text.parse().map_err(|e| format!("{} is not valid TOML, so it was left alone: {e}", path.display()))
}

fn write_toml(path: &Path, doc: &toml_edit::DocumentMut) -> Result<(), String> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    crate::files::write_atomic(path, doc.to_string().as_bytes(), crate::files::PRIVATE_FILE)
        .map_err(|e| format!("{}: {e}", path.display()))
}

fn add_toml(path: &Path, name: &str, def: &serde_json::Map<String, Value>) -> Result<(), String> {
    let mut doc = read_toml(path)?;
    let servers = doc
        .entry("mcp")
        .or_insert_with(|| toml_edit::Item::Table(toml_edit::Table::new()))
        .as_table_like_mut()
        .ok_or_else(|| format!("{}: `mcp` is not a table", path.display()))?
        .entry("servers")
        .or_insert_with(|| toml_edit::Item::Table(toml_edit::Table::new()))
        .as_table_like_mut()
        .ok_or_else(|| format!("{}: `mcp.servers` is not a table", path.display()))?;
    if servers.contains_key(name) {
        return Err(format!(
            "{} already defines `{name}`; remove it first (claw-tui mcp remove {name})",
            path.display()
        ));
    }
    let mut table = toml_edit::Table::new();
    for (key, value) in def {
        let item = match value {
            Value::String(s) => toml_edit::value(s.as_str()),
            Value::Array(items) => {
                toml_edit::value(items.iter().filter_map(Value::as_str).collect::<toml_edit::Array>())
            }
            Value::Object(map) => {
                let mut inline = toml_edit::InlineTable::new();
                for (k, v) in map {
                    inline.insert(k, v.as_str().unwrap_or_default().into());
                }
                toml_edit::value(inline)
            }
            _ => continue,
        };
        table.insert(key, item);
    }
    servers.insert(name, toml_edit::Item::Table(table));
    write_toml(path, &doc)
}

fn remove(root: &Path, name: &str, scope: Option<McpScope>) -> Result<(), String> {
    let scopes = match scope {
        Some(s) => vec![s],
        None => vec![McpScope::Local, McpScope::Project, McpScope::User],
    };
    let mut removed = Vec::new();
    for scope in scopes {
        if scope == McpScope::Project {
            let path = super::config::mcp_json_path(root);
            if path.exists() {
                let mut doc = read_json(&path)?;
                let gone = doc.get_mut("mcpServers").and_then(Value::as_object_mut).and_then(|m| m.remove(name));
                if gone.is_some() {
                    write_json(&path, &doc)?;
                    removed.push(path);
                }
            }
        }
        let path = toml_file(root, scope)?;
        if path.exists() {
            let mut doc = read_toml(&path)?;
            let gone = doc
                .get_mut("mcp")
                .and_then(|m| m.as_table_like_mut())
                .and_then(|m| m.get_mut("servers"))
                .and_then(|s| s.as_table_like_mut())
                .and_then(|s| s.remove(name));
            if gone.is_some() {
                write_toml(&path, &doc)?;
                removed.push(path);
            }
        }
    }
    if removed.is_empty() {
        return Err(format!(
            "no MCP server named `{name}` in {}",
            match scope {
                Some(_) => "that scope's file",
                None => ".mcp.json, .claw/config.local.toml, .claw/config.toml or your config.toml",
            }
        ));
    }
    for path in removed {
        println!("Removed `{name}` from {}.", path.display());
    }
    Ok(())
}
