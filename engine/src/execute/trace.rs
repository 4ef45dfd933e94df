//! Which record satisfies each exec node of the plan: the evidence that the run executed the
//! plan's graph (every record comes from a node, every node has exactly one record).

use std::collections::HashMap;

use petgraph::graph::NodeIndex;

use crate::model::{Experiment, Lane, StageRecord};

use super::walk::{How, Walk};

/// One exec node of the plan and the stage record that satisfies it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NodeRun {
    pub node: NodeIndex,
    pub how: How,
    /// Index into the run's records; `None` only if the runner produced no record for it
    /// (a bug the structural test catches).
    pub record: Option<usize>,
}

pub fn trace(exp: &Experiment, walk: &Walk, records: &[StageRecord]) -> Vec<NodeRun> {
    let profiles: HashMap<&str, usize> = exp
        .profiles
        .iter()
        .enumerate()
        .map(|(i, p)| (p.id.as_str(), i))
        .collect();
    let probes: HashMap<&str, usize> = exp
        .probes
        .iter()
        .enumerate()
        .map(|(i, p)| (p.id.as_str(), i))
        .collect();
    let mut by_unit: HashMap<(Lane, Option<usize>, usize), usize> =
        HashMap::with_capacity(records.len());
    for (i, r) in records.iter().enumerate() {
        let profile = r.profile.as_deref().and_then(|p| profiles.get(p).copied());
        if let Some(&probe) = probes.get(r.probe.as_str()) {
            by_unit.insert((r.lane, profile, probe), i);
        }
    }
    walk.exec
        .iter()
        .map(|n| NodeRun {
            node: n.node,
            how: n.how,
            record: by_unit.get(&n.unit()).copied(),
        })
        .collect()
}
