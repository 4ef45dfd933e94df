//! Documents, nodes, entries, type annotations, children blocks and slashdash, in the order
//! and with the spans of the `kdl` crate's KDL 2 parser: a node spans its type and name to
//! after its last node-space (children and slashdashed parts included), an entry spans its
//! key or type through its value, an identifier its string (quotes included), a document
//! (and a children block) its first node to the end of its last.

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
        let node = base_node(c)?;
        doc.nodes_mut().push(node);
        end = c.pos;
        while c.attempt(node_terminator)?.is_some() {
            leading(c)?;
            if at_block_end(c) {
                // No node after this terminator: what was read is the block's trailing space.
                // The reference parser rewinds and reads it a second time, to the same place,
                // which made nested trailing slashdashed blocks exponential.
                break;
            }
            let node = base_node(c)?;
            doc.nodes_mut().push(node);
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
        base_node(c).map(|_| ())
    })
    .map(|_| ())
}

/// `base-node`: type, name, entries, children and slashdashed parts, and trailing node-space.
fn base_node(c: &mut Cursor<'_>) -> Step<KdlNode> {
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
    let mut node = KdlNode::new(name);
    if let Some(ty) = ty {
        node.set_ty(ty);
    }
    loop {
        let save = c.pos;
        if !c.lookahead(node_space1)? {
            break;
        }
        match c.attempt(node_entry)? {
            Some(entry) => node.entries_mut().push(entry),
            None => {
                c.pos = save;
                break;
            }
        }
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
    Ok(node)
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

/// `node-prop-or-arg`, after optional node-space and slashdashed entries.
fn node_entry(c: &mut Cursor<'_>) -> Step<KdlEntry> {
    c.depth += 1;
    if c.depth > MAX_DEPTH {
        return Err(Stop::Cut);
    }
    let entry = node_entry_inner(c);
    c.depth -= 1;
    entry
}

fn node_entry_inner(c: &mut Cursor<'_>) -> Step<KdlEntry> {
    node_space0(c)?;
    c.attempt(|c| {
        slashdashed_entries(c)?;
        node_space1(c)
    })?;
    let start = c.pos;
    let mut entry = match c.attempt(identifier)? {
        Some(key) => {
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
                entry.set_name(Some(key));
                entry
            } else {
                // A bare or quoted string argument.
                let repr = key.repr().unwrap_or_default().to_string();
                let mut entry = KdlEntry::new(KdlValue::String(key.value().to_string()));
                entry.set_format(KdlEntryFormat {
                    value_repr: repr,
                    ..Default::default()
                });
                entry
            }
        }
        None => value(c)?,
    };
    entry.set_span(start..c.pos);
    Ok(entry)
}

/// `value := type? node-space* (keyword | number | string)`.
fn value(c: &mut Cursor<'_>) -> Step<KdlEntry> {
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
    let mut entry = KdlEntry::new(value);
    if let Some(ty) = ty {
        entry.set_ty(ty);
    }
    entry.set_format(KdlEntryFormat {
        value_repr: c.slice(value_start).to_string(),
        ..Default::default()
    });
    entry.set_span(start..c.pos);
    Ok(entry)
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

/// A string as an identifier: its value, its source text and span.
fn identifier(c: &mut Cursor<'_>) -> Step<KdlIdentifier> {
    let start = c.pos;
    let value = string(c)?;
    let mut id = KdlIdentifier::from(value);
    id.set_repr(c.slice(start));
    id.set_span(start..c.pos);
    Ok(id)
}
