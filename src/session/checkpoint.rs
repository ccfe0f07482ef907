//! Checkpoints: what files were before the agent changed them, turn by turn.
//!
//! Before the first change to a file in a turn, its content is saved (a "blob"); every change
//! also notes a hash of what was written, so a later restore can tell when someone else changed
//! the file since. Blobs live beside the session file in `<session>.checkpoints/`, named by a
//! hash of their content; a session without a file keeps them in memory. The session file
//! records each checkpoint (`checkpoint`), each turn's start (`turn`) and each restore
//! (`restore`), so a resumed session can still undo and rewind.
//!
//! [`Checkpoints::plan_restore`] says what restoring "before turn N" would write, with
//! conflicts; [`Checkpoints::restore`] does it.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::Record;

/// A content hash (FNV-1a, 64 bits) as 16 hex digits: blob names and "what was written".
pub fn content_hash(bytes: &[u8]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}{:x}", bytes.len())
}

/// One file changed in one turn.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    pub turn: u64,
    pub path: PathBuf,
    /// The blob of the content before the turn's first change; `None`: the file did not exist.
    pub before: Option<String>,
    /// Hash of what the agent last wrote in this turn; `None`: it deleted the file.
    pub after: Option<String>,
}

/// A turn as the checkpoint store knows it: its number and prompt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TurnMark {
    pub turn: u64,
    pub prompt: String,
}

/// What restoring one file would do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileRestore {
    pub path: PathBuf,
    /// What is on disk now (`None`: no file; `Some(Err)`: not text).
    pub current: Option<Result<String, String>>,
    /// What the file goes back to (`None`: it did not exist, so it is deleted).
    pub target: Option<String>,
    /// Someone else changed the file after the agent's last write: restoring would lose that.
    pub conflict: bool,
}

/// The checkpoint store of one session.
#[derive(Debug, Default)]
pub struct Checkpoints {
    dir: Option<PathBuf>,
    memory: HashMap<String, String>,
    turn: u64,
    saved: HashSet<PathBuf>,
    entries: Vec<Checkpoint>,
    turns: Vec<TurnMark>,
}

impl Checkpoints {
    /// A store beside the session file `session` (`None`: in memory).
    pub fn new(session: Option<&Path>) -> Self {
        Checkpoints { dir: session.map(|p| p.with_extension("checkpoints")), ..Default::default() }
    }

    /// Rebuilds the store of a resumed session from its records.
    pub fn load(&mut self, records: &[Record]) {
        for r in records {
            match r {
                Record::Turn { turn, prompt, .. } => {
                    self.turn = self.turn.max(*turn);
                    self.turns.push(TurnMark { turn: *turn, prompt: prompt.clone() });
                }
                Record::Checkpoint { checkpoint, .. } => self.note(checkpoint.clone()),
                Record::Restore { turn, files, conversation, .. } => self.forget_from(*turn, *files, *conversation),
                _ => {}
            }
        }
    }

    /// The number of the next turn (persistent across resumes).
    pub fn next_turn(&self) -> u64 {
        self.turn + 1
    }

    /// Starts turn `turn`: the next change to each file saves a checkpoint again.
    pub fn begin_turn(&mut self, turn: u64, prompt: &str) {
        self.turn = turn;
        self.saved.clear();
        self.turns.push(TurnMark { turn, prompt: prompt.to_string() });
    }

    pub fn turns(&self) -> &[TurnMark] {
        &self.turns
    }

    pub fn entries(&self) -> &[Checkpoint] {
        &self.entries
    }

    /// The latest turn that changed files.
    pub fn last_changed_turn(&self) -> Option<u64> {
        self.entries.iter().map(|e| e.turn).max()
    }

    /// Files changed in `turn` (sorted).
    pub fn files_of(&self, turn: u64) -> Vec<PathBuf> {
        let mut v: Vec<PathBuf> = self.entries.iter().filter(|e| e.turn == turn).map(|e| e.path.clone()).collect();
        v.sort();
        v.dedup();
        v
    }

    /// Notes that the agent is about to replace `path` (whose content now is `before`) with
    /// `after`. Returns the checkpoint to record in the session file.
    pub fn record_change(
        &mut self,
        path: &Path,
        before: Option<&str>,
        after: Option<&str>,
    ) -> Result<Checkpoint, String> {
        let after = after.map(|a| content_hash(a.as_bytes()));
        let checkpoint = if self.saved.insert(path.to_path_buf()) {
            let before = match before {
                Some(text) => Some(self.put_blob(text)?),
                None => None,
            };
            Checkpoint { turn: self.turn, path: path.to_path_buf(), before, after }
        } else {
            let mut c = self
                .entries
                .iter()
                .rev()
                .find(|e| e.turn == self.turn && e.path == path)
                .cloned()
                .expect("a saved path has an entry");
            c.after = after;
            c
        };
        self.note(checkpoint.clone());
        Ok(checkpoint)
    }

    fn note(&mut self, c: Checkpoint) {
        match self.entries.iter_mut().find(|e| e.turn == c.turn && e.path == c.path) {
            Some(e) => e.after = c.after,
            None => self.entries.push(c),
        }
    }

    /// Forgets what was rewound from `turn` on: the checkpoints when the files went back, the
    /// turns when the conversation did.
    pub fn forget_from(&mut self, turn: u64, files: bool, conversation: bool) {
        if files {
            self.entries.retain(|e| e.turn < turn);
            self.saved.clear();
        }
        if conversation {
            self.turns.retain(|t| t.turn < turn);
        }
    }

    fn put_blob(&mut self, text: &str) -> Result<String, String> {
        let name = content_hash(text.as_bytes());
        match &self.dir {
            None => {
                self.memory.insert(name.clone(), text.to_string());
            }
            Some(dir) => {
                let path = dir.join(&name);
                // Private: a checkpoint can be a copy of `.env`.
                if !path.exists() {
                    crate::files::private_dir(dir)
                        .map_err(|e| format!("cannot create the checkpoint folder {}: {e}", dir.display()))?;
                    crate::files::write_atomic(&path, text.as_bytes(), crate::files::PRIVATE_FILE)
                        .map_err(|e| format!("cannot save a checkpoint in {}: {e}", dir.display()))?;
                }
            }
        }
        Ok(name)
    }

    fn blob(&self, name: &str) -> Result<String, String> {
        match &self.dir {
            None => self.memory.get(name).cloned().ok_or_else(|| format!("checkpoint {name} is missing")),
            Some(dir) => std::fs::read_to_string(dir.join(name))
                .map_err(|e| format!("cannot read checkpoint {}: {e}", dir.join(name).display())),
        }
    }

    /// Every file the session changed (and still remembers), with its content before the
    /// session's first change to it (`None`: it did not exist).
    pub fn first_states(&self) -> Result<Vec<(PathBuf, Option<String>)>, String> {
        let mut first: BTreeMap<&Path, &Checkpoint> = BTreeMap::new();
        for e in &self.entries {
            first
                .entry(&e.path)
                .and_modify(|f| {
                    if e.turn < f.turn {
                        *f = e
                    }
                })
                .or_insert(e);
        }
        first
            .into_iter()
            .map(|(p, c)| Ok((p.to_path_buf(), c.before.as_deref().map(|b| self.blob(b)).transpose()?)))
            .collect()
    }

    /// What restoring every file to its state before `turn` would write.
    pub fn plan_restore(&self, turn: u64) -> Result<Vec<FileRestore>, String> {
        // Per file: the earliest checkpoint at or after `turn` (what to go back to) and the
        // latest (what the agent wrote last).
        let mut first: BTreeMap<&Path, &Checkpoint> = BTreeMap::new();
        let mut last: BTreeMap<&Path, &Checkpoint> = BTreeMap::new();
        for e in self.entries.iter().filter(|e| e.turn >= turn) {
            first
                .entry(&e.path)
                .and_modify(|f| {
                    if e.turn < f.turn {
                        *f = e
                    }
                })
                .or_insert(e);
            last.entry(&e.path)
                .and_modify(|l| {
                    if e.turn >= l.turn {
                        *l = e
                    }
                })
                .or_insert(e);
        }
        let mut out = Vec::new();
        for (path, f) in first {
            let target = match &f.before {
                Some(b) => Some(self.blob(b)?),
                None => None,
            };
            let current = match std::fs::read(path) {
                Ok(bytes) => Some(match String::from_utf8(bytes) {
                    Ok(s) => Ok(s),
                    Err(e) => Err(content_hash(e.as_bytes())),
                }),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
            };
            let now_hash = match &current {
                None => None,
                Some(Ok(s)) => Some(content_hash(s.as_bytes())),
                Some(Err(h)) => Some(h.clone()),
            };
            let conflict = now_hash != last[path].after;
            let current = current.map(|c| c.map_err(|_| "binary or not UTF-8".to_string()));
            out.push(FileRestore { path: path.to_path_buf(), current, target, conflict });
        }
        Ok(out)
    }

    /// Restores the files as [`plan_restore`](Self::plan_restore) says and forgets the
    /// checkpoints of `turn` and later. Files with a conflict are skipped unless `force`.
    /// Returns what was done, per file.
    pub fn restore(&mut self, turn: u64, force: bool) -> Result<Vec<(PathBuf, String)>, String> {
        let plan = self.plan_restore(turn)?;
        let mut done = Vec::new();
        for f in &plan {
            if f.conflict && !force {
                done.push((f.path.clone(), "kept (changed by someone else since)".to_string()));
                continue;
            }
            let result = match &f.target {
                // Back to the file itself: a symlink that now stands on its path (planted since
                // the checkpoint) could send the old text anywhere, so none is followed.
                Some(text) => match crate::tools::paths::resolve_links(&f.path) {
                    Some(target) if target == f.path => {
                        crate::tools::paths::write_no_follow(&target, text.as_bytes()).map(|_| "restored".to_string())
                    }
                    _ => Err(std::io::Error::other("its path now goes through a symlink; not followed")),
                },
                None => match std::fs::remove_file(&f.path) {
                    Ok(()) => Ok("removed (it did not exist before)".to_string()),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok("already gone".to_string()),
                    Err(e) => Err(e),
                },
            };
            done.push((f.path.clone(), result.unwrap_or_else(|e| format!("not restored: {e}"))));
        }
        self.forget_from(turn, true, false);
        Ok(done)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restore_goes_back_before_the_turn_and_sees_conflicts() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.txt");
        let b = dir.path().join("b.txt");
        std::fs::write(&a, "one\n").unwrap();
        let mut cp = Checkpoints::new(Some(&dir.path().join("s.jsonl")));
        cp.begin_turn(1, "first");
        cp.record_change(&a, Some("one\n"), Some("two\n")).unwrap();
        std::fs::write(&a, "two\n").unwrap();
        cp.begin_turn(2, "second");
        cp.record_change(&a, Some("two\n"), Some("three\n")).unwrap();
        std::fs::write(&a, "three\n").unwrap();
        cp.record_change(&b, None, Some("new\n")).unwrap();
        std::fs::write(&b, "new\n").unwrap();
        assert_eq!(cp.last_changed_turn(), Some(2));
        assert_eq!(cp.files_of(2), [a.clone(), b.clone()]);

        // Someone else edits b after the agent.
        std::fs::write(&b, "theirs\n").unwrap();
        let plan = cp.plan_restore(2).unwrap();
        assert_eq!(plan.len(), 2);
        assert_eq!(plan[0].target.as_deref(), Some("two\n"));
        assert!(!plan[0].conflict);
        assert!(plan[1].conflict && plan[1].target.is_none());
        let done = cp.restore(2, false).unwrap();
        assert!(done[1].1.contains("kept"), "{done:?}");
        assert_eq!(std::fs::read_to_string(&a).unwrap(), "two\n");
        assert_eq!(std::fs::read_to_string(&b).unwrap(), "theirs\n");

        // Rewinding before turn 1 brings back the first content.
        cp.restore(1, true).unwrap();
        assert_eq!(std::fs::read_to_string(&a).unwrap(), "one\n");
        assert!(cp.entries().is_empty());
    }

    #[test]
    fn a_resumed_store_knows_the_turns_and_blobs() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.txt");
        let session = dir.path().join("s.jsonl");
        let mut cp = Checkpoints::new(Some(&session));
        cp.begin_turn(1, "first");
        let records = vec![
            Record::Turn { ts: chrono::Utc::now(), turn: 1, prompt: "first".into() },
            Record::Checkpoint {
                ts: chrono::Utc::now(),
                checkpoint: cp.record_change(&a, Some("old\n"), Some("new\n")).unwrap(),
            },
        ];
        std::fs::write(&a, "new\n").unwrap();
        let mut again = Checkpoints::new(Some(&session));
        again.load(&records);
        assert_eq!(again.next_turn(), 2);
        assert_eq!(again.plan_restore(1).unwrap()[0].target.as_deref(), Some("old\n"));
    }
}
