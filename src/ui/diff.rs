//! Unified diffs as coloured lines with old and new line numbers.

use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};

use super::theme::Theme;
use super::wrap::wrap_hard;

/// Renders a unified diff (the `---`/`+++` header is dropped). At most `max_lines` lines are
/// shown when set, then a line saying how many more there are.
pub fn diff_lines(
    diff: &str,
    theme: &Theme,
    width: usize,
    indent: &str,
    max_lines: Option<usize>,
) -> Vec<Line<'static>> {
    let d = &theme.diff;
    let mut out: Vec<Line<'static>> = Vec::new();
    let (mut old_n, mut new_n) = (0usize, 0usize);
    let total = diff.lines().filter(|l| !l.starts_with("---") && !l.starts_with("+++")).count();
    for (shown, line) in diff.lines().filter(|l| !l.starts_with("---") && !l.starts_with("+++")).enumerate() {
        if let Some(max) = max_lines
            && shown >= max
        {
            out.push(Line::from(Span::styled(
                format!("{indent}… {} more diff lines", total - max),
                Style::default().fg(theme.ui.muted),
            )));
            break;
        }
        if let Some(h) = line.strip_prefix("@@") {
            // @@ -a,b +c,d @@
            let mut parts = h.split_whitespace();
            old_n = parts.next().and_then(|p| p.trim_start_matches('-').split(',').next()?.parse().ok()).unwrap_or(1);
            new_n = parts.next().and_then(|p| p.trim_start_matches('+').split(',').next()?.parse().ok()).unwrap_or(1);
            out.push(Line::from(Span::styled(format!("{indent}{line}"), Style::default().fg(d.hunk))));
            continue;
        }
        let (old_col, new_col, style, num_style) = match line.chars().next() {
            Some('+') => {
                new_n += 1;
                (
                    String::new(),
                    (new_n - 1).to_string(),
                    Style::default().fg(d.added).bg(d.added_bg),
                    Style::default().fg(d.added),
                )
            }
            Some('-') => {
                old_n += 1;
                (
                    (old_n - 1).to_string(),
                    String::new(),
                    Style::default().fg(d.removed).bg(d.removed_bg),
                    Style::default().fg(d.removed),
                )
            }
            Some('\\') => (
                String::new(),
                String::new(),
                Style::default().fg(d.context).add_modifier(Modifier::ITALIC),
                Style::default(),
            ),
            _ => {
                old_n += 1;
                new_n += 1;
                (
                    (old_n - 1).to_string(),
                    (new_n - 1).to_string(),
                    Style::default().fg(d.context),
                    Style::default().fg(d.line_number),
                )
            }
        };
        let prefix =
            vec![Span::raw(indent.to_string()), Span::styled(format!("{old_col:>4} {new_col:>4} "), num_style)];
        let cont = vec![Span::raw(indent.to_string()), Span::raw(" ".repeat(10))];
        out.extend(wrap_hard(&[Span::styled(line.to_string(), style)], width, &prefix, &cont));
    }
    out
}
