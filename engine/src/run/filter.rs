//! Filter expressions (`xpr run -E EXPR`, spec §10.1): which (profile, probe) pairs run.
//!
//! ```text
//! expr      = and { ("|" | "or") and }
//! and       = unary { ("&" | "and") unary }
//! unary     = ("!" | "not") unary | "(" expr ")" | predicate
//! predicate = ("profile" | "probe" | "family" | "id") "(" glob ")"
//!           | "expected" | "known" | "control" | "destructive" | "mismatched" | "all" | "none"
//! ```
//!
//! Globs are `glob-match` patterns (`*`, `?`, `[a-z]`, `{a,b}`), written bare or in double
//! quotes. An expression is parsed when the arguments are (a syntax error is a usage error
//! that points at the column); its globs are checked against the experiment once it is loaded.

use std::fmt;

/// A parsed filter expression, with the text it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Filter {
    pub text: String,
    pub expr: Expr,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Expr {
    Or(Box<Expr>, Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    Match(Field, Glob),
    Is(Property),
}

/// What a glob predicate matches against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Field {
    Profile,
    Probe,
    Family,
    /// The expectation id `<profile>/<probe>`.
    Id,
}

impl Field {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Field::Profile => "profile",
            Field::Probe => "probe",
            Field::Family => "family",
            Field::Id => "id",
        }
    }
}

/// A glob and where it stands in the expression (byte offset, length), for messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Glob {
    pub pattern: String,
    pub at: (usize, usize),
}

/// A property of a pair that needs no argument.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Property {
    /// The pair has an expectation.
    Expected,
    /// Its expectation documents a known mismatch.
    Known,
    /// The probe is a control (`control=#true`).
    Control,
    /// The probe changes files beneath `{scratch}`.
    Destructive,
    /// The pair failed (an unknown mismatch) in the reference bundle.
    Mismatched,
    All,
    None,
}

const PROPERTIES: [(&str, Property); 7] = [
    ("expected", Property::Expected),
    ("known", Property::Known),
    ("control", Property::Control),
    ("destructive", Property::Destructive),
    ("mismatched", Property::Mismatched),
    ("all", Property::All),
    ("none", Property::None),
];

const FIELDS: [(&str, Field); 4] = [
    ("profile", Field::Profile),
    ("probe", Field::Probe),
    ("family", Field::Family),
    ("id", Field::Id),
];

/// A syntax error: what was expected, at which byte of the expression.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SyntaxError {
    pub at: usize,
    pub message: String,
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "at column {}: {}", self.at + 1, self.message)
    }
}

impl std::error::Error for SyntaxError {}

impl std::str::FromStr for Filter {
    type Err = SyntaxError;

    fn from_str(text: &str) -> Result<Filter, SyntaxError> {
        let mut p = Parser { text, at: 0 };
        let expr = p.or()?;
        p.skip_space();
        if p.at < text.len() {
            return Err(p.error(format!(
                "unexpected `{}`; join predicates with `&` or `|`",
                p.rest_word()
            )));
        }
        Ok(Filter {
            text: text.to_string(),
            expr,
        })
    }
}

/// The facts of one pair a filter is evaluated on.
pub(crate) struct Pair<'a> {
    pub profile: &'a str,
    pub probe: &'a str,
    pub family: &'a str,
    pub expected: bool,
    pub known: bool,
    pub control: bool,
    pub destructive: bool,
    /// Whether the pair failed in the reference bundle (`None`: no reference bundle).
    pub mismatched: Option<bool>,
}

impl Expr {
    pub(crate) fn matches(&self, pair: &Pair) -> bool {
        match self {
            Expr::Or(a, b) => a.matches(pair) || b.matches(pair),
            Expr::And(a, b) => a.matches(pair) && b.matches(pair),
            Expr::Not(a) => !a.matches(pair),
            Expr::Match(field, glob) => match field {
                Field::Profile => glob_match::glob_match(&glob.pattern, pair.profile),
                Field::Probe => glob_match::glob_match(&glob.pattern, pair.probe),
                Field::Family => glob_match::glob_match(&glob.pattern, pair.family),
                Field::Id => glob_match::glob_match(
                    &glob.pattern,
                    &format!("{}/{}", pair.profile, pair.probe),
                ),
            },
            Expr::Is(property) => match property {
                Property::Expected => pair.expected,
                Property::Known => pair.known,
                Property::Control => pair.control,
                Property::Destructive => pair.destructive,
                Property::Mismatched => pair.mismatched == Some(true),
                Property::All => true,
                Property::None => false,
            },
        }
    }

    /// Every glob predicate, for checking that each matches something.
    pub(crate) fn globs(&self) -> Vec<(Field, &Glob)> {
        match self {
            Expr::Or(a, b) | Expr::And(a, b) => {
                let mut v = a.globs();
                v.extend(b.globs());
                v
            }
            Expr::Not(a) => a.globs(),
            Expr::Match(field, glob) => vec![(*field, glob)],
            Expr::Is(_) => Vec::new(),
        }
    }

    /// Whether the expression reads the reference bundle.
    pub(crate) fn uses_mismatched(&self) -> bool {
        match self {
            Expr::Or(a, b) | Expr::And(a, b) => a.uses_mismatched() || b.uses_mismatched(),
            Expr::Not(a) => a.uses_mismatched(),
            Expr::Match(..) => false,
            Expr::Is(p) => *p == Property::Mismatched,
        }
    }
}

struct Parser<'a> {
    text: &'a str,
    at: usize,
}

impl Parser<'_> {
    fn error(&self, message: impl Into<String>) -> SyntaxError {
        SyntaxError {
            at: self.at,
            message: message.into(),
        }
    }

    fn rest(&self) -> &str {
        &self.text[self.at..]
    }

    fn skip_space(&mut self) {
        let rest = self.rest();
        self.at += rest.len() - rest.trim_start().len();
    }

    /// The word (or single character) at the cursor, for messages.
    fn rest_word(&self) -> &str {
        let rest = self.rest();
        let end = rest
            .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-'))
            .unwrap_or(rest.len());
        if end == 0 {
            rest.chars().next().map_or("", |c| &rest[..c.len_utf8()])
        } else {
            &rest[..end]
        }
    }

    /// Consumes `symbol` or the keyword `word` (followed by a non-identifier character).
    fn eat(&mut self, symbol: char, word: &str) -> bool {
        self.skip_space();
        if self.rest().starts_with(symbol) {
            self.at += 1;
            return true;
        }
        if self.rest_word() == word {
            self.at += word.len();
            return true;
        }
        false
    }

    fn or(&mut self) -> Result<Expr, SyntaxError> {
        let mut left = self.and()?;
        while self.eat('|', "or") {
            left = Expr::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr, SyntaxError> {
        let mut left = self.unary()?;
        while self.eat('&', "and") {
            left = Expr::And(Box::new(left), Box::new(self.unary()?));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Expr, SyntaxError> {
        if self.eat('!', "not") {
            return Ok(Expr::Not(Box::new(self.unary()?)));
        }
        self.skip_space();
        if self.rest().starts_with('(') {
            self.at += 1;
            let inner = self.or()?;
            self.skip_space();
            if !self.rest().starts_with(')') {
                return Err(self.error("expected `)`"));
            }
            self.at += 1;
            return Ok(inner);
        }
        self.predicate()
    }

    fn predicate(&mut self) -> Result<Expr, SyntaxError> {
        let start = self.at;
        let word = self.rest_word().to_string();
        if word.is_empty() {
            return Err(self.error("expected a predicate such as `profile(GLOB)`"));
        }
        if let Some((_, field)) = FIELDS.iter().find(|(name, _)| *name == word) {
            self.at += word.len();
            self.skip_space();
            if !self.rest().starts_with('(') {
                return Err(self.error(format!("expected `(` after `{word}`: {word}(GLOB)")));
            }
            self.at += 1;
            let glob = self.glob()?;
            self.skip_space();
            if !self.rest().starts_with(')') {
                return Err(self.error(format!("expected `)` to close `{word}(`")));
            }
            self.at += 1;
            return Ok(Expr::Match(*field, glob));
        }
        if let Some((_, property)) = PROPERTIES.iter().find(|(name, _)| *name == word) {
            self.at += word.len();
            return Ok(Expr::Is(*property));
        }
        let known: Vec<&str> = FIELDS
            .iter()
            .map(|(n, _)| *n)
            .chain(PROPERTIES.iter().map(|(n, _)| *n))
            .collect();
        let mut message = format!("unknown predicate `{word}`");
        if let Some(near) = crate::diagnostics::did_you_mean(&word, known.iter().copied()) {
            message.push_str(&format!(" (did you mean `{near}`?)"));
        }
        message.push_str(&format!("; predicates: {}", known.join(", ")));
        Err(SyntaxError { at: start, message })
    }

    /// A glob: `"…"` (with `\"` and `\\`) or a bare run of characters up to `)`.
    fn glob(&mut self) -> Result<Glob, SyntaxError> {
        self.skip_space();
        let start = self.at;
        let pattern = if self.rest().starts_with('"') {
            let mut out = String::new();
            let mut chars = self.rest()[1..].char_indices();
            loop {
                match chars.next() {
                    Some((i, '"')) => {
                        self.at += i + 2;
                        break out;
                    }
                    Some((_, '\\')) => match chars.next() {
                        Some((_, c)) => out.push(c),
                        None => return Err(self.error("unterminated string")),
                    },
                    Some((_, c)) => out.push(c),
                    None => return Err(self.error("unterminated string")),
                }
            }
        } else {
            // Braces may hold commas and parentheses do not nest in names: stop at the first
            // `)` outside braces.
            let mut depth = 0usize;
            let end = self
                .rest()
                .char_indices()
                .find(|&(_, c)| match c {
                    '{' => {
                        depth += 1;
                        false
                    }
                    '}' => {
                        depth = depth.saturating_sub(1);
                        false
                    }
                    ')' => depth == 0,
                    _ => false,
                })
                .map_or(self.rest().len(), |(i, _)| i);
            let word = self.rest()[..end].trim_end().to_string();
            self.at += word.len();
            word
        };
        if pattern.is_empty() {
            return Err(SyntaxError {
                at: start,
                message: "expected a glob (a name, or a pattern such as `v1_*`)".into(),
            });
        }
        Ok(Glob {
            pattern,
            at: (start, self.at - start),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Expr, SyntaxError> {
        text.parse::<Filter>().map(|f| f.expr)
    }

    fn pair<'a>(profile: &'a str, probe: &'a str) -> Pair<'a> {
        Pair {
            profile,
            probe,
            family: "file-read",
            expected: true,
            known: false,
            control: false,
            destructive: false,
            mismatched: Some(false),
        }
    }

    #[test]
    fn and_binds_tighter_than_or_and_not_tighter_than_and() {
        let e = parse("profile(a) & probe(x) | !probe(y) and family(file-*)").unwrap();
        assert!(e.matches(&pair("a", "x")));
        assert!(e.matches(&pair("b", "z")), "!probe(y) & family(file-*)");
        assert!(!e.matches(&pair("b", "y")));
        let grouped = parse("profile(a) & (probe(x) | probe(y))").unwrap();
        assert!(grouped.matches(&pair("a", "y")));
        assert!(!grouped.matches(&pair("b", "y")));
    }

    #[test]
    fn globs_are_bare_or_quoted_and_may_hold_braces() {
        let e = parse(r#"probe({read,write}-hosts) & profile("v1 \"x\"")"#).unwrap();
        assert!(e.matches(&pair("v1 \"x\"", "write-hosts")));
        assert!(!e.matches(&pair("v1 \"x\"", "cat-hosts")));
        assert!(
            parse("id(v1_*/read-*)")
                .unwrap()
                .matches(&pair("v1_a", "read-foo"))
        );
    }

    #[test]
    fn properties_need_no_argument() {
        let mut p = pair("a", "b");
        assert!(parse("expected & !known").unwrap().matches(&p));
        p.mismatched = Some(true);
        assert!(parse("mismatched").unwrap().matches(&p));
        p.mismatched = None;
        assert!(!parse("mismatched").unwrap().matches(&p));
        assert!(parse("all & !none").unwrap().matches(&p));
    }

    #[test]
    fn syntax_errors_say_where_and_what() {
        for (text, at, needle) in [
            ("profle(a)", 0, "did you mean `profile`"),
            ("profile a", 8, "expected `(`"),
            ("profile(a", 9, "expected `)` to close"),
            ("profile()", 8, "expected a glob"),
            ("(probe(x)", 9, "expected `)`"),
            ("probe(x) probe(y)", 9, "join predicates"),
            ("probe(x) &", 10, "expected a predicate"),
            ("probe(\"x)", 6, "unterminated"),
        ] {
            let e = parse(text).expect_err(text);
            assert_eq!(e.at, at, "{text}: {e}");
            assert!(e.message.contains(needle), "{text}: {e}");
        }
    }
}
