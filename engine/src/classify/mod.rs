//! classify: stage records → verdicts (spec §5), compared with expectations.
//!
//! `deny` only comes from the operation stage with an errno in the world's deny set; a scenario
//! failure whose baseline also failed is `baseline_denied`, not a sandbox decision.

mod verdict;

pub use verdict::{compare, stage_verdict, verdicts};
