//! Where each node lives in the graph: nodes are added in fixed blocks, so a node's index is
//! arithmetic (block start + profile × probes + probe) and needs no hash map.
//!
//! Blocks are in dependency order: compile, scratch, fixtures, then per executing lane apply,
//! exec, operation, then oracle, observer, verdict, bundle. Inside the fixture block nodes keep
//! declaration order, so a file declared before the dir that holds it precedes it: build order
//! is not a topological order; `Plan::topo_order` is.

use petgraph::graph::NodeIndex;

use super::node::{Node, ProfileForm, StepKind};
use crate::model::Lane;

/// One block of per-(profile, probe) nodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct PairBlock {
    pub kind: StepKind,
    /// The executing lane for apply/exec/operation; `None` otherwise.
    pub lane: Option<Lane>,
    pub start: u32,
}

#[derive(Clone, Debug)]
pub(crate) struct Layout {
    pub profiles: u32,
    pub probes: u32,
    pub fixtures: u32,
    /// The (profile, probe) pairs that run, profile-major: every pair unless a profile scopes
    /// its probes (spec §2.4). Each pair block holds one node per pair, in this order.
    pairs: Vec<(u32, u32)>,
    pair_index: std::collections::HashMap<(u32, u32), u32>,
    scratch: u32,
    fixture_start: u32,
    pair_blocks: Vec<PairBlock>,
    bundle: u32,
}

impl Layout {
    /// `runs(profile, probe)`: whether the pair is in the plan.
    pub(crate) fn new(
        profiles: usize,
        probes: usize,
        fixtures: usize,
        lanes: &[Lane],
        runs: impl Fn(u32, u32) -> bool,
    ) -> Layout {
        let (profiles, probes, fixtures) = (profiles as u32, probes as u32, fixtures as u32);
        let pair_list: Vec<(u32, u32)> = (0..profiles)
            .flat_map(|p| (0..probes).map(move |q| (p, q)))
            .filter(|&(p, q)| runs(p, q))
            .collect();
        let pair_index = pair_list
            .iter()
            .enumerate()
            .map(|(i, &pair)| (pair, i as u32))
            .collect();
        let pairs = pair_list.len() as u32;
        let scratch = 2 * profiles;
        let fixture_start = scratch + 1;
        let mut next = fixture_start + fixtures;
        let mut pair_blocks = Vec::new();
        let mut push = |kind, lane| {
            pair_blocks.push(PairBlock {
                kind,
                lane,
                start: next,
            });
            next += pairs;
        };
        let executing: Vec<Lane> = lanes.iter().copied().filter(|l| l.executes()).collect();
        for kind in [StepKind::Apply, StepKind::Exec, StepKind::Operation] {
            for &lane in &executing {
                push(kind, Some(lane));
            }
        }
        if lanes.contains(&Lane::Oracle) {
            push(StepKind::Oracle, None);
        }
        if lanes.contains(&Lane::Observer) {
            push(StepKind::Observer, None);
        }
        push(StepKind::Verdict, None);
        Layout {
            profiles,
            probes,
            fixtures,
            pairs: pair_list,
            pair_index,
            scratch,
            fixture_start,
            pair_blocks,
            bundle: next,
        }
    }

    pub(crate) fn pair_blocks(&self) -> &[PairBlock] {
        &self.pair_blocks
    }

    /// The (profile, probe) pairs in the plan, in block order.
    pub(crate) fn pairs(&self) -> &[(u32, u32)] {
        &self.pairs
    }

    pub(crate) fn total(&self) -> usize {
        self.bundle as usize + 1
    }

    pub(crate) fn index_of(&self, node: Node) -> Option<NodeIndex> {
        let index = match node {
            Node::Compile { profile, form } => (profile < self.profiles)
                .then(|| 2 * profile + (form == ProfileForm::Runtime) as u32),
            Node::Scratch => Some(self.scratch),
            Node::Fixture { fixture } => {
                (fixture < self.fixtures).then(|| self.fixture_start + fixture)
            }
            Node::Bundle => Some(self.bundle),
            _ => {
                let (profile, probe) = (node.profile()? as u32, node.probe()? as u32);
                if profile >= self.profiles || probe >= self.probes {
                    return None;
                }
                let lane = match node.kind() {
                    StepKind::Apply | StepKind::Exec | StepKind::Operation => node.lane(),
                    _ => None,
                };
                let block = self
                    .pair_blocks
                    .iter()
                    .find(|b| b.kind == node.kind() && b.lane == lane)?;
                let at = self.pair_index.get(&(profile, probe))?;
                Some(block.start + at)
            }
        }?;
        Some(NodeIndex::new(index as usize))
    }
}

/// The node of a pair block for one (profile, probe).
pub(crate) fn pair_node(block: &PairBlock, profile: u32, probe: u32) -> Node {
    let lane = block.lane.unwrap_or(Lane::Scenario);
    match block.kind {
        StepKind::Apply => Node::Apply {
            lane,
            profile,
            probe,
        },
        StepKind::Exec => Node::Exec {
            lane,
            profile,
            probe,
        },
        StepKind::Operation => Node::Operation {
            lane,
            profile,
            probe,
        },
        StepKind::Oracle => Node::Oracle { profile, probe },
        StepKind::Observer => Node::Observer { profile, probe },
        _ => Node::Verdict { profile, probe },
    }
}
