//! The TUI's state: everything `render` draws and `update` changes.
//!
//! Time is a field ([`State::now_ms`], milliseconds since start) set by the runtime before each
//! event, so `update` stays pure and tests control the clock.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::path::PathBuf;
use std::rc::Rc;

use ratatui::text::Line;
use ratatui_textarea::TextArea;
use serde_json::Value;

use super::keymap::{Context, Key, Keymap};
use crate::agent::TurnOutcome;
use crate::permission::PermissionMode;
use crate::provider::Usage;
use crate::tools::{Preview, Todo};
use crate::ui::theme::Theme;

/// How a tool call is doing.
#[derive(Debug, Clone, PartialEq)]
pub enum ToolStatus {
    Running { started_ms: u64 },
    Waiting { started_ms: u64 },
    Done { is_error: bool, elapsed_ms: u64 },
}

#[derive(Debug, Clone, PartialEq)]
pub struct ToolCell {
    pub call_id: String,
    pub tool: String,
    pub summary: String,
    pub input: Value,
    pub status: ToolStatus,
    /// Streamed output (bash), sanitized, capped at [`MAX_TOOL_OUTPUT`] (the tail is kept).
    pub output: String,
    pub result: Option<String>,
    /// The change a file tool made, as a unified diff.
    pub diff: Option<String>,
}

/// Most streamed output kept per tool cell.
pub const MAX_TOOL_OUTPUT: usize = 256 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeLevel {
    Info,
    Warning,
    Error,
}

#[derive(Debug, Clone, PartialEq)]
pub enum CellKind {
    User {
        text: String,
    },
    Assistant {
        text: String,
        streaming: bool,
    },
    Thinking {
        text: String,
        streaming: bool,
    },
    Tool(ToolCell),
    Notice {
        level: NoticeLevel,
        text: String,
    },
    /// First run without credentials: how to set up, and the demo.
    Welcome,
}

/// Laid-out lines of a cell for one width, valid while the cell's version is unchanged.
#[derive(Debug, Default)]
pub struct LayoutCache {
    pub width: u16,
    pub version: u64,
    pub epoch: u64,
    pub lines: Rc<Vec<Line<'static>>>,
}

/// One entry of the transcript.
#[derive(Debug)]
pub struct Cell {
    pub kind: CellKind,
    /// For a prompt: the agent's number of its turn (what /rewind names).
    pub turn: Option<u64>,
    pub expanded: bool,
    /// Bumped on every change; layout caches compare it.
    pub version: u64,
    pub layout: RefCell<LayoutCache>,
    /// How far a streaming answer has been laid out.
    pub stream: RefCell<crate::ui::stream::Stream>,
}

impl Cell {
    pub fn new(kind: CellKind) -> Cell {
        Cell { kind, turn: None, expanded: false, version: 1, layout: RefCell::default(), stream: RefCell::default() }
    }

    pub fn touch(&mut self) {
        self.version += 1;
    }

    /// Whether the cell's look depends on the clock (a spinner, a running timer).
    pub fn is_live(&self) -> bool {
        matches!(&self.kind, CellKind::Tool(t) if !matches!(t.status, ToolStatus::Done { .. }))
    }
}

/// Where the transcript's viewport is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scroll {
    /// Pinned to the end, following new output.
    Follow,
    /// The top of the viewport is line `line` of cell `cell`.
    At { cell: usize, line: usize },
}

#[derive(Debug)]
pub struct Transcript {
    pub cells: Vec<Cell>,
    pub scroll: Scroll,
    /// The selected cell, when the transcript has focus.
    pub selected: Option<usize>,
}

impl Transcript {
    pub fn push(&mut self, kind: CellKind) -> usize {
        self.cells.push(Cell::new(kind));
        self.cells.len() - 1
    }

    /// The tool cell for `call_id`, newest first.
    pub fn tool_mut(&mut self, call_id: &str) -> Option<&mut Cell> {
        self.cells.iter_mut().rev().find(|c| matches!(&c.kind, CellKind::Tool(t) if t.call_id == call_id))
    }

    /// The text of the last assistant answer.
    pub fn last_answer(&self) -> Option<&str> {
        self.cells.iter().rev().find_map(|c| match &c.kind {
            CellKind::Assistant { text, .. } if !text.trim().is_empty() => Some(text.as_str()),
            _ => None,
        })
    }
}

/// The prompt editor and its history.
pub struct Composer {
    pub textarea: TextArea<'static>,
    pub history: Vec<String>,
    /// Position while walking the history; `None` when editing a fresh prompt.
    pub history_index: Option<usize>,
    /// The fresh prompt, kept while walking the history.
    pub draft: String,
    /// The highlighted entry of the slash-command popup.
    pub completion: usize,
    /// Vim keymaps: whether the composer is in normal mode (else insert mode).
    pub vim_normal: bool,
    /// Vim: the count typed before a command, and a first key waiting for its second (`d`, `g`).
    pub vim_count: usize,
    pub vim_pending: Option<char>,
}

impl Composer {
    pub fn text(&self) -> String {
        self.textarea.lines().join("\n")
    }

    pub fn is_empty(&self) -> bool {
        self.textarea.lines().iter().all(|l| l.is_empty())
    }
}

/// An approval the agent waits for.
#[derive(Debug, Clone, PartialEq)]
pub struct ApprovalRequest {
    /// The sub-agent asking (`type: description`); `None` for the main agent.
    pub agent: Option<String>,
    pub call_id: String,
    pub tool: String,
    pub summary: String,
    pub reason: String,
    pub preview: Option<Preview>,
    pub session_rule: String,
}

/// The choices of the approval modal, in order.
pub const APPROVAL_CHOICES: usize = 5;

pub struct ApprovalModal {
    pub request: ApprovalRequest,
    pub choice: usize,
    /// Set while the person types a note to go with a denial.
    pub note: Option<TextArea<'static>>,
}

/// What a picker entry does when chosen.
#[derive(Debug, Clone, PartialEq)]
pub enum PickerAction {
    /// Run a slash command line (the palette and completion).
    Command(String),
    /// Put a command in the composer for its arguments (a custom command that takes some).
    Compose(String),
    /// Edit the instruction file of a scope in `$EDITOR` (`/memory`).
    Memory(crate::agent::prompt::MemoryScope),
    /// Run a key action.
    Action(super::keymap::Action),
    SetModel(String),
    SetMode(PermissionMode),
    /// Use the theme at this index of the picker's themes.
    SetTheme(usize),
    /// /rewind picked a turn; what can go back (its files, the conversation).
    Rewind {
        turn: u64,
        files: bool,
        conversation: bool,
    },
    /// /rewind: plan going back to before `turn`.
    RewindTo {
        turn: u64,
        files: bool,
        conversation: bool,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct PickerItem {
    pub label: String,
    pub detail: String,
    /// The key that does the same, for the palette's right column.
    pub key: String,
    pub action: PickerAction,
}

/// A filterable list: the command palette, the model and mode pickers.
pub struct Picker {
    pub title: String,
    pub query: String,
    pub items: Vec<PickerItem>,
    /// Indexes into `items` that match the query, best first.
    pub filtered: Vec<usize>,
    pub selected: usize,
    /// For the theme picker: the themes offered (`SetTheme` indexes them) and the theme to
    /// put back when the picker is closed without choosing.
    pub themes: Vec<Theme>,
    pub restore_theme: Option<Theme>,
}

/// How the session browser orders its list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionSort {
    Updated,
    Created,
    Cost,
}

impl SessionSort {
    pub fn label(self) -> &'static str {
        match self {
            SessionSort::Updated => "last update",
            SessionSort::Created => "creation",
            SessionSort::Cost => "cost",
        }
    }
}

/// What the session browser is doing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BrowserMode {
    List,
    /// Typing a new title for the highlighted session.
    Rename(String),
    /// Waiting for a yes to delete the highlighted session.
    ConfirmDelete,
}

/// The session browser: saved sessions, filtered, sorted, with a preview.
pub struct Browser {
    pub sessions: Vec<crate::session::index::Summary>,
    pub all_projects: bool,
    pub query: String,
    /// Indexes into `sessions` that match the query, in display order.
    pub filtered: Vec<usize>,
    pub selected: usize,
    pub sort: SessionSort,
    /// The end of the highlighted conversation: (session file, lines).
    pub preview: Option<(PathBuf, Vec<String>)>,
    pub mode: BrowserMode,
    /// Whether the list has arrived.
    pub loaded: bool,
}

impl Browser {
    /// An empty browser over this project's sessions, or every project's; the
    /// list arrives later.
    pub fn new(all_projects: bool) -> Self {
        Browser {
            sessions: Vec::new(),
            all_projects,
            query: String::new(),
            filtered: Vec::new(),
            selected: 0,
            sort: SessionSort::Updated,
            preview: None,
            mode: BrowserMode::List,
            loaded: false,
        }
    }

    pub fn highlighted(&self) -> Option<&crate::session::index::Summary> {
        self.filtered.get(self.selected).map(|&i| &self.sessions[i])
    }
}

/// The modal stack. The top gets keys first; drawing goes bottom up.
pub enum Overlay {
    Approval(Box<ApprovalModal>),
    Picker(Box<Picker>),
    Sessions(Box<Browser>),
    Help {
        scroll: u16,
    },
    /// `/keymap test`: shows what each pressed key does; esc closes.
    KeyTester {
        last: Option<String>,
    },
    /// A proposed edit reviewed hunk by hunk, or what /undo and /rewind would restore.
    Review(Box<super::review::Review>),
    /// `/diff`: the changed files as a tree, the selected file's diff beside it.
    Diff(Box<super::changes::DiffViewer>),
    /// The first start in a folder whose own files want settings that widen what claw-tui
    /// does: trust it or not.
    Trust(Box<TrustQuestion>),
    /// `/mcp`: the MCP servers, their status, tools and last error; a server's log.
    Mcp(Box<McpPane>),
    /// `/agents`: the sub-agents of this session and the agent types; a sub-agent's
    /// transcript.
    Agents(Box<AgentsPane>),
}

pub use super::panes::{AgentsPane, McpPane, SubagentView, TrustQuestion};

impl Overlay {
    pub fn context(&self) -> Context {
        match self {
            Overlay::Approval(_) => Context::Approval,
            Overlay::Picker(_) => Context::Palette,
            Overlay::Sessions(_) => Context::Sessions,
            Overlay::Help { .. } | Overlay::KeyTester { .. } => Context::Help,
            Overlay::Review(_) | Overlay::Diff(_) => Context::Diff,
            Overlay::Trust(_) => Context::Trust,
            Overlay::Mcp(_) => Context::Mcp,
            Overlay::Agents(_) => Context::Agents,
        }
    }
}

/// What the agent is doing, for the status bar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Activity {
    Idle,
    Thinking,
    Streaming,
    RunningTool(String),
    WaitingApproval,
    Retrying {
        until_ms: u64,
    },
    /// A new agent is being prepared (/clear, /demo, /resume).
    Starting,
}

/// Tokens and money. Costs are `None` once a model with an unknown price was used.
#[derive(Debug, Clone, PartialEq)]
pub struct CostMeter {
    pub last_request: Usage,
    pub turn: Usage,
    pub turn_cost: Option<f64>,
    pub session: Usage,
    pub session_cost: Option<f64>,
    /// Session totals when the current turn started.
    pub turn_base: Usage,
    pub turn_base_cost: Option<f64>,
    pub context_tokens: u64,
    pub context_window: u64,
}

impl Default for CostMeter {
    fn default() -> Self {
        CostMeter {
            last_request: Default::default(),
            turn: Default::default(),
            turn_cost: Some(0.0),
            session: Default::default(),
            session_cost: Some(0.0),
            turn_base: Default::default(),
            turn_base_cost: Some(0.0),
            context_tokens: 0,
            context_window: 0,
        }
    }
}

/// Facts for the status bar.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StatusInfo {
    pub model: String,
    /// The provider the agent talks to ("anthropic", "ollama").
    pub provider: String,
    /// Which credential it uses ("API key", "claw-tui login").
    pub credential: String,
    pub cwd: PathBuf,
    pub branch: Option<String>,
    pub mode: PermissionMode,
    pub session_id: String,
    pub session_file: Option<PathBuf>,
    pub title: Option<String>,
    /// What commands may do once they run, in a line.
    pub sandbox: String,
}

/// Which part of the screen gets keys when no modal is open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    Composer,
    Transcript,
}

pub struct State {
    pub now_ms: u64,
    pub size: (u16, u16),
    pub theme: Theme,
    pub keymap: Keymap,
    /// Keys of an unfinished chord.
    pub pending_keys: Vec<Key>,
    /// Bumped when the theme or anything else that changes every cell's look changes.
    pub layout_epoch: u64,
    pub transcript: Transcript,
    pub composer: Composer,
    pub focus: Focus,
    pub overlays: Vec<Overlay>,
    /// Approval requests behind the one on screen.
    pub approval_queue: VecDeque<ApprovalRequest>,
    /// Prompts typed while the agent works, sent in order after the turn.
    pub queued: VecDeque<String>,
    pub turn_running: bool,
    /// Where the answer of the model call streaming now starts in the transcript (its first
    /// thinking or text cell), until the call's message is complete: what a retry takes back.
    pub streamed_from: Option<usize>,
    pub last_outcome: Option<TurnOutcome>,
    pub activity: Activity,
    pub status: StatusInfo,
    pub cost: CostMeter,
    pub todos: Vec<Todo>,
    pub show_todos: bool,
    pub show_sidebar: bool,
    /// Terminals at least this wide get the side column.
    pub sidebar_min_width: u16,
    /// Whether the terminal has focus (from focus events; assumed until told otherwise).
    pub focused: bool,
    /// Ring the bell when a turn ends while the terminal is not focused.
    pub bell: bool,
    /// Models offered by /model.
    pub models: Vec<String>,
    /// A short message in the status bar that fades (text, until).
    pub flash: Option<(String, u64)>,
    /// How diffs are drawn (unified or side by side, wrapping, whitespace), kept between
    /// reviews.
    pub diff_view: super::review::DiffView,
    /// The settings in use, for hot reload to compare with.
    pub settings: crate::config::Effective,
    /// Problems already told (each once, until its file changes again).
    pub reported: std::collections::BTreeSet<crate::config::Problem>,
    /// The latest agent start asked for; an agent prepared for an older one is not used.
    pub agent_generation: u64,
    /// The folder's settings that did not apply because it is not trusted (for /trust).
    pub untrusted: Option<TrustQuestion>,
    /// The MCP servers as they stand (status bar, /mcp).
    pub mcp: Vec<crate::mcp::ServerView>,
    /// Custom commands and skills of the agent in use (completion, palette, /skills).
    pub extensions: std::sync::Arc<crate::extend::Extensions>,
    /// The hooks of the agent in use, for /hooks.
    pub hooks: Vec<crate::extend::hooks::Hook>,
    /// The sub-agents of this session, oldest first.
    pub subagents: Vec<SubagentView>,
    pub quit: bool,
}

impl State {
    pub fn new(theme: Theme, keymap: Keymap) -> State {
        let mut textarea = TextArea::default();
        textarea.set_placeholder_text("Ask anything · / for commands");
        State {
            now_ms: 0,
            size: (80, 24),
            theme,
            keymap,
            pending_keys: Vec::new(),
            layout_epoch: 1,
            transcript: Transcript { cells: Vec::new(), scroll: Scroll::Follow, selected: None },
            composer: Composer {
                textarea,
                history: Vec::new(),
                history_index: None,
                draft: String::new(),
                completion: 0,
                vim_normal: false,
                vim_count: 0,
                vim_pending: None,
            },
            focus: Focus::Composer,
            overlays: Vec::new(),
            approval_queue: VecDeque::new(),
            queued: VecDeque::new(),
            turn_running: false,
            streamed_from: None,
            last_outcome: None,
            activity: Activity::Idle,
            status: StatusInfo::default(),
            cost: CostMeter::default(),
            todos: Vec::new(),
            show_todos: true,
            show_sidebar: true,
            sidebar_min_width: crate::ui::SIDEBAR_MIN_WIDTH,
            focused: true,
            bell: true,
            models: crate::provider::pricing::MODELS.iter().map(|m| m.prefix.to_string()).collect(),
            flash: None,
            diff_view: super::review::DiffView::new(),
            settings: crate::config::Effective::defaults(),
            reported: Default::default(),
            agent_generation: 0,
            untrusted: None,
            mcp: Vec::new(),
            extensions: Default::default(),
            hooks: Vec::new(),
            subagents: Vec::new(),
            quit: false,
        }
    }

    /// The state at start-up, from the settings read then.
    pub fn from_setup(settings: &super::settings::InterfaceSettings) -> State {
        let e = &settings.effective;
        let mut state = State::new(settings.theme.clone(), settings.keymap.clone());
        if !e.models.value.is_empty() {
            state.models = e.models.value.clone();
        }
        state.show_todos = e.ui.show_todos.value;
        state.show_sidebar = e.ui.show_sidebar.value;
        state.sidebar_min_width = e.ui.sidebar_min_width.value;
        state.diff_view = super::review::DiffView {
            side_by_side: e.ui.diff_side_by_side.value,
            wrap: e.ui.diff_wrap.value,
            ..super::review::DiffView::new()
        };
        state.bell = e.ui.bell.value;
        state.settings = e.clone();
        state
    }

    /// Key contexts, highest priority first.
    pub fn contexts(&self) -> Vec<Context> {
        match self.overlays.last() {
            Some(o) => vec![o.context()],
            None => match self.focus {
                Focus::Composer => vec![Context::Composer, Context::Global],
                Focus::Transcript => vec![Context::Transcript, Context::Global],
            },
        }
    }

    /// Whether something on screen moves with time (spinners, timers).
    pub fn is_animating(&self) -> bool {
        self.turn_running
            || matches!(self.activity, Activity::Retrying { .. })
            || self.flash.is_some()
            || self.transcript.cells.iter().rev().take(8).any(Cell::is_live)
    }
}
