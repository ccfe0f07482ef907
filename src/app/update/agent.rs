//! Agent events: the transcript, tool cells, usage, the turn state.

use super::*;
use crate::app::review::ReviewKind;

/// The streaming cell of `kind` at the end of the transcript, if the last cell is one.
pub(super) fn streaming_tail(state: &mut State, thinking: bool) -> Option<&mut Cell> {
    let cell = state.transcript.cells.last_mut()?;
    let streaming = match &cell.kind {
        CellKind::Assistant { streaming, .. } => !thinking && *streaming,
        CellKind::Thinking { streaming, .. } => thinking && *streaming,
        _ => false,
    };
    streaming.then_some(cell)
}

pub(super) fn finish_streaming(state: &mut State) {
    for cell in state.transcript.cells.iter_mut().rev().take(3) {
        match &mut cell.kind {
            CellKind::Assistant { streaming, .. } | CellKind::Thinking { streaming, .. } if *streaming => {
                *streaming = false;
                cell.version += 1;
            }
            _ => {}
        }
    }
}

/// Takes back what streamed of a model call that is being retried: its thinking and text
/// cells (the retry's notice says so).
fn discard_streaming(state: &mut State) {
    if let Some(from) = state.streamed_from.take() {
        let cells = &mut state.transcript.cells;
        let keep = (from..cells.len())
            .rev()
            .find(|&i| !matches!(cells[i].kind, CellKind::Assistant { .. } | CellKind::Thinking { .. }))
            .map_or(from, |i| i + 1);
        cells.truncate(keep);
        if state.transcript.selected.is_some_and(|i| i >= cells.len()) {
            state.transcript.selected = cells.len().checked_sub(1);
        }
    }
}

/// Appends streamed text to the answer (or thinking) cell being streamed, or starts one.
fn stream_into(state: &mut State, thinking: bool, text: String) {
    let text = crate::sanitize::visible_owned(text);
    match streaming_tail(state, thinking) {
        Some(cell) => {
            if let CellKind::Assistant { text: t, .. } | CellKind::Thinking { text: t, .. } = &mut cell.kind {
                t.push_str(&text);
            }
            cell.touch();
        }
        None => {
            finish_streaming(state);
            state.streamed_from.get_or_insert(state.transcript.cells.len());
            let kind = if thinking {
                CellKind::Thinking { text, streaming: true }
            } else {
                CellKind::Assistant { text, streaming: true }
            };
            state.transcript.push(kind);
        }
    }
}

/// The status line's facts from an agent's (or a replayed session's) start.
fn session_started(state: &mut State, ev: AgentEvent) {
    let AgentEvent::SessionStarted {
        session_id,
        session_file,
        model,
        provider,
        credential,
        cwd,
        permission_mode,
        sandbox,
        ..
    } = ev
    else {
        return;
    };
    let status = &mut state.status;
    if !sandbox.is_empty() {
        status.sandbox = sandbox;
    }
    if session_file.is_some() {
        status.session_file = session_file;
    }
    status.session_id = session_id;
    status.model = model;
    // A replayed session's start names no provider: the live agent's does.
    if !provider.is_empty() {
        status.provider = provider;
        status.credential = credential;
    }
    status.cwd = cwd;
    status.mode = permission_mode;
}

pub(super) fn on_agent(state: &mut State, ev: AgentEvent, fx: &mut Vec<Effect>) {
    match ev {
        ev @ AgentEvent::SessionStarted { .. } => session_started(state, ev),
        AgentEvent::TurnStarted { turn_id } => turn_started(state, turn_id),
        AgentEvent::TextDelta { text, .. } | AgentEvent::ThinkingDelta { text, .. } if text.is_empty() => {}
        AgentEvent::TextDelta { text, .. } => {
            state.activity = Activity::Streaming;
            stream_into(state, false, text);
        }
        AgentEvent::ThinkingDelta { text, .. } => {
            state.activity = Activity::Thinking;
            stream_into(state, true, text);
        }
        AgentEvent::AssistantMessage { .. } => {
            state.streamed_from = None;
            finish_streaming(state);
        }
        AgentEvent::AnswerDiscarded { .. } => discard_streaming(state),
        ev @ (AgentEvent::ToolCallStarted { .. }
        | AgentEvent::ToolProgress { .. }
        | AgentEvent::ApprovalRequested { .. }
        | AgentEvent::ToolCallFinished { .. }
        | AgentEvent::FileChanged { .. }) => on_tool(state, ev, fx),
        AgentEvent::TodosChanged { todos } => state.todos = todos,
        AgentEvent::Turns { turns } => super::review::turns_arrived(state, turns),
        AgentEvent::RestorePlan { plan } => super::review::plan_arrived(state, plan),
        AgentEvent::Restored { turn, files, conversation, report } => {
            super::review::restored(state, turn, files, conversation, report)
        }
        AgentEvent::Usage { request, session, session_cost_usd, context_tokens, context_window, .. } => {
            usage(state, request, session, session_cost_usd, (context_tokens, context_window))
        }
        AgentEvent::ModelChanged { model } => {
            flash(state, format!("model: {model}"));
            state.status.model = model;
        }
        AgentEvent::PermissionModeChanged { mode } => state.status.mode = mode,
        AgentEvent::Compacted { kept, .. } => {
            finish_streaming(state);
            notice(
                state,
                NoticeLevel::Info,
                format!(
                    "── compacted: the model now sees a summary of the conversation and the last {kept} messages; the session file keeps everything ──"
                ),
            );
        }
        AgentEvent::Renamed { title } => {
            flash(state, format!("session title: {title}"));
            state.status.title = Some(title);
        }
        AgentEvent::TurnFinished { outcome, .. } => turn_finished(state, outcome, fx),
        AgentEvent::Error { message, retrying_in_ms: Some(ms), .. } => {
            state.activity = Activity::Retrying { until_ms: state.now_ms + ms };
            notice(state, NoticeLevel::Warning, format!("{message} in {:.1}s", ms as f64 / 1000.0));
        }
        AgentEvent::Error { message, .. } => notice(state, NoticeLevel::Error, message),
        AgentEvent::Warning { message } => notice(state, NoticeLevel::Warning, message),
        // Only `-p --json-schema` runs have it; the interface has no StructuredOutput tool.
        AgentEvent::StructuredOutput { .. } => {}
        AgentEvent::UserMessage { message, status } => {
            let level = match status.as_str() {
                "warning" => NoticeLevel::Warning,
                "error" => NoticeLevel::Error,
                _ => NoticeLevel::Info,
            };
            notice(state, level, message);
        }
        ev @ (AgentEvent::SubagentStarted { .. }
        | AgentEvent::Subagent { .. }
        | AgentEvent::SubagentFinished { .. }) => super::agents::on_subagent(state, ev, fx),
    }
}

fn turn_started(state: &mut State, turn_id: u64) {
    // The prompt this turn answers: the first one not yet given a turn.
    let last_tagged = state.transcript.cells.iter().rposition(|c| c.turn.is_some()).map_or(0, |i| i + 1);
    if let Some(cell) = state.transcript.cells[last_tagged..]
        .iter_mut()
        .find(|c| matches!(c.kind, CellKind::User { .. }) && c.turn.is_none())
    {
        cell.turn = Some(turn_id);
    }
    state.turn_running = true;
    state.streamed_from = None;
    state.activity = Activity::Thinking;
    state.cost.turn_base = state.cost.session;
    state.cost.turn_base_cost = state.cost.session_cost;
    state.cost.turn = Default::default();
    state.cost.turn_cost = Some(0.0);
}

fn turn_finished(state: &mut State, outcome: TurnOutcome, fx: &mut Vec<Effect>) {
    finish_streaming(state);
    state.streamed_from = None;
    state.turn_running = false;
    state.last_outcome = Some(outcome);
    state.activity = Activity::Idle;
    if outcome == TurnOutcome::Interrupted {
        notice(state, NoticeLevel::Warning, "interrupted");
    }
    if state.bell && !state.focused {
        fx.push(Effect::Bell);
    }
    if let Some(next) = state.queued.pop_front() {
        send_prompt(state, next, fx);
    }
}

/// A tool call's life: started, output, waiting for approval, finished, the file it changed.
fn on_tool(state: &mut State, ev: AgentEvent, fx: &mut Vec<Effect>) {
    match ev {
        AgentEvent::ToolCallStarted { call_id, tool, input, summary } => {
            finish_streaming(state);
            state.activity = Activity::RunningTool(tool.clone());
            state.transcript.push(CellKind::Tool(ToolCell {
                call_id,
                tool,
                summary: visible(&summary).into_owned(),
                input,
                status: ToolStatus::Running { started_ms: state.now_ms },
                output: String::new(),
                result: None,
                diff: None,
            }));
        }
        AgentEvent::ToolProgress { call_id, chunk } => {
            if let Some(cell) = state.transcript.tool_mut(&call_id) {
                if let CellKind::Tool(t) = &mut cell.kind {
                    t.output.push_str(&visible(&chunk));
                    if t.output.len() > MAX_TOOL_OUTPUT {
                        let mut cut = t.output.len() - MAX_TOOL_OUTPUT;
                        while !t.output.is_char_boundary(cut) {
                            cut += 1;
                        }
                        t.output.drain(..cut);
                    }
                }
                cell.touch();
            }
        }
        ev @ AgentEvent::ApprovalRequested { .. } => {
            if let Some(request) = approval_request(ev, None) {
                approval_requested(state, request, fx);
            }
        }
        AgentEvent::ToolCallFinished { call_id, result, is_error, elapsed_ms, .. } => {
            tool_finished(state, call_id, result, is_error, elapsed_ms)
        }
        AgentEvent::FileChanged { diff, .. } => {
            let running = state
                .transcript
                .cells
                .iter_mut()
                .rev()
                .find(|c| matches!(&c.kind, CellKind::Tool(t) if !matches!(t.status, ToolStatus::Done { .. })));
            if let Some(cell) = running {
                if let CellKind::Tool(t) = &mut cell.kind {
                    t.diff = Some(visible(&diff).into_owned());
                }
                cell.touch();
            }
        }
        _ => {}
    }
}

/// What an `ApprovalRequested` event asks (`agent`: the sub-agent asking, if one is).
pub(super) fn approval_request(ev: AgentEvent, agent: Option<String>) -> Option<ApprovalRequest> {
    let AgentEvent::ApprovalRequested { call_id, tool, summary, reason, preview, session_rule } = ev else {
        return None;
    };
    let summary = visible(&summary).into_owned();
    Some(ApprovalRequest { agent, call_id, tool, summary, reason, preview, session_rule })
}

/// The call waits: its cell says so, and the approval opens (or queues behind the open one).
pub(super) fn approval_requested(state: &mut State, request: ApprovalRequest, fx: &mut Vec<Effect>) {
    if let Some(cell) = state.transcript.tool_mut(&request.call_id) {
        if let CellKind::Tool(t) = &mut cell.kind {
            let started_ms = match t.status {
                ToolStatus::Running { started_ms } => started_ms,
                _ => state.now_ms,
            };
            t.status = ToolStatus::Waiting { started_ms };
        }
        cell.touch();
    }
    state.activity = Activity::WaitingApproval;
    if super::review::approval_open(state) {
        state.approval_queue.push_back(request);
    } else {
        super::review::open_request(state, request, fx);
    }
}

fn tool_finished(state: &mut State, call_id: String, result: String, is_error: bool, elapsed_ms: u64) {
    if let Some(cell) = state.transcript.tool_mut(&call_id) {
        if let CellKind::Tool(t) = &mut cell.kind {
            t.status = ToolStatus::Done { is_error, elapsed_ms };
            t.result = Some(visible(&result).into_owned());
        }
        cell.touch();
    }
    // A call that ended while its approval waited (an interrupt) drops the modal.
    state.overlays.retain(|o| match o {
        Overlay::Approval(m) => m.request.call_id != call_id,
        Overlay::Review(r) => !matches!(&r.kind, ReviewKind::Edit(req) if req.call_id == call_id),
        _ => true,
    });
    state.approval_queue.retain(|r| r.call_id != call_id);
    state.activity = Activity::Thinking;
}

/// Usage after a request: the meter's session, turn and context figures.
fn usage(
    state: &mut State,
    request: crate::provider::Usage,
    session: crate::provider::Usage,
    session_cost: Option<f64>,
    (context_tokens, context_window): (u64, u64),
) {
    let c = &mut state.cost;
    c.last_request = request;
    c.session = session;
    c.session_cost = session_cost;
    c.turn = crate::provider::Usage {
        input_tokens: session.input_tokens.saturating_sub(c.turn_base.input_tokens),
        output_tokens: session.output_tokens.saturating_sub(c.turn_base.output_tokens),
        cache_creation_input_tokens: session
            .cache_creation_input_tokens
            .saturating_sub(c.turn_base.cache_creation_input_tokens),
        cache_read_input_tokens: session.cache_read_input_tokens.saturating_sub(c.turn_base.cache_read_input_tokens),
    };
    c.turn_cost = match (session_cost, c.turn_base_cost) {
        (Some(s), Some(b)) => Some(s - b),
        _ => None,
    };
    c.context_tokens = context_tokens;
    c.context_window = context_window;
    if matches!(state.activity, Activity::Retrying { .. }) {
        state.activity = Activity::Streaming;
    }
}
