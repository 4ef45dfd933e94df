//! Text from a bundle made safe for a terminal: a record field or a file name with an escape
//! sequence (`ESC ] … BEL` can retitle a terminal, move the cursor, hide lines) or a bidi
//! override is shown escaped. Newlines are kept where text may span lines.

/// `text` with control and bidi-control characters written as `\u{…}` (newlines kept when
/// `keep_newlines`).
pub(crate) fn printable(text: &str, keep_newlines: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        let bidi = matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
        if (c.is_control() && !(keep_newlines && c == '\n')) || bidi {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::printable;

    #[test]
    fn escapes_controls_and_bidi_only() {
        assert_eq!(printable("a\u{1b}]0;x\u{7}b", true), "a\\u{1b}]0;x\\u{7}b");
        assert_eq!(printable("l1\nl2\u{202e}", true), "l1\nl2\\u{202e}");
        assert_eq!(printable("l1\nl2", false), "l1\\u{a}l2");
        assert_eq!(printable("café/x", false), "café/x");
    }
}
