//! Numbers (decimal with `_`, signs, fractions, exponents, `0x`/`0o`/`0b`) and keywords
//! (`#true #false #null #inf #-inf #nan`). Integers are `i128` and decimals `f64`, parsed
//! from the same digits the `kdl` crate parses them from, so the values are bit-identical.

use kdl::KdlValue;

use super::cursor::{Cursor, Step, Stop, cut};
use super::space::value_terminator_check;

/// `keyword` and `keyword-number`.
pub(super) fn keyword(c: &mut Cursor<'_>) -> Step<KdlValue> {
    if !c.eat_byte(b'#') {
        return Err(Stop::Back);
    }
    if matches!(c.byte(), Some(b'#' | b'"')) {
        return Err(Stop::Back);
    }
    for (word, value) in [
        ("true", KdlValue::Bool(true)),
        ("false", KdlValue::Bool(false)),
        ("null", KdlValue::Null),
        ("nan", KdlValue::Float(f64::NAN)),
        ("inf", KdlValue::Float(f64::INFINITY)),
        ("-inf", KdlValue::Float(f64::NEG_INFINITY)),
    ] {
        if c.eat(word) {
            return Ok(value);
        }
    }
    Err(Stop::Cut)
}

/// `number`: a decimal with a fraction or exponent (a float), else an integer.
pub(super) fn number(c: &mut Cursor<'_>) -> Step<KdlValue> {
    if let Some(f) = c.attempt(float)? {
        return Ok(KdlValue::Float(f));
    }
    integer(c).map(KdlValue::Integer)
}

fn sign(c: &mut Cursor<'_>) -> bool {
    if c.eat_byte(b'-') {
        return false;
    }
    c.eat_byte(b'+');
    true
}

/// Digits of `radix` with `_` after the first; the value, which must fit an `i128`.
fn digits(c: &mut Cursor<'_>, radix: u32) -> Step<i128> {
    let mut value: i128 = 0;
    let mut overflow = false;
    let mut first = true;
    while let Some(b) = c.byte() {
        if b == b'_' && !first {
            c.pos += 1;
            continue;
        }
        let Some(d) = (b as char).to_digit(radix) else {
            break;
        };
        c.pos += 1;
        first = false;
        match value
            .checked_mul(radix as i128)
            .and_then(|v| v.checked_add(d as i128))
        {
            Some(v) => value = v,
            None => overflow = true,
        }
    }
    if first || overflow {
        return Err(Stop::Back);
    }
    Ok(value)
}

/// `sign? integer`, as an `i128`.
fn decimal(c: &mut Cursor<'_>) -> Step<i128> {
    let positive = sign(c);
    let v = digits(c, 10)?;
    Ok(if positive { v } else { -v })
}

fn float(c: &mut Cursor<'_>) -> Step<f64> {
    let start = c.pos;
    let with_exponent = c.attempt(|c| {
        decimal(c)?;
        if c.eat_byte(b'.') {
            cut(digits(c, 10))?;
        }
        if !(c.eat_byte(b'e') || c.eat_byte(b'E')) {
            return Err(Stop::Back);
        }
        if !c.eat_byte(b'-') {
            c.eat_byte(b'+');
        }
        cut(digits(c, 10)).map(|_| ())
    })?;
    if with_exponent.is_none() {
        decimal(c)?;
        if !c.eat_byte(b'.') {
            return Err(Stop::Back);
        }
        cut(digits(c, 10))?;
    }
    let text = c.slice(start);
    value_terminator_check(c)?;
    let parsed = if text.contains('_') {
        text.replace('_', "").parse()
    } else {
        text.parse()
    };
    parsed.map_err(|_| Stop::Back)
}

fn integer(c: &mut Cursor<'_>) -> Step<i128> {
    for (prefixes, radix) in [(["0x", "0X"], 16), (["0o", "0O"], 8), (["0b", "0B"], 2)] {
        let save = c.pos;
        let positive = sign(c);
        if c.eat(prefixes[0]) || c.eat(prefixes[1]) {
            if !c.byte().is_some_and(|b| (b as char).is_digit(radix)) {
                return Err(Stop::Cut);
            }
            match digits(c, radix) {
                Ok(v) => {
                    value_terminator_check(c)?;
                    return Ok(if positive { v } else { -v });
                }
                Err(_) => {
                    c.pos = save;
                    continue;
                }
            }
        }
        c.pos = save;
    }
    let v = decimal(c)?;
    value_terminator_check(c)?;
    Ok(v)
}
