//! report: the compact matrix people read after `xpr run`, and the run summary.
//!
//! One line per (profile, probe): expected, actual verdict, deciding stage, errno, baseline,
//! and a mark (`ok`, `MISMATCH`, `known`). Colour only on a terminal.

pub mod junit;
mod matrix;
pub mod progress;
mod summary;

pub use matrix::{Style, matrix};
pub use summary::{RunSummary, summarise};
