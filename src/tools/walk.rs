//! The file walk shared by `glob_search` and `grep_search`, and the ordered parallel map grep
//! searches with.
//!
//! The walk honours `.gitignore`, `.ignore` and git's exclude files (through `ignore`, also
//! outside a git repository), skips `.git`, includes other hidden files, and runs on every
//! core with `ignore`'s parallel walker, as ripgrep does. [`ordered`] runs a function over a
//! list on several threads and hands the results over in the list's order, so a search can
//! stop as soon as it has what it will return, keeping at most a window of results waiting.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};

use ignore::{DirEntry, WalkBuilder, WalkState};
use tokio_util::sync::CancellationToken;

/// Results that may wait for the ones before them: bounds what a search holds at once.
pub const WINDOW: usize = 256;

/// The walker: gitignore rules on (also outside a git repository), hidden files included,
/// `.git` itself skipped.
pub fn walker(root: &Path) -> WalkBuilder {
    let mut b = WalkBuilder::new(root);
    b.hidden(false).git_ignore(true).git_exclude(true).require_git(false).filter_entry(|e| e.file_name() != ".git");
    b
}

/// Threads for a search: the cores, at most 8.
pub fn threads() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get()).min(8)
}

/// Walks `builder` in parallel and keeps what `keep` makes of each file. `None` when
/// `cancel` fired.
pub fn files<T: Send>(
    builder: &WalkBuilder,
    cancel: &CancellationToken,
    keep: impl Fn(&DirEntry) -> Option<T> + Sync,
) -> Option<Vec<T>> {
    files_with(builder, cancel, || (), |_, entry| keep(entry))
}

/// [`files`], with a state per walking thread (a searcher and its buffers) made by `init`.
pub fn files_with<S: Send, T: Send>(
    builder: &WalkBuilder,
    cancel: &CancellationToken,
    init: impl Fn() -> S + Sync,
    keep: impl Fn(&mut S, &DirEntry) -> Option<T> + Sync,
) -> Option<Vec<T>> {
    let found = Mutex::new(Vec::new());
    builder.build_parallel().run(|| {
        let (found, keep) = (&found, &keep);
        let mut state = init();
        Box::new(move |entry| {
            if cancel.is_cancelled() {
                return WalkState::Quit;
            }
            if let Ok(entry) = entry
                && entry.file_type().is_some_and(|t| t.is_file())
                && let Some(kept) = keep(&mut state, &entry)
            {
                found.lock().expect("walk results").push(kept);
            }
            WalkState::Continue
        })
    });
    (!cancel.is_cancelled()).then(|| found.into_inner().expect("walk results"))
}

struct Slots<R> {
    ready: BTreeMap<usize, R>,
    /// Results handed over so far.
    taken: usize,
    stop: bool,
}

/// Runs `work` over `items` on `threads` threads (each with its own state from `init`) and
/// gives the results to `take` in the items' order. `take` returns `false` to stop: no new
/// item is started. At most [`WINDOW`] results wait to be taken.
pub fn ordered<T: Sync, S, R: Send>(
    items: &[T],
    threads: usize,
    init: impl Fn() -> S + Sync,
    work: impl Fn(&mut S, &T) -> R + Sync,
    mut take: impl FnMut(R) -> bool,
) {
    let next = AtomicUsize::new(0);
    let slots = Mutex::new(Slots { ready: BTreeMap::new(), taken: 0, stop: false });
    let changed = Condvar::new();
    let stop = |slots: &Mutex<Slots<R>>| {
        slots.lock().expect("slots").stop = true;
        changed.notify_all();
    };
    std::thread::scope(|scope| {
        for _ in 0..threads.max(1) {
            scope.spawn(|| {
                // A panicking worker stops the rest rather than leave its result awaited.
                let _guard = OnPanic(|| stop(&slots));
                let mut state = init();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= items.len() {
                        return;
                    }
                    {
                        let mut s = slots.lock().expect("slots");
                        while !s.stop && i >= s.taken + WINDOW {
                            s = changed.wait(s).expect("slots");
                        }
                        if s.stop {
                            return;
                        }
                    }
                    let result = work(&mut state, &items[i]);
                    let mut s = slots.lock().expect("slots");
                    if s.stop {
                        return;
                    }
                    s.ready.insert(i, result);
                    changed.notify_all();
                }
            });
        }
        for i in 0..items.len() {
            let result = {
                let mut s = slots.lock().expect("slots");
                loop {
                    if let Some(r) = s.ready.remove(&i) {
                        s.taken = i + 1;
                        changed.notify_all();
                        break Some(r);
                    }
                    if s.stop {
                        break None;
                    }
                    s = changed.wait(s).expect("slots");
                }
            };
            if !result.is_some_and(&mut take) {
                break;
            }
        }
        stop(&slots);
    });
}

/// Runs its function when dropped while the thread panics.
struct OnPanic<F: Fn()>(F);

impl<F: Fn()> Drop for OnPanic<F> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            (self.0)();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_come_in_order_and_stop_early() {
        let items: Vec<u32> = (0..5000).collect();
        let started = AtomicUsize::new(0);
        let mut seen = Vec::new();
        ordered(
            &items,
            4,
            || (),
            |_, &i| {
                started.fetch_add(1, Ordering::Relaxed);
                // Later items finish first now and then.
                if i % 7 == 0 {
                    std::thread::yield_now();
                }
                i * 2
            },
            |r| {
                seen.push(r);
                seen.len() < 1000
            },
        );
        assert_eq!(seen, (0..1000).map(|i| i * 2).collect::<Vec<_>>());
        let started = started.load(Ordering::Relaxed);
        assert!(started <= 1000 + WINDOW + 4, "stopped early: {started} started");
    }

    #[test]
    fn an_empty_list_and_one_thread_work() {
        let mut seen = Vec::new();
        ordered(
            &Vec::<u8>::new(),
            2,
            || (),
            |_, &i| i,
            |r| {
                seen.push(r);
                true
            },
        );
        assert!(seen.is_empty());
        ordered(
            &[1, 2, 3],
            1,
            || 10,
            |s, &i| *s + i,
            |r| {
                seen.push(r);
                true
            },
        );
        assert_eq!(seen, [11, 12, 13]);
    }

    #[test]
    fn the_walk_finds_files_and_honours_ignores() {
        let dir = tempfile::tempdir().unwrap();
        for f in ["a.rs", "src/b.rs", ".hidden/c.rs", "ignored/d.rs", ".git/config"] {
            let p = dir.path().join(f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, "x").unwrap();
        }
        std::fs::write(dir.path().join(".gitignore"), "ignored/\n").unwrap();
        let mut found = files(&walker(dir.path()), &CancellationToken::new(), |e| {
            Some(e.path().strip_prefix(dir.path()).unwrap().display().to_string())
        })
        .unwrap();
        found.sort();
        assert_eq!(found, [".gitignore", ".hidden/c.rs", "a.rs", "src/b.rs"]);
        let cancel = CancellationToken::new();
        cancel.cancel();
        assert!(files(&walker(dir.path()), &cancel, |_| Some(())).is_none());
    }
}
