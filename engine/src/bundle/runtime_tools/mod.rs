//! Reading bundles written by the `runtime-tools` harness (`runtime-tools.*.v0.x`), so users'
//! existing macOS evidence can be verified, diffed against xpr runs and re-run under xpr.
//!
//! - [`detect`]: recognise the format by the index's schema string;
//! - [`verify`]: recompute sha256 digests and sizes, matching artifacts by name;
//! - [`RuntimeToolsBundle`]: the artifacts, mapped into [`crate::model::BundleView`] by [`view`];
//! - [`compare`]: the format-neutral diff of two views;
//! - [`to_kdl`]: a starting xpr experiment from the expected matrix.

pub mod bundle;
pub mod compare;
pub mod detect;
pub mod digest;
pub mod error;
pub mod flags;
pub mod ids;
pub mod read;
pub mod records;
pub mod schema;
pub mod to_kdl;
pub mod verify;
pub mod view;

pub use bundle::RuntimeToolsBundle;
pub use detect::is_runtime_tools;
pub use error::RuntimeToolsError;
pub use verify::{VerifyReport, verify};
