//! report: the compact matrix people read after `xpr run`, and the run summary.
//!
//! One line per (profile, probe): expected, actual verdict, deciding stage, errno, baseline,
//! and a mark (`ok`, `MISMATCH`, `known`). Colour only on a terminal.

mod applied;
mod divergence;
pub mod junit;
mod matrix;
pub mod progress;
mod summary;

pub use applied::applied;
pub use divergence::{ShimDivergence, divergence_text, shim_divergence};
pub use matrix::{Style, matrix};
pub use summary::{RunSummary, summarise};
