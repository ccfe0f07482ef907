//! Workspace confinement.
//!
//! A path given by the model is resolved against the working directory, normalized, and then
//! canonicalized as far as it exists (so a symlink anywhere along it is followed). It counts as
//! inside the workspace only if that canonical form lies under the workspace's canonical root:
//! `../x`, an absolute path elsewhere and a symlink pointing out all count as outside.

use std::path::{Component, Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The root the agent works in and the directory relative paths start from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workspace {
    /// Canonical root.
    pub root: PathBuf,
    /// Canonical working directory (the root or below it).
    pub cwd: PathBuf,
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
        Ok(Workspace { root: root.canonicalize()?, cwd: cwd.canonicalize()? })
    }

    /// The workspace for `cwd`: its git repository's top level, or `cwd` itself outside a
    /// repository.
    pub fn discover(cwd: &Path) -> std::io::Result<Self> {
        let cwd = cwd.canonicalize()?;
        let root =
            cwd.ancestors().find(|dir| dir.join(".git").exists()).map(Path::to_path_buf).unwrap_or_else(|| cwd.clone());
        Ok(Workspace { root, cwd })
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
        let canonical = canonicalize_existing_prefix(&path);
        let inside = canonical.starts_with(&self.root);
        Ok(ResolvedPath { path, canonical, inside })
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

/// Canonicalizes the longest existing prefix of `path` and appends the rest.
fn canonicalize_existing_prefix(path: &Path) -> PathBuf {
    let mut existing = path.to_path_buf();
    let mut rest: Vec<std::ffi::OsString> = Vec::new();
    loop {
        if let Ok(c) = existing.canonicalize() {
            let mut out = c;
            for part in rest.iter().rev() {
                out.push(part);
            }
            return out;
        }
        match (existing.file_name().map(|f| f.to_os_string()), existing.parent()) {
            (Some(name), Some(parent)) => {
                rest.push(name);
                existing = parent.to_path_buf();
            }
            _ => return path.to_path_buf(),
        }
    }
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
}
