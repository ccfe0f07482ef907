//! The diff review's model: files as hunks of rows, which hunks are accepted, and the view.
//!
//! One model serves the review of a proposed edit (hunks can be accepted or rejected), the
//! confirmation of /undo and /rewind (whole files, with conflicts), and the /diff viewer's
//! right-hand side. Rows are computed once when a file is opened; the renderer lays out only
//! the hunks in view.

use std::ops::Range;

use similar::{ChangeTag, DiffOp, TextDiff};

use crate::tools::hunks;

/// What kind of line a row is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowKind {
    Context,
    Removed,
    Added,
}

/// One line of a hunk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub kind: RowKind,
    /// 1-based line numbers in the old and new text.
    pub old_no: Option<usize>,
    pub new_no: Option<usize>,
    /// The line without its ending.
    pub text: String,
    /// Byte ranges of `text` that changed within the line (word-level).
    pub emph: Vec<Range<usize>>,
    /// For side-by-side: the index (in this hunk's rows) of the row paired with this one.
    pub pair: Option<usize>,
}

/// A hunk as rows, with its header and whether only whitespace changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HunkRows {
    pub header: String,
    pub rows: Vec<Row>,
    pub whitespace_only: bool,
    /// First line in the old text (1-based), for messages.
    pub old_start: usize,
}

/// Why a file has no hunks to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Placeholder {
    Binary,
    /// Too large to diff here: the sizes.
    Large {
        old_bytes: Option<usize>,
        new_bytes: Option<usize>,
    },
    /// Still being computed in the background.
    Loading,
    Unchanged,
}

/// A file's change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiffFile {
    pub path: String,
    /// Where it was before a rename.
    pub renamed_from: Option<String>,
    pub created: bool,
    pub deleted: bool,
    pub hunks: Vec<HunkRows>,
    pub placeholder: Option<Placeholder>,
    pub added: usize,
    pub removed: usize,
    /// Someone else changed the file since the agent's last write (restores).
    pub conflict: bool,
    /// The language token for syntax highlighting (the extension).
    pub lang: String,
    /// Highlighted hunks, kept between frames (highlighting is the costly part of drawing).
    pub highlighted: SpanCache,
}

/// Syntax-highlighted lines per (hunk, side), for one syntax theme. Not part of a file's
/// identity: clones start empty and all caches compare equal.
#[derive(Default)]
pub struct SpanCache {
    inner: std::cell::RefCell<CachedSpans>,
}

/// The syntax theme the spans were made with, and the spans per (hunk, new side?).
type CachedSpans = (String, std::collections::HashMap<(usize, bool), SpanLines>);

/// Lines of spans.
pub type SpanLines = Vec<Vec<ratatui::text::Span<'static>>>;

impl SpanCache {
    /// The lines for `key` highlighted with `theme`, computed by `make` the first time.
    pub fn get(&self, theme: &str, key: (usize, bool), make: impl FnOnce() -> SpanLines) -> SpanLines {
        let mut inner = self.inner.borrow_mut();
        if inner.0 != theme {
            inner.0 = theme.to_string();
            inner.1.clear();
        }
        inner.1.entry(key).or_insert_with(make).clone()
    }
}

impl Clone for SpanCache {
    fn clone(&self) -> Self {
        SpanCache::default()
    }
}

impl PartialEq for SpanCache {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for SpanCache {}

impl std::fmt::Debug for SpanCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SpanCache")
    }
}

/// One hunk of a diff as rows: context, then each change's removed lines and added lines,
/// removed and added paired for word-level highlights and side-by-side rows.
fn hunk_rows<'a>(diff: &TextDiff<'a, 'a, 'a, str>, group: &[DiffOp]) -> HunkRows {
    let old_lines = diff.old_slices();
    let new_lines = diff.new_slices();
    let mut rows = Vec::new();
    for op in group {
        let (old_r, new_r) = (op.old_range(), op.new_range());
        match op {
            DiffOp::Equal { .. } => {
                for (k, line) in old_lines[old_r.clone()].iter().enumerate() {
                    rows.push(row(RowKind::Context, Some(old_r.start + k), Some(new_r.start + k), line));
                }
            }
            _ => {
                let first = rows.len();
                for (k, line) in old_lines[old_r.clone()].iter().enumerate() {
                    rows.push(row(RowKind::Removed, Some(old_r.start + k), None, line));
                }
                let added_at = rows.len();
                for (k, line) in new_lines[new_r.clone()].iter().enumerate() {
                    rows.push(row(RowKind::Added, None, Some(new_r.start + k), line));
                }
                pair(&mut rows, first, old_r.len(), added_at, new_r.len());
            }
        }
    }
    let (first, last) = (group.first().expect("non-empty"), group.last().expect("non-empty"));
    let old_start = first.old_range().start;
    let new_start = first.new_range().start;
    let old_len = last.old_range().end - old_start;
    let new_len = last.new_range().end - new_start;
    let squash = |k: RowKind| -> String {
        rows.iter().filter(|r| r.kind == k).flat_map(|r| r.text.chars()).filter(|c| !c.is_whitespace()).collect()
    };
    let whitespace_only = squash(RowKind::Removed) == squash(RowKind::Added);
    HunkRows {
        header: format!("@@ -{},{old_len} +{},{new_len} @@", old_start + 1, new_start + 1),
        rows,
        whitespace_only,
        old_start: old_start + 1,
    }
}

/// Similarity below which paired lines are shown as wholly changed, not word by word.
const WORD_DIFF_MIN_RATIO: f32 = 0.4;

impl DiffFile {
    /// The change from `old` to `new` (`None`: the file does not exist on that side).
    pub fn new(path: &str, old: Option<&str>, new: Option<&str>) -> DiffFile {
        // The extension names the language; without one, the name may (Makefile, Dockerfile).
        let p = std::path::Path::new(path);
        let lang = p.extension().or(p.file_name()).and_then(|e| e.to_str()).unwrap_or("").to_string();
        let mut file = DiffFile {
            path: path.to_string(),
            renamed_from: None,
            created: old.is_none() && new.is_some(),
            deleted: new.is_none() && old.is_some(),
            hunks: Vec::new(),
            placeholder: None,
            added: 0,
            removed: 0,
            conflict: false,
            lang,
            highlighted: SpanCache::default(),
        };
        let (o, n) = (old.unwrap_or(""), new.unwrap_or(""));
        let binary = |s: &str| crate::tools::text::looks_binary(s.as_bytes());
        if binary(o) || binary(n) {
            file.placeholder = Some(Placeholder::Binary);
            return file;
        }
        let fits = |s: &str| {
            s.len() <= crate::tools::change::MAX_REVIEW_BYTES
                && s.lines().count() <= crate::tools::change::MAX_REVIEW_LINES
        };
        if !fits(o) || !fits(n) {
            file.placeholder = Some(Placeholder::Large { old_bytes: old.map(str::len), new_bytes: new.map(str::len) });
            return file;
        }
        let diff = TextDiff::from_lines(o, n);
        for group in hunks::groups(&diff) {
            let hunk = hunk_rows(&diff, &group);
            file.removed += hunk.rows.iter().filter(|r| r.kind == RowKind::Removed).count();
            file.added += hunk.rows.iter().filter(|r| r.kind == RowKind::Added).count();
            file.hunks.push(hunk);
        }
        if file.hunks.is_empty() && !file.created && !file.deleted {
            file.placeholder = Some(Placeholder::Unchanged);
        }
        file
    }

    /// A unified diff as text (what tool cells and session files keep), read back into hunks of
    /// rows: the path from its `+++` header, removed and added runs paired for word marks.
    /// Lines that are not part of a hunk are skipped.
    pub fn from_unified(diff: &str) -> DiffFile {
        let path = diff
            .lines()
            .find_map(|l| l.strip_prefix("+++ "))
            .map(|p| p.trim().strip_prefix("b/").unwrap_or(p.trim()).to_string())
            .unwrap_or_default();
        let mut file = DiffFile::new(&path, Some(""), Some(""));
        file.placeholder = None;
        let (mut old_n, mut new_n) = (0usize, 0usize);
        let mut current: Option<HunkRows> = None;
        let finish = |h: Option<HunkRows>, file: &mut DiffFile| {
            if let Some(mut h) = h {
                pair_runs(&mut h.rows);
                let squash = |k: RowKind| -> String {
                    h.rows
                        .iter()
                        .filter(|r| r.kind == k)
                        .flat_map(|r| r.text.chars())
                        .filter(|c| !c.is_whitespace())
                        .collect()
                };
                h.whitespace_only = squash(RowKind::Removed) == squash(RowKind::Added);
                file.hunks.push(h);
            }
        };
        for line in diff.lines() {
            if line.starts_with("---") || line.starts_with("+++") {
                continue;
            }
            if let Some(rest) = line.strip_prefix("@@") {
                finish(current.take(), &mut file);
                let mut parts = rest.split_whitespace();
                let start = |p: Option<&str>, sign: char| -> usize {
                    p.and_then(|p| p.trim_start_matches(sign).split(',').next()?.parse().ok()).unwrap_or(1)
                };
                old_n = start(parts.next(), '-');
                new_n = start(parts.next(), '+');
                current = Some(HunkRows {
                    header: line.trim_end().to_string(),
                    rows: Vec::new(),
                    whitespace_only: false,
                    old_start: old_n,
                });
                continue;
            }
            let Some(h) = current.as_mut() else { continue };
            let (kind, text) = match line.chars().next() {
                Some('+') => (RowKind::Added, &line[1..]),
                Some('-') => (RowKind::Removed, &line[1..]),
                Some(' ') => (RowKind::Context, &line[1..]),
                Some('\\') => continue,
                None => (RowKind::Context, ""),
                Some(_) => continue,
            };
            let (o, n) = match kind {
                RowKind::Context => (Some(old_n), Some(new_n)),
                RowKind::Removed => (Some(old_n), None),
                RowKind::Added => (None, Some(new_n)),
            };
            // `row` takes 0-based numbers.
            h.rows.push(row(kind, o.map(|x| x - 1), n.map(|x| x - 1), text));
            match kind {
                RowKind::Context => {
                    old_n += 1;
                    new_n += 1;
                }
                RowKind::Removed => {
                    old_n += 1;
                    file.removed += 1;
                }
                RowKind::Added => {
                    new_n += 1;
                    file.added += 1;
                }
            }
        }
        finish(current.take(), &mut file);
        file
    }

    /// A file whose diff is not there yet, or cannot be shown.
    pub fn placeholder(path: &str, placeholder: Placeholder) -> DiffFile {
        let mut f = DiffFile::new(path, Some(""), Some(""));
        f.placeholder = Some(placeholder);
        f
    }
}

/// Pairs each run of removed rows with the added rows that follow it, in order, and marks the
/// words that changed between each pair.
fn pair_runs(rows: &mut [Row]) {
    let mut i = 0;
    while i < rows.len() {
        if rows[i].kind != RowKind::Removed {
            i += 1;
            continue;
        }
        let removed_start = i;
        while i < rows.len() && rows[i].kind == RowKind::Removed {
            i += 1;
        }
        let added_start = i;
        while i < rows.len() && rows[i].kind == RowKind::Added {
            i += 1;
        }
        pair(rows, removed_start, added_start - removed_start, added_start, i - added_start);
    }
}

/// Pairs the `n_removed` rows from `removed` with the `n_added` rows from `added`, in order:
/// each removed line with the most similar added line after the last one paired, so an
/// inserted line does not shift every pair after it. Paired lines get their word marks.
/// Large blocks (where comparing every pair would cost too much) pair by position.
fn pair(rows: &mut [Row], removed: usize, n_removed: usize, added: usize, n_added: usize) {
    let link = |rows: &mut [Row], a: usize, b: usize| {
        rows[a].pair = Some(b);
        rows[b].pair = Some(a);
        let (ea, eb) = word_changes(&rows[a].text, &rows[b].text);
        rows[a].emph = ea;
        rows[b].emph = eb;
    };
    if n_removed * n_added > 400 {
        for k in 0..n_removed.min(n_added) {
            link(rows, removed + k, added + k);
        }
        return;
    }
    let mut next = 0;
    for i in 0..n_removed {
        let best = (next..n_added)
            .map(|j| {
                let (a, b) = (&rows[removed + i].text, &rows[added + j].text);
                (j, TextDiff::configure().diff_slices(&tokens(a), &tokens(b)).ratio())
            })
            .filter(|(_, r)| *r >= WORD_DIFF_MIN_RATIO)
            .max_by(|x, y| x.1.partial_cmp(&y.1).unwrap_or(std::cmp::Ordering::Equal).then(y.0.cmp(&x.0)));
        if let Some((j, _)) = best {
            link(rows, removed + i, added + j);
            next = j + 1;
        }
    }
}

fn row(kind: RowKind, old: Option<usize>, new: Option<usize>, line: &str) -> Row {
    Row {
        kind,
        old_no: old.map(|n| n + 1),
        new_no: new.map(|n| n + 1),
        // Escape sequences in a file are shown, never obeyed; tabs become spaces so widths add up.
        text: crate::ui::wrap::expand_tabs(&crate::sanitize::visible(line.trim_end_matches(['\n', '\r']))).into_owned(),
        emph: Vec::new(),
        pair: None,
    }
}

/// The byte ranges that differ between two similar lines, token by token (words, runs of
/// spaces, single punctuation marks: `s.parse()` → `s.trim().parse()` marks just `trim().`).
/// Lines that share little get no ranges: the whole line is the change.
fn word_changes(old: &str, new: &str) -> (Vec<Range<usize>>, Vec<Range<usize>>) {
    if old.len() > 2000 || new.len() > 2000 {
        return (Vec::new(), Vec::new());
    }
    let (ot, nt) = (tokens(old), tokens(new));
    let diff = TextDiff::configure().diff_slices(&ot, &nt);
    if diff.ratio() < WORD_DIFF_MIN_RATIO {
        return (Vec::new(), Vec::new());
    }
    let (mut a, mut b) = (Vec::new(), Vec::new());
    let (mut oi, mut ni) = (0usize, 0usize);
    for change in diff.iter_all_changes() {
        let len = change.value().len();
        match change.tag() {
            ChangeTag::Equal => {
                oi += len;
                ni += len;
            }
            ChangeTag::Delete => {
                push_range(&mut a, oi..oi + len);
                oi += len;
            }
            ChangeTag::Insert => {
                push_range(&mut b, ni..ni + len);
                ni += len;
            }
        }
    }
    (a, b)
}

/// Splits a line into words (letters, digits, `_`), runs of whitespace, and single other
/// characters.
fn tokens(line: &str) -> Vec<&str> {
    let class = |c: char| {
        if c.is_alphanumeric() || c == '_' {
            0
        } else if c.is_whitespace() {
            1
        } else {
            2
        }
    };
    let mut out = Vec::new();
    let mut start = 0;
    let mut prev: Option<u8> = None;
    for (i, c) in line.char_indices() {
        let k = class(c);
        if i > start && (prev != Some(k) || k == 2) {
            out.push(&line[start..i]);
            start = i;
        }
        prev = Some(k);
    }
    if start < line.len() {
        out.push(&line[start..]);
    }
    out
}

/// Adds a range, joining it to the last when they touch.
fn push_range(v: &mut Vec<Range<usize>>, r: Range<usize>) {
    match v.last_mut() {
        Some(last) if last.end == r.start => last.end = r.end,
        _ => v.push(r),
    }
}

/// How diffs are drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DiffView {
    pub side_by_side: bool,
    /// Long lines wrap (true) or scroll horizontally (false).
    pub wrap: bool,
    pub hide_whitespace: bool,
    /// Columns scrolled to the right when not wrapping.
    pub hscroll: usize,
}

impl DiffView {
    pub fn new() -> Self {
        DiffView { side_by_side: false, wrap: true, hide_whitespace: false, hscroll: 0 }
    }
}

/// Below this width side-by-side falls back to unified.
pub const SIDE_BY_SIDE_MIN_WIDTH: u16 = 100;

/// What a review is for.
#[derive(Debug, Clone, PartialEq)]
pub enum ReviewKind {
    /// A proposed edit waiting for approval.
    Edit(super::state::ApprovalRequest),
    /// /undo or /rewind: what the files go back to. `armed` is set after a first confirm
    /// when some files were changed by someone else (the next confirm overwrites them).
    Restore { turn: u64, prompt: String, files: bool, conversation: bool, armed: bool },
}

/// The diff review modal.
pub struct Review {
    pub kind: ReviewKind,
    pub files: Vec<DiffFile>,
    pub file: usize,
    /// The current hunk of the current file.
    pub hunk: usize,
    /// Accepted hunks, per file.
    pub accepted: Vec<Vec<bool>>,
    /// Rows scrolled past at the top (in laid-out lines).
    pub scroll: usize,
    pub view: DiffView,
    /// Set while typing a note for the model.
    pub note: Option<ratatui_textarea::TextArea<'static>>,
    /// The note written, sent with the answer.
    pub note_text: Option<String>,
}

impl Review {
    pub fn new(kind: ReviewKind, files: Vec<DiffFile>, view: DiffView) -> Review {
        let accepted = files.iter().map(|f| vec![true; f.hunks.len()]).collect();
        Review { kind, files, file: 0, hunk: 0, accepted, scroll: 0, view, note: None, note_text: None }
    }

    pub fn current(&self) -> Option<&DiffFile> {
        self.files.get(self.file)
    }

    /// Whether hunks can be accepted one by one (edits, not restores).
    pub fn per_hunk(&self) -> bool {
        matches!(self.kind, ReviewKind::Edit(_))
    }

    /// Hunks shown (whitespace-only ones are hidden when asked).
    pub fn visible_hunks(&self) -> Vec<usize> {
        let Some(f) = self.current() else { return Vec::new() };
        (0..f.hunks.len()).filter(|&i| !(self.view.hide_whitespace && f.hunks[i].whitespace_only)).collect()
    }

    /// Indexes of the accepted hunks of file `file`.
    pub fn accepted_of(&self, file: usize) -> Vec<usize> {
        self.accepted.get(file).map(|a| (0..a.len()).filter(|&i| a[i]).collect()).unwrap_or_default()
    }

    pub fn conflicts(&self) -> usize {
        self.files.iter().filter(|f| f.conflict).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_changes_mark_only_what_changed() {
        let (a, b) = word_changes("    s.parse().ok()", "    s.trim().parse().ok()");
        assert!(a.is_empty(), "{a:?}");
        assert_eq!(b.len(), 1);
        assert_eq!(b[0], 6..13, "`trim().`");
        assert_eq!(&"    s.trim().parse().ok()"[6..13], "trim().");
        let (a, b) = word_changes("let total = items.len();", "let count = items.len();");
        assert_eq!((a.len(), b.len()), (1, 1));
        assert_eq!((a[0].clone(), b[0].clone()), (4..9, 4..9));
        // Lines with little in common are wholly changed: no word marks.
        assert_eq!(word_changes("fn main() {}", "// a comment here"), (vec![], vec![]));
    }

    /// A line inserted before a changed line does not pair with it: the changed line pairs
    /// with its new version.
    #[test]
    fn removed_lines_pair_with_their_closest_new_version() {
        let f = DiffFile::new(
            "a.rs",
            Some("fn parse(s: &str) {\n    s.parse().ok()\n}\n"),
            Some("fn parse(s: &str) {\n    if s.is_empty() { return None; }\n    s.trim().parse().ok()\n}\n"),
        );
        let rows = &f.hunks[0].rows;
        let removed = rows.iter().position(|r| r.kind == RowKind::Removed).unwrap();
        let partner = rows[removed].pair.expect("paired");
        assert_eq!(rows[partner].text, "    s.trim().parse().ok()");
    }
}
