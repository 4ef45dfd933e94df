//! `expect PROFILE-OR-GLOB { allow|deny|blocked PROBE... [errno=NAME] [world=W]
//! [mechanism=landlock|none] [landlock-abi=">=4"] [known="why"] }`.

use kdl::KdlNode;

use super::node_reader::Reader;
use super::syntax::{ExpectDecl, ExpectEntryDecl, Text};
use crate::model::Expected;

pub(crate) fn decode(r: &mut Reader<'_>, node: &KdlNode) -> Option<ExpectDecl> {
    // A scope on the `expect` node is every entry's that gives none of its own; `scope=#true`
    // limits the profile's probes to those the block names.
    let node_props = r.props(node, &["mechanism", "landlock-abi", "scope"], false);
    let node_mechanism = r.text_prop(&node_props, "mechanism");
    let node_abi = abi_prop(r, &node_props);
    let scope = r.bool_prop(&node_props, "scope");
    let pattern = r.one_arg(node, "a profile name or glob");
    let mut entries = Vec::new();
    for child in r.children(node) {
        let action = match child.name().value() {
            "allow" => Expected::Allow,
            "deny" => Expected::Deny,
            "blocked" => Expected::Blocked,
            _ => {
                r.unknown_node(child, "`expect`", &["allow", "deny", "blocked"]);
                continue;
            }
        };
        const PROPS: &[&str] = &["errno", "world", "mechanism", "landlock-abi", "known"];
        let props = r.props(child, PROPS, false);
        r.no_children(child);
        // `deny p errno EACCES`: one error that says to write `=`, then read it as meant.
        let (spaced, plain) = r.spaced_props(child, PROPS);
        let probes = if spaced.is_empty() {
            r.all_args(child, "at least one probe", 1)
        } else {
            plain
                .iter()
                .filter_map(|e| r.text(e, "at least one probe"))
                .collect()
        };
        let spaced_text = |r: &mut Reader<'_>, key: &str| {
            spaced
                .iter()
                .find(|(k, _)| k == key)
                .and_then(|(_, e)| r.text(e, &format!("`{key}`")))
        };
        let errno = r
            .text_prop(&props, "errno")
            .or_else(|| spaced_text(r, "errno"));
        let world = r
            .text_prop(&props, "world")
            .or_else(|| spaced_text(r, "world"));
        let known = r
            .text_prop(&props, "known")
            .or_else(|| spaced_text(r, "known"));
        let own_mechanism = r.text_prop(&props, "mechanism");
        let own_abi = abi_prop(r, &props);
        let (mechanism, landlock_abi) = if own_mechanism.is_some() || own_abi.is_some() {
            (own_mechanism, own_abi)
        } else {
            (node_mechanism.clone(), node_abi.clone())
        };
        entries.push(ExpectEntryDecl {
            action,
            probes,
            errno,
            world,
            mechanism,
            landlock_abi,
            known,
        });
    }
    Some(ExpectDecl {
        pattern: pattern?,
        entries,
        scope,
    })
}

/// `landlock-abi=4` is the one ABI, as `landlock-abi="4"`.
fn abi_prop(r: &mut Reader<'_>, props: &super::node_reader::Props<'_>) -> Option<Text> {
    let entry = props.get("landlock-abi")?;
    match entry.value() {
        kdl::KdlValue::Integer(n) => Some(Text {
            value: n.to_string(),
            span: super::node_reader::value_span(entry),
        }),
        _ => r.text(entry, "`landlock-abi`"),
    }
}
