//! Why a run stopped before its report. `cli` turns each variant into an exit code in one
//! place (`cli::exit`).

use std::path::PathBuf;

use crate::diagnostics::Diagnostics;
use crate::execute::ExecuteError;
use crate::worlds::WorldError;

use super::bundle_out::WriteError;
use super::select::SelectError;

#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub(crate) enum RunError {
    /// The experiment does not load; the diagnostics say where and why.
    #[error("{0}")]
    Invalid(Diagnostics),
    /// The selection does not fit the experiment, or its reference bundle cannot be read.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Select(#[from] SelectError),
    /// `--landlock-abi` above the host's ABI.
    #[error("{0}")]
    AbiCap(String),
    #[error("the harness cannot give faithful results: {}", .0.join("; "))]
    #[diagnostic(help("run xpr outside any sandbox"))]
    Harness(Vec<String>),
    #[error("cannot write bundles under {}", .path.display())]
    OutputNotWritable {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot locate the xpr binary for the probe helper")]
    HelperExe(#[source] std::io::Error),
    #[error("interrupted; workers stopped, scratch removed, no bundle written")]
    Interrupted,
    #[error("no profile `{name}` in the experiment")]
    #[diagnostic(help("the experiment's profiles: {known}"))]
    UnknownProfile { name: String, known: String },
    /// `xpr exec`: the profile could not be applied, or the command's process not set up.
    #[error("{0}")]
    NotApplied(String),
    #[error(transparent)]
    Execute(ExecuteError),
    #[error("cannot write the run bundle under {}", .root.display())]
    Bundle { root: PathBuf, source: WriteError },
    /// `--world` names no world of the catalogue (the message lists them).
    #[error("{0}")]
    UnknownWorld(String),
    #[error("--junit is not available with --world yet")]
    #[diagnostic(help("run on the host for a JUnit report"))]
    JunitInWorld,
    /// The guest world failed (qemu, the kernel, the guest, its bundle).
    #[error("world {world}: {error}")]
    World { world: String, error: WorldError },
    #[error("cannot write JUnit report {}", .path.display())]
    Junit {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl From<ExecuteError> for RunError {
    fn from(e: ExecuteError) -> RunError {
        match e {
            ExecuteError::Interrupted => RunError::Interrupted,
            other => RunError::Execute(other),
        }
    }
}
