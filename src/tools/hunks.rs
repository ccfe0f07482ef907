//! Edits as hunks, and applying any subset of them.
//!
//! A proposed change (the file's text before and after) is split into hunks: runs of changed
//! lines with up to three lines of context, as a unified diff shows them. [`apply`] writes the
//! file with only the accepted hunks: every rejected hunk keeps the original lines. Lines are
//! compared and copied with their own line endings, so CRLF files stay CRLF and a missing final
//! newline stays missing.
//!
//! This is the model the per-hunk review builds on; it knows nothing about terminals.

use similar::{DiffOp, TextDiff};

/// Lines of context around a change that make it part of the same hunk.
pub const CONTEXT: usize = 3;

/// One hunk: where it sits and what it changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hunk {
    /// First line of the hunk in the old text (0-based) and how many old lines it spans.
    pub old_start: usize,
    pub old_len: usize,
    /// The same in the new text.
    pub new_start: usize,
    pub new_len: usize,
    /// First changed line in the old text (0-based): where the change is, past the context.
    pub change_start: usize,
    /// Old lines removed and new lines added (with their line endings), for display.
    pub removed: Vec<String>,
    pub added: Vec<String>,
}

/// The operations of each hunk of `diff`, in order: what [`hunks`] describes and [`apply`]
/// indexes. Renderers walk these to show context, removed and added lines in place.
pub fn groups<'a>(diff: &TextDiff<'a, 'a, 'a, str>) -> Vec<Vec<DiffOp>> {
    diff.grouped_ops(CONTEXT)
        .into_iter()
        .filter(|group| group.iter().any(|op| !matches!(op, DiffOp::Equal { .. })))
        .collect()
}

/// The hunks of the change from `old` to `new`, in order.
pub fn hunks(old: &str, new: &str) -> Vec<Hunk> {
    let diff = TextDiff::from_lines(old, new);
    let old_lines: Vec<&str> = diff.old_slices().to_vec();
    let new_lines: Vec<&str> = diff.new_slices().to_vec();
    groups(&diff)
        .into_iter()
        .map(|group| {
            let first = group.first().expect("a group has ops");
            let last = group.last().expect("a group has ops");
            let old_start = first.old_range().start;
            let new_start = first.new_range().start;
            let change_start = group
                .iter()
                .find(|op| !matches!(op, DiffOp::Equal { .. }))
                .map_or(old_start, |op| op.old_range().start);
            let mut removed = Vec::new();
            let mut added = Vec::new();
            for op in &group {
                if !matches!(op, DiffOp::Equal { .. }) {
                    removed.extend(old_lines[op.old_range()].iter().map(|s| s.to_string()));
                    added.extend(new_lines[op.new_range()].iter().map(|s| s.to_string()));
                }
            }
            Hunk {
                old_start,
                old_len: last.old_range().end - old_start,
                new_start,
                new_len: last.new_range().end - new_start,
                change_start,
                removed,
                added,
            }
        })
        .collect()
}

/// The text with only the hunks whose indexes are in `accepted` applied (indexes into
/// [`hunks`]`(old, new)`); the rest of the file is the old text, byte for byte.
pub fn apply(old: &str, new: &str, accepted: &[usize]) -> String {
    let diff = TextDiff::from_lines(old, new);
    let old_lines = diff.old_slices();
    let new_lines = diff.new_slices();
    let groups = groups(&diff);
    // Which changed ops belong to an accepted hunk, by their old start (unique per op kind).
    let mut take_new: Vec<(usize, usize)> = Vec::new();
    for (i, group) in groups.iter().enumerate() {
        if accepted.contains(&i) {
            for op in group {
                if !matches!(op, DiffOp::Equal { .. }) {
                    take_new.push((op.old_range().start, op.new_range().start));
                }
            }
        }
    }
    let mut out = String::with_capacity(old.len().max(new.len()));
    for op in diff.ops() {
        let changed = !matches!(op, DiffOp::Equal { .. });
        let accepted = changed && take_new.contains(&(op.old_range().start, op.new_range().start));
        if accepted {
            for l in &new_lines[op.new_range()] {
                out.push_str(l);
            }
        } else {
            for l in &old_lines[op.old_range()] {
                out.push_str(l);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crlf_and_missing_final_newline_round_trip() {
        let old = "a\r\nb\r\nc\r\nd\r\ne\r\nf\r\ng\r\nh\r\ni\r\nj";
        let new = "a\r\nB\r\nc\r\nd\r\ne\r\nf\r\ng\r\nh\r\ni\r\nJ";
        let h = hunks(old, new);
        assert_eq!(h.len(), 2);
        assert_eq!(apply(old, new, &[0, 1]), new);
        assert_eq!(apply(old, new, &[]), old);
        assert_eq!(apply(old, new, &[0]), "a\r\nB\r\nc\r\nd\r\ne\r\nf\r\ng\r\nh\r\ni\r\nj");
        assert_eq!(apply(old, new, &[1]), "a\r\nb\r\nc\r\nd\r\ne\r\nf\r\ng\r\nh\r\ni\r\nJ");
        assert_eq!(h[1].added, ["J"], "the last line keeps having no newline");
    }

    /// Property: on many generated edits, all hunks give the new text, none the old, and any
    /// subset gives a text whose own hunks against the old are exactly the accepted ones.
    #[test]
    fn any_subset_applies_exactly_the_accepted_changes() {
        let mut rng = fastrand::Rng::with_seed(0xC1A5);
        for case in 0..600 {
            let n = rng.usize(0..40);
            let ending = if rng.bool() { "\n" } else { "\r\n" };
            let words = ["alpha", "beta", "gamma", "delta", "", "  indent", "x"];
            let old_lines: Vec<String> = (0..n).map(|_| words[rng.usize(0..words.len())].to_string()).collect();
            let mut new_lines = old_lines.clone();
            for _ in 0..rng.usize(0..6) {
                match rng.usize(0..3) {
                    0 if !new_lines.is_empty() => {
                        let i = rng.usize(0..new_lines.len());
                        new_lines.remove(i);
                    }
                    1 => {
                        let i = rng.usize(0..=new_lines.len());
                        new_lines.insert(i, format!("new{}", rng.u16(..)));
                    }
                    _ if !new_lines.is_empty() => {
                        let i = rng.usize(0..new_lines.len());
                        new_lines[i] = format!("changed{}", rng.u16(..));
                    }
                    _ => {}
                }
            }
            let join = |lines: &[String], final_newline: bool| {
                let mut s = lines.join(ending);
                if final_newline && !lines.is_empty() {
                    s.push_str(ending);
                }
                s
            };
            let final_newline = rng.bool();
            let old = join(&old_lines, final_newline);
            let new = join(&new_lines, if rng.usize(0..5) == 0 { !final_newline } else { final_newline });
            let all = hunks(&old, &new);
            let every: Vec<usize> = (0..all.len()).collect();
            assert_eq!(apply(&old, &new, &every), new, "case {case}: all hunks");
            assert_eq!(apply(&old, &new, &[]), old, "case {case}: no hunk");
            let subset: Vec<usize> = every.iter().copied().filter(|_| rng.bool()).collect();
            let result = apply(&old, &new, &subset);
            // The accepted changes, and only those: what was removed and added matches.
            let got = hunks(&old, &result);
            let want_removed: Vec<String> = subset.iter().flat_map(|&i| all[i].removed.clone()).collect();
            let want_added: Vec<String> = subset.iter().flat_map(|&i| all[i].added.clone()).collect();
            let got_removed: Vec<String> = got.iter().flat_map(|h| h.removed.clone()).collect();
            let got_added: Vec<String> = got.iter().flat_map(|h| h.added.clone()).collect();
            assert_eq!(
                (normalize(&got_removed), normalize(&got_added)),
                (normalize(&want_removed), normalize(&want_added)),
                "case {case}: subset {subset:?}\nold {old:?}\nnew {new:?}\nresult {result:?}"
            );
        }
    }

    /// Multisets of lines: a diff may pair equal lines differently, so compare contents.
    fn normalize(lines: &[String]) -> Vec<String> {
        let mut v = lines.to_vec();
        v.sort();
        v
    }
}
