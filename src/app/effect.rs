//! What `update` asks the runtime to do. Results come back as [`super::event::Event`]s.

use crate::agent::Op;

#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Send an op to the agent.
    Agent(Op),
    /// Find the session `/resume ID` names.
    FindSession(String),
    /// Put text on the clipboard (system clipboard, or OSC 52 without a display).
    Copy(String),
    /// Open `$EDITOR` on the prompt.
    OpenEditor(String),
    /// Open `$EDITOR` on the instruction file of a scope (`/memory`).
    EditMemory(crate::agent::prompt::MemoryScope),
    /// Log in (`/login`): the terminal is handed to the login's prompt and given back after
    /// (answered with `Event::LoggedIn`).
    Login,
    /// Connect to an MCP server again (its status arrives as `Event::Mcp`).
    McpReconnect(String),
    /// Read the end of an MCP server's log (answered with `Event::McpLog`).
    ReadMcpLog {
        name: String,
        path: std::path::PathBuf,
    },
    /// Append an allow rule to the project config.
    PersistRule(String),
    /// Stop the process (Ctrl+Z); the terminal is restored first and set up again after.
    Suspend,
    /// Replace the agent: a new conversation, the demo, or a saved session (answered with
    /// `Event::AgentPrepared` carrying the same generation).
    StartAgent {
        generation: u64,
        start: super::slot::Start,
    },
    /// Start the agent prepared for `generation` (unless a newer start has begun).
    InstallAgent {
        generation: u64,
        built: super::slot::Handoff<super::slot::Built>,
    },
    /// Read the settings again after `changed` changed (answered with `Event::Reloaded`).
    Reload {
        changed: Vec<std::path::PathBuf>,
    },
    /// Read the list of saved sessions, of this project or of all (answered with
    /// `Event::Sessions`).
    ListSessions {
        all: bool,
    },
    /// Read the end of a saved conversation (answered with `Event::Preview`).
    LoadPreview(std::path::PathBuf),
    /// Give a saved session a title.
    RenameSession {
        path: std::path::PathBuf,
        title: String,
    },
    /// Copy a session into a new one (answered with `Event::Forked`).
    Fork(std::path::PathBuf),
    /// Write a saved session as Markdown into the working directory.
    ExportFile(std::path::PathBuf),
    /// Say what the session in this file is: id, title, file, size, messages (answered with
    /// `Event::Notice`).
    DescribeSession(std::path::PathBuf),
    /// Load every available theme (answered with `Event::Themes`).
    ListThemes,
    /// Describe the effective settings and their sources (answered with `Event::Notice`).
    ShowConfig,
    /// Move a saved session to the trash.
    DeleteSession(std::path::PathBuf),
    /// Write the session in `session` as Markdown or JSON to a file (`None`: a default name
    /// in the working directory).
    Export {
        session: std::path::PathBuf,
        path: Option<String>,
        json: bool,
    },
    /// List the changed files for /diff (answered with `Event::Changes`).
    LoadChanges {
        scope: super::changes::Scope,
    },
    /// Compute one file's diff for /diff (answered with `Event::FileDiff`).
    LoadFileDiff {
        scope: super::changes::Scope,
        file: super::changes::ChangedFile,
    },
    /// Diff a large proposal in the background (answered with `Event::DiffReady`).
    ComputeDiff {
        id: String,
        path: String,
        old: Option<String>,
        new: String,
    },
    /// Remember in the user's config whether the folder at `root` is trusted (answered with
    /// `Event::TrustRemembered`).
    RememberTrust {
        root: std::path::PathBuf,
        trusted: bool,
    },
    /// Ring the terminal's bell (a turn ended while the terminal was not focused).
    Bell,
    Quit,
}
