//! Reading bundles written by the `runtime-tools` harness (`runtime-tools.*.v0.x`), so users'
//! existing macOS evidence can be verified, diffed against xpr runs and re-run under xpr.
//!
//! - [`detect`]: recognise the format by the index's schema string;
//! - [`verify`]: recompute sha256 digests and sizes, matching artifacts by name;
//! - [`RuntimeToolsBundle`]: the artifacts, mapped into [`mapped::MappedVerdict`]s by [`view`];
//! - [`reader`]: the same behind the bundle reader interface (`xpr verify`, `xpr diff`), with
//!   records as [`crate::model::VerdictRecord`]s plus their foreign details by [`to_record`];
//! - [`to_kdl`]: a starting xpr experiment from the expected matrix.

pub(crate) mod artifact_json;
pub(crate) mod bundle;
pub(crate) mod bundle_reader;
pub(crate) mod detect;
pub(crate) mod error;
pub mod flags;
pub(crate) mod ids;
pub(crate) mod integrity;
pub(crate) mod map_records;
pub(crate) mod mapped;
pub(crate) mod records;
pub(crate) mod schema;
pub(crate) mod sha256;
pub mod to_kdl;
pub(crate) mod to_record;

pub use bundle::RuntimeToolsBundle;
pub(crate) use bundle_reader::RuntimeToolsReader;
pub use detect::is_runtime_tools;
pub use integrity::{VerifyReport, verify};
