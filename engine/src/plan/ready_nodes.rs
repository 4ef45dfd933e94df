//! Ready-node tracking for walking the plan: a node is ready once every dependency completed.
//!
//! Deterministic: among ready nodes the lowest graph index comes first, so two walks of the
//! same plan visit nodes in the same order (the executor may still run ready nodes in parallel).

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use petgraph::Direction;
use petgraph::graph::NodeIndex;

use super::Plan;

pub struct Schedule<'p> {
    plan: &'p Plan,
    /// Dependencies not yet completed, per node.
    waiting: Vec<u32>,
    ready: BinaryHeap<Reverse<NodeIndex>>,
    completed: usize,
}

impl<'p> Schedule<'p> {
    pub fn new(plan: &'p Plan) -> Schedule<'p> {
        let graph = plan.graph();
        let mut waiting = vec![0u32; graph.node_count()];
        for edge in graph.raw_edges() {
            waiting[edge.target().index()] += 1;
        }
        let ready = waiting
            .iter()
            .enumerate()
            .filter(|(_, w)| **w == 0)
            .map(|(i, _)| Reverse(NodeIndex::new(i)))
            .collect();
        Schedule {
            plan,
            waiting,
            ready,
            completed: 0,
        }
    }

    /// Takes the next ready node (lowest index first), if any.
    pub(crate) fn next_ready(&mut self) -> Option<NodeIndex> {
        self.ready.pop().map(|Reverse(n)| n)
    }

    /// Takes every node that is ready now.
    pub fn drain_ready(&mut self) -> Vec<NodeIndex> {
        let mut out = Vec::with_capacity(self.ready.len());
        while let Some(n) = self.next_ready() {
            out.push(n);
        }
        out
    }

    /// Marks a taken node as done; its dependents whose last dependency this was become ready.
    pub fn complete(&mut self, node: NodeIndex) {
        self.completed += 1;
        for next in self
            .plan
            .graph()
            .neighbors_directed(node, Direction::Outgoing)
        {
            let w = &mut self.waiting[next.index()];
            *w -= 1;
            if *w == 0 {
                self.ready.push(Reverse(next));
            }
        }
    }

    /// True once every node of the plan has completed.
    pub fn is_done(&self) -> bool {
        self.completed == self.waiting.len()
    }
}

impl Plan {
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
}
