//! Undo and rewind: files back to their checkpoints, the conversation back to before a turn.
//!
//! The UI asks for the list of turns ([`Op::ListTurns`]), then for a plan ([`Op::PlanRestore`]:
//! per file, what is on disk and what it would go back to, and whether someone else changed it
//! since), shows it, and confirms with [`Op::Restore`]. Nothing is written before that.

use serde::Serialize;

use super::{Agent, AgentEvent};
use crate::session::Record;
use crate::tools::text::looks_binary;

/// A turn that can be rewound to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TurnInfo {
    pub turn: u64,
    pub prompt: String,
    /// Files the turn changed (as shown).
    pub files: Vec<String>,
    /// Whether the conversation can go back to before it (not when compacted since).
    pub conversation: bool,
}

/// One file of a restore plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RestoreFile {
    pub path: String,
    /// The text on disk now (`None`: no file, or not text when `binary`).
    pub current: Option<String>,
    /// What it goes back to (`None`: it did not exist; it is deleted).
    pub target: Option<String>,
    pub binary: bool,
    /// Changed by someone else after the agent's last write.
    pub conflict: bool,
}

/// What a restore would do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RestorePlan {
    pub turn: u64,
    pub prompt: String,
    pub files: bool,
    pub conversation: bool,
    pub changes: Vec<RestoreFile>,
}

impl Agent {
    pub(crate) fn list_turns(&self) {
        let cp = self.env.checkpoints.lock().expect("checkpoints lock");
        let turns = cp
            .turns()
            .iter()
            .map(|t| TurnInfo {
                turn: t.turn,
                prompt: t.prompt.clone(),
                files: cp.files_of(t.turn).iter().map(|p| self.env.workspace.display(p)).collect(),
                conversation: self.marks.iter().any(|m| m.turn == t.turn),
            })
            .collect();
        drop(cp);
        self.emit(AgentEvent::Turns { turns });
    }

    /// `turn: None` is /undo: the last turn that changed files.
    pub(crate) fn plan_restore(&self, turn: Option<u64>, files: bool, conversation: bool) {
        let cp = self.env.checkpoints.lock().expect("checkpoints lock");
        let Some(turn) = turn.or_else(|| cp.last_changed_turn()) else {
            drop(cp);
            self.emit(AgentEvent::Warning { message: "nothing to undo: no file was changed in this session".into() });
            return;
        };
        if conversation && !self.marks.iter().any(|m| m.turn == turn) {
            drop(cp);
            self.emit(AgentEvent::Warning {
                message: format!(
                    "the conversation cannot go back to before turn {turn}: it was compacted since (files still can)"
                ),
            });
            return;
        }
        let changes = if files {
            match cp.plan_restore(turn) {
                Ok(plan) => plan
                    .into_iter()
                    .map(|f| {
                        let binary = matches!(&f.current, Some(Err(_)))
                            || f.target.as_deref().is_some_and(|t| looks_binary(t.as_bytes()));
                        RestoreFile {
                            path: self.env.workspace.display(&f.path),
                            current: f.current.and_then(Result::ok),
                            target: f.target,
                            binary,
                            conflict: f.conflict,
                        }
                    })
                    .collect(),
                Err(e) => {
                    drop(cp);
                    self.emit(AgentEvent::Warning { message: format!("cannot plan the restore: {e}") });
                    return;
                }
            }
        } else {
            Vec::new()
        };
        let prompt = cp.turns().iter().find(|t| t.turn == turn).map(|t| t.prompt.clone()).unwrap_or_default();
        drop(cp);
        self.emit(AgentEvent::RestorePlan { plan: RestorePlan { turn, prompt, files, conversation, changes } });
    }

    pub(crate) fn restore(&mut self, turn: u64, files: bool, conversation: bool, force: bool) {
        let mut report = Vec::new();
        if files {
            let result = self.env.checkpoints.lock().expect("checkpoints lock").restore(turn, force);
            match result {
                Ok(done) => {
                    // The model's picture of every restored file is stale now.
                    for (path, _) in &done {
                        self.env.mark_stale(path);
                    }
                    report.extend(
                        done.into_iter().map(|(path, what)| format!("{}: {what}", self.env.workspace.display(&path))),
                    );
                }
                Err(e) => {
                    self.emit(AgentEvent::Warning { message: format!("restore failed: {e}") });
                    return;
                }
            }
        }
        let mut rewound = false;
        if conversation && let Some(mark) = self.marks.iter().find(|m| m.turn == turn).cloned() {
            self.history.truncate(mark.at);
            self.history = crate::session::replay::repair(std::mem::take(&mut self.history));
            self.marks.retain(|m| m.turn < turn);
            // The task list goes back too.
            *self.env.todos.lock().expect("todos lock") = mark.todos.clone();
            self.record(Record::Todos { ts: chrono::Utc::now(), todos: mark.todos.clone() });
            self.emit(AgentEvent::TodosChanged { todos: mark.todos });
            rewound = true;
        }
        if rewound {
            self.env.checkpoints.lock().expect("checkpoints lock").forget_from(turn, false, true);
        }
        self.record(Record::Restore { ts: chrono::Utc::now(), turn, files, conversation: rewound });
        self.emit(AgentEvent::Restored { turn, files, conversation: rewound, report });
    }
}
