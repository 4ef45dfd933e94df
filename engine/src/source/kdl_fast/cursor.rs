//! A position in the text and the two ways a parse step fails, as in the `kdl` crate's
//! combinators: `Back` lets an enclosing alternative try something else, `Cut` ends the parse
//! (the reference parser would report an error there, so the fast parser declines).

use super::nodes::Entry;

/// Why a step did not match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Stop {
    /// Not this construct; the caller may rewind and try another.
    Back,
    /// Invalid KDL here: the whole parse is declined.
    Cut,
}

pub(super) type Step<T> = Result<T, Stop>;

/// Children blocks and slashdashed entries nested deeper than this are declined (the loader
/// refuses more than 64 nested blocks before parsing; this only bounds the recursion).
pub(super) const MAX_DEPTH: usize = 128;

pub(super) struct Cursor<'a> {
    pub(super) text: &'a str,
    pub(super) pos: usize,
    /// Current recursion depth (children blocks and nested slashdashed entries).
    pub(super) depth: usize,
    /// Where the text after the last complete top-level node and its terminator starts: what
    /// comes before is valid KDL, so a syntax report needs only what follows.
    pub(super) settled: usize,
    /// The entries of the nodes being read, innermost node last: counted before a node's
    /// `Vec<KdlEntry>` is allocated, once, at its size.
    pub(super) entries: Vec<Entry>,
}

impl<'a> Cursor<'a> {
    pub(super) fn new(text: &'a str) -> Self {
        Cursor {
            text,
            pos: 0,
            depth: 0,
            settled: 0,
            entries: Vec::new(),
        }
    }

    pub(super) fn rest(&self) -> &'a str {
        &self.text[self.pos..]
    }

    pub(super) fn at_eof(&self) -> bool {
        self.pos >= self.text.len()
    }

    pub(super) fn byte(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    pub(super) fn peek(&self) -> Option<char> {
        match self.byte() {
            Some(b) if b.is_ascii() => Some(b as char),
            Some(_) => self.rest().chars().next(),
            None => None,
        }
    }

    pub(super) fn at(&self, s: &str) -> bool {
        self.rest().starts_with(s)
    }

    pub(super) fn at_byte(&self, b: u8) -> bool {
        self.byte() == Some(b)
    }

    /// Consumes `s` if the text continues with it.
    pub(super) fn eat(&mut self, s: &str) -> bool {
        if self.at(s) {
            self.pos += s.len();
            true
        } else {
            false
        }
    }

    pub(super) fn eat_byte(&mut self, b: u8) -> bool {
        if self.at_byte(b) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    pub(super) fn bump(&mut self, c: char) {
        self.pos += c.len_utf8();
    }

    pub(super) fn slice(&self, from: usize) -> &'a str {
        &self.text[from..self.pos]
    }

    /// Runs `step`; on `Back` rewinds and yields `None` (winnow's `opt`).
    pub(super) fn attempt<T>(
        &mut self,
        step: impl FnOnce(&mut Self) -> Step<T>,
    ) -> Step<Option<T>> {
        let save = self.pos;
        match step(self) {
            Ok(v) => Ok(Some(v)),
            Err(Stop::Back) => {
                self.pos = save;
                Ok(None)
            }
            Err(Stop::Cut) => Err(Stop::Cut),
        }
    }

    /// Whether `step` matches here, without consuming anything (winnow's `peek`).
    pub(super) fn lookahead(&mut self, step: impl FnOnce(&mut Self) -> Step<()>) -> Step<bool> {
        let save = self.pos;
        let r = step(self);
        self.pos = save;
        match r {
            Ok(()) => Ok(true),
            Err(Stop::Back) => Ok(false),
            Err(Stop::Cut) => Err(Stop::Cut),
        }
    }

    /// Runs `step` as often as it matches (winnow's `repeat(0..)`); how many times it did.
    pub(super) fn many(&mut self, mut step: impl FnMut(&mut Self) -> Step<()>) -> Step<usize> {
        let mut n = 0;
        while self.attempt(&mut step)?.is_some() {
            n += 1;
        }
        Ok(n)
    }
}

/// `Back` becomes `Cut` (winnow's `cut_err`).
pub(super) fn cut<T>(r: Step<T>) -> Step<T> {
    r.map_err(|_| Stop::Cut)
}
