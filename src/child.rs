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
//! - Commands run in a session of their own ([`new_session`]): no controlling terminal (they
//!   cannot write to claw-tui's screen or wait on a password prompt there), and one process
//!   group to stop them with everything they started. Every such group is [`Groups::track`]ed
//!   until it is empty, and what is left is stopped when its agent ends and when claw-tui
//!   exits ([`stop_all`]): SIGTERM, then SIGKILL after a grace period.

use std::ffi::OsString;
use std::path::Path;

/// Variables claw-tui itself reads credentials from.
pub const CREDENTIAL_VARS: &[&str] = &[
    "ANTHROPIC_API_KEY",
    "ANTHROPIC_AUTH_TOKEN",
    "OPENAI_API_KEY",
    "OPENROUTER_API_KEY",
    "CLAW_API_KEY",
    "CLAUDE_CODE_OAUTH_TOKEN",
];

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

/// Runs the command in a new session: its own process group (its pid), no controlling
/// terminal.
pub fn new_session(cmd: &mut tokio::process::Command) -> &mut tokio::process::Command {
    // SAFETY: setsid is async-signal-safe and only changes the child's own session; it runs
    // after fork and before exec.
    unsafe {
        cmd.pre_exec(|| {
            if libc::setsid() < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    cmd
}

/// Time a stopped group gets between SIGTERM and SIGKILL.
pub const KILL_GRACE: std::time::Duration = std::time::Duration::from_millis(500);

/// Process groups started by claw-tui that may still have members.
#[derive(Debug, Default)]
pub struct Groups {
    ids: std::sync::Mutex<std::collections::BTreeSet<i32>>,
}

impl Groups {
    /// Remembers group `pgid` (here and in the process-wide list [`stop_all`] reads).
    pub fn track(&self, pgid: u32) {
        let Ok(id) = i32::try_from(pgid) else { return };
        self.ids.lock().expect("groups lock").insert(id);
        EVERY_GROUP.ids.lock().expect("groups lock").insert(id);
    }

    /// Forgets the groups that have no members left.
    pub fn prune(&self) {
        for list in [self, &EVERY_GROUP] {
            list.ids.lock().expect("groups lock").retain(|id| alive(*id));
        }
    }

    /// Stops every group still tracked: SIGTERM, then SIGKILL to what is left after
    /// [`KILL_GRACE`]. Blocks for at most the grace period.
    pub fn stop(&self) {
        let ids: Vec<i32> = std::mem::take(&mut *self.ids.lock().expect("groups lock")).into_iter().collect();
        stop_groups(&ids);
        EVERY_GROUP.ids.lock().expect("groups lock").retain(|id| !ids.contains(id));
    }
}

impl Groups {
    /// Stops group `pgid` alone (SIGTERM, then SIGKILL after [`KILL_GRACE`]) and forgets it.
    pub fn stop_one(&self, pgid: u32) {
        let Ok(id) = i32::try_from(pgid) else { return };
        stop_groups(&[id]);
        for list in [self, &EVERY_GROUP] {
            list.ids.lock().expect("groups lock").remove(&id);
        }
    }
}

static EVERY_GROUP: Groups = Groups { ids: std::sync::Mutex::new(std::collections::BTreeSet::new()) };

/// Stops every process group claw-tui started and that still has members (at exit).
pub fn stop_all() {
    EVERY_GROUP.stop();
}

/// Whether process group `id` has a member left.
fn alive(id: i32) -> bool {
    // SAFETY: signal 0 only checks that the group exists and may be signalled.
    unsafe { libc::killpg(id, 0) == 0 }
}

fn stop_groups(ids: &[i32]) {
    let living: Vec<i32> = ids.iter().copied().filter(|id| alive(*id)).collect();
    if living.is_empty() {
        return;
    }
    for id in &living {
        // SAFETY: killpg only sends a signal to a group this process started.
        unsafe { libc::killpg(*id, libc::SIGTERM) };
    }
    let deadline = std::time::Instant::now() + KILL_GRACE;
    while living.iter().any(|id| alive(*id)) && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    for id in living.iter().filter(|id| alive(**id)) {
        // SAFETY: as above.
        unsafe { libc::killpg(*id, libc::SIGKILL) };
    }
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

/// Where `program` is on PATH (an executable file), if anywhere.
pub fn on_path(program: &str) -> Option<std::path::PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|dir| dir.join(program)).find(|candidate| {
        std::fs::metadata(candidate).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    })
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
