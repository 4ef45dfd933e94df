//! Strings: identifier strings, quoted strings (single- and multi-line, with escapes) and raw
//! strings (`#"…"#`, any number of `#`, single- and multi-line), with the dedent rules.

use super::chars::{is_disallowed, is_identifier_char, is_newline};
use super::cursor::{Cursor, Step, Stop, cut};
use super::space::{at_newline, newline, unicode_space, value_terminator_check};

/// `string`: an identifier, raw or quoted string followed by a value terminator; its value.
pub(super) fn string(c: &mut Cursor<'_>) -> Step<String> {
    let start = c.pos;
    if let Some(()) = c.attempt(identifier_string)? {
        let value = c.slice(start).to_string();
        value_terminator_check(c)?;
        return Ok(value);
    }
    if let Some(value) = c.attempt(raw_string)? {
        value_terminator_check(c)?;
        return Ok(value);
    }
    let value = quoted_string(c)?;
    value_terminator_check(c)?;
    Ok(value)
}

/// `identifier-string := unambiguous-ident | signed-ident | dotted-ident`.
fn identifier_string(c: &mut Cursor<'_>) -> Step<()> {
    let start = c.pos;
    let first = c.peek().ok_or(Stop::Back)?;
    match first {
        '+' | '-' => {
            c.pos += 1;
            match c.peek() {
                Some('.') => {
                    // dotted-ident with a sign
                    c.pos += 1;
                    if c.peek().is_some_and(|d| d.is_ascii_digit()) {
                        return Err(Stop::Back);
                    }
                }
                Some(d) if d.is_ascii_digit() => return Err(Stop::Back),
                _ => {}
            }
            identifier_chars(c);
            Ok(())
        }
        '.' => {
            c.pos += 1;
            if c.peek().is_some_and(|d| d.is_ascii_digit()) {
                return Err(Stop::Back);
            }
            identifier_chars(c);
            Ok(())
        }
        d if d.is_ascii_digit() => Err(Stop::Back),
        ch if is_identifier_char(ch) => {
            identifier_chars(c);
            match c.slice(start) {
                // Bare keywords are not identifiers (`-inf` is a signed ident above).
                "true" | "false" | "null" | "inf" | "-inf" | "nan" => Err(Stop::Cut),
                _ => Ok(()),
            }
        }
        _ => Err(Stop::Back),
    }
}

fn identifier_chars(c: &mut Cursor<'_>) {
    let bytes = c.text.as_bytes();
    while c.pos < bytes.len() {
        let b = bytes[c.pos];
        if b.is_ascii() {
            if !is_identifier_char(b as char) {
                return;
            }
            c.pos += 1;
        } else {
            match c.peek() {
                Some(ch) if is_identifier_char(ch) => c.bump(ch),
                _ => return,
            }
        }
    }
}

/// `'\' (unicode-space | newline)+`: a whitespace escape, which stands for nothing.
fn ws_escape(c: &mut Cursor<'_>) -> Step<()> {
    let save = c.pos;
    if !c.eat_byte(b'\\') {
        return Err(Stop::Back);
    }
    let mut n = 0;
    while unicode_space(c).is_ok() || newline(c).is_ok() {
        n += 1;
    }
    if n == 0 {
        c.pos = save;
        return Err(Stop::Back);
    }
    Ok(())
}

/// `'\' escape` other than a whitespace escape.
fn escaped_char(c: &mut Cursor<'_>) -> Step<char> {
    let save = c.pos;
    if !c.eat_byte(b'\\') {
        return Err(Stop::Back);
    }
    let simple = match c.byte() {
        Some(b'\\') => Some('\\'),
        Some(b'"') => Some('"'),
        Some(b'b') => Some('\u{8}'),
        Some(b'f') => Some('\u{C}'),
        Some(b'n') => Some('\n'),
        Some(b'r') => Some('\r'),
        Some(b't') => Some('\t'),
        Some(b's') => Some(' '),
        _ => None,
    };
    if let Some(ch) = simple {
        c.pos += 1;
        return Ok(ch);
    }
    if c.eat("u{") {
        let start = c.pos;
        while c.pos - start < 6 && c.byte().is_some_and(|b| b.is_ascii_hexdigit()) {
            c.pos += 1;
        }
        if c.pos == start || !c.eat_byte(b'}') {
            return Err(Stop::Cut);
        }
        let hex = &c.text[start..c.pos - 1];
        let code = u32::from_str_radix(hex, 16).map_err(|_| Stop::Cut)?;
        if let Some(ch) = char::from_u32(code) {
            return Ok(ch);
        }
    }
    c.pos = save;
    Err(Stop::Back)
}

/// `string-character`: an escape or a literal code point other than `\`, `"` and disallowed ones.
fn string_char(c: &mut Cursor<'_>) -> Step<char> {
    match c.peek() {
        Some('\\') => escaped_char(c),
        Some('"') | None => Err(Stop::Back),
        Some(ch) if is_disallowed(ch) => Err(Stop::Back),
        Some(ch) => {
            c.bump(ch);
            Ok(ch)
        }
    }
}

/// One code point of a multi-line string's line: `None` for a whitespace escape.
/// A `"` may appear unless it starts `"""`.
fn multi_line_char(c: &mut Cursor<'_>) -> Step<Option<char>> {
    if ws_escape(c).is_ok() {
        return Ok(None);
    }
    if c.at_byte(b'"') {
        if c.at("\"\"\"") {
            return Err(Stop::Back);
        }
        c.pos += 1;
        return Ok(Some('"'));
    }
    string_char(c).map(Some)
}

/// `(ws-escape | unicode-space)* newline`.
fn empty_line(c: &mut Cursor<'_>) -> Step<()> {
    let save = c.pos;
    while ws_escape(c).is_ok() || unicode_space(c).is_ok() {}
    if newline(c).is_err() {
        c.pos = save;
        return Err(Stop::Back);
    }
    Ok(())
}

/// `quoted-string`: `"…"` or `"""` newline … newline `"""`.
fn quoted_string(c: &mut Cursor<'_>) -> Step<String> {
    if c.eat("\"\"\"") {
        cut(newline(c))?;
        return multi_line_quoted(c);
    }
    if !c.eat_byte(b'"') {
        return Err(Stop::Back);
    }
    let mut out = String::new();
    let bytes = c.text.as_bytes();
    loop {
        // A run of plain ASCII, copied at once.
        let run = c.pos;
        while c.pos < bytes.len() {
            let b = bytes[c.pos];
            if b >= b' ' && b != b'"' && b != b'\\' && b < 0x7F || b == b'\t' || b == 0x7F {
                c.pos += 1;
            } else {
                break;
            }
        }
        out.push_str(&c.text[run..c.pos]);
        if c.at_byte(b'"') {
            c.pos += 1;
            return Ok(out);
        }
        if at_newline(c) {
            return Err(Stop::Cut);
        }
        if ws_escape(c).is_ok() {
            continue;
        }
        out.push(cut(string_char(c))?);
    }
}

fn multi_line_quoted(c: &mut Cursor<'_>) -> Step<String> {
    let body_start = c.pos;
    // The closing line's leading whitespace is every line's prefix.
    let prefix = loop {
        let line = c.pos;
        let mut prefix = String::new();
        loop {
            if ws_escape(c).is_ok() {
                continue;
            }
            match unicode_space(c) {
                Ok(ch) => prefix.push(ch),
                Err(_) => break,
            }
        }
        if c.at("\"\"\"") {
            break prefix;
        }
        c.pos = line;
        while !at_newline(c) {
            if c.attempt(multi_line_char)?.is_none() {
                break;
            }
        }
        cut(newline(c))?;
    };
    c.pos = body_start;
    let mut out = String::new();
    loop {
        let line = c.pos;
        if c.eat(&prefix) {
            while ws_escape(c).is_ok() {}
            if c.at("\"\"\"") {
                break;
            }
        }
        c.pos = line;
        if !c.eat(&prefix) && !c.lookahead(empty_line)? {
            return Err(Stop::Cut);
        }
        if empty_line(c).is_ok() {
            out.push('\n');
            continue;
        }
        while !at_newline(c) {
            match c.attempt(multi_line_char)? {
                Some(Some(ch)) => out.push(ch),
                Some(None) => {}
                None => break,
            }
        }
        cut(newline(c))?;
        out.push('\n');
    }
    // Every line ended with a newline; the last one is not part of the value. The loop
    // stopped at the closing quotes.
    out.pop();
    c.pos += 3;
    Ok(out)
}

/// `raw-string`: `#"…"#` or `#"""` newline … `"""#`, with any number of `#`.
fn raw_string(c: &mut Cursor<'_>) -> Step<String> {
    let start = c.pos;
    while c.eat_byte(b'#') {}
    let hashes = &c.text[start..c.pos];
    if hashes.is_empty() {
        return Err(Stop::Back);
    }
    let body = if opens_multi_line(c) {
        multi_line_raw(c, hashes)?
    } else if c.eat_byte(b'"') {
        let body_start = c.pos;
        loop {
            if c.at_byte(b'"') && c.rest()[1..].starts_with(hashes) {
                break;
            }
            match c.peek() {
                Some(ch) if !is_disallowed(ch) && !is_newline(ch) => c.bump(ch),
                _ => return Err(Stop::Back),
            }
        }
        let body = c.slice(body_start).to_string();
        c.pos += 1 + hashes.len();
        body
    } else {
        return Err(Stop::Back);
    };
    if body == "\"" {
        // A single-line raw string may not look like a multi-line one.
        return Err(Stop::Cut);
    }
    Ok(body)
}

/// `"""` and a newline (without them, `#"""` opens a single-line raw string starting `""`).
fn opens_multi_line(c: &mut Cursor<'_>) -> bool {
    let save = c.pos;
    if c.eat("\"\"\"") && newline(c).is_ok() {
        return true;
    }
    c.pos = save;
    false
}

fn at_closing(c: &Cursor<'_>, hashes: &str) -> bool {
    c.at("\"\"\"") && c.rest()[3..].starts_with(hashes)
}

fn multi_line_raw(c: &mut Cursor<'_>, hashes: &str) -> Step<String> {
    let body_start = c.pos;
    let prefix = loop {
        let line = c.pos;
        while unicode_space(c).is_ok() {}
        if at_closing(c, hashes) {
            break c.slice(line).to_string();
        }
        c.pos = line;
        while let Some(ch) = c.peek() {
            if is_newline(ch) || is_disallowed(ch) || at_closing(c, hashes) {
                break;
            }
            c.bump(ch);
        }
        newline(c)?;
    };
    c.pos = body_start;
    let mut out = String::new();
    loop {
        let line = c.pos;
        if c.eat(&prefix) {
            while unicode_space(c).is_ok() {}
            if at_closing(c, hashes) {
                break;
            }
        }
        c.pos = line;
        if !c.eat(&prefix) && !c.lookahead(empty_line)? {
            return Err(Stop::Cut);
        }
        if empty_line(c).is_ok() {
            out.push('\n');
            continue;
        }
        let text = c.pos;
        while let Some(ch) = c.peek() {
            if is_newline(ch) || at_closing(c, hashes) {
                break;
            }
            c.bump(ch);
        }
        out.push_str(c.slice(text));
        newline(c)?;
        out.push('\n');
    }
    out.pop();
    c.pos += 3 + hashes.len();
    Ok(out)
}
