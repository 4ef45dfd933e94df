//! `xpr plan --format json` (schema `xpr.plan.v1`): header, stats, then one node and one edge
//! per line, streamed to a writer (no JSON tree in memory).

use std::io::{self, Write};

use serde::Serialize;

use super::super::Plan;
use super::super::node::{ProfileForm, StepKind};
use super::quote::Quoted;
use crate::model::Lane;

pub const SCHEMA_VERSION: &str = "xpr.plan.v1";

/// The JSON text as a string.
pub fn json(plan: &Plan) -> String {
    let mut buf = Vec::new();
    // Writing into a Vec cannot fail.
    let _ = write_json(plan, &mut buf);
    String::from_utf8(buf).unwrap_or_default()
}

/// The JSON parsed back into a value (for tools and tests).
pub fn json_value(plan: &Plan) -> serde_json::Value {
    serde_json::from_str(&json(plan)).unwrap_or_default()
}

#[derive(Serialize)]
struct NodeJson<'a> {
    id: String,
    stage: StepKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    lane: Option<Lane>,
    #[serde(skip_serializing_if = "Option::is_none")]
    form: Option<ProfileForm>,
    #[serde(skip_serializing_if = "Option::is_none")]
    profile: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    probe: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    fixture: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    skipped: Option<&'static str>,
}

pub fn write_json(plan: &Plan, w: &mut impl Write) -> io::Result<()> {
    let to_io = io::Error::other;
    writeln!(w, "{{")?;
    writeln!(w, "  \"schema_version\": \"{SCHEMA_VERSION}\",")?;
    writeln!(w, "  \"experiment\": {},", Quoted(plan.experiment_name()))?;
    writeln!(w, "  \"world\": {},", Quoted(plan.world()))?;
    write!(w, "  \"lanes\": ")?;
    serde_json::to_writer(&mut *w, plan.lanes()).map_err(to_io)?;
    write!(w, ",\n  \"stats\": ")?;
    serde_json::to_writer(&mut *w, &plan.stats()).map_err(to_io)?;
    write!(w, ",\n  \"nodes\": [")?;
    for (i, index) in plan.nodes().enumerate() {
        let step = plan.step(index);
        let node = step.node;
        let entry = NodeJson {
            id: plan.id(node),
            stage: node.kind(),
            lane: node.lane(),
            form: node.form(),
            profile: node.profile().map(|p| plan.profile_ids()[p].as_str()),
            probe: node.probe().map(|q| plan.probe_ids()[q].as_str()),
            fixture: node.fixture().map(|f| plan.fixture_names()[f].as_str()),
            skipped: step.skipped.then_some("not_applicable_in_world"),
        };
        write!(w, "{}\n    ", if i == 0 { "" } else { "," })?;
        serde_json::to_writer(&mut *w, &entry).map_err(to_io)?;
    }
    write!(w, "\n  ],\n  \"edges\": [")?;
    for (i, edge) in plan.graph().raw_edges().iter().enumerate() {
        write!(
            w,
            "{}\n    [{}, {}]",
            if i == 0 { "" } else { "," },
            Quoted(plan.display_id(plan.node(edge.source()))),
            Quoted(plan.display_id(plan.node(edge.target())))
        )?;
    }
    writeln!(w, "\n  ]\n}}")
}
