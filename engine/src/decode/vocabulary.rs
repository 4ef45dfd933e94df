//! The operation and filter vocabulary, read from `stdlib/vocabulary.kdl`: checking an
//! operation name is a lookup, not code.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, OnceLock};

use kdl::KdlNode;

use super::node_reader::Reader;
use crate::diagnostics::{Diag, Diagnostics, codes, suggest};
use crate::source::SourceFile;

/// How many nested filters a filter takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Children {
    None,
    One,
    Many,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct FilterSpec {
    pub name: String,
    /// Kinds of the positional arguments (`path`, `pattern`, `name`, `word`, `proto`, `address`, `number`).
    pub args: Vec<String>,
    /// The last argument kind may repeat (zero or more times).
    pub variadic: bool,
    pub children: Children,
    /// Allowed words for the first argument (empty: anything).
    pub one_of: Vec<String>,
}

/// The result of looking an operation name up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Lookup<'a> {
    /// The canonical name itself.
    Known(&'a str),
    /// Another spelling; the canonical name.
    Alias(&'a str),
    /// An old name; what to use instead (also canonical).
    Obsolete { replacement: &'a str },
    /// Not in the vocabulary ([`Vocabulary::operation_names`] for "did you mean").
    Unknown,
}

impl Lookup<'_> {
    /// The canonical name to use, if the operation is usable at all.
    pub(crate) fn name(&self) -> Option<&str> {
        match self {
            Lookup::Known(n) | Lookup::Alias(n) | Lookup::Obsolete { replacement: n } => Some(n),
            Lookup::Unknown { .. } => None,
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct Vocabulary {
    operations: Vec<String>,
    aliases: BTreeMap<String, String>,
    obsolete: BTreeMap<String, String>,
    filters: BTreeMap<String, FilterSpec>,
}

const ARG_KINDS: &[&str] = &[
    "path", "pattern", "name", "word", "proto", "address", "number",
];
const CHILDREN: &[&str] = &["operation", "alias", "obsolete", "filter"];

impl Vocabulary {
    /// The vocabulary embedded from `stdlib/vocabulary.kdl`.
    pub fn standard() -> &'static Vocabulary {
        static STANDARD: OnceLock<Vocabulary> = OnceLock::new();
        STANDARD.get_or_init(|| {
            let text = crate::source::stdlib::get("vocabulary").unwrap_or_default();
            let (vocabulary, diags) = Vocabulary::parse("std/vocabulary.kdl", text);
            // A test keeps the shipped file clean; a broken one must not take the engine down.
            debug_assert!(diags.is_empty(), "{diags}");
            vocabulary
        })
    }

    /// Parses a vocabulary file (a `vocabulary { … }` block) and reports its mistakes.
    pub(crate) fn parse(display: &str, text: &str) -> (Vocabulary, Diagnostics) {
        let file = Arc::new(SourceFile {
            id: 0,
            display: display.to_string(),
            artifact: display.to_string(),
            path: None,
            stdlib: Some("vocabulary".to_string()),
            text: Arc::new(text.to_string()),
        });
        let mut diags = Diagnostics::new();
        let mut vocabulary = Vocabulary::default();
        match crate::source::kdl_fast::parse_or_reference(text) {
            Ok(doc) => {
                let mut r = Reader {
                    file: &file,
                    diags: &mut diags,
                };
                for node in doc.nodes() {
                    if node.name().value() == "vocabulary" {
                        vocabulary = decode_block(&mut r, node);
                    } else {
                        r.unknown_node(node, "a vocabulary file", &["vocabulary"]);
                    }
                }
            }
            Err(e) => {
                for d in crate::diagnostics::kdl_syntax::remap(&file, &e) {
                    diags.push(d);
                }
            }
        }
        (vocabulary, diags)
    }

    pub fn canonical(&self, op: &str) -> Lookup<'_> {
        if let Some(known) = self.operations.iter().find(|o| *o == op) {
            return Lookup::Known(known);
        }
        if let Some(target) = self.aliases.get(op) {
            return Lookup::Alias(target);
        }
        if let Some(replacement) = self.obsolete.get(op) {
            return Lookup::Obsolete { replacement };
        }
        Lookup::Unknown
    }

    /// Every operation name and alias: the candidates for "did you mean".
    pub(crate) fn operation_names(&self) -> impl Iterator<Item = &str> {
        self.operations
            .iter()
            .chain(self.aliases.keys())
            .map(String::as_str)
    }

    pub(crate) fn filter(&self, name: &str) -> Option<&FilterSpec> {
        self.filters.get(name)
    }

    pub(crate) fn filter_names(&self) -> impl Iterator<Item = &str> {
        self.filters.keys().map(String::as_str)
    }

    /// Canonical operation names in vocabulary order.
    #[cfg(test)]
    fn operations(&self) -> impl Iterator<Item = &str> {
        self.operations.iter().map(String::as_str)
    }

    /// Whether a rule on `rule_op` covers operation `op` (SBPL: `default` covers all, a
    /// trailing `*` covers every operation starting with the rest).
    #[cfg(test)]
    fn matches(&self, rule_op: &str, op: &str) -> bool {
        if rule_op == "default" || rule_op == op {
            return true;
        }
        match rule_op.strip_suffix('*') {
            Some(prefix) => op.starts_with(prefix),
            None => false,
        }
    }
}

/// SBPL operation matching, usable without a vocabulary.
pub fn op_matches(rule_op: &str, op: &str) -> bool {
    if rule_op == "default" || rule_op == op {
        return true;
    }
    match rule_op.strip_suffix('*') {
        Some(prefix) => op.starts_with(prefix),
        None => false,
    }
}

/// Decodes a `vocabulary { … }` block, reporting duplicates and dangling aliases.
pub(crate) fn decode_block(r: &mut Reader<'_>, node: &KdlNode) -> Vocabulary {
    r.props(node, &[], false);
    let args = r.args(node);
    r.max_args(node, &args, 0);
    let mut v = Vocabulary::default();
    let mut seen: HashMap<String, miette::SourceSpan> = HashMap::new();
    let mut references = Vec::new();
    for child in r.children(node) {
        let kind = child.name().value();
        if !CHILDREN.contains(&kind) {
            r.unknown_node(child, "`vocabulary`", CHILDREN);
            continue;
        }
        let allowed: &[&str] = if kind == "filter" {
            &["children", "variadic"]
        } else {
            &[]
        };
        let props = r.props(child, allowed, false);
        let args = r.all_args(child, "a name", 1);
        let Some(name) = args.first() else { continue };
        let key = if kind == "filter" {
            format!("filter {}", name.value)
        } else {
            name.value.clone()
        };
        if let Some(first) = seen.get(&key) {
            let diag = Diag::error(
                codes::DUPLICATE_NAME,
                format!("`{}` is declared twice", name.value),
            )
            .at(r.file, name.span, "declared again here")
            .label(*first, "first declared here");
            r.push(diag);
            continue;
        }
        seen.insert(key, name.span);
        match kind {
            "operation" => {
                r.max_args(child, &r.args(child), 1);
                r.no_children(child);
                v.operations.push(name.value.clone());
            }
            "alias" | "obsolete" => {
                r.no_children(child);
                let entries = r.args(child);
                r.max_args(child, &entries, 2);
                let Some(target) = args.get(1) else {
                    r.missing_arg(child, "a name and the canonical name");
                    continue;
                };
                references.push(target.clone());
                let map = if kind == "alias" {
                    &mut v.aliases
                } else {
                    &mut v.obsolete
                };
                map.insert(name.value.clone(), target.value.clone());
            }
            _ => {
                for kind in &args[1..] {
                    if !ARG_KINDS.contains(&kind.value.as_str()) {
                        let diag = Diag::error(
                            codes::INVALID_VALUE,
                            format!("unknown argument kind `{}`", kind.value),
                        )
                        .at(r.file, kind.span, "unknown kind")
                        .help_opt(suggest::help(&kind.value, ARG_KINDS.iter().copied()));
                        r.push(diag);
                    }
                }
                let children = match props.get("children").and_then(|e| r.text(e, "`children`")) {
                    None => Children::None,
                    Some(t) if t.value == "one" => Children::One,
                    Some(t) if t.value == "many" => Children::Many,
                    Some(t) => {
                        r.error(
                            codes::INVALID_VALUE,
                            t.span,
                            "`children` must be `one` or `many`",
                            "expected one or many",
                        );
                        Children::None
                    }
                };
                let variadic = r.bool_prop(&props, "variadic");
                let mut one_of = Vec::new();
                for c in r.children(child) {
                    if c.name().value() == "one-of" {
                        r.props(c, &[], false);
                        one_of.extend(
                            r.all_args(c, "at least one word", 1)
                                .into_iter()
                                .map(|t| t.value),
                        );
                    } else {
                        r.unknown_node(c, "`filter`", &["one-of"]);
                    }
                }
                let spec = FilterSpec {
                    name: name.value.clone(),
                    args: args[1..].iter().map(|t| t.value.clone()).collect(),
                    variadic,
                    children,
                    one_of,
                };
                v.filters.insert(name.value.clone(), spec);
            }
        }
    }
    for target in references {
        if !v.operations.contains(&target.value) {
            let diag = Diag::error(
                codes::UNKNOWN_OPERATION,
                format!("`{}` is not a declared operation", target.value),
            )
            .at(r.file, target.span, "not declared")
            .help_opt(suggest::help(
                &target.value,
                v.operations.iter().map(String::as_str),
            ));
            r.push(diag);
        }
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_vocabulary_is_clean() {
        let text = crate::source::stdlib::get("vocabulary").expect("embedded");
        let (v, diags) = Vocabulary::parse("std/vocabulary.kdl", text);
        assert!(diags.is_empty(), "{diags}");
        assert!(v.operations().count() > 100);
    }

    #[test]
    fn lookups() {
        let v = Vocabulary::standard();
        assert_eq!(v.canonical("file-read*"), Lookup::Known("file-read*"));
        assert_eq!(
            v.canonical("iokit-open"),
            Lookup::Obsolete {
                replacement: "iokit-open-user-client"
            }
        );
        assert_eq!(v.canonical("file-write-mount"), Lookup::Alias("file-mount"));
        assert_eq!(v.canonical("file-raed-data"), Lookup::Unknown);
        assert_eq!(
            suggest::did_you_mean("file-raed-data", v.operation_names()).as_deref(),
            Some("file-read-data")
        );
        assert!(v.matches("file-read*", "file-read-data"));
        assert!(v.matches("file*", "file-write-unlink"));
        assert!(v.matches("default", "mach-lookup"));
        assert!(!v.matches("file-read-data", "file-read-metadata"));
        assert_eq!(
            v.filter("require-not").map(|f| f.children),
            Some(Children::One)
        );
        assert_eq!(v.filter("remote").map(|f| f.args.len()), Some(2));
    }
}
