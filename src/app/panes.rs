//! The state of the panes that list things (the MCP servers, the sub-agents) and of the trust
//! question: kept apart from `state.rs`, which holds the rest of the interface's state.

use std::path::PathBuf;

use super::state::Transcript;
use crate::agent::TurnOutcome;

/// The /mcp pane: which server is selected, and the log shown instead of the list.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct McpPane {
    pub selected: usize,
    /// A server's name and the end of its log.
    pub log: Option<(String, Vec<String>)>,
}

/// The /agents pane: which sub-agent is selected, and whether its transcript is open (and how
/// far up it is scrolled, in lines from the end).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AgentsPane {
    pub selected: usize,
    pub open: bool,
    pub scroll: usize,
}

/// A sub-agent as the interface follows it.
#[derive(Debug)]
pub struct SubagentView {
    pub id: String,
    /// The `Agent` call of the main agent it answers.
    pub call_id: String,
    /// Its type.
    pub name: String,
    pub description: String,
    pub model: String,
    pub started_ms: u64,
    /// How it ended and how long it took.
    pub ended: Option<(TurnOutcome, u64)>,
    /// The tool it runs now.
    pub tool: Option<String>,
    pub tokens: u64,
    pub cost: Option<f64>,
    /// What it did, cell by cell (what /agents shows).
    pub transcript: Transcript,
    pub streamed_from: Option<usize>,
}

/// The trust question: the folder, and exactly what its files want.
#[derive(Debug, Clone, PartialEq)]
pub struct TrustQuestion {
    pub root: PathBuf,
    pub withheld: Vec<crate::config::trust::Withheld>,
}
