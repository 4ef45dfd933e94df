//! Values of the small Scheme evaluator that expands `define`d helpers.
//!
//! Parameters that the caller did not supply stay symbolic inside strings as `{NAME}` (the same
//! placeholder the experiment language uses), so `(subpath (param "ROOT"))` becomes
//! `Subpath("{ROOT}")` and is resolved when the experiment binds `ROOT`.

use std::rc::Rc;

use crate::model::Filter;

use super::sexpr::Node;
use super::source::FileId;

#[derive(Clone, Debug)]
pub(crate) enum Value {
    Str(String),
    /// An integer and, when it came straight from the source, its spelling (`#o0004`).
    Num(i64, Option<String>),
    Bool(bool),
    /// A quoted symbol, or an unbound bare symbol (libsandbox constants such as `AF_INET`).
    Symbol(String),
    List(Vec<Value>),
    /// One filter form; several values (`(sysctl-name "a" "b")`) are alternatives.
    Filters(Vec<Filter>),
    Modifier(Modifier),
    Closure(Rc<Closure>),
    Unspecified,
    /// A value the evaluator cannot know here (a missing parameter, an undefined helper):
    /// whatever depends on it becomes opaque, with this reason.
    Unknown(String),
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Modifier {
    Report,
    Message(String),
    /// Any other `(with …)`, kept as its inner text (`no-log`, `send-signal SIGKILL`).
    Other(String),
}

#[derive(Debug)]
pub(crate) struct Closure {
    pub name: String,
    pub params: Vec<String>,
    /// `(define (f . rest) …)` / `(lambda args …)`.
    pub rest: Option<String>,
    pub body: Vec<Node>,
    pub env: super::env::EnvRef,
    pub file: FileId,
}

/// Three-valued truth: Scheme truthiness where the value is known.
pub(crate) enum Truth {
    True,
    False,
    Unknown(String),
}

impl Value {
    pub(crate) fn truth(&self) -> Truth {
        match self {
            Value::Bool(false) => Truth::False,
            Value::Unknown(reason) => Truth::Unknown(reason.clone()),
            Value::Str(s) => match whole_placeholder(s) {
                Some(name) => Truth::Unknown(missing_param(name)),
                None => Truth::True,
            },
            Value::Symbol(s) => Truth::Unknown(format!("`{s}` is not defined here")),
            _ => Truth::True,
        }
    }

    pub(crate) fn describe(&self) -> &'static str {
        match self {
            Value::Str(_) => "a string",
            Value::Num(..) => "a number",
            Value::Bool(_) => "a boolean",
            Value::Symbol(_) => "a symbol",
            Value::List(_) => "a list",
            Value::Filters(_) => "a filter",
            Value::Modifier(_) => "a `(with …)` modifier",
            Value::Closure(_) => "a function",
            Value::Unspecified => "no value",
            Value::Unknown(_) => "an unknown value",
        }
    }
}

/// What a value costs to hold: roughly its bytes, and how deep its lists and filters nest.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Measure {
    pub bytes: usize,
    pub depth: usize,
}

impl Value {
    /// Measures the value, walking no further than `max_bytes` bytes or `max_depth` levels
    /// (a result past either is all the caller needs to know).
    pub(crate) fn measure(&self, max_bytes: usize, max_depth: usize) -> Measure {
        let mut m = Measure::default();
        measure_value(self, 1, max_bytes, max_depth, &mut m);
        m
    }
}

/// Per node: what a `Value` or `Filter` costs besides the text it holds.
const NODE_BYTES: usize = 32;

fn measure_value(v: &Value, depth: usize, max_bytes: usize, max_depth: usize, m: &mut Measure) {
    m.depth = m.depth.max(depth);
    if m.bytes > max_bytes || depth > max_depth {
        return;
    }
    // Scalars live on the stack: only what holds heap memory counts.
    if !matches!(
        v,
        Value::Num(..) | Value::Bool(_) | Value::Closure(_) | Value::Unspecified
    ) {
        m.bytes += NODE_BYTES;
    }
    match v {
        Value::Str(s) | Value::Symbol(s) | Value::Unknown(s) => m.bytes += s.len(),
        Value::Num(..) => {}
        Value::List(items) => {
            for item in items {
                measure_value(item, depth + 1, max_bytes, max_depth, m);
            }
        }
        Value::Filters(filters) => {
            for f in filters {
                measure_filter(f, depth + 1, max_bytes, max_depth, m);
            }
        }
        Value::Modifier(Modifier::Message(s) | Modifier::Other(s)) => m.bytes += s.len(),
        Value::Modifier(Modifier::Report) | Value::Closure(_) | Value::Bool(_) => {}
        Value::Unspecified => {}
    }
}

/// Measures filters the way [`Value::measure`] does (rules hold them).
pub(crate) fn measure_filters(filters: &[Filter], max_bytes: usize, max_depth: usize) -> Measure {
    let mut m = Measure::default();
    for f in filters {
        measure_filter(f, 1, max_bytes, max_depth, &mut m);
    }
    m
}

fn measure_filter(f: &Filter, depth: usize, max_bytes: usize, max_depth: usize, m: &mut Measure) {
    m.depth = m.depth.max(depth);
    if m.bytes > max_bytes || depth > max_depth {
        return;
    }
    m.bytes += NODE_BYTES;
    match f {
        Filter::Literal(s)
        | Filter::Subpath(s)
        | Filter::Prefix(s)
        | Filter::Regex(s)
        | Filter::Target(s)
        | Filter::GlobalName(s)
        | Filter::LocalName(s)
        | Filter::SysctlName(s)
        | Filter::Opaque(s) => m.bytes += s.len(),
        Filter::Remote(a) | Filter::Local(a) => m.bytes += a.proto.len() + a.host.len(),
        Filter::Named { name, args } => {
            m.bytes += name.len() + args.iter().map(String::len).sum::<usize>()
        }
        Filter::RequireAll(fs) | Filter::RequireAny(fs) => {
            for f in fs {
                measure_filter(f, depth + 1, max_bytes, max_depth, m);
            }
        }
        Filter::RequireNot(f) => measure_filter(f, depth + 1, max_bytes, max_depth, m),
    }
}

pub(crate) fn missing_param(name: &str) -> String {
    format!("depends on parameter `{name}`, which was not given")
}

/// `Some(NAME)` when `s` is exactly one `{NAME}` placeholder.
pub(crate) fn whole_placeholder(s: &str) -> Option<&str> {
    let inner = s.strip_prefix('{')?.strip_suffix('}')?;
    is_param_name(inner).then_some(inner)
}

pub(crate) fn is_param_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

/// A string split into literal text and `{NAME}` parameter placeholders.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Segment<'s> {
    Text(&'s str),
    Param(&'s str),
}

pub(crate) fn segments(s: &str) -> Vec<Segment<'_>> {
    let mut out = Vec::new();
    let rest = s;
    let mut text_start = 0;
    let mut pos = 0;
    while let Some(open) = rest[pos..].find('{').map(|i| i + pos) {
        match rest[open..].find('}').map(|i| i + open) {
            Some(close) if is_param_name(&rest[open + 1..close]) => {
                if open > text_start {
                    out.push(Segment::Text(&rest[text_start..open]));
                }
                out.push(Segment::Param(&rest[open + 1..close]));
                text_start = close + 1;
                pos = close + 1;
            }
            _ => pos = open + 1,
        }
        if pos >= rest.len() {
            break;
        }
    }
    if text_start < rest.len() {
        out.push(Segment::Text(&rest[text_start..]));
    }
    out
}

pub(crate) fn has_placeholder(s: &str) -> bool {
    segments(s).iter().any(|s| matches!(s, Segment::Param(_)))
}

/// `regex-quote`: escapes regex metacharacters in the literal parts; a placeholder stands for a
/// parameter that is quoted when it is bound.
pub(crate) fn regex_quote(s: &str) -> String {
    let mut out = String::new();
    for seg in segments(s) {
        match seg {
            Segment::Param(p) => {
                out.push('{');
                out.push_str(p);
                out.push('}');
            }
            Segment::Text(t) => {
                for c in t.chars() {
                    if "\\.^$*+?()[]{}|".contains(c) {
                        out.push('\\');
                    }
                    out.push(c);
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_split_placeholders_only() {
        assert_eq!(
            segments("{HOME}/a[0-9]{2}/{X}"),
            vec![
                Segment::Param("HOME"),
                Segment::Text("/a[0-9]{2}/"),
                Segment::Param("X")
            ]
        );
        assert_eq!(regex_quote("a.b{X}"), "a\\.b{X}");
    }
}
