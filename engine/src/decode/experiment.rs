//! `experiment NAME { description; lanes; isolation; timeout; param NAME VALUE }`.

use std::collections::HashMap;

use kdl::KdlNode;

use super::node_reader::Reader;
use super::syntax::ExperimentDecl;

const CHILDREN: &[&str] = &["description", "lanes", "isolation", "timeout", "param"];

pub(crate) fn decode(r: &mut Reader<'_>, node: &KdlNode) -> Option<ExperimentDecl> {
    r.props(node, &[], false);
    let name = r.one_arg(node, "a name");
    let mut decl = ExperimentDecl {
        name: name.clone().unwrap_or(super::syntax::Text {
            value: String::new(),
            span: node.name().span(),
        }),
        keyword: node.name().span(),
        description: None,
        lanes: None,
        isolation: None,
        timeout: None,
        params: Vec::new(),
    };
    let mut seen = HashMap::new();
    for child in r.children(node) {
        let key = child.name().value();
        if CHILDREN.contains(&key) && key != "param" && !r.once(&mut seen, child) {
            continue;
        }
        match key {
            "description" | "isolation" | "timeout" => {
                r.props(child, &[], false);
                r.no_children(child);
                let value = r.one_arg(child, "a value");
                match key {
                    "description" => decl.description = value,
                    "isolation" => decl.isolation = value,
                    _ => decl.timeout = value,
                }
            }
            "lanes" => {
                r.props(child, &[], false);
                r.no_children(child);
                decl.lanes = Some(r.all_args(child, "at least one lane", 1));
            }
            "param" => {
                r.props(child, &[], false);
                r.no_children(child);
                let args = r.args(child);
                r.max_args(child, &args, 2);
                if args.len() < 2 {
                    r.missing_arg(child, "a name and a value");
                    continue;
                }
                if let (Some(n), Some(v)) = (
                    r.text(args[0], "a parameter name"),
                    r.text(args[1], "a parameter value"),
                ) {
                    decl.params.push((n, v));
                }
            }
            _ => r.unknown_node(child, "`experiment`", CHILDREN),
        }
    }
    name.map(|_| decl)
}
