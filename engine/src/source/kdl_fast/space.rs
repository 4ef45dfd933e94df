//! Whitespace, newlines, comments, line continuations, slashdash and terminators.

use super::chars::{is_newline, is_unicode_space};
use super::cursor::{Cursor, Step, Stop};

/// `newline` (CRLF is one).
pub(super) fn newline(c: &mut Cursor<'_>) -> Step<()> {
    match c.peek() {
        Some('\r') => {
            c.pos += 1;
            c.eat_byte(b'\n');
            Ok(())
        }
        Some(ch) if is_newline(ch) => {
            c.bump(ch);
            Ok(())
        }
        _ => Err(Stop::Back),
    }
}

pub(super) fn at_newline(c: &Cursor<'_>) -> bool {
    c.peek().is_some_and(is_newline)
}

pub(super) fn unicode_space(c: &mut Cursor<'_>) -> Step<char> {
    match c.peek() {
        Some(ch) if is_unicode_space(ch) => {
            c.bump(ch);
            Ok(ch)
        }
        _ => Err(Stop::Back),
    }
}

/// `multi-line-comment`, nesting; unterminated is invalid.
pub(super) fn multi_line_comment(c: &mut Cursor<'_>) -> Step<()> {
    if !c.eat("/*") {
        return Err(Stop::Back);
    }
    let bytes = c.text.as_bytes();
    let mut depth = 1usize;
    let mut i = c.pos;
    while i < bytes.len() {
        match bytes[i] {
            b'*' if bytes.get(i + 1) == Some(&b'/') => {
                i += 2;
                depth -= 1;
                if depth == 0 {
                    c.pos = i;
                    return Ok(());
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i += 2;
                depth += 1;
            }
            _ => i += 1,
        }
    }
    Err(Stop::Cut)
}

/// `single-line-comment`: to and including the next newline, or to the end.
pub(super) fn single_line_comment(c: &mut Cursor<'_>) -> Step<()> {
    if !c.eat("//") {
        return Err(Stop::Back);
    }
    let bytes = c.text.as_bytes();
    while c.pos < bytes.len() {
        let b = bytes[c.pos];
        if b.is_ascii() && !matches!(b, b'\r' | b'\n' | 0x0B | 0x0C) {
            c.pos += 1;
            continue;
        }
        if newline(c).is_ok() {
            return Ok(());
        }
        let ch = c.peek().unwrap_or('\0');
        c.bump(ch);
    }
    Ok(())
}

/// `ws := unicode-space | multi-line-comment`.
pub(super) fn ws(c: &mut Cursor<'_>) -> Step<()> {
    match c.byte() {
        Some(b' ' | b'\t') => {
            c.pos += 1;
            Ok(())
        }
        Some(b'/') => multi_line_comment(c),
        Some(b) if b.is_ascii() => Err(Stop::Back),
        _ => unicode_space(c).map(|_| ()),
    }
}

pub(super) fn wss(c: &mut Cursor<'_>) -> Step<()> {
    c.many(ws).map(|_| ())
}

/// `escline := '\' ws* (single-line-comment | newline | eof) ws*`.
fn escline(c: &mut Cursor<'_>) -> Step<()> {
    if !c.eat_byte(b'\\') {
        return Err(Stop::Back);
    }
    wss(c)?;
    if single_line_comment(c).is_err() && newline(c).is_err() && !c.at_eof() {
        return Err(Stop::Back);
    }
    wss(c)
}

/// `node-space := ws* escline ws* | ws+`.
pub(super) fn node_space(c: &mut Cursor<'_>) -> Step<()> {
    let save = c.pos;
    wss(c)?;
    if c.at_byte(b'\\') && c.attempt(escline)?.is_some() {
        return wss(c);
    }
    if c.pos > save {
        Ok(())
    } else {
        Err(Stop::Back)
    }
}

pub(super) fn node_space0(c: &mut Cursor<'_>) -> Step<()> {
    c.many(node_space).map(|_| ())
}

pub(super) fn node_space1(c: &mut Cursor<'_>) -> Step<()> {
    match c.many(node_space)? {
        0 => Err(Stop::Back),
        _ => Ok(()),
    }
}

/// `line-space := node-space | newline | single-line-comment`.
pub(super) fn line_space(c: &mut Cursor<'_>) -> Step<()> {
    if c.attempt(node_space)?.is_some() || newline(c).is_ok() {
        return Ok(());
    }
    single_line_comment(c)
}

/// `slashdash := '/-' line-space*`.
pub(super) fn slashdash(c: &mut Cursor<'_>) -> Step<()> {
    if !c.eat("/-") {
        return Err(Stop::Back);
    }
    c.many(line_space).map(|_| ())
}

/// `node-terminator := ';' | newline | single-line-comment` (end of input is handled by callers).
pub(super) fn node_terminator(c: &mut Cursor<'_>) -> Step<()> {
    if c.eat_byte(b';') || newline(c).is_ok() {
        return Ok(());
    }
    single_line_comment(c)
}

/// Whether a value may end here (without consuming anything).
pub(super) fn at_value_terminator(c: &mut Cursor<'_>) -> Step<bool> {
    match c.byte() {
        None => Ok(true),
        Some(b'=' | b')' | b'{' | b'}' | b';' | b' ' | b'\t' | b'\n' | b'\r') => Ok(true),
        _ => {
            if c.lookahead(node_space)? {
                return Ok(true);
            }
            c.lookahead(node_terminator)
        }
    }
}

/// A value must be followed by a value terminator, or the text is invalid.
pub(super) fn value_terminator_check(c: &mut Cursor<'_>) -> Step<()> {
    if at_value_terminator(c)? {
        Ok(())
    } else {
        Err(Stop::Cut)
    }
}
