//! Sessions as JSON Lines files.
//!
//! A session is written as it happens, one record per line: `meta` first, then `message`,
//! `tool_call`, `usage` records. Each line is written with a single `write` on a file opened
//! for appending, so a process killed at any moment loses at most the line being written;
//! [`read_records`] skips a torn or corrupt line with a warning naming the file and line.
//!
//! Secrets never reach the file: the writer replaces every known credential value with
//! `[REDACTED]` before a line is written.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::provider::{Message, Usage};

/// Format version written in `meta`. Readers accept this and older versions.
pub const FORMAT_VERSION: u32 = 1;

/// One line of a session file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Record {
    Meta {
        version: u32,
        id: String,
        created: DateTime<Utc>,
        cwd: PathBuf,
        #[serde(default)]
        git_branch: Option<String>,
        model: String,
        claw_version: String,
    },
    Message {
        ts: DateTime<Utc>,
        message: Message,
    },
    /// Facts about a tool call that the message blocks do not hold.
    ToolCall {
        ts: DateTime<Utc>,
        call_id: String,
        tool: String,
        elapsed_ms: u64,
        is_error: bool,
    },
    Usage {
        ts: DateTime<Utc>,
        model: String,
        usage: Usage,
        #[serde(default)]
        cost_usd: Option<f64>,
    },
}

impl Record {
    pub fn message(message: Message) -> Record {
        Record::Message { ts: Utc::now(), message }
    }

    pub fn tool_call(call_id: &str, tool: &str, elapsed_ms: u64, is_error: bool) -> Record {
        Record::ToolCall { ts: Utc::now(), call_id: call_id.into(), tool: tool.into(), elapsed_ms, is_error }
    }

    pub fn usage(model: &str, usage: Usage, cost_usd: Option<f64>) -> Record {
        Record::Usage { ts: Utc::now(), model: model.into(), usage, cost_usd }
    }
}

/// Where sessions of the project in `cwd` live: `<root>/<slug>`, where the slug is the path
/// with every character but ASCII letters and digits turned into `-`.
pub fn project_dir(root: &Path, cwd: &Path) -> PathBuf {
    let slug: String = cwd.to_string_lossy().chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect();
    root.join(slug)
}

/// A new session id: a UUID v7, so ids sort by creation time.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// Appends records to a session file.
#[derive(Debug)]
pub struct SessionWriter {
    id: String,
    path: Option<PathBuf>,
    meta: Option<Record>,
    file: Option<File>,
    secrets: Vec<String>,
    failed: Option<String>,
}

impl SessionWriter {
    /// A writer for a new session in `dir`. The file is created with the first record, so a
    /// session that never says anything leaves nothing behind.
    pub fn create(dir: &Path, meta: Record, secrets: Vec<String>) -> SessionWriter {
        let id = match &meta {
            Record::Meta { id, .. } => id.clone(),
            _ => new_id(),
        };
        SessionWriter {
            path: Some(dir.join(format!("{id}.jsonl"))),
            id,
            meta: Some(meta),
            file: None,
            secrets: secrets.into_iter().filter(|s| s.len() >= 8).collect(),
            failed: None,
        }
    }

    /// A writer that keeps nothing (tests, `--no-session-persistence`).
    pub fn disabled(id: String) -> SessionWriter {
        SessionWriter { id, path: None, meta: None, file: None, secrets: Vec::new(), failed: None }
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Appends one record as one line. After the first failure the writer stops trying and
    /// every call returns the same error, so the caller can report it once.
    pub fn append(&mut self, record: &Record) -> Result<(), String> {
        let Some(path) = self.path.clone() else { return Ok(()) };
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        if self.file.is_none() {
            let opened = path
                .parent()
                .map(std::fs::create_dir_all)
                .unwrap_or(Ok(()))
                .and_then(|_| OpenOptions::new().create(true).append(true).open(&path));
            match opened {
                Ok(f) => self.file = Some(f),
                Err(e) => return Err(self.fail(format!("{}: {e}", path.display()))),
            }
            if let Some(meta) = self.meta.take()
                && let Err(e) = self.write_line(&meta)
            {
                return Err(self.fail(e));
            }
        }
        self.write_line(record).map_err(|e| self.fail(e))
    }

    fn fail(&mut self, message: String) -> String {
        self.failed = Some(message.clone());
        self.file = None;
        message
    }

    fn write_line(&mut self, record: &Record) -> Result<(), String> {
        let mut line = serde_json::to_string(record).map_err(|e| format!("cannot encode a record: {e}"))?;
        for secret in &self.secrets {
            if line.contains(secret.as_str()) {
                line = line.replace(secret.as_str(), "[REDACTED]");
            }
        }
        line.push('\n');
        let path = self.path.clone().unwrap_or_default();
        let file = self.file.as_mut().ok_or("the session file is not open")?;
        file.write_all(line.as_bytes()).map_err(|e| format!("{}: {e}", path.display()))?;
        file.flush().map_err(|e| format!("{}: {e}", path.display()))
    }
}

/// Reads a session file. Lines that do not parse (a torn last line, garbage) are skipped; each
/// skip is reported as `path:line: why`.
pub fn read_records(path: &Path) -> std::io::Result<(Vec<Record>, Vec<String>)> {
    let bytes = std::fs::read(path)?;
    let mut records = Vec::new();
    let mut warnings = Vec::new();
    for (i, line) in bytes.split(|&b| b == b'\n').enumerate() {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match serde_json::from_slice::<Record>(line) {
            Ok(r) => records.push(r),
            Err(e) => warnings.push(format!("{}:{}: skipped an unreadable line ({e})", path.display(), i + 1)),
        }
    }
    Ok((records, warnings))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(id: &str) -> Record {
        Record::Meta {
            version: FORMAT_VERSION,
            id: id.into(),
            created: Utc::now(),
            cwd: "/w".into(),
            git_branch: Some("main".into()),
            model: "m".into(),
            claw_version: "0".into(),
        }
    }

    #[test]
    fn writes_lines_redacts_and_reads_back_skipping_torn_lines() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = SessionWriter::create(dir.path(), meta("s1"), vec!["sk-ant-very-secret".into()]);
        assert!(!dir.path().join("s1.jsonl").exists(), "nothing written yet");
        w.append(&Record::message(Message::user_text("my key is sk-ant-very-secret"))).unwrap();
        let path = dir.path().join("s1.jsonl");
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains("sk-ant-very-secret"));
        assert!(text.contains("[REDACTED]"));
        // a torn line, as a kill mid-write leaves it
        std::fs::OpenOptions::new().append(true).open(&path).unwrap().write_all(b"{\"type\":\"mess").unwrap();
        let (records, warnings) = read_records(&path).unwrap();
        assert_eq!(records.len(), 2);
        assert!(matches!(records[0], Record::Meta { .. }));
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].contains("s1.jsonl:3:"), "{}", warnings[0]);
    }

    #[test]
    fn unwritable_directory_fails_once_and_keeps_failing_quietly() {
        let dir = tempfile::tempdir().unwrap();
        let blocker = dir.path().join("file");
        std::fs::write(&blocker, "x").unwrap();
        let mut w = SessionWriter::create(&blocker.join("sub"), meta("s2"), vec![]);
        let e1 = w.append(&Record::message(Message::user_text("a"))).unwrap_err();
        let e2 = w.append(&Record::message(Message::user_text("b"))).unwrap_err();
        assert_eq!(e1, e2);
    }

    #[test]
    fn slug() {
        assert_eq!(project_dir(Path::new("/r"), Path::new("/work/my app")), PathBuf::from("/r/-work-my-app"));
    }
}
