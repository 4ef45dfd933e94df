//! `xpr plan --format json`: nodes with their payload and edges by id (schema `xpr.plan.v1`).

use serde_json::{Value, json as j};

use super::super::Plan;

pub const SCHEMA_VERSION: &str = "xpr.plan.v1";

pub fn json_value(plan: &Plan) -> Value {
    let nodes: Vec<Value> = plan
        .nodes()
        .map(|index| {
            let step = plan.step(index);
            let node = step.node;
            let mut v = j!({ "id": plan.id(node), "stage": node.kind() });
            let o = v.as_object_mut().expect("object literal");
            if let Some(lane) = node.lane() {
                o.insert("lane".into(), j!(lane));
            }
            if let Some(form) = node.form() {
                o.insert("form".into(), j!(form));
            }
            if let Some(p) = node.profile() {
                o.insert("profile".into(), j!(plan.profile_ids()[p]));
            }
            if let Some(q) = node.probe() {
                o.insert("probe".into(), j!(plan.probe_ids()[q]));
            }
            if let Some(f) = node.fixture() {
                o.insert("fixture".into(), j!(plan.fixture_names()[f]));
            }
            if step.skipped {
                o.insert("skipped".into(), j!("not_applicable_in_world"));
            }
            v
        })
        .collect();
    let edges: Vec<Value> = plan
        .graph()
        .raw_edges()
        .iter()
        .map(|e| j!([plan.id_at(e.source()), plan.id_at(e.target())]))
        .collect();
    j!({
        "schema_version": SCHEMA_VERSION,
        "experiment": plan.experiment_name(),
        "world": plan.world(),
        "lanes": plan.lanes(),
        "stats": plan.stats(),
        "nodes": nodes,
        "edges": edges,
    })
}

/// Pretty JSON text with a trailing newline.
pub fn json(plan: &Plan) -> String {
    let mut s = serde_json::to_string_pretty(&json_value(plan)).unwrap_or_default();
    s.push('\n');
    s
}
