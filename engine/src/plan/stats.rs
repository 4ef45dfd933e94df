//! Node counts per stage × lane, for `xpr plan`, `xpr check`'s summary and the tests.

use serde::Serialize;

use super::Plan;
use super::node::StepKind;
use crate::model::Lane;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StageCount {
    pub stage: StepKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lane: Option<Lane>,
    pub count: usize,
    /// Of `count`, the nodes skipped in this world.
    pub skipped: usize,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Stats {
    pub nodes: usize,
    pub edges: usize,
    pub skipped: usize,
    /// Sorted by stage, then lane (canonical order); only non-empty entries.
    pub per_stage: Vec<StageCount>,
}

impl Stats {
    /// The count of one stage in one lane (`None` for lane-less steps).
    pub fn count(&self, stage: StepKind, lane: Option<Lane>) -> usize {
        self.per_stage
            .iter()
            .find(|c| c.stage == stage && c.lane == lane)
            .map_or(0, |c| c.count)
    }
}

impl Plan {
    /// Counts per stage × lane, nodes, edges, skipped nodes.
    pub fn stats(&self) -> Stats {
        stats(self)
    }
}

fn stats(plan: &Plan) -> Stats {
    let mut per_stage: Vec<StageCount> = Vec::new();
    let mut skipped = 0;
    for step in plan.graph().node_weights() {
        let (stage, lane) = (step.node.kind(), step.node.lane());
        let at = match per_stage
            .iter()
            .position(|c| c.stage == stage && c.lane == lane)
        {
            Some(at) => at,
            None => {
                per_stage.push(StageCount {
                    stage,
                    lane,
                    count: 0,
                    skipped: 0,
                });
                per_stage.len() - 1
            }
        };
        let entry = &mut per_stage[at];
        entry.count += 1;
        if step.skipped {
            entry.skipped += 1;
            skipped += 1;
        }
    }
    per_stage.sort_by_key(|c| (c.stage, c.lane));
    Stats {
        nodes: plan.node_count(),
        edges: plan.edge_count(),
        skipped,
        per_stage,
    }
}
