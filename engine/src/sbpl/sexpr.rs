//! Reader: tokens → S-expression trees with byte spans.

use super::error::{ErrorKind, SbplError};
use super::lexer::{LexWarning, Token, TokenKind, lex};

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Datum {
    List(Vec<Node>),
    Symbol(String),
    Str(String),
    /// `#"…"`, kept apart from `Str` only so printing can reproduce the raw form.
    RawStr(String),
    Number {
        value: i64,
        raw: String,
    },
    Bool(bool),
    Quote(Box<Node>),
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Node {
    pub datum: Datum,
    /// Byte offset and length in the file it was read from.
    pub span: (usize, usize),
}

impl Node {
    pub(crate) fn as_symbol(&self) -> Option<&str> {
        match &self.datum {
            Datum::Symbol(s) => Some(s),
            _ => None,
        }
    }

    pub(crate) fn as_list(&self) -> Option<&[Node]> {
        match &self.datum {
            Datum::List(items) => Some(items),
            _ => None,
        }
    }
}

/// Reads every top-level form of a file, with the lexer's warnings.
pub(crate) fn read(text: &str) -> Result<(Vec<Node>, Vec<LexWarning>), Box<SbplError>> {
    let (tokens, warnings) = lex(text)?;
    let mut reader = Reader {
        tokens,
        pos: 0,
        depth: 0,
    };
    let mut forms = Vec::new();
    while reader.pos < reader.tokens.len() {
        forms.push(reader.node()?);
    }
    Ok((forms, warnings))
}

/// Deepest list nesting accepted (real profiles nest fewer than 10 levels); deeper input is an
/// error instead of a stack overflow.
const MAX_NESTING: usize = 64;

struct Reader {
    tokens: Vec<Token>,
    pos: usize,
    depth: usize,
}

impl Reader {
    fn node(&mut self) -> Result<Node, Box<SbplError>> {
        let token = self.tokens[self.pos].clone();
        self.pos += 1;
        let span = (token.start, token.end - token.start);
        let datum = match token.kind {
            TokenKind::Open => {
                if self.depth >= MAX_NESTING {
                    return Err(SbplError::at(
                        ErrorKind::Limit,
                        span,
                        format!("lists nest deeper than {MAX_NESTING} levels"),
                        "too deep",
                        Some("flatten the profile; real profiles nest a few levels"),
                    ));
                }
                self.depth += 1;
                let mut items = Vec::new();
                loop {
                    match self.tokens.get(self.pos) {
                        None => {
                            return Err(SbplError::at(
                                ErrorKind::Syntax,
                                span,
                                "unclosed `(`",
                                "this list is never closed",
                                Some("add the missing `)`"),
                            ));
                        }
                        Some(t) if t.kind == TokenKind::Close => {
                            let end = t.end;
                            self.pos += 1;
                            self.depth -= 1;
                            return Ok(Node {
                                datum: Datum::List(items),
                                span: (token.start, end - token.start),
                            });
                        }
                        Some(_) => items.push(self.node()?),
                    }
                }
            }
            TokenKind::Close => {
                return Err(SbplError::at(
                    ErrorKind::Syntax,
                    span,
                    "unexpected `)`",
                    "no list is open here",
                    Some("remove this `)` or add the matching `(` before it"),
                ));
            }
            TokenKind::Quote => {
                if self.pos >= self.tokens.len() {
                    return Err(SbplError::at(
                        ErrorKind::Syntax,
                        span,
                        "`'` at end of file",
                        "nothing to quote",
                        Some("remove the `'` or add the datum it quotes"),
                    ));
                }
                let inner = self.node()?;
                let end = inner.span.0 + inner.span.1;
                return Ok(Node {
                    datum: Datum::Quote(Box::new(inner)),
                    span: (token.start, end - token.start),
                });
            }
            TokenKind::Str(s) => Datum::Str(s),
            TokenKind::RawStr(s) => Datum::RawStr(s),
            TokenKind::Bool(b) => Datum::Bool(b),
            TokenKind::Number { value, raw } => Datum::Number { value, raw },
            TokenKind::Symbol(s) => Datum::Symbol(s),
        };
        Ok(Node { datum, span })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_lists_keep_spans() {
        let (forms, _) = read("(allow file-read* (subpath \"/tmp\"))").unwrap();
        assert_eq!(forms.len(), 1);
        assert_eq!(forms[0].span, (0, 35));
        let items = forms[0].as_list().unwrap();
        assert_eq!(items[2].as_list().unwrap()[0].as_symbol(), Some("subpath"));
        assert_eq!(items[2].span, (18, 16));
    }

    #[test]
    fn unclosed_list_points_at_its_open_paren() {
        let err = read("(version 1)\n(allow file-read*\n").unwrap_err();
        assert_eq!(err.span, (12, 1));
    }
}
