//! The turn loop: request → stream → tool calls → approvals → results → repeat.

use std::path::PathBuf;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::calls::Call;
use super::{Agent, AgentEvent, TurnOutcome, millis};
use crate::provider::{
    Completion, ContentBlock, ErrorKind, Message, ModelRequest, ProviderError, Role, StopReason, StreamEvent, Usage,
};
use crate::session::Record;

/// Reminders and invalid answers a `--json-schema` run allows before it fails.
const MAX_STRUCTURED_MISSES: u32 = 5;

/// Largest attachment read into a prompt.
const MAX_ATTACHMENT_CHARS: usize = 100_000;

pub(crate) enum StreamEnd {
    Done(Completion),
    Failed(ProviderError),
    Interrupted,
}

/// What one model call streamed so far (across its retries: a retry starts it afresh).
#[derive(Default)]
pub(crate) struct Attempt {
    pub(crate) text: String,
    pub(crate) usage: Option<Usage>,
    retries: u32,
    /// Whether deltas went to the front end (and must be taken back on a retry).
    shown: bool,
    show_text: bool,
}

impl Agent {
    pub(crate) fn record(&mut self, record: Record) {
        if let Err(e) = self.config.session.append(&record)
            && !self.session_warned
        {
            self.session_warned = true;
            self.emit(AgentEvent::Warning { message: format!("this session cannot be saved: {e}") });
        }
        if let Some(notice) = self.config.session.take_notice() {
            self.emit(AgentEvent::Warning { message: notice });
        }
    }

    /// Makes the session durable; at a turn's end, before it is reported done.
    pub(crate) fn sync_session(&mut self) {
        if let Err(e) = self.config.session.sync()
            && !self.session_warned
        {
            self.session_warned = true;
            self.emit(AgentEvent::Warning { message: format!("this session cannot be saved: {e}") });
        }
    }

    pub(crate) fn push_message(&mut self, message: Message) {
        self.record(Record::message(message.clone()));
        // Two user messages in a row (a prompt after an interrupted tool round) become one.
        if message.role == Role::User
            && let Some(last) = self.history.last_mut()
            && last.role == Role::User
        {
            last.content.extend(message.content);
            return;
        }
        self.history.push(message);
    }

    fn user_message(&self, text: String, attachments: Vec<PathBuf>) -> Message {
        let mut content = vec![ContentBlock::Text { text }];
        for path in attachments {
            let shown = path.display().to_string();
            let block = match std::fs::read(&path) {
                Ok(bytes) if crate::tools::text::looks_binary(&bytes) => {
                    format!("[attachment {shown}: binary file, not included]")
                }
                Ok(bytes) => crate::tools::text::attached(
                    "file",
                    &format!("path=\"{shown}\""),
                    &String::from_utf8_lossy(&bytes),
                    MAX_ATTACHMENT_CHARS,
                ),
                Err(e) => format!("[attachment {shown}: cannot be read: {e}]"),
            };
            content.push(ContentBlock::Text { text: block });
        }
        Message { role: Role::User, content }
    }

    fn emit_usage(&self, request: &Usage, model: &str) {
        let mut session = self.totals;
        session.add(request);
        let request_cost = self.config.prices.cost(model, request);
        let session_cost = match (self.total_cost, request_cost) {
            (Some(total), Some(req)) => Some(total + req),
            _ => None,
        };
        self.emit(AgentEvent::Usage {
            request: *request,
            session,
            request_cost_usd: request_cost,
            session_cost_usd: session_cost,
            context_tokens: request.context_tokens() + request.output_tokens,
            context_window: self.config.prices.context_window(model),
        });
    }

    pub(crate) fn commit_usage(&mut self, usage: &Usage, model: &str) {
        self.emit_usage(usage, model);
        self.last_context = (usage.context_tokens() + usage.output_tokens, self.config.prices.context_window(model));
        self.totals.add(usage);
        let cost = self.config.prices.cost(model, usage);
        self.total_cost = match (self.total_cost, cost) {
            (Some(t), Some(c)) => Some(t + c),
            _ => None,
        };
        self.record(Record::usage(model, *usage, cost));
    }

    /// Runs one user turn to its end.
    pub(crate) async fn run_turn(
        &mut self,
        text: String,
        attachments: Vec<PathBuf>,
        cancel: CancellationToken,
    ) -> TurnOutcome {
        self.turn_seq += 1;
        let turn_id = self.turn_seq;
        self.emit(AgentEvent::TurnStarted { turn_id });
        let shown = text.clone();
        let prepared = match self.prepare(turn_id, text, &cancel).await {
            Ok(prepared) => prepared,
            Err(message) => {
                self.emit(AgentEvent::Error { kind: ErrorKind::Other, message, retrying_in_ms: None });
                self.emit(AgentEvent::TurnFinished { turn_id, outcome: TurnOutcome::Error });
                return TurnOutcome::Error;
            }
        };
        let crate::agent::extend::Prepared { text, extra, attachments: more, model: turn_model, rules } = prepared;
        self.turn_model = turn_model;
        let model = self.model();
        self.env.set_context_window(self.config.prices.context_window(&model));
        self.env.checkpoints.lock().expect("checkpoints lock").begin_turn(turn_id, &shown);
        self.record(Record::Turn { ts: chrono::Utc::now(), turn: turn_id, prompt: shown });
        let todos = self.env.todos.lock().expect("todos lock").clone();
        self.marks.push(crate::session::replay::Mark { turn: turn_id, at: self.history.len(), todos });
        let mut message = self.user_message(text, attachments.into_iter().chain(more).collect());
        message.content.extend(extra.into_iter().map(|text| ContentBlock::Text { text }));
        self.push_message(message);
        let outcome = self.turn_loop(turn_id, &cancel).await;
        // A custom command's model and rules held for its turn alone.
        self.turn_model = None;
        self.live.lock().expect("live lock").policy.allow.retain(|r| !rules.contains(r));
        self.sync_session();
        self.emit(AgentEvent::TurnFinished { turn_id, outcome });
        outcome
    }

    /// A run that must answer with StructuredOutput and is ending without it: the model is
    /// reminded (`EndTurn`: go on), or after a few reminders the turn fails.
    fn structured_missing(&mut self) -> Option<TurnOutcome> {
        if !self.config.structured || self.structured.is_some() {
            return None;
        }
        self.structured_misses += 1;
        if self.structured_misses >= MAX_STRUCTURED_MISSES {
            return Some(self.structured_failed());
        }
        let text = "You ended without calling StructuredOutput. This run's answer must be given by calling StructuredOutput with an object matching its schema: do that now."
            .to_string();
        self.push_message(Message { role: Role::User, content: vec![ContentBlock::Text { text }] });
        Some(TurnOutcome::EndTurn)
    }

    fn structured_failed(&mut self) -> TurnOutcome {
        let message = format!(
            "the model gave no output matching --json-schema after {MAX_STRUCTURED_MISSES} tries (see the tool results)"
        );
        self.last_error = Some(message.clone());
        self.emit(AgentEvent::Error { kind: ErrorKind::Other, message, retrying_in_ms: None });
        TurnOutcome::Error
    }

    /// The model of the next request: a custom command's, or the session's.
    fn model(&self) -> String {
        self.turn_model.clone().unwrap_or_else(|| self.live.lock().expect("live lock").model.clone())
    }

    pub(super) async fn turn_loop(&mut self, turn_id: u64, cancel: &CancellationToken) -> TurnOutcome {
        let mut iteration = 0;
        let mut stop_hook_active = false;
        loop {
            if iteration >= self.config.max_iterations {
                self.emit(AgentEvent::Error {
                    kind: ErrorKind::IterationLimit,
                    message: format!(
                        "stopped after {} model calls in one turn (the iteration limit; raise it with --max-turns or max_iterations in the config)",
                        self.config.max_iterations
                    ),
                    retrying_in_ms: None,
                });
                return TurnOutcome::MaxIterations;
            }
            iteration += 1;
            if self.should_compact() {
                self.pre_compact("auto", None, cancel).await;
                let outcome = self.compact(turn_id, None, cancel).await;
                if outcome == TurnOutcome::Interrupted {
                    return outcome;
                }
            }
            let model = self.model();
            let request = ModelRequest {
                model: model.clone(),
                system: self.config.system.clone(),
                messages: self.history.clone(),
                tools: self.registry.request_specs(self.config.prices.context_window(&model)),
                max_tokens: self.config.max_tokens,
                thinking: self.config.thinking,
            };
            let (end, attempt) = self.stream_once(turn_id, &request, cancel, true).await;
            if !matches!(end, StreamEnd::Done(_))
                && let Some(usage) = attempt.usage
            {
                // A cut-off answer was still paid for, up to where it stopped.
                self.commit_usage(&usage, &model);
            }
            let completion = match end {
                StreamEnd::Done(c) => c,
                StreamEnd::Failed(error) => {
                    self.keep_partial(attempt.text);
                    let mut message = error.to_string();
                    match attempt.retries {
                        0 => {}
                        1 => message.push_str(" (gave up after retrying once)"),
                        n => message.push_str(&format!(" (gave up after {n} retries)")),
                    }
                    self.last_error = Some(message.clone());
                    self.emit(AgentEvent::Error { kind: error.kind(), message, retrying_in_ms: None });
                    return TurnOutcome::Error;
                }
                StreamEnd::Interrupted => {
                    self.keep_partial(attempt.text);
                    return TurnOutcome::Interrupted;
                }
            };
            self.commit_usage(&completion.usage, &model);
            let has_content = !completion.message.content.is_empty();
            if has_content {
                self.emit(AgentEvent::AssistantMessage { turn_id, message: completion.message.clone() });
                self.push_message(completion.message.clone());
            }
            let calls: Vec<Call> = completion
                .message
                .tool_uses()
                .map(|(id, name, input)| Call {
                    id: id.to_string(),
                    name: name.to_string(),
                    input: input.clone(),
                    invalid: completion
                        .invalid_tool_inputs
                        .iter()
                        .find(|(bad, _, _)| bad == id)
                        .map(|(_, raw, err)| (raw.clone(), err.clone())),
                })
                .collect();
            if calls.is_empty() {
                match completion.stop_reason {
                    StopReason::PauseTurn if has_content => continue,
                    StopReason::MaxTokens => return TurnOutcome::MaxTokens,
                    StopReason::StopSequence => return TurnOutcome::StopSequence,
                    StopReason::Refusal => return TurnOutcome::Refusal,
                    _ => {}
                }
                if let Some(outcome) = self.structured_missing() {
                    match outcome {
                        TurnOutcome::EndTurn => continue,
                        other => return other,
                    }
                }
                // A Stop hook may send the model back to work, saying why.
                match self.stop_hook(stop_hook_active, cancel).await {
                    Some(reason) if !cancel.is_cancelled() => {
                        stop_hook_active = true;
                        let text = format!("<stop-hook>\nA Stop hook asks you to go on: {reason}\n</stop-hook>");
                        self.push_message(Message { role: Role::User, content: vec![ContentBlock::Text { text }] });
                        continue;
                    }
                    _ => return TurnOutcome::EndTurn,
                }
            }
            let results = self.run_calls(calls, cancel).await;
            self.push_message(Message { role: Role::User, content: results });
            if self.structured_misses >= MAX_STRUCTURED_MISSES {
                return self.structured_failed();
            }
            if cancel.is_cancelled() {
                return TurnOutcome::Interrupted;
            }
        }
    }

    /// Text that streamed before a failure or an interrupt stays in the history, so the model
    /// knows what the user saw.
    fn keep_partial(&mut self, text: String) {
        if !text.trim().is_empty() {
            self.push_message(Message {
                role: Role::Assistant,
                content: vec![ContentBlock::Text { text: text.trim_end().to_string() }],
            });
        }
    }

    /// One model call, forwarding deltas as events. Returns how it ended, and what the last
    /// attempt streamed (its text, the last usage reported) and how many retries it took.
    pub(crate) async fn stream_once(
        &mut self,
        turn_id: u64,
        request: &ModelRequest,
        cancel: &CancellationToken,
        show_text: bool,
    ) -> (StreamEnd, Attempt) {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let provider = self.provider.clone();
        let call = provider.stream(request, tx);
        tokio::pin!(call);
        let mut attempt = Attempt { show_text, ..Attempt::default() };
        let mut rx_open = true;
        let end = loop {
            tokio::select! {
                biased;
                _ = cancel.cancelled() => break StreamEnd::Interrupted,
                ev = rx.recv(), if rx_open => match ev {
                    Some(ev) => self.forward(turn_id, ev, &mut attempt, &request.model),
                    None => rx_open = false,
                },
                result = &mut call => {
                    while let Ok(ev) = rx.try_recv() {
                        self.forward(turn_id, ev, &mut attempt, &request.model);
                    }
                    break match result {
                        Ok(c) => StreamEnd::Done(c),
                        Err(e) => StreamEnd::Failed(e),
                    };
                }
            }
        };
        (end, attempt)
    }

    fn forward(&mut self, turn_id: u64, ev: StreamEvent, attempt: &mut Attempt, model: &str) {
        match ev {
            StreamEvent::TextDelta { text: t, .. } => {
                attempt.text.push_str(&t);
                if attempt.show_text {
                    attempt.shown = true;
                    self.emit(AgentEvent::TextDelta { turn_id, text: t });
                }
            }
            StreamEvent::ThinkingDelta { text: t, .. } => {
                if attempt.show_text {
                    attempt.shown = true;
                    self.emit(AgentEvent::ThinkingDelta { turn_id, text: t })
                }
            }
            StreamEvent::ToolUseStarted { .. } | StreamEvent::ToolInputDelta { .. } => {}
            StreamEvent::Usage(u) => {
                attempt.usage = Some(u);
                self.emit_usage(&u, model);
            }
            StreamEvent::Retrying { attempt: n, max_retries, delay, error } => {
                attempt.retries = n;
                // A call that broke after it started was paid for up to where it stopped.
                if let Some(usage) = attempt.usage.take() {
                    self.commit_usage(&usage, model);
                }
                attempt.text.clear();
                let discarded = std::mem::take(&mut attempt.shown);
                if discarded {
                    self.emit(AgentEvent::AnswerDiscarded { turn_id });
                }
                let what = if discarded { "; the partial answer was discarded" } else { "" };
                self.emit(AgentEvent::Error {
                    kind: error.kind(),
                    message: format!("{error}{what}; retrying ({n}/{max_retries})"),
                    retrying_in_ms: Some(millis(delay)),
                });
            }
        }
    }
}
