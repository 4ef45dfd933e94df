//! The Scheme builtins real profiles use (`param`, `string-append`, comparisons, arithmetic,
//! `defined?`), three-valued: an argument that is not known makes the result unknown.

use super::Evaluator;
use crate::sbpl::value::{self, Truth, Value};

impl Evaluator<'_> {
    /// Scheme builtins real profiles use. `None` = not a builtin.
    pub(super) fn builtin(&mut self, name: &str, vals: &[Value]) -> Option<Value> {
        use Value::*;
        if let Some(Unknown(r)) = vals.iter().find(|v| matches!(v, Unknown(_)))
            && name != "defined?"
        {
            return Some(Unknown(r.clone()));
        }
        let v = match (name, vals) {
            ("param", [Str(key)]) => {
                self.params.insert(key.clone());
                match self.opts.params.get(key) {
                    Some(v) => Str(v.clone()),
                    None if self.opts.params_complete => Bool(false),
                    None => {
                        self.params_unbound.insert(key.clone());
                        Str(format!("{{{key}}}"))
                    }
                }
            }
            ("string-append", _) => {
                let mut out = String::new();
                for v in vals {
                    match v {
                        Str(s) => out.push_str(s),
                        other => {
                            return Some(Unknown(format!(
                                "`string-append` of {}",
                                other.describe()
                            )));
                        }
                    }
                }
                Str(out)
            }
            ("regex-quote", [Str(s)]) => Str(value::regex_quote(s)),
            ("string?", [Str(s)]) => match value::whole_placeholder(s) {
                Some(p) => Unknown(value::missing_param(p)),
                None => Bool(true),
            },
            ("string?", [_]) => Bool(false),
            ("string=?" | "equal?" | "eq?" | "eqv?", [a, b]) => match (a, b) {
                (Str(x), Str(y)) if value::has_placeholder(x) || value::has_placeholder(y) => {
                    Unknown(placeholder_reason(x, y))
                }
                (Str(x), Str(y)) => Bool(x == y),
                (Num(x, _), Num(y, _)) => Bool(x == y),
                (Bool(x), Bool(y)) => Bool(x == y),
                (Symbol(x), Symbol(y)) => Bool(x == y),
                _ => Bool(false),
            },
            ("string-length", [Str(s)]) if !value::has_placeholder(s) => {
                Num(s.chars().count() as i64, None)
            }
            ("substring", [Str(s), Num(a, _), rest @ ..]) if !value::has_placeholder(s) => {
                let chars: Vec<char> = s.chars().collect();
                let end = match rest {
                    [Num(e, _)] => *e as usize,
                    _ => chars.len(),
                };
                let start = (*a as usize).min(chars.len());
                Str(chars[start..end.clamp(start, chars.len())].iter().collect())
            }
            ("string->number", [Str(s)]) if !value::has_placeholder(s) => match s.parse() {
                Ok(n) => Num(n, None),
                Err(_) => Bool(false),
            },
            ("number->string", [Num(n, _)]) => Str(n.to_string()),
            ("not", [v]) => match v.truth() {
                Truth::True => Bool(false),
                Truth::False => Bool(true),
                Truth::Unknown(r) => Unknown(r),
            },
            ("+" | "-" | "*", _) if vals.iter().all(|v| matches!(v, Num(..))) => {
                let nums: Vec<i64> = vals
                    .iter()
                    .map(|v| if let Num(n, _) = v { *n } else { 0 })
                    .collect();
                let n = match (name, nums.as_slice()) {
                    ("+", _) => nums.iter().try_fold(0i64, |a, b| a.checked_add(*b)),
                    ("*", _) => nums.iter().try_fold(1i64, |a, b| a.checked_mul(*b)),
                    (_, []) => None,
                    (_, [x]) => x.checked_neg(),
                    (_, [x, rest @ ..]) => rest.iter().try_fold(*x, |a, b| a.checked_sub(*b)),
                };
                match n {
                    Some(n) => Num(n, None),
                    None => Unknown(format!("`{name}` overflows")),
                }
            }
            ("<" | ">" | "<=" | ">=" | "=", [Num(a, _), Num(b, _)]) => Bool(match name {
                "<" => a < b,
                ">" => a > b,
                "<=" => a <= b,
                ">=" => a >= b,
                _ => a == b,
            }),
            ("list", _) => List(vals.to_vec()),
            ("defined?", [Symbol(s)]) => self.defined(s),
            (
                "param" | "regex-quote" | "string?" | "string=?" | "equal?" | "eq?" | "eqv?"
                | "string-length" | "substring" | "string->number" | "number->string" | "not" | "+"
                | "-" | "*" | "<" | ">" | "<=" | ">=" | "=" | "defined?",
                _,
            ) => Unknown(why_unknown(name, vals)),
            _ => return None,
        };
        Some(v)
    }

    fn defined(&self, symbol: &str) -> Value {
        match &self.opts.defined_symbols {
            Some(set) => Value::Bool(set.contains(symbol)),
            None => Value::Unknown(format!(
                "whether `{symbol}` is defined depends on the macOS version (no vocabulary given)"
            )),
        }
    }
}

/// Why a builtin could not compute: the first missing parameter or undefined name among its
/// arguments.
fn why_unknown(name: &str, vals: &[Value]) -> String {
    for v in vals {
        match v {
            Value::Str(s) => {
                if let Some(p) = value::segments(s).into_iter().find_map(|seg| match seg {
                    value::Segment::Param(p) => Some(p),
                    value::Segment::Text(_) => None,
                }) {
                    return value::missing_param(p);
                }
            }
            Value::Symbol(s) => return format!("`{s}` is not defined here"),
            _ => {}
        }
    }
    format!("`{name}` of values not known here")
}

fn placeholder_reason(x: &str, y: &str) -> String {
    let s = if value::has_placeholder(x) { x } else { y };
    match value::segments(s).into_iter().find_map(|seg| match seg {
        value::Segment::Param(p) => Some(p),
        value::Segment::Text(_) => None,
    }) {
        Some(p) => value::missing_param(p),
        None => "compares a parameter that was not given".into(),
    }
}
