//! plan: the resolved stage graph of an experiment (design §8).
//!
//! [`Plan::build`] turns a [`model::Experiment`](crate::model::Experiment) into a petgraph
//! graph whose nodes are steps (compile, fixture setup, apply → exec → operation per executing
//! lane, oracle, observer, verdict, bundle) and whose edges are real dependencies: an edge
//! `a → b` means `b` needs `a`'s result. The executor walks it with [`Schedule`]:
//!
//! ```no_run
//! # fn run(experiment: &xpr::model::Experiment) {
//! use xpr::plan::{Node, Plan, Schedule};
//! let plan = Plan::build(experiment);
//! let mut schedule = Schedule::new(&plan);
//! while !schedule.is_done() {
//!     // Everything ready now may run in parallel; complete each one as it finishes.
//!     for index in schedule.drain_ready() {
//!         let step = plan.step(index);
//!         if let Node::Exec { lane, profile, probe } = step.node {
//!             let (_p, _q) = (&experiment.profiles[profile as usize], &experiment.probes[probe as usize]);
//!             // ... fork, apply (scenario lane), run the probe; `step.skipped` means: record
//!             // `not_applicable_in_world` instead of running.
//!             let _ = (lane, step.skipped);
//!         }
//!         schedule.complete(index);
//!     }
//! }
//! # }
//! ```

mod build;
mod id;
mod layout;
mod node;
pub mod render;
mod schedule;
mod stats;

use petgraph::Direction;
use petgraph::graph::{DiGraph, NodeIndex};

use crate::model::{Experiment, Lane};

pub use id::NodeId;
pub use layout::Layout;
pub use node::{Node, ProfileForm, Step, StepKind};
pub use schedule::Schedule;
pub use stats::{StageCount, Stats};

/// The world name probe families are matched against (`Probe::worlds`).
pub fn current_world() -> &'static str {
    if cfg!(target_os = "macos") {
        "macos"
    } else {
        "linux"
    }
}

/// The stage graph of one experiment in one world.
#[derive(Clone, Debug)]
pub struct Plan {
    graph: DiGraph<Step, ()>,
    layout: Layout,
    experiment: String,
    world: String,
    lanes: Vec<Lane>,
    /// Names, cloned once per profile/probe/fixture (not per node) to render ids.
    profile_ids: Vec<String>,
    probe_ids: Vec<String>,
    fixture_names: Vec<String>,
}

impl Plan {
    /// Builds the plan for the world this binary runs in.
    pub fn build(experiment: &Experiment) -> Plan {
        Plan::build_for_world(experiment, current_world())
    }

    /// Builds the plan for a named world (`linux`, `macos`): probes whose family lacks it are
    /// kept but marked skipped.
    pub fn build_for_world(experiment: &Experiment, world: &str) -> Plan {
        build::build(experiment, world)
    }

    pub fn graph(&self) -> &DiGraph<Step, ()> {
        &self.graph
    }

    pub fn experiment_name(&self) -> &str {
        &self.experiment
    }

    pub fn world(&self) -> &str {
        &self.world
    }

    /// The experiment's lanes, in canonical order.
    pub fn lanes(&self) -> &[Lane] {
        &self.lanes
    }

    /// The lanes that run probes in a child (baseline, scenario), in canonical order.
    pub fn executing_lanes(&self) -> impl Iterator<Item = Lane> + '_ {
        self.lanes.iter().copied().filter(|l| l.executes())
    }

    pub fn has_lane(&self, lane: Lane) -> bool {
        self.lanes.contains(&lane)
    }

    pub fn profile_ids(&self) -> &[String] {
        &self.profile_ids
    }

    pub fn probe_ids(&self) -> &[String] {
        &self.probe_ids
    }

    pub fn fixture_names(&self) -> &[String] {
        &self.fixture_names
    }

    pub fn node_count(&self) -> usize {
        self.graph.node_count()
    }

    pub fn edge_count(&self) -> usize {
        self.graph.edge_count()
    }

    pub fn step(&self, index: NodeIndex) -> Step {
        self.graph[index]
    }

    pub fn node(&self, index: NodeIndex) -> Node {
        self.graph[index].node
    }

    pub fn is_skipped(&self, index: NodeIndex) -> bool {
        self.graph[index].skipped
    }

    /// Every node index, in build order (blocks in dependency order; see `topo_order` for an
    /// order that also respects fixture → fixture edges).
    pub fn nodes(&self) -> impl Iterator<Item = NodeIndex> + '_ {
        self.graph.node_indices()
    }

    /// The graph index of a node, computed from the layout (no lookup table).
    pub fn index_of(&self, node: Node) -> Option<NodeIndex> {
        self.layout.index_of(node)
    }

    /// The nodes `index` needs, in a stable order.
    pub fn dependencies(&self, index: NodeIndex) -> Vec<NodeIndex> {
        self.neighbors_sorted(index, Direction::Incoming)
    }

    /// The nodes that need `index`, in a stable order.
    pub fn dependents(&self, index: NodeIndex) -> Vec<NodeIndex> {
        self.neighbors_sorted(index, Direction::Outgoing)
    }

    fn neighbors_sorted(&self, index: NodeIndex, dir: Direction) -> Vec<NodeIndex> {
        let mut v: Vec<NodeIndex> = self.graph.neighbors_directed(index, dir).collect();
        v.sort_unstable();
        v
    }

    /// A deterministic topological order (Kahn's algorithm, lowest index first among ready
    /// nodes). Every node comes after all of its dependencies.
    pub fn topo_order(&self) -> Vec<NodeIndex> {
        let mut schedule = Schedule::new(self);
        let mut order = Vec::with_capacity(self.node_count());
        while let Some(n) = schedule.next_ready() {
            schedule.complete(n);
            order.push(n);
        }
        order
    }

    /// Counts per stage × lane, nodes, edges, skipped nodes.
    pub fn stats(&self) -> Stats {
        stats::stats(self)
    }

    /// The stable, readable id of a node, e.g. `apply:scenario:v1_read:read-hosts`.
    pub fn id(&self, node: Node) -> String {
        self.display_id(node).to_string()
    }

    /// The id as a `Display` value, for writing it without an intermediate `String`.
    pub fn display_id(&self, node: Node) -> NodeId<'_> {
        NodeId { plan: self, node }
    }

    /// The id of the node at a graph index.
    pub fn id_at(&self, index: NodeIndex) -> String {
        self.id(self.node(index))
    }
}
