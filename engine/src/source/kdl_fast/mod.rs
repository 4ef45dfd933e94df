//! A fast KDL 2 parser that builds the `kdl` crate's own types with the `kdl` crate's spans.
//!
//! `kdl`'s parser keeps every byte of formatting and reports errors well, but reads well under
//! a megabyte a second, which made a large experiment (or 200,000 lines of mistakes) take
//! seconds to load. This parser follows the same grammar, in the same order of alternatives,
//! so a text it accepts gives the same nodes, entries, values, identifiers and spans, and
//! `format().value_repr` (the value's source text, which diagnostics point at). It keeps no
//! other formatting: its documents are read, never printed. On anything that is not valid
//! KDL 2 it declines, and the caller asks `kdl` again, which stays the reference for syntax
//! diagnostics. The differential tests compare the two on the repository's files, on a case
//! for every grammar feature and on random token soup.

mod chars;
mod cursor;
mod nodes;
mod numbers;
mod space;
mod strings;

#[cfg(test)]
mod differential;

use kdl::{KdlDocument, KdlError};

use cursor::Cursor;

/// The text is not valid KDL 2 (or nests deeper than this parser recurses): ask `kdl`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Declined {
    /// Everything before this offset is complete top-level nodes: valid KDL on its own, so
    /// `kdl` need only read the text from here to report the errors (it starts after a node
    /// terminator, where a document may start).
    pub settled: usize,
}

/// Parses `text` as KDL 2, or declines.
pub(crate) fn parse(text: &str) -> Result<KdlDocument, Declined> {
    let mut c = Cursor::new(text);
    c.eat("\u{FEFF}");
    let parsed = nodes::nodes(&mut c);
    let declined = Declined { settled: c.settled };
    match parsed {
        Ok(doc) if c.at_eof() => Ok(doc),
        _ => Err(declined),
    }
}

/// The fast parser, or `kdl` for text it declines (with `kdl`'s errors): for the small
/// embedded files parsed outside the loader, which nest too little to need its stack.
pub(crate) fn parse_or_reference(text: &str) -> Result<KdlDocument, KdlError> {
    parse(text).or_else(|_| KdlDocument::parse(text))
}
