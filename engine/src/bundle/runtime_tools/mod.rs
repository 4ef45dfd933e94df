//! Reading bundles written by the `runtime-tools` harness (`runtime-tools.*.v0.x`), so users'
//! existing macOS evidence can be verified, diffed against xpr runs and re-run under xpr.
//!
//! - [`detect`]: recognise the format by the index's schema string;
//! - [`verify`]: recompute sha256 digests and sizes, matching artifacts by name;
//! - [`RuntimeToolsBundle`]: the artifacts, mapped into [`mapped::MappedVerdict`]s by [`view`];
//! - [`reader`]: the same behind the bundle reader interface (`xpr verify`, `xpr diff`), with
//!   records as [`crate::model::VerdictRecord`]s plus their foreign details by [`to_record`];
//! - [`to_kdl`]: a starting xpr experiment from the expected matrix.

pub mod bundle;
pub mod detect;
pub mod digest;
pub mod error;
pub mod flags;
pub mod ids;
pub mod mapped;
pub mod read;
pub mod reader;
pub mod records;
pub mod schema;
pub mod to_kdl;
pub mod to_record;
pub mod verify;
pub mod view;

pub use bundle::RuntimeToolsBundle;
pub use detect::is_runtime_tools;
pub use error::RuntimeToolsError;
pub use reader::RuntimeToolsReader;
pub use verify::{VerifyReport, verify};
