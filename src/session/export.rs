//! Exporting a session as Markdown or JSON.

use serde_json::json;

use super::Record;
use super::index::Summary;
use crate::provider::{ContentBlock, Role};

/// The session as a Markdown document: a heading, then each message; tool calls as their
/// arguments and results in code blocks. Thinking is left out (it is the model's scratch pad).
pub fn markdown(summary: &Summary, records: &[Record]) -> String {
    let mut out = format!("# {}\n\n", summary.display_title());
    let created = summary.created.map(|c| c.format("%Y-%m-%d %H:%M UTC").to_string()).unwrap_or_default();
    out.push_str(&format!(
        "Session `{}` · {created} · {} · `{}`{}\n\n",
        summary.id,
        summary.model,
        summary.cwd.display(),
        summary.branch.as_ref().map(|b| format!(" ({b})")).unwrap_or_default()
    ));
    for r in records {
        match r {
            Record::Message { message, .. } => out.push_str(&message_md(message, "##")),
            Record::Subagent { name, description, file, .. } => {
                out.push_str(&format!("### Sub-agent `{name}`: {description}\n\n"));
                let child = file.as_deref().and_then(|f| super::read_records(f).ok()).map(|r| r.0).unwrap_or_default();
                if child.is_empty() {
                    out.push_str("*Its transcript is no longer there.*\n\n");
                }
                for r in &child {
                    if let Record::Message { message, .. } = r {
                        out.push_str(&message_md(message, "####"));
                    }
                }
                out.push_str("*End of the sub-agent's transcript.*\n\n");
            }
            Record::Compaction { summary, .. } => {
                out.push_str(&format!(
                    "---\n\n*The conversation was compacted here. Summary:*\n\n{}\n\n---\n\n",
                    summary.trim_end()
                ));
            }
            // The file keeps what was rewound; the export says where the rewind happened.
            Record::Restore { turn, files, conversation, .. } => {
                let what = match (files, conversation) {
                    (true, true) => "The files and the conversation went back",
                    (false, true) => "The conversation went back",
                    _ => "The files went back",
                };
                let after = if *conversation { "; the conversation continues from there" } else { "" };
                out.push_str(&format!("---\n\n*{what} to before turn {turn} here{after}.*\n\n---\n\n"));
            }
            _ => {}
        }
    }
    let cost = if summary.cost_known { format!("${:.4}", summary.cost_usd) } else { "unknown".into() };
    out.push_str(&format!("---\n\n{} messages · cost {cost}\n", summary.messages));
    out
}

/// One message as Markdown under a heading of `level`: its text and tool calls, then its tool
/// results.
fn message_md(message: &crate::provider::Message, level: &str) -> String {
    let mut text_parts = Vec::new();
    let mut results = Vec::new();
    for block in &message.content {
        match block {
            ContentBlock::Text { text } => text_parts.push(text.trim_end().to_string()),
            ContentBlock::ToolUse { name, input, .. } => {
                let args = serde_json::to_string_pretty(input).unwrap_or_default();
                text_parts.push(format!("**Tool call: `{name}`**\n\n```json\n{args}\n```"));
            }
            ContentBlock::ToolResult { content, is_error, .. } => {
                let label = if *is_error { "Tool error" } else { "Tool result" };
                results.push(format!("**{label}**\n\n```\n{}\n```", content.trim_end()));
            }
            ContentBlock::Thinking { .. } | ContentBlock::RedactedThinking { .. } => {}
        }
    }
    let mut out = String::new();
    if !text_parts.is_empty() {
        let who = if message.role == Role::User { "You" } else { "claw-tui" };
        out.push_str(&format!("{level} {who}\n\n{}\n\n", text_parts.join("\n\n")));
    }
    for r in results {
        out.push_str(&r);
        out.push_str("\n\n");
    }
    out
}

/// The session as one JSON object: its summary and every record (a sub-agent's records under
/// `subagents`, by id).
pub fn json(summary: &Summary, records: &[Record]) -> serde_json::Value {
    let subagents: serde_json::Map<String, serde_json::Value> = records
        .iter()
        .filter_map(|r| match r {
            Record::Subagent { agent_id, file: Some(file), .. } => {
                let child = super::read_records(file).map(|r| r.0).unwrap_or_default();
                Some((agent_id.clone(), json!(child)))
            }
            _ => None,
        })
        .collect();
    let mut out = json!({
        "id": summary.id,
        "title": summary.display_title(),
        "created": summary.created,
        "updated": summary.updated,
        "cwd": summary.cwd,
        "branch": summary.branch,
        "model": summary.model,
        "messages": summary.messages,
        "cost_usd": if summary.cost_known { Some(summary.cost_usd) } else { None },
        "forked_from": summary.forked_from,
        "records": records,
    });
    if !subagents.is_empty() {
        out["subagents"] = serde_json::Value::Object(subagents);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::Message;

    #[test]
    fn a_rewind_is_marked_where_it_happened() {
        let records = vec![
            Record::message(Message::user_text("first")),
            Record::Restore { ts: chrono::Utc::now(), turn: 2, files: false, conversation: true },
            Record::message(Message::user_text("again")),
        ];
        let md = markdown(&Summary::new("s", std::path::Path::new("s.jsonl")), &records);
        let (before, after) = md.split_once("*The conversation went back to before turn 2 here").expect(&md);
        assert!(before.contains("first") && after.contains("again"), "{md}");
    }
}
