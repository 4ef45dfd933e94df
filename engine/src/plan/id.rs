//! Node ids: `stage[:lane|form]:profile[:probe]`, built from names only (never the world), so
//! they are stable across worlds and runs.

use std::fmt;

use petgraph::graph::NodeIndex;

use super::Plan;
use super::node::Node;

/// A node's id, rendered on demand (the graph stores indices, not strings).
#[derive(Clone, Copy)]
pub(crate) struct NodeId<'p> {
    pub(super) plan: &'p Plan,
    pub(super) node: Node,
}

impl fmt::Display for NodeId<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let plan = self.plan;
        let profile = |p: u32| plan.profile_ids[p as usize].as_str();
        let probe = |q: u32| plan.probe_ids[q as usize].as_str();
        let kind = self.node.kind().as_str();
        match self.node {
            Node::Compile { profile: p, form } => {
                write!(f, "{kind}:{}:{}", form.as_str(), profile(p))
            }
            Node::Fixture { fixture } => {
                write!(f, "{kind}:{}", plan.fixture_names[fixture as usize])
            }
            Node::Apply {
                lane,
                profile: p,
                probe: q,
            }
            | Node::Exec {
                lane,
                profile: p,
                probe: q,
            }
            | Node::Operation {
                lane,
                profile: p,
                probe: q,
            } => write!(f, "{kind}:{}:{}:{}", lane.as_str(), profile(p), probe(q)),
            Node::Oracle {
                profile: p,
                probe: q,
            }
            | Node::Observer {
                profile: p,
                probe: q,
            }
            | Node::Verdict {
                profile: p,
                probe: q,
            } => write!(f, "{kind}:{}:{}", profile(p), probe(q)),
            Node::Scratch | Node::Bundle => f.write_str(kind),
        }
    }
}

impl Plan {
    /// The stable, readable id of a node, e.g. `apply:scenario:v1_read:read-hosts`.
    pub(crate) fn id(&self, node: Node) -> String {
        self.display_id(node).to_string()
    }

    /// The id as a `Display` value, for writing it without an intermediate `String`.
    pub(crate) fn display_id(&self, node: Node) -> NodeId<'_> {
        NodeId { plan: self, node }
    }

    /// The id of the node at a graph index.
    pub fn id_at(&self, index: NodeIndex) -> String {
        self.id(self.node(index))
    }
}
