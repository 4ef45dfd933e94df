//! `expect PROFILE-OR-GLOB { allow|deny PROBE... [errno=NAME] [world=W] [known="why"] }`.

use kdl::KdlNode;

use super::reader::Reader;
use super::syntax::{ExpectDecl, ExpectEntryDecl};
use crate::model::Action;

pub fn decode(r: &mut Reader<'_>, node: &KdlNode) -> Option<ExpectDecl> {
    r.props(node, &[], false);
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
        let props = r.props(child, &["errno", "world", "known"], false);
        r.no_children(child);
        let probes = r.all_args(child, "at least one probe", 1);
        let errno = r.text_prop(&props, "errno");
        let world = r.text_prop(&props, "world");
        let known = r.text_prop(&props, "known");
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
    })
}
