//! Everything a worker needs, built by the engine before the workers fork (they inherit it).

use std::path::PathBuf;
use std::time::Duration;

use crate::model::{Experiment, Isolation};
use crate::world::{DenySet, LANDLOCK_DENY_SET};

use super::fixtures::Fixtures;
use super::network_isolation::Network;
use super::schedule::Schedule;
use super::scratch::ScratchRoot;
use crate::compile::ProfileSandbox;

#[derive(Clone, Debug)]
pub struct ExecuteOptions {
    /// Worker processes (`-j`); at least 1.
    pub jobs: usize,
    pub isolation: Isolation,
    /// Where the scratch root is created (default: the system temp dir).
    pub scratch_parent: PathBuf,
    /// The xpr binary that implements `__probe` (exec probes with `helper=`).
    pub helper_exe: PathBuf,
    /// Bytes of output kept per exec probe.
    pub output_limit: usize,
    pub deny: DenySet,
    /// Per-probe timeout; `None` = the experiment's.
    pub timeout: Option<Duration>,
    /// `--observer audit`: witness denials with Landlock audit records (side lanes).
    pub observer_audit: bool,
    /// Run driver probes in forked children with a result pipe instead of shared-memory
    /// (`CLONE_VM | CLONE_VFORK`) children. Slower; kept for comparison and as a fallback.
    pub fork_drivers: bool,
    /// Exec probes keep xpr's own stdin, stdout and stderr (nothing is captured): `xpr exec`.
    pub passthrough_stdio: bool,
}

impl Default for ExecuteOptions {
    fn default() -> ExecuteOptions {
        ExecuteOptions {
            jobs: std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1),
            isolation: Isolation::Probe,
            scratch_parent: std::env::temp_dir(),
            helper_exe: std::env::current_exe().unwrap_or_else(|_| PathBuf::from("xpr")),
            output_limit: super::capture::DEFAULT_OUTPUT_LIMIT,
            deny: LANDLOCK_DENY_SET,
            timeout: None,
            observer_audit: false,
            fork_drivers: false,
            passthrough_stdio: false,
        }
    }
}

pub(crate) struct Context<'a> {
    pub exp: &'a Experiment,
    pub sandboxes: &'a [ProfileSandbox],
    pub scratch: &'a ScratchRoot,
    pub fixtures: &'a Fixtures,
    pub schedule: Schedule,
    pub options: &'a ExecuteOptions,
    pub timeout: Duration,
    pub network: Network,
}
