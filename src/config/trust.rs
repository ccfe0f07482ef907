//! Folder trust: whether a project's own settings may widen what claw-tui does.
//!
//! A repository someone cloned is not trusted: its `.claw/config.toml` could point the
//! provider at another server (which would receive the user's key), switch to full access,
//! allow commands, bind a key to "always allow". The settings that can do such things
//! ([`GATED`]) apply from the project's files only in a folder the user trusts; everything
//! else (the model, the theme, deny rules, which only restrict) applies everywhere. The answer
//! is kept in the user's own config file (`[trust] trusted = [...]`, `untrusted = [...]`),
//! which no project file can set. `--trust` trusts for one run, `claw-tui trust [DIR]` for
//! good.

use std::path::{Path, PathBuf};

/// Settings a project file may only set in a trusted folder: they widen what claw-tui does,
/// where it sends the key, what a key press answers, or what a command may do (a cloned
/// repository cannot turn the sandbox off).
pub const GATED: &[&str] = &[
    "permission_mode",
    "permissions.allow",
    "provider.name",
    "provider.base_url",
    "keymap",
    "sandbox.mode",
    "sandbox.writable",
];

/// Whether a folder's own settings apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Trust {
    /// The user trusts it (for good, or with `--trust` for this run).
    Trusted,
    /// The user said no.
    Untrusted,
    /// Never asked: treated as untrusted, and the interface asks.
    #[default]
    Unknown,
}

/// The trust of the workspace at `root`, by the user's `[trust]` lists: a folder is trusted
/// when it or a folder above it is listed as trusted, untrusted when it is listed as such.
pub fn of(settings: &super::settings::TrustSettings, root: &Path) -> Trust {
    let listed = |list: &[String], under: bool| {
        list.iter().map(|p| canonical(Path::new(p))).any(|p| root == p || (under && root.starts_with(&p)))
    };
    if listed(&settings.untrusted, false) {
        Trust::Untrusted
    } else if listed(&settings.trusted, true) {
        Trust::Trusted
    } else {
        Trust::Unknown
    }
}

fn canonical(path: &Path) -> PathBuf {
    path.canonicalize().unwrap_or_else(|_| path.to_path_buf())
}

/// Remembers the user's answer for the folder at `root` in their config file (created if
/// missing), keeping its comments and layout. Returns what was done, for the user.
pub fn remember(root: &Path, trusted: bool) -> Result<String, String> {
    use super::edit::{ListEdit, edit_lists};
    let home = super::config_home().ok_or("cannot find the config home (set CLAW_CONFIG_HOME)")?;
    let path = home.join("config.toml");
    let entry = canonical(root).display().to_string();
    let (keep, drop) = if trusted { ("trusted", "untrusted") } else { ("untrusted", "trusted") };
    edit_lists(&path, &[("trust", drop, ListEdit::Remove(&entry)), ("trust", keep, ListEdit::Add(&entry))])?;
    Ok(if trusted {
        format!("trusted {entry}: its own settings apply (remembered in {})", path.display())
    } else {
        format!("{entry} is not trusted: its own settings stay ignored (remembered in {})", path.display())
    })
}

/// A project setting that did not apply because the folder is not trusted: what the project
/// wants, and where it says so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Withheld {
    /// The dotted key (`provider.base_url`).
    pub key: String,
    /// The value, as TOML writes it.
    pub value: String,
    /// The file that sets it.
    pub file: PathBuf,
}

impl std::fmt::Display for Withheld {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} = {} ({})", self.key, self.value, self.file.display())
    }
}

/// One line saying what an untrusted folder's files wanted and how to let them apply.
pub fn ignored_notice(withheld: &[Withheld]) -> String {
    let list: Vec<String> = withheld.iter().map(Withheld::to_string).collect();
    format!(
        "this folder is not trusted, so these settings from its files were ignored: {}. \
Trust it (/trust, `claw-tui trust`, or --trust for one run) if you know where it comes from.",
        list.join("; ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::settings::TrustSettings;

    #[test]
    fn listed_folders_and_their_children() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().canonicalize().unwrap();
        std::fs::create_dir_all(base.join("work/app")).unwrap();
        std::fs::create_dir_all(base.join("other")).unwrap();
        let s = TrustSettings {
            trusted: vec![base.join("work").display().to_string()],
            untrusted: vec![base.join("work/app").display().to_string()],
        };
        assert_eq!(of(&s, &base.join("work")), Trust::Trusted);
        assert_eq!(of(&s, &base.join("work/app")), Trust::Untrusted, "a no for the folder itself wins");
        assert_eq!(of(&s, &base.join("other")), Trust::Unknown);
    }
}
