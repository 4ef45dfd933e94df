//! `profile NAME [extends=X] [sbpl="f.sb"] { default; allow|deny OP... { filters }; shim NAME }`,
//! or a stack `profile NAME { layer A; layer B }`,
//! and `shim NAME { description; rules }`.

use std::collections::HashMap;

use kdl::KdlNode;

use super::node_reader::Reader;
use super::syntax::{FilterDecl, ProfileDecl, RuleDecl, ShimDecl, Spanned};
use crate::diagnostics::codes;
use crate::model::Action;

const PROFILE_CHILDREN: &[&str] = &["default", "allow", "deny", "shim", "layer", "probes"];
const SHIM_CHILDREN: &[&str] = &["description", "allow", "deny"];

pub(crate) fn decode_profile(r: &mut Reader<'_>, node: &KdlNode) -> Option<ProfileDecl> {
    let props = r.props(node, &["extends", "sbpl"], false);
    let name = r.one_arg(node, "a profile name");
    let extends = r.text_prop(&props, "extends");
    let sbpl = r.text_prop(&props, "sbpl");
    let mut decl = ProfileDecl {
        name: name?,
        extends,
        sbpl,
        default: None,
        rules: Vec::new(),
        shims: Vec::new(),
        layers: Vec::new(),
        probes: None,
    };
    let mut seen = HashMap::new();
    for child in r.children(node) {
        match child.name().value() {
            "default" => {
                if !r.once(&mut seen, child) {
                    continue;
                }
                r.props(child, &[], false);
                r.no_children(child);
                if let Some(word) = r.one_arg(child, "`allow` or `deny`") {
                    match action(&word.value) {
                        Some(a) => {
                            decl.default = Some(Spanned {
                                value: a,
                                span: word.span,
                            })
                        }
                        None => r.error(
                            codes::INVALID_VALUE,
                            word.span,
                            format!(
                                "`default` must be `allow` or `deny`, found `{}`",
                                word.value
                            ),
                            "expected allow or deny",
                        ),
                    }
                }
            }
            "allow" | "deny" => decl.rules.extend(decode_rule(r, child)),
            "shim" => {
                r.props(child, &[], false);
                r.no_children(child);
                decl.shims.extend(r.all_args(child, "a shim name", 1));
            }
            "layer" => {
                r.props(child, &[], false);
                r.no_children(child);
                decl.layers.extend(r.one_arg(child, "a profile name"));
            }
            "probes" => {
                r.props(child, &[], false);
                r.no_children(child);
                let names = r.all_args(child, "a probe name or glob", 1);
                decl.probes.get_or_insert_with(Vec::new).extend(names);
            }
            _ => r.unknown_node(child, "`profile`", PROFILE_CHILDREN),
        }
    }
    Some(decl)
}

pub(crate) fn decode_shim(r: &mut Reader<'_>, node: &KdlNode) -> Option<ShimDecl> {
    r.props(node, &[], false);
    let name = r.one_arg(node, "a shim name");
    let mut decl = ShimDecl {
        name: name?,
        description: None,
        rules: Vec::new(),
    };
    let mut seen = HashMap::new();
    for child in r.children(node) {
        match child.name().value() {
            "description" => {
                if r.once(&mut seen, child) {
                    r.props(child, &[], false);
                    r.no_children(child);
                    decl.description = r.one_arg(child, "a description");
                }
            }
            "allow" | "deny" => decl.rules.extend(decode_rule(r, child)),
            _ => r.unknown_node(child, "`shim`", SHIM_CHILDREN),
        }
    }
    Some(decl)
}

fn action(word: &str) -> Option<Action> {
    match word {
        "allow" => Some(Action::Allow),
        "deny" => Some(Action::Deny),
        _ => None,
    }
}

/// `allow|deny OP... [report=#true] [message=".."] { FILTER... }`.
pub(crate) fn decode_rule(r: &mut Reader<'_>, node: &KdlNode) -> Option<RuleDecl> {
    let action = action(node.name().value())?;
    let props = r.props(node, &["report", "message"], false);
    let operations = r.all_args(node, "at least one operation", 1);
    let report = r.bool_prop(&props, "report");
    let message = r.text_prop(&props, "message");
    let filters = r
        .children(node)
        .iter()
        .map(|c| decode_filter(r, c))
        .collect();
    Some(RuleDecl {
        action,
        keyword: node.name().span(),
        operations,
        report,
        message,
        filters,
    })
}

/// A filter node: name, string arguments, nested filters. Names and arity are checked in resolve.
fn decode_filter(r: &mut Reader<'_>, node: &KdlNode) -> FilterDecl {
    r.props(node, &[], false);
    // Numbers are accepted as written (`file-mode 0o644` → "420"; `syscall-number 5`).
    let what = format!("an argument of filter `{}`", node.name().value());
    let args = r
        .args(node)
        .into_iter()
        .filter_map(|e| {
            let value = match r.scalar(e, &what)? {
                super::syntax::Value::Str(s) => s,
                super::syntax::Value::Int(i) => i.to_string(),
                super::syntax::Value::Bool(b) => {
                    r.error(
                        crate::diagnostics::codes::INVALID_VALUE,
                        super::node_reader::value_span(e),
                        format!("{what} cannot be #{b}"),
                        "expected a string or number",
                    );
                    return None;
                }
            };
            Some(super::syntax::Text {
                value,
                span: super::node_reader::value_span(e),
            })
        })
        .collect();
    let children = r
        .children(node)
        .iter()
        .map(|c| decode_filter(r, c))
        .collect();
    FilterDecl {
        name: super::syntax::Text {
            value: node.name().value().to_string(),
            span: node.name().span(),
        },
        span: node.span(),
        args,
        children,
        has_children: node.children().is_some(),
    }
}
