//! Keys become [`Action`]s before `update` sees them.
//!
//! [`ACTIONS`] is the one table of actions: name, context, description. Keymap files bind
//! keys to those names per context (`[composer] submit = "enter"`); unknown contexts, actions
//! and keys are errors, and so are two actions on one key in one context. A binding may be a
//! chord (`"ctrl+x t"`): [`Keymap::resolve`] answers Pending until the chord completes.
//! The help overlay, the palette and the status hints all read this table and the keymap, so
//! they cannot drift from what the keys do.

use std::collections::BTreeMap;
use std::fmt;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// The built-in default keymap.
pub const DEFAULT_KEYMAP: &str = include_str!("../../keymaps/default.toml");

/// The built-in keymaps by name, embedded from keymaps/.
pub const BUILTIN_KEYMAPS: &[(&str, &str)] = &[
    ("default", DEFAULT_KEYMAP),
    ("vim", include_str!("../../keymaps/vim.toml")),
    ("emacs", include_str!("../../keymaps/emacs.toml")),
];

/// Where a binding applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Context {
    Global,
    Composer,
    Transcript,
    Approval,
    Palette,
    Sessions,
    Help,
    Diff,
}

impl Context {
    pub const ALL: [Context; 8] = [
        Context::Global,
        Context::Composer,
        Context::Transcript,
        Context::Approval,
        Context::Palette,
        Context::Sessions,
        Context::Help,
        Context::Diff,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Context::Global => "global",
            Context::Composer => "composer",
            Context::Transcript => "transcript",
            Context::Approval => "approval",
            Context::Palette => "palette",
            Context::Sessions => "sessions",
            Context::Help => "help",
            Context::Diff => "diff",
        }
    }
}

/// Everything a key can do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Action {
    Quit,
    Cancel,
    OpenPalette,
    Help,
    ToggleTodos,
    ToggleSidebar,
    CycleMode,
    ScrollUp,
    ScrollDown,
    ScrollTop,
    ScrollBottom,
    CopyLastAnswer,
    Suspend,
    Submit,
    Newline,
    Interrupt,
    HistoryPrev,
    HistoryNext,
    OpenEditor,
    FocusTranscript,
    SelectPrev,
    SelectNext,
    SelectFirst,
    SelectLast,
    ToggleExpand,
    CopyMessage,
    CopyCode,
    FocusComposer,
    AllowOnce,
    AllowSession,
    AllowAlways,
    Deny,
    DenyWithNote,
    ChoicePrev,
    ChoiceNext,
    Choose,
    PaletteUp,
    PaletteDown,
    PaletteRun,
    PaletteClose,
    CloseHelp,
    HelpUp,
    HelpDown,
    SessionUp,
    SessionDown,
    SessionResume,
    SessionRename,
    SessionFork,
    SessionExport,
    SessionDelete,
    SessionToggleAll,
    SessionSort,
    SessionClose,
    DiffUp,
    DiffDown,
    DiffPageUp,
    DiffPageDown,
    DiffTop,
    DiffBottom,
    DiffScrollLeft,
    DiffScrollRight,
    DiffNextHunk,
    DiffPrevHunk,
    DiffNextFile,
    DiffPrevFile,
    DiffToggleHunk,
    DiffAcceptAll,
    DiffRejectAll,
    DiffApply,
    DiffAllowSession,
    DiffNote,
    DiffClose,
    DiffSideBySide,
    DiffWrap,
    DiffWhitespace,
    DiffScope,
    DiffFocus,
}

/// One row of the action table.
pub struct ActionInfo {
    pub action: Action,
    pub name: &'static str,
    pub context: Context,
    pub description: &'static str,
}

macro_rules! actions {
    ($( $action:ident $name:literal $context:ident $desc:literal ),* $(,)?) => {
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

fn seq_to_string(seq: &[Key]) -> String {
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
    /// The built-in default keymap.
    pub fn default_keymap() -> Keymap {
        Keymap::parse("default", DEFAULT_KEYMAP).expect("the default keymap is valid (tested)")
    }

    /// Parses a keymap file strictly: any problem is an error (the built-in keymaps).
    pub fn parse(name: &str, text: &str) -> Result<Keymap, Vec<String>> {
        let (map, problems) = Keymap::load(name, text, None);
        if problems.is_empty() { Ok(map) } else { Err(problems.into_iter().map(|(_, _, e)| e).collect()) }
    }

    /// Parses a keymap file leniently, on top of `base` (or of the built-in keymap its
    /// `extends` names): an action the file lists gets exactly the file's keys (`[]` unbinds
    /// it); everything else keeps the base's. Problems (unknown context or action, a key that
    /// does not parse, two actions on one key in one context) come back with their line and
    /// column, and the bad entry is skipped.
    pub fn load(name: &str, text: &str, base: Option<&Keymap>) -> (Keymap, Vec<(usize, usize, String)>) {
        let table: toml::Table = match text.parse() {
            Ok(t) => t,
            Err(e) => {
                let (line, col) = e
                    .span()
                    .map(|sp| {
                        let before = &text[..sp.start.min(text.len())];
                        (
                            before.matches('\n').count() + 1,
                            before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1,
                        )
                    })
                    .unwrap_or((1, 1));
                let fallback = base.cloned().unwrap_or_default();
                return (fallback, vec![(line, col, e.message().trim().to_string())]);
            }
        };
        let mut problems: Vec<(usize, usize, String)> = Vec::new();
        let at = |section: Option<&str>, key: &str| crate::config::locate_key(text, section, key);
        let mut map = match table.get("extends").and_then(|v| v.as_str()) {
            Some(parent) => match Keymap::builtin(parent) {
                Some(k) => k,
                None => {
                    let (l, c) = at(None, "extends");
                    problems.push((
                        l,
                        c,
                        format!("extends: there is no built-in keymap `{parent}` (default, vim, emacs)"),
                    ));
                    base.cloned().unwrap_or_default()
                }
            },
            None => base.cloned().unwrap_or_default(),
        };
        map.name = name.to_string();
        if let Some(v) = table.get("vim") {
            match v.as_bool() {
                Some(b) => map.vim = b,
                None => {
                    let (l, c) = at(None, "vim");
                    problems.push((l, c, "vim: expected true or false".into()));
                }
            }
        }
        for (ctx_name, value) in &table {
            if ctx_name == "extends" || ctx_name == "vim" {
                continue;
            }
            let Some(context) = Context::ALL.iter().copied().find(|c| c.name() == ctx_name) else {
                let (l, c) = at(None, ctx_name);
                problems.push((l, c, format!("[{ctx_name}]: unknown context (expected one of {})", context_names())));
                continue;
            };
            let Some(entries) = value.as_table() else {
                let (l, c) = at(None, ctx_name);
                problems.push((l, c, format!("[{ctx_name}]: expected a table of action = key")));
                continue;
            };
            // First drop the base's keys of every action the file rebinds, then add the file's.
            // An action whose keys all fail to parse keeps the base's keys.
            let mut listed: Vec<(Action, Vec<KeySeq>, &str)> = Vec::new();
            for (action_name, keys) in entries {
                let (l, c) = at(Some(ctx_name), action_name);
                let Some(info) = ACTIONS.iter().find(|a| a.context == context && a.name == action_name) else {
                    problems.push((l, c, format!("[{ctx_name}] {action_name}: unknown action in this context")));
                    continue;
                };
                let key_strings: Vec<&str> = match keys {
                    toml::Value::String(s) => vec![s.as_str()],
                    toml::Value::Array(a) => a.iter().filter_map(|v| v.as_str()).collect(),
                    _ => {
                        problems.push((l, c, format!("[{ctx_name}] {action_name}: expected a key or a list of keys")));
                        continue;
                    }
                };
                let mut seqs = Vec::new();
                for ks in &key_strings {
                    match ks.split_whitespace().map(Key::parse).collect::<Result<KeySeq, String>>() {
                        Ok(seq) if seq.is_empty() => {
                            problems.push((l, c, format!("[{ctx_name}] {action_name}: empty key")))
                        }
                        Ok(seq) => seqs.push(seq),
                        Err(e) => problems.push((l, c, format!("[{ctx_name}] {action_name}: {e}"))),
                    }
                }
                if seqs.is_empty() && !key_strings.is_empty() {
                    continue;
                }
                listed.push((info.action, seqs, action_name.as_str()));
            }
            let list = map.bindings.entry(context).or_default();
            list.retain(|(_, a)| !listed.iter().any(|(l, _, _)| l == a));
            for (action, seqs, action_name) in listed {
                let (l, c) = at(Some(ctx_name), action_name);
                for seq in seqs {
                    if let Some((_, other)) = list.iter().find(|(s, _)| *s == seq) {
                        problems.push((
                            l,
                            c,
                            format!(
                                "[{ctx_name}] {action_name}: `{}` is already bound to {}",
                                seq_to_string(&seq),
                                other.info().name
                            ),
                        ));
                    } else {
                        list.push((seq, action));
                    }
                }
            }
        }
        (map, problems)
    }

    /// The built-in keymap `name`: default, vim or emacs.
    pub fn builtin(name: &str) -> Option<Keymap> {
        let text = BUILTIN_KEYMAPS.iter().find(|(n, _)| *n == name)?.1;
        if name == "default" {
            return Some(Keymap::parse("default", text).expect("the default keymap is valid (tested)"));
        }
        let (map, problems) = Keymap::load(name, text, None);
        debug_assert!(problems.is_empty(), "{name}: {problems:?}");
        Some(map)
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

fn context_names() -> String {
    Context::ALL.iter().map(|c| c.name()).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_keymap_binds_every_action_without_conflicts() {
        let km = Keymap::parse("default", DEFAULT_KEYMAP).unwrap_or_else(|e| panic!("{e:?}"));
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

/// Where keymap files are looked for, most specific first: the project's `.claw/keymaps`,
/// then the config home's `keymaps`.
pub fn keymap_dirs(root: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut dirs = vec![root.join(".claw").join("keymaps")];
    if let Some(home) = crate::config::config_home() {
        dirs.push(home.join("keymaps"));
    }
    dirs
}

/// Loads the keymap `name`: `<name>.toml` in `dirs` (on top of the default keymap, or of the
/// built-in its `extends` names), else a built-in. Never fails: problems come back as
/// `file:line:col: what` warnings, and a keymap that cannot be found is the default.
pub fn resolve_keymap(name: &str, dirs: &[std::path::PathBuf]) -> (Keymap, Vec<String>, Option<std::path::PathBuf>) {
    for dir in dirs {
        let path = dir.join(format!("{name}.toml"));
        if let Ok(text) = std::fs::read_to_string(&path) {
            let (map, problems) = Keymap::load(name, &text, Some(&Keymap::default_keymap()));
            let warnings = problems
                .into_iter()
                .map(|(l, c, e)| format!("{}:{l}:{c}: {e}; that binding was skipped", path.display()))
                .collect();
            return (map, warnings, Some(path));
        }
    }
    match Keymap::builtin(name) {
        Some(k) => (k, Vec::new(), None),
        None => (
            Keymap::default_keymap(),
            vec![format!("there is no keymap `{name}` (built-in: default, vim, emacs); using default")],
            None,
        ),
    }
}

#[cfg(test)]
mod files {
    use super::*;

    #[test]
    fn builtin_keymaps_load_cleanly() {
        for (name, text) in BUILTIN_KEYMAPS {
            let base = if *name == "default" { None } else { Some(Keymap::default_keymap()) };
            let (_, problems) = Keymap::load(name, text, base.as_ref());
            assert!(problems.is_empty(), "{name}: {problems:?}");
        }
        assert!(Keymap::builtin("vim").unwrap().vim);
        let emacs = Keymap::builtin("emacs").unwrap();
        assert_eq!(emacs.hint(Action::OpenPalette), "alt+x");
        assert_eq!(emacs.keys_for(Action::OpenEditor), ["ctrl+x ctrl+e"], "a chord");
    }

    #[test]
    fn user_files_extend_override_unbind_and_report_located_problems() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("mine.toml"),
            "extends = \"vim\"\n[global]\nhelp = \"f2\"\ntoggle_todos = []\nquit = \"f2\"\n[composer]\nteleport = \"x\"\nsubmit = \"hyper+enter\"\n[nowhere]\nx = \"y\"\n",
        )
        .unwrap();
        let (map, warnings, path) = resolve_keymap("mine", &[dir.path().to_path_buf()]);
        assert!(path.is_some());
        assert!(map.vim, "extends vim");
        assert_eq!(map.keys_for(Action::Help), ["f2"], "overridden");
        assert!(map.keys_for(Action::ToggleTodos).is_empty(), "unbound");
        assert_eq!(map.keys_for(Action::OpenPalette), ["ctrl+p"], "kept from the base");
        assert_eq!(warnings.len(), 4, "{warnings:?}");
        assert!(
            warnings.iter().any(|w| w.contains("mine.toml:5:1: [global] quit: `f2` is already bound to help")),
            "{warnings:?}"
        );
        assert!(
            warnings.iter().any(|w| w.contains("mine.toml:7:1: [composer] teleport: unknown action")),
            "{warnings:?}"
        );
        assert!(warnings.iter().any(|w| w.contains("mine.toml:8:1: [composer] submit: `hyper+enter`")), "{warnings:?}");
        assert!(warnings.iter().any(|w| w.contains("mine.toml:9:1: [nowhere]")), "{warnings:?}");
        assert_eq!(map.keys_for(Action::Submit), ["enter"], "a binding that does not parse keeps the built-in one");
        let (map, warnings, _) = resolve_keymap("nope", &[]);
        assert_eq!(map.name, "default");
        assert!(warnings[0].contains("there is no keymap `nope`"));
    }
}
