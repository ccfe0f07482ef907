//! `claw-tui config` and `/config`: every effective value, one line each, with where it came
//! from, then the files read and every problem found in them, the selected theme and keymap
//! included, so a broken file can be diagnosed without opening the interface.
//!
//! Credentials are named, never shown.

use std::path::Path;

use super::problem::Problem;
use super::resolve::{Effective, FileState, Sourced};
use crate::cli::Cli;

/// The report for the workspace at `cwd`, and every problem in it (for stderr).
pub fn describe(cli: &Cli, cwd: &Path) -> (String, Vec<Problem>) {
    let root = crate::tools::Workspace::discover(cwd).map(|w| w.root).unwrap_or_else(|_| cwd.to_path_buf());
    let effective = super::effective(cli, &root);
    let (_, theme_problems) = super::theme::resolve(&effective.theme.value, &super::theme::theme_dirs(&root));
    let (_, keymap_problems, _) =
        super::keymap::resolve(&effective.keymap.value, &super::keymap::keymap_dirs(&root, effective.trusted()));
    let mut problems = effective.problems.clone();
    problems.extend(theme_problems);
    problems.extend(keymap_problems);
    let sandbox = crate::sandbox::Sandbox::new(effective.sandbox_mode.value, &root, &effective.sandbox_writable.value);
    (report(&effective, &sandbox, &problems), problems)
}

/// The text of the report: values, credentials, the sandbox in force, files, problems.
pub fn report(e: &Effective, sandbox: &crate::sandbox::Sandbox, problems: &[Problem]) -> String {
    let rows = rows(e);
    let width = rows.iter().map(|(k, v, _)| k.len() + v.len() + 3).max().unwrap_or(0).min(72);
    let mut out = String::new();
    for (k, v, src) in rows {
        let line = format!("{k} = {v}");
        out.push_str(&format!("{line:<width$}  # {src}\n"));
    }
    out.push_str(&match e.credential {
        Some(var) => format!("# credentials: {var} is set (its value is never shown)\n"),
        None => "# credentials: none (set ANTHROPIC_API_KEY or ANTHROPIC_AUTH_TOKEN)\n".to_string(),
    });
    out.push_str(&format!("# sandbox: {}\n", sandbox.describe()));
    if sandbox.active() {
        let places: Vec<String> = sandbox.writable.iter().map(|p| p.display().to_string()).collect();
        out.push_str(&format!("#   writable: {}\n", places.join(", ")));
    }
    if !e.mcp.servers.is_empty() {
        out.push_str(
            "# MCP servers (claw-tui mcp list connects to them):
",
        );
        for s in &e.mcp.servers {
            let state = s.error.as_deref().map(|why| format!("; cannot start: {why}")).unwrap_or_default();
            let line = format!("{} ({}: {}){state}", s.name, s.transport.kind(), s.transport.target());
            out.push_str(&format!("#   {}  from {}\n", crate::sanitize::visible(&line), s.file.display()));
        }
    }
    out.push_str(match e.trust {
        super::trust::Trust::Trusted => "# this folder is trusted: its own settings apply\n",
        super::trust::Trust::Untrusted => {
            "# this folder is not trusted (you said so): its settings that widen what claw-tui does are ignored\n"
        }
        super::trust::Trust::Unknown => {
            "# this folder is not trusted (yet): its settings that widen what claw-tui does are ignored\n"
        }
    });
    for w in &e.withheld {
        out.push_str(&format!("#   ignored: {w}\n"));
    }
    out.push_str("# files, lowest precedence first; then the environment, then flags:\n");
    for (path, state) in &e.files {
        let state = match state {
            FileState::Read => "read",
            FileState::NotUsed => "not used (see the problems)",
            FileState::Absent => "absent",
        };
        out.push_str(&format!("#   {} ({state})\n", path.display()));
    }
    if problems.is_empty() {
        out.push_str("# problems: none\n");
    } else {
        out.push_str("# problems:\n");
        for p in problems {
            out.push_str(&format!("#   {p}\n"));
        }
    }
    out
}

/// One row per setting: key, value as TOML would write it, source.
pub fn rows(e: &Effective) -> Vec<(String, String, String)> {
    let q = |v: &str| format!("{v:?}");
    let row = |key: &str, value: String, source: String| (key.to_string(), value, source);
    let shown = |key: &str, s: &Sourced<String>| row(key, q(&s.value), s.source.to_string());
    let plain = |key: &str, value: String, s: &super::resolve::Source| row(key, value, s.to_string());
    let p = &e.provider;
    let u = &e.ui;
    let mut rows = vec![
        shown("model", &e.model),
        plain("permission_mode", q(&e.permission_mode.value.to_string()), &e.permission_mode.source),
        plain("max_iterations", e.max_iterations.value.to_string(), &e.max_iterations.source),
        plain("max_tokens", e.max_tokens.value.to_string(), &e.max_tokens.source),
        plain("thinking_budget", e.thinking_budget.value.to_string(), &e.thinking_budget.source),
        plain("compact_threshold", e.compact_threshold.value.to_string(), &e.compact_threshold.source),
        match e.models.value.is_empty() {
            true => plain("models", "(the known Anthropic models)".into(), &e.models.source),
            false => plain("models", format!("{:?}", e.models.value), &e.models.source),
        },
        shown("theme", &e.theme),
        shown("keymap", &e.keymap),
        shown("provider.name", &p.name),
        plain("provider.base_url", q(&crate::sanitize::redact_url_credentials(&p.base_url.value)), &p.base_url.source),
        plain("provider.max_retries", p.max_retries.value.to_string(), &p.max_retries.source),
        plain("provider.retry_base_delay_ms", p.retry_base_delay_ms.value.to_string(), &p.retry_base_delay_ms.source),
        plain("provider.idle_timeout_secs", p.idle_timeout_secs.value.to_string(), &p.idle_timeout_secs.source),
    ];
    for (key, list) in [("permissions.allow", &e.allow), ("permissions.deny", &e.deny)] {
        let values: Vec<&str> = list.iter().map(|r| r.value.as_str()).collect();
        let mut sources: Vec<String> = Vec::new();
        for r in list {
            let s = r.source.to_string();
            if !sources.contains(&s) {
                sources.push(s);
            }
        }
        let src = if sources.is_empty() { "default".into() } else { sources.join(" + ") };
        rows.push(row(key, format!("{values:?}"), src));
    }
    rows.extend([
        plain("ui.show_todos", u.show_todos.value.to_string(), &u.show_todos.source),
        plain("ui.show_sidebar", u.show_sidebar.value.to_string(), &u.show_sidebar.source),
        plain("ui.diff_side_by_side", u.diff_side_by_side.value.to_string(), &u.diff_side_by_side.source),
        plain("ui.diff_wrap", u.diff_wrap.value.to_string(), &u.diff_wrap.source),
        plain("ui.sidebar_min_width", u.sidebar_min_width.value.to_string(), &u.sidebar_min_width.source),
        plain("notifications", q(if u.bell.value { "bell" } else { "off" }), &u.bell.source),
        plain("bash.timeout_secs", e.bash_timeout_secs.value.to_string(), &e.bash_timeout_secs.source),
        plain("agents.max_parallel", e.max_parallel.value.to_string(), &e.max_parallel.source),
        plain("sandbox.mode", q(&e.sandbox_mode.value.to_string()), &e.sandbox_mode.source),
        plain("sandbox.writable", format!("{:?}", e.sandbox_writable.value), &e.sandbox_writable.source),
    ]);
    for price in &e.prices {
        let (prefix, p) = &price.value;
        rows.push(plain(
            &format!("prices.{prefix:?}"),
            format!("{{ input = {}, output = {} }}", p.input, p.output),
            &price.source,
        ));
    }
    rows
}
