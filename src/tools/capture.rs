//! Bounded capture of what a command prints.
//!
//! A command can print gigabytes (`yes`, a runaway test log). [`Capture`] keeps the first
//! [`HEAD`] and the last [`TAIL`] bytes in memory and writes the whole output, up to
//! [`SPILL_MAX`], to a file in the agent's scratch folder, which the model is told about (it
//! can read or grep it like any file). [`Throttle`] coalesces the progress the UI streams:
//! at most one chunk per [`PROGRESS_EVERY`], each at most [`PROGRESS_MAX`] bytes (the tail:
//! a terminal shows the last lines), sent without waiting on a bounded channel.

use std::collections::VecDeque;
use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use super::text::truncate_middle;

/// Bytes of the start of the output kept in memory.
pub const HEAD: usize = 64 * 1024;
/// Bytes of the end of the output kept in memory.
pub const TAIL: usize = 192 * 1024;
/// Most bytes of one command's output written to its spill file.
pub const SPILL_MAX: u64 = 64 << 20;
/// Least time between two progress chunks.
pub const PROGRESS_EVERY: Duration = Duration::from_millis(40);
/// Most bytes of one progress chunk (older output waiting to be sent is dropped).
pub const PROGRESS_MAX: usize = 64 * 1024;
/// Progress chunks that can wait in the channel to the agent.
pub const PROGRESS_CAPACITY: usize = 16;

/// A file that receives a command's output, up to a limit. Created when first written.
#[derive(Debug)]
pub struct SpillFile {
    path: PathBuf,
    file: Option<std::io::BufWriter<std::fs::File>>,
    written: u64,
    limit: u64,
    error: Option<String>,
}

impl SpillFile {
    pub fn new(path: PathBuf) -> SpillFile {
        SpillFile { path, file: None, written: 0, limit: SPILL_MAX, error: None }
    }

    #[cfg(test)]
    fn with_limit(path: PathBuf, limit: u64) -> SpillFile {
        SpillFile { limit, ..SpillFile::new(path) }
    }

    pub fn path(&self) -> &std::path::Path {
        &self.path
    }

    /// Bytes in the file so far.
    pub fn written(&self) -> u64 {
        self.written
    }

    /// Appends what fits under the limit. A failure (a full disk) stops the file, and is kept
    /// to be told.
    pub fn write(&mut self, bytes: &[u8]) {
        if self.error.is_some() || self.written >= self.limit {
            return;
        }
        if self.file.is_none() {
            use std::os::unix::fs::OpenOptionsExt;
            match std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&self.path) {
                Ok(f) => self.file = Some(std::io::BufWriter::with_capacity(64 * 1024, f)),
                Err(e) => {
                    self.error = Some(format!("cannot create {}: {e}", self.path.display()));
                    return;
                }
            }
        }
        let room = (self.limit - self.written).min(bytes.len() as u64) as usize;
        let file = self.file.as_mut().expect("opened above");
        match file.write_all(&bytes[..room]) {
            Ok(()) => self.written += room as u64,
            Err(e) => self.error = Some(format!("writing {} failed: {e}", self.path.display())),
        }
    }

    pub fn flush(&mut self) {
        if let Some(f) = self.file.as_mut()
            && let Err(e) = f.flush()
            && self.error.is_none()
        {
            self.error = Some(format!("writing {} failed: {e}", self.path.display()));
        }
    }

    /// A note for the model on where the output of `total` bytes went.
    pub fn note(&self, total: u64) -> String {
        let path = self.path.display();
        match &self.error {
            Some(e) if self.written == 0 => format!("[The full output could not be saved: {e}.]"),
            Some(e) => format!(
                "[The first {} of the output ({} in all) are in {path}; saving the rest failed: {e}.]",
                bytes(self.written),
                bytes(total)
            ),
            None if self.written < total => format!(
                "[The first {} of the output ({} in all) are in {path}; the rest was not saved. Read that file with read_file (offset, limit) or search it with grep_search.]",
                bytes(self.written),
                bytes(total)
            ),
            None => format!(
                "[The full output ({}) is in {path}: read it with read_file (offset, limit) or search it with grep_search.]",
                bytes(total)
            ),
        }
    }
}

/// A byte count for people: exact below 10 KiB, then KiB, MiB or GiB.
pub fn bytes(n: u64) -> String {
    match n {
        0..10_240 => format!("{n} bytes"),
        10_240..10_485_760 => format!("{:.0} KiB", n as f64 / 1024.0),
        10_485_760..1_073_741_824 => format!("{:.0} MiB", n as f64 / 1_048_576.0),
        _ => format!("{:.1} GiB", n as f64 / 1_073_741_824.0),
    }
}

/// The output of one command, bounded in memory.
#[derive(Debug)]
pub struct Capture {
    head: Vec<u8>,
    tail: VecDeque<u8>,
    total: u64,
    spill: Option<SpillFile>,
    /// Whether bytes between the head and the tail were let go from memory.
    dropped: bool,
}

/// What a finished capture gives: the text for the model, and when that was cut, the fuller
/// text kept for the session record.
#[derive(Debug)]
pub struct Captured {
    pub text: String,
    pub full: Option<String>,
}

impl Capture {
    /// A capture that spills to `spill` (none: nothing is saved, and the model is told).
    pub fn new(spill: Option<SpillFile>) -> Capture {
        Capture { head: Vec::new(), tail: VecDeque::new(), total: 0, spill, dropped: false }
    }

    pub fn total(&self) -> u64 {
        self.total
    }

    pub fn push(&mut self, mut bytes: &[u8]) {
        self.total += bytes.len() as u64;
        if self.head.len() < HEAD {
            let n = (HEAD - self.head.len()).min(bytes.len());
            self.head.extend_from_slice(&bytes[..n]);
            bytes = &bytes[n..];
        }
        if self.tail.len() + bytes.len() > TAIL && !self.dropped {
            // Memory is about to let go of the middle: from here on the file is the only
            // complete copy, so it starts with everything so far.
            self.dropped = true;
            if let Some(spill) = self.spill.as_mut() {
                spill.write(&self.head);
                let (a, b) = self.tail.as_slices();
                spill.write(a);
                spill.write(b);
            }
        }
        if self.dropped
            && let Some(spill) = self.spill.as_mut()
        {
            spill.write(bytes);
        }
        if bytes.len() >= TAIL {
            self.tail.clear();
            self.tail.extend(&bytes[bytes.len() - TAIL..]);
        } else {
            let over = (self.tail.len() + bytes.len()).saturating_sub(TAIL);
            self.tail.drain(..over);
            self.tail.extend(bytes);
        }
    }

    /// The text for the model: everything when it fits in `max_chars`, else the head and the
    /// tail with a note saying what was cut and where the whole output is.
    pub fn finish(mut self, max_chars: usize) -> Captured {
        let tail: Vec<u8> = self.tail.drain(..).collect();
        if !self.dropped {
            let mut all = std::mem::take(&mut self.head);
            all.extend_from_slice(&tail);
            let text = String::from_utf8_lossy(&all);
            let text = text.trim_end_matches('\n');
            if text.chars().count() <= max_chars {
                return Captured { text: text.to_string(), full: None };
            }
            let note = self.spill_note(&all);
            let cut = truncate_middle(text, max_chars);
            return Captured { text: format!("{cut}\n\n{note}"), full: Some(text.to_string()) };
        }
        let note = self.spill_note(&[]);
        let head = String::from_utf8_lossy(&self.head);
        let tail = String::from_utf8_lossy(&tail);
        let tail = tail.trim_end_matches('\n');
        let head_n = max_chars / 3;
        let shown_head: String = head.chars().take(head_n).collect();
        let tail_chars = tail.chars().count();
        let shown_tail: String = tail.chars().skip(tail_chars.saturating_sub(max_chars - head_n)).collect();
        let cut = self.total.saturating_sub((shown_head.len() + shown_tail.len()) as u64);
        let text = format!(
            "{shown_head}\n\n[... {} cut from the middle; {} in all ...]\n\n{shown_tail}\n\n{note}",
            bytes(cut),
            bytes(self.total)
        );
        let full =
            format!("{head}\n\n[... {} not kept ...]\n\n{tail}", bytes(self.total - (head.len() + tail.len()) as u64));
        Captured { text, full: Some(full) }
    }

    /// Saves `all` (when the file has nothing yet) and says where the output went.
    fn spill_note(&mut self, all: &[u8]) -> String {
        match self.spill.as_mut() {
            None => "[The full output was not saved: there is no scratch folder.]".into(),
            Some(spill) => {
                if spill.written() == 0 {
                    spill.write(all);
                }
                spill.flush();
                spill.note(self.total)
            }
        }
    }
}

/// Coalesces progress for the UI. Bytes are decoded as UTF-8 across chunk boundaries.
#[derive(Debug, Default)]
pub struct Throttle {
    pending: String,
    partial: Vec<u8>,
    last: Option<Instant>,
}

impl Throttle {
    /// Adds `bytes`, and sends what is waiting when the last chunk went long enough ago.
    pub fn push(&mut self, bytes: &[u8], tx: &mpsc::Sender<String>) {
        // Only the last PROGRESS_MAX bytes of a chunk can survive; decode no more than that.
        let bytes = &bytes[bytes.len().saturating_sub(PROGRESS_MAX)..];
        self.partial.extend_from_slice(bytes);
        let valid = match std::str::from_utf8(&self.partial) {
            Ok(_) => self.partial.len(),
            Err(e) if e.error_len().is_none() => e.valid_up_to(),
            Err(_) => self.partial.len(),
        };
        self.pending.push_str(&String::from_utf8_lossy(&self.partial[..valid]));
        self.partial.drain(..valid);
        if self.pending.len() > PROGRESS_MAX {
            let mut cut = self.pending.len() - PROGRESS_MAX;
            while !self.pending.is_char_boundary(cut) {
                cut += 1;
            }
            self.pending.drain(..cut);
        }
        if self.last.is_none_or(|t| t.elapsed() >= PROGRESS_EVERY) {
            self.send(tx);
        }
    }

    /// Sends what is waiting, if the channel has room (else it waits for the next chance).
    pub fn send(&mut self, tx: &mpsc::Sender<String>) {
        if self.pending.is_empty() {
            return;
        }
        match tx.try_send(std::mem::take(&mut self.pending)) {
            Ok(()) => self.last = Some(Instant::now()),
            Err(mpsc::error::TrySendError::Full(back)) => self.pending = back,
            Err(mpsc::error::TrySendError::Closed(_)) => {}
        }
    }

    /// Sends the rest, a torn character included.
    pub fn finish(mut self, tx: &mpsc::Sender<String>) {
        if !self.partial.is_empty() {
            let rest = String::from_utf8_lossy(&self.partial).into_owned();
            self.pending.push_str(&rest);
        }
        self.send(tx);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spill(dir: &tempfile::TempDir) -> SpillFile {
        SpillFile::new(dir.path().join("out.log"))
    }

    #[test]
    fn small_output_is_kept_whole_and_not_saved() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = Capture::new(Some(spill(&dir)));
        c.push(b"hello\nworld\n");
        let out = c.finish(100);
        assert_eq!(out.text, "hello\nworld");
        assert!(out.full.is_none());
        assert!(!dir.path().join("out.log").exists());
    }

    #[test]
    fn output_cut_for_the_model_is_saved_whole() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = Capture::new(Some(spill(&dir)));
        let text: String = (0..2000).map(|i| format!("line {i}\n")).collect();
        c.push(text.as_bytes());
        let out = c.finish(1000);
        assert!(out.text.starts_with("line 0\n"));
        assert!(out.text.contains("line 1999"));
        assert!(out.text.contains("out.log"), "{}", out.text);
        assert_eq!(std::fs::read_to_string(dir.path().join("out.log")).unwrap(), text);
    }

    #[test]
    fn a_flood_keeps_head_and_tail_in_memory_and_everything_in_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = Capture::new(Some(spill(&dir)));
        let mut expected = Vec::new();
        for i in 0..40_000u32 {
            let line = format!("{i:08}\n");
            c.push(line.as_bytes());
            expected.extend_from_slice(line.as_bytes());
            assert!(c.head.len() <= HEAD && c.tail.len() <= TAIL);
        }
        let out = c.finish(3000);
        assert!(out.text.starts_with("00000000\n"));
        assert!(out.text.contains("00039999\n\n["), "{}", &out.text[out.text.len() - 300..]);
        assert!(out.text.contains("cut from the middle; 352 KiB in all"));
        assert!(out.text.contains("The full output (352 KiB)"), "{}", out.text);
        assert_eq!(std::fs::read(dir.path().join("out.log")).unwrap(), expected);
        let full = out.full.unwrap();
        assert!(full.len() < HEAD + TAIL + 100);
    }

    #[test]
    fn the_file_stops_at_its_limit_and_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = Capture::new(Some(SpillFile::with_limit(dir.path().join("out.log"), 300_000)));
        let chunk = vec![b'y'; 100_000];
        for _ in 0..10 {
            c.push(&chunk);
        }
        let out = c.finish(1000);
        assert!(out.text.contains("The first 293 KiB of the output (977 KiB in all)"), "{}", out.text);
        assert_eq!(std::fs::metadata(dir.path().join("out.log")).unwrap().len(), 300_000);
    }

    #[test]
    fn no_scratch_folder_is_told() {
        let mut c = Capture::new(None);
        c.push(&vec![b'x'; 500_000]);
        assert!(c.finish(1000).text.contains("was not saved"));
        let mut c = Capture::new(Some(SpillFile::new("/nonexistent-dir/out.log".into())));
        c.push(&vec![b'x'; 5000]);
        assert!(c.finish(1000).text.contains("could not be saved: cannot create /nonexistent-dir/out.log"));
    }

    #[test]
    fn progress_is_coalesced_bounded_and_keeps_characters_whole() {
        let (tx, mut rx) = mpsc::channel(PROGRESS_CAPACITY);
        let mut t = Throttle::default();
        let text = "é".repeat(10);
        // Split every character in two.
        for b in text.as_bytes() {
            t.push(std::slice::from_ref(b), &tx);
        }
        for _ in 0..1000 {
            t.push(&[b'y'; 1000], &tx);
        }
        t.finish(&tx);
        let mut chunks = Vec::new();
        while let Ok(c) = rx.try_recv() {
            chunks.push(c);
        }
        assert!(chunks.len() <= 3, "coalesced: {}", chunks.len());
        assert!(chunks.iter().all(|c| c.len() <= PROGRESS_MAX));
        assert!(!chunks.concat().contains('\u{fffd}'));
        assert!(chunks.concat().ends_with('y'));
    }

    #[test]
    fn byte_counts_read_well() {
        assert_eq!(bytes(512), "512 bytes");
        assert_eq!(bytes(300 * 1024), "300 KiB");
        assert_eq!(bytes(64 << 20), "64 MiB");
        assert_eq!(bytes(2_000_000_000), "1.9 GiB");
    }
}
