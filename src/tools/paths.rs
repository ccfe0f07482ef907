//! Workspace confinement.
//!
//! A path given by the model is resolved against the working directory, normalized, and then
//! every symlink along it is followed, dangling ones included (a link to a file that does not
//! exist yet resolves to where that file would be). It counts as inside the workspace only if
//! that resolved form lies under the workspace's canonical root: `../x`, an absolute path
//! elsewhere and a symlink pointing out all count as outside, and so does a link that cannot
//! be resolved at all (a loop, an unreadable link). The agent's scratch folder, where long
//! command output is saved for the model to read, counts as inside as well.
//!
//! Checking is not enough when a link can be swapped in between the check and the write:
//! [`write_no_follow`] writes a resolved path without following any symlink on the way, and
//! atomically (a temporary file renamed over the old one).

use std::path::{Component, Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The root the agent works in and the directory relative paths start from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workspace {
    /// Canonical root.
    pub root: PathBuf,
    /// Canonical working directory (the root or below it).
    pub cwd: PathBuf,
    /// The agent's scratch folder (where long command output is saved), which counts as
    /// inside too: the model is told to read files there.
    pub scratch: Option<PathBuf>,
}

/// A path after resolution.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResolvedPath {
    /// Absolute and normalized, symlinks not followed: where the file is as the model named it.
    pub path: PathBuf,
    /// With symlinks followed as far as the path exists.
    pub canonical: PathBuf,
    pub inside: bool,
}

impl Workspace {
    /// A workspace rooted at `root`, working in `cwd`. Both must exist.
    pub fn new(root: &Path, cwd: &Path) -> std::io::Result<Self> {
        Ok(Workspace { root: root.canonicalize()?, cwd: cwd.canonicalize()?, scratch: None })
    }

    /// The workspace for `cwd`: its git repository's top level, or `cwd` itself outside a
    /// repository. The workspace is never the home directory or `/`: a repository there (a
    /// dotfiles repository in `~`) gives way to `cwd`, and `cwd` itself being one is refused,
    /// since every file the user has would be "inside".
    pub fn discover(cwd: &Path) -> std::io::Result<Self> {
        let cwd = cwd.canonicalize()?;
        let too_wide = |dir: &Path| {
            dir == Path::new("/")
                || std::env::var_os("HOME").and_then(|h| PathBuf::from(h).canonicalize().ok()).is_some_and(|h| h == dir)
        };
        if too_wide(&cwd) {
            return Err(std::io::Error::other(format!(
                "{} holds everything you have, so claw-tui will not use it as the workspace: start it in a project folder",
                cwd.display()
            )));
        }
        let root = cwd
            .ancestors()
            .find(|dir| dir.join(".git").exists())
            .filter(|dir| !too_wide(dir))
            .map(Path::to_path_buf)
            .unwrap_or_else(|| cwd.clone());
        Ok(Workspace { root, cwd, scratch: None })
    }

    /// Resolves a path the model gave. Errors only for an empty path.
    pub fn resolve(&self, raw: &str) -> Result<ResolvedPath, String> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err("the path is empty".into());
        }
        let expanded: PathBuf = match raw.strip_prefix("~/") {
            Some(rest) => match std::env::var_os("HOME") {
                Some(home) => PathBuf::from(home).join(rest),
                None => PathBuf::from(raw),
            },
            None => PathBuf::from(raw),
        };
        let joined = if expanded.is_absolute() { expanded } else { self.cwd.join(expanded) };
        let path = normalize(&joined);
        Ok(match resolve_links(&path) {
            Some(canonical) => {
                let inside = canonical.starts_with(&self.root)
                    || self.scratch.as_ref().is_some_and(|s| canonical.starts_with(s));
                ResolvedPath { path, canonical, inside }
            }
            None => ResolvedPath { canonical: path.clone(), path, inside: false },
        })
    }

    /// How to show `path` to the model and the user: relative to the working directory when it
    /// is below it, absolute otherwise.
    pub fn display(&self, path: &Path) -> String {
        match path.strip_prefix(&self.cwd) {
            Ok(rel) if rel.as_os_str().is_empty() => ".".to_string(),
            Ok(rel) => rel.display().to_string(),
            Err(_) => path.display().to_string(),
        }
    }
}

/// Removes `.` and resolves `..` lexically.
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// Most symlinks followed while resolving one path (as the kernel's limit): more is a loop.
const MAX_LINKS: usize = 40;

/// `path` (absolute) with every symlink along it followed, dangling ones too: a component that
/// does not exist ends the walk and the rest is appended as written. `None` when a link
/// cannot be resolved (it loops, or cannot be read).
pub fn resolve_links(path: &Path) -> Option<PathBuf> {
    let mut done = PathBuf::from("/");
    let mut todo: std::collections::VecDeque<std::ffi::OsString> = path
        .components()
        .filter(|c| matches!(c, Component::Normal(_) | Component::ParentDir))
        .map(|c| c.as_os_str().to_os_string())
        .collect();
    let mut links = 0;
    let mut exists = true;
    while let Some(part) = todo.pop_front() {
        if part == ".." {
            done.pop();
            continue;
        }
        let next = done.join(&part);
        if !exists {
            done = next;
            continue;
        }
        match std::fs::symlink_metadata(&next) {
            Ok(meta) if meta.file_type().is_symlink() => {
                links += 1;
                if links > MAX_LINKS {
                    return None;
                }
                let target = std::fs::read_link(&next).ok()?;
                if target.is_absolute() {
                    done = PathBuf::from("/");
                }
                let parts = target.components().filter_map(|c| match c {
                    Component::Normal(p) => Some(p.to_os_string()),
                    Component::ParentDir => Some(std::ffi::OsString::from("..")),
                    _ => None,
                });
                for (i, p) in parts.enumerate() {
                    todo.insert(i, p);
                }
            }
            Ok(_) => done = next,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                exists = false;
                done = next;
            }
            // Unreadable (permissions): it exists; take it as it is named.
            Err(_) => done = next,
        }
    }
    Some(done)
}

/// Writes `bytes` to `path` (absolute) without following a symlink anywhere on the way, and
/// atomically. Every directory is opened relative to the one before it with `O_NOFOLLOW` (and
/// created when missing); a symlink swapped in anywhere along the path after it was checked
/// makes the write fail instead of going where the link points. The content goes to a
/// temporary file in the same folder, is synced and renamed over the file, so a full disk or
/// a crash leaves the old file whole; the file keeps its mode (and owner, where allowed). A
/// file with several hard links is written in place instead (renaming would split it from
/// its other names): such a write is not atomic.
pub fn write_no_follow(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let name = path.file_name().ok_or_else(|| std::io::Error::other("not a file path"))?;
    let dir = open_dir_no_follow(path.parent().unwrap_or(Path::new("/")))?;
    let existing = stat_at(&dir, name)?;
    match existing {
        Some(st) if st.st_mode & libc::S_IFMT == libc::S_IFLNK => {
            return Err(std::io::Error::other(format!(
                "{} is a symlink (it was not one when the path was checked); not followed",
                name.to_string_lossy()
            )));
        }
        Some(st) if st.st_mode & libc::S_IFMT != libc::S_IFREG => {
            return Err(std::io::Error::other(format!("{} is not a regular file", name.to_string_lossy())));
        }
        Some(st) if st.st_nlink > 1 => {
            let file = openat_no_follow(&dir, name, libc::O_WRONLY | libc::O_TRUNC, 0)?;
            let mut file = std::fs::File::from(file);
            file.write_all(bytes)?;
            return file.sync_all();
        }
        _ => {}
    }
    replace_at(&dir, name, bytes, existing)
}

/// `fstatat(dir, name)` without following a link; `None` when nothing is there.
fn stat_at(dir: &std::os::fd::OwnedFd, name: &std::ffi::OsStr) -> std::io::Result<Option<libc::stat>> {
    let c = cstring(name)?;
    // SAFETY: fstatat fills a zeroed stat buffer; the descriptor and name are valid.
    unsafe {
        let mut st: libc::stat = std::mem::zeroed();
        if libc::fstatat(std::os::fd::AsRawFd::as_raw_fd(dir), c.as_ptr(), &mut st, libc::AT_SYMLINK_NOFOLLOW) == 0 {
            return Ok(Some(st));
        }
    }
    let err = std::io::Error::last_os_error();
    if err.kind() == std::io::ErrorKind::NotFound { Ok(None) } else { Err(err) }
}

/// Writes a temporary file beside `name` in `dir`, syncs it and renames it over `name`. With
/// `old`, the new file gets its mode and owner; without, the default mode (umask applies).
fn replace_at(
    dir: &std::os::fd::OwnedFd,
    name: &std::ffi::OsStr,
    bytes: &[u8],
    old: Option<libc::stat>,
) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::fd::AsRawFd;
    let tmp_name = std::ffi::OsString::from(format!(
        ".{}.claw-{}-{:08x}.tmp",
        name.to_string_lossy(),
        std::process::id(),
        fastrand::u32(..)
    ));
    let fd = openat_no_follow(dir, &tmp_name, libc::O_WRONLY | libc::O_CREAT | libc::O_EXCL, 0o666)?;
    let tmp = cstring(&tmp_name)?;
    let target = cstring(name)?;
    let written = (|| {
        let mut file = std::fs::File::from(fd);
        if let Some(st) = old {
            // SAFETY: fchmod/fchown on a descriptor we own. A failed chown (not root, another
            // owner) leaves the file ours, as an editor's save would.
            unsafe {
                if libc::fchmod(file.as_raw_fd(), st.st_mode & 0o7777) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                let _ = libc::fchown(file.as_raw_fd(), st.st_uid, st.st_gid);
            }
        }
        file.write_all(bytes)?;
        file.sync_all()?;
        // SAFETY: renameat within one directory descriptor, NUL-terminated names.
        if unsafe { libc::renameat(dir.as_raw_fd(), tmp.as_ptr(), dir.as_raw_fd(), target.as_ptr()) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(())
    })();
    if written.is_err() {
        // SAFETY: unlinkat of the temporary name we created, in the same directory.
        unsafe {
            libc::unlinkat(dir.as_raw_fd(), tmp.as_ptr(), 0);
        }
        return written;
    }
    // The rename survives a crash once the folder is synced; best effort (some file systems
    // refuse), since the rename itself is done.
    // SAFETY: fsync on a directory descriptor we hold.
    unsafe {
        libc::fsync(dir.as_raw_fd());
    }
    Ok(())
}

/// Opens directory `dir` (absolute) component by component with `O_NOFOLLOW`, creating the
/// components that do not exist.
fn open_dir_no_follow(dir: &Path) -> std::io::Result<std::os::fd::OwnedFd> {
    use std::os::fd::{FromRawFd, OwnedFd};
    // SAFETY: open with a valid NUL-terminated path; the result is checked before use.
    let root = unsafe { libc::open(c"/".as_ptr(), libc::O_DIRECTORY | libc::O_RDONLY | libc::O_CLOEXEC) };
    if root < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: `root` is a fresh descriptor owned by nothing else.
    let mut current = unsafe { OwnedFd::from_raw_fd(root) };
    for c in dir.components() {
        let Component::Normal(part) = c else { continue };
        let flags = libc::O_DIRECTORY | libc::O_RDONLY;
        current = match openat_no_follow(&current, part, flags, 0) {
            Ok(fd) => fd,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let name = cstring(part)?;
                // SAFETY: mkdirat with a valid directory descriptor and NUL-terminated name.
                if unsafe { libc::mkdirat(std::os::fd::AsRawFd::as_raw_fd(&current), name.as_ptr(), 0o777) } < 0 {
                    let err = std::io::Error::last_os_error();
                    if err.kind() != std::io::ErrorKind::AlreadyExists {
                        return Err(err);
                    }
                }
                openat_no_follow(&current, part, flags, 0)?
            }
            Err(e) => return Err(e),
        };
    }
    Ok(current)
}

fn cstring(part: &std::ffi::OsStr) -> std::io::Result<std::ffi::CString> {
    std::ffi::CString::new(std::os::unix::ffi::OsStrExt::as_bytes(part))
        .map_err(|_| std::io::Error::other("a path component holds a NUL byte"))
}

/// `openat(dir, name, flags | O_NOFOLLOW | O_CLOEXEC)`; a symlink there fails with a clear
/// error.
fn openat_no_follow(
    dir: &std::os::fd::OwnedFd,
    name: &std::ffi::OsStr,
    flags: libc::c_int,
    mode: libc::mode_t,
) -> std::io::Result<std::os::fd::OwnedFd> {
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
    let c = cstring(name)?;
    // SAFETY: a valid directory descriptor, a NUL-terminated name, plain flags.
    let fd = unsafe {
        libc::openat(dir.as_raw_fd(), c.as_ptr(), flags | libc::O_NOFOLLOW | libc::O_CLOEXEC, libc::c_uint::from(mode))
    };
    if fd < 0 {
        let err = std::io::Error::last_os_error();
        // ELOOP (the final component is a link) or ENOTDIR (a link where a directory was):
        // say so when it is a link.
        // SAFETY: fstatat fills a zeroed stat buffer; the descriptor and name are valid.
        let is_link = unsafe {
            let mut st: libc::stat = std::mem::zeroed();
            libc::fstatat(dir.as_raw_fd(), c.as_ptr(), &mut st, libc::AT_SYMLINK_NOFOLLOW) == 0
                && st.st_mode & libc::S_IFMT == libc::S_IFLNK
        };
        if is_link {
            return Err(std::io::Error::other(format!(
                "{} is a symlink (it was not one when the path was checked); not followed",
                name.to_string_lossy()
            )));
        }
        return Err(err);
    }
    // SAFETY: `fd` is a fresh descriptor owned by nothing else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inside_outside_and_symlinks() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("ws");
        std::fs::create_dir_all(root.join("src")).unwrap();
        std::fs::create_dir_all(dir.path().join("outside")).unwrap();
        std::os::unix::fs::symlink(dir.path().join("outside"), root.join("link")).unwrap();
        let ws = Workspace::new(&root, &root).unwrap();

        assert!(ws.resolve("src/main.rs").unwrap().inside);
        assert!(ws.resolve("new/dir/file.txt").unwrap().inside);
        assert!(ws.resolve("./src/../src/x").unwrap().inside);
        assert!(!ws.resolve("../outside/x").unwrap().inside);
        assert!(!ws.resolve("/etc/passwd").unwrap().inside);
        assert!(!ws.resolve("link/secret.txt").unwrap().inside, "a symlink pointing out is out");
        assert!(ws.resolve("").is_err());
        assert_eq!(ws.display(&ws.resolve("src/a.rs").unwrap().path), "src/a.rs");
    }

    #[test]
    fn discover_finds_the_repository_root() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join(".git")).unwrap();
        std::fs::create_dir_all(dir.path().join("a/b")).unwrap();
        let ws = Workspace::discover(&dir.path().join("a/b")).unwrap();
        assert_eq!(ws.root, dir.path().canonicalize().unwrap());
        assert!(ws.resolve("../../README.md").unwrap().inside);
    }

    /// The committed dangling symlink: `notes.md -> <outside>/authorized_keys` is outside, a
    /// loop cannot be resolved (outside too), and a link inside that points inside is inside.
    #[test]
    fn dangling_links_and_loops() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("ws");
        std::fs::create_dir_all(root.join("docs")).unwrap();
        let outside = dir.path().join("home/.ssh/authorized_keys");
        std::os::unix::fs::symlink(&outside, root.join("notes.md")).unwrap();
        std::os::unix::fs::symlink("loop2", root.join("loop1")).unwrap();
        std::os::unix::fs::symlink("loop1", root.join("loop2")).unwrap();
        std::os::unix::fs::symlink("docs/readme.md", root.join("README.md")).unwrap();
        let ws = Workspace::new(&root, &root).unwrap();
        let notes = ws.resolve("notes.md").unwrap();
        assert!(!notes.inside, "a dangling link out is out");
        assert_eq!(notes.canonical, outside.canonicalize().unwrap_or(outside.clone()));
        assert!(!ws.resolve("loop1").unwrap().inside);
        assert!(!ws.resolve("loop1/x").unwrap().inside);
        let readme = ws.resolve("README.md").unwrap();
        assert!(readme.inside);
        assert_eq!(readme.canonical, ws.root.join("docs/readme.md"));
    }

    /// A link swapped in after the check: the write fails instead of following it.
    #[test]
    fn writes_never_follow_a_link() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        let target = root.join("elsewhere.txt");
        std::fs::create_dir(root.join("sub")).unwrap();
        write_no_follow(&root.join("sub/new/deep.txt"), b"ok").unwrap();
        assert_eq!(std::fs::read_to_string(root.join("sub/new/deep.txt")).unwrap(), "ok", "directories are created");
        std::os::unix::fs::symlink(&target, root.join("sub/file.txt")).unwrap();
        let e = write_no_follow(&root.join("sub/file.txt"), b"x").unwrap_err();
        assert!(e.to_string().contains("is a symlink"), "{e}");
        std::fs::create_dir(root.join("real")).unwrap();
        std::os::unix::fs::symlink(root.join("real"), root.join("linkdir")).unwrap();
        let e = write_no_follow(&root.join("linkdir/f.txt"), b"x").unwrap_err();
        assert!(e.to_string().contains("is a symlink"), "{e}");
        assert!(!target.exists() && !root.join("real/f.txt").exists(), "nothing was written through a link");
    }

    #[test]
    fn the_home_directory_and_root_are_never_the_workspace() {
        let home = std::env::var_os("HOME").map(PathBuf::from).and_then(|h| h.canonicalize().ok());
        if let Some(home) = home {
            let e = Workspace::discover(&home).unwrap_err();
            assert!(e.to_string().contains("will not use it as the workspace"), "{e}");
        }
        assert!(Workspace::discover(Path::new("/")).is_err());
    }
}
