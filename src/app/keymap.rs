//! Keys become [`Action`]s before `update` sees them.
//!
//! [`ACTIONS`] is the one table of actions: name, context, description. Keymap files bind
//! keys to those names per context (`[composer] submit = "enter"`); unknown contexts, actions
//! and keys are errors, and so are two actions on one key in one context. A binding may be a
//! chord (`"ctrl+x t"`): [`Keymap::resolve`] answers Pending until the chord completes.
//! The help overlay, the palette and the status hints all read this table and the keymap, so
//! they cannot drift from what the keys do. Reading keymap files is
//! [`crate::config::keymap`]'s job; this module resolves keys.

use std::collections::BTreeMap;
use std::fmt;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// Defines every context once: its variant and its name in keymap files.
macro_rules! contexts {
    ($( $ctx:ident $name:literal ),* $(,)?) => {
        /// Where a binding applies.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Context {
            $( $ctx ),*
        }

        impl Context {
            /// Every context, in the order help lists them.
            pub const ALL: &[Context] = &[ $( Context::$ctx ),* ];

            /// The context's name in keymap files (`[composer]`).
            pub fn name(self) -> &'static str {
                match self {
                    $( Context::$ctx => $name ),*
                }
            }
        }
    };
}

contexts! {
    Global "global",
    Composer "composer",
    Transcript "transcript",
    Approval "approval",
    Palette "palette",
    Sessions "sessions",
    Help "help",
    Diff "diff",
    Trust "trust",
    Mcp "mcp",
    Agents "agents",
}

/// One row of the action table.
pub struct ActionInfo {
    pub action: Action,
    pub name: &'static str,
    pub context: Context,
    pub description: &'static str,
}

/// Defines every action once: its variant, its name in keymap files, its context and what it
/// does. The enum and [`ACTIONS`] both come from this one list, so they cannot drift.
macro_rules! actions {
    ($( $action:ident $name:literal $context:ident $desc:literal ),* $(,)?) => {
        /// Everything a key can do.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Action {
            $( $action ),*
        }

        /// Every action: its name in keymap files, its context and what it does.
        pub const ACTIONS: &[ActionInfo] = &[
            $( ActionInfo { action: Action::$action, name: $name, context: Context::$context, description: $desc } ),*
        ];
    };
}

actions! {
    Quit "quit" Global "Quit claw-tui",
    Cancel "cancel" Global "Interrupt the turn, else clear the prompt, else quit",
    OpenPalette "palette" Global "Open the command palette",
    Help "help" Global "Show the keys of the active keymap",
    ToggleTodos "toggle_todos" Global "Show or hide the todo list",
    ToggleSidebar "toggle_sidebar" Global "Show or hide the side column",
    CycleMode "cycle_mode" Global "Switch the permission mode",
    ScrollUp "scroll_up" Global "Scroll the transcript up a page",
    ScrollDown "scroll_down" Global "Scroll the transcript down a page",
    ScrollTop "scroll_top" Global "Scroll to the start of the transcript",
    ScrollBottom "scroll_bottom" Global "Scroll to the end and follow new output",
    CopyLastAnswer "copy_last_answer" Global "Copy the last answer",
    Suspend "suspend" Global "Suspend claw-tui (fg to resume)",
    Submit "submit" Composer "Send the prompt",
    Newline "newline" Composer "Insert a newline",
    Interrupt "interrupt" Composer "Interrupt the running turn",
    HistoryPrev "history_prev" Composer "Previous prompt (on the first line)",
    HistoryNext "history_next" Composer "Next prompt (on the last line)",
    OpenEditor "open_editor" Composer "Edit the prompt in $EDITOR",
    FocusTranscript "focus_transcript" Composer "Select messages in the transcript",
    SelectPrev "select_prev" Transcript "Select the previous message",
    SelectNext "select_next" Transcript "Select the next message",
    SelectFirst "select_first" Transcript "Select the first message",
    SelectLast "select_last" Transcript "Select the last message",
    ToggleExpand "toggle_expand" Transcript "Expand or collapse thinking and tool output",
    CopyMessage "copy_message" Transcript "Copy the selected message",
    CopyCode "copy_code" Transcript "Copy the code blocks of the selected message",
    FocusComposer "focus_composer" Transcript "Back to the prompt",
    AllowOnce "allow_once" Approval "Allow this call once",
    AllowSession "allow_session" Approval "Allow calls like this for the session",
    AllowAlways "allow_always" Approval "Always allow (saved as a project rule)",
    Deny "deny" Approval "Deny the call",
    DenyWithNote "deny_with_note" Approval "Deny and tell the model why",
    ChoicePrev "choice_prev" Approval "Previous choice",
    ChoiceNext "choice_next" Approval "Next choice",
    Choose "choose" Approval "Take the highlighted choice",
    PaletteUp "up" Palette "Previous entry",
    PaletteDown "down" Palette "Next entry",
    PaletteRun "run" Palette "Run the entry",
    PaletteClose "close" Palette "Close the palette",
    CloseHelp "close" Help "Close help",
    HelpUp "scroll_up" Help "Scroll help up",
    HelpDown "scroll_down" Help "Scroll help down",
    SessionUp "up" Sessions "Previous session",
    SessionDown "down" Sessions "Next session",
    SessionResume "resume" Sessions "Resume the highlighted session",
    SessionRename "rename" Sessions "Rename it",
    SessionFork "fork" Sessions "Fork it: a new session starting from a copy",
    SessionExport "export" Sessions "Export it as Markdown to the working directory",
    SessionDelete "delete" Sessions "Delete it (moved to the trash, after a confirmation)",
    SessionToggleAll "toggle_all" Sessions "Show this project's sessions or all projects'",
    SessionSort "sort" Sessions "Sort by last update, creation or cost",
    SessionClose "close" Sessions "Close the browser",
    DiffUp "up" Diff "Scroll the diff up (in /diff's tree: previous file)",
    DiffDown "down" Diff "Scroll the diff down (in /diff's tree: next file)",
    DiffPageUp "page_up" Diff "Scroll the diff up a page",
    DiffPageDown "page_down" Diff "Scroll the diff down a page",
    DiffTop "top" Diff "Go to the start of the diff",
    DiffBottom "bottom" Diff "Go to the end of the diff",
    DiffScrollLeft "scroll_left" Diff "Scroll long lines left (when not wrapping; in /diff's tree: close the folder)",
    DiffScrollRight "scroll_right" Diff "Scroll long lines right (when not wrapping; in /diff's tree: open the folder)",
    DiffNextHunk "next_hunk" Diff "Next hunk",
    DiffPrevHunk "prev_hunk" Diff "Previous hunk",
    DiffNextFile "next_file" Diff "Next file",
    DiffPrevFile "prev_file" Diff "Previous file",
    DiffToggleHunk "toggle_hunk" Diff "Accept or reject the current hunk",
    DiffAcceptAll "accept_all" Diff "Accept every hunk",
    DiffRejectAll "reject_all" Diff "Reject every hunk",
    DiffApply "apply" Diff "Apply the accepted hunks (or confirm a restore)",
    DiffAllowSession "allow_session" Diff "Apply the whole edit and stop asking for this tool's edits this session",
    DiffNote "note" Diff "Write a note for the model to go with the answer",
    DiffClose "close" Diff "Reject the edit, cancel the restore, or close /diff",
    DiffSideBySide "side_by_side" Diff "Switch between unified and side-by-side",
    DiffWrap "wrap" Diff "Wrap long lines or scroll them sideways",
    DiffWhitespace "whitespace" Diff "Hide or show whitespace-only changes",
    DiffScope "scope" Diff "In /diff: all changes in the working tree, or this session's",
    DiffFocus "focus" Diff "In /diff: move between the file tree and the diff",
    TrustFolder "trust" Trust "Trust this folder: its own settings apply (remembered)",
    DistrustFolder "distrust" Trust "Do not trust it: its settings stay ignored (remembered)",
    TrustLater "later" Trust "Decide later: ignore its settings this time and ask again next time",
    McpUp "up" Mcp "Previous server",
    McpDown "down" Mcp "Next server",
    McpReconnect "reconnect" Mcp "Connect to the server again",
    McpLog "log" Mcp "Show the server's log (again: back to the list)",
    McpClose "close" Mcp "Close the MCP pane",
    AgentsUp "up" Agents "Previous sub-agent (in a transcript: scroll up)",
    AgentsDown "down" Agents "Next sub-agent (in a transcript: scroll down)",
    AgentsOpen "open" Agents "Open the sub-agent's transcript",
    AgentsClose "close" Agents "Back to the list, or close the pane",
}

impl Action {
    pub fn info(self) -> &'static ActionInfo {
        ACTIONS.iter().find(|a| a.action == self).expect("every action is in the table")
    }
}

/// One key with its modifiers, normalized: a character key never carries SHIFT (the
/// character says it), and BackTab is Tab with SHIFT.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    pub code: KeyCode,
    pub mods: KeyModifiers,
}

impl Key {
    pub fn new(code: KeyCode, mods: KeyModifiers) -> Key {
        let mods = mods & (KeyModifiers::CONTROL | KeyModifiers::ALT | KeyModifiers::SHIFT);
        match code {
            KeyCode::BackTab => Key { code: KeyCode::Tab, mods: mods | KeyModifiers::SHIFT },
            KeyCode::Char(c) => {
                let c = if mods.contains(KeyModifiers::CONTROL) { c.to_ascii_lowercase() } else { c };
                Key { code: KeyCode::Char(c), mods: mods - KeyModifiers::SHIFT }
            }
            other => Key { code: other, mods },
        }
    }

    pub fn from_event(e: &KeyEvent) -> Key {
        Key::new(e.code, e.modifiers)
    }

    /// Parses `ctrl+x`, `shift+enter`, `alt+enter`, `f1`, `pageup`, `space`, `G`, `?`.
    pub fn parse(s: &str) -> Result<Key, String> {
        let s = s.trim();
        if s.is_empty() {
            return Err("empty key".into());
        }
        let mut mods = KeyModifiers::NONE;
        let parts: Vec<&str> = if s == "+" { vec!["+"] } else { s.split('+').collect() };
        let (last, modifiers) = parts.split_last().ok_or("empty key")?;
        for m in modifiers {
            mods |= match m.to_ascii_lowercase().as_str() {
                "ctrl" | "control" | "c" => KeyModifiers::CONTROL,
                "alt" | "meta" | "option" | "m" => KeyModifiers::ALT,
                "shift" | "s" => KeyModifiers::SHIFT,
                other => return Err(format!("`{s}`: unknown modifier `{other}`")),
            };
        }
        let lower = last.to_ascii_lowercase();
        let code = match lower.as_str() {
            "enter" | "return" | "cr" => KeyCode::Enter,
            "esc" | "escape" => KeyCode::Esc,
            "tab" => KeyCode::Tab,
            "backtab" => {
                mods |= KeyModifiers::SHIFT;
                KeyCode::Tab
            }
            "space" => KeyCode::Char(' '),
            "backspace" | "bs" => KeyCode::Backspace,
            "delete" | "del" => KeyCode::Delete,
            "insert" | "ins" => KeyCode::Insert,
            "up" => KeyCode::Up,
            "down" => KeyCode::Down,
            "left" => KeyCode::Left,
            "right" => KeyCode::Right,
            "home" => KeyCode::Home,
            "end" => KeyCode::End,
            "pageup" | "pgup" => KeyCode::PageUp,
            "pagedown" | "pgdown" | "pgdn" => KeyCode::PageDown,
            "minus" => KeyCode::Char('-'),
            "plus" => KeyCode::Char('+'),
            f if f.starts_with('f') && f.len() > 1 && f[1..].chars().all(|c| c.is_ascii_digit()) => {
                let n: u8 = f[1..].parse().map_err(|_| format!("`{s}`: bad function key"))?;
                if !(1..=24).contains(&n) {
                    return Err(format!("`{s}`: function keys go from f1 to f24"));
                }
                KeyCode::F(n)
            }
            _ => {
                let mut chars = last.chars();
                match (chars.next(), chars.next()) {
                    (Some(c), None) => KeyCode::Char(c),
                    _ => return Err(format!("`{s}`: unknown key `{last}`")),
                }
            }
        };
        Ok(Key::new(code, mods))
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.mods.contains(KeyModifiers::CONTROL) {
            f.write_str("ctrl+")?;
        }
        if self.mods.contains(KeyModifiers::ALT) {
            f.write_str("alt+")?;
        }
        if self.mods.contains(KeyModifiers::SHIFT) {
            f.write_str("shift+")?;
        }
        match self.code {
            KeyCode::Char(' ') => f.write_str("space"),
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::Enter => f.write_str("enter"),
            KeyCode::Esc => f.write_str("esc"),
            KeyCode::Tab => f.write_str("tab"),
            KeyCode::Backspace => f.write_str("backspace"),
            KeyCode::Delete => f.write_str("delete"),
            KeyCode::Insert => f.write_str("insert"),
            KeyCode::Up => f.write_str("up"),
            KeyCode::Down => f.write_str("down"),
            KeyCode::Left => f.write_str("left"),
            KeyCode::Right => f.write_str("right"),
            KeyCode::Home => f.write_str("home"),
            KeyCode::End => f.write_str("end"),
            KeyCode::PageUp => f.write_str("pageup"),
            KeyCode::PageDown => f.write_str("pagedown"),
            KeyCode::F(n) => write!(f, "f{n}"),
            other => write!(f, "{other:?}"),
        }
    }
}

/// A key sequence: one key, or a chord of several.
pub type KeySeq = Vec<Key>;

/// A key sequence as keymap files write it ("ctrl+x t").
pub fn seq_to_string(seq: &[Key]) -> String {
    seq.iter().map(Key::to_string).collect::<Vec<_>>().join(" ")
}

/// What a key (with the keys pending before it) resolves to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolved {
    Matched(Action),
    /// The keys so far start a chord; wait for the next.
    Pending,
    NotFound,
}

/// Bindings per context.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Keymap {
    pub name: String,
    /// Modal editing in the composer (normal and insert modes, vim motions).
    pub vim: bool,
    bindings: BTreeMap<Context, Vec<(KeySeq, Action)>>,
}

impl Keymap {
    /// The bindings of one context, to add to or take from (the keymap loader).
    pub fn bindings_mut(&mut self, context: Context) -> &mut Vec<(KeySeq, Action)> {
        self.bindings.entry(context).or_default()
    }

    /// Resolves `pending` + `key` in `contexts` (highest priority first).
    pub fn resolve(&self, contexts: &[Context], pending: &[Key], key: Key) -> Resolved {
        let mut seq: KeySeq = pending.to_vec();
        seq.push(key);
        let mut prefix = false;
        for ctx in contexts {
            for (s, action) in self.bindings.get(ctx).into_iter().flatten() {
                if *s == seq {
                    return Resolved::Matched(*action);
                }
                if s.len() > seq.len() && s[..seq.len()] == seq[..] {
                    prefix = true;
                }
            }
        }
        if prefix { Resolved::Pending } else { Resolved::NotFound }
    }

    /// The keys bound to `action`, as text ("ctrl+c", "ctrl+x t").
    pub fn keys_for(&self, action: Action) -> Vec<String> {
        let ctx = action.info().context;
        self.bindings
            .get(&ctx)
            .into_iter()
            .flatten()
            .filter(|(_, a)| *a == action)
            .map(|(s, _)| seq_to_string(s))
            .collect()
    }

    /// The first key of `action`, for hints; empty when unbound.
    pub fn hint(&self, action: Action) -> String {
        self.keys_for(action).into_iter().next().unwrap_or_default()
    }
}

/// Every context's name, for messages.
pub fn context_names() -> String {
    Context::ALL.iter().map(|c| c.name()).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_keymap_binds_every_action_without_conflicts() {
        let km = Keymap::parse("default", crate::config::keymap::DEFAULT_KEYMAP).unwrap_or_else(|e| panic!("{e:?}"));
        for info in ACTIONS {
            assert!(!km.keys_for(info.action).is_empty(), "{} ({}) has no key", info.name, info.context.name());
        }
    }

    /// docs/keymaps.md lists every action with its default keys.
    #[test]
    fn docs_list_every_action() {
        let doc = include_str!("../../docs/keymaps.md");
        let km = Keymap::default_keymap();
        for info in ACTIONS {
            let keys: Vec<String> = km.keys_for(info.action).iter().map(|k| format!("`{k}`")).collect();
            let row = format!("| `{}` | {} | {} |", info.name, keys.join(", "), info.description);
            assert!(doc.contains(&row), "docs/keymaps.md lacks: {row}");
        }
    }

    #[test]
    fn parses_keys_and_normalizes() {
        assert_eq!(Key::parse("ctrl+c").unwrap(), Key::new(KeyCode::Char('c'), KeyModifiers::CONTROL));
        assert_eq!(Key::parse("shift+tab").unwrap(), Key::new(KeyCode::BackTab, KeyModifiers::SHIFT));
        assert_eq!(Key::parse("G").unwrap(), Key::new(KeyCode::Char('G'), KeyModifiers::SHIFT));
        assert_eq!(Key::parse("f1").unwrap().code, KeyCode::F(1));
        assert_eq!(Key::parse("alt+enter").unwrap().to_string(), "alt+enter");
        assert!(Key::parse("hyper+x").is_err());
        assert!(Key::parse("f99").is_err());
        assert!(Key::parse("nope").is_err());
    }

    #[test]
    fn chords_conflicts_and_unknown_names() {
        let km = Keymap::parse("t", "[global]\nhelp = \"ctrl+x h\"\ntoggle_todos = [\"ctrl+x t\", \"f2\"]\n").unwrap();
        let cx = Key::parse("ctrl+x").unwrap();
        assert_eq!(km.resolve(&[Context::Global], &[], cx), Resolved::Pending);
        assert_eq!(
            km.resolve(&[Context::Global], &[cx], Key::parse("t").unwrap()),
            Resolved::Matched(Action::ToggleTodos)
        );
        assert_eq!(km.resolve(&[Context::Global], &[cx], Key::parse("z").unwrap()), Resolved::NotFound);
        let e = Keymap::parse("t", "[global]\nhelp = \"f1\"\nquit = \"f1\"\nteleport = \"f2\"\n[nowhere]\nx = \"a\"\n")
            .unwrap_err();
        assert_eq!(e.len(), 3, "{e:?}");
        assert!(e.iter().any(|m| m.contains("`f1` is already bound to help")));
    }
}
