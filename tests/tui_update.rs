//! The TUI's behaviour, by feeding events to `update`: sending, interrupting, queueing,
//! approvals, the approval queue, pastes, history, commands.

#[path = "support/tui.rs"]
mod tui;

#[path = "support/answer.rs"]
mod answer;

use claw_tui::agent::{AgentEvent, Decision, Op, TurnOutcome};
use claw_tui::app::effect::Effect;
use claw_tui::app::event::Event;
use claw_tui::app::slot::{Handoff, Prepared, Start};
use claw_tui::app::state::{CellKind, Focus, Overlay, State, ToolStatus};
use claw_tui::app::update::update;
use claw_tui::permission::PermissionMode;
use claw_tui::tools::Preview;
use serde_json::json;
use tui::*;

fn approval_request(id: &str, command: &str) -> AgentEvent {
    AgentEvent::ApprovalRequested {
        call_id: id.into(),
        tool: "bash".into(),
        summary: command.into(),
        reason: "running a command needs danger-full-access; the mode is workspace-write".into(),
        preview: Some(Preview::Command { command: command.into() }),
        session_rule: format!("bash({command})"),
    }
}

fn tool_started(id: &str, command: &str) -> AgentEvent {
    AgentEvent::ToolCallStarted {
        call_id: id.into(),
        tool: "bash".into(),
        input: json!({"command": command}),
        summary: command.into(),
    }
}

fn start_turn(s: &mut claw_tui::app::state::State) {
    agent(s, AgentEvent::TurnStarted { turn_id: 1 });
}

#[test]
fn enter_sends_the_prompt_and_shows_it() {
    let mut s = state("dark");
    type_text(&mut s, "hello there");
    let fx = keys(&mut s, &["enter"]);
    assert_eq!(ops(&fx), [Op::UserTurn { text: "hello there".into(), attachments: vec![] }]);
    assert!(s.composer.is_empty());
    assert!(matches!(&s.transcript.cells[0].kind, CellKind::User { text } if text == "hello there"));
    assert!(s.turn_running);
    // an empty prompt sends nothing
    assert!(keys(&mut s, &["enter"]).is_empty());
}

#[test]
fn newline_keys_insert_newlines() {
    let mut s = state("dark");
    type_text(&mut s, "a");
    keys(&mut s, &["shift+enter"]);
    type_text(&mut s, "b");
    keys(&mut s, &["alt+enter"]);
    type_text(&mut s, "c");
    keys(&mut s, &["ctrl+j"]);
    type_text(&mut s, "d");
    assert_eq!(s.composer.text(), "a\nb\nc\nd");
}

#[test]
fn esc_interrupts_a_running_turn() {
    let mut s = state("dark");
    type_text(&mut s, "go");
    keys(&mut s, &["enter"]);
    start_turn(&mut s);
    assert_eq!(ops(&keys(&mut s, &["esc"])), [Op::Interrupt]);
    agent(&mut s, AgentEvent::TurnFinished { turn_id: 1, outcome: TurnOutcome::Interrupted });
    assert!(!s.turn_running);
    assert!(matches!(&s.transcript.cells.last().unwrap().kind, CellKind::Notice { text, .. } if text == "interrupted"));
    // idle: esc does nothing
    assert!(ops(&keys(&mut s, &["esc"])).is_empty());
}

#[test]
fn ctrl_c_interrupts_then_clears_then_quits() {
    let mut s = state("dark");
    type_text(&mut s, "go");
    keys(&mut s, &["enter"]);
    start_turn(&mut s);
    assert_eq!(ops(&keys(&mut s, &["ctrl+c"])), [Op::Interrupt]);
    agent(&mut s, AgentEvent::TurnFinished { turn_id: 1, outcome: TurnOutcome::Interrupted });
    type_text(&mut s, "draft");
    assert!(keys(&mut s, &["ctrl+c"]).is_empty());
    assert!(s.composer.is_empty());
    assert_eq!(keys(&mut s, &["ctrl+c"]), [Effect::Quit]);
}

#[test]
fn prompts_typed_while_working_are_queued_and_sent_after() {
    let mut s = state("dark");
    type_text(&mut s, "first");
    keys(&mut s, &["enter"]);
    start_turn(&mut s);
    type_text(&mut s, "second");
    assert!(ops(&keys(&mut s, &["enter"])).is_empty(), "not sent while the turn runs");
    type_text(&mut s, "third");
    keys(&mut s, &["enter"]);
    assert_eq!(s.queued.len(), 2);
    let fx = agent(&mut s, AgentEvent::TurnFinished { turn_id: 1, outcome: TurnOutcome::EndTurn });
    assert_eq!(ops(&fx), [Op::UserTurn { text: "second".into(), attachments: vec![] }]);
    assert_eq!(s.queued.len(), 1);
    assert!(s.turn_running);
}

#[test]
fn streamed_text_builds_one_answer_cell() {
    let mut s = state("dark");
    start_turn(&mut s);
    for piece in ["Hel", "lo ", "\x1b[31mworld\x1b[0m"] {
        agent(&mut s, AgentEvent::TextDelta { turn_id: 1, text: piece.into() });
    }
    assert_eq!(s.transcript.cells.len(), 1);
    match &s.transcript.cells[0].kind {
        CellKind::Assistant { text, streaming } => {
            assert_eq!(text, "Hello ␛[31mworld␛[0m", "escape sequences are made visible");
            assert!(*streaming);
        }
        other => panic!("{other:?}"),
    }
    agent(&mut s, AgentEvent::TurnFinished { turn_id: 1, outcome: TurnOutcome::EndTurn });
    assert!(matches!(s.transcript.cells[0].kind, CellKind::Assistant { streaming: false, .. }));
}

/// An answer that broke off mid-stream and is retried: what streamed of it (thinking and
/// text) leaves the transcript, the retry is marked with a notice, and the retry's answer
/// streams into a fresh cell.
#[test]
fn a_discarded_answer_leaves_the_transcript_and_the_retry_is_marked() {
    let mut s = state("dark");
    start_turn(&mut s);
    agent(&mut s, AgentEvent::ThinkingDelta { turn_id: 1, text: "Let me see".into() });
    agent(&mut s, AgentEvent::TextDelta { turn_id: 1, text: "This answer wil".into() });
    let before = s.transcript.cells.len();
    agent(&mut s, AgentEvent::AnswerDiscarded { turn_id: 1 });
    agent(
        &mut s,
        AgentEvent::Error {
            kind: claw_tui::provider::ErrorKind::Network,
            message: "connection lost mid-answer: the answer from http://127.0.0.1:9 broke off; the partial answer was discarded; retrying (1/2)".into(),
            retrying_in_ms: Some(600),
        },
    );
    assert_eq!(s.transcript.cells.len(), before - 1, "thinking and text left, a notice came");
    match &s.transcript.cells.last().unwrap().kind {
        CellKind::Notice { text, .. } => {
            assert!(text.contains("the partial answer was discarded; retrying (1/2) in 0.6s"), "{text}")
        }
        other => panic!("{other:?}"),
    }
    assert!(
        !s.transcript.cells.iter().any(|c| matches!(&c.kind, CellKind::Assistant { .. } | CellKind::Thinking { .. })),
        "nothing of the broken answer is left"
    );
    agent(&mut s, AgentEvent::TextDelta { turn_id: 1, text: "The whole answer.".into() });
    assert!(
        matches!(&s.transcript.cells.last().unwrap().kind, CellKind::Assistant { text, streaming: true } if text == "The whole answer.")
    );
}

fn approve_flow(key: &str) -> (Vec<Effect>, claw_tui::app::state::State) {
    let mut s = state("dark");
    start_turn(&mut s);
    agent(&mut s, tool_started("c1", "ls"));
    agent(&mut s, approval_request("c1", "ls"));
    assert!(matches!(s.overlays.last(), Some(Overlay::Approval(_))));
    let fx = keys(&mut s, &[key]);
    (fx, s)
}

#[test]
fn approve_once_for_session_and_always() {
    let (fx, s) = approve_flow("y");
    assert_eq!(ops(&fx), [Op::Approval { call_id: "c1".into(), decision: Decision::AllowOnce }]);
    assert!(s.overlays.is_empty());
    assert!(matches!(&s.transcript.cells[0].kind, CellKind::Tool(t) if matches!(t.status, ToolStatus::Running { .. })));

    let (fx, _) = approve_flow("a");
    assert_eq!(ops(&fx), [Op::Approval { call_id: "c1".into(), decision: Decision::AllowSession }]);

    let (fx, _) = approve_flow("p");
    assert_eq!(ops(&fx), [Op::Approval { call_id: "c1".into(), decision: Decision::AllowSession }]);
    assert!(fx.contains(&Effect::PersistRule("bash(ls)".into())), "always allow saves the rule");
}

#[test]
fn deny_plain_with_esc_and_with_a_note() {
    let (fx, _) = approve_flow("n");
    assert_eq!(ops(&fx), [Op::Approval { call_id: "c1".into(), decision: Decision::Deny { feedback: None } }]);
    let (fx, _) = approve_flow("esc");
    assert_eq!(ops(&fx), [Op::Approval { call_id: "c1".into(), decision: Decision::Deny { feedback: None } }]);

    let (fx, mut s) = approve_flow("e");
    assert!(fx.is_empty(), "the note box opens first");
    type_text(&mut s, "use make clean");
    // keys that would answer the modal are text now
    type_text(&mut s, " y");
    let fx = keys(&mut s, &["enter"]);
    assert_eq!(
        ops(&fx),
        [Op::Approval { call_id: "c1".into(), decision: Decision::Deny { feedback: Some("use make clean y".into()) } }]
    );
}

#[test]
fn arrows_and_enter_choose_too() {
    let (_, mut s) = approve_flow("down");
    let fx = keys(&mut s, &["j", "k", "down", "down", "enter"]);
    assert_eq!(ops(&fx), [Op::Approval { call_id: "c1".into(), decision: Decision::Deny { feedback: None } }]);
}

#[test]
fn approvals_queue_behind_the_open_one() {
    let mut s = state("dark");
    start_turn(&mut s);
    for (id, cmd) in [("c1", "ls"), ("c2", "pwd"), ("c3", "whoami")] {
        agent(&mut s, tool_started(id, cmd));
        agent(&mut s, approval_request(id, cmd));
    }
    assert_eq!(s.approval_queue.len(), 2);
    let fx = keys(&mut s, &["y", "n", "a"]);
    assert_eq!(
        ops(&fx),
        [
            Op::Approval { call_id: "c1".into(), decision: Decision::AllowOnce },
            Op::Approval { call_id: "c2".into(), decision: Decision::Deny { feedback: None } },
            Op::Approval { call_id: "c3".into(), decision: Decision::AllowSession },
        ]
    );
    assert!(s.overlays.is_empty());
}

#[test]
fn a_paste_never_answers_an_approval() {
    let (_, mut s) = approve_flow("down");
    let fx = update(&mut s, Event::Paste("y\nyes\n".into()));
    assert!(fx.is_empty());
    assert!(matches!(s.overlays.last(), Some(Overlay::Approval(_))));
    assert!(s.composer.is_empty(), "and it does not leak into the prompt");
}

#[test]
fn an_interrupted_call_closes_its_approval() {
    let (_, mut s) = approve_flow("down");
    agent(
        &mut s,
        AgentEvent::ToolCallFinished {
            call_id: "c1".into(),
            tool: "bash".into(),
            result: "Not run".into(),
            is_error: true,
            elapsed_ms: 5,
        },
    );
    assert!(s.overlays.is_empty());
}

#[test]
fn large_pastes_stay_whole() {
    let mut s = state("dark");
    let big: String = (0..5000).map(|i| format!("line {i}\r\n")).collect();
    let fx = update(&mut s, Event::Paste(big));
    assert!(fx.is_empty(), "a paste with newlines is not sent");
    assert_eq!(s.composer.textarea.lines().len(), 5001);
    assert_eq!(s.composer.textarea.lines()[4999], "line 4999");
}

#[test]
fn history_walks_with_up_and_down() {
    let mut s = state("dark");
    for p in ["one", "two"] {
        type_text(&mut s, p);
        keys(&mut s, &["enter"]);
        agent(&mut s, AgentEvent::TurnFinished { turn_id: 1, outcome: TurnOutcome::EndTurn });
    }
    type_text(&mut s, "draft");
    keys(&mut s, &["up"]);
    assert_eq!(s.composer.text(), "two");
    keys(&mut s, &["up", "up"]);
    assert_eq!(s.composer.text(), "one");
    keys(&mut s, &["down"]);
    assert_eq!(s.composer.text(), "two");
    keys(&mut s, &["down"]);
    assert_eq!(s.composer.text(), "draft", "the draft comes back");
}

#[test]
fn slash_completion_and_commands() {
    let mut s = state("dark");
    type_text(&mut s, "/per");
    let fx = keys(&mut s, &["enter"]);
    assert!(fx.is_empty());
    assert!(matches!(s.overlays.last(), Some(Overlay::Picker(p)) if p.title == "Permission mode"));
    let fx = keys(&mut s, &["down", "down", "enter"]);
    assert_eq!(ops(&fx), [Op::SetPermissionMode { mode: PermissionMode::DangerFullAccess }]);
    assert_eq!(s.status.mode, PermissionMode::DangerFullAccess);

    type_text(&mut s, "/model claude-opus-4-5");
    assert_eq!(ops(&keys(&mut s, &["enter"])), [Op::SetModel { model: "claude-opus-4-5".into() }]);
    type_text(&mut s, "/clear");
    assert!(matches!(&keys(&mut s, &["enter"])[..], [Effect::StartAgent { start: Start::Fresh, .. }]));
    type_text(&mut s, "/exit");
    assert_eq!(keys(&mut s, &["enter"]), [Effect::Quit]);
    type_text(&mut s, "/bogus");
    keys(&mut s, &["enter"]);
    assert!(
        matches!(&s.transcript.cells.last().unwrap().kind, CellKind::Notice { text, .. } if text.starts_with("unknown command /bogus"))
    );
    type_text(&mut s, "/version");
    keys(&mut s, &["enter"]);
    assert!(
        matches!(&s.transcript.cells.last().unwrap().kind, CellKind::Notice { text, .. } if text.starts_with("claw-tui "))
    );
}

#[test]
fn palette_filters_and_runs() {
    let mut s = state("dark");
    keys(&mut s, &["ctrl+p"]);
    type_text(&mut s, "todo");
    let Some(Overlay::Picker(p)) = s.overlays.last() else { panic!() };
    assert_eq!(p.items[p.filtered[0]].label, "toggle todos");
    let before = s.show_todos;
    keys(&mut s, &["enter"]);
    assert!(s.overlays.is_empty());
    assert_ne!(s.show_todos, before);
}

#[test]
fn shift_tab_cycles_the_permission_mode() {
    let mut s = state("dark");
    let fx = keys(&mut s, &["shift+tab"]);
    assert_eq!(ops(&fx), [Op::SetPermissionMode { mode: PermissionMode::DangerFullAccess }]);
    let fx = keys(&mut s, &["shift+tab"]);
    assert_eq!(ops(&fx), [Op::SetPermissionMode { mode: PermissionMode::Review }]);
}

#[test]
fn transcript_focus_selects_expands_and_copies() {
    let mut s = state("dark");
    agent(&mut s, AgentEvent::TextDelta { turn_id: 1, text: "Run:\n\n```sh\ncargo test\n```\n".into() });
    agent(&mut s, tool_started("c1", "cargo test"));
    agent(
        &mut s,
        AgentEvent::ToolCallFinished {
            call_id: "c1".into(),
            tool: "bash".into(),
            result: "ok".into(),
            is_error: false,
            elapsed_ms: 9,
        },
    );
    keys(&mut s, &["tab"]);
    assert_eq!(s.focus, Focus::Transcript);
    assert_eq!(s.transcript.selected, Some(1));
    keys(&mut s, &["enter"]);
    assert!(s.transcript.cells[1].expanded);
    keys(&mut s, &["k"]);
    assert_eq!(keys(&mut s, &["c"]), [Effect::Copy("cargo test\n".into())]);
    assert_eq!(keys(&mut s, &["y"]), [Effect::Copy("Run:\n\n```sh\ncargo test\n```\n".into())]);
    keys(&mut s, &["esc"]);
    assert_eq!(s.focus, Focus::Composer);
    assert_eq!(keys(&mut s, &["ctrl+y"]), [Effect::Copy("Run:\n\n```sh\ncargo test\n```\n".into())]);
}

#[test]
fn scrolling_leaves_and_rejoins_follow() {
    use claw_tui::app::state::Scroll;
    let mut s = state("dark");
    for i in 0..100 {
        agent(&mut s, AgentEvent::Warning { message: format!("line {i}") });
    }
    keys(&mut s, &["pageup"]);
    assert!(matches!(s.transcript.scroll, Scroll::At { .. }));
    keys(&mut s, &["pagedown", "pagedown", "pagedown"]);
    assert_eq!(s.transcript.scroll, Scroll::Follow, "back at the end, following again");
    keys(&mut s, &["ctrl+home"]);
    assert_eq!(s.transcript.scroll, Scroll::At { cell: 0, line: 0 });
    keys(&mut s, &["ctrl+end"]);
    assert_eq!(s.transcript.scroll, Scroll::Follow);
}

#[test]
fn usage_updates_the_cost_meter_for_turn_and_session() {
    use claw_tui::provider::Usage;
    let mut s = state("dark");
    start_turn(&mut s);
    let u =
        Usage { input_tokens: 1000, output_tokens: 200, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };
    agent(
        &mut s,
        AgentEvent::Usage {
            request: u,
            session: u,
            request_cost_usd: Some(0.006),
            session_cost_usd: Some(0.006),
            context_tokens: 1200,
            context_window: 200_000,
        },
    );
    agent(&mut s, AgentEvent::TurnFinished { turn_id: 1, outcome: TurnOutcome::EndTurn });
    agent(&mut s, AgentEvent::TurnStarted { turn_id: 2 });
    let total = Usage { input_tokens: 1500, output_tokens: 300, ..u };
    agent(
        &mut s,
        AgentEvent::Usage {
            request: u,
            session: total,
            request_cost_usd: Some(0.003),
            session_cost_usd: Some(0.009),
            context_tokens: 1800,
            context_window: 200_000,
        },
    );
    assert_eq!(s.cost.turn.input_tokens, 500);
    assert_eq!(s.cost.session.input_tokens, 1500);
    assert!((s.cost.turn_cost.unwrap() - 0.003).abs() < 1e-12);
}

#[test]
fn esc_in_the_note_box_goes_back_to_the_choices() {
    let (_, mut s) = approve_flow("e");
    type_text(&mut s, "nope");
    assert!(keys(&mut s, &["esc"]).is_empty(), "esc leaves the note, it does not deny");
    let Some(Overlay::Approval(m)) = s.overlays.last() else { panic!("the modal stays") };
    assert!(m.note.is_none());
    assert_eq!(ops(&keys(&mut s, &["y"])), [Op::Approval { call_id: "c1".into(), decision: Decision::AllowOnce }]);
}

/// An agent ready to install, as the executor's job prepares it (without a real agent).
fn prepared(has_credentials: bool, branch: Option<&str>) -> Result<Box<Prepared>, String> {
    Ok(Box::new(Prepared {
        built: Handoff::empty(),
        root: "/work/project".into(),
        replay: None,
        problems: Vec::new(),
        notices: Vec::new(),
        has_credentials,
        branch: branch.map(str::to_string),
        prompt: None,
        interface: None,
        trust: Default::default(),
        withheld: Vec::new(),
        extensions: Default::default(),
        hooks: Vec::new(),
    }))
}

/// The generation of the start `effects` ask for.
fn started(effects: &[Effect]) -> u64 {
    effects
        .iter()
        .find_map(|e| match e {
            Effect::StartAgent { generation, .. } => Some(*generation),
            _ => None,
        })
        .expect("an agent start")
}

#[test]
fn a_new_session_clears_the_screen_state() {
    let mut s = state("dark");
    type_text(&mut s, "hello");
    keys(&mut s, &["enter"]);
    agent(&mut s, AgentEvent::TodosChanged { todos: vec![] });
    type_text(&mut s, "/clear");
    let generation = started(&keys(&mut s, &["enter"]));
    // A prompt typed while the new agent starts waits for it.
    type_text(&mut s, "next");
    keys(&mut s, &["enter"]);
    let fx = update(
        &mut s,
        Event::AgentPrepared { generation, start: Start::Fresh, result: prepared(true, Some("feature")) },
    );
    assert!(matches!(fx[0], Effect::InstallAgent { generation: g, .. } if g == generation));
    assert_eq!(ops(&fx), [Op::UserTurn { text: "next".into(), attachments: vec![] }]);
    assert!(matches!(&s.transcript.cells[..], [c] if matches!(&c.kind, CellKind::User { text } if text == "next")));
    assert_eq!(s.status.branch.as_deref(), Some("feature"));
    agent(&mut s, AgentEvent::TurnFinished { turn_id: 1, outcome: TurnOutcome::EndTurn });
    assert!(!s.turn_running);
    type_text(&mut s, "/clear");
    let stale = generation;
    let generation = started(&keys(&mut s, &["enter"]));
    // The answer to an older start is not used.
    assert!(
        update(&mut s, Event::AgentPrepared { generation: stale, start: Start::Fresh, result: prepared(true, None) })
            .is_empty()
    );
    update(&mut s, Event::AgentPrepared { generation, start: Start::Fresh, result: prepared(false, None) });
    assert!(s.transcript.cells.len() == 1 && matches!(s.transcript.cells[0].kind, CellKind::Welcome));
    assert!(!s.turn_running);
}

#[test]
fn ctrl_c_interrupts_even_with_a_modal_open() {
    let (_, mut s) = approve_flow("down");
    assert_eq!(ops(&keys(&mut s, &["ctrl+c"])), [Op::Interrupt]);
    // idle with the palette open: ctrl+c closes it rather than quitting
    let mut s = state("dark");
    keys(&mut s, &["ctrl+p"]);
    assert!(keys(&mut s, &["ctrl+c"]).is_empty());
    assert!(s.overlays.is_empty());
}

#[test]
fn the_bell_rings_when_a_turn_ends_unfocused() {
    let mut s = state("dark");
    type_text(&mut s, "go");
    keys(&mut s, &["enter"]);
    let fx = agent(&mut s, AgentEvent::TurnFinished { turn_id: 1, outcome: TurnOutcome::EndTurn });
    assert!(!fx.contains(&Effect::Bell), "focused: no bell");
    update(&mut s, Event::Focus(false));
    type_text(&mut s, "again");
    keys(&mut s, &["enter"]);
    let fx = agent(&mut s, AgentEvent::TurnFinished { turn_id: 2, outcome: TurnOutcome::EndTurn });
    assert!(fx.contains(&Effect::Bell));
    s.bell = false;
    let fx = agent(&mut s, AgentEvent::TurnFinished { turn_id: 3, outcome: TurnOutcome::EndTurn });
    assert!(!fx.contains(&Effect::Bell), "notifications = \"off\"");
}

/// /status says which sandbox is in force, as the agent reported it when it started.
#[test]
fn status_names_the_sandbox() {
    let mut s = state("dark");
    agent(
        &mut s,
        AgentEvent::SessionStarted {
            session_id: "abc".into(),
            session_file: None,
            model: "claude-sonnet-4-5".into(),
            provider: "anthropic".into(),
            credential: "API key".into(),
            cwd: "/work".into(),
            tools: vec![],
            permission_mode: PermissionMode::WorkspaceWrite,
            instruction_files: vec![],
            sandbox: "workspace (Landlock ABI 7): writes only in the workspace, temp and build caches".into(),
        },
    );
    type_text(&mut s, "/status");
    keys(&mut s, &["enter"]);
    let last = notices(&s).pop().unwrap();
    assert!(last.contains("sandbox workspace (Landlock ABI 7): writes only in the workspace"), "{last}");
}

/// The lines of the transcript's last cell at width 100, as text with their colours.
fn last_cell_lines(s: &State) -> Vec<String> {
    let cell = s.transcript.cells.last().expect("a cell");
    claw_tui::ui::transcript::cell_lines(cell, 100, &s.theme, s.layout_epoch, s.now_ms)
        .iter()
        .map(|l| l.spans.iter().map(|sp| format!("{}{:?}", sp.content, sp.style.fg)).collect::<String>())
        .collect()
}

#[test]
fn a_streamed_answer_is_laid_out_as_it_will_be_once_finished() {
    // Code blocks of several languages, lists, tables; streamed 20 characters at a time and
    // laid out after each delta, as frames do, with the finished blocks kept and only the
    // tail laid out again.
    let text = answer::long_answer(9);
    let mut s = state("dark");
    agent(&mut s, AgentEvent::TurnStarted { turn_id: 1 });
    let chars: Vec<char> = text.chars().collect();
    let mut sent = String::new();
    for (i, piece) in chars.chunks(20).enumerate() {
        let piece: String = piece.iter().collect();
        sent.push_str(&piece);
        agent(&mut s, AgentEvent::TextDelta { turn_id: 1, text: piece });
        let streamed = last_cell_lines(&s);
        if i % 50 == 7 {
            // The same text laid out whole, as a finished answer, looks the same.
            let mut fresh = state("dark");
            agent(&mut fresh, AgentEvent::TurnStarted { turn_id: 1 });
            agent(&mut fresh, AgentEvent::TextDelta { turn_id: 1, text: sent.clone() });
            agent(&mut fresh, AgentEvent::TurnFinished { turn_id: 1, outcome: TurnOutcome::EndTurn });
            assert_eq!(streamed, last_cell_lines(&fresh), "after {} characters", sent.len());
        }
    }
    let streamed = last_cell_lines(&s);
    agent(&mut s, AgentEvent::TurnFinished { turn_id: 1, outcome: TurnOutcome::EndTurn });
    assert_eq!(last_cell_lines(&s), streamed, "finishing the answer changes nothing on screen");
}

#[test]
fn model_picks_on_this_provider_or_switches_provider_keeping_the_session() {
    let mut s = state("dark");
    s.status.provider = "anthropic".into();
    s.status.model = "claude-sonnet-4-5".into();
    s.status.session_file = Some("/tmp/sessions/abc.jsonl".into());
    // The same provider named: the prefix only names it.
    type_text(&mut s, "/model anthropic/claude-opus-4-5");
    assert_eq!(ops(&keys(&mut s, &["enter"])), [Op::SetModel { model: "claude-opus-4-5".into() }]);
    // Another provider: the agent starts again on this session, on that provider.
    type_text(&mut s, "/model ollama/qwen3:8b");
    let fx = keys(&mut s, &["enter"]);
    assert!(
        matches!(&fx[..], [Effect::StartAgent { start: Start::Switch { session: Some(p), provider, model }, .. }]
            if p.to_str() == Some("/tmp/sessions/abc.jsonl") && provider == "ollama" && model == "qwen3:8b"),
        "{fx:?}"
    );
    // A prefix that is no provider is part of the model's name.
    s.status.provider = "anthropic".into();
    type_text(&mut s, "/model meta/llama");
    assert_eq!(ops(&keys(&mut s, &["enter"])), [Op::SetModel { model: "meta/llama".into() }]);
}

/// `/mcp`: r reconnects the selected server, l reads a stdio server's log (a remote one has
/// none, and says so), l again and esc go back; the status bar's count follows the news.
#[test]
fn the_mcp_pane_reconnects_and_reads_logs() {
    use claw_tui::mcp::{ServerView, Status};
    let view = |name: &str, transport: &'static str, status: Status| ServerView {
        name: name.into(),
        transport,
        target: "x".into(),
        status,
        tools: vec![],
        prompts: vec![],
        resources: vec![],
        protocol: String::new(),
        log: (transport == "stdio").then(|| format!("/tmp/{name}.log").into()),
        file: ".mcp.json".into(),
    };
    let mut s = state("dark");
    update(&mut s, Event::Mcp(vec![view("fx", "stdio", Status::Connected), view("web", "http", Status::Connecting)]));
    update(&mut s, Event::Command("/mcp".into()));
    assert!(matches!(s.overlays.last(), Some(Overlay::Mcp(_))));
    assert_eq!(keys(&mut s, &["r"]), vec![Effect::McpReconnect("fx".into())]);
    assert_eq!(keys(&mut s, &["l"]), vec![Effect::ReadMcpLog { name: "fx".into(), path: "/tmp/fx.log".into() }]);
    update(&mut s, Event::McpLog { name: "fx".into(), lines: vec!["fixture: ready".into()] });
    let Some(Overlay::Mcp(pane)) = s.overlays.last() else { panic!("the pane closed") };
    assert_eq!(pane.log.as_ref().map(|(n, l)| (n.as_str(), l.len())), Some(("fx", 1)));
    keys(&mut s, &["esc"]);
    let Some(Overlay::Mcp(pane)) = s.overlays.last() else { panic!("esc closed the pane instead of the log") };
    assert!(pane.log.is_none());
    keys(&mut s, &["j", "l"]);
    let Some(Overlay::Mcp(pane)) = s.overlays.last() else { panic!("the pane closed") };
    assert!(pane.log.as_ref().is_some_and(|(_, l)| l[0].contains("has no log of its own")));
    keys(&mut s, &["l", "esc"]);
    assert!(s.overlays.is_empty());
    // A server that fails is told once, however often the news repeats.
    let failed = vec![view("fx", "stdio", Status::Failed("the server closed the connection".into()))];
    update(&mut s, Event::Mcp(failed.clone()));
    update(&mut s, Event::Mcp(failed));
    let told = s
        .transcript
        .cells
        .iter()
        .filter(|c| matches!(&c.kind, CellKind::Notice { text, .. } if text.contains("`fx` failed")))
        .count();
    assert_eq!(told, 1);
}

/// The composer completes MCP prompts after `/` and resources after `@`; a chosen resource
/// replaces the word and keeps the prompt; an MCP prompt is sent to the agent, which runs it.
#[test]
fn mcp_prompts_and_resources_complete_in_the_composer() {
    use claw_tui::mcp::hub::{PromptInfo, ResourceInfo};
    use claw_tui::mcp::{ServerView, Status};
    let mut s = state("dark");
    let view = ServerView {
        name: "notes".into(),
        transport: "stdio",
        target: "x".into(),
        status: Status::Connected,
        tools: vec![],
        prompts: vec![PromptInfo {
            name: "summarize".into(),
            description: "Summarize the notes".into(),
            arguments: vec![],
        }],
        resources: vec![
            ResourceInfo { uri: "mem://todo.txt".into(), name: "todo".into() },
            ResourceInfo { uri: "mem://plan.md".into(), name: "plan".into() },
        ],
        protocol: String::new(),
        log: None,
        file: ".mcp.json".into(),
    };
    update(&mut s, Event::Mcp(vec![view]));
    type_text(&mut s, "read @notes:mem://p");
    let items = claw_tui::ui::composer::completions(&s);
    assert_eq!(items.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(), ["@notes:mem://plan.md"]);
    keys(&mut s, &["tab"]);
    assert_eq!(s.composer.text(), "read @notes:mem://plan.md ");
    let mut s2 = state("dark");
    s2.mcp = s.mcp.clone();
    type_text(&mut s2, "/mcp__notes__s");
    let items = claw_tui::ui::composer::completions(&s2);
    assert_eq!(items.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(), ["/mcp__notes__summarize"]);
    let fx = keys(&mut s2, &["enter"]);
    assert!(
        fx.iter().any(|e| matches!(e, Effect::Agent(Op::UserTurn { text, .. }) if text == "/mcp__notes__summarize")),
        "{fx:?}"
    );
    // Without the server, nothing completes.
    let mut s3 = state("dark");
    type_text(&mut s3, "/mcp__notes__s");
    assert!(claw_tui::ui::composer::completions(&s3).is_empty());
}

/// A custom command typed (or picked in the palette) goes to the agent, which expands it; a
/// command named like a built-in one never runs; one that takes arguments is put in the
/// composer by the palette rather than sent bare.
#[test]
fn custom_commands_are_sent_completed_and_picked() {
    use claw_tui::extend::commands::CustomCommand;
    use claw_tui::extend::{Extensions, Scope};
    let command = |name: &str, body: &str| CustomCommand {
        name: name.into(),
        description: format!("the {name} command"),
        argument_hint: None,
        model: None,
        allowed_tools: Vec::new(),
        body: body.into(),
        path: format!("/p/.claude/commands/{name}.md").into(),
        scope: Scope::Project,
    };
    let mut s = state("dark");
    s.extensions = std::sync::Arc::new(Extensions {
        commands: vec![
            command("review", "Review $ARGUMENTS"),
            command("standup", "Summarize"),
            command("help", "shadow"),
        ],
        ..Extensions::default()
    });
    type_text(&mut s, "/review src/lib.rs");
    let fx = keys(&mut s, &["enter"]);
    assert!(
        fx.iter().any(|e| matches!(e, Effect::Agent(Op::UserTurn { text, .. }) if text == "/review src/lib.rs")),
        "{fx:?}"
    );
    let fx = update(&mut s, Event::Command("/help".into()));
    assert!(!fx.iter().any(|e| matches!(e, Effect::Agent(Op::UserTurn { .. }))), "the built-in runs: {fx:?}");
    assert!(matches!(s.overlays.last(), Some(Overlay::Help { .. })));

    let mut s = state("dark");
    s.extensions = std::sync::Arc::new(Extensions {
        commands: vec![command("review", "Review $ARGUMENTS"), command("standup", "Summarize")],
        ..Extensions::default()
    });
    keys(&mut s, &["ctrl+p"]);
    type_text(&mut s, "review");
    keys(&mut s, &["enter"]);
    assert_eq!(s.composer.text(), "/review ", "it takes arguments: put in the composer");
    let mut s2 = state("dark");
    s2.extensions = s.extensions.clone();
    keys(&mut s2, &["ctrl+p"]);
    type_text(&mut s2, "standup");
    let fx = keys(&mut s2, &["enter"]);
    assert!(fx.iter().any(|e| matches!(e, Effect::Agent(Op::UserTurn { text, .. }) if text == "/standup")), "{fx:?}");
}

/// `/memory` offers the three instruction files; the chosen one is edited, then read again by
/// the agent. `/resume ID` finds that session and resumes it; `/init` goes to the agent.
#[test]
fn memory_resume_by_id_and_init() {
    use claw_tui::agent::prompt::MemoryScope;
    let mut s = state("dark");
    update(&mut s, Event::Command("/memory".into()));
    let Some(Overlay::Picker(p)) = s.overlays.last() else { panic!("no picker") };
    let labels: Vec<&str> = p.items.iter().map(|i| i.label.as_str()).collect();
    assert_eq!(labels, ["project", "local", "user"]);
    let fx = keys(&mut s, &["down", "enter"]);
    assert!(fx.iter().any(|e| matches!(e, Effect::EditMemory(MemoryScope::Local))), "{fx:?}");
    let fx = update(&mut s, Event::MemoryEdited(Ok("/work/project/CLAW.local.md".into())));
    assert!(fx.iter().any(|e| matches!(e, Effect::Agent(Op::ReloadInstructions))), "{fx:?}");

    let fx = update(&mut s, Event::Command("/resume 0199ab".into()));
    assert!(fx.iter().any(|e| matches!(e, Effect::FindSession(id) if id == "0199ab")), "{fx:?}");
    let fx = update(&mut s, Event::SessionFound(Ok("/sessions/p/0199abcd.jsonl".into())));
    assert!(
        fx.iter().any(
            |e| matches!(e, Effect::StartAgent { start: Start::Resume(path), .. } if path.ends_with("0199abcd.jsonl"))
        ),
        "{fx:?}"
    );
    update(&mut s, Event::SessionFound(Err("no session with id `zz`".into())));
    assert!(
        s.transcript
            .cells
            .iter()
            .any(|c| matches!(&c.kind, CellKind::Notice { text, .. } if text.contains("no session with id")))
    );

    let mut s = state("dark");
    let fx = update(&mut s, Event::Command("/init".into()));
    assert!(fx.iter().any(|e| matches!(e, Effect::Agent(Op::UserTurn { text, .. }) if text == "/init")), "{fx:?}");
}

/// A sub-agent that makes thousands of calls: its `Agent` cell lists the newest, within the
/// cap, cut at a line (never inside a character).
#[test]
fn a_busy_sub_agent_s_call_list_stays_within_the_cap() {
    let mut s = state("dark");
    update(&mut s, Event::Agent(AgentEvent::TurnStarted { turn_id: 1 }));
    let started = AgentEvent::ToolCallStarted {
        call_id: "toolu_a".into(),
        tool: "Agent".into(),
        input: json!({}),
        summary: "busy".into(),
    };
    update(&mut s, Event::Agent(started));
    update(
        &mut s,
        Event::Agent(AgentEvent::SubagentStarted {
            agent_id: "agent-1".into(),
            call_id: "toolu_a".into(),
            name: "general-purpose".into(),
            description: "busy".into(),
            prompt: "go".into(),
            model: "m".into(),
            file: None,
        }),
    );
    for i in 0..6000 {
        let call = AgentEvent::ToolCallStarted {
            call_id: format!("agent-1/t{i}"),
            tool: "read_file".into(),
            input: json!({}),
            summary: format!("src/é{i}{}.rs", "ü".repeat(20)),
        };
        update(&mut s, Event::Agent(AgentEvent::Subagent { agent_id: "agent-1".into(), event: Box::new(call) }));
    }
    let cell = s.transcript.tool_mut("toolu_a").unwrap();
    let CellKind::Tool(t) = &cell.kind else { panic!() };
    assert!(t.output.len() <= claw_tui::app::state::MAX_TOOL_OUTPUT, "{}", t.output.len());
    assert!(t.output.starts_with("read_file src/é") && t.output.ends_with("5999üüüüüüüüüüüüüüüüüüüü.rs\n"));
}
