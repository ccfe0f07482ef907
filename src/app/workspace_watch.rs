//! Watching the workspace for changes made outside claw-tui.
//!
//! Folders are found with the `ignore` walker, so what .gitignore (and .git/info/exclude, and
//! global excludes) leaves out is never watched: `target/`, `node_modules/` and `.git/` cost
//! nothing however large. Each folder gets its own non-recursive watch (inotify on Linux, idle
//! at zero CPU); folders created later are added as they appear. Bursts are coalesced into one
//! `Event::WorkspaceChanged` per quiet period, which refreshes /diff and lets the agent notice
//! files it read that someone else changed.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ignore::gitignore::{Gitignore, GitignoreBuilder};
use notify::{EventKind, RecursiveMode, Watcher};
use tokio::sync::mpsc;

use super::event::Event;

/// Quiet time that ends a burst of changes (a build, a checkout, an editor's save dance).
const QUIET: Duration = Duration::from_millis(250);
/// Most folders watched; a larger tree is watched in part, and the person is told.
pub const MAX_DIRS: usize = 20_000;

/// A running workspace watch; dropping it stops the watch.
pub struct WorkspaceWatcher {
    _watcher: Arc<Mutex<notify::RecommendedWatcher>>,
}

/// The folders of `root` worth watching: not ignored, not `.git`, at most `max`. Returns them
/// and whether the limit cut the walk short.
pub fn folders(root: &Path, max: usize) -> (Vec<PathBuf>, bool) {
    let mut out = Vec::new();
    // .gitignore counts outside git repositories too; .git and node_modules are never worth it.
    let walker = ignore::WalkBuilder::new(root)
        .hidden(false)
        .require_git(false)
        .filter_entry(|e| e.file_name() != ".git" && e.file_name() != "node_modules")
        .build();
    for entry in walker.flatten() {
        if entry.file_type().is_some_and(|t| t.is_dir()) {
            if out.len() >= max {
                return (out, true);
            }
            out.push(entry.into_path());
        }
    }
    (out, false)
}

/// The root's ignore rules, to leave out events from ignored files in watched folders.
fn ignores(root: &Path) -> Gitignore {
    let mut b = GitignoreBuilder::new(root);
    let _ = b.add(root.join(".gitignore"));
    let _ = b.add(root.join(".git/info/exclude"));
    b.build().unwrap_or_else(|_| Gitignore::empty())
}

fn ignored(rules: &Gitignore, root: &Path, path: &Path) -> bool {
    let Ok(rel) = path.strip_prefix(root) else { return true };
    if rel.components().any(|c| c.as_os_str() == ".git" || c.as_os_str() == "node_modules") {
        return true;
    }
    rules.matched_path_or_any_parents(path, path.is_dir()).is_ignore()
}

/// Watches `root` and sends `Event::WorkspaceChanged` on `bus`. The folders are found in the
/// background; a problem (a tree too large, the system's watch limit) comes as a notice.
pub fn watch_workspace(root: &Path, bus: mpsc::UnboundedSender<Event>) -> notify::Result<WorkspaceWatcher> {
    let root = root.to_path_buf();
    let (tx, mut rx) = mpsc::unbounded_channel::<(PathBuf, bool)>();
    let watcher = notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
        if let Ok(event) = res
            && super::watch::is_change(&event.kind)
        {
            let created_dir = matches!(event.kind, EventKind::Create(notify::event::CreateKind::Folder));
            for p in event.paths {
                let _ = tx.send((p, created_dir));
            }
        }
    })?;
    let watcher = Arc::new(Mutex::new(watcher));
    // The walk can take a while on a big tree: off the event loop.
    {
        let watcher = watcher.clone();
        let root = root.clone();
        let bus = bus.clone();
        std::thread::spawn(move || {
            let (dirs, cut) = folders(&root, MAX_DIRS);
            let mut added = 0usize;
            for dir in &dirs {
                match watcher.lock().expect("watcher lock").watch(dir, RecursiveMode::NonRecursive) {
                    Ok(()) => added += 1,
                    Err(e) if matches!(e.kind, notify::ErrorKind::MaxFilesWatch) => {
                        let _ = bus.send(Event::Notice(format!(
                            "watching only {added} of the workspace's folders: the system's limit on file watches was reached \
(raise fs.inotify.max_user_watches); /diff and change notices miss the rest"
                        )));
                        return;
                    }
                    // A folder removed meanwhile, or unreadable: nothing to watch there.
                    Err(_) => {}
                }
            }
            if cut {
                let _ = bus.send(Event::Notice(format!(
                    "the workspace has more than {MAX_DIRS} folders that are not ignored; only the first {MAX_DIRS} are watched"
                )));
            }
        });
    }
    let rules = ignores(&root);
    let adder = watcher.clone();
    tokio::spawn(async move {
        while let Some(first) = rx.recv().await {
            let mut burst = vec![first];
            while let Ok(Some(next)) = tokio::time::timeout(QUIET, rx.recv()).await {
                burst.push(next);
            }
            let mut changed: BTreeSet<PathBuf> = BTreeSet::new();
            for (path, created_dir) in burst {
                if ignored(&rules, &root, &path) {
                    continue;
                }
                if created_dir || (path.is_dir() && !changed.contains(&path)) {
                    // A new folder: watch it (and what is already inside).
                    for dir in folders(&path, MAX_DIRS).0 {
                        let _ = adder.lock().expect("watcher lock").watch(&dir, RecursiveMode::NonRecursive);
                    }
                }
                changed.insert(path);
            }
            if !changed.is_empty() && bus.send(Event::WorkspaceChanged(changed.into_iter().collect())).is_err() {
                break;
            }
        }
    });
    Ok(WorkspaceWatcher { _watcher: watcher })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ignored_trees_are_not_walked() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("src/app")).unwrap();
        std::fs::create_dir_all(root.join("target/debug/deps")).unwrap();
        std::fs::create_dir_all(root.join("node_modules/x")).unwrap();
        std::fs::create_dir_all(root.join(".git/objects")).unwrap();
        std::fs::write(root.join(".gitignore"), "target/\n").unwrap();
        let (mut dirs, cut) = folders(root, 100);
        dirs.sort();
        let rel: Vec<String> =
            dirs.iter().map(|d| d.strip_prefix(root).unwrap().to_string_lossy().to_string()).collect();
        assert_eq!(rel, ["", "src", "src/app"]);
        assert!(!cut);
        assert!(folders(root, 2).1, "the limit cuts the walk");
        let rules = ignores(root);
        assert!(ignored(&rules, root, &root.join("target/debug/x.o")));
        assert!(ignored(&rules, root, &root.join(".git/index")));
        assert!(!ignored(&rules, root, &root.join("src/main.rs")));
    }

    /// Changes come as one event per burst, ignored trees stay silent, new folders are watched.
    #[tokio::test]
    async fn changes_reach_the_bus() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        std::fs::create_dir_all(root.join("src")).unwrap();
        std::fs::create_dir_all(root.join("target")).unwrap();
        std::fs::write(root.join(".gitignore"), "target/\n").unwrap();
        let (bus, mut rx) = mpsc::unbounded_channel();
        let _w = watch_workspace(&root, bus).unwrap();
        // The folders are added in the background: write until the change shows.
        let lib = root.join("src/lib.rs");
        for attempt in 0.. {
            assert!(attempt < 20, "a change in src/ was never reported");
            std::fs::write(root.join("target/out.o"), format!("{attempt}")).unwrap();
            std::fs::write(&lib, format!("{attempt}")).unwrap();
            if let Ok(Some(Event::WorkspaceChanged(got))) =
                tokio::time::timeout(Duration::from_millis(500), rx.recv()).await
            {
                assert!(!got.iter().any(|p| p.starts_with(root.join("target"))), "{got:?}");
                if got.contains(&lib) {
                    break;
                }
            }
        }
        std::fs::create_dir(root.join("fresh")).unwrap();
        // The new folder is watched once its creation has been seen: write until it shows.
        let new = root.join("fresh/new.rs");
        for attempt in 0.. {
            assert!(attempt < 20, "a file in a new folder was never reported");
            std::fs::write(&new, format!("{attempt}")).unwrap();
            if let Ok(Some(Event::WorkspaceChanged(p))) =
                tokio::time::timeout(Duration::from_millis(500), rx.recv()).await
                && p.contains(&new)
            {
                break;
            }
        }
    }
}
