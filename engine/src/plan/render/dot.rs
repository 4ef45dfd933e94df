//! Graphviz output: one cluster for the setup steps and one per profile; skipped nodes dashed.
//! Streamed to a writer: a 2,000-profile plan is over a million lines.

use std::io::{self, Write};

use petgraph::graph::NodeIndex;

use super::super::Plan;
use super::super::node::{Node, StepKind};
use super::quote::Quoted;

/// The whole Graphviz text as a string.
pub fn dot(plan: &Plan) -> String {
    let mut buf = Vec::new();
    // Writing into a Vec cannot fail.
    let _ = write_dot(plan, &mut buf);
    String::from_utf8(buf).unwrap_or_default()
}

pub fn write_dot(plan: &Plan, w: &mut impl Write) -> io::Result<()> {
    let name = plan.experiment_name();
    writeln!(w, "digraph {} {{", Quoted(format_args!("plan {name}")))?;
    writeln!(
        w,
        "  graph [rankdir=LR, label={}, labelloc=t];",
        Quoted(format_args!("xpr plan {name} (world {})", plan.world()))
    )?;
    writeln!(
        w,
        "  node [shape=box, fontname=\"monospace\", fontsize=10];"
    )?;

    // Group node indices: setup, per profile, then the bundle at top level.
    let mut setup = Vec::new();
    let mut per_profile = vec![Vec::new(); plan.profile_ids().len()];
    let mut top = Vec::new();
    for index in plan.nodes() {
        let node = plan.node(index);
        match (node.kind(), node.profile()) {
            (StepKind::Scratch | StepKind::Fixture, _) => setup.push(index),
            (_, Some(p)) => per_profile[p].push(index),
            _ => top.push(index),
        }
    }

    writeln!(w, "  subgraph \"cluster_setup\" {{\n    label=\"setup\";")?;
    for &index in &setup {
        node_line(w, plan, index, "    ")?;
    }
    writeln!(w, "  }}")?;
    for (p, nodes) in per_profile.iter().enumerate() {
        writeln!(
            w,
            "  subgraph \"cluster_profile_{p}\" {{\n    label={};",
            Quoted(format_args!("profile {}", plan.profile_ids()[p]))
        )?;
        for &index in nodes {
            node_line(w, plan, index, "    ")?;
        }
        writeln!(w, "  }}")?;
    }
    for &index in &top {
        node_line(w, plan, index, "  ")?;
    }
    for edge in plan.graph().raw_edges() {
        writeln!(
            w,
            "  {} -> {};",
            Quoted(plan.display_id(plan.node(edge.source()))),
            Quoted(plan.display_id(plan.node(edge.target())))
        )?;
    }
    writeln!(w, "}}")
}

fn node_line(w: &mut impl Write, plan: &Plan, index: NodeIndex, indent: &str) -> io::Result<()> {
    let step = plan.step(index);
    let style = if step.skipped {
        ", style=dashed, color=gray50, fontcolor=gray50"
    } else {
        ""
    };
    writeln!(
        w,
        "{indent}{} [label={}{style}];",
        Quoted(plan.display_id(step.node)),
        Quoted(label(plan, step.node))
    )
}

/// A short label: the stage, the lane and the probe (the profile is the cluster's label).
fn label(plan: &Plan, node: Node) -> String {
    let probe = node.probe().map(|q| plan.probe_ids()[q].as_str());
    match (node, probe) {
        (Node::Compile { form, .. }, _) => format!("compile {}", form.as_str()),
        (Node::Fixture { fixture }, _) => {
            format!("fixture {}", plan.fixture_names()[fixture as usize])
        }
        (_, Some(probe)) => match node.kind() {
            StepKind::Apply | StepKind::Exec | StepKind::Operation => {
                let lane = node.lane().map_or("", |l| l.as_str());
                format!("{} {lane}\n{probe}", node.kind().as_str())
            }
            kind => format!("{}\n{probe}", kind.as_str()),
        },
        _ => node.kind().as_str().to_string(),
    }
}
