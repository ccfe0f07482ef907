//! Writing and reading session files.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::index::Summary;
use super::{FORMAT_VERSION, Record};
use crate::files;

/// Appends records to a session file, and keeps its summary sidecar current.
#[derive(Debug)]
pub struct SessionWriter {
    id: String,
    path: Option<PathBuf>,
    meta: Option<Record>,
    file: Option<File>,
    secrets: Vec<String>,
    failed: Option<String>,
    summary: Option<Summary>,
    /// What to write first when the file has to be created again (it was deleted while open).
    restart_meta: Option<Record>,
    /// Something the user should hear about that did not stop the writing.
    notice: Option<String>,
}

impl SessionWriter {
    /// A writer for a new session in `dir`. The file is created with the first record, so a
    /// session that never says anything leaves nothing behind.
    pub fn create(dir: &Path, meta: Record, secrets: Vec<String>) -> SessionWriter {
        let id = match &meta {
            Record::Meta { id, .. } => id.clone(),
            _ => super::new_id(),
        };
        let path = dir.join(format!("{id}.jsonl"));
        let mut summary = Summary::new(&id, &path);
        summary.apply(&meta);
        SessionWriter {
            path: Some(path),
            id,
            restart_meta: Some(meta.clone()),
            meta: Some(meta),
            file: None,
            secrets: secrets.into_iter().filter(|s| s.len() >= 8).collect(),
            failed: None,
            summary: Some(summary),
            notice: None,
        }
    }

    /// A writer that continues an existing session file (resume). `summary` is the session's
    /// summary as read, kept current from here on.
    pub fn append_to(path: &Path, summary: Summary, secrets: Vec<String>) -> SessionWriter {
        let restart_meta = Some(Record::Meta {
            version: FORMAT_VERSION,
            id: summary.id.clone(),
            created: summary.created.unwrap_or_else(chrono::Utc::now),
            cwd: summary.cwd.clone(),
            git_branch: summary.branch.clone(),
            model: summary.model.clone(),
            claw_version: env!("CARGO_PKG_VERSION").to_string(),
            forked_from: None,
        });
        SessionWriter {
            id: summary.id.clone(),
            path: Some(path.to_path_buf()),
            meta: None,
            file: None,
            secrets: secrets.into_iter().filter(|s| s.len() >= 8).collect(),
            failed: None,
            summary: Some(summary),
            restart_meta,
            notice: None,
        }
    }

    /// A writer that keeps nothing (tests, `--no-session-persistence`, the demo).
    pub fn disabled(id: String) -> SessionWriter {
        SessionWriter {
            id,
            path: None,
            meta: None,
            file: None,
            secrets: Vec::new(),
            failed: None,
            summary: None,
            restart_meta: None,
            notice: None,
        }
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    /// The secrets this writer redacts (a sub-agent's writer redacts the same).
    pub fn secrets(&self) -> Vec<String> {
        self.secrets.clone()
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
        // Deleted while open: writing on would fill an unlinked file that vanishes at exit.
        if self.file.is_some() && !path.exists() {
            self.file = None;
            self.meta = self.restart_meta.clone();
            self.notice = Some(format!(
                "{} was deleted while in use; the session goes on in a new file there, from this point",
                path.display()
            ));
        }
        if self.file.is_none() {
            // Private (the session holds all the model read), and a line torn by a kill is cut
            // so this record does not land on it.
            let opened = path.parent().map(private_folders).unwrap_or(Ok(())).and_then(|_| files::open_append(&path));
            match opened {
                Ok((f, _torn)) => self.file = Some(f),
                Err(e) => return Err(self.fail(format!("{}: {e}", path.display()))),
            }
            if let Some(meta) = self.meta.take()
                && let Err(e) = self.write_line(&meta)
            {
                return Err(self.fail(e));
            }
        }
        self.write_line(record).map_err(|e| self.fail(e))?;
        if let Some(summary) = self.summary.as_mut() {
            summary.apply(record);
            // The sidecar follows the boundaries that matter for listing; it is a cache, so a
            // failure to write it is not a failure to save the session.
            if matches!(record, Record::Message { .. } | Record::Usage { .. } | Record::Title { .. }) {
                let _ = summary.save(&self.secrets);
            }
        }
        Ok(())
    }

    /// Makes what was appended durable (at a turn's end): a crash or a power cut after this
    /// loses nothing of the turn.
    pub fn sync(&mut self) -> Result<(), String> {
        let Some(file) = self.file.as_ref() else { return Ok(()) };
        let path = self.path.clone().unwrap_or_default();
        file.sync_data().map_err(|e| format!("{}: {e}", path.display()))
    }

    /// A message for the user about the session file (it was deleted while open), once.
    pub fn take_notice(&mut self) -> Option<String> {
        self.notice.take()
    }

    fn fail(&mut self, message: String) -> String {
        self.failed = Some(message.clone());
        self.file = None;
        message
    }

    fn write_line(&mut self, record: &Record) -> Result<(), String> {
        let mut line = serde_json::to_string(record).map_err(|e| format!("cannot encode a record: {e}"))?;
        line = redact(&line, &self.secrets);
        line.push('\n');
        let path = self.path.clone().unwrap_or_default();
        let file = self.file.as_mut().ok_or("the session file is not open")?;
        file.write_all(line.as_bytes()).map_err(|e| format!("{}: {e}", path.display()))?;
        file.flush().map_err(|e| format!("{}: {e}", path.display()))
    }
}

/// Makes a session's folder private, and the sessions root above it when it is claw-tui's.
fn private_folders(dir: &Path) -> std::io::Result<()> {
    files::private_dir(dir)?;
    match crate::config::sessions_root() {
        Some(root) if dir.starts_with(&root) && root.is_dir() => files::private_dir(&root),
        _ => Ok(()),
    }
}

/// `text` with every secret, and the credentials of any URL, replaced by `[REDACTED]`.
pub(crate) fn redact(text: &str, secrets: &[String]) -> String {
    let mut out = crate::sanitize::redact_url_credentials(text).into_owned();
    for secret in secrets {
        if out.contains(secret.as_str()) {
            out = out.replace(secret.as_str(), "[REDACTED]");
        }
    }
    out
}

/// Reads a session file. Lines that do not parse (a torn last line, garbage) are skipped; each
/// skip is reported as `path:line: why`. Record types this version does not know (from a newer
/// claw-tui) are skipped with one warning.
pub fn read_records(path: &Path) -> std::io::Result<(Vec<Record>, Vec<String>)> {
    use std::io::BufRead;
    // Line by line, so a 50 MB session never sits in memory twice.
    let mut reader = std::io::BufReader::with_capacity(1 << 16, File::open(path)?);
    let mut records = Vec::new();
    let mut warnings = Vec::new();
    let mut unknown: Vec<String> = Vec::new();
    let mut buf = Vec::new();
    let mut i = 0usize;
    loop {
        buf.clear();
        if reader.read_until(b'\n', &mut buf)? == 0 {
            break;
        }
        i += 1;
        let line = &buf[..];
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match serde_json::from_slice::<Record>(line) {
            Ok(r) => {
                if let Record::Meta { version, .. } = &r
                    && *version > FORMAT_VERSION
                {
                    warnings.push(format!(
                        "{}: written by a newer claw-tui (format {version}, this one reads {FORMAT_VERSION}); parts it does not know are skipped",
                        path.display()
                    ));
                }
                records.push(r);
            }
            Err(e) => {
                let kind = serde_json::from_slice::<serde_json::Value>(line)
                    .ok()
                    .and_then(|v| v.get("type").and_then(|t| t.as_str()).map(str::to_string));
                match kind {
                    Some(k) if e.to_string().contains("unknown variant") => {
                        if !unknown.contains(&k) {
                            unknown.push(k);
                        }
                    }
                    _ => warnings.push(format!("{}:{i}: skipped an unreadable line ({e})", path.display())),
                }
            }
        }
    }
    if !unknown.is_empty() {
        warnings.push(format!("{}: skipped records of unknown kinds: {}", path.display(), unknown.join(", ")));
    }
    Ok((records, warnings))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::Message;
    use chrono::Utc;

    fn meta(id: &str) -> Record {
        Record::Meta {
            version: FORMAT_VERSION,
            id: id.into(),
            created: Utc::now(),
            cwd: "/w".into(),
            git_branch: Some("main".into()),
            model: "m".into(),
            claw_version: "0".into(),
            forked_from: None,
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
        let sidecar = std::fs::read_to_string(dir.path().join("s1.summary.json")).unwrap();
        assert!(!sidecar.contains("sk-ant-very-secret"), "the summary is redacted too");
        // a torn line, as a kill mid-write leaves it
        std::fs::OpenOptions::new().append(true).open(&path).unwrap().write_all(b"{\"type\":\"mess").unwrap();
        let (records, warnings) = read_records(&path).unwrap();
        assert_eq!(records.len(), 2);
        assert!(matches!(records[0], Record::Meta { .. }));
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].contains("s1.jsonl:3:"), "{}", warnings[0]);
    }

    #[test]
    fn newer_versions_and_unknown_records_are_read_as_far_as_known() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("n.jsonl");
        std::fs::write(
            &path,
            "{\"type\":\"meta\",\"version\":9,\"id\":\"n\",\"created\":\"2030-01-01T00:00:00Z\",\"cwd\":\"/w\",\"model\":\"m\",\"claw_version\":\"9\"}\n\
             {\"type\":\"hologram\",\"x\":1}\n\
             {\"type\":\"message\",\"ts\":\"2030-01-01T00:00:00Z\",\"message\":{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"hi\"}]}}\n",
        )
        .unwrap();
        let (records, warnings) = read_records(&path).unwrap();
        assert_eq!(records.len(), 2);
        assert_eq!(warnings.len(), 2, "{warnings:?}");
        assert!(warnings[0].contains("newer claw-tui"));
        assert!(warnings[1].contains("unknown kinds: hologram"));
    }

    #[test]
    fn a_file_deleted_while_open_is_started_again_with_a_notice() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = SessionWriter::create(dir.path(), meta("gone"), vec![]);
        w.append(&Record::message(Message::user_text("one"))).unwrap();
        let path = dir.path().join("gone.jsonl");
        std::fs::remove_file(&path).unwrap();
        w.append(&Record::message(Message::user_text("two"))).unwrap();
        assert!(w.take_notice().unwrap().contains("was deleted while in use"));
        assert!(w.take_notice().is_none(), "said once");
        let (records, _) = read_records(&path).unwrap();
        assert!(matches!(records[0], Record::Meta { .. }), "the new file starts with meta");
        assert_eq!(records.len(), 2);
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
}
