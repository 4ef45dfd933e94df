//! report: the compact matrix people read after `xpr run`, and the run summary.
//!
//! One line per (profile, probe): expected, actual verdict, deciding stage, errno, baseline,
//! and a mark (`ok`, `MISMATCH`, `known`). Colour only where the colour choice allows it;
//! lines fit the terminal's width (`width`).

mod applied;
mod columns;
mod divergence;
pub mod fidelity;
pub mod junit;
mod matrix;
pub mod progress;
mod status;
mod summary;
pub mod width;

pub use applied::applied;
pub use columns::columns;
pub use divergence::{ShimDivergence, divergence_text, shim_divergence};
pub use matrix::{Style, markdown_matrix, matrix};
pub use status::status;
pub use summary::{RunSummary, summarise};
