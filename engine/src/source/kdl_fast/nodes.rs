//! Documents, nodes, entries, type annotations, children blocks and slashdash, in the order
//! and with the spans of the `kdl` crate's KDL 2 parser: a node spans its type and name to
//! after its last node-space (children and slashdashed parts included), an entry spans its
//! key or type through its value, an identifier its string (quotes included), a document
//! (and a children block) its first node to the end of its last.

use std::ops::Range;

use kdl::{KdlDocument, KdlEntry, KdlEntryFormat, KdlIdentifier, KdlNode, KdlValue};

use super::cursor::{Cursor, MAX_DEPTH, Step, Stop, cut};
use super::numbers::{keyword, number};
use super::space::{line_space, node_space, node_space0, node_space1, node_terminator, slashdash};
use super::strings::string;

/// `nodes := (line-space* node)* line-space*`, up to a `}` or the end of the text.
pub(super) fn nodes(c: &mut Cursor<'_>) -> Step<KdlDocument> {
    let mut doc = KdlDocument::new();
    leading(c)?;
    let start = c.pos;
    let mut end = start;
    if !at_block_end(c) {
        base_node(c, doc.nodes_mut())?;
        end = c.pos;
        while c.attempt(node_terminator)?.is_some() {
            if c.depth == 0 {
                c.settled = c.pos;
            }
            leading(c)?;
            if at_block_end(c) {
                // No node after this terminator: what was read is the block's trailing space.
                // The reference parser rewinds and reads it a second time, to the same place,
                // which made nested trailing slashdashed blocks exponential.
                break;
            }
            base_node(c, doc.nodes_mut())?;
            end = c.pos;
        }
    }
    leading(c)?;
    doc.set_span(start..end);
    Ok(doc)
}

/// `}` or the end of the text, where no node can start.
fn at_block_end(c: &Cursor<'_>) -> bool {
    c.at_eof() || c.at_byte(b'}')
}

/// `(line-space | slashdash base-node)*`: what may precede a node (or end a block).
fn leading(c: &mut Cursor<'_>) -> Step<()> {
    c.many(|c| {
        if c.attempt(line_space)?.is_some() {
            return Ok(());
        }
        slashdash(c)?;
        base_node(c, &mut Vec::new())
    })
    .map(|_| ())
}

/// `base-node`: type, name, entries, children and slashdashed parts, and trailing node-space;
/// the node is added to `out` (built in place: a `KdlNode` is large).
fn base_node(c: &mut Cursor<'_>, out: &mut Vec<KdlNode>) -> Step<()> {
    if at_block_end(c) {
        return Err(Stop::Back);
    }
    let start = c.pos;
    if c.at_byte(b'{') {
        return Err(Stop::Cut);
    }
    let ty = c.attempt(ty)?;
    node_space0(c)?;
    let name = cut(identifier(c))?;
    out.push(KdlNode::new(name));
    let node = out.last_mut().expect("just pushed");
    if let Some(ty) = ty {
        node.set_ty(ty);
    }
    let mark = c.entries.len();
    loop {
        let save = c.pos;
        if !c.lookahead(node_space1)? {
            break;
        }
        match c.attempt(node_entry)? {
            Some(entry) => c.entries.push(entry),
            None => {
                c.pos = save;
                break;
            }
        }
    }
    if c.entries.len() > mark {
        let entries = node.entries_mut();
        entries.reserve_exact(c.entries.len() - mark);
        entries.extend(c.entries.drain(mark..).map(|e| e.build(c.text)));
    }
    // Without a children block, the reference parser rewinds and reads the same slashdashed
    // parts again, to the same place; they are read once here.
    before_node_children(c)?;
    if c.at_byte(b'{') {
        let children = node_children(c)?;
        node.set_children(children);
        c.attempt(slashdashed_children)?;
    }
    node_space0(c)?;
    node.set_span(start..c.pos);
    Ok(())
}

/// `'{' nodes '}'`.
fn node_children(c: &mut Cursor<'_>) -> Step<KdlDocument> {
    if !c.eat_byte(b'{') {
        return Err(Stop::Back);
    }
    c.depth += 1;
    if c.depth > MAX_DEPTH {
        return Err(Stop::Cut);
    }
    let doc = nodes(c)?;
    c.depth -= 1;
    if !c.eat_byte(b'}') {
        return Err(Stop::Cut);
    }
    Ok(doc)
}

/// Slashdashed entries and children blocks between the entries and the children (or the end).
fn before_node_children(c: &mut Cursor<'_>) -> Step<()> {
    let p0 = c.pos;
    if c.attempt(node_space1)?.is_some() {
        let p1 = c.pos;
        if c.attempt(slashdashed_entries)?.is_some() {
            let p2 = c.pos;
            let both = c.attempt(|c| {
                node_space1(c)?;
                slashdashed_children(c)
            })?;
            if both.is_none() {
                c.pos = p2;
            }
        } else if c.attempt(slashdashed_children)?.is_none() {
            c.pos = p1;
        }
    } else {
        c.pos = p0;
    }
    node_space0(c)
}

/// `(slashdash node-entry)` separated by node-space, at least one.
fn slashdashed_entries(c: &mut Cursor<'_>) -> Step<()> {
    slashdash(c)?;
    node_entry(c)?;
    loop {
        let more = c.attempt(|c| {
            node_space1(c)?;
            slashdash(c)?;
            node_entry(c).map(|_| ())
        })?;
        if more.is_none() {
            return Ok(());
        }
    }
}

/// `node-space* (slashdash node-children)` separated by node-space, at least one.
fn slashdashed_children(c: &mut Cursor<'_>) -> Step<()> {
    node_space0(c)?;
    slashdash(c)?;
    node_children(c)?;
    loop {
        let more = c.attempt(|c| {
            node_space1(c)?;
            slashdash(c)?;
            node_children(c).map(|_| ())
        })?;
        if more.is_none() {
            return Ok(());
        }
    }
}

/// An entry as read; the `KdlEntry` (a large value) is built only for entries that are kept.
pub(super) struct Entry {
    name: Option<KdlIdentifier>,
    ty: Option<KdlIdentifier>,
    value: KdlValue,
    /// The value's source text (`format().value_repr`).
    repr: Range<usize>,
    span: Range<usize>,
}

impl Entry {
    fn build(self, text: &str) -> KdlEntry {
        let mut entry = KdlEntry::new(self.value);
        if let Some(ty) = self.ty {
            entry.set_ty(ty);
        }
        entry.set_name(self.name);
        entry.set_format(KdlEntryFormat {
            value_repr: text[self.repr].to_string(),
            ..Default::default()
        });
        entry.set_span(self.span);
        entry
    }
}

/// `node-prop-or-arg`, after optional node-space and slashdashed entries.
fn node_entry(c: &mut Cursor<'_>) -> Step<Entry> {
    c.depth += 1;
    if c.depth > MAX_DEPTH {
        return Err(Stop::Cut);
    }
    let entry = node_entry_inner(c);
    c.depth -= 1;
    entry
}

fn node_entry_inner(c: &mut Cursor<'_>) -> Step<Entry> {
    node_space0(c)?;
    c.attempt(|c| {
        slashdashed_entries(c)?;
        node_space1(c)
    })?;
    let start = c.pos;
    let mut entry = match c.attempt(string_at)? {
        Some((key, key_span)) => {
            let is_prop = c.attempt(|c| {
                node_space0(c)?;
                if c.eat_byte(b'=') {
                    Ok(())
                } else {
                    Err(Stop::Back)
                }
            })?;
            if is_prop.is_some() {
                node_space0(c)?;
                let mut entry = cut(value(c))?;
                entry.name = Some(identifier_of(c.text, key, key_span));
                entry
            } else {
                // A bare or quoted string argument.
                Entry {
                    name: None,
                    ty: None,
                    value: KdlValue::String(key),
                    repr: key_span.clone(),
                    span: key_span,
                }
            }
        }
        None => value(c)?,
    };
    entry.span = start..c.pos;
    Ok(entry)
}

/// `value := type? node-space* (keyword | number | string)`.
fn value(c: &mut Cursor<'_>) -> Step<Entry> {
    let start = c.pos;
    let ty = c.attempt(|c| {
        let ty = ty(c)?;
        node_space0(c)?;
        Ok(ty)
    })?;
    let value_start = c.pos;
    let value = if c.at_byte(b'#') {
        match c.attempt(keyword)? {
            Some(v) => v,
            None => KdlValue::String(string(c)?),
        }
    } else {
        match c.attempt(number)? {
            Some(v) => v,
            None => KdlValue::String(string(c)?),
        }
    };
    Ok(Entry {
        name: None,
        ty,
        value,
        repr: value_start..c.pos,
        span: start..c.pos,
    })
}

/// `type := '(' node-space* string node-space* ')'`.
fn ty(c: &mut Cursor<'_>) -> Step<KdlIdentifier> {
    if !c.eat_byte(b'(') {
        return Err(Stop::Back);
    }
    node_space0(c)?;
    let name = cut(identifier(c))?;
    if !(c.at_byte(b')') || c.lookahead(node_space)?) {
        return Err(Stop::Cut);
    }
    node_space0(c)?;
    if !c.eat_byte(b')') {
        return Err(Stop::Back);
    }
    Ok(name)
}

/// A string and where it is in the text (quotes included).
fn string_at(c: &mut Cursor<'_>) -> Step<(String, Range<usize>)> {
    let start = c.pos;
    let value = string(c)?;
    Ok((value, start..c.pos))
}

/// A string as an identifier: its value, its source text and span.
fn identifier(c: &mut Cursor<'_>) -> Step<KdlIdentifier> {
    let (value, span) = string_at(c)?;
    Ok(identifier_of(c.text, value, span))
}

fn identifier_of(text: &str, value: String, span: Range<usize>) -> KdlIdentifier {
    let mut id = KdlIdentifier::from(value);
    id.set_repr(&text[span.clone()]);
    id.set_span(span);
    id
}
