//! The code point classes of KDL 2, as the `kdl` crate's parser draws them (not as the
//! specification words them: U+007F, for one, is an ordinary character there).

/// `unicode-space`: tab, space and the Unicode space separators.
pub(super) fn is_unicode_space(c: char) -> bool {
    matches!(
        c,
        '\t' | ' ' | '\u{A0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200A}' | '\u{202F}' | '\u{205F}' | '\u{3000}'
    )
}

/// The first code point of a `newline` (CRLF counts as one newline and starts with CR).
pub(super) fn is_newline(c: char) -> bool {
    matches!(
        c,
        '\r' | '\n' | '\u{85}' | '\u{0B}' | '\u{0C}' | '\u{2028}' | '\u{2029}'
    )
}

/// Code points no string or identifier may hold literally (comments may).
pub(super) fn is_disallowed(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{8}'
        | '\u{E}'..='\u{1F}'
        | '\u{200E}'..='\u{200F}'
        | '\u{202A}'..='\u{202E}'
        | '\u{2066}'..='\u{2069}'
        | '\u{FEFF}'
    )
}

/// `identifier-char`.
pub(super) fn is_identifier_char(c: char) -> bool {
    if c.is_ascii() {
        // Below the space every code point is a space, a newline or disallowed; U+007F is allowed.
        return c > ' '
            && !matches!(
                c,
                '\\' | '/' | '(' | ')' | '{' | '}' | '[' | ']' | ';' | '"' | '#' | '='
            );
    }
    !(is_unicode_space(c) || is_newline(c) || is_disallowed(c))
}
