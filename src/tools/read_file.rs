//! `read_file`: a text file with numbered lines.
//!
//! Lines are numbered from 1 (`offset` is the first line to show) in the `cat -n` layout the
//! models are used to. Binary files are refused, and so are FIFOs and devices (reading them
//! would block); text that is not valid UTF-8 is shown with the invalid bytes replaced and a
//! note saying so. The file is streamed, never held whole: a read of a gigabyte log keeps
//! only the lines it shows, and a result stops at the agent's budget of characters
//! ([`ToolEnv::max_result_chars`]) with a note saying where to go on. Each read is recorded
//! so that `edit_file` can tell a stale read from a fresh one.

use std::io::Read;

use serde::Deserialize;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use super::text::looks_binary;
use super::{Access, CallPlan, ReadStamp, Tool, ToolContext, ToolEnv, ToolOutput, lenient_usize, parse_input, resolve};
use crate::provider::{BoxFuture, ToolSpec};

/// Lines shown when the call gives no limit.
pub const DEFAULT_LIMIT: usize = 2000;
/// Longest line shown whole; longer ones are cut with a note (minified files).
pub const MAX_LINE_CHARS: usize = 2000;
/// Bytes of one line kept while reading: enough for [`MAX_LINE_CHARS`] characters.
const LINE_KEEP: usize = MAX_LINE_CHARS * 4;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Input {
    path: String,
    #[serde(default, deserialize_with = "lenient_usize")]
    offset: Option<usize>,
    #[serde(default, deserialize_with = "lenient_usize")]
    limit: Option<usize>,
}

pub struct ReadFile;

impl Tool for ReadFile {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "read_file".into(),
            description: "Read a text file. Returns lines numbered from 1 (line number, a tab, the line). \
By default up to 2000 lines from the start; use offset (first line, 1-based) and limit for more. \
A result stops at about 100,000 characters and says which offset to continue from; lines over 2000 characters are cut. \
Read a file before editing it."
                .into(),
            input_schema: json!({
                "type": "object",
                "properties": {
                    "path": {"type": "string", "description": "File path, relative to the working directory or absolute"},
                    "offset": {"type": "integer", "minimum": 1, "description": "First line to read, 1-based"},
                    "limit": {"type": "integer", "minimum": 1, "description": "How many lines to read (default 2000)"}
                },
                "required": ["path"],
                "additionalProperties": false
            }),
        }
    }

    fn plan(&self, input: &Value, env: &ToolEnv) -> Result<CallPlan, String> {
        let input: Input = parse_input("read_file", input)?;
        let path = resolve(&env.workspace, "read_file", &input.path)?;
        let shown = env.workspace.display(&path.path);
        Ok(CallPlan {
            access: Access::Read,
            summary: shown.clone(),
            subject: shown,
            paths: vec![path],
            preview: None,
            change: None,
        })
    }

    fn run<'a>(&'a self, input: Value, ctx: &'a ToolContext) -> BoxFuture<'a, Result<ToolOutput, String>> {
        Box::pin(async move {
            let input: Input = parse_input("read_file", &input)?;
            let ws = ctx.workspace();
            let path = resolve(ws, "read_file", &input.path)?;
            let shown = ws.display(&path.path);
            let meta = tokio::fs::metadata(&path.path).await.map_err(|e| match e.kind() {
                std::io::ErrorKind::NotFound => format!("read_file: {shown} does not exist"),
                _ => format!("read_file: cannot read {shown}: {e}"),
            })?;
            if meta.is_dir() {
                return Err(format!("read_file: {shown} is a directory; use glob_search to list files"));
            }
            if let Some(kind) = super::special_file(&meta) {
                return Err(format!("read_file: {shown} is {kind}, not a regular file; read_file reads files only"));
            }
            let page = Page { offset: input.offset, limit: input.limit, budget: ctx.env.max_result_chars() };
            let file = std::fs::File::open(&path.path).map_err(|e| format!("read_file: cannot read {shown}: {e}"))?;
            let (file, note) = notebook_view(file, &path.path, &shown, meta.len())?;
            let cancel = ctx.cancel.clone();
            let scan = tokio::task::spawn_blocking(move || scan(file, page, &cancel));
            let scan = tokio::select! {
                _ = ctx.cancel.cancelled() => return Err("read_file: interrupted by the user".into()),
                scan = scan => scan.map_err(|e| format!("read_file: the read failed: {e}"))?,
            };
            let scan = match scan {
                Ok(Some(scan)) => scan,
                Ok(None) => {
                    return Err(format!(
                        "read_file: {shown} is a binary file ({} bytes); read_file shows text only",
                        meta.len()
                    ));
                }
                Err(e) => return Err(format!("read_file: cannot read {shown}: {e}")),
            };
            ctx.env
                .reads
                .lock()
                .expect("reads lock")
                .insert(path.canonical.clone(), ReadStamp { modified: meta.modified().ok(), len: meta.len() });
            Ok(ToolOutput::ok(format!("{}{}", note.unwrap_or_default(), scan.render(&shown, page))))
        })
    }
}

/// A notebook is read as its cells ([`super::notebook::render`]), with a line saying so; one
/// that cannot be parsed is read as text, with a line saying why.
fn notebook_view(
    file: std::fs::File,
    path: &std::path::Path,
    shown: &str,
    len: u64,
) -> Result<(Box<dyn Read + Send>, Option<String>), String> {
    if !super::notebook_edit::is_notebook(path) || len > super::write_file::MAX_EDIT_BYTES {
        return Ok((Box::new(file), None));
    }
    let mut bytes = Vec::new();
    let mut reader = std::io::BufReader::new(file);
    reader.read_to_end(&mut bytes).map_err(|e| format!("read_file: cannot read {shown}: {e}"))?;
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => return Ok((Box::new(std::io::Cursor::new(e.into_bytes())), None)),
    };
    match super::notebook::Notebook::parse(&text) {
        Ok(nb) => {
            let note = format!("[{shown}: a Jupyter notebook, {} cells; edit them with NotebookEdit]\n", nb.len());
            Ok((Box::new(std::io::Cursor::new(super::notebook::render(&nb).into_bytes())), Some(note)))
        }
        Err(e) => {
            let note = format!("[note: {shown} is not a notebook NotebookEdit can edit: {e}; shown as text]\n");
            Ok((Box::new(std::io::Cursor::new(text.into_bytes())), Some(note)))
        }
    }
}

/// Which lines to show, and the most characters the result may have.
#[derive(Debug, Clone, Copy)]
struct Page {
    offset: Option<usize>,
    limit: Option<usize>,
    budget: usize,
}

impl Page {
    fn start(&self) -> usize {
        self.offset.unwrap_or(1).max(1)
    }

    /// The last line asked for.
    fn last(&self) -> usize {
        (self.start() - 1).saturating_add(self.limit.unwrap_or(DEFAULT_LIMIT).max(1))
    }
}

/// One pass over a file: the lines shown, numbered, and what the rest of the file holds.
#[derive(Debug, Default)]
struct Scan {
    out: String,
    out_chars: usize,
    /// Lines in the file.
    total: usize,
    /// The last line shown (0: none).
    end: usize,
    /// The result reached its budget before the lines asked for.
    cut_at_budget: bool,
    /// The offset of the first byte that is not UTF-8.
    invalid_at: Option<u64>,
    /// The line being read: its first bytes, its length in characters, its last byte.
    line: Vec<u8>,
    line_chars: usize,
    line_last: Option<u8>,
    /// Bytes checked for UTF-8 so far, and an unfinished character at the end of a chunk.
    checked: u64,
    carry: Vec<u8>,
}

/// Reads `file` through once: `None` when it is binary.
fn scan(mut file: impl Read, page: Page, cancel: &CancellationToken) -> std::io::Result<Option<Scan>> {
    let mut scan = Scan::default();
    let mut buf = vec![0u8; 64 * 1024];
    let mut first = true;
    let mut ends_in_newline = true;
    loop {
        if cancel.is_cancelled() {
            return Err(std::io::Error::other("interrupted"));
        }
        let n = match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        let chunk = &buf[..n];
        if std::mem::take(&mut first) && looks_binary(chunk) {
            return Ok(None);
        }
        scan.check_utf8(chunk);
        scan.feed(chunk, page);
        ends_in_newline = chunk.last() == Some(&b'\n');
    }
    if !ends_in_newline {
        scan.end_line(page);
    }
    if scan.invalid_at.is_none() && !scan.carry.is_empty() {
        scan.invalid_at = Some(scan.checked);
    }
    Ok(Some(scan))
}

impl Scan {
    fn check_utf8(&mut self, chunk: &[u8]) {
        if self.invalid_at.is_some() {
            return;
        }
        let mut bytes = std::mem::take(&mut self.carry);
        bytes.extend_from_slice(chunk);
        match std::str::from_utf8(&bytes) {
            Ok(_) => self.checked += bytes.len() as u64,
            Err(e) if e.error_len().is_none() => {
                self.checked += e.valid_up_to() as u64;
                self.carry = bytes[e.valid_up_to()..].to_vec();
            }
            Err(e) => self.invalid_at = Some(self.checked + e.valid_up_to() as u64),
        }
    }

    /// Whether line `n` (1-based) is still to be shown.
    fn wanted(&self, n: usize, page: Page) -> bool {
        !self.cut_at_budget && n >= page.start() && n <= page.last()
    }

    fn feed(&mut self, mut chunk: &[u8], page: Page) {
        while !chunk.is_empty() {
            let n = self.total + 1;
            if !self.wanted(n, page) && n > page.start() {
                // Past what is shown: only count lines (the last, unfinished one is counted
                // at the end).
                self.total += chunk.iter().filter(|&&b| b == b'\n').count();
                return;
            }
            let (part, newline) = match chunk.iter().position(|&b| b == b'\n') {
                Some(i) => (&chunk[..i], true),
                None => (chunk, false),
            };
            if self.wanted(n, page) {
                let room = LINE_KEEP.saturating_sub(self.line.len()).min(part.len());
                self.line.extend_from_slice(&part[..room]);
                self.line_chars += part.iter().filter(|&&b| b & 0xC0 != 0x80).count();
                if let Some(&b) = part.last() {
                    self.line_last = Some(b);
                }
            }
            chunk = &chunk[part.len()..];
            if newline {
                self.end_line(page);
                chunk = &chunk[1..];
            }
        }
    }

    /// Line `total + 1` ended: shown if it is wanted and fits.
    fn end_line(&mut self, page: Page) {
        self.total += 1;
        let n = self.total;
        let mut line = std::mem::take(&mut self.line);
        let mut chars = std::mem::take(&mut self.line_chars);
        if !self.wanted(n, page) {
            return;
        }
        if self.line_last.take() == Some(b'\r') {
            chars -= 1;
            if line.last() == Some(&b'\r') {
                line.pop();
            }
        }
        let text = String::from_utf8_lossy(&line);
        let numbered = if chars > MAX_LINE_CHARS {
            let cut: String = text.chars().take(MAX_LINE_CHARS).collect();
            format!("{n:>6}\t{cut}… [line cut: {chars} characters; search it with grep_search]\n")
        } else {
            format!("{n:>6}\t{text}\n")
        };
        // Always at least one line, so that paging moves on.
        let len = numbered.chars().count();
        if n > page.start() && self.out_chars + len > page.budget {
            self.cut_at_budget = true;
            return;
        }
        self.out_chars += len;
        self.out.push_str(&numbered);
        self.end = n;
    }

    fn render(self, shown: &str, page: Page) -> String {
        let mut out = String::new();
        if let Some(at) = self.invalid_at {
            out.push_str(&format!(
                "[note: {shown} is not valid UTF-8 (first invalid byte at offset {at}); invalid bytes are shown as U+FFFD. Do not edit it with edit_file.]\n"
            ));
        }
        let (start, end, total) = (page.start(), self.end, self.total);
        if total == 0 {
            out.push_str(&format!("[{shown} is empty]"));
            return out;
        }
        if start > total {
            out.push_str(&format!("[{shown} has {total} lines; offset {start} is past the end]"));
            return out;
        }
        out.push_str(&self.out);
        if self.cut_at_budget {
            out.push_str(&format!(
                "[lines {start}-{end} of {total}: the result stops at {} characters; continue with offset {}]\n",
                page.budget,
                end + 1
            ));
        } else if start > 1 || end < total {
            out.push_str(&format!(
                "[lines {start}-{end} of {total}{}]\n",
                if end < total { format!("; continue with offset {}", end + 1) } else { String::new() }
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(text: &[u8], offset: Option<usize>, limit: Option<usize>, budget: usize) -> String {
        let mut f = tempfile::tempfile().unwrap();
        std::io::Write::write_all(&mut f, text).unwrap();
        std::io::Seek::rewind(&mut f).unwrap();
        let page = Page { offset, limit, budget };
        scan(f, page, &CancellationToken::new()).unwrap().map(|s| s.render("f", page)).unwrap_or_default()
    }

    fn page(text: &str, offset: Option<usize>, limit: Option<usize>) -> String {
        render(text.as_bytes(), offset, limit, 100_000)
    }

    #[test]
    fn numbers_lines_and_pages() {
        let text = "a\nb\r\nc\n";
        assert_eq!(page(text, None, None), "     1\ta\n     2\tb\n     3\tc\n");
        assert_eq!(page("a\nb", None, None), "     1\ta\n     2\tb\n");
        assert_eq!(page(text, Some(2), Some(1)), "     2\tb\n[lines 2-2 of 3; continue with offset 3]\n");
        assert!(page(text, Some(9), None).contains("has 3 lines; offset 9 is past the end"));
        assert!(page("", None, None).contains("empty"));
        let latin1 = render(b"caf\xe9\nok\n", None, None, 100_000);
        assert!(latin1.starts_with("[note: f is not valid UTF-8 (first invalid byte at offset 3)"), "{latin1}");
        assert!(latin1.contains("     1\tcaf\u{fffd}\n     2\tok\n"));
        assert_eq!(render(b"a\0b", None, None, 100_000), "", "binary");
    }

    /// 2,000 lines of 2,000 characters: the result stops within the budget and says where to
    /// go on; paging from there gets the next part.
    #[test]
    fn a_result_stops_at_its_budget() {
        let line = "x".repeat(2000);
        let text: String = (0..2000).map(|_| format!("{line}\n")).collect();
        let out = page(&text, None, None);
        assert!(out.chars().count() <= 100_000 + 200, "{}", out.chars().count());
        assert!(
            out.ends_with("[lines 1-49 of 2000: the result stops at 100000 characters; continue with offset 50]\n")
        );
        let next = page(&text, Some(50), None);
        assert!(next.starts_with("    50\t"));
        // One line longer than the budget is still shown.
        assert!(render(text.as_bytes(), None, None, 10).contains("continue with offset 2"));
    }

    /// A 20 MB line is cut (whole characters) and counted; lines around it are whole.
    #[test]
    fn a_huge_line_is_cut_and_counted() {
        let mut text = "first\n".to_string();
        text.push_str(&"é".repeat(10_000_000));
        text.push_str("\r\nlast");
        let out = page(&text, None, None);
        assert!(out.starts_with("     1\tfirst\n     2\téé"), "{}", &out[..40]);
        assert!(out.contains("é… [line cut: 10000000 characters; search it with grep_search]\n     3\tlast\n"));
        assert!(out.chars().count() < 2200);
    }

    /// Lines split across reads, and characters split across reads, come out whole.
    #[test]
    fn chunk_boundaries_do_not_show() {
        let text: String = (0..40_000).map(|i| format!("{i} ü\n")).collect();
        let out = page(&text, Some(39_999), None);
        assert_eq!(out, " 39999\t39998 ü\n 40000\t39999 ü\n[lines 39999-40000 of 40000]\n");
        assert!(!page(&text, None, Some(30_000)).contains('\u{fffd}'));
    }
}
