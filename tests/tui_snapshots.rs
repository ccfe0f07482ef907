//! Snapshots of every pane and modal, produced by feeding events to `update` and rendering to a
//! 100×30 test buffer. Colour-sensitive ones use the styled form (text plus style runs).

#[path = "support/tui.rs"]
mod tui;

#[path = "support/scenes.rs"]
mod scenes;

use claw_tui::agent::{AgentEvent, TurnOutcome};
use claw_tui::app::event::Event;
use claw_tui::app::state::CellKind;
use claw_tui::app::update::update;
use claw_tui::provider::ErrorKind;
use claw_tui::tools::Preview;
use scenes::*;
use tui::*;

#[test]
fn welcome_without_a_key() {
    let mut s = state("dark");
    s.transcript.push(CellKind::Welcome);
    insta::assert_snapshot!(text(&render(&s)));
}

#[test]
fn markdown_answer_dark() {
    insta::assert_snapshot!(text(&render(&markdown_scene("dark"))));
}

#[test]
fn markdown_answer_light_styles() {
    insta::assert_snapshot!(styled(&render(&markdown_scene("light"))));
}

#[test]
fn tool_cells_dark() {
    insta::assert_snapshot!(text(&render(&tools_scene("dark"))));
}

#[test]
fn tool_cells_dark_styles() {
    insta::assert_snapshot!(styled(&render(&tools_scene("dark"))));
}

#[test]
fn tool_cells_light() {
    insta::assert_snapshot!(text(&render(&tools_scene("light"))));
}

#[test]
fn expanded_tool_output_and_thinking() {
    let mut s = tools_scene("dark");
    keys(&mut s, &["tab", "k", "enter"]);
    insta::assert_snapshot!(text(&render(&s)));
    let mut s = markdown_scene("dark");
    keys(&mut s, &["tab", "k", "enter"]);
    insta::assert_snapshot!("expanded_thinking", text(&render(&s)));
}

#[test]
fn streaming_with_a_running_command_and_queued_prompts() {
    let mut s = state("dark");
    s.now_ms = 1000;
    type_text(&mut s, "run the slow tests");
    keys(&mut s, &["enter"]);
    agent(&mut s, AgentEvent::TurnStarted { turn_id: 1 });
    agent(&mut s, AgentEvent::TextDelta { turn_id: 1, text: "Running them now; this takes a while.".into() });
    tool(&mut s, "t1", "bash", "./slow-tests.sh");
    for i in 1..=12 {
        agent(&mut s, AgentEvent::ToolProgress { call_id: "t1".into(), chunk: format!("step {i}/40 ok\n") });
    }
    s.now_ms = 4300;
    type_text(&mut s, "then summarize the failures");
    keys(&mut s, &["enter"]);
    type_text(&mut s, "and open a PR");
    keys(&mut s, &["enter"]);
    update(&mut s, Event::Tick);
    insta::assert_snapshot!(text(&render(&s)));
}

#[test]
fn approval_modal_for_a_command_with_a_queue() {
    let mut s = tools_scene("dark");
    for (id, cmd) in [("a1", "rm -rf target && cargo build --release"), ("a2", "git push")] {
        tool(&mut s, id, "bash", cmd);
        agent(
            &mut s,
            AgentEvent::ApprovalRequested {
                call_id: id.into(),
                tool: "bash".into(),
                summary: cmd.into(),
                reason: "running a command needs danger-full-access; the mode is workspace-write".into(),
                preview: Some(Preview::Command { command: cmd.into() }),
                session_rule: format!("bash({cmd})"),
            },
        );
    }
    insta::assert_snapshot!(text(&render(&s)));
    keys(&mut s, &["e"]);
    type_text(&mut s, "use cargo clean instead");
    insta::assert_snapshot!("approval_modal_deny_with_note", text(&render(&s)));
}

#[test]
fn approval_modal_for_an_edit_styles() {
    let mut s = state("dark");
    tool(&mut s, "e1", "write_file", "src/lib.rs");
    agent(
        &mut s,
        AgentEvent::ApprovalRequested {
            call_id: "e1".into(),
            tool: "write_file".into(),
            summary: "src/lib.rs".into(),
            reason: "changing a file needs workspace-write; the mode is read-only".into(),
            preview: Some(Preview::Diff { path: "src/lib.rs".into(), diff: DIFF.into() }),
            session_rule: "write_file".into(),
        },
    );
    insta::assert_snapshot!(styled(&render(&s)));
}

#[test]
fn command_palette() {
    let mut s = markdown_scene("dark");
    keys(&mut s, &["ctrl+p"]);
    type_text(&mut s, "mo");
    insta::assert_snapshot!(text(&render(&s)));
}

#[test]
fn slash_completion_popup() {
    let mut s = markdown_scene("dark");
    type_text(&mut s, "/");
    insta::assert_snapshot!(text(&render(&s)));
}

#[test]
fn help_overlay() {
    let mut s = state("dark");
    keys(&mut s, &["f1"]);
    insta::assert_snapshot!(text(&render(&s)));
}

#[test]
fn narrow_terminal_stacks_the_todo_list() {
    let mut s = tools_scene("dark");
    s.size = (60, 24);
    insta::assert_snapshot!(text(&render(&s)));
}

#[test]
fn retrying_and_errors_in_the_status_and_transcript() {
    let mut s = state("dark");
    type_text(&mut s, "hello");
    keys(&mut s, &["enter"]);
    agent(&mut s, AgentEvent::TurnStarted { turn_id: 1 });
    agent(
        &mut s,
        AgentEvent::Error {
            kind: ErrorKind::Overloaded,
            message: "overloaded (529); retrying (1/2)".into(),
            retrying_in_ms: Some(4000),
        },
    );
    insta::assert_snapshot!(text(&render(&s)));
    agent(
        &mut s,
        AgentEvent::Error {
            kind: ErrorKind::Auth,
            message: "authentication failed (401): check ANTHROPIC_API_KEY".into(),
            retrying_in_ms: None,
        },
    );
    agent(&mut s, AgentEvent::TurnFinished { turn_id: 1, outcome: TurnOutcome::Error });
    insta::assert_snapshot!("error_after_retries", text(&render(&s)));
}

#[test]
fn hostile_text_renders_safely() {
    let mut s = state("dark");
    agent(&mut s, AgentEvent::TurnStarted { turn_id: 1 });
    let nasty = "esc: \x1b[2J\x1b]52;c;aGk=\x07 dcs: \x1bP1$r\x1b\\ c1: \u{9b}31m bell\x07\n\
                 wide: 日本語のテキスト 😀👍🏽 and tabs:\tx\ty\n\
                 zero-width: a\u{200b}b\u{200d}c rtl: שלום עולם مرحبا\n\
                 long: "
        .to_string()
        + &"x".repeat(300);
    agent(&mut s, AgentEvent::TextDelta { turn_id: 1, text: nasty.clone() });
    tool(&mut s, "t1", "bash", "cat weird.txt");
    agent(&mut s, AgentEvent::ToolProgress { call_id: "t1".into(), chunk: nasty });
    finish(&mut s, "t1", "bash", "done", false, 5);
    let buf = render(&s);
    for cell in buf.content() {
        assert!(
            !cell.symbol().chars().any(|c| c.is_control()),
            "a control character reached the screen: {:?}",
            cell.symbol()
        );
    }
    insta::assert_snapshot!(text(&buf));
}

#[test]
fn no_size_panics_or_overflows() {
    let mut s = tools_scene("dark");
    keys(&mut s, &["ctrl+p"]);
    for (w, h) in [(1, 1), (2, 1), (20, 5), (10, 3), (40, 8), (5, 40), (200, 60), (95, 30), (96, 30)] {
        s.size = (w, h);
        render_at(&s, w, h);
    }
    keys(&mut s, &["esc"]);
    tool(&mut s, "z", "bash", "ls");
    agent(
        &mut s,
        AgentEvent::ApprovalRequested {
            call_id: "z".into(),
            tool: "bash".into(),
            summary: "ls".into(),
            reason: "r".into(),
            preview: None,
            session_rule: "bash(ls)".into(),
        },
    );
    for (w, h) in [(1, 1), (20, 5), (30, 7), (120, 10)] {
        update(&mut s, Event::Resize(w, h));
        let _ = keys(&mut s, &["pageup", "pagedown"]);
        render_at(&s, w, h);
    }
    s.size = (20, 5);
    insta::assert_snapshot!("tiny_20x5", text(&render_at(&s, 20, 5)));
}

#[test]
fn model_picker_with_providers_context_and_prices() {
    let mut s = markdown_scene("dark");
    s.status.provider = "anthropic".into();
    s.status.model = "claude-sonnet-4-5".into();
    let mut gpu = claw_tui::config::settings::ProviderDef {
        kind: Some("openai".into()),
        base_url: Some("http://gpu:8000/v1".into()),
        ..Default::default()
    };
    gpu.models.insert(
        "qwen3-coder".into(),
        claw_tui::config::settings::ModelDef {
            context_window: Some(65_536),
            input: Some(0.5),
            output: Some(1.5),
            max_output_tokens: None,
        },
    );
    gpu.models.insert("llama-3.3".into(), Default::default());
    s.settings.providers.insert("gpu".into(), gpu);
    type_text(&mut s, "/model");
    keys(&mut s, &["enter"]);
    insta::assert_snapshot!(text(&render(&s)));
}

fn mcp_servers() -> Vec<claw_tui::mcp::ServerView> {
    use claw_tui::mcp::{ServerView, Status};
    let view = |name: &str, transport: &'static str, target: &str, status: Status, tools: &[&str]| ServerView {
        name: name.into(),
        transport,
        target: target.into(),
        status,
        tools: tools.iter().map(|t| t.to_string()).collect(),
        prompts: vec![],
        resources: vec![],
        protocol: if tools.is_empty() { String::new() } else { "2026-07-28".into() },
        log: (transport == "stdio").then(|| "/tmp/claw-mcp-x/0-github.log".into()),
        file: "/home/ada/project/.mcp.json".into(),
    };
    vec![
        view(
            "github",
            "stdio",
            "npx -y @modelcontextprotocol/server-github",
            Status::Connected,
            &["create_issue", "list_issues", "get_file_contents", "search_code"],
        ),
        view("docs", "http", "https://docs.example.com/mcp", Status::Connecting, &[]),
        view(
            "postgres",
            "stdio",
            "postgres-mcp --dsn ${DATABASE_URL}",
            Status::Failed("cannot start `postgres-mcp`: no such program".into()),
            &[],
        ),
    ]
}

/// `/mcp`: the servers with status and tools, the selected one's details (a failed one's
/// error), and a server's log; "mcp 1/3" in the status bar; the failure told once.
#[test]
fn mcp_pane_status_and_log() {
    let mut s = tools_scene("dark");
    update(&mut s, Event::Mcp(mcp_servers()));
    update(&mut s, Event::Mcp(mcp_servers()));
    update(&mut s, Event::Command("/mcp".into()));
    insta::assert_snapshot!(text(&render(&s)));
    keys(&mut s, &["j", "j"]);
    insta::assert_snapshot!("mcp_pane_failed_server", text(&render(&s)));
    update(
        &mut s,
        Event::McpLog {
            name: "github".into(),
            lines: vec![
                "GitHub MCP Server running on stdio".into(),
                "warning: GITHUB_PERSONAL_ACCESS_TOKEN not set".into(),
            ],
        },
    );
    insta::assert_snapshot!("mcp_pane_log", text(&render(&s)));
}

/// An MCP tool's cell: `server › tool`, its arguments, progress while it runs, its result;
/// and the approval modal showing what is sent.
#[test]
fn mcp_tool_cell_and_approval() {
    let mut s = state("dark");
    s.now_ms = 1000;
    let args = r#"{"title":"The build fails on 1.88","labels":["ci"]}"#;
    tool(&mut s, "m1", "mcp__github__create_issue", args);
    agent(
        &mut s,
        AgentEvent::ApprovalRequested {
            call_id: "m1".into(),
            tool: "mcp__github__create_issue".into(),
            summary: args.into(),
            reason: "calling an MCP server's tool needs danger-full-access; the mode is workspace-write".into(),
            preview: Some(Preview::Arguments {
                call: "github › create_issue".into(),
                json: "{\n  \"title\": \"The build fails on 1.88\",\n  \"labels\": [\n    \"ci\"\n  ]\n}".into(),
            }),
            session_rule: "mcp__github__create_issue".into(),
        },
    );
    insta::assert_snapshot!("mcp_approval_modal", text(&render(&s)));
    keys(&mut s, &["y"]);
    agent(&mut s, AgentEvent::ToolProgress { call_id: "m1".into(), chunk: "creating the issue (1/2)\n".into() });
    s.now_ms = 2500;
    insta::assert_snapshot!("mcp_tool_cell_running", text(&render(&s)));
    finish(
        &mut s,
        "m1",
        "mcp__github__create_issue",
        "Created issue #42: https://github.com/ada/project/issues/42",
        false,
        1800,
    );
    insta::assert_snapshot!("mcp_tool_cell_done", text(&render(&s)));
}

/// The custom commands and skills of a workspace and the hooks in force, as the interface
/// holds them.
fn extended(s: &mut claw_tui::app::state::State) {
    use claw_tui::extend::commands::CustomCommand;
    use claw_tui::extend::hooks::{Event as HookEvent, Hook};
    use claw_tui::extend::skills::Skill;
    use claw_tui::extend::{Extensions, Scope};
    let command = |name: &str, description: &str, hint: Option<&str>, scope: Scope, path: &str| CustomCommand {
        name: name.into(),
        description: description.into(),
        argument_hint: hint.map(str::to_string),
        model: None,
        allowed_tools: Vec::new(),
        body: "Body $ARGUMENTS".into(),
        path: path.into(),
        scope,
    };
    s.extensions = std::sync::Arc::new(Extensions {
        commands: vec![
            command(
                "review",
                "Review the staged changes",
                Some("[focus]"),
                Scope::Project,
                "/work/project/.claude/commands/review.md",
            ),
            command(
                "release:notes",
                "Draft release notes",
                None,
                Scope::User,
                "/home/u/.claude/commands/release/notes.md",
            ),
        ],
        skills: vec![Skill {
            name: "pdf-forms".into(),
            description: "Fill and merge PDF forms".into(),
            dir: "/home/u/.claude/skills/pdf-forms".into(),
            path: "/home/u/.claude/skills/pdf-forms/SKILL.md".into(),
            scope: Scope::User,
        }],
        agents: vec![claw_tui::extend::agents::AgentDef::general()],
        problems: Vec::new(),
    });
    let hook = |event, matcher: &str, command: &str, scope, file: &str| Hook {
        event,
        matcher: matcher.into(),
        command: command.into(),
        timeout_secs: 60,
        file: file.into(),
        scope,
    };
    s.hooks = vec![
        hook(HookEvent::PreToolUse, "Bash", "./hooks/guard.sh", Scope::Project, "/work/project/.claude/settings.json"),
        hook(HookEvent::PostToolUse, "Edit|Write", "cargo fmt", Scope::Project, "/work/project/.claude/settings.json"),
        hook(HookEvent::Stop, "", "notify-send done", Scope::User, "/home/u/.claude/settings.json"),
    ];
}

/// `/hooks` and `/skills` list what the files add and where each comes from; `/` completes the
/// custom commands with their descriptions and scope.
#[test]
fn hooks_skills_and_custom_command_completion() {
    let mut s = state("dark");
    extended(&mut s);
    update(&mut s, Event::Command("/hooks".into()));
    update(&mut s, Event::Command("/skills".into()));
    insta::assert_snapshot!(text(&render(&s)));
    type_text(&mut s, "/re");
    insta::assert_snapshot!("custom_command_completion", text(&render(&s)));
}

/// Three sub-agents of one turn: two running (one in a tool, one streaming its answer), one
/// done. The side column lists the running ones; the main transcript's `Agent` cells list what
/// each ran.
fn subagents_scene() -> claw_tui::app::state::State {
    use claw_tui::agent::AgentEvent as E;
    let mut s = state("dark");
    extended(&mut s);
    type_text(&mut s, "survey the parser, the lexer and the docs");
    keys(&mut s, &["enter"]);
    agent(&mut s, E::TurnStarted { turn_id: 1 });
    let sub = |id: &str, event: E| E::Subagent { agent_id: id.into(), event: Box::new(event) };
    for (i, (what, prompt)) in
        [("survey the parser", "P"), ("survey the lexer", "L"), ("check the docs", "D")].iter().enumerate()
    {
        let call = format!("toolu_{i}");
        agent(
            &mut s,
            E::ToolCallStarted {
                call_id: call.clone(),
                tool: "Agent".into(),
                input: serde_json::json!({"description": what, "prompt": prompt}),
                summary: format!("{what} (general-purpose)"),
            },
        );
        agent(
            &mut s,
            E::SubagentStarted {
                agent_id: format!("agent-{}", i + 1),
                call_id: call,
                name: "general-purpose".into(),
                description: what.to_string(),
                prompt: format!("{what}: report the main types and where they live ({prompt})"),
                model: "claude-sonnet-4-5".into(),
                file: None,
            },
        );
    }
    let started = |call: &str, tool: &str, summary: &str| E::ToolCallStarted {
        call_id: call.into(),
        tool: tool.into(),
        input: serde_json::json!({}),
        summary: summary.into(),
    };
    let finished = |call: &str, tool: &str, result: &str| E::ToolCallFinished {
        call_id: call.into(),
        tool: tool.into(),
        result: result.into(),
        is_error: false,
        elapsed_ms: 12,
    };
    agent(&mut s, sub("agent-1", started("agent-1/t1", "grep_search", "/fn parse/")));
    agent(&mut s, sub("agent-1", finished("agent-1/t1", "grep_search", "src/parser.rs\nsrc/lib.rs")));
    agent(&mut s, sub("agent-1", started("agent-1/t2", "read_file", "src/parser.rs")));
    agent(
        &mut s,
        sub("agent-2", E::TextDelta { turn_id: 1, text: "The lexer is a hand-written state machine in ".into() }),
    );
    agent(&mut s, sub("agent-2", E::TextDelta { turn_id: 1, text: "`src/lexer.rs`; tokens are".into() }));
    agent(&mut s, sub("agent-3", started("agent-3/t1", "glob_search", "docs/**/*.md")));
    agent(&mut s, sub("agent-3", finished("agent-3/t1", "glob_search", "docs/a.md")));
    agent(&mut s, sub("agent-3", E::TextDelta { turn_id: 1, text: "The docs cover every flag.".into() }));
    agent(
        &mut s,
        sub(
            "agent-3",
            E::AssistantMessage {
                turn_id: 1,
                message: claw_tui::provider::Message { role: claw_tui::provider::Role::Assistant, content: vec![] },
            },
        ),
    );
    let usage = |i: u64, o: u64| claw_tui::provider::Usage { input_tokens: i, output_tokens: o, ..Default::default() };
    for (id, u) in [("agent-1", usage(8200, 310)), ("agent-2", usage(3100, 95))] {
        agent(
            &mut s,
            sub(
                id,
                E::Usage {
                    request: u,
                    session: u,
                    request_cost_usd: None,
                    session_cost_usd: None,
                    context_tokens: 0,
                    context_window: 0,
                },
            ),
        );
    }
    agent(
        &mut s,
        E::SubagentFinished {
            agent_id: "agent-3".into(),
            outcome: claw_tui::agent::TurnOutcome::EndTurn,
            usage: usage(1900, 40),
            cost_usd: Some(0.006),
        },
    );
    agent(&mut s, finished("toolu_2", "Agent", "The docs cover every flag."));
    s
}

#[test]
fn agents_pane_running_and_done_and_a_sub_agent_transcript() {
    let mut s = subagents_scene();
    insta::assert_snapshot!("subagents_running_side_column", text(&render(&s)));
    update(&mut s, Event::Command("/agents".into()));
    insta::assert_snapshot!("agents_pane", text(&render(&s)));
    keys(&mut s, &["k", "enter"]);
    insta::assert_snapshot!("subagent_transcript", text(&render(&s)));
}

/// A sub-agent's approval opens the main modal, naming the agent; the answer goes back under
/// the sub-agent's call id.
#[test]
fn a_sub_agent_s_approval_names_the_agent() {
    use claw_tui::agent::{AgentEvent as E, Decision, Op};
    use claw_tui::app::effect::Effect;
    let mut s = subagents_scene();
    let ask = E::ApprovalRequested {
        call_id: "agent-1/t3".into(),
        tool: "bash".into(),
        summary: "cargo test -p parser".into(),
        reason: "running a command needs danger-full-access".into(),
        preview: Some(Preview::Command { command: "cargo test -p parser".into() }),
        session_rule: "bash(cargo test:*)".into(),
    };
    agent(&mut s, E::Subagent { agent_id: "agent-1".into(), event: Box::new(ask) });
    insta::assert_snapshot!("subagent_approval", text(&render(&s)));
    let fx = keys(&mut s, &["y"]);
    assert!(
        fx.iter().any(|e| matches!(e, Effect::Agent(Op::Approval { call_id, decision: Decision::AllowOnce }) if call_id == "agent-1/t3")),
        "{fx:?}"
    );
}

/// The web tools and the small ones in the transcript: WebFetch's answer, WebSearch's
/// results, a Sleep running, the model's message to the user; and WebFetch's approval, which
/// shows the address and what is asked about it.
#[test]
fn web_and_small_tools_cells_and_the_fetch_approval() {
    use claw_tui::agent::AgentEvent as E;
    let mut s = state("dark");
    type_text(&mut s, "check the docs");
    keys(&mut s, &["enter"]);
    agent(&mut s, E::TurnStarted { turn_id: 1 });
    tool(&mut s, "w1", "WebFetch", "https://docs.rs/tokio/latest/tokio/");
    finish(
        &mut s,
        "w1",
        "WebFetch",
        "Use `#[tokio::main]` on an async main. (from https://docs.rs/tokio/latest/tokio/, read by claude-haiku-4-5)",
        false,
        1840,
    );
    tool(&mut s, "w2", "WebSearch", "tokio select cancellation");
    finish(
        &mut s,
        "w2",
        "WebSearch",
        "Results for \"tokio select cancellation\":\n\n1. Cancellation - Tokio\n   https://tokio.rs/tokio/topics/cancellation\n",
        false,
        920,
    );
    agent(
        &mut s,
        E::UserMessage { message: "Halfway: the docs agree with the code.".into(), status: "success".into() },
    );
    tool(&mut s, "w3", "Sleep", "2000 ms");
    insta::assert_snapshot!("web_and_small_tool_cells", text(&render(&s)));
    agent(
        &mut s,
        E::ApprovalRequested {
            call_id: "w4".into(),
            tool: "WebFetch".into(),
            summary: "https://internal.example.com/wiki".into(),
            reason: "reaching the network needs danger-full-access; the mode is workspace-write".into(),
            preview: Some(Preview::Arguments {
                call: "GET https://internal.example.com/wiki".into(),
                json: "What is the deploy procedure?".into(),
            }),
            session_rule: "WebFetch(domain:internal.example.com)".into(),
        },
    );
    insta::assert_snapshot!("web_fetch_approval", text(&render(&s)));
}

/// NotebookEdit: the review shows the cell's source (named by the notebook and the cell), not
/// the file's JSON; once written, the cell shows the diff of that source.
#[test]
fn notebook_edit_review_and_cell() {
    use claw_tui::agent::AgentEvent as E;
    let mut s = state("dark");
    type_text(&mut s, "plot the totals");
    keys(&mut s, &["enter"]);
    agent(&mut s, E::TurnStarted { turn_id: 1 });
    tool(&mut s, "n1", "NotebookEdit", "analysis.ipynb");
    let old = "import pandas as pd\ndf = pd.read_csv(\"sales.csv\")\ndf.head()\n";
    let new = "import pandas as pd\ndf = pd.read_csv(\"sales.csv\")\ndf.groupby(\"month\").total.sum().plot()\n";
    agent(
        &mut s,
        E::ApprovalRequested {
            call_id: "n1".into(),
            tool: "NotebookEdit".into(),
            summary: "analysis.ipynb".into(),
            reason: "changing a file needs workspace-write; the mode is read-only".into(),
            preview: Some(Preview::Edit {
                path: "analysis.ipynb › cell 38f37a24".into(),
                old: Some(old.into()),
                new: new.into(),
            }),
            session_rule: "NotebookEdit".into(),
        },
    );
    insta::assert_snapshot!("notebook_edit_review", text(&render(&s)));
    keys(&mut s, &["enter"]);
    let diff = claw_tui::tools::text::unified_diff("analysis.ipynb › cell 38f37a24", old, new);
    agent(&mut s, E::FileChanged { path: "analysis.ipynb".into(), diff });
    finish(
        &mut s,
        "n1",
        "NotebookEdit",
        "Replaced the source of cell 38f37a24; its outputs were cleared. analysis.ipynb: +1 -1 lines.",
        false,
        12,
    );
    insta::assert_snapshot!("notebook_edit_cell", text(&render(&s)));
}

/// The REPL: its approval shows the code and offers the language for the session; its cell
/// shows the output.
#[test]
fn repl_approval_and_cell() {
    use claw_tui::agent::AgentEvent as E;
    let mut s = state("dark");
    type_text(&mut s, "how many rows?");
    keys(&mut s, &["enter"]);
    agent(&mut s, E::TurnStarted { turn_id: 1 });
    tool(&mut s, "r1", "REPL", "python: import pandas as pd");
    agent(
        &mut s,
        E::ApprovalRequested {
            call_id: "r1".into(),
            tool: "REPL".into(),
            summary: "python: import pandas as pd".into(),
            reason: "running a command needs danger-full-access; the mode is workspace-write".into(),
            preview: Some(Preview::Command {
                command: "import pandas as pd\ndf = pd.read_csv(\"sales.csv\")\nlen(df)".into(),
            }),
            session_rule: "REPL(python)".into(),
        },
    );
    insta::assert_snapshot!("repl_approval", text(&render(&s)));
    keys(&mut s, &["y"]);
    finish(&mut s, "r1", "REPL", "[a new python REPL was started]\n1204", false, 840);
    tool(&mut s, "r2", "REPL", "python: df.total.sum()");
    finish(
        &mut s,
        "r2",
        "REPL",
        "Traceback (most recent call last):\n  File \"<repl>\", line 1, in <module>\nAttributeError: 'DataFrame' object has no attribute 'total'\n\nStatus: 1",
        true,
        35,
    );
    insta::assert_snapshot!("repl_cells", text(&render(&s)));
}

/// PowerShell (where pwsh is installed): the approval offers exactly the command for the
/// session, and the cell shows its output.
#[test]
fn powershell_approval_and_cell() {
    use claw_tui::agent::AgentEvent as E;
    let mut s = state("dark");
    type_text(&mut s, "which services are stopped?");
    keys(&mut s, &["enter"]);
    agent(&mut s, E::TurnStarted { turn_id: 1 });
    let command = "Get-Service | Where-Object Status -eq Stopped | Select-Object -First 3 Name";
    tool(&mut s, "p1", "PowerShell", command);
    agent(
        &mut s,
        E::ApprovalRequested {
            call_id: "p1".into(),
            tool: "PowerShell".into(),
            summary: command.into(),
            reason: "running a command needs danger-full-access; the mode is workspace-write".into(),
            preview: Some(Preview::Command { command: command.into() }),
            session_rule: format!("PowerShell({command})"),
        },
    );
    insta::assert_snapshot!("powershell_approval", text(&render(&s)));
    keys(&mut s, &["y"]);
    finish(&mut s, "p1", "PowerShell", "Name\n----\nBITS\nSpooler\nWSearch", false, 1320);
    insta::assert_snapshot!("powershell_cell", text(&render(&s)));
}
