//! Sub-agents in the interface: followed from their events (a view per sub-agent with its own
//! transcript, what it runs now and its tokens), their approvals opened in the main modal with
//! the agent named, their calls listed under the main transcript's `Agent` cell; and the keys
//! of the /agents pane.

use super::*;
use crate::app::state::{AgentsPane, SubagentView};

pub(super) fn on_subagent(state: &mut State, ev: AgentEvent, fx: &mut Vec<Effect>) {
    match ev {
        AgentEvent::SubagentStarted { agent_id, call_id, name, description, prompt, model, .. } => {
            let mut transcript = Transcript { cells: Vec::new(), scroll: Scroll::Follow, selected: None };
            transcript.push(CellKind::User { text: visible(&prompt).into_owned() });
            state.subagents.push(SubagentView {
                id: agent_id,
                call_id,
                name: visible(&name).into_owned(),
                description: visible(&description).into_owned(),
                model,
                started_ms: state.now_ms,
                ended: None,
                tool: None,
                tokens: 0,
                cost: None,
                transcript,
                streamed_from: None,
            });
        }
        AgentEvent::SubagentFinished { agent_id, outcome, usage, cost_usd } => {
            let now = state.now_ms;
            if let Some(view) = state.subagents.iter_mut().find(|v| v.id == agent_id) {
                view.ended = Some((outcome, now.saturating_sub(view.started_ms)));
                view.tool = None;
                view.tokens = tokens(&usage);
                view.cost = cost_usd;
            }
        }
        AgentEvent::Subagent { agent_id, event } => {
            if let Some(i) = state.subagents.iter().position(|v| v.id == agent_id) {
                inner(state, i, *event, fx);
            }
        }
        _ => {}
    }
}

fn tokens(u: &crate::provider::Usage) -> u64 {
    u.input_tokens + u.output_tokens + u.cache_creation_input_tokens + u.cache_read_input_tokens
}

/// One event of sub-agent `i`.
fn inner(state: &mut State, i: usize, ev: AgentEvent, fx: &mut Vec<Effect>) {
    match &ev {
        AgentEvent::Usage { session, .. } => {
            state.subagents[i].tokens = tokens(session);
            return;
        }
        AgentEvent::ApprovalRequested { .. } => return approval(state, i, ev, fx),
        AgentEvent::ToolCallStarted { tool, summary, .. } => {
            state.subagents[i].tool = Some(tool.clone());
            let line = format!("{} {}\n", crate::ui::transcript::display_name(tool), visible(summary));
            let parent = state.subagents[i].call_id.clone();
            if let Some(cell) = state.transcript.tool_mut(&parent) {
                if let CellKind::Tool(t) = &mut cell.kind {
                    t.output.push_str(&line);
                    // A long-running sub-agent's list keeps its newest calls.
                    if t.output.len() > MAX_TOOL_OUTPUT {
                        let mut cut = t.output.len() - MAX_TOOL_OUTPUT;
                        while !t.output.is_char_boundary(cut) {
                            cut += 1;
                        }
                        let cut = t.output[cut..].find('\n').map_or(cut, |n| cut + n + 1);
                        t.output.drain(..cut);
                    }
                }
                cell.touch();
            }
        }
        AgentEvent::ToolCallFinished { .. } => state.subagents[i].tool = None,
        AgentEvent::TextDelta { .. }
        | AgentEvent::ThinkingDelta { .. }
        | AgentEvent::AssistantMessage { .. }
        | AgentEvent::AnswerDiscarded { .. }
        | AgentEvent::ToolProgress { .. }
        | AgentEvent::FileChanged { .. }
        | AgentEvent::Error { .. }
        | AgentEvent::UserMessage { .. }
        | AgentEvent::Warning { .. } => {}
        // Its turn, todos and the like are the main agent's business on screen.
        _ => return,
    }
    in_view(state, i, |state| super::agent::on_agent(state, ev, fx));
}

/// A sub-agent's approval: its cell waits, and the main modal opens (or queues) naming it.
fn approval(state: &mut State, i: usize, ev: AgentEvent, fx: &mut Vec<Effect>) {
    let view = &state.subagents[i];
    let Some(request) = super::agent::approval_request(ev, Some(format!("{}: {}", view.name, view.description))) else {
        return;
    };
    in_view(state, i, |state| super::agent::approval_requested(state, request, fx));
    state.activity = Activity::WaitingApproval;
}

/// Runs `f` with sub-agent `i`'s transcript standing in for the main one; what the main
/// screen shows (activity, turn state) is left as it was.
fn in_view(state: &mut State, i: usize, f: impl FnOnce(&mut State)) {
    let activity = state.activity.clone();
    let running = state.turn_running;
    std::mem::swap(&mut state.transcript, &mut state.subagents[i].transcript);
    std::mem::swap(&mut state.streamed_from, &mut state.subagents[i].streamed_from);
    f(state);
    std::mem::swap(&mut state.transcript, &mut state.subagents[i].transcript);
    std::mem::swap(&mut state.streamed_from, &mut state.subagents[i].streamed_from);
    state.activity = activity;
    state.turn_running = running;
}

/// `/agents`: the pane, the latest sub-agent selected.
pub(super) fn open(state: &mut State) {
    let selected = state.subagents.len().saturating_sub(1);
    state.overlays.push(Overlay::Agents(Box::new(AgentsPane { selected, open: false, scroll: 0 })));
}

pub(super) fn action(state: &mut State, action: Action) {
    let count = state.subagents.len();
    let Some(Overlay::Agents(pane)) = state.overlays.last_mut() else { return };
    match action {
        Action::AgentsClose if pane.open => {
            pane.open = false;
            pane.scroll = 0;
        }
        Action::AgentsClose => {
            state.overlays.pop();
        }
        Action::AgentsUp if pane.open => pane.scroll += 3,
        Action::AgentsDown if pane.open => pane.scroll = pane.scroll.saturating_sub(3),
        Action::AgentsUp => pane.selected = pane.selected.saturating_sub(1),
        Action::AgentsDown => pane.selected = (pane.selected + 1).min(count.saturating_sub(1)),
        Action::AgentsOpen if count > 0 => pane.open = true,
        _ => {}
    }
}
