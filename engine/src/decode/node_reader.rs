//! Checked access to one KDL node's arguments, properties and children. Every mistake is
//! pushed as a diagnostic and decoding goes on, so one pass reports every error.

use std::collections::HashMap;
use std::sync::Arc;

use kdl::{KdlEntry, KdlNode, KdlValue};
use miette::SourceSpan;

use super::syntax::{Spanned, Text, Value};
use crate::diagnostics::{Diag, Diagnostics, codes};
use crate::source::SourceFile;

pub(crate) struct Reader<'a> {
    pub file: &'a Arc<SourceFile>,
    pub diags: &'a mut Diagnostics,
}

/// The properties of one node after the unknown/duplicate checks (first occurrence kept).
pub(crate) struct Props<'n> {
    map: HashMap<&'n str, &'n KdlEntry>,
    /// Properties the node lets through unchecked (probe family arguments), in order.
    pub rest: Vec<&'n KdlEntry>,
}

impl<'n> Props<'n> {
    pub(crate) fn get(&self, key: &str) -> Option<&'n KdlEntry> {
        self.map.get(key).copied()
    }
}

/// The span of an entry's value alone (the entry span covers `key=` too).
pub(crate) fn value_span(entry: &KdlEntry) -> SourceSpan {
    let span = entry.span();
    let end = span.offset() + span.len();
    match entry.format() {
        Some(f) if !f.value_repr.is_empty() && f.value_repr.len() <= span.len() => {
            SourceSpan::from((end - f.value_repr.len(), f.value_repr.len()))
        }
        _ => span,
    }
}

pub(crate) fn kind_of(value: &KdlValue) -> &'static str {
    match value {
        KdlValue::String(_) => "a string",
        KdlValue::Integer(_) => "an integer",
        KdlValue::Float(_) => "a number",
        KdlValue::Bool(_) => "a boolean",
        KdlValue::Null => "#null",
    }
}

impl<'a> Reader<'a> {
    pub(crate) fn push(&mut self, diag: Diag) {
        self.diags.push(diag);
    }

    pub(crate) fn error(
        &mut self,
        code: &'static str,
        span: SourceSpan,
        message: impl Into<String>,
        label: impl Into<String>,
    ) {
        let diag = Diag::error(code, message).at(self.file, span, label);
        self.diags.push(diag);
    }

    /// Rejects an unknown node name, suggesting the closest allowed one.
    pub(crate) fn unknown_node(&mut self, node: &KdlNode, context: &str, allowed: &[&str]) {
        let name = node.name().value();
        let help = self
            .diags
            .suggest(name, allowed.iter().copied())
            .unwrap_or_else(|| format!("{context} accepts: {}", allowed.join(", ")));
        let diag = Diag::error(
            codes::UNKNOWN_NODE,
            format!("unknown node `{name}` in {context}"),
        )
        .at(self.file, node.name().span(), "unknown node")
        .help(help);
        self.diags.push(diag);
    }

    /// Positional arguments, in order.
    pub(crate) fn args<'n>(&self, node: &'n KdlNode) -> Vec<&'n KdlEntry> {
        node.entries()
            .iter()
            .filter(|e| e.name().is_none())
            .collect()
    }

    /// Checks properties: unknown ones (with a suggestion) and duplicates are errors. With
    /// `open`, unknown ones are returned in `rest` for the caller to check.
    pub(crate) fn props<'n>(
        &mut self,
        node: &'n KdlNode,
        allowed: &[&str],
        open: bool,
    ) -> Props<'n> {
        let mut map: HashMap<&'n str, &'n KdlEntry> = HashMap::new();
        let mut rest = Vec::new();
        let mut seen: HashMap<&'n str, SourceSpan> = HashMap::new();
        for entry in node.entries() {
            let Some(key) = entry.name() else { continue };
            let name = key.value();
            if let Some(first) = seen.get(name) {
                let diag = Diag::error(
                    codes::DUPLICATE_PROPERTY,
                    format!("property `{name}` is given twice"),
                )
                .at(self.file, entry.span(), "given again here")
                .label(*first, "first given here")
                .help("KDL keeps both; xpr requires each property once");
                self.diags.push(diag);
                continue;
            }
            seen.insert(name, entry.span());
            if allowed.contains(&name) {
                map.insert(name, entry);
            } else if open {
                rest.push(entry);
            } else {
                let help = self
                    .diags
                    .suggest(name, allowed.iter().copied())
                    .unwrap_or_else(|| {
                        if allowed.is_empty() {
                            format!("`{}` takes no properties", node.name().value())
                        } else {
                            format!("`{}` accepts: {}", node.name().value(), allowed.join(", "))
                        }
                    });
                let diag = Diag::error(
                    codes::UNKNOWN_PROPERTY,
                    format!("unknown property `{name}` on `{}`", node.name().value()),
                )
                .at(self.file, key.span(), "unknown property")
                .help(help);
                self.diags.push(diag);
            }
        }
        Props { map, rest }
    }

    /// The entry's value as a string; anything else is an error.
    pub(crate) fn text(&mut self, entry: &KdlEntry, what: &str) -> Option<Text> {
        match entry.value() {
            KdlValue::String(s) => Some(Text {
                value: s.clone(),
                span: value_span(entry),
            }),
            other => {
                let found = kind_of(other);
                let diag = Diag::error(
                    codes::INVALID_VALUE,
                    format!("{what} must be a string, found {found}"),
                )
                .at(self.file, value_span(entry), "expected a string")
                .help_opt(kdl1_value_hint(entry));
                self.diags.push(diag);
                None
            }
        }
    }

    pub(crate) fn bool(&mut self, entry: &KdlEntry, what: &str) -> Option<bool> {
        match entry.value() {
            KdlValue::Bool(b) => Some(*b),
            other => {
                let found = kind_of(other);
                let diag = Diag::error(
                    codes::INVALID_VALUE,
                    format!("{what} must be #true or #false, found {found}"),
                )
                .at(self.file, value_span(entry), "expected #true or #false")
                .help("KDL 2 spells booleans #true and #false");
                self.diags.push(diag);
                None
            }
        }
    }

    pub(crate) fn int_in(
        &mut self,
        entry: &KdlEntry,
        what: &str,
        min: i128,
        max: i128,
    ) -> Option<Spanned<i128>> {
        match entry.value() {
            KdlValue::Integer(i) if (min..=max).contains(i) => Some(Spanned {
                value: *i,
                span: value_span(entry),
            }),
            KdlValue::Integer(i) => {
                self.error(
                    codes::INVALID_VALUE,
                    value_span(entry),
                    format!("{what} {i} is out of range {min}..={max}"),
                    "out of range",
                );
                None
            }
            other => {
                let found = kind_of(other);
                self.error(
                    codes::INVALID_VALUE,
                    value_span(entry),
                    format!("{what} must be an integer, found {found}"),
                    "expected an integer",
                );
                None
            }
        }
    }

    pub(crate) fn scalar(&mut self, entry: &KdlEntry, what: &str) -> Option<Value> {
        match entry.value() {
            KdlValue::String(s) => Some(Value::Str(s.clone())),
            KdlValue::Integer(i) => Some(Value::Int(*i)),
            KdlValue::Bool(b) => Some(Value::Bool(*b)),
            other => {
                let found = kind_of(other);
                self.error(
                    codes::INVALID_VALUE,
                    value_span(entry),
                    format!("{what} must be a string, integer or boolean, found {found}"),
                    "unsupported value",
                );
                None
            }
        }
    }

    /// Exactly one string argument (the usual `kind NAME`).
    pub(crate) fn one_arg(&mut self, node: &KdlNode, what: &str) -> Option<Text> {
        let args = self.args(node);
        self.max_args(node, &args, 1);
        match args.first() {
            Some(entry) => self.text(entry, what),
            None => {
                self.missing_arg(node, what);
                None
            }
        }
    }

    /// Every argument as a string; at least `min` of them.
    pub(crate) fn all_args(&mut self, node: &KdlNode, what: &str, min: usize) -> Vec<Text> {
        let args = self.args(node);
        if args.len() < min {
            self.missing_arg(node, what);
        }
        args.into_iter()
            .filter_map(|e| self.text(e, what))
            .collect()
    }

    /// Arguments that are a property written with a space (`family "file-read"`): a bare
    /// name from `props` followed by a value. One error per pair, naming the fix; the pairs
    /// (name, value entry) are returned so the caller can use them as the properties they
    /// were meant to be, and the remaining arguments beside them.
    pub(crate) fn spaced_props<'n>(
        &mut self,
        node: &'n KdlNode,
        props: &[&str],
    ) -> (Vec<(String, &'n KdlEntry)>, Vec<&'n KdlEntry>) {
        let args = self.args(node);
        let mut pairs = Vec::new();
        let mut rest = Vec::new();
        let mut i = 0;
        while i < args.len() {
            let name = match args[i].value() {
                KdlValue::String(s) if props.contains(&s.as_str()) && i + 1 < args.len() => {
                    Some(s.clone())
                }
                _ => None,
            };
            match name {
                Some(name) if i > 0 => {
                    let value = args[i + 1];
                    let written = value
                        .value()
                        .as_string()
                        .map_or_else(|| value.value().to_string(), |v| format!("{v:?}"));
                    let span = SourceSpan::from((
                        args[i].span().offset(),
                        value.span().offset() + value.span().len() - args[i].span().offset(),
                    ));
                    let diag = Diag::error(
                        codes::SPACED_PROPERTY,
                        format!("`{name}` is written as two arguments; a property takes `=`"),
                    )
                    .at(self.file, span, "a property with a space for `=`")
                    .help(format!("write `{name}={written}`"));
                    self.diags.push(diag);
                    pairs.push((name, value));
                    i += 2;
                }
                _ => {
                    rest.push(args[i]);
                    i += 1;
                }
            }
        }
        (pairs, rest)
    }

    pub(crate) fn missing_arg(&mut self, node: &KdlNode, what: &str) {
        let name = node.name().value();
        self.error(
            codes::MISSING_ARGUMENT,
            node.name().span(),
            format!("`{name}` needs {what}"),
            format!("missing {what}"),
        );
    }

    pub(crate) fn max_args(&mut self, node: &KdlNode, args: &[&KdlEntry], max: usize) {
        for extra in args.iter().skip(max) {
            let name = node.name().value();
            let takes = match max {
                0 => "no arguments".to_string(),
                1 => "one argument".to_string(),
                n => format!("{n} arguments"),
            };
            self.error(
                codes::EXTRA_ARGUMENT,
                extra.span(),
                format!("`{name}` takes {takes}"),
                "unexpected argument",
            );
        }
    }

    /// Rejects a children block on a node that takes none.
    pub(crate) fn no_children(&mut self, node: &KdlNode) {
        if let Some(children) = node.children() {
            let name = node.name().value();
            self.error(
                codes::UNEXPECTED_CHILDREN,
                children.span(),
                format!("`{name}` takes no children block"),
                "unexpected block",
            );
        }
    }

    /// The children of a node, or none.
    pub(crate) fn children<'n>(&self, node: &'n KdlNode) -> &'n [KdlNode] {
        node.children().map(|c| c.nodes()).unwrap_or(&[])
    }

    /// A string property.
    pub(crate) fn text_prop(&mut self, props: &Props<'_>, key: &str) -> Option<Text> {
        let entry = props.get(key)?;
        self.text(entry, &format!("`{key}`"))
    }

    pub(crate) fn bool_prop(&mut self, props: &Props<'_>, key: &str) -> bool {
        props
            .get(key)
            .and_then(|e| self.bool(e, &format!("`{key}`")))
            .unwrap_or(false)
    }

    /// A node that may appear once in a block: reports a second one with both locations.
    pub(crate) fn once(&mut self, seen: &mut HashMap<String, SourceSpan>, node: &KdlNode) -> bool {
        let name = node.name().value();
        if let Some(first) = seen.get(name) {
            let diag = Diag::error(codes::DUPLICATE_NODE, format!("`{name}` is given twice"))
                .at(self.file, node.name().span(), "given again here")
                .label(*first, "first given here");
            self.diags.push(diag);
            return false;
        }
        seen.insert(name.to_string(), node.name().span());
        true
    }
}

/// `#null` where a string was expected is usually a KDL 1 `null`; say so.
fn kdl1_value_hint(entry: &KdlEntry) -> Option<String> {
    match entry.value() {
        KdlValue::Bool(_) | KdlValue::Null => {
            Some("put the value in quotes if it is text".to_string())
        }
        KdlValue::Integer(_) | KdlValue::Float(_) => {
            Some("put the number in quotes: \"…\"".to_string())
        }
        KdlValue::String(_) => None,
    }
}
