//! `expect PROFILE-OR-GLOB { allow|deny PROBE... [errno=NAME] [world=W] [known="why"] }`.

use kdl::KdlNode;

use super::reader::Reader;
use super::syntax::{ExpectDecl, ExpectEntryDecl};
use crate::model::Action;

pub fn decode(r: &mut Reader<'_>, node: &KdlNode) -> Option<ExpectDecl> {
    let node_props = r.props(node, &["scope"], false);
    let scope = r.bool_prop(&node_props, "scope");
    let pattern = r.one_arg(node, "a profile name or glob");
    let mut entries = Vec::new();
    for child in r.children(node) {
        let action = match child.name().value() {
            "allow" => Action::Allow,
            "deny" => Action::Deny,
            _ => {
                r.unknown_node(child, "`expect`", &["allow", "deny"]);
                continue;
            }
        };
        const PROPS: &[&str] = &["errno", "world", "known"];
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
        entries.push(ExpectEntryDecl {
            action,
            keyword: child.name().span(),
            probes,
            errno,
            world,
            known,
        });
    }
    Some(ExpectDecl {
        pattern: pattern?,
        entries,
        scope,
    })
}
