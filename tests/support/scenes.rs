//! Scenes shared by the snapshot tests and the README's screenshots: a finished exchange, tool
//! cells, an edit under review, saved sessions. Built by feeding events to `update`, as the
//! runtime would.

#![allow(dead_code)] // each test binary uses a different part

use std::path::PathBuf;

use claw_tui::agent::{AgentEvent, TurnOutcome};
use claw_tui::app::state::State;
use claw_tui::provider::Usage;
use claw_tui::session::index::Summary;
use claw_tui::tools::{Preview, Todo, TodoStatus};
use serde_json::json;

use crate::tui::*;

pub const MARKDOWN: &str = "## Plan\n\nThe build fails because `parse` returns **early** on *empty* input. See [the docs](https://docs.rs/x).\n\n1. Fix the guard\n2. Add a test\n   - empty input\n   - whitespace only\n\n> Note: this keeps the public API.\n\n| case | before | after |\n|------|-------:|------:|\n| empty | panic | `None` |\n| ws | panic | `None` |\n\n```rust\nfn parse(s: &str) -> Option<u32> {\n    if s.trim().is_empty() { return None; }\n    s.trim().parse().ok()\n}\n```\n";

pub const DIFF: &str = "--- a/src/lib.rs\n+++ b/src/lib.rs\n@@ -1,4 +1,5 @@\n fn parse(s: &str) -> Option<u32> {\n-    s.parse().ok()\n+    if s.trim().is_empty() { return None; }\n+    s.trim().parse().ok()\n }\n \n";

pub fn todos() -> Vec<Todo> {
    vec![
        Todo {
            content: "Read the parser".into(),
            status: TodoStatus::Completed,
            active_form: "Reading the parser".into(),
        },
        Todo {
            content: "Fix the empty-input guard".into(),
            status: TodoStatus::InProgress,
            active_form: "Fixing the guard".into(),
        },
        Todo { content: "Run the tests".into(), status: TodoStatus::Pending, active_form: "Running the tests".into() },
    ]
}

pub fn usage(s: &mut State) {
    let u = Usage {
        input_tokens: 2410,
        output_tokens: 386,
        cache_creation_input_tokens: 5120,
        cache_read_input_tokens: 18_200,
    };
    agent(
        s,
        AgentEvent::Usage {
            request: u,
            session: u,
            request_cost_usd: Some(0.0356),
            session_cost_usd: Some(0.0356),
            context_tokens: 26_116,
            context_window: 200_000,
        },
    );
}

pub fn tool(s: &mut State, id: &str, name: &str, summary: &str) {
    agent(
        s,
        AgentEvent::ToolCallStarted {
            call_id: id.into(),
            tool: name.into(),
            input: json!({}),
            summary: summary.into(),
        },
    );
}

pub fn finish(s: &mut State, id: &str, name: &str, result: &str, is_error: bool, ms: u64) {
    agent(
        s,
        AgentEvent::ToolCallFinished {
            call_id: id.into(),
            tool: name.into(),
            result: result.into(),
            is_error,
            elapsed_ms: ms,
        },
    );
}

/// A finished exchange: prompt, thinking, Markdown answer.
pub fn markdown_scene(theme: &str) -> State {
    let mut s = state(theme);
    type_text(&mut s, "why does the build fail?");
    keys(&mut s, &["enter"]);
    agent(&mut s, AgentEvent::TurnStarted { turn_id: 1 });
    agent(
        &mut s,
        AgentEvent::ThinkingDelta { turn_id: 1, text: "Looking at parse().\nIt returns early on empty input.".into() },
    );
    agent(&mut s, AgentEvent::TextDelta { turn_id: 1, text: MARKDOWN.into() });
    usage(&mut s);
    agent(&mut s, AgentEvent::TurnFinished { turn_id: 1, outcome: TurnOutcome::EndTurn });
    s
}

/// Tool cells: a bash run, an edit with its diff, a failed command, a todo list.
pub fn tools_scene(theme: &str) -> State {
    let mut s = state(theme);
    type_text(&mut s, "fix it and run the tests");
    keys(&mut s, &["enter"]);
    agent(&mut s, AgentEvent::TurnStarted { turn_id: 1 });
    agent(&mut s, AgentEvent::TodosChanged { todos: todos() });
    tool(&mut s, "t1", "read_file", "src/lib.rs");
    finish(
        &mut s,
        "t1",
        "read_file",
        "     1\tfn parse(s: &str) -> Option<u32> {\n     2\t    s.parse().ok()\n     3\t}\n",
        false,
        3,
    );
    tool(&mut s, "t2", "edit_file", "src/lib.rs");
    agent(&mut s, AgentEvent::FileChanged { path: "src/lib.rs".into(), diff: DIFF.into() });
    finish(&mut s, "t2", "edit_file", "Edited src/lib.rs: 1 replacement (+2 -1 lines).", false, 4);
    tool(&mut s, "t3", "bash", "cargo test");
    for chunk in [
        "   Compiling parser v0.1.0\n",
        "    Finished test\n",
        "running 3 tests\n",
        "test empty ... ok\n",
        "test ws ... ok\n",
        "test digits ... ok\n",
        "\ntest result: ok. 3 passed\n",
    ] {
        agent(&mut s, AgentEvent::ToolProgress { call_id: "t3".into(), chunk: chunk.into() });
    }
    finish(&mut s, "t3", "bash", "test result: ok. 3 passed", false, 2140);
    tool(&mut s, "t4", "bash", "cargo clippy");
    finish(&mut s, "t4", "bash", "error: unused variable `x`\n --> src/lib.rs:9:9\n\nExit code: 101", true, 880);
    usage(&mut s);
    s
}

/// A 40-line file and a change with three hunks: a word changed, a line added, a block
/// rewritten.
pub fn texts() -> (String, String) {
    let old: Vec<String> = (1..=40)
        .map(|i| match i {
            3 => "fn parse(s: &str) -> Option<u32> {".to_string(),
            4 => "    s.parse().ok()".to_string(),
            20 => "    let total = items.len();".to_string(),
            33 => "    println!(\"done\");".to_string(),
            34 => "    Ok(())".to_string(),
            _ => format!("    // line {i}"),
        })
        .collect();
    let mut new = old.clone();
    new[3] = "    s.trim().parse().ok()".to_string();
    new.insert(20, "    let count = items.iter().filter(|i| i.ready).count();".to_string());
    new[33] = "    eprintln!(\"finished in {:?}\", started.elapsed());".to_string();
    new[34] = "    Ok(report)".to_string();
    (old.join("\n") + "\n", new.join("\n") + "\n")
}

pub fn review_scene(theme: &str) -> State {
    let mut s = state(theme);
    let (old, new) = texts();
    agent(
        &mut s,
        AgentEvent::ToolCallStarted {
            call_id: "e1".into(),
            tool: "edit_file".into(),
            input: json!({"path": "src/parse.rs"}),
            summary: "src/parse.rs".into(),
        },
    );
    agent(
        &mut s,
        AgentEvent::ApprovalRequested {
            call_id: "e1".into(),
            tool: "edit_file".into(),
            summary: "src/parse.rs".into(),
            reason: "changing a file needs workspace-write; the mode is read-only".into(),
            preview: Some(Preview::Edit { path: "src/parse.rs".into(), old: Some(old), new }),
            session_rule: "edit_file".into(),
        },
    );
    s
}

pub fn summary(id: &str, title: &str, prompt: &str, hours_ago: i64, messages: usize, cost: f64) -> Summary {
    let mut s = Summary::new(id, &PathBuf::from(format!("/sessions/-work-project/{id}.jsonl")));
    s.title = (!title.is_empty()).then(|| title.to_string());
    s.first_prompt = prompt.into();
    let t = chrono::Utc::now() - chrono::TimeDelta::hours(hours_ago);
    s.created = Some(t - chrono::TimeDelta::hours(1));
    s.updated = Some(t);
    s.messages = messages;
    s.cost_usd = cost;
    s.model = "claude-sonnet-4-5".into();
    s.cwd = "/work/project".into();
    s.branch = Some("main".into());
    s
}

pub fn sessions() -> Vec<Summary> {
    vec![
        summary("0199-aaaa", "", "fix the flaky parser test in CI", 3, 24, 0.412),
        summary("0199-bbbb", "Release notes for 0.4", "write the release notes", 27, 8, 0.051),
        summary("0199-cccc", "", "why is the build slow on macOS?", 50, 61, 1.93),
        summary("0199-dddd", "", "add a --json flag to the export command", 100, 15, 0.22),
    ]
}

/// The end of the first saved session, as the browser's preview shows it.
pub fn preview_lines() -> Vec<String> {
    vec![
        "".into(),
        "› fix the flaky parser test in CI".into(),
        "● The test depends on the order of a HashMap.".into(),
        "  ⎿ grep_search /HashMap/".into(),
        "● Switching it to a BTreeMap makes it deterministic.".into(),
    ]
}
