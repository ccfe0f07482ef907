//! End to end: the built binary in -p mode against the mock server.

mod support;

use std::path::Path;

use assert_cmd::Command;
use serde_json::{Value, json};
use support::{MockServer, SECRET, walk};

/// The binary against `server`, isolated (see `support::claw_command`), with a time limit.
fn claw(server: &MockServer, work: &Path, home: &Path) -> Command {
    let mut cmd = Command::from_std(support::claw_command(&server.url, work, home));
    cmd.timeout(std::time::Duration::from_secs(30));
    cmd
}

struct Dirs {
    work: tempfile::TempDir,
    home: tempfile::TempDir,
}

fn dirs() -> Dirs {
    Dirs { work: tempfile::tempdir().unwrap(), home: tempfile::tempdir().unwrap() }
}

fn stdout_of(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr_of(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Every file under `dir`, concatenated.
fn all_files_text(dir: &Path) -> String {
    let mut text = String::new();
    for entry in walk(dir) {
        text.push_str(&String::from_utf8_lossy(&std::fs::read(entry).unwrap()));
    }
    text
}

#[test]
fn text_output_is_the_final_answer() {
    let server = MockServer::scenario("text");
    let d = dirs();
    let out = claw(&server, d.work.path(), d.home.path()).args(["-p", "say hello"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert_eq!(stdout_of(&out), "Hello from the mock. Ünïcödé ✓ survives chunking.\n");
    let body = &server.requests()[0].body;
    assert_eq!(body["messages"][0]["content"][0]["text"], "say hello");
    assert!(body["system"][0]["text"].as_str().unwrap().starts_with("You are claw-tui"));
    let tools: Vec<&str> = body["tools"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
    let pwsh = usize::from(claw_tui::tools::powershell::PowerShell::available());
    assert_eq!(tools.len(), 18 + pwsh, "{tools:?}");
    assert!(tools.contains(&"NotebookEdit"), "{tools:?}");
    assert!(tools.contains(&"Agent"), "sub-agents are offered headless too: {tools:?}");
}

#[test]
fn json_output_has_result_usage_and_cost() {
    let server = MockServer::scenario("write_roundtrip");
    let d = dirs();
    let out = claw(&server, d.work.path(), d.home.path())
        .args(["-p", "make a file", "--output-format", "json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let v: Value = serde_json::from_str(stdout_of(&out).trim()).unwrap();
    assert_eq!(v["type"], "result");
    assert_eq!(v["subtype"], "success");
    assert_eq!(v["is_error"], false);
    assert_eq!(v["result"], "The file says: hello from claw");
    assert_eq!(v["num_turns"], 3);
    assert_eq!(v["usage"]["input_tokens"], 450);
    assert_eq!(v["usage"]["output_tokens"], 39);
    let cost = v["total_cost_usd"].as_f64().unwrap();
    assert!((cost - (450.0 * 3.0 + 39.0 * 15.0) / 1e6).abs() < 1e-9, "{cost}");
    assert!(v["duration_ms"].as_u64().is_some());
    let id = v["session_id"].as_str().unwrap();
    assert_eq!(id.len(), 36, "a uuid: {id}");
    // the round trip left the file on disk
    assert_eq!(std::fs::read_to_string(d.work.path().join("out/hello.txt")).unwrap(), "hello from claw\n");
    // and the session was saved under the config home, named by its id
    let sessions: Vec<_> = walk(&d.home.path().join(".claw/sessions"))
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .collect();
    assert_eq!(sessions.len(), 1);
    assert!(sessions[0].ends_with(format!("{id}.jsonl")), "{sessions:?}");
}

#[test]
fn stream_json_is_one_object_per_line_as_things_happen() {
    let server = MockServer::scenario("two_tools");
    let d = dirs();
    std::fs::write(d.work.path().join("a.txt"), "alpha\n").unwrap();
    std::fs::write(d.work.path().join("b.txt"), "beta\n").unwrap();
    let out = claw(&server, d.work.path(), d.home.path())
        .args(["-p", "look", "--output-format", "stream-json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let lines: Vec<Value> = stdout_of(&out).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let types: Vec<&str> = lines.iter().map(|l| l["type"].as_str().unwrap()).collect();
    assert_eq!(types.first(), Some(&"session_started"));
    assert_eq!(types.last(), Some(&"result"));
    let pos = |t: &str| types.iter().position(|x| *x == t).unwrap_or_else(|| panic!("no {t} in {types:?}"));
    assert!(pos("turn_started") < pos("tool_call_started"));
    assert!(pos("tool_call_started") < pos("tool_call_finished"));
    assert!(pos("tool_call_finished") < pos("text_delta"));
    assert!(pos("text_delta") < pos("turn_finished"));
    assert_eq!(types.iter().filter(|t| **t == "tool_call_finished").count(), 2);
    assert_eq!(lines.last().unwrap()["result"], "a.txt says alpha; beta is in b.txt.");
}

#[test]
fn prompt_on_stdin() {
    let server = MockServer::scenario("text");
    let d = dirs();
    let out = claw(&server, d.work.path(), d.home.path()).arg("-p").write_stdin("from a pipe\n").output().unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert_eq!(server.requests()[0].body["messages"][0]["content"][0]["text"], "from a pipe\n");
    let server = MockServer::scenario("text");
    let out = claw(&server, d.work.path(), d.home.path())
        .args(["-p", "explain this"])
        .write_stdin("log line\n")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(server.requests()[0].body["messages"][0]["content"][0]["text"], "log line\n\nexplain this");
}

#[test]
fn auth_error_exits_non_zero_with_one_clear_line() {
    let server = MockServer::scenario("auth_error");
    let d = dirs();
    let out = claw(&server, d.work.path(), d.home.path()).args(["-p", "hi"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stdout_of(&out), "");
    assert_eq!(
        stderr_of(&out),
        "claw-tui: error: authentication failed (401): check ANTHROPIC_API_KEY (invalid x-api-key)\n"
    );
    assert_eq!(server.requests().len(), 1, "not retried");
}

#[test]
fn json_error_result_for_scripts() {
    let server = MockServer::scenario("auth_error");
    let d = dirs();
    let out =
        claw(&server, d.work.path(), d.home.path()).args(["-p", "hi", "--output-format", "json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_str(stdout_of(&out).trim()).unwrap();
    assert_eq!(v["is_error"], true);
    assert_eq!(v["subtype"], "error_during_execution");
    assert!(v["error"].as_str().unwrap().starts_with("authentication failed (401)"));
}

#[test]
fn missing_api_key_is_one_clear_message() {
    let server = MockServer::scenario("text");
    let d = dirs();
    let out = claw(&server, d.work.path(), d.home.path())
        .env_remove("ANTHROPIC_API_KEY")
        .args(["-p", "hi"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr_of(&out).starts_with("claw-tui: error: no API key: set ANTHROPIC_API_KEY"), "{}", stderr_of(&out));
    assert!(server.requests().is_empty());
}

#[test]
fn dead_server_exits_non_zero_with_the_cause() {
    let server = MockServer::scenario("text");
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let d = dirs();
    let out = claw(&server, d.work.path(), d.home.path())
        .env("ANTHROPIC_BASE_URL", format!("http://127.0.0.1:{port}"))
        .args(["-p", "hi"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr_of(&out);
    assert!(err.contains("retrying"), "retries are announced: {err}");
    assert!(err.trim_end().lines().last().unwrap().starts_with("claw-tui: error: connection failed:"), "{err}");
}

#[test]
fn headless_denial_and_allowed_tools() {
    let server = MockServer::scenario("bash_denied");
    let d = dirs();
    let out = claw(&server, d.work.path(), d.home.path()).args(["-p", "run it"]).output().unwrap();
    assert!(out.status.success());
    assert!(!d.work.path().join("made-by-bash.txt").exists());
    assert_eq!(stdout_of(&out), "I was not allowed to run it.\n");

    // The same call, allowed by a rule: it runs.
    let server = MockServer::scenario("bash_allowed");
    let out = claw(&server, d.work.path(), d.home.path())
        .args(["-p", "run it", "--allowedTools", "Bash(echo hello:*)"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert_eq!(std::fs::read_to_string(d.work.path().join("made-by-bash.txt")).unwrap(), "hello\n");
    assert_eq!(stdout_of(&out), "It ran.\n");
}

#[test]
fn secrets_stay_out_of_commands_sessions_and_requests() {
    let scenario = claw_tui::provider::scripted::Scenario::from_json(
        r#"{"replies":[
            {"content":[{"type":"tool_use","id":"t1","name":"bash","input":{"command":"echo \"key=${ANTHROPIC_API_KEY:-none}\""}}]},
            {"content":[{"type":"text","text":"done"}]}]}"#,
    )
    .unwrap();
    let server = MockServer::start(scenario);
    let d = dirs();
    let out = claw(&server, d.work.path(), d.home.path())
        .args(["--permission-mode", "danger-full-access", "-p", &format!("the key is {SECRET}")])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let reqs = server.requests();
    assert_eq!(reqs[1].body["messages"][2]["content"][0]["content"], "key=none", "the command did not see the key");
    for r in &reqs {
        // The prompt itself contained the key, so the body does; the point is the header.
        assert_eq!(r.header("x-api-key"), Some(SECRET));
    }
    let stored = all_files_text(&d.home.path().join(".claw"));
    assert!(stored.contains("key=none"));
    assert!(!stored.contains(SECRET), "no secret in any stored file");
    assert!(stored.contains("[REDACTED]"));
}

#[test]
fn bad_flags_are_usage_errors() {
    let server = MockServer::scenario("text");
    let d = dirs();
    let out =
        claw(&server, d.work.path(), d.home.path()).args(["-p", "x", "--permission-mode", "yolo"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr_of(&out).contains("unknown permission mode `yolo`"));
    let out =
        claw(&server, d.work.path(), d.home.path()).args(["-p", "x", "--allowedTools", "Bash(ls"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr_of(&out).contains("--allowedTools: rule `Bash(ls`: missing `)`"), "{}", stderr_of(&out));
}

#[test]
fn broken_config_file_is_reported_and_ignored() {
    let server = MockServer::scenario("text");
    let d = dirs();
    std::fs::create_dir_all(d.work.path().join(".claw")).unwrap();
    std::fs::write(d.work.path().join(".claw/config.toml"), "model = \"x\"\nmax_iterations = \"many\"\n").unwrap();
    let out = claw(&server, d.work.path(), d.home.path()).args(["-p", "hi"]).output().unwrap();
    assert!(out.status.success());
    let err = stderr_of(&out);
    assert!(
        err.contains(".claw/config.toml:2:1: `max_iterations`: invalid type: string \"many\", expected usize; this setting was ignored"),
        "{err}"
    );
    assert_eq!(server.requests()[0].body["model"], "x", "the valid rest of the file applies");
}

#[test]
fn demo_runs_offline() {
    let d = dirs();
    let out = Command::new(env!("CARGO_BIN_EXE_claw-tui"))
        .current_dir(d.work.path())
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", d.home.path())
        .args(["--demo", "-p", "--output-format", "json"])
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let v: Value = serde_json::from_str(stdout_of(&out).trim()).unwrap();
    assert!(v["result"].as_str().unwrap().starts_with("Done. `greet.sh` now takes"));
    assert_eq!(v["num_turns"], 7);
    assert!(v["total_cost_usd"].as_f64().unwrap() > 0.0);
    assert!(walk(d.home.path()).is_empty(), "the demo stores nothing");
}

#[test]
fn an_unwritable_sessions_directory_is_said_once_and_the_work_goes_on() {
    let server = MockServer::scenario("write_roundtrip");
    let d = dirs();
    let blocker = d.home.path().join("not-a-dir");
    std::fs::write(&blocker, "x").unwrap();
    let out = claw(&server, d.work.path(), d.home.path())
        .env("CLAW_CONFIG_HOME", &blocker)
        .args(["-p", "make a file"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert_eq!(stdout_of(&out), "The file says: hello from claw\n");
    let err = stderr_of(&out);
    assert_eq!(err.matches("this session cannot be saved").count(), 1, "{err}");
    assert!(err.contains("not-a-dir"), "names the place: {err}");
}

#[test]
fn price_overrides_from_the_config_drive_the_cost() {
    let server = MockServer::scenario("write_roundtrip");
    let d = dirs();
    std::fs::create_dir_all(d.work.path().join(".claw")).unwrap();
    std::fs::write(d.work.path().join(".claw/config.toml"), "[prices.\"claude-sonnet\"]\ninput = 1.0\noutput = 2.0\n")
        .unwrap();
    let out = claw(&server, d.work.path(), d.home.path())
        .args(["-p", "make a file", "--output-format", "json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let v: Value = serde_json::from_str(stdout_of(&out).trim()).unwrap();
    let cost = v["total_cost_usd"].as_f64().unwrap();
    assert!((cost - (450.0 * 1.0 + 39.0 * 2.0) / 1e6).abs() < 1e-12, "{cost}");
}

#[test]
fn config_command_shows_every_value_with_its_source_and_no_secret() {
    let server = MockServer::scenario("text");
    let d = dirs();
    std::fs::create_dir_all(d.work.path().join(".claw")).unwrap();
    std::fs::write(d.work.path().join(".claw/config.toml"), "model = \"claude-opus-4-5\"\n[bsh]\ntimeout_secs = 3\n")
        .unwrap();
    let out = claw(&server, d.work.path(), d.home.path())
        .env("CLAW_PERMISSION_MODE", "read-only")
        .args(["--max-turns", "5", "config"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = stdout_of(&out);
    let line = |key: &str| {
        text.lines()
            .find(|l| l.starts_with(&format!("{key} = ")))
            .unwrap_or_else(|| panic!("{key}: {text}"))
            .to_string()
    };
    assert!(line("model").contains("\"claude-opus-4-5\"") && line("model").contains(".claw/config.toml"));
    assert!(line("permission_mode").ends_with("# env CLAW_PERMISSION_MODE"));
    assert!(line("max_iterations").ends_with("# --max-turns"));
    assert!(line("bash.timeout_secs").ends_with("# default"));
    assert!(text.contains("ANTHROPIC_API_KEY is set"));
    assert!(!text.contains(SECRET), "the key is never printed");
    assert!(
        stderr_of(&out).contains("config.toml:2:1: `bsh` is not a setting (did you mean `bash`?)"),
        "{}",
        stderr_of(&out)
    );
}

#[test]
fn precedence_across_all_five_levels() {
    let server = MockServer::scenario("text");
    let d = dirs();
    let home_cfg = d.home.path().join(".claw");
    std::fs::create_dir_all(&home_cfg).unwrap();
    std::fs::create_dir_all(d.work.path().join(".claw")).unwrap();
    // Each level sets model and one key of its own; later levels win the model.
    std::fs::write(home_cfg.join("config.toml"), "model = \"from-user\"\nmax_tokens = 1111\ntheme = \"nord\"\n")
        .unwrap();
    std::fs::write(
        d.work.path().join(".claw/config.toml"),
        "model = \"from-project\"\nmax_tokens = 2222\nthinking_budget = 2048\n",
    )
    .unwrap();
    std::fs::write(
        d.work.path().join(".claw/config.local.toml"),
        "model = \"from-local\"\n[bash]\ntimeout_secs = 33\n",
    )
    .unwrap();
    let run = |env_model: Option<&str>, flag_model: Option<&str>| {
        let mut cmd = claw(&server, d.work.path(), d.home.path());
        if let Some(m) = env_model {
            cmd.env("ANTHROPIC_MODEL", m);
        }
        if let Some(m) = flag_model {
            cmd.args(["--model", m]);
        }
        let out = cmd.arg("config").output().unwrap();
        assert!(out.status.success());
        stdout_of(&out)
    };
    let line = |text: &str, key: &str| text.lines().find(|l| l.starts_with(&format!("{key} = "))).unwrap().to_string();
    let text = run(None, None);
    assert!(line(&text, "model").starts_with("model = \"from-local\""), "{text}");
    assert!(line(&text, "model").ends_with("config.local.toml"));
    assert!(line(&text, "max_tokens").starts_with("max_tokens = 2222"), "project over user");
    assert!(
        line(&text, "theme").contains("\"nord\"") && line(&text, "theme").ends_with(".claw/config.toml"),
        "user level"
    );
    assert!(line(&text, "thinking_budget").contains("2048"));
    assert!(line(&text, "bash.timeout_secs").contains("33"));
    let text = run(Some("from-env"), None);
    assert!(
        line(&text, "model").starts_with("model = \"from-env\"")
            && line(&text, "model").ends_with("# env ANTHROPIC_MODEL")
    );
    let text = run(Some("from-env"), Some("from-flag"));
    assert!(line(&text, "model").starts_with("model = \"from-flag\"") && line(&text, "model").ends_with("# --model"));
    // and what the agent actually uses follows the same order
    let out = claw(&server, d.work.path(), d.home.path())
        .env("ANTHROPIC_MODEL", "from-env")
        .args(["-p", "hi"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(server.requests()[0].body["model"], "from-env");
    assert_eq!(
        server.requests()[0].body["max_tokens"],
        3072,
        "thinking 2048 raises max_tokens above the project's 2222"
    );
}

/// A broken user theme and keymap are diagnosed by `claw-tui config` without opening the
/// interface: the report ends with every problem, located.
#[test]
fn config_command_ends_with_the_problems_of_the_theme_and_keymap_too() {
    let server = MockServer::scenario("text");
    let d = dirs();
    let home_cfg = d.home.path().join(".claw");
    std::fs::create_dir_all(home_cfg.join("themes")).unwrap();
    std::fs::create_dir_all(home_cfg.join("keymaps")).unwrap();
    std::fs::write(home_cfg.join("config.toml"), "theme = \"mine\"\nkeymap = \"keys\"\nmodle = 1\n").unwrap();
    std::fs::write(home_cfg.join("themes/mine.toml"), "inherits = \"nord\"\n[ui]\ntext = \"#zzz\"\n").unwrap();
    std::fs::write(home_cfg.join("keymaps/keys.toml"), "[global]\nteleport = \"f2\"\n").unwrap();
    let out = claw(&server, d.work.path(), d.home.path()).arg("config").output().unwrap();
    assert!(out.status.success());
    let text = stdout_of(&out);
    let problems: Vec<&str> = text.lines().skip_while(|l| *l != "# problems:").skip(1).collect();
    let theme = home_cfg.join("themes/mine.toml");
    let keymap = home_cfg.join("keymaps/keys.toml");
    let config = home_cfg.join("config.toml");
    assert_eq!(problems.len(), 3, "{text}");
    assert!(problems[0].starts_with(&format!("#   {}:3:1: `modle` is not a setting", config.display())), "{text}");
    assert!(
        problems[1].starts_with(&format!("#   {}:3:1: ui.text: `#zzz` is not a hex colour", theme.display())),
        "{text}"
    );
    assert!(
        problems[2].starts_with(&format!("#   {}:2:1: [global] teleport: unknown action", keymap.display())),
        "{text}"
    );
    // A clean setup says so.
    let clean = dirs();
    let out = claw(&server, clean.work.path(), clean.home.path()).arg("config").output().unwrap();
    assert!(stdout_of(&out).ends_with("# problems: none\n"), "{}", stdout_of(&out));
}

/// `--json-schema`: the model answers through StructuredOutput; an answer that does not
/// validate goes back with the errors, the valid one is the run's `structured_output`; a bad
/// schema is refused before anything runs.
#[test]
fn json_schema_runs_give_validated_structured_output() {
    let schema = r#"{"type": "object", "properties": {"files": {"type": "integer"}, "language": {"type": "string"}}, "required": ["files", "language"], "additionalProperties": false}"#;
    let scenario = json!({"name": "s", "description": "", "replies": [
        {"content": [{"type": "text", "text": "There are 2 Rust files."}]},
        {"content": [{"type": "tool_use", "id": "t1", "name": "StructuredOutput", "input": {"files": "two", "language": "Rust"}}]},
        {"content": [{"type": "tool_use", "id": "t2", "name": "StructuredOutput", "input": {"files": 2, "language": "Rust"}}]},
        {"content": [{"type": "text", "text": "Done."}]}
    ]});
    let server = MockServer::start(claw_tui::provider::scripted::Scenario::from_json(&scenario.to_string()).unwrap());
    let d = dirs();
    let out = claw(&server, d.work.path(), d.home.path())
        .args(["-p", "count the files", "--json-schema", schema, "--output-format", "json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["structured_output"], json!({"files": 2, "language": "Rust"}));
    let requests = server.requests();
    assert!(requests[0].body["tools"].to_string().contains("\"StructuredOutput\""));
    assert!(requests[1].raw_body.contains("You ended without calling StructuredOutput"), "reminded");
    assert!(requests[2].raw_body.contains("does not match the schema") && requests[2].raw_body.contains("/files"));

    // Text output is the JSON itself.
    let server = MockServer::start(
        claw_tui::provider::scripted::Scenario::from_json(
            &json!({"name": "s", "description": "", "replies": [
                {"content": [{"type": "tool_use", "id": "t1", "name": "StructuredOutput", "input": {"files": 1, "language": "Go"}}]},
                {"content": [{"type": "text", "text": "ok"}]}
            ]})
            .to_string(),
        )
        .unwrap(),
    );
    let schema_file = d.work.path().join("schema.json");
    std::fs::write(&schema_file, schema).unwrap();
    let out = claw(&server, d.work.path(), d.home.path())
        .args(["-p", "count", "--json-schema", schema_file.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let printed: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(printed, json!({"files": 1, "language": "Go"}));

    // A schema that is not one stops the run before any request.
    let server = MockServer::scenario("text");
    let out = claw(&server, d.work.path(), d.home.path())
        .args(["-p", "x", "--json-schema", "{\"type\": 7}"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(stderr_of(&out).contains("--json-schema: not a valid JSON Schema"), "{}", stderr_of(&out));
    assert!(server.requests().is_empty());
}

/// A model's message to the user that carries terminal escapes (a title change, a clipboard
/// write) reaches stderr as visible text only.
#[test]
fn a_message_to_the_user_cannot_drive_the_terminal() {
    let hostile = "done \u{1b}]0;pwned\u{7} and \u{1b}]52;c;ZWNobyBwd25lZA==\u{7}";
    let scenario = json!({"name": "s", "description": "", "replies": [
        {"content": [{"type": "tool_use", "id": "t1", "name": "SendUserMessage", "input": {"message": hostile}}]},
        {"content": [{"type": "text", "text": "ok"}]}
    ]});
    let server = MockServer::start(claw_tui::provider::scripted::Scenario::from_json(&scenario.to_string()).unwrap());
    let d = dirs();
    let out = claw(&server, d.work.path(), d.home.path()).args(["-p", "go"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let err = stderr_of(&out);
    assert!(err.contains("message from the model (info): done"), "{err}");
    assert!(!err.contains('\u{1b}') && !err.contains('\u{7}'), "{err:?}");
}
