//! Canonical one-line text of a datum: what an opaque item keeps as its text.
//!
//! Comments and layout are dropped, so the text is the same wherever the form is re-emitted,
//! which keeps parse → emit → parse a fixed point.

use super::sexpr::{Datum, Node};

pub(crate) fn print(node: &Node) -> String {
    let mut out = String::new();
    write_node(node, &mut out);
    out
}

fn write_node(node: &Node, out: &mut String) {
    match &node.datum {
        Datum::List(items) => {
            out.push('(');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                write_node(item, out);
            }
            out.push(')');
        }
        Datum::Symbol(s) => out.push_str(s),
        Datum::Str(s) => out.push_str(&quote_string(s)),
        Datum::RawStr(s) => {
            out.push_str("#\"");
            out.push_str(s);
            out.push('"');
        }
        Datum::Number { raw, .. } => out.push_str(raw),
        Datum::Bool(b) => out.push_str(if *b { "#t" } else { "#f" }),
        Datum::Quote(inner) => {
            out.push('\'');
            write_node(inner, out);
        }
    }
}

/// A `"…"` string literal that reads back to exactly `s`.
pub(crate) fn quote_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
