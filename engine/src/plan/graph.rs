//! The plan as a value: the stage graph of one experiment in one world, and the questions
//! the executor and the renderers ask of it. `build` makes it.

use petgraph::Direction;
use petgraph::graph::{DiGraph, NodeIndex};

use super::node::{Node, Step};
use super::node_layout::Layout;
use crate::model::Lane;

/// The stage graph of one experiment in one world.
#[derive(Clone, Debug)]
pub struct Plan {
    pub(super) graph: DiGraph<Step, ()>,
    pub(super) layout: Layout,
    pub(super) experiment: String,
    pub(super) world: String,
    pub(super) lanes: Vec<Lane>,
    /// Names, cloned once per profile/probe/fixture (not per node) to render ids.
    pub(super) profile_ids: Vec<String>,
    pub(super) probe_ids: Vec<String>,
    pub(super) fixture_names: Vec<String>,
}

impl Plan {
    pub fn graph(&self) -> &DiGraph<Step, ()> {
        &self.graph
    }

    pub(crate) fn experiment_name(&self) -> &str {
        &self.experiment
    }

    pub(crate) fn world(&self) -> &str {
        &self.world
    }

    /// The experiment's lanes, in canonical order.
    pub(crate) fn lanes(&self) -> &[Lane] {
        &self.lanes
    }

    /// The lanes that run probes in a child (baseline, scenario), in canonical order.
    pub fn executing_lanes(&self) -> impl Iterator<Item = Lane> + '_ {
        self.lanes.iter().copied().filter(|l| l.executes())
    }

    pub fn has_lane(&self, lane: Lane) -> bool {
        self.lanes.contains(&lane)
    }

    pub(crate) fn profile_ids(&self) -> &[String] {
        &self.profile_ids
    }

    pub(crate) fn probe_ids(&self) -> &[String] {
        &self.probe_ids
    }

    pub(crate) fn fixture_names(&self) -> &[String] {
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
}
