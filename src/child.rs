//! Child processes: what every program claw-tui starts (the bash tool, its own git calls,
//! later hooks, REPLs and MCP servers) may and may not inherit.
//!
//! - No secrets: variables that hold credentials (claw-tui's own, and any whose name says it
//!   is a key, token, secret or password) are removed from the child's environment, so a
//!   command cannot print them into the transcript or send them anywhere.
//! - No way around that through claw-tui itself: [`harden_self`] makes the process
//!   non-dumpable, so a child cannot read the key from `/proc/<claw-tui>/environ` or attach a
//!   debugger to it.
//! - claw-tui's own git calls ([`git`]) read the repository without running anything it
//!   configures: no fsmonitor hook, no external diff or text conversion, no pager, so a
//!   `.git/config` planted by a model or a cloned repository runs nothing when claw-tui looks
//!   at the repository.

use std::ffi::OsString;
use std::path::Path;

/// Variables claw-tui itself reads credentials from.
pub const CREDENTIAL_VARS: &[&str] =
    &["ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "OPENAI_API_KEY", "CLAW_API_KEY", "CLAUDE_CODE_OAUTH_TOKEN"];

/// Whether an environment variable's name says it holds a secret: claw-tui's credentials and
/// anything named like a key, token, secret, password or credential (`GITHUB_TOKEN`,
/// `AWS_SECRET_ACCESS_KEY`, `NPM_AUTH_TOKEN`, `DB_PASSWORD`).
pub fn is_secret_var(name: &str) -> bool {
    if CREDENTIAL_VARS.contains(&name) {
        return true;
    }
    let upper = name.to_ascii_uppercase();
    // Words as they appear in variable names; `KEY` alone would take `KEYMAP` and `KEYBOARD`.
    const WORDS: &[&str] = &["TOKEN", "SECRET", "PASSWORD", "PASSWD", "CREDENTIAL", "API_KEY", "APIKEY", "PRIVATE_KEY"];
    WORDS.iter().any(|w| upper.contains(w)) || upper.ends_with("_KEY") || upper.starts_with("KEY_")
}

/// The names of the secret variables in this process's environment: what a child must not
/// get.
pub fn secret_vars() -> Vec<OsString> {
    std::env::vars_os().map(|(k, _)| k).filter(|k| k.to_str().is_some_and(is_secret_var)).collect()
}

/// Removes every secret variable from a command's environment (std).
pub fn scrub(cmd: &mut std::process::Command) -> &mut std::process::Command {
    for var in secret_vars() {
        cmd.env_remove(var);
    }
    cmd
}

/// Removes every secret variable from a command's environment (tokio).
pub fn scrub_async(cmd: &mut tokio::process::Command) -> &mut tokio::process::Command {
    for var in secret_vars() {
        cmd.env_remove(var);
    }
    cmd
}

/// Settings that make git run nothing the repository configures while claw-tui reads it.
const SAFE_GIT: &[&str] = &[
    "-c",
    "core.fsmonitor=false",
    "-c",
    "core.hooksPath=/dev/null",
    "-c",
    "diff.external=",
    "-c",
    "core.pager=cat",
    "-c",
    "protocol.allow=never",
];

/// `git -C cwd` for claw-tui's own reads of a repository: secrets removed, no fsmonitor, hooks,
/// external diff, pager or network, no optional locks, no prompts.
pub fn git(cwd: &Path) -> std::process::Command {
    let mut cmd = std::process::Command::new("git");
    cmd.args(SAFE_GIT)
        .arg("-C")
        .arg(cwd)
        .env("GIT_OPTIONAL_LOCKS", "0")
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_PAGER", "cat")
        .env_remove("GIT_EXTERNAL_DIFF")
        .stdin(std::process::Stdio::null());
    scrub(&mut cmd);
    cmd
}

/// Makes this process non-dumpable: children (which run as the same user) can no longer read
/// its memory or `/proc/<pid>/environ`, where the API key is. Core dumps are off too.
pub fn harden_self() {
    #[cfg(target_os = "linux")]
    // SAFETY: prctl(PR_SET_DUMPABLE, 0) only changes a flag of the calling process.
    unsafe {
        libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_names_are_recognized_and_others_kept() {
        for name in [
            "ANTHROPIC_API_KEY",
            "ANTHROPIC_AUTH_TOKEN",
            "OPENAI_API_KEY",
            "GITHUB_TOKEN",
            "GH_TOKEN",
            "AWS_SECRET_ACCESS_KEY",
            "NPM_AUTH_TOKEN",
            "DB_PASSWORD",
            "STRIPE_KEY",
            "MY_PRIVATE_KEY",
            "GOOGLE_APPLICATION_CREDENTIALS",
        ] {
            assert!(is_secret_var(name), "{name}");
        }
        for name in ["PATH", "HOME", "KEYMAP", "TERM", "LANG", "CARGO_HOME", "SSH_AUTH_SOCK", "EDITOR"] {
            assert!(!is_secret_var(name), "{name}");
        }
    }

    #[test]
    fn hardening_makes_the_process_non_dumpable() {
        // The test harness runs each test on a thread of one process: set it and read it back.
        harden_self();
        #[cfg(target_os = "linux")]
        // SAFETY: PR_GET_DUMPABLE only reads a flag.
        assert_eq!(unsafe { libc::prctl(libc::PR_GET_DUMPABLE, 0, 0, 0, 0) }, 0);
    }
}
