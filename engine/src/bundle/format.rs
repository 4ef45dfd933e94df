//! What every bundle format provides: its name ([`BundleFormat`]), the reader interface `xpr
//! verify` and `xpr diff` talk to ([`BundleReader`]) and why loading fails ([`LoadError`]).
//! Kept apart from [`super::open::open`], which knows every format, so that the formats'
//! readers, [`super::verification`] and [`super::view`] depend on this file and not on each other.

use std::path::Path;

use serde::Serialize;

use super::dir::BundleDir;
use super::verification::Verification;
use super::view::BundleView;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum BundleFormat {
    /// Written by this engine: `xpr.artifact_index.v<major>`, blake3 digests.
    Xpr,
    /// Written by our users' Python harness: `runtime-tools.artifact_index.v0.x`, sha256.
    RuntimeTools,
}

impl BundleFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            BundleFormat::Xpr => "xpr",
            BundleFormat::RuntimeTools => "runtime-tools",
        }
    }
}

/// One opened bundle, whatever its format.
pub trait BundleReader {
    fn format(&self) -> BundleFormat;
    /// The opened bundle directory: every further read of the bundle goes through it.
    fn dir(&self) -> &BundleDir;
    /// The bundle directory's path, as the user named it.
    fn root(&self) -> &Path {
        self.dir().root()
    }
    /// Recomputes every digest and checks the bundle's structure. Never fails: every problem
    /// is a finding.
    fn verify(&self) -> Verification;
    /// Verifies, then reads the semantic content `xpr diff` compares.
    fn load(&self) -> Result<BundleView, LoadError>;
}

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("the bundle does not verify ({} finding(s), first: {first}); run `xpr verify` on it", .findings)]
    Unverified { findings: usize, first: String },
    #[error("{path}: {detail}")]
    Artifact { path: String, detail: String },
}
