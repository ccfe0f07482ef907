//! Keymap files: the built-in keymaps (default, vim, emacs) and the user's and the project's
//! keymap folders, parsed onto a base keymap.
//!
//! A file binds keys to action names per context (`[composer] submit = "enter"`), may
//! `extends` a built-in keymap and set `vim = true`. An action the file lists gets exactly the
//! file's keys (`[]` unbinds it); every other action keeps the base's. Loading never fails: an
//! unknown context or action, a key that does not parse, or two actions on one key in one
//! context is reported as a [`Problem`] and that entry is skipped.

use std::path::{Path, PathBuf};

use super::problem::{Problem, locate_key};
use crate::app::keymap::{ACTIONS, Action, Context, Key, KeySeq, Keymap, context_names, seq_to_string};

/// The built-in default keymap.
pub const DEFAULT_KEYMAP: &str = include_str!("../../keymaps/default.toml");

/// The built-in keymaps by name, embedded from keymaps/.
pub const BUILTIN_KEYMAPS: &[(&str, &str)] = &[
    ("default", DEFAULT_KEYMAP),
    ("vim", include_str!("../../keymaps/vim.toml")),
    ("emacs", include_str!("../../keymaps/emacs.toml")),
];

impl Keymap {
    /// The built-in default keymap.
    pub fn default_keymap() -> Keymap {
        Keymap::parse("default", DEFAULT_KEYMAP).expect("the default keymap is valid (tested)")
    }

    /// Parses a keymap file strictly: any problem is an error (the built-in keymaps).
    pub fn parse(name: &str, text: &str) -> Result<Keymap, Vec<String>> {
        let (map, problems) = Keymap::load(name, text, None);
        if problems.is_empty() { Ok(map) } else { Err(problems.into_iter().map(|p| p.message).collect()) }
    }

    /// Parses a keymap file leniently, on top of `base` (or of the built-in keymap its
    /// `extends` names). Problems come back with their line and column (the caller names
    /// the file), and the bad entry is skipped.
    pub fn load(name: &str, text: &str, base: Option<&Keymap>) -> (Keymap, Vec<Problem>) {
        let table: toml::Table = match text.parse() {
            Ok(t) => t,
            Err(e) => {
                let mut p = Problem::toml(text, &e);
                p.line = p.line.or(Some(1));
                p.col = p.col.or(Some(1));
                return (base.cloned().unwrap_or_default(), vec![p]);
            }
        };
        let mut problems = Vec::new();
        let at = |key: &str, message: String| {
            let (l, c) = locate_key(text, None, key);
            Problem::at(l, c, message)
        };
        let mut map = match table.get("extends").and_then(|v| v.as_str()) {
            Some(parent) => match Keymap::builtin(parent) {
                Some(k) => k,
                None => {
                    problems.push(at(
                        "extends",
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
                None => problems.push(at("vim", "vim: expected true or false".into())),
            }
        }
        for (ctx_name, value) in &table {
            if ctx_name == "extends" || ctx_name == "vim" {
                continue;
            }
            let Some(context) = Context::ALL.iter().copied().find(|c| c.name() == ctx_name) else {
                problems
                    .push(at(ctx_name, format!("[{ctx_name}]: unknown context (expected one of {})", context_names())));
                continue;
            };
            let Some(entries) = value.as_table() else {
                problems.push(at(ctx_name, format!("[{ctx_name}]: expected a table of action = key")));
                continue;
            };
            load_context(&mut map, context, ctx_name, entries, text, &mut problems);
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
}

/// Applies one `[context]` table of a keymap file: first drops the base's keys of every
/// action the file rebinds, then adds the file's. An action whose keys all fail to parse
/// keeps the base's keys.
fn load_context(
    map: &mut Keymap,
    context: Context,
    ctx_name: &str,
    entries: &toml::Table,
    text: &str,
    problems: &mut Vec<Problem>,
) {
    let at = |action_name: &str, message: String| {
        let (l, c) = locate_key(text, Some(ctx_name), action_name);
        Problem::at(l, c, message)
    };
    let mut listed: Vec<(Action, Vec<KeySeq>, &str)> = Vec::new();
    for (action_name, keys) in entries {
        let Some(info) = ACTIONS.iter().find(|a| a.context == context && a.name == action_name) else {
            problems.push(at(action_name, format!("[{ctx_name}] {action_name}: unknown action in this context")));
            continue;
        };
        let key_strings: Vec<&str> = match keys {
            toml::Value::String(s) => vec![s.as_str()],
            toml::Value::Array(a) => a.iter().filter_map(|v| v.as_str()).collect(),
            _ => {
                problems.push(at(action_name, format!("[{ctx_name}] {action_name}: expected a key or a list of keys")));
                continue;
            }
        };
        let mut seqs = Vec::new();
        for ks in &key_strings {
            match ks.split_whitespace().map(Key::parse).collect::<Result<KeySeq, String>>() {
                Ok(seq) if seq.is_empty() => {
                    problems.push(at(action_name, format!("[{ctx_name}] {action_name}: empty key")))
                }
                Ok(seq) => seqs.push(seq),
                Err(e) => problems.push(at(action_name, format!("[{ctx_name}] {action_name}: {e}"))),
            }
        }
        if seqs.is_empty() && !key_strings.is_empty() {
            continue;
        }
        listed.push((info.action, seqs, action_name.as_str()));
    }
    let list = map.bindings_mut(context);
    list.retain(|(_, a)| !listed.iter().any(|(l, _, _)| l == a));
    for (action, seqs, action_name) in listed {
        for seq in seqs {
            if let Some((_, other)) = list.iter().find(|(s, _)| *s == seq) {
                let message = format!(
                    "[{ctx_name}] {action_name}: `{}` is already bound to {}",
                    seq_to_string(&seq),
                    other.info().name
                );
                problems.push(at(action_name, message));
            } else {
                list.push((seq, action));
            }
        }
    }
}

/// Where keymap files are looked for, most specific first: the project's `.claw/keymaps` (only
/// in a `trusted` folder: a project's keymap could bind a key to "always allow"), then the
/// config home's `keymaps`.
pub fn keymap_dirs(root: &Path, trusted: bool) -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    if trusted {
        dirs.push(root.join(".claw").join("keymaps"));
    }
    if let Some(home) = super::config_home() {
        dirs.push(home.join("keymaps"));
    }
    dirs
}

/// The files keymap `name` could come from, most specific first (for the watcher).
pub fn candidate_files(name: &str, dirs: &[PathBuf]) -> Vec<PathBuf> {
    dirs.iter().map(|d| d.join(format!("{name}.toml"))).collect()
}

/// Loads the keymap `name`: `<name>.toml` in `dirs` (on top of the default keymap, or of the
/// built-in its `extends` names), else a built-in. Never fails: problems come back located in
/// their file, and a keymap that cannot be found is the default. Also returns the file used.
pub fn resolve(name: &str, dirs: &[PathBuf]) -> (Keymap, Vec<Problem>, Option<PathBuf>) {
    for path in candidate_files(name, dirs) {
        if let Ok(text) = std::fs::read_to_string(&path) {
            let (map, problems) = Keymap::load(name, &text, Some(&Keymap::default_keymap()));
            let problems = problems.into_iter().map(|p| p.in_file(&path).then("; that binding was skipped")).collect();
            return (map, problems, Some(path));
        }
    }
    match Keymap::builtin(name) {
        Some(k) => (k, Vec::new(), None),
        None => (
            Keymap::default_keymap(),
            vec![Problem::general(format!(
                "there is no keymap `{name}` (built-in: default, vim, emacs); using default"
            ))],
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
        let (map, warnings, path) = resolve("mine", &[dir.path().to_path_buf()]);
        let warnings: Vec<String> = warnings.iter().map(Problem::to_string).collect();
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
        let (map, warnings, _) = resolve("nope", &[]);
        assert_eq!(map.name, "default");
        assert!(warnings[0].message.contains("there is no keymap `nope`"));
    }
}
