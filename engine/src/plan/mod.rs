//! plan: the resolved stage graph of an experiment (spec §4).
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
mod graph;
mod id;
mod node;
mod node_layout;
mod ready_nodes;
pub mod render;
mod stats;

pub use graph::Plan;
pub use node::{Node, ProfileForm, Step, StepKind};
pub use ready_nodes::Schedule;

/// The world name probe families are matched against (`Probe::worlds`).
pub(crate) fn current_world() -> &'static str {
    if cfg!(target_os = "macos") {
        "macos"
    } else {
        "linux"
    }
}
