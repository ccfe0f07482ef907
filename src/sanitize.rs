//! Making untrusted text safe to print to a terminal.
//!
//! Model answers and tool output may hold escape sequences (CSI, OSC, DCS, a bare ESC, C1
//! controls). Sent to a terminal they could move the cursor, change the title, write to the
//! clipboard. [`visible`] turns every control character except newline and tab into a visible
//! form (`ESC` becomes `␛`, other C0 controls their Unicode control pictures, C1 controls
//! `\u{..}`), so the text reads the same and the terminal only ever sees printable characters.
//!
//! [`redact_url_credentials`] hides the `user:password@` part of URLs, so a base URL with
//! credentials in it never reaches a message, a log or a session file.

/// `text` with control characters made visible; newlines and tabs are kept.
pub fn visible(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if needs_escape(c) {
            match c as u32 {
                // C0 controls and DEL have "control pictures" (U+2400..U+2421).
                0x00..=0x1f => out.push(char::from_u32(0x2400 + c as u32).unwrap_or('?')),
                0x7f => out.push('\u{2421}'),
                _ => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            }
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Like [`visible`], but takes the string and gives it back unchanged (no copy) when there is
/// nothing to escape.
pub fn visible_owned(text: String) -> String {
    match visible(&text) {
        std::borrow::Cow::Borrowed(_) => text,
        std::borrow::Cow::Owned(escaped) => escaped,
    }
}

fn needs_escape(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t') || c == '\u{7f}'
}

/// `text` with the credentials of every URL in it (`scheme://user:password@host`) replaced by
/// `[REDACTED]@`. Text without `://` comes back borrowed.
pub fn redact_url_credentials(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains("://") {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut changed = false;
    while let Some(at) = rest.find("://") {
        let (before, after) = rest.split_at(at + 3);
        out.push_str(before);
        // The authority ends at the first `/`, `?`, `#`, whitespace or quote.
        let end = after.find(|c: char| matches!(c, '/' | '?' | '#' | '"' | '\'' | '<' | '>') || c.is_whitespace());
        let authority = &after[..end.unwrap_or(after.len())];
        match authority.rfind('@') {
            Some(userinfo) => {
                out.push_str("[REDACTED]");
                out.push_str(&authority[userinfo..]);
                changed = true;
            }
            None => out.push_str(authority),
        }
        rest = &after[authority.len()..];
    }
    out.push_str(rest);
    if changed { std::borrow::Cow::Owned(out) } else { std::borrow::Cow::Borrowed(text) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_are_made_visible() {
        assert_eq!(visible("plain\ttext\n"), "plain\ttext\n");
        assert_eq!(visible("\x1b[31mred\x1b[0m"), "␛[31mred␛[0m");
        assert_eq!(visible("\x1b]52;c;aGk=\x07"), "␛]52;c;aGk=␇");
        assert_eq!(visible("a\u{9b}b"), "a\\u{9b}b");
        assert_eq!(visible("cr\rx"), "cr␍x");
    }

    #[test]
    fn url_credentials_are_redacted() {
        assert_eq!(
            redact_url_credentials("error sending request for url (https://me:hunter2@proxy.example/v1/messages)"),
            "error sending request for url (https://[REDACTED]@proxy.example/v1/messages)"
        );
        assert_eq!(redact_url_credentials("http://tok@h:8080 and ftp://h/x"), "http://[REDACTED]@h:8080 and ftp://h/x");
        assert!(matches!(redact_url_credentials("https://example.com/a@b"), std::borrow::Cow::Borrowed(_)));
        assert_eq!(redact_url_credentials("no url here"), "no url here");
    }
}
