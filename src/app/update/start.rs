//! Starting and replacing the agent: /clear, /demo, /resume, forks, and the launch.
//!
//! A start is tagged with a generation. While the agent is prepared the state says so
//! (prompts typed meanwhile wait in the queue); when it is ready the screen is reset to the
//! new session (its replayed transcript, problems, the welcome) and the executor is asked to
//! install it. An agent prepared for an older start is ignored.

use super::*;
use crate::agent::replay::ReplayItem;
use crate::app::slot::{Prepared, Start};

/// Asks for a new agent as `start` says; the old one stops at once.
pub(super) fn start_agent(state: &mut State, start: Start, fx: &mut Vec<Effect>) {
    state.agent_generation += 1;
    state.queued.clear();
    state.approval_queue.clear();
    state.overlays.retain(|o| !matches!(o, Overlay::Approval(_) | Overlay::Review(_)));
    state.turn_running = true;
    state.activity = Activity::Starting;
    fx.push(Effect::StartAgent { generation: state.agent_generation, start });
}

/// A prepared agent (or why there is none) for start `generation`.
pub(super) fn agent_prepared(
    state: &mut State,
    generation: u64,
    start: Start,
    result: Result<Box<Prepared>, String>,
    fx: &mut Vec<Effect>,
) {
    if generation != state.agent_generation {
        return;
    }
    let p = match result {
        Ok(p) => p,
        Err(e) => {
            state.turn_running = false;
            state.activity = Activity::Idle;
            return match start {
                // A session that cannot be resumed: say why and start afresh.
                Start::Resume(_) | Start::Switch { .. } => {
                    notice(state, NoticeLevel::Error, e);
                    start_agent(state, Start::Fresh, fx);
                }
                _ => notice(state, NoticeLevel::Error, format!("no agent could be started: {e}; /clear tries again")),
            };
        }
    };
    let welcome = !p.has_credentials && p.prompt.is_none() && !matches!(start, Start::Resume(_) | Start::Switch { .. });
    restarted(state, welcome, p.branch.clone());
    if let Some(settings) = p.interface {
        apply_interface(state, *settings);
    }
    if let Some(items) = p.replay {
        // The replay's last turn ending must not send the prompts typed while it started.
        let waiting = std::mem::take(&mut state.queued);
        restore(state, items, fx);
        state.queued = waiting;
    }
    super::settings::report_problems(state, p.problems, &[]);
    state.extensions = p.extensions;
    state.hooks = p.hooks;
    for n in p.notices {
        notice(state, NoticeLevel::Info, n);
    }
    folder_trust(state, &start, p.trust, p.root.clone(), p.withheld);
    fx.push(Effect::InstallAgent { generation, built: p.built });
    if let Some(prompt) = p.prompt {
        notice(
            state,
            NoticeLevel::Warning,
            "demo: a scripted model, real tools, in a scratch directory; nothing here touches your files",
        );
        remember(state, &prompt);
        send_prompt(state, prompt, fx);
    } else if let Some(next) = state.queued.pop_front() {
        send_prompt(state, next, fx);
    }
}

/// The screen of a new session: nothing from the old one but the prompts typed meanwhile.
pub(super) fn restarted(state: &mut State, welcome: bool, branch: Option<String>) {
    state.status.branch = branch;
    state.transcript = Transcript { cells: Vec::new(), scroll: Scroll::Follow, selected: None };
    state.cost = CostMeter::default();
    state.todos.clear();
    state.subagents.clear();
    state.approval_queue.clear();
    state.overlays.retain(|o| !matches!(o, Overlay::Approval(_) | Overlay::Review(_)));
    state.turn_running = false;
    state.activity = Activity::Idle;
    if welcome {
        state.transcript.push(CellKind::Welcome);
    }
}

/// Shows a resumed session's transcript again.
fn restore(state: &mut State, items: Vec<ReplayItem>, fx: &mut Vec<Effect>) {
    let mut replayed = Vec::new();
    let mut turn = None;
    for item in items {
        match item {
            ReplayItem::Turn(n) => turn = Some(n),
            ReplayItem::Rewound(n) => {
                if let Some(at) = state.transcript.cells.iter().position(|c| c.turn == Some(n)) {
                    state.transcript.cells.truncate(at);
                }
            }
            ReplayItem::User(text) => {
                remember(state, &text);
                let i = state.transcript.push(CellKind::User { text: crate::sanitize::visible_owned(text.clone()) });
                state.transcript.cells[i].turn = turn.take();
            }
            ReplayItem::Agent(ev) => on_agent(state, ev, &mut replayed),
        }
    }
    state.turn_running = false;
    state.activity = Activity::Idle;
    state.overlays.retain(|o| !matches!(o, Overlay::Approval(_) | Overlay::Review(_)));
    state.transcript.scroll = Scroll::Follow;
    // The session's cost so far is history; "last turn" starts with the next prompt.
    let c = &mut state.cost;
    c.turn = Default::default();
    c.turn_cost = Some(0.0);
    c.turn_base = c.session;
    c.turn_base_cost = c.session_cost;
    // The replayed turn's "interrupted" notices and queued prompts are history, not news.
    fx.extend(replayed.into_iter().filter(|e| !matches!(e, Effect::Agent(_))));
}

/// Settings read at launch (or again once the folder is trusted): the theme, the keymap and
/// the panes they set, the baseline hot reload compares with, and their problems.
fn apply_interface(state: &mut State, settings: crate::app::settings::InterfaceSettings) {
    let fresh = State::from_setup(&settings);
    if fresh.theme != state.theme {
        state.theme = fresh.theme;
        state.layout_epoch += 1;
    }
    state.keymap = fresh.keymap;
    state.pending_keys.clear();
    state.models = fresh.models;
    state.show_todos = fresh.show_todos;
    state.show_sidebar = fresh.show_sidebar;
    state.sidebar_min_width = fresh.sidebar_min_width;
    state.diff_view = fresh.diff_view;
    state.bell = fresh.bell;
    state.settings = fresh.settings;
    super::settings::report_problems(state, settings.problems().cloned().collect(), &[]);
}

/// At launch in a folder whose own files want settings that did not apply: ask the first
/// time, say what was ignored when the answer was no.
fn folder_trust(
    state: &mut State,
    start: &Start,
    trust: crate::config::trust::Trust,
    root: std::path::PathBuf,
    withheld: Vec<crate::config::trust::Withheld>,
) {
    use crate::config::trust::Trust;
    if *start != Start::Launch {
        return;
    }
    state.untrusted = (trust != Trust::Trusted && !withheld.is_empty())
        .then(|| TrustQuestion { root: root.clone(), withheld: withheld.clone() });
    if withheld.is_empty() {
        return;
    }
    match trust {
        Trust::Unknown => state.overlays.push(Overlay::Trust(Box::new(TrustQuestion { root, withheld }))),
        Trust::Untrusted => notice(state, NoticeLevel::Warning, crate::config::trust::ignored_notice(&withheld)),
        Trust::Trusted => {}
    }
}

/// `/trust`: the question again, for a folder whose settings were not applied.
pub(super) fn ask_trust(state: &mut State) {
    match state.untrusted.clone() {
        Some(question) => state.overlays.push(Overlay::Trust(Box::new(question))),
        None => notice(state, NoticeLevel::Info, "nothing to trust here: this folder's own settings all apply"),
    }
}

/// An answer to the trust question.
pub(super) fn trust_action(state: &mut State, action: Action, fx: &mut Vec<Effect>) {
    let Some(Overlay::Trust(question)) = state.overlays.last() else { return };
    let question = (**question).clone();
    match action {
        Action::TrustFolder | Action::DistrustFolder => {
            state.overlays.pop();
            fx.push(Effect::RememberTrust { root: question.root, trusted: action == Action::TrustFolder });
        }
        Action::TrustLater => {
            state.overlays.pop();
            notice(state, NoticeLevel::Warning, crate::config::trust::ignored_notice(&question.withheld));
        }
        _ => {}
    }
}

/// The answer was saved: a trusted folder's settings apply at once (the agent starts again
/// with them; nothing was said yet).
pub(super) fn trust_remembered(state: &mut State, trusted: bool, result: Result<String, String>, fx: &mut Vec<Effect>) {
    match result {
        Ok(message) if trusted => {
            notice(state, NoticeLevel::Info, message);
            start_agent(state, Start::Launch, fx);
        }
        Ok(message) => notice(state, NoticeLevel::Info, message),
        Err(e) => notice(state, NoticeLevel::Error, format!("the answer could not be saved: {e}")),
    }
}
