//! matrix: one experiment across several worlds, compared in one table (spec §11.5).
//!
//! `run` runs the worlds (the host as a child `xpr run`, guests through
//! `worlds::run_in_world`), several at once as cores allow; `column` turns each verified
//! bundle (made here or elsewhere: `--from`) into a world column; `document` builds the
//! `xpr.matrix.v1` comparison (one row per expectation, one cell per world); `markdown` and
//! `html` render it; `output` writes the three files.

pub(crate) mod column;
pub(crate) mod document;
pub(crate) mod html;
pub(crate) mod markdown;
pub(crate) mod output;
pub(crate) mod world_runs;

pub(crate) use document::Matrix;
pub(crate) use world_runs::{MatrixRun, WorldOutcome};
