//! Reading bundles written by the `runtime-tools` harness (`runtime-tools.*.v0.x`), so users'
//! existing macOS evidence can be verified, diffed against xpr runs and re-run under xpr.
//!
//! - [`detect`]: recognise the format by the index's schema string;
//! - [`verify`]: recompute sha256 digests and sizes, matching artifacts by name;
//! - [`RuntimeToolsBundle`]: the artifacts, mapped into [`mapped::MappedVerdict`]s by [`view`];
//! - [`reader`]: the same behind the bundle reader interface (`xpr verify`, `xpr diff`), with
//!   records as [`crate::model::VerdictRecord`]s plus their foreign details by [`to_record`];
//! - [`to_kdl`]: a starting xpr experiment from the expected matrix.

pub mod artifact_json;
pub mod bundle;
pub mod bundle_reader;
pub mod detect;
pub mod error;
pub mod flags;
pub mod ids;
pub mod integrity;
pub mod map_records;
pub mod mapped;
pub mod records;
pub mod schema;
pub mod sha256;
pub mod to_kdl;
pub mod to_record;

pub use bundle::RuntimeToolsBundle;
pub use bundle_reader::RuntimeToolsReader;
pub use detect::is_runtime_tools;
pub use error::RuntimeToolsError;
pub use integrity::{VerifyReport, verify};
