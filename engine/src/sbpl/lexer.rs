//! Lexer for SBPL's Scheme syntax (TinyScheme dialect plus Apple's `#"…"` raw regex strings).
//!
//! Comments (`;` to end of line, `#| … |#` nested) are skipped. Every token carries its byte span.

use super::error::{ErrorKind, SbplError};

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum TokenKind {
    Open,
    Close,
    Quote,
    /// `"…"` with escapes already processed.
    Str(String),
    /// `#"…"`: raw text, no escapes (Apple's regex literal).
    RawStr(String),
    Bool(bool),
    /// An integer; `raw` keeps the spelling (`#o0004`) so emitted SBPL reads the same.
    Number {
        value: i64,
        raw: String,
    },
    Symbol(String),
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Token {
    pub kind: TokenKind,
    pub start: usize,
    pub end: usize,
}

/// Characters that end an atom.
fn is_delimiter(c: char) -> bool {
    c.is_whitespace() || matches!(c, '(' | ')' | '"' | ';' | '\'')
}

/// Something legal that probably does not mean what the author intended.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct LexWarning {
    pub span: (usize, usize),
    pub message: String,
    pub help: &'static str,
}

pub(crate) fn lex(text: &str) -> Result<(Vec<Token>, Vec<LexWarning>), Box<SbplError>> {
    let mut lexer = Lexer {
        text,
        pos: 0,
        tokens: Vec::new(),
        warnings: Vec::new(),
    };
    lexer.run()?;
    Ok((lexer.tokens, lexer.warnings))
}

struct Lexer<'t> {
    text: &'t str,
    pos: usize,
    tokens: Vec<Token>,
    warnings: Vec<LexWarning>,
}

impl Lexer<'_> {
    fn peek(&self) -> Option<char> {
        self.text[self.pos..].chars().next()
    }

    fn peek2(&self) -> Option<char> {
        self.text[self.pos..].chars().nth(1)
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn push(&mut self, kind: TokenKind, start: usize) {
        self.tokens.push(Token {
            kind,
            start,
            end: self.pos,
        });
    }

    fn run(&mut self) -> Result<(), Box<SbplError>> {
        while let Some(c) = self.peek() {
            let start = self.pos;
            match c {
                c if c.is_whitespace() => {
                    self.bump();
                }
                ';' => {
                    while let Some(c) = self.bump() {
                        if c == '\n' {
                            break;
                        }
                    }
                }
                '(' | '[' => {
                    self.bump();
                    self.push(TokenKind::Open, start);
                }
                ')' | ']' => {
                    self.bump();
                    self.push(TokenKind::Close, start);
                }
                '\'' => {
                    self.bump();
                    self.push(TokenKind::Quote, start);
                }
                '"' => {
                    self.bump();
                    let s = self.string(start)?;
                    self.push(TokenKind::Str(s), start);
                }
                '#' => self.hash(start)?,
                _ => {
                    let atom = self.atom();
                    let kind = match atom.parse::<i64>() {
                        Ok(value) => TokenKind::Number { value, raw: atom },
                        Err(_) => TokenKind::Symbol(atom),
                    };
                    self.push(kind, start);
                }
            }
        }
        Ok(())
    }

    fn atom(&mut self) -> String {
        let start = self.pos;
        while let Some(c) = self.peek() {
            if is_delimiter(c) {
                break;
            }
            self.bump();
        }
        self.text[start..self.pos].to_string()
    }

    /// A `"…"` string after its opening quote. Escapes follow TinyScheme: `\n \t \r \" \\`,
    /// `\xHH`, and any other escaped character stands for itself.
    fn string(&mut self, start: usize) -> Result<String, Box<SbplError>> {
        let mut out = String::new();
        loop {
            match self.bump() {
                None => {
                    return Err(SbplError::at(
                        ErrorKind::Syntax,
                        (start, 1),
                        "unterminated string",
                        "this string is never closed",
                        Some("add the closing `\"`"),
                    ));
                }
                Some('"') => return Ok(out),
                Some('\\') => match self.bump() {
                    Some('n') => out.push('\n'),
                    Some('t') => out.push('\t'),
                    Some('r') => out.push('\r'),
                    Some('x') | Some('X') => {
                        let hex_start = self.pos;
                        while self.peek().is_some_and(|c| c.is_ascii_hexdigit()) {
                            self.bump();
                        }
                        let hex = &self.text[hex_start..self.pos];
                        if self.peek() == Some(';') {
                            self.bump();
                        }
                        match u32::from_str_radix(hex, 16).ok().and_then(char::from_u32) {
                            Some(c) => out.push(c),
                            None => {
                                return Err(SbplError::at(
                                    ErrorKind::Syntax,
                                    (hex_start - 2, self.pos - hex_start + 2),
                                    "invalid `\\x` escape in string",
                                    "not a hexadecimal character code",
                                    Some(
                                        "write `\\x41;` for `A`, or `\\\\x` for a literal backslash",
                                    ),
                                ));
                            }
                        }
                    }
                    Some(c) => {
                        if c != '"' && c != '\\' {
                            self.warnings.push(LexWarning {
                                span: (self.pos - 1 - c.len_utf8(), 1 + c.len_utf8()),
                                message: format!(
                                    "`\\{c}` in a \"…\" string reads as `{c}` (the backslash is dropped)"
                                ),
                                help: "write regexes as #\"…\" literals, which keep backslashes",
                            });
                        }
                        out.push(c)
                    }
                    None => continue,
                },
                Some(c) => out.push(c),
            }
        }
    }

    fn hash(&mut self, start: usize) -> Result<(), Box<SbplError>> {
        match self.peek2() {
            Some('"') => {
                self.bump();
                self.bump();
                let body_start = self.pos;
                loop {
                    match self.bump() {
                        None => {
                            return Err(SbplError::at(
                                ErrorKind::Syntax,
                                (start, 2),
                                "unterminated regex literal",
                                "this `#\"` is never closed",
                                Some("add the closing `\"`; `#\"…\"` literals cannot contain `\"`"),
                            ));
                        }
                        Some('"') => break,
                        Some(_) => {}
                    }
                }
                let body = self.text[body_start..self.pos - 1].to_string();
                self.push(TokenKind::RawStr(body), start);
                Ok(())
            }
            Some('|') => {
                self.bump();
                self.bump();
                let mut depth = 1;
                while depth > 0 {
                    match self.bump() {
                        None => {
                            return Err(SbplError::at(
                                ErrorKind::Syntax,
                                (start, 2),
                                "unterminated block comment",
                                "this `#|` is never closed",
                                Some("close it with `|#`"),
                            ));
                        }
                        Some('|') if self.peek() == Some('#') => {
                            self.bump();
                            depth -= 1;
                        }
                        Some('#') if self.peek() == Some('|') => {
                            self.bump();
                            depth += 1;
                        }
                        Some(_) => {}
                    }
                }
                Ok(())
            }
            _ => {
                self.bump();
                let atom = self.atom();
                let kind = match atom.as_str() {
                    "t" | "true" => Some(TokenKind::Bool(true)),
                    "f" | "false" => Some(TokenKind::Bool(false)),
                    _ => radix_number(&atom).map(|value| TokenKind::Number {
                        value,
                        raw: format!("#{atom}"),
                    }),
                };
                match kind {
                    Some(kind) => {
                        self.push(kind, start);
                        Ok(())
                    }
                    None => Err(self.bad_hash(start, &atom)),
                }
            }
        }
    }

    fn bad_hash(&self, start: usize, atom: &str) -> Box<SbplError> {
        let at_line_start = self.text[..start]
            .rsplit('\n')
            .next()
            .is_some_and(|l| l.trim().is_empty());
        let directive = matches!(
            atom,
            "if" | "ifdef" | "ifndef" | "include" | "import" | "endif" | "else" | "elif" | "define"
        );
        if at_line_start && directive {
            SbplError::at(
                ErrorKind::Preprocessor,
                (start, 1 + atom.len()),
                format!("C preprocessor directive `#{atom}` in an SBPL file"),
                "SBPL has no preprocessor",
                Some("this is a template: run it through the C preprocessor (`cpp -P`) first"),
            )
        } else {
            SbplError::at(
                ErrorKind::Syntax,
                (start, 1 + atom.len()),
                format!("unknown `#` syntax `#{atom}`"),
                "not a boolean, number, `#\"…\"` regex or `#|` comment",
                Some("booleans are `#t`/`#f`, octal numbers `#o644`, regexes `#\"^/tmp/\"`"),
            )
        }
    }
}

fn radix_number(atom: &str) -> Option<i64> {
    let (radix, digits) = match atom.get(..1)? {
        "o" => (8, &atom[1..]),
        "x" => (16, &atom[1..]),
        "b" => (2, &atom[1..]),
        "d" => (10, &atom[1..]),
        _ => return None,
    };
    i64::from_str_radix(digits, radix).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<TokenKind> {
        lex(text).unwrap().0.into_iter().map(|t| t.kind).collect()
    }

    #[test]
    fn strings_regexes_and_comments() {
        let k = kinds("(regex #\"^/a\\\\.b\" \"x\\\"y\\.z\") ; c\n#| a #| nested |# |# #o0004 #t");
        assert_eq!(
            k,
            vec![
                TokenKind::Open,
                TokenKind::Symbol("regex".into()),
                TokenKind::RawStr("^/a\\\\.b".into()),
                TokenKind::Str("x\"y.z".into()),
                TokenKind::Close,
                TokenKind::Number {
                    value: 4,
                    raw: "#o0004".into()
                },
                TokenKind::Bool(true),
            ]
        );
    }

    #[test]
    fn dropped_backslash_is_a_warning() {
        let (_, warnings) = lex("(regex \"ss\\.cfg\")").unwrap();
        assert_eq!(warnings.len(), 1);
        assert_eq!(warnings[0].span, (10, 2));
    }

    #[test]
    fn preprocessor_line_is_named() {
        let err = lex("(version 1)\n#if ENABLE(X)\n").unwrap_err();
        assert_eq!(err.kind, ErrorKind::Preprocessor);
        assert_eq!(err.span, (12, 3));
    }
}
