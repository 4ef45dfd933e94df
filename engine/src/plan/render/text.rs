//! The text view: one block per profile with node counts per stage and lane.

use std::fmt::Write;

use super::super::Plan;
use super::super::node::{Node, Step, StepKind};
use crate::model::{Experiment, Lane};

/// Renders the plan for people. `experiment` must be the one the plan was built from.
pub fn text(plan: &Plan, experiment: &Experiment) -> String {
    let stats = plan.stats();
    let mut out = String::new();
    let lanes: Vec<&str> = plan.lanes().iter().map(|l| l.as_str()).collect();
    let _ = writeln!(
        out,
        "plan {}  world {}  lanes {}",
        plan.experiment_name(),
        plan.world(),
        lanes.join(" ")
    );
    let _ = writeln!(
        out,
        "  {} profiles × {} probes, {} fixtures: {} nodes, {} edges, {} skipped",
        plan.profile_ids().len(),
        plan.probe_ids().len(),
        plan.fixture_names().len(),
        stats.nodes,
        stats.edges,
        stats.skipped
    );

    out.push_str("setup\n");
    let _ = writeln!(out, "  scratch    1");
    if !plan.fixture_names().is_empty() {
        let _ = writeln!(
            out,
            "  fixture    {}  ({})",
            plan.fixture_names().len(),
            plan.fixture_names().join(" ")
        );
    }

    let skipped_probes: Vec<&str> = skipped_probe_ids(plan);
    let per_profile = counts_per_profile(plan);
    for (p, profile) in experiment.profiles.iter().enumerate() {
        let mut notes = Vec::new();
        if let Some(base) = &profile.extends {
            notes.push(format!("extends {base}"));
        }
        if !profile.shims.is_empty() {
            notes.push(format!("shims {}", profile.shims.join(" ")));
        }
        if let Some(sbpl) = &profile.sbpl_source {
            notes.push(format!("sbpl {sbpl}"));
        }
        notes.push(format!(
            "{}, {} at runtime",
            plural(profile.source.rules.len(), "rule"),
            profile.runtime.rules.len()
        ));
        let _ = writeln!(out, "profile {}  ({})", profile.id, notes.join(", "));
        let Some(counts) = per_profile.get(p) else {
            continue;
        };
        for kind in StepKind::ALL {
            let row: Vec<String> = counts
                .iter()
                .filter(|c| c.0 == kind)
                .map(|(_, lane, n)| match (kind, lane) {
                    (StepKind::Compile, _) => format!("{n} (source, runtime)"),
                    (_, Some(l)) if kind != StepKind::Oracle && kind != StepKind::Observer => {
                        format!("{} {n}", l.as_str())
                    }
                    _ => n.to_string(),
                })
                .collect();
            if !row.is_empty() {
                let _ = writeln!(out, "  {:<10} {}", kind.as_str(), row.join("  "));
            }
        }
        let before_apply = fixtures_before_apply(plan, p);
        if !before_apply.is_empty() {
            let _ = writeln!(
                out,
                "  needs      {} before apply (its rules name their paths)",
                before_apply.join(" ")
            );
        }
        if !skipped_probes.is_empty() {
            let _ = writeln!(
                out,
                "  skipped    {} probes not applicable in {}: {}",
                skipped_probes.len(),
                plan.world(),
                skipped_probes.join(" ")
            );
        }
    }
    let _ = writeln!(
        out,
        "bundle  ← {} verdicts, {} compiled profiles",
        stats.count(StepKind::Verdict, None),
        stats.count(StepKind::Compile, None)
    );
    out.push_str("totals\n");
    for c in &stats.per_stage {
        let lane = c.lane.map_or("", Lane::as_str);
        let _ = write!(out, "  {:<10} {:<9} {}", c.stage.as_str(), lane, c.count);
        if c.skipped > 0 {
            let _ = write!(out, "  ({} skipped)", c.skipped);
        }
        out.push('\n');
    }
    out
}

/// Fixtures the profile's scenario apply waits for (the same for each of its probes).
fn fixtures_before_apply(plan: &Plan, profile: usize) -> Vec<String> {
    let apply = Node::Apply {
        lane: Lane::Scenario,
        profile: profile as u32,
        probe: 0,
    };
    let Some(index) = plan.index_of(apply) else {
        return Vec::new();
    };
    plan.dependencies(index)
        .into_iter()
        .filter(|&d| plan.node(d).kind() == StepKind::Fixture)
        .map(|d| plan.id_at(d))
        .collect()
}

/// Probes whose nodes are skipped in this world, in declaration order.
fn skipped_probe_ids(plan: &Plan) -> Vec<&str> {
    let mut skipped = vec![false; plan.probe_ids().len()];
    for step in plan.graph().node_weights() {
        if let (true, Some(q)) = (step.skipped, step.node.probe()) {
            skipped[q] = true;
        }
    }
    plan.probe_ids()
        .iter()
        .zip(skipped)
        .filter(|(_, s)| *s)
        .map(|(id, _)| id.as_str())
        .collect()
}

/// Per profile: (stage, lane, count) in canonical order, from one pass over the nodes.
fn counts_per_profile(plan: &Plan) -> Vec<Vec<(StepKind, Option<Lane>, usize)>> {
    let mut per: Vec<Vec<(StepKind, Option<Lane>, usize)>> =
        vec![Vec::new(); plan.profile_ids().len()];
    for Step { node, .. } in plan.graph().node_weights() {
        let Some(p) = node.profile() else { continue };
        let key = (node.kind(), node.lane());
        let row = &mut per[p];
        match row.iter_mut().find(|c| (c.0, c.1) == key) {
            Some(c) => c.2 += 1,
            None => row.push((key.0, key.1, 1)),
        }
    }
    for row in &mut per {
        row.sort_by_key(|c| (c.0, c.1));
    }
    per
}

fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}
