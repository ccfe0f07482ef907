//! Rebuilding the conversation the model sees from a session file.
//!
//! Messages are taken in order; a `compaction` record replaces what came before with its
//! summary and the last `kept` messages, exactly as the agent did when it compacted. A file
//! that ends in the middle of a tool round (the process died while a tool ran) is repaired:
//! calls without a result get one saying the session ended before they finished, so the
//! history can be sent to the model again.

use crate::provider::{ContentBlock, Message, Role};

use super::Record;

/// The text the agent uses to hand a summary to the model after compaction.
pub fn summary_message(summary: &str) -> Message {
    Message::user_text(format!(
        "This conversation was compacted to save context. Summary of everything before this point:\n\n{summary}"
    ))
}

/// Merges consecutive messages of the same role (the API wants them alternating).
pub fn normalize(messages: Vec<Message>) -> Vec<Message> {
    let mut out: Vec<Message> = Vec::with_capacity(messages.len());
    for m in messages {
        match out.last_mut() {
            Some(last) if last.role == m.role => last.content.extend(m.content),
            _ => out.push(m),
        }
    }
    out
}

/// The history to continue from.
pub fn history(records: &[Record]) -> Vec<Message> {
    history_and_marks(records).0
}

/// Where a turn began: what rewinding the conversation to before it goes back to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mark {
    pub turn: u64,
    /// Messages of the history before the turn.
    pub at: usize,
    /// The task list before the turn.
    pub todos: Vec<crate::tools::Todo>,
}

/// The history to continue from, and where each turn since the last compaction began in it:
/// what a later rewind of the conversation truncates to. A `restore` of the conversation cuts
/// the history back to where its turn began.
pub fn history_and_marks(records: &[Record]) -> (Vec<Message>, Vec<Mark>) {
    let mut messages: Vec<Message> = Vec::new();
    let mut raw_marks: Vec<Mark> = Vec::new();
    let mut todos = Vec::new();
    for r in records {
        match r {
            Record::Message { message, .. } => messages.push(message.clone()),
            Record::Todos { todos: t, .. } => todos = t.clone(),
            Record::Compaction { summary, kept, .. } => {
                let tail = messages.split_off(messages.len().saturating_sub(*kept));
                messages = vec![summary_message(summary)];
                messages.extend(tail);
                raw_marks.clear();
            }
            Record::Turn { turn, .. } => raw_marks.push(Mark { turn: *turn, at: messages.len(), todos: todos.clone() }),
            Record::Restore { turn, conversation: true, .. } => {
                if let Some(m) = raw_marks.iter().find(|m| m.turn == *turn) {
                    messages.truncate(m.at);
                }
                raw_marks.retain(|m| m.turn < *turn);
            }
            _ => {}
        }
    }
    // Marks count raw messages; the history merges neighbours of the same role.
    let mut group_of = Vec::with_capacity(messages.len());
    let mut groups = 0usize;
    let mut prev = None;
    for m in &messages {
        if prev != Some(m.role) {
            groups += 1;
            prev = Some(m.role);
        }
        group_of.push(groups - 1);
    }
    let marks =
        raw_marks.into_iter().map(|m| Mark { at: group_of.get(m.at).copied().unwrap_or(groups), ..m }).collect();
    (repair(normalize(messages)), marks)
}

/// Gives every tool call at the end of a history a result, so it can be sent again.
pub fn repair(mut messages: Vec<Message>) -> Vec<Message> {
    // Every tool_use needs a tool_result in the next message.
    if let Some(last) = messages.last()
        && last.role == Role::Assistant
    {
        let missing: Vec<ContentBlock> = last
            .tool_uses()
            .map(|(id, _, _)| ContentBlock::ToolResult {
                tool_use_id: id.to_string(),
                content: "Not finished: the session ended before this call completed.".into(),
                is_error: true,
                images: Vec::new(),
            })
            .collect();
        if !missing.is_empty() {
            messages.push(Message { role: Role::User, content: missing });
        }
    }
    messages
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn msg(m: Message) -> Record {
        Record::message(m)
    }

    #[test]
    fn compaction_and_repair() {
        let assistant_tool = Message {
            role: Role::Assistant,
            content: vec![ContentBlock::ToolUse {
                id: "t1".into(),
                name: "bash".into(),
                input: json!({"command": "ls"}),
            }],
        };
        let records = vec![
            msg(Message::user_text("one")),
            msg(Message { role: Role::Assistant, content: vec![ContentBlock::Text { text: "a".into() }] }),
            msg(Message::user_text("two")),
            msg(Message { role: Role::Assistant, content: vec![ContentBlock::Text { text: "b".into() }] }),
            Record::Compaction { ts: chrono::Utc::now(), summary: "we did one and two".into(), focus: None, kept: 1 },
            msg(Message::user_text("three")),
            msg(assistant_tool),
        ];
        let h = history(&records);
        let roles: Vec<Role> = h.iter().map(|m| m.role).collect();
        assert_eq!(roles, [Role::User, Role::Assistant, Role::User, Role::Assistant, Role::User]);
        assert!(h[0].text().contains("we did one and two"));
        assert_eq!(h[1].text(), "b");
        assert!(
            matches!(&h[4].content[0], ContentBlock::ToolResult { tool_use_id, is_error: true, .. } if tool_use_id == "t1")
        );
    }
}
