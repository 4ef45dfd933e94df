//! How deep a KDL text nests, found before the `kdl` parser sees it.
//!
//! The `kdl` parser recurses once per children block and once per nested `/* */` comment, so
//! 1,500 nested blocks (12 KB of text) overflow the stack and abort the process. This scan walks
//! the bytes once, knowing just enough KDL 2 lexing to skip what cannot nest — quoted,
//! multi-line and raw strings, line comments — and reports the first `{` or `/*` that goes
//! deeper than [`MAX_NESTING`]. Malformed text is left for the parser to report.

/// Deepest nesting of children blocks, and separately of block comments. Experiments nest a
/// handful of levels (a filter inside `require-any` inside a rule inside a profile).
pub(crate) const MAX_NESTING: usize = 64;

/// The first place the text nests deeper than [`MAX_NESTING`].
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct TooDeep {
    /// Byte offset of the opening `{` or `/*`.
    pub offset: usize,
    /// What nests: `"children blocks"` or `"block comments"`.
    pub what: &'static str,
}

/// `Err` at the first opening that exceeds [`MAX_NESTING`].
pub(crate) fn check(text: &str) -> Result<(), TooDeep> {
    let b = text.as_bytes();
    let mut blocks = 0usize;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'{' => {
                blocks += 1;
                if blocks > MAX_NESTING {
                    return Err(TooDeep {
                        offset: i,
                        what: "children blocks",
                    });
                }
                i += 1;
            }
            b'}' => {
                blocks = blocks.saturating_sub(1);
                i += 1;
            }
            b'/' if b.get(i + 1) == Some(&b'/') => i = line_end(b, i),
            b'/' if b.get(i + 1) == Some(&b'*') => i = block_comment_end(b, i)?,
            b'"' => i = quoted_end(b, i),
            b'#' => i = raw_end(b, i),
            _ => i += 1,
        }
    }
    Ok(())
}

/// How many children blocks nest inside slashdashed parts at most (`/-node { … }`,
/// `/-{ … }`): the `kdl` parser reads a slashdashed block again at every such level, so the
/// cost of its syntax report doubles with each. Counted as [`check`] lexes; a `/-` before an
/// entry also marks the next block of its node (an over-count, never an under-count).
pub(crate) fn slashdash_depth(text: &str) -> usize {
    let b = text.as_bytes();
    let (mut open, mut depth, mut deepest, mut pending) = (Vec::new(), 0usize, 0usize, false);
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'{' => {
                open.push(pending);
                depth += usize::from(pending);
                deepest = deepest.max(depth);
                pending = false;
                i += 1;
            }
            b'}' => {
                depth -= usize::from(open.pop().unwrap_or(false));
                pending = false;
                i += 1;
            }
            b'/' if b.get(i + 1) == Some(&b'-') => {
                pending = true;
                i += 2;
            }
            b';' | b'\n' | b'\r' => {
                pending = false;
                i += 1;
            }
            // A line continuation keeps the node going: skip to the next line.
            b'\\' => i = line_end(b, i),
            b'/' if b.get(i + 1) == Some(&b'/') => {
                pending = false;
                i = line_end(b, i);
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i = block_comment_end(b, i).unwrap_or(b.len());
            }
            b'"' => i = quoted_end(b, i),
            b'#' => i = raw_end(b, i),
            _ => i += 1,
        }
    }
    deepest
}

/// After a `//` comment: at the next KDL 2 newline (`\n`, `\r`, U+000B, U+000C, U+0085,
/// U+2028, U+2029). Ending it later than the parser does would hide braces from the count.
fn line_end(b: &[u8], start: usize) -> usize {
    let mut i = start;
    while i < b.len() {
        let len = match &b[i..] {
            [b'\n' | b'\r' | 0x0b | 0x0c, ..] => 1,
            [0xc2, 0x85, ..] => 2,
            [0xe2, 0x80, 0xa8 | 0xa9, ..] => 3,
            _ => 0,
        };
        if len > 0 {
            return i + len;
        }
        i += 1;
    }
    b.len()
}

fn block_comment_end(b: &[u8], start: usize) -> Result<usize, TooDeep> {
    let mut depth = 0usize;
    let mut i = start;
    while i < b.len() {
        if b[i..].starts_with(b"/*") {
            depth += 1;
            if depth > MAX_NESTING {
                return Err(TooDeep {
                    offset: i,
                    what: "block comments",
                });
            }
            i += 2;
        } else if b[i..].starts_with(b"*/") {
            depth -= 1;
            i += 2;
            if depth == 0 {
                return Ok(i);
            }
        } else {
            i += 1;
        }
    }
    Ok(b.len())
}

/// After a `"…"` or `"""…"""` string; a backslash escapes the next byte in both.
fn quoted_end(b: &[u8], start: usize) -> usize {
    let multi = b[start..].starts_with(b"\"\"\"");
    let mut i = start + if multi { 3 } else { 1 };
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'"' if !multi => return i + 1,
            b'"' if b[i..].starts_with(b"\"\"\"") => return i + 3,
            _ => i += 1,
        }
    }
    b.len()
}

/// After a raw string `#"…"#` / `##"""…"""##` (no escapes; it ends at a quote followed by as
/// many `#` as opened it). A `#` that does not open one (`#true`) is skipped alone.
fn raw_end(b: &[u8], start: usize) -> usize {
    let hashes = b[start..].iter().take_while(|&&c| c == b'#').count();
    let open = start + hashes;
    if b.get(open) != Some(&b'"') {
        return open;
    }
    let mut close = vec![b'"'];
    close.extend(std::iter::repeat_n(b'#', hashes));
    let body = if b[open..].starts_with(b"\"\"\"") {
        close.splice(0..0, *b"\"\"");
        open + 3
    } else {
        open + 1
    };
    b[body..]
        .windows(close.len())
        .position(|w| w == close.as_slice())
        .map_or(b.len(), |p| body + p + close.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(n: usize) -> String {
        format!("a {}{}", "b {".repeat(n - 1) + "{", "}".repeat(n))
    }

    #[test]
    fn counts_blocks_and_reports_the_first_too_deep() {
        assert_eq!(check(&nested(MAX_NESTING)), Ok(()));
        let text = nested(MAX_NESTING + 1);
        let err = check(&text).unwrap_err();
        assert_eq!(err.what, "children blocks");
        assert_eq!(&text[err.offset..err.offset + 1], "{");
        assert_eq!(text[..err.offset].matches('{').count(), MAX_NESTING);
        assert!(check(&nested(100_000)).is_err());
        // A line comment ends at every KDL newline: what follows counts.
        for newline in ["\u{85}", "\u{b}", "\u{c}", "\u{2028}", "\u{2029}", "\r"] {
            let text = format!("// x{newline}{}", nested(MAX_NESTING + 1));
            assert!(check(&text).is_err(), "{newline:?}");
        }
    }

    #[test]
    fn braces_in_strings_and_comments_do_not_count() {
        let many = "{".repeat(1000);
        for text in [
            format!("a \"{many}\""),
            format!("a \"\\\"{many}\""),
            format!("a \"\"\"\n \" {many} \"\n\"\"\""),
            format!("a #\"{many}\"#"),
            format!("a ##\"\"{many}\"#\"##"),
            format!("a ##\"\"\"\n\"\"\"# {many}\n\"\"\"##"),
            format!("// {many}\na"),
            format!("// {many}\u{2028}a"),
            format!("/* {many} */ a"),
            "a #true { b }".to_string(),
        ] {
            assert_eq!(check(&text), Ok(()), "{text:.40}");
        }
    }

    #[test]
    fn slashdashed_blocks_are_counted_where_they_nest() {
        assert_eq!(slashdash_depth("a { b { c } }"), 0);
        assert_eq!(slashdash_depth("a { /-b { c } }\n/-d { e }"), 1);
        assert_eq!(slashdash_depth(&"x; /-y {".repeat(9)), 9);
        assert_eq!(slashdash_depth(&"y /-{ ".repeat(7)), 7);
        // Closed blocks and ended nodes no longer count; strings and comments never do.
        assert_eq!(slashdash_depth("/-a { } /-b { }\nc { d }"), 1);
        assert_eq!(
            slashdash_depth("a \"/-{ /-{\" { } // /-{\nb /* /-{ */ { }"),
            0
        );
        assert_eq!(slashdash_depth("a /-k=1 \\ // more\n { }"), 1);
    }

    #[test]
    fn nested_block_comments_are_bounded_too() {
        let ok = format!("{}{}", "/*".repeat(MAX_NESTING), "*/".repeat(MAX_NESTING));
        assert_eq!(check(&ok), Ok(()));
        let deep = format!("{}{}", "/*".repeat(10_000), "*/".repeat(10_000));
        assert_eq!(check(&deep).unwrap_err().what, "block comments");
    }
}
