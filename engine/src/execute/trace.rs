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

pub(crate) fn trace(exp: &Experiment, walk: &Walk, records: &[StageRecord]) -> Vec<NodeRun> {
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
    // A flat table over (lane, profile slot, probe): slot 0 is "no profile" (the baseline).
    let (slots, n) = (exp.profiles.len() + 1, exp.probes.len());
    let at = |lane: Lane, profile: Option<usize>, probe: usize| {
        (lane as usize * slots + profile.map_or(0, |p| p + 1)) * n + probe
    };
    let mut by_unit: Vec<Option<usize>> = vec![None; Lane::ALL.len() * slots * n];
    for (i, r) in records.iter().enumerate() {
        let profile = match r.profile.as_deref() {
            None => None,
            Some(p) => match profiles.get(p) {
                Some(&k) => Some(k),
                None => continue,
            },
        };
        if let Some(&probe) = probes.get(r.probe.as_str()) {
            by_unit[at(r.lane, profile, probe)] = Some(i);
        }
    }
    walk.exec
        .iter()
        .map(|e| {
            let (lane, profile, probe) = e.unit();
            NodeRun {
                node: e.node,
                how: e.how,
                record: by_unit[at(lane, profile, probe)],
            }
        })
        .collect()
}
