//! Reading bundles written by the `runtime-tools` harness (`runtime-tools.*.v0.x`), so users'
//! existing macOS evidence can be verified, diffed against xpr runs and re-run under xpr.
//!
//! - [`detect`]: recognise the format by the index's schema string;
//! - [`verify`]: recompute sha256 digests and sizes, matching artifacts by name;
//! - [`RuntimeToolsBundle`]: the artifacts, mapped into [`crate::model::RunView`] by [`view`];
//! - [`reader`]: the same behind the bundle reader interface (`xpr verify`, `xpr diff`), with
//!   records as [`crate::model::VerdictRecord`]s by [`to_record`];
//! - [`xpr_view`]: a loaded xpr bundle as a `RunView`, for cross-format diffs;
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
pub mod reader;
pub mod records;
pub mod schema;
pub mod to_kdl;
pub mod to_record;
pub mod verify;
pub mod view;
pub mod xpr_view;

pub use bundle::RuntimeToolsBundle;
pub use detect::is_runtime_tools;
pub use error::RuntimeToolsError;
pub use reader::RuntimeToolsReader;
pub use verify::{VerifyReport, verify};
