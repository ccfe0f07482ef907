//! Unified diffs as text (from tool cells and session files) drawn like the review draws
//! them: line numbers, syntax highlighting, word-level marks.

use ratatui::style::Style;
use ratatui::text::{Line, Span};

use super::hunks::plain_lines;
use super::theme::Theme;
use crate::app::review::DiffFile;

/// Renders a unified diff (the `---`/`+++` header names the file, for highlighting). At most
/// `max_lines` lines are shown when set, then a line saying how many more there are.
pub fn diff_lines(
    diff: &str,
    theme: &Theme,
    width: usize,
    indent: &str,
    max_lines: Option<usize>,
) -> Vec<Line<'static>> {
    let file = DiffFile::from_unified(diff);
    let lead = super::wrap::width(indent);
    let mut lines = plain_lines(&file, theme, width.saturating_sub(lead).max(20));
    if let Some(max) = max_lines
        && lines.len() > max
    {
        let more = lines.len() - max;
        lines.truncate(max);
        lines.push(Line::from(Span::styled(format!("… {more} more diff lines"), Style::default().fg(theme.ui.muted))));
    }
    if lead > 0 {
        for l in &mut lines {
            l.spans.insert(0, Span::raw(indent.to_string()));
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::wrap::line_text;

    #[test]
    fn a_text_diff_reads_back_with_numbers_and_word_marks() {
        let diff = "--- a/src/lib.rs\n+++ b/src/lib.rs\n@@ -1,3 +1,3 @@\n fn parse(s: &str) {\n-    s.parse()\n+    s.trim().parse()\n }\n";
        let file = DiffFile::from_unified(diff);
        assert_eq!(file.path, "src/lib.rs");
        assert_eq!(file.lang, "rs");
        assert_eq!((file.added, file.removed), (1, 1));
        let rows = &file.hunks[0].rows;
        assert_eq!((rows[1].old_no, rows[1].new_no), (Some(2), None));
        assert_eq!((rows[2].old_no, rows[2].new_no), (None, Some(2)));
        assert_eq!(rows[2].emph.len(), 1, "the pair got word marks");
        let theme = Theme::dark();
        let lines = diff_lines(diff, &theme, 60, "  ", Some(3));
        let text: Vec<String> = lines.iter().map(line_text).collect();
        assert!(text[1].contains("    1     1   fn parse(s: &str) {"), "{text:?}");
        assert_eq!(text.last().unwrap().trim(), "… 2 more diff lines");
    }
}
