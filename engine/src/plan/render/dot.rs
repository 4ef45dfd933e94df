//! Graphviz output: one cluster for the setup steps and one per profile; skipped nodes dashed.

use std::fmt::Write;

use super::super::Plan;
use super::super::node::{Node, StepKind};

pub fn dot(plan: &Plan) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "digraph {} {{",
        quote(&format!("plan {}", plan.experiment_name()))
    );
    let _ = writeln!(
        out,
        "  graph [rankdir=LR, label={}, labelloc=t];",
        quote(&format!(
            "xpr plan {} (world {})",
            plan.experiment_name(),
            plan.world()
        ))
    );
    out.push_str("  node [shape=box, fontname=\"monospace\", fontsize=10];\n");

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

    out.push_str("  subgraph \"cluster_setup\" {\n    label=\"setup\";\n");
    for &index in &setup {
        node_line(&mut out, plan, index, "    ");
    }
    out.push_str("  }\n");
    for (p, nodes) in per_profile.iter().enumerate() {
        let _ = writeln!(
            out,
            "  subgraph {} {{\n    label={};",
            quote(&format!("cluster_profile_{p}")),
            quote(&format!("profile {}", plan.profile_ids()[p]))
        );
        for &index in nodes {
            node_line(&mut out, plan, index, "    ");
        }
        out.push_str("  }\n");
    }
    for &index in &top {
        node_line(&mut out, plan, index, "  ");
    }
    for edge in plan.graph().raw_edges() {
        let _ = writeln!(
            out,
            "  {} -> {};",
            quote(&plan.id_at(edge.source())),
            quote(&plan.id_at(edge.target()))
        );
    }
    out.push_str("}\n");
    out
}

fn node_line(out: &mut String, plan: &Plan, index: petgraph::graph::NodeIndex, indent: &str) {
    let step = plan.step(index);
    let label = label(plan, step.node);
    let style = if step.skipped {
        ", style=dashed, color=gray50, fontcolor=gray50"
    } else {
        ""
    };
    let _ = writeln!(
        out,
        "{indent}{} [label={}{style}];",
        quote(&plan.id(step.node)),
        quote(&label)
    );
}

/// A short label: the stage, the lane and the probe (the profile is the cluster's label).
fn label(plan: &Plan, node: Node) -> String {
    let probe = node.probe().map(|q| plan.probe_ids()[q].as_str());
    match (node, probe) {
        (Node::Compile { form, .. }, _) => format!("compile {}", form.as_str()),
        (Node::Fixture { fixture }, _) => {
            format!("fixture {}", plan.fixture_names()[fixture as usize])
        }
        (_, Some(probe)) => match node.lane() {
            Some(lane) if node.kind() != StepKind::Oracle && node.kind() != StepKind::Observer => {
                format!("{} {}\n{probe}", node.kind().as_str(), lane.as_str())
            }
            _ => format!("{}\n{probe}", node.kind().as_str()),
        },
        _ => node.kind().as_str().to_string(),
    }
}

/// A Graphviz double-quoted string.
fn quote(s: &str) -> String {
    let mut q = String::with_capacity(s.len() + 2);
    q.push('"');
    for c in s.chars() {
        match c {
            '"' => q.push_str("\\\""),
            '\\' => q.push_str("\\\\"),
            '\n' => q.push_str("\\n"),
            c => q.push(c),
        }
    }
    q.push('"');
    q
}
