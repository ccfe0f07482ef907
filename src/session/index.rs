//! Finding and listing sessions fast.
//!
//! Next to each `<id>.jsonl` lives `<id>.summary.json`: title, first prompt, times, message
//! count, model, cost, cwd, branch. The writer keeps it current; a reader trusts it only while
//! the session file still has the length the summary recorded, and rebuilds it from the JSONL
//! file otherwise (missing, stale, or corrupt). Listing thousands of sessions reads small files
//! and never parses a whole session.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Record, read_records, title_from_prompt};

/// Characters of the first prompt kept in a summary.
const FIRST_PROMPT_CHARS: usize = 300;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub id: String,
    /// The session file (not stored: derived from where the summary was found).
    #[serde(skip)]
    pub path: PathBuf,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub first_prompt: String,
    #[serde(default)]
    pub created: Option<DateTime<Utc>>,
    #[serde(default)]
    pub updated: Option<DateTime<Utc>>,
    #[serde(default)]
    pub messages: usize,
    #[serde(default)]
    pub model: String,
    #[serde(default)]
    pub cost_usd: f64,
    /// False once a request of unknown price was made.
    #[serde(default = "yes")]
    pub cost_known: bool,
    #[serde(default)]
    pub cwd: PathBuf,
    #[serde(default)]
    pub branch: Option<String>,
    #[serde(default)]
    pub forked_from: Option<String>,
    /// Length of the session file when this summary was written.
    #[serde(default)]
    pub file_len: u64,
}

fn yes() -> bool {
    true
}

impl Summary {
    pub fn new(id: &str, path: &Path) -> Summary {
        Summary {
            id: id.to_string(),
            path: path.to_path_buf(),
            title: None,
            first_prompt: String::new(),
            created: None,
            updated: None,
            messages: 0,
            model: String::new(),
            cost_usd: 0.0,
            cost_known: true,
            cwd: PathBuf::new(),
            branch: None,
            forked_from: None,
            file_len: 0,
        }
    }

    /// The title to show: the given one, else the first prompt's first line.
    pub fn display_title(&self) -> String {
        match &self.title {
            Some(t) if !t.trim().is_empty() => t.clone(),
            _ if !self.first_prompt.trim().is_empty() => title_from_prompt(&self.first_prompt),
            _ => "(no messages)".into(),
        }
    }

    /// Folds one record in.
    pub fn apply(&mut self, record: &Record) {
        match record {
            Record::Meta { id, created, cwd, git_branch, model, forked_from, .. } => {
                self.id = id.clone();
                self.created = Some(*created);
                self.updated = Some(*created);
                self.cwd = cwd.clone();
                self.branch = git_branch.clone();
                self.model = model.clone();
                self.forked_from = forked_from.as_ref().map(|f| f.session_id.clone());
            }
            Record::Message { ts, message } => {
                self.messages += 1;
                self.updated = Some(*ts);
                if self.first_prompt.is_empty() && message.role == crate::provider::Role::User {
                    let text = message.text();
                    if !text.trim().is_empty() {
                        self.first_prompt = text.chars().take(FIRST_PROMPT_CHARS).collect();
                    }
                }
            }
            Record::Usage { ts, model, cost_usd, .. } => {
                self.updated = Some(*ts);
                self.model = model.clone();
                match cost_usd {
                    Some(c) => self.cost_usd += c,
                    None => self.cost_known = false,
                }
            }
            Record::Title { ts, title } => {
                self.updated = Some(*ts);
                self.title = Some(title.clone());
            }
            Record::ToolCall { .. }
            | Record::FileChange { .. }
            | Record::Todos { .. }
            | Record::Compaction { .. }
            | Record::Turn { .. }
            | Record::Checkpoint { .. }
            | Record::Subagent { .. }
            | Record::Restore { .. } => {}
        }
    }

    fn sidecar(path: &Path) -> PathBuf {
        path.with_extension("summary.json")
    }

    /// Writes the sidecar (atomically, 0600).
    pub fn save(&mut self, secrets: &[String]) -> std::io::Result<()> {
        self.file_len = std::fs::metadata(&self.path).map(|m| m.len()).unwrap_or(0);
        let text = super::store::redact(&serde_json::to_string(self).map_err(std::io::Error::other)?, secrets);
        crate::files::write_atomic(&Summary::sidecar(&self.path), text.as_bytes(), crate::files::PRIVATE_FILE)
    }
}

/// Builds the summary of a session file by reading it whole.
pub fn summarize(path: &Path) -> std::io::Result<(Summary, Vec<String>)> {
    let (records, warnings) = read_records(path)?;
    let id = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let mut s = Summary::new(&id, path);
    for r in &records {
        s.apply(r);
    }
    Ok((s, warnings))
}

/// The summary of a session file: from its sidecar when that is current, else rebuilt (and the
/// sidecar rewritten).
pub fn load(path: &Path) -> std::io::Result<Summary> {
    let len = std::fs::metadata(path)?.len();
    if let Ok(text) = std::fs::read_to_string(Summary::sidecar(path))
        && let Ok(mut s) = serde_json::from_str::<Summary>(&text)
        && s.file_len == len
    {
        s.path = path.to_path_buf();
        return Ok(s);
    }
    let (mut s, _) = summarize(path)?;
    let _ = s.save(&[]);
    Ok(s)
}

/// Session files under `root`: of one project directory, or of all.
fn session_files(root: &Path, project: Option<&Path>) -> Vec<PathBuf> {
    let dirs: Vec<PathBuf> = match project {
        Some(p) => vec![p.to_path_buf()],
        None => std::fs::read_dir(root)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.is_dir() && p.file_name().is_some_and(|n| n != "trash"))
            .collect(),
    };
    let mut files = Vec::new();
    for dir in dirs {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let p = entry.path();
            if p.extension().is_some_and(|e| e == "jsonl") {
                files.push(p);
            }
        }
    }
    files
}

/// Summaries of the sessions of `project` (a directory from [`super::project_dir`]), or of all
/// projects under `root` when `project` is `None`; newest first.
pub fn list(root: &Path, project: Option<&Path>) -> Vec<Summary> {
    let files = session_files(root, project);
    // Reading sidecars is mostly waiting on small files: spread it over the cores.
    let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1).clamp(1, 8);
    let chunk = files.len().div_ceil(threads).max(1);
    let mut out: Vec<Summary> = std::thread::scope(|s| {
        let handles: Vec<_> = files
            .chunks(chunk)
            .map(|part| s.spawn(move || part.iter().filter_map(|p| load(p).ok()).collect::<Vec<_>>()))
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap_or_default()).collect()
    });
    out.sort_by(|a, b| b.updated.cmp(&a.updated).then_with(|| b.id.cmp(&a.id)));
    out
}

/// The session file of `id` (or of a unique id prefix) anywhere under `root`.
pub fn find(root: &Path, id: &str) -> Result<PathBuf, String> {
    let id = id.trim();
    let how = "list them with `claw-tui sessions list --all`, or pick one with `claw-tui --resume`";
    if id.is_empty() {
        return Err(format!("no session id given; {how}"));
    }
    let matches: Vec<PathBuf> = session_files(root, None)
        .into_iter()
        .filter(|p| p.file_stem().is_some_and(|s| s.to_string_lossy().starts_with(id)))
        .collect();
    match matches.len() {
        1 => Ok(matches.into_iter().next().expect("one")),
        0 => Err(format!("no session `{id}` in {}; {how}", root.display())),
        n => Err(format!("`{id}` matches {n} sessions; give more of the id ({how})")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::Message;
    use crate::session::{FORMAT_VERSION, SessionWriter};

    fn meta(id: &str, cwd: &str) -> Record {
        Record::Meta {
            version: FORMAT_VERSION,
            id: id.into(),
            created: Utc::now(),
            cwd: cwd.into(),
            git_branch: None,
            model: "claude-sonnet-4-5".into(),
            claw_version: "t".into(),
            forked_from: None,
        }
    }

    #[test]
    fn sidecars_are_trusted_while_current_and_rebuilt_when_stale_or_missing() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("-w");
        let mut w = SessionWriter::create(&dir, meta("aaa-1", "/w"), vec![]);
        w.append(&Record::message(Message::user_text("fix the flaky test\nplease"))).unwrap();
        w.append(&Record::usage("claude-sonnet-4-5", Default::default(), Some(0.25))).unwrap();
        let path = dir.join("aaa-1.jsonl");
        let s = load(&path).unwrap();
        assert_eq!(s.display_title(), "fix the flaky test");
        assert_eq!(s.messages, 1);
        assert!((s.cost_usd - 0.25).abs() < 1e-9);
        // stale: the file grew behind the sidecar's back
        let line = serde_json::to_string(&Record::Title { ts: Utc::now(), title: "Renamed".into() }).unwrap();
        std::fs::OpenOptions::new().append(true).open(&path).unwrap();
        std::fs::write(&path, format!("{}{line}\n", std::fs::read_to_string(&path).unwrap())).unwrap();
        assert_eq!(load(&path).unwrap().display_title(), "Renamed");
        // missing and corrupt sidecars are rebuilt
        std::fs::remove_file(dir.join("aaa-1.summary.json")).unwrap();
        assert_eq!(load(&path).unwrap().messages, 1);
        std::fs::write(dir.join("aaa-1.summary.json"), "{garbage").unwrap();
        assert_eq!(load(&path).unwrap().messages, 1);
        // listing and finding by prefix
        let mut w2 = SessionWriter::create(&root.path().join("-x"), meta("bbb-2", "/x"), vec![]);
        w2.append(&Record::message(Message::user_text("other project"))).unwrap();
        assert_eq!(list(root.path(), Some(&dir)).len(), 1);
        assert_eq!(list(root.path(), None).len(), 2);
        assert_eq!(find(root.path(), "bbb").unwrap(), root.path().join("-x/bbb-2.jsonl"));
        assert!(find(root.path(), "zzz").unwrap_err().contains("sessions list"));
    }
}
