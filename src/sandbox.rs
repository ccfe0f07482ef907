//! The OS sandbox commands run in: what a command the policy let through can still do.
//!
//! The permission policy decides whether a command runs; the sandbox limits what it can do
//! once it runs, so that an approved `npm test` whose post-install script turns hostile
//! cannot write `~/.bashrc` or, in `strict`, phone home. Modes (`[sandbox] mode`):
//!
//! - `off`: nothing beyond the policy.
//! - `workspace` (the default where the kernel can): the command may read everything but
//!   write only in the workspace, the temp folders, the usual build caches
//!   ([`DEFAULT_WRITABLE`]) and the folders `[sandbox] writable` adds.
//! - `strict`: as `workspace`, and no network (TCP connect and bind are refused), no
//!   connecting to abstract UNIX sockets or signalling processes outside the sandbox.
//!
//! Landlock does it where the kernel has it (Linux 5.13+, TCP rules from 6.7): the ruleset is
//! built in claw-tui and applied in the child between fork and exec with two system calls, so
//! claw-tui itself is never restricted. Where Landlock is missing, bubblewrap does it if
//! installed (a read-only view of `/` with the writable folders bound over it, and a network
//! namespace of its own in `strict`). Where neither can, the mode says so (`/status`,
//! `claw-tui config`) and commands run unconfined.

use std::path::{Path, PathBuf};

/// What a command may do beyond the policy's say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SandboxMode {
    Off,
    #[default]
    Workspace,
    Strict,
}

impl std::str::FromStr for SandboxMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "off" | "none" => Ok(SandboxMode::Off),
            "workspace" | "workspace-write" => Ok(SandboxMode::Workspace),
            "strict" => Ok(SandboxMode::Strict),
            other => Err(format!("unknown sandbox mode `{other}` (expected off, workspace or strict)")),
        }
    }
}

impl std::fmt::Display for SandboxMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            SandboxMode::Off => "off",
            SandboxMode::Workspace => "workspace",
            SandboxMode::Strict => "strict",
        })
    }
}

/// Folders under the home folder that build tools write to, writable by default: caches that
/// hold nothing a command could turn against the user the way `~/.bashrc` or `~/.ssh` could.
pub const DEFAULT_WRITABLE: &[&str] = &["~/.cache", "~/.cargo/registry", "~/.cargo/git", "~/.npm"];

/// Device files a command may write (output thrown away, randomness, terminals it does not
/// have are refused anyway).
const DEVICES: &[&str] = &["/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/shm"];

/// How the sandbox is enforced here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Backend {
    /// The mode is `off`.
    None,
    /// Landlock, at this ABI version; `network` when it can refuse TCP (ABI 4+).
    Landlock { abi: i32, network: bool },
    /// bubblewrap, at this path.
    Bubblewrap(PathBuf),
    /// The mode asks for a sandbox this system cannot give: why.
    Unavailable(String),
}

/// The sandbox of one agent's commands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sandbox {
    pub mode: SandboxMode,
    pub backend: Backend,
    /// Canonical folders (and device files) commands may write.
    pub writable: Vec<PathBuf>,
}

impl Default for Sandbox {
    fn default() -> Self {
        Sandbox::off()
    }
}

impl Sandbox {
    pub fn off() -> Sandbox {
        Sandbox { mode: SandboxMode::Off, backend: Backend::None, writable: Vec::new() }
    }

    /// The sandbox for `mode` in the workspace at `root`, with `extra` writable folders (as
    /// the config says them: `~/` is the home folder). The backend is the best this system
    /// has.
    pub fn new(mode: SandboxMode, root: &Path, extra: &[String]) -> Sandbox {
        if mode == SandboxMode::Off {
            return Sandbox::off();
        }
        let writable = writable(root, extra);
        let abi = landlock_abi();
        let backend = if abi >= 1 && (mode == SandboxMode::Workspace || abi >= 4) {
            Backend::Landlock { abi, network: abi >= 4 }
        } else if let Some(bwrap) = bubblewrap() {
            Backend::Bubblewrap(bwrap)
        } else if abi >= 1 {
            // Strict without TCP rules and without bubblewrap: writes are still confined.
            Backend::Landlock { abi, network: false }
        } else {
            Backend::Unavailable("this kernel has no Landlock (Linux 5.13+) and bubblewrap is not installed".into())
        };
        Sandbox { mode, backend, writable }
    }

    /// Whether commands are confined at all.
    pub fn active(&self) -> bool {
        matches!(self.backend, Backend::Landlock { .. } | Backend::Bubblewrap(_))
    }

    /// One line for `/status` and `claw-tui config`.
    pub fn describe(&self) -> String {
        let what = match self.mode {
            SandboxMode::Off => return "off: commands can do whatever the permission policy lets through".into(),
            SandboxMode::Workspace => "writes only in the workspace, temp and build caches",
            SandboxMode::Strict => "writes only in the workspace, temp and build caches; no network",
        };
        match &self.backend {
            Backend::None => "off".into(),
            Backend::Landlock { abi, network } if self.mode == SandboxMode::Strict && !network => format!(
                "strict (Landlock ABI {abi}): writes confined, but this kernel cannot refuse network access (Landlock ABI 4, Linux 6.7, is needed, or bubblewrap)"
            ),
            Backend::Landlock { abi, .. } => format!("{} (Landlock ABI {abi}): {what}", self.mode),
            Backend::Bubblewrap(path) => format!("{} (bubblewrap, {}): {what}", self.mode, path.display()),
            Backend::Unavailable(why) => {
                format!("{} asked for but unavailable: {why}; commands run unconfined", self.mode)
            }
        }
    }

    /// The program and arguments that run `shell -c command` in the sandbox. With bubblewrap
    /// that is bwrap wrapping the shell; otherwise the shell itself (Landlock is applied by
    /// [`Sandbox::confine`]).
    pub fn program(&self, shell: &str, command: &str) -> (String, Vec<String>) {
        self.wrap(&[shell, "-c", command])
    }

    /// The program and arguments that run `argv` in the sandbox.
    pub fn wrap(&self, argv: &[&str]) -> (String, Vec<String>) {
        let mut args = Vec::new();
        if let Backend::Bubblewrap(bwrap) = &self.backend {
            args.extend(["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc"].map(String::from));
            for dir in &self.writable {
                let d = dir.display().to_string();
                if !d.starts_with("/dev/") {
                    args.extend(["--bind".to_string(), d.clone(), d]);
                }
            }
            if self.mode == SandboxMode::Strict {
                args.push("--unshare-net".into());
            }
            args.extend(["--die-with-parent", "--"].map(String::from));
            args.extend(argv.iter().map(|a| a.to_string()));
            return (bwrap.display().to_string(), args);
        }
        (argv[0].to_string(), argv[1..].iter().map(|a| a.to_string()).collect())
    }

    /// Applies Landlock to `cmd`'s child (nothing for other backends). The ruleset is built
    /// here; the child only calls `prctl(PR_SET_NO_NEW_PRIVS)` and `landlock_restrict_self`.
    pub fn confine(&self, cmd: &mut tokio::process::Command) -> std::io::Result<()> {
        let Backend::Landlock { network, .. } = self.backend else { return Ok(()) };
        let fd = landlock_ruleset(&self.writable, self.mode == SandboxMode::Strict && network)
            .map_err(|e| std::io::Error::other(format!("the sandbox could not be set up: {e}")))?;
        let raw = std::os::fd::AsRawFd::as_raw_fd(&fd);
        // SAFETY: between fork and exec only async-signal-safe system calls run; `fd` lives in
        // the closure (so in `cmd`) until the command is spawned.
        unsafe {
            cmd.pre_exec(move || {
                let _keep = &fd;
                if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0
                    || libc::syscall(libc::SYS_landlock_restrict_self, raw, 0) != 0
                {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        Ok(())
    }

    /// A note for the model when a confined command failed in a way the sandbox may have
    /// caused: what the sandbox allows and who can change it.
    pub fn explain_failure(&self, output: &str) -> Option<String> {
        if !self.active() {
            return None;
        }
        let lower = output.to_ascii_lowercase();
        let denied =
            ["permission denied", "operation not permitted", "read-only file system"].iter().any(|s| lower.contains(s));
        let offline = self.mode == SandboxMode::Strict
            && ["network is unreachable", "could not resolve", "connection refused", "permission denied"]
                .iter()
                .any(|s| lower.contains(s));
        if !denied && !offline {
            return None;
        }
        let places: Vec<String> = self.writable.iter().map(|p| p.display().to_string()).collect();
        let network = if self.mode == SandboxMode::Strict { "; and no network" } else { "" };
        Some(format!(
            "[claw-tui's sandbox ({}) may have refused this: commands may write only in {}{network}. Do not try to get around it; if the command needs more, say so: the user can add a folder to `[sandbox] writable` or change `[sandbox] mode`.]",
            self.mode,
            places.join(", ")
        ))
    }
}

/// The folders commands may write: the workspace, the temp folders, the build caches, the
/// repository's git folder when it lives elsewhere (a worktree), what the config adds, and
/// the writable devices; those that exist, canonical, without repeats.
fn writable(root: &Path, extra: &[String]) -> Vec<PathBuf> {
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let expand = |p: &str| match (p.strip_prefix("~/"), &home) {
        (Some(rest), Some(h)) => h.join(rest),
        _ => PathBuf::from(p),
    };
    let mut dirs = vec![root.to_path_buf(), std::env::temp_dir(), PathBuf::from("/tmp"), PathBuf::from("/var/tmp")];
    dirs.extend(DEFAULT_WRITABLE.iter().map(|p| expand(p)));
    dirs.extend(git_dir_elsewhere(root));
    dirs.extend(extra.iter().map(|p| expand(p)));
    dirs.extend(DEVICES.iter().map(PathBuf::from));
    let mut out: Vec<PathBuf> = Vec::new();
    for d in dirs {
        if let Ok(c) = d.canonicalize()
            && !out.contains(&c)
        {
            out.push(c);
        }
    }
    out
}

/// Where a worktree's `.git` file points (`gitdir: …`), and that repository's common folder:
/// `git commit` writes there.
fn git_dir_elsewhere(root: &Path) -> Vec<PathBuf> {
    let Ok(text) = std::fs::read_to_string(root.join(".git")) else { return Vec::new() };
    let Some(dir) = text.lines().find_map(|l| l.strip_prefix("gitdir:")).map(|d| root.join(d.trim())) else {
        return Vec::new();
    };
    let common = std::fs::read_to_string(dir.join("commondir")).ok().map(|c| dir.join(c.trim()));
    std::iter::once(dir).chain(common).collect()
}

/// The Landlock ABI version this kernel has (0: none).
pub fn landlock_abi() -> i32 {
    // SAFETY: landlock_create_ruleset with a null attribute, size 0 and the VERSION flag only
    // asks for the version.
    let v = unsafe {
        libc::syscall(
            libc::SYS_landlock_create_ruleset,
            std::ptr::null::<libc::c_void>(),
            0usize,
            1u32, // LANDLOCK_CREATE_RULESET_VERSION
        )
    };
    v.max(0) as i32
}

/// bubblewrap on the PATH, if it can make a sandbox here (user namespaces may be off).
fn bubblewrap() -> Option<PathBuf> {
    let bwrap = crate::child::on_path("bwrap")?;
    let works = std::process::Command::new(&bwrap)
        .args(["--ro-bind", "/", "/", "--dev", "/dev", "--", "/bin/true"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    works.then_some(bwrap)
}

/// A Landlock ruleset: read and execute everywhere, everything in `writable`, and with
/// `no_network`, no TCP and no reaching outside through abstract sockets or signals.
fn landlock_ruleset(writable: &[PathBuf], no_network: bool) -> Result<std::os::fd::OwnedFd, String> {
    use landlock::{
        ABI, Access, AccessFs, AccessNet, CompatLevel, Compatible, Ruleset, RulesetAttr, RulesetCreatedAttr, Scope,
        path_beneath_rules,
    };
    let abi = ABI::V6;
    let fail = |e: landlock::RulesetError| e.to_string();
    let mut ruleset = Ruleset::default()
        .set_compatibility(CompatLevel::BestEffort)
        .handle_access(AccessFs::from_all(abi))
        .map_err(fail)?;
    if no_network {
        ruleset = ruleset.handle_access(AccessNet::BindTcp | AccessNet::ConnectTcp).map_err(fail)?;
        ruleset = ruleset.scope(Scope::from_all(abi)).map_err(fail)?;
    }
    let created = ruleset
        .create()
        .map_err(fail)?
        .add_rules(path_beneath_rules(["/"], AccessFs::from_read(abi)))
        .map_err(fail)?
        .add_rules(path_beneath_rules(["/dev"], AccessFs::from_read(abi) | AccessFs::IoctlDev))
        .map_err(fail)?
        .add_rules(path_beneath_rules(writable, AccessFs::from_all(abi)))
        .map_err(fail)?;
    let fd: Option<std::os::fd::OwnedFd> = created.into();
    fd.ok_or_else(|| "this kernel has no Landlock".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_parse_and_name_themselves() {
        for (text, mode) in
            [("off", SandboxMode::Off), ("Workspace", SandboxMode::Workspace), ("strict", SandboxMode::Strict)]
        {
            assert_eq!(text.parse::<SandboxMode>().unwrap(), mode);
            assert_eq!(mode.to_string().parse::<SandboxMode>().unwrap(), mode);
        }
        assert!("loose".parse::<SandboxMode>().unwrap_err().contains("expected off, workspace or strict"));
    }

    #[test]
    fn the_writable_list_is_canonical_and_has_the_workspace_and_temp() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        let s = Sandbox::new(SandboxMode::Workspace, &root, &["/nonexistent/x".into(), root.display().to_string()]);
        assert!(s.writable.contains(&root));
        assert!(s.writable.contains(&std::env::temp_dir().canonicalize().unwrap()));
        assert!(s.writable.contains(&PathBuf::from("/dev/null")));
        assert_eq!(s.writable.iter().filter(|p| **p == root).count(), 1, "no repeats");
        assert!(!s.writable.iter().any(|p| p.starts_with("/nonexistent")));
        assert_eq!(Sandbox::new(SandboxMode::Off, &root, &[]), Sandbox::off());
    }

    #[test]
    fn a_worktree_git_folder_is_writable() {
        let dir = tempfile::tempdir().unwrap();
        let main = dir.path().join("main/.git/worktrees/wt");
        std::fs::create_dir_all(&main).unwrap();
        std::fs::write(main.join("commondir"), "../..\n").unwrap();
        let wt = dir.path().join("wt");
        std::fs::create_dir_all(&wt).unwrap();
        std::fs::write(wt.join(".git"), format!("gitdir: {}\n", main.display())).unwrap();
        let found: Vec<PathBuf> = git_dir_elsewhere(&wt).iter().map(|p| p.canonicalize().unwrap()).collect();
        assert_eq!(found, [main.canonicalize().unwrap(), dir.path().join("main/.git").canonicalize().unwrap()]);
    }

    #[test]
    fn bubblewrap_binds_the_writable_folders_over_a_read_only_root() {
        let s = Sandbox {
            mode: SandboxMode::Strict,
            backend: Backend::Bubblewrap("/usr/bin/bwrap".into()),
            writable: vec!["/work".into(), "/tmp".into(), "/dev/null".into()],
        };
        let (program, args) = s.program("/bin/bash", "make test");
        assert_eq!(program, "/usr/bin/bwrap");
        assert_eq!(
            args.join(" "),
            "--ro-bind / / --dev /dev --proc /proc --bind /work /work --bind /tmp /tmp --unshare-net --die-with-parent -- /bin/bash -c make test"
        );
        let off = Sandbox::off();
        assert_eq!(off.program("/bin/sh", "ls"), ("/bin/sh".to_string(), vec!["-c".to_string(), "ls".to_string()]));
    }

    #[test]
    fn a_denial_is_explained_only_when_confined() {
        let s = Sandbox {
            mode: SandboxMode::Workspace,
            backend: Backend::Landlock { abi: 6, network: true },
            writable: vec!["/work".into()],
        };
        let note = s.explain_failure("touch: cannot touch '/home/u/.bashrc': Permission denied").unwrap();
        assert!(note.contains("sandbox (workspace)") && note.contains("only in /work"), "{note}");
        assert!(s.explain_failure("error[E0308]: mismatched types").is_none());
        assert!(Sandbox::off().explain_failure("Permission denied").is_none());
    }
}
