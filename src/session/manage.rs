//! Managing saved sessions: preview, rename, fork, delete (to the trash).

use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use chrono::Utc;

use super::index::{self, Summary};
use super::{ForkOrigin, Record, read_records};
use crate::provider::{ContentBlock, Role};

/// Bytes read from the end of a session file for its preview.
const PREVIEW_BYTES: u64 = 256 * 1024;
/// Lines of preview kept.
const PREVIEW_LINES: usize = 60;

/// The end of a conversation as short lines: prompts, answers, tool calls.
pub fn preview(path: &Path) -> std::io::Result<Vec<String>> {
    let mut file = std::fs::File::open(path)?;
    let len = file.metadata()?.len();
    let start = len.saturating_sub(PREVIEW_BYTES);
    file.seek(SeekFrom::Start(start))?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)?;
    // Skip the partial first line when reading from the middle.
    let body = if start > 0 {
        match bytes.iter().position(|&b| b == b'\n') {
            Some(i) => &bytes[i + 1..],
            None => &[][..],
        }
    } else {
        &bytes[..]
    };
    let mut lines = Vec::new();
    for line in body.split(|&b| b == b'\n') {
        let Ok(Record::Message { message, .. }) = serde_json::from_slice::<Record>(line) else { continue };
        for block in &message.content {
            match (message.role, block) {
                (Role::User, ContentBlock::Text { text }) => {
                    lines.push(String::new());
                    for (i, l) in text.lines().enumerate() {
                        lines.push(format!("{}{l}", if i == 0 { "› " } else { "  " }));
                    }
                }
                (Role::Assistant, ContentBlock::Text { text }) => {
                    for (i, l) in text.lines().enumerate() {
                        lines.push(format!("{}{l}", if i == 0 { "● " } else { "  " }));
                    }
                }
                (Role::Assistant, ContentBlock::ToolUse { name, input, .. }) => {
                    lines.push(format!("  ⎿ {name} {}", crate::tools::registry::input_summary(name, input)));
                }
                _ => {}
            }
        }
    }
    let skip = lines.len().saturating_sub(PREVIEW_LINES);
    Ok(lines.into_iter().skip(skip).map(|l| crate::sanitize::visible(&l).into_owned()).collect())
}

/// Appends a record to a session file (not the one being written by a live agent) and updates
/// its summary.
fn append_record(path: &Path, record: &Record) -> Result<(), String> {
    let mut line = serde_json::to_string(record).map_err(|e| e.to_string())?;
    line.push('\n');
    if !path.exists() {
        return Err(format!("{}: the session file is gone", path.display()));
    }
    let (mut f, _torn) = crate::files::open_append(path).map_err(|e| format!("{}: {e}", path.display()))?;
    f.write_all(line.as_bytes()).and_then(|_| f.sync_data()).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut summary = index::load(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let _ = summary.save(&[]);
    Ok(())
}

/// Gives a saved session a title.
pub fn rename(path: &Path, title: &str) -> Result<String, String> {
    let title = title.trim();
    if title.is_empty() {
        return Err("a title cannot be empty".into());
    }
    append_record(path, &Record::Title { ts: Utc::now(), title: title.to_string() })?;
    Ok(format!("renamed to \"{title}\""))
}

/// Copies a session into a new one that records where it came from; returns the new file.
pub fn fork(path: &Path) -> Result<PathBuf, String> {
    let (records, _) = read_records(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let source: Summary = index::load(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let id = super::new_id();
    let new_path = path.with_file_name(format!("{id}.jsonl"));
    let messages = records.iter().filter(|r| matches!(r, Record::Message { .. })).count();
    let mut out = String::new();
    for r in &records {
        let r = match r {
            Record::Meta { version, cwd, git_branch, model, claw_version, .. } => Record::Meta {
                version: *version,
                id: id.clone(),
                created: Utc::now(),
                cwd: cwd.clone(),
                git_branch: git_branch.clone(),
                model: model.clone(),
                claw_version: claw_version.clone(),
                forked_from: Some(ForkOrigin { session_id: source.id.clone(), messages }),
            },
            other => other.clone(),
        };
        out.push_str(&serde_json::to_string(&r).map_err(|e| e.to_string())?);
        out.push('\n');
    }
    let title = Record::Title { ts: Utc::now(), title: format!("{} (fork)", source.display_title()) };
    out.push_str(&serde_json::to_string(&title).map_err(|e| e.to_string())?);
    out.push('\n');
    crate::files::write_atomic(&new_path, out.as_bytes(), crate::files::PRIVATE_FILE)
        .map_err(|e| format!("{}: {e}", new_path.display()))?;
    copy_checkpoints(path, &new_path)?;
    let mut s = index::load(&new_path).map_err(|e| e.to_string())?;
    let _ = s.save(&[]);
    Ok(new_path)
}

/// Gives a forked session the checkpoint blobs its records name (hard links where the file
/// system allows: blobs never change).
fn copy_checkpoints(from: &Path, to: &Path) -> Result<(), String> {
    let (src, dst) = (from.with_extension("checkpoints"), to.with_extension("checkpoints"));
    let Ok(entries) = std::fs::read_dir(&src) else { return Ok(()) };
    crate::files::private_dir(&dst).map_err(|e| format!("{}: {e}", dst.display()))?;
    for entry in entries.flatten() {
        let target = dst.join(entry.file_name());
        if std::fs::hard_link(entry.path(), &target).is_err() {
            std::fs::copy(entry.path(), &target).map_err(|e| format!("{}: {e}", target.display()))?;
        }
    }
    Ok(())
}

/// Moves a session (its summary and checkpoints too) to `<root>/trash/<project>/`; nothing is
/// unlinked.
pub fn trash(root: &Path, path: &Path) -> Result<String, String> {
    let project = path.parent().and_then(|p| p.file_name()).map(PathBuf::from).unwrap_or_default();
    let dir = root.join("trash").join(project);
    crate::files::private_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let name = path.file_name().ok_or("not a session file")?;
    std::fs::rename(path, dir.join(name)).map_err(|e| format!("{}: {e}", path.display()))?;
    let sidecar = path.with_extension("summary.json");
    if sidecar.exists() {
        let _ = std::fs::rename(&sidecar, dir.join(sidecar.file_name().unwrap_or_default()));
    }
    let checkpoints = path.with_extension("checkpoints");
    if checkpoints.is_dir() {
        let _ = std::fs::rename(&checkpoints, dir.join(checkpoints.file_name().unwrap_or_default()));
    }
    Ok(format!("moved to the trash: {}", dir.join(name).display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::Message;
    use crate::session::{FORMAT_VERSION, SessionWriter};

    #[test]
    fn rename_fork_preview_and_trash() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("-p");
        let meta = Record::Meta {
            version: FORMAT_VERSION,
            id: "orig".into(),
            created: Utc::now(),
            cwd: "/p".into(),
            git_branch: None,
            model: "m".into(),
            claw_version: "t".into(),
            forked_from: None,
        };
        let mut w = SessionWriter::create(&dir, meta, vec![]);
        w.append(&Record::message(Message::user_text("first prompt"))).unwrap();
        w.append(&Record::message(Message {
            role: Role::Assistant,
            content: vec![ContentBlock::Text { text: "an answer\nover two lines".into() }],
        }))
        .unwrap();
        let path = dir.join("orig.jsonl");
        std::fs::create_dir_all(dir.join("orig.checkpoints")).unwrap();
        std::fs::write(dir.join("orig.checkpoints/abc"), "before").unwrap();
        assert_eq!(preview(&path).unwrap(), ["", "› first prompt", "● an answer", "  over two lines"]);
        rename(&path, "Better title").unwrap();
        assert_eq!(index::load(&path).unwrap().display_title(), "Better title");
        let forked = fork(&path).unwrap();
        let s = index::load(&forked).unwrap();
        assert_eq!(s.forked_from.as_deref(), Some("orig"));
        assert_eq!(s.messages, 2);
        assert_eq!(s.display_title(), "Better title (fork)");
        let blob = forked.with_extension("checkpoints").join("abc");
        assert_eq!(std::fs::read_to_string(blob).unwrap(), "before", "the fork can undo too");
        let msg = trash(root.path(), &path).unwrap();
        assert!(msg.contains("trash"));
        assert!(!path.exists());
        assert!(root.path().join("trash/-p/orig.jsonl").exists());
        assert!(root.path().join("trash/-p/orig.checkpoints/abc").exists());
        assert_eq!(index::list(root.path(), None).len(), 1, "the trash is not listed");
    }
}
