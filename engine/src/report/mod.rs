//! report: the compact matrix people read after `xpr run`, and the run summary.
//!
//! One line per (profile, probe): expected, actual verdict, deciding stage, errno, baseline,
//! and a mark (`ok`, `MISMATCH`, `known`). Colour only where the colour choice allows it;
//! lines fit the terminal's width (`width`).

mod applied;
mod columns;
mod divergence;
pub(crate) mod fidelity;
pub mod junit;
pub(crate) mod progress;
mod status_line;
mod summary;
mod verdict_matrix;
pub(crate) mod width;

pub(crate) use applied::applied;
pub(crate) use columns::columns;
pub(crate) use divergence::{divergence_text, shim_divergence};
pub(crate) use status_line::status;
pub use summary::{RunSummary, summarise};
pub(crate) use verdict_matrix::{Style, markdown_matrix, matrix};
