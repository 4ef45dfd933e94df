//! A validated run configuration: what `xpr run` was asked to do, every value already checked
//! (arguments are parsed and validated by `cli`; what needs the world, such as the Landlock
//! ABI cap, is checked by [`super::run`]).

use std::num::NonZeroUsize;
use std::path::PathBuf;

use crate::bundle::RunId;
use crate::diagnostics::MessageFormat;
use crate::model::Isolation;
use crate::report::Style;
use crate::resolve::LoadOptions;
use crate::world::{VmHarness, VmWorld};
use crate::worlds::Accel;

#[derive(Clone, Debug)]
pub struct RunConfig {
    pub file: PathBuf,
    pub load: LoadOptions,
    /// Worker processes; `None`: one per core.
    pub jobs: Option<NonZeroUsize>,
    /// The bundle goes to `<out_root>/<experiment>/<run_id>/`.
    pub out_root: PathBuf,
    /// Appended to the run id; letters, digits, `.`, `_` and `-` (checked).
    pub label: Option<String>,
    /// Overrides the experiment's isolation.
    pub isolation: Option<Isolation>,
    pub landlock_abi_cap: Option<u32>,
    /// Landlock and seccomp only, no mount namespace (`--mechanism landlock`).
    pub landlock_only: bool,
    /// Witness denials with Landlock audit records.
    pub observer_audit: bool,
    /// Also write JUnit XML here.
    pub junit: Option<PathBuf>,
    /// What is printed on stdout at the end.
    pub report: ReportFormat,
    /// Colour in the text report.
    pub style: Style,
    /// How warnings are printed on stderr.
    pub message_format: MessageFormat,
    /// A guest world to run in instead of this host (`--world`).
    pub world: Option<WorldChoice>,
    /// Inside a guest world: what its host decided.
    pub guest: Option<GuestContext>,
}

/// `--world NAME [--world-file FILE]... [--accel A]`.
#[derive(Clone, Debug)]
pub struct WorldChoice {
    pub name: String,
    pub world_files: Vec<PathBuf>,
    pub accel: Accel,
}

/// What a guest world's run takes from its host instead of choosing or detecting it.
#[derive(Clone, Debug)]
pub struct GuestContext {
    pub run_id: RunId,
    /// The manifest's `args`: the user's command line on the host.
    pub manifest_args: Vec<String>,
    pub vm: VmWorld,
    pub harness: VmHarness,
}

/// What `xpr run` prints on stdout.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ReportFormat {
    /// The matrix, shim divergence, summary line, side lanes and the bundle path.
    Text,
    /// One JSON document: summary, shim divergence, verdicts, bundle path.
    Json,
}
