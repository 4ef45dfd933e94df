//! `family NAME { operation; target; worlds; destructive; destructive-with; arg NAME [values=] }`
//! (stdlib)
//! and `probe NAME family=F [target=..] [fixture=..] [control=#true] [ARG=..] { ARG values... }`.

use std::collections::HashMap;

use kdl::KdlNode;

use super::node_reader::Reader;
use super::syntax::{FamilyArgDecl, FamilyDecl, ProbeArgDecl, ProbeArgValue, ProbeDecl, Spanned};

const FAMILY_CHILDREN: &[&str] = &[
    "operation",
    "target",
    "worlds",
    "destructive",
    "destructive-with",
    "arg",
];

/// Probe properties that are not family arguments.
pub(crate) const PROBE_PROPS: &[&str] = &["family", "target", "fixture", "control"];

pub(crate) fn decode_family(r: &mut Reader<'_>, node: &KdlNode) -> Option<FamilyDecl> {
    r.props(node, &[], false);
    let name = r.one_arg(node, "a family name");
    let mut decl = FamilyDecl {
        name: name?,
        operation: None,
        target: None,
        target_values: Vec::new(),
        worlds: Vec::new(),
        destructive: false,
        destructive_with: None,
        args: Vec::new(),
    };
    let mut seen = HashMap::new();
    for child in r.children(node) {
        let key = child.name().value();
        if key != "arg" && FAMILY_CHILDREN.contains(&key) && !r.once(&mut seen, child) {
            continue;
        }
        match key {
            "operation" | "target" | "destructive-with" => {
                let allowed: &[&str] = if key == "target" { &["values"] } else { &[] };
                let props = r.props(child, allowed, false);
                if let Some(values) = r.text_prop(&props, "values") {
                    decl.target_values = split_words(&values.value);
                }
                r.no_children(child);
                let value = r.one_arg(child, "a value");
                match key {
                    "operation" => decl.operation = value,
                    "target" => decl.target = value,
                    _ => decl.destructive_with = value,
                }
            }
            "worlds" => {
                r.props(child, &[], false);
                r.no_children(child);
                decl.worlds = r.all_args(child, "at least one world", 1);
            }
            "destructive" => {
                r.props(child, &[], false);
                r.no_children(child);
                let args = r.args(child);
                r.max_args(child, &args, 1);
                decl.destructive = match args.first() {
                    Some(e) => r.bool(e, "`destructive`").unwrap_or(false),
                    None => true,
                };
            }
            "arg" => {
                let props = r.props(
                    child,
                    &["required", "path", "words", "values", "numbers", "family"],
                    false,
                );
                r.no_children(child);
                if let Some(name) = r.one_arg(child, "an argument name") {
                    let required = r.bool_prop(&props, "required");
                    let path = r.bool_prop(&props, "path");
                    let words = r.bool_prop(&props, "words");
                    let numbers = r.bool_prop(&props, "numbers");
                    let family = r.bool_prop(&props, "family");
                    let values = r
                        .text_prop(&props, "values")
                        .map(|v| split_words(&v.value))
                        .unwrap_or_default();
                    decl.args.push(FamilyArgDecl {
                        name,
                        required,
                        path,
                        words,
                        values,
                        numbers,
                        family,
                    });
                }
            }
            _ => r.unknown_node(child, "`family`", FAMILY_CHILDREN),
        }
    }
    Some(decl)
}

pub(crate) fn decode_probe(r: &mut Reader<'_>, node: &KdlNode) -> Option<ProbeDecl> {
    let props = r.props(node, PROBE_PROPS, true);
    // `family "file-read"`: one error that says to write `=`, then read it as meant.
    let (spaced, plain) = r.spaced_props(node, PROBE_PROPS);
    let spaced_text = |r: &mut Reader<'_>, key: &str| {
        spaced
            .iter()
            .find(|(k, _)| k == key)
            .and_then(|(_, e)| r.text(e, &format!("`{key}`")))
    };
    let name = match (plain.first(), spaced.is_empty()) {
        (Some(first), false) => {
            r.max_args(node, &plain, 1);
            r.text(first, "a probe name")
        }
        _ => r.one_arg(node, "a probe name"),
    };
    let family = r
        .text_prop(&props, "family")
        .or_else(|| spaced_text(r, "family"));
    if family.is_none()
        && props.get("family").is_none()
        && !spaced.iter().any(|(k, _)| k == "family")
    {
        r.error(
            crate::diagnostics::codes::MISSING_PROPERTY,
            node.name().span(),
            "a probe needs `family=`",
            "missing family=",
        );
    }
    let target = r
        .text_prop(&props, "target")
        .or_else(|| spaced_text(r, "target"));
    let fixture = r
        .text_prop(&props, "fixture")
        .or_else(|| spaced_text(r, "fixture"));
    let control = r.bool_prop(&props, "control");
    let mut args = Vec::new();
    for entry in &props.rest {
        let key = entry.name().expect("props are named");
        let what = format!("`{}`", key.value());
        if let Some(value) = r.scalar(entry, &what) {
            let name = super::syntax::Text {
                value: key.value().to_string(),
                span: key.span(),
            };
            let value = Spanned {
                value: ProbeArgValue::Scalar(value),
                span: super::node_reader::value_span(entry),
            };
            args.push(ProbeArgDecl { name, value });
        }
    }
    for child in r.children(node) {
        r.props(child, &[], false);
        r.no_children(child);
        let values = r.all_args(child, "at least one value", 1);
        let name = super::syntax::Text {
            value: child.name().value().to_string(),
            span: child.name().span(),
        };
        args.push(ProbeArgDecl {
            name,
            value: Spanned {
                value: ProbeArgValue::List(values),
                span: child.span(),
            },
        });
    }
    Some(ProbeDecl {
        name: name?,
        family,
        target,
        fixture,
        control,
        args,
    })
}

fn split_words(s: &str) -> Vec<String> {
    s.split_whitespace().map(str::to_string).collect()
}
