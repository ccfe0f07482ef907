//! Answering approvals, and the queue behind the one on screen.

use super::*;
use crate::app::review::ReviewKind;

pub(super) fn approval_action(state: &mut State, action: Action, fx: &mut Vec<Effect>) {
    let Some(Overlay::Approval(modal)) = state.overlays.last_mut() else { return };
    let choice = match action {
        Action::ChoicePrev => {
            modal.choice = (modal.choice + APPROVAL_CHOICES - 1) % APPROVAL_CHOICES;
            return;
        }
        Action::ChoiceNext => {
            modal.choice = (modal.choice + 1) % APPROVAL_CHOICES;
            return;
        }
        Action::Choose => modal.choice,
        Action::AllowOnce => 0,
        Action::AllowSession => 1,
        Action::AllowAlways => 2,
        Action::Deny => 3,
        Action::DenyWithNote => 4,
        _ => return,
    };
    match choice {
        0 => decide(state, Decision::AllowOnce, None, fx),
        1 => decide(state, Decision::AllowSession, None, fx),
        2 => {
            let rule = modal.request.session_rule.clone();
            decide(state, Decision::AllowSession, Some(rule), fx)
        }
        3 => decide(state, Decision::Deny { feedback: None }, None, fx),
        _ => {
            let mut note = TextArea::default();
            note.set_placeholder_text("what should the model do instead?");
            modal.note = Some(note);
            modal.choice = 4;
        }
    }
}

/// Answers the approval on screen and shows the next one. `persist` is a rule to save to the
/// project config ("always allow").
pub(super) fn decide(state: &mut State, decision: Decision, persist: Option<String>, fx: &mut Vec<Effect>) {
    let Some(pos) = state.overlays.iter().rposition(|o| match o {
        Overlay::Approval(_) => true,
        Overlay::Review(r) => matches!(r.kind, ReviewKind::Edit(_)),
        _ => false,
    }) else {
        return;
    };
    let request = match state.overlays.remove(pos) {
        Overlay::Approval(modal) => modal.request,
        Overlay::Review(review) => match review.kind {
            ReviewKind::Edit(request) => request,
            ReviewKind::Restore { .. } => return,
        },
        _ => return,
    };
    let call_id = request.call_id.clone();
    let allowed = !matches!(decision, Decision::Deny { .. });
    if let Some(cell) = state.transcript.tool_mut(&call_id)
        && let CellKind::Tool(t) = &mut cell.kind
        && let ToolStatus::Waiting { started_ms } = t.status
    {
        t.status = ToolStatus::Running { started_ms };
        cell.touch();
    }
    fx.push(Effect::Agent(Op::Approval { call_id, decision }));
    if let Some(rule) = persist {
        fx.push(Effect::PersistRule(rule));
    }
    if let Some(next) = state.approval_queue.pop_front() {
        super::review::open_request(state, next, fx);
    } else {
        state.activity = if allowed { Activity::RunningTool(request.tool) } else { Activity::Thinking };
    }
}
