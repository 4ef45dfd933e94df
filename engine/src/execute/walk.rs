//! The plan walk: the executor's work is read off the plan's nodes (spec §4, §5.2).
//!
//! - `compile:runtime:P` nodes → the profiles compiled for the scenario lane;
//! - `fixture:F` nodes in dependency order → fixture setup (a dir before the fixtures inside
//!   it), and their fixture → fixture edges → what restoring a fixture must re-create;
//! - `exec:L:P:Q` nodes → the units run in children; a skipped node → a skipped record.
//!
//! Baseline reuse: `exec:baseline:P:Q` needs `apply:baseline:P:Q` (attaches nothing, no
//! compile edge) and the fixtures probe Q uses; no input names P. So every baseline node of
//! one probe has the same inputs and the same result: the node of the first profile runs,
//! the others are satisfied by its record ([`How::Reuse`]).

use petgraph::graph::NodeIndex;

use crate::model::Lane;
use crate::plan::{Node, Plan, ProfileForm};

/// How the executor satisfies one exec node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum How {
    /// The executor produces this node's record: run in a child, or, when it cannot run,
    /// blocked by its profile's compile result or skipped for want of a driver.
    Run,
    /// The node is skipped in this world: its record says `not_applicable_in_world`.
    Skip,
    /// A baseline node satisfied by the record of this other baseline node of the same probe.
    Reuse(NodeIndex),
}

/// One exec node of an executing lane.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExecNode {
    pub node: NodeIndex,
    pub lane: Lane,
    pub profile: usize,
    pub probe: usize,
    pub how: How,
}

impl ExecNode {
    /// The unit as the runner keys it: the baseline lane runs without a profile.
    pub fn unit(&self) -> (Lane, Option<usize>, usize) {
        let profile = (self.lane != Lane::Baseline).then_some(self.profile);
        (self.lane, profile, self.probe)
    }
}

#[derive(Clone, Debug, Default)]
pub struct Walk {
    /// Profiles with a `compile:runtime` node, in plan order.
    pub compile: Vec<usize>,
    /// Fixtures in dependency order (every fixture after the fixtures it needs).
    pub fixtures: Vec<usize>,
    /// Per fixture: the fixtures that depend on it (inside its directory), in `fixtures` order.
    pub nested: Vec<Vec<usize>>,
    /// Every exec node of an executing lane, in plan order.
    pub exec: Vec<ExecNode>,
}

pub fn walk(plan: &Plan) -> Walk {
    let mut w = Walk::default();
    let mut first_baseline: Vec<Option<NodeIndex>> = vec![None; plan.probe_ids().len()];
    for index in plan.nodes() {
        match plan.node(index) {
            Node::Compile {
                profile,
                form: ProfileForm::Runtime,
            } => w.compile.push(profile as usize),
            Node::Exec {
                lane,
                profile,
                probe,
            } => {
                let probe = probe as usize;
                let how = match (lane, first_baseline[probe]) {
                    (Lane::Baseline, Some(first)) => How::Reuse(first),
                    _ if plan.is_skipped(index) => How::Skip,
                    _ => How::Run,
                };
                if lane == Lane::Baseline && first_baseline[probe].is_none() {
                    first_baseline[probe] = Some(index);
                }
                w.exec.push(ExecNode {
                    node: index,
                    lane,
                    profile: profile as usize,
                    probe,
                    how,
                });
            }
            _ => {}
        }
    }
    w.fixtures = fixture_order(plan);
    w.nested = nested(plan, &w.fixtures);
    w
}

fn fixture_node(plan: &Plan, fixture: usize) -> NodeIndex {
    plan.index_of(Node::Fixture {
        fixture: fixture as u32,
    })
    .unwrap_or_else(|| unreachable!("fixture {fixture} outside the plan"))
}

/// The fixtures needing `of` directly, as fixture indices.
fn fixture_dependents(plan: &Plan, of: usize) -> impl Iterator<Item = usize> + '_ {
    plan.dependents(fixture_node(plan, of))
        .into_iter()
        .filter_map(|n| plan.node(n).fixture())
}

/// Kahn's algorithm over the fixture → fixture edges only (declaration order breaks ties):
/// a file fixture may be declared before the dir that holds it.
fn fixture_order(plan: &Plan) -> Vec<usize> {
    let n = plan.fixture_names().len();
    let mut waiting = vec![0usize; n];
    for f in 0..n {
        for d in fixture_dependents(plan, f) {
            waiting[d] += 1;
        }
    }
    let mut order = Vec::with_capacity(n);
    let mut done = vec![false; n];
    while order.len() < n {
        let Some(next) = (0..n).find(|&f| !done[f] && waiting[f] == 0) else {
            // The plan is acyclic by construction; never loop if it were not.
            order.extend((0..n).filter(|&f| !done[f]));
            break;
        };
        done[next] = true;
        order.push(next);
        for d in fixture_dependents(plan, next) {
            waiting[d] -= 1;
        }
    }
    order
}

fn nested(plan: &Plan, order: &[usize]) -> Vec<Vec<usize>> {
    let mut position = vec![0usize; order.len()];
    for (i, &f) in order.iter().enumerate() {
        position[f] = i;
    }
    (0..order.len())
        .map(|f| {
            // The plan adds an edge from every enclosing dir, not only the nearest one, so the
            // direct dependents are already every fixture inside `f`.
            let mut inside: Vec<usize> = fixture_dependents(plan, f).collect();
            inside.sort_by_key(|&d| position[d]);
            inside
        })
        .collect()
}
