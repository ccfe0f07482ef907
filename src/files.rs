//! Durable, private files: how claw-tui writes its own files (sessions, summaries,
//! checkpoints, config edits).
//!
//! A file is replaced atomically ([`write_atomic`]): the new content goes to a temporary file
//! in the same folder, is synced, and is renamed over the old one, so a full disk or a crash
//! leaves the old file whole, never a truncated one. The file keeps its mode; a symlink is
//! written through to its target (a config file linked from a dotfiles repository stays a
//! link), and so is a file with several hard links (renaming would split it from its other
//! names), in place. Folders for sessions and checkpoints are made 0700 ([`private_dir`]) and
//! files in them 0600: they can hold copies of `.env` files and everything the model read.
//! An append-only log ([`open_append`]) first cuts a torn last line, left by a write that was
//! interrupted, so the next record starts on a line of its own.

use std::fs::{File, OpenOptions, Permissions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

/// Mode of claw-tui's private files.
pub const PRIVATE_FILE: u32 = 0o600;
/// Mode of claw-tui's private folders.
pub const PRIVATE_DIR: u32 = 0o700;

/// Creates `dir` and its missing parents 0700, and makes `dir` itself 0700 if it was not.
pub fn private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::DirBuilder::new().recursive(true).mode(PRIVATE_DIR).create(dir)?;
    let meta = std::fs::metadata(dir)?;
    if meta.permissions().mode() & 0o777 != PRIVATE_DIR {
        std::fs::set_permissions(dir, Permissions::from_mode(PRIVATE_DIR))?;
    }
    Ok(())
}

/// Replaces `path` with `bytes` atomically (see the module). A new file gets `new_mode`; an
/// existing one keeps its mode. The folder must exist.
pub fn write_atomic(path: &Path, bytes: &[u8], new_mode: u32) -> std::io::Result<()> {
    // Through a symlink to the file it names: replacing the link would cut it.
    let target = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let existing = std::fs::metadata(&target).ok();
    if let Some(meta) = &existing
        && meta.nlink() > 1
    {
        let mut f = OpenOptions::new().write(true).truncate(true).open(&target)?;
        f.write_all(bytes)?;
        return f.sync_all();
    }
    let dir = target.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let mut tmp = tempfile::Builder::new().prefix(&format!(".{name}.")).suffix(".tmp").tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    let mode = existing.map_or(new_mode, |m| m.permissions().mode() & 0o7777);
    tmp.as_file().set_permissions(Permissions::from_mode(mode))?;
    tmp.as_file().sync_all()?;
    tmp.persist(&target).map_err(|e| e.error)?;
    sync_dir(dir);
    Ok(())
}

/// Syncs a folder, so that a rename in it survives a crash. Best effort: some file systems
/// refuse to sync a folder, and the rename itself is already done.
pub fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Opens an append-only log, creating it 0600 (and making an existing one 0600). A torn last
/// line (no newline at the end) is cut first; its length is returned so it can be told.
pub fn open_append(path: &Path) -> std::io::Result<(File, Option<u64>)> {
    let mut f = OpenOptions::new().read(true).append(true).create(true).mode(PRIVATE_FILE).open(path)?;
    let meta = f.metadata()?;
    if meta.permissions().mode() & 0o777 != PRIVATE_FILE {
        f.set_permissions(Permissions::from_mode(PRIVATE_FILE))?;
    }
    let torn = cut_torn_line(&mut f, meta.len())?;
    Ok((f, torn))
}

/// Cuts what follows the last newline of a file `len` bytes long; returns how much was cut.
fn cut_torn_line(f: &mut File, len: u64) -> std::io::Result<Option<u64>> {
    if len == 0 {
        return Ok(None);
    }
    let mut last = [0u8; 1];
    f.seek(SeekFrom::Start(len - 1))?;
    f.read_exact(&mut last)?;
    if last[0] == b'\n' {
        return Ok(None);
    }
    // Find the last newline, reading backwards a block at a time.
    let mut end = len;
    let mut buf = vec![0u8; 64 * 1024];
    let keep = loop {
        if end == 0 {
            break 0;
        }
        let start = end.saturating_sub(buf.len() as u64);
        let chunk = &mut buf[..(end - start) as usize];
        f.seek(SeekFrom::Start(start))?;
        f.read_exact(chunk)?;
        if let Some(i) = chunk.iter().rposition(|&b| b == b'\n') {
            break start + i as u64 + 1;
        }
        end = start;
    };
    f.set_len(keep)?;
    f.sync_data()?;
    Ok(Some(len - keep))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
    }

    #[test]
    fn an_atomic_write_keeps_the_mode_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join("run.sh");
        std::fs::write(&script, "old").unwrap();
        std::fs::set_permissions(&script, Permissions::from_mode(0o755)).unwrap();
        write_atomic(&script, b"new", PRIVATE_FILE).unwrap();
        assert_eq!(std::fs::read_to_string(&script).unwrap(), "new");
        assert_eq!(mode(&script), 0o755);
        let fresh = dir.path().join("fresh");
        write_atomic(&fresh, b"x", PRIVATE_FILE).unwrap();
        assert_eq!(mode(&fresh), PRIVATE_FILE);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2, "no temporary file is left");
    }

    #[test]
    fn links_are_written_through() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("dotfiles/config.toml");
        std::fs::create_dir(dir.path().join("dotfiles")).unwrap();
        std::fs::write(&real, "a").unwrap();
        let link = dir.path().join("config.toml");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        write_atomic(&link, b"b", PRIVATE_FILE).unwrap();
        assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink(), "still a link");
        assert_eq!(std::fs::read_to_string(&real).unwrap(), "b");
        let other = dir.path().join("hard");
        std::fs::hard_link(&real, &other).unwrap();
        write_atomic(&real, b"c", PRIVATE_FILE).unwrap();
        assert_eq!(std::fs::read_to_string(&other).unwrap(), "c", "the other name sees the change");
    }

    #[test]
    fn folders_are_private_and_a_torn_line_is_cut() {
        let dir = tempfile::tempdir().unwrap();
        let sessions = dir.path().join("a/b");
        private_dir(&sessions).unwrap();
        assert_eq!(mode(&sessions), PRIVATE_DIR);
        assert_eq!(mode(&dir.path().join("a")), PRIVATE_DIR);
        let log = sessions.join("s.jsonl");
        std::fs::write(&log, "{\"one\":1}\n{\"two\":").unwrap();
        std::fs::set_permissions(&log, Permissions::from_mode(0o644)).unwrap();
        let (mut f, torn) = open_append(&log).unwrap();
        assert_eq!(torn, Some(7));
        f.write_all(b"{\"three\":3}\n").unwrap();
        assert_eq!(std::fs::read_to_string(&log).unwrap(), "{\"one\":1}\n{\"three\":3}\n");
        assert_eq!(mode(&log), PRIVATE_FILE);
        assert_eq!(open_append(&log).unwrap().1, None);
        // A file that is one torn line.
        std::fs::write(&log, "x".repeat(100_000)).unwrap();
        assert_eq!(open_append(&log).unwrap().1, Some(100_000));
        assert_eq!(std::fs::metadata(&log).unwrap().len(), 0);
    }
}
