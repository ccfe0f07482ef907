//! Text helpers shared by tools: cutting long output for the model, diffs, binary detection.

use similar::TextDiff;

/// Most characters of tool output sent to the model. About 8k tokens: enough for a build log's
/// useful part, small enough that one noisy command does not eat the context window.
pub const MAX_OUTPUT_CHARS: usize = 30_000;

/// Most characters of one `read_file` or `grep_search` result, for a model with a large
/// context window. About 25k tokens: an eighth of a 200k window.
pub const MAX_RESULT_CHARS: usize = 100_000;

/// The most characters one read or search result may have for a model with a context window
/// of `window` tokens: an eighth of the window (at about four characters a token), at most
/// [`MAX_RESULT_CHARS`] and at least 8,000, so a small local model's window is not filled by
/// one read.
pub fn result_budget(window: u64) -> usize {
    ((window as usize).saturating_mul(4) / 8).clamp(8_000, MAX_RESULT_CHARS)
}

/// `text` in a `<tag attrs>` element for the model, cut to `max` characters (the element then
/// says how long the whole was): files and resources attached to a prompt.
pub fn attached(tag: &str, attrs: &str, text: &str, max: usize) -> String {
    let total = text.chars().count();
    if total > max {
        let kept: String = text.chars().take(max).collect();
        format!("<{tag} {attrs} truncated_to_chars=\"{max}\" chars=\"{total}\">\n{kept}\n</{tag}>")
    } else {
        format!("<{tag} {attrs}>\n{text}\n</{tag}>")
    }
}

/// Cuts `text` to at most `max` characters, keeping the head (a third) and the tail (two
/// thirds: errors usually come last), with a note in the middle saying how much was cut.
pub fn truncate_middle(text: &str, max: usize) -> String {
    let total = text.chars().count();
    if total <= max {
        return text.to_string();
    }
    let head_n = max / 3;
    let tail_n = max - head_n;
    let head: String = text.chars().take(head_n).collect();
    let tail: String = text.chars().skip(total - tail_n).collect();
    let cut = &text[head.len()..text.len() - tail.len()];
    let cut_lines = cut.matches('\n').count();
    format!(
        "{head}\n\n[... {} characters ({cut_lines} lines) cut from the middle; {total} characters in all ...]\n\n{tail}",
        total - head_n - tail_n
    )
}

/// Whether bytes look binary: a NUL in the first 8 KiB, as git and ripgrep decide.
pub fn looks_binary(bytes: &[u8]) -> bool {
    bytes.iter().take(8192).any(|&b| b == 0)
}

/// A unified diff of `old` → `new` with three lines of context, headed with `path`.
pub fn unified_diff(path: &str, old: &str, new: &str) -> String {
    TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{path}"), &format!("b/{path}"))
        .to_string()
}

/// Lines added and removed between `old` and `new`.
pub fn line_counts(old: &str, new: &str) -> (usize, usize) {
    let diff = TextDiff::from_lines(old, new);
    let mut added = 0;
    let mut removed = 0;
    for change in diff.iter_all_changes() {
        match change.tag() {
            similar::ChangeTag::Insert => added += 1,
            similar::ChangeTag::Delete => removed += 1,
            similar::ChangeTag::Equal => {}
        }
    }
    (added, removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncation_keeps_head_and_tail_and_says_so() {
        let text: String = (0..10_000).map(|i| format!("line {i}\n")).collect();
        let out = truncate_middle(&text, 3000);
        assert!(out.starts_with("line 0\n"));
        assert!(out.trim_end().ends_with("line 9999"));
        assert!(out.contains("cut from the middle"));
        assert!(out.chars().count() < 3200);
        assert_eq!(truncate_middle("short", 10), "short");
    }

    #[test]
    fn truncation_respects_char_boundaries() {
        let text = "é".repeat(100);
        let out = truncate_middle(&text, 10);
        assert!(out.starts_with("ééé"));
    }

    #[test]
    fn the_result_budget_is_a_fraction_of_the_window() {
        assert_eq!(result_budget(200_000), 100_000);
        assert_eq!(result_budget(1_000_000), 100_000);
        assert_eq!(result_budget(32_000), 16_000);
        assert_eq!(result_budget(0), 8_000);
    }

    #[test]
    fn diff_and_counts() {
        let d = unified_diff("a.txt", "one\ntwo\n", "one\n2\n");
        assert!(d.contains("-two"));
        assert!(d.contains("+2"));
        assert_eq!(line_counts("one\ntwo\n", "one\n2\nthree\n"), (2, 1));
    }
}
