//! Everything that can happen, on one bus.

use crossterm::event::{KeyEvent, MouseEvent};

use crate::agent::AgentEvent;

#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    Key(KeyEvent),
    /// A bracketed paste: kept whole, never taken as keys.
    Paste(String),
    Mouse(MouseEvent),
    Resize(u16, u16),
    /// The terminal gained (true) or lost (false) focus.
    Focus(bool),
    Agent(AgentEvent),
    /// Animation clock (only while something moves).
    Tick,
    /// The external editor closed: the new prompt text, or why it failed.
    EditorDone(Result<String, String>),
    /// `/memory`'s file was edited (or why not).
    MemoryEdited(Result<std::path::PathBuf, String>),
    /// `/login` finished: where the login is kept, or why it failed.
    LoggedIn(Result<std::path::PathBuf, String>),
    /// A copy finished: how it was copied, or why it failed.
    Copied(Result<String, String>),
    /// A background job finished (a rule saved, a session exported): what happened, or why it
    /// failed.
    Report(Result<String, String>),
    /// The themes available (name, theme, built-in?), for the theme picker.
    Themes(Vec<(String, crate::ui::theme::Theme, bool)>),
    /// Watched settings files changed on disk (hot reload).
    FilesChanged(Vec<std::path::PathBuf>),
    /// The settings read again after `changed` changed: `update` compares them with the ones
    /// in use and applies what changed.
    Reloaded {
        settings: Box<super::settings::InterfaceSettings>,
        changed: Vec<std::path::PathBuf>,
    },
    /// Problems found in settings files (at start-up); each is reported once.
    Problems(Vec<crate::config::Problem>),
    /// Something to tell the person, as a transcript notice.
    Notice(String),
    /// The saved sessions (of this project, or of all with `all`), for the session browser.
    Sessions {
        list: Vec<crate::session::index::Summary>,
        all: bool,
    },
    /// The end of a saved conversation, for the browser's preview.
    Preview {
        path: std::path::PathBuf,
        lines: Vec<String>,
    },
    /// An agent asked for by `Effect::StartAgent` is ready to install (or could not be
    /// built). `generation` says which request this answers; older ones are ignored.
    AgentPrepared {
        generation: u64,
        start: super::slot::Start,
        result: Result<Box<super::slot::Prepared>, String>,
    },
    /// A fork finished: the new session's file, or why it failed.
    Forked(Result<std::path::PathBuf, String>),
    /// `/resume ID` found the session's file (or why not).
    SessionFound(Result<std::path::PathBuf, String>),
    /// A saved session was renamed or deleted: what happened, or why it failed.
    SessionsChanged(Result<String, String>),
    /// Run a slash command (`claw-tui --resume` without an id opens the browser this way).
    Command(String),
    /// The MCP servers as they stand now (each change of status or tools).
    Mcp(Vec<crate::mcp::ServerView>),
    /// The end of an MCP server's log, for the /mcp pane.
    McpLog {
        name: String,
        lines: Vec<String>,
    },
    /// Send a prompt as if typed (the demo's opening prompt).
    SubmitPrompt(String),
    /// Files in the workspace changed on disk (debounced; ignored trees left out).
    WorkspaceChanged(Vec<std::path::PathBuf>),
    /// The changed files for /diff, and whether the workspace is a git repository.
    Changes {
        scope: super::changes::Scope,
        git: bool,
        result: Result<Vec<super::changes::ChangedFile>, String>,
    },
    /// The diff of one file for /diff, computed in the background.
    FileDiff {
        scope: super::changes::Scope,
        path: String,
        file: Box<super::review::DiffFile>,
    },
    /// The diff of a large proposal (the approval `id`), computed in the background.
    DiffReady {
        id: String,
        file: Box<super::review::DiffFile>,
    },
    /// The answer to the trust question was saved (or could not be).
    TrustRemembered {
        trusted: bool,
        result: Result<String, String>,
    },
    /// SIGTERM or SIGHUP.
    Terminate,
}

impl Event {
    /// How soon what this event changes must be on screen: what the person did at once, more
    /// of a stream at the paced frame rate, the rest within a frame.
    pub fn urgency(&self) -> super::frame::Urgency {
        use super::frame::Urgency;
        match self {
            Event::Key(_) | Event::Paste(_) => Urgency::Input,
            // The animation clock too: a spinner a frame late is not seen.
            Event::Tick
            | Event::Agent(
                AgentEvent::TextDelta { .. } | AgentEvent::ThinkingDelta { .. } | AgentEvent::ToolProgress { .. },
            ) => Urgency::Stream,
            // What a sub-agent does shows in the side column and its own transcript: at the
            // stream's pace, but its question at once.
            Event::Agent(AgentEvent::Subagent { event, .. }) => match **event {
                AgentEvent::ApprovalRequested { .. } => Urgency::Change,
                _ => Urgency::Stream,
            },
            _ => Urgency::Change,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::frame::Urgency;

    /// Eight sub-agents streaming must not draw eight times the frames: what they do waits for
    /// the stream's pace, except a question for the person.
    #[test]
    fn sub_agents_draw_at_the_stream_pace_but_ask_at_once() {
        let sub = |event: AgentEvent| {
            Event::Agent(AgentEvent::Subagent { agent_id: "agent-1".into(), event: Box::new(event) })
        };
        let text = sub(AgentEvent::TextDelta { turn_id: 1, text: "x".into() });
        assert_eq!(text.urgency(), Urgency::Stream);
        let warn = sub(AgentEvent::Warning { message: "w".into() });
        assert_eq!(warn.urgency(), Urgency::Stream);
        let ask = sub(AgentEvent::ApprovalRequested {
            call_id: "agent-1/t".into(),
            tool: "bash".into(),
            summary: String::new(),
            reason: String::new(),
            preview: None,
            session_rule: String::new(),
        });
        assert_eq!(ask.urgency(), Urgency::Change);
    }
}
