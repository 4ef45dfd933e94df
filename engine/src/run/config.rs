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

use super::select::Selection;

#[derive(Clone, Debug)]
pub(crate) struct RunConfig {
    /// The experiments, run one after the other.
    pub files: Vec<PathBuf>,
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
    /// Also write JUnit XML here (one test suite per experiment).
    pub junit: Option<PathBuf>,
    /// What is printed on stdout at the end.
    pub report: ReportFormat,
    /// Colour in the text report.
    pub style: Style,
    /// Colour in the status lines on stderr.
    pub stderr_colour: bool,
    /// How warnings are printed on stderr.
    pub message_format: MessageFormat,
    /// Which (profile, probe) pairs run; empty: all of them.
    pub selection: Selection,
    /// Stop once an expectation fails (a mismatch that is not `known`): no probe starts after
    /// it, and no later experiment runs.
    pub fail_fast: bool,
    /// What is shown on stderr while the run goes on.
    pub verbosity: Verbosity,
    /// A guest world to run in instead of this host (`--world`).
    pub world: Option<WorldChoice>,
    /// Inside a guest world: what its host decided.
    pub guest: Option<GuestContext>,
}

/// How much `xpr run` says while it runs (`-q`, `-v`).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Verbosity {
    /// `-q`: no progress, no status lines; the matrix shows only the rows that did not hold.
    Quiet,
    /// Progress and a status line per finished probe, on a terminal only.
    #[default]
    Normal,
    /// `-v`: status lines also when stderr is not a terminal, and harness notes.
    Verbose,
}

/// `--world NAME [--world-file FILE]... [--accel A]`.
#[derive(Clone, Debug)]
pub(crate) struct WorldChoice {
    pub name: String,
    pub world_files: Vec<PathBuf>,
    pub accel: Accel,
}

/// What a guest world's run takes from its host instead of choosing or detecting it.
#[derive(Clone, Debug)]
pub(crate) struct GuestContext {
    pub run_id: RunId,
    /// The manifest's `args`: the user's command line on the host.
    pub manifest_args: Vec<String>,
    pub vm: VmWorld,
    pub harness: VmHarness,
}

/// What `xpr run` prints on stdout.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum ReportFormat {
    /// The matrix, shim divergence, summary line, side lanes and the bundle path.
    Text,
    /// One JSON document: summary, shim divergence, verdicts, bundle path.
    Json,
}
