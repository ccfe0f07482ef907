//! Hot reload: the active theme, keymap and config files are watched, and a change reaches the
//! event bus within a fraction of a second.
//!
//! Directories are watched rather than files, because editors save by writing a new file and
//! renaming it over the old one (which would end a watch on the file itself). Bursts of events
//! from one save are coalesced: one `Event::FilesChanged` per quiet period.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use notify::{RecursiveMode, Watcher};
use tokio::sync::mpsc;

use super::event::Event;

/// How long a burst of file events must be quiet before one change is reported. Editors write,
/// rename and chmod in quick succession; a fifth of a second covers that and still feels
/// instant.
const QUIET: Duration = Duration::from_millis(200);

/// Whether a file event says something changed. Reading a file is not a change: inotify
/// reports opens and closes after reading, and counting them made every reload (which reads
/// the files) trigger the next one, forever. A close after writing is a change.
pub fn is_change(kind: &notify::EventKind) -> bool {
    use notify::event::{AccessKind, AccessMode};
    match kind {
        notify::EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
        notify::EventKind::Access(_) => false,
        _ => true,
    }
}

/// Watches `files` (which may not exist yet) and sends `Event::FilesChanged` on `bus` when any
/// of them is written, created, renamed or removed. The watch lasts as long as the returned
/// watcher.
pub fn watch(files: &[PathBuf], bus: mpsc::UnboundedSender<Event>) -> notify::Result<notify::RecommendedWatcher> {
    let wanted: BTreeSet<PathBuf> = files.iter().cloned().collect();
    let (tx, mut rx) = mpsc::unbounded_channel::<PathBuf>();
    let mut watcher = notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
        if let Ok(event) = res
            && is_change(&event.kind)
        {
            for p in event.paths {
                let _ = tx.send(p);
            }
        }
    })?;
    let dirs: BTreeSet<&Path> = files.iter().filter_map(|f| f.parent()).filter(|d| d.is_dir()).collect();
    for dir in dirs {
        watcher.watch(dir, RecursiveMode::NonRecursive)?;
    }
    tokio::spawn(async move {
        while let Some(first) = rx.recv().await {
            let mut changed: BTreeSet<PathBuf> = BTreeSet::new();
            if wanted.contains(&first) {
                changed.insert(first);
            }
            // Collect the rest of the burst.
            while let Ok(Some(p)) = tokio::time::timeout(QUIET, rx.recv()).await {
                if wanted.contains(&p) {
                    changed.insert(p);
                }
            }
            if !changed.is_empty() && bus.send(Event::FilesChanged(changed.into_iter().collect())).is_err() {
                break;
            }
        }
    });
    Ok(watcher)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reading a watched file (as every reload does) is silent; writing it is reported.
    #[tokio::test]
    async fn reads_are_not_changes_and_writes_are() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().canonicalize().unwrap().join("config.toml");
        std::fs::write(&file, "model = \"a\"\n").unwrap();
        let (bus, mut rx) = mpsc::unbounded_channel();
        let _w = watch(std::slice::from_ref(&file), bus).unwrap();
        for _ in 0..20 {
            std::fs::read_to_string(&file).unwrap();
        }
        let quiet = tokio::time::timeout(QUIET * 4, rx.recv()).await;
        assert!(quiet.is_err(), "reading reported a change: {quiet:?}");
        std::fs::write(&file, "model = \"b\"\n").unwrap();
        match tokio::time::timeout(Duration::from_secs(5), rx.recv()).await {
            Ok(Some(Event::FilesChanged(paths))) => assert_eq!(paths, [file]),
            other => panic!("a write was not reported: {other:?}"),
        }
    }
}
