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
pub mod progress;
mod status_line;
mod summary;
mod verdict_matrix;
pub mod width;

pub use applied::applied;
pub use columns::columns;
pub use divergence::{ShimDivergence, divergence_text, shim_divergence};
pub use status_line::status;
pub use summary::{RunSummary, summarise};
pub use verdict_matrix::{Style, markdown_matrix, matrix};
