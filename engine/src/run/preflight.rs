//! Checks before any probe runs: results must be faithful (no sandbox around the engine), the
//! output root must take the bundle, and the engine must be single-threaded when it forks.

use std::path::Path;

use crate::bundle::BundleWriter;
use crate::world::WorldFacts;

use super::{RunError, Verbosity};

/// A harness already inside a Landlock domain or seccomp filter cannot give faithful results.
/// Lesser facts (a container, missing capabilities) do not change a result: `xpr world` and
/// the manifest record them, and `-v` prints them here.
pub(crate) fn harness(world: &WorldFacts, verbosity: Verbosity) -> Result<(), RunError> {
    let problems = world.harness.problems();
    if !problems.is_empty() {
        return Err(RunError::Harness(problems));
    }
    if verbosity == Verbosity::Verbose {
        for w in world.harness.warnings() {
            eprintln!("note: harness: {w}");
        }
    }
    Ok(())
}

/// The bundle can be written: `out_root/<experiment>` is made or opened and refused as the
/// bundle writer would refuse it, and takes a new file, before any probe runs.
pub(crate) fn output_root(out_root: &Path, experiment: &str) -> Result<(), RunError> {
    BundleWriter::check_output(out_root, experiment).map_err(|source| RunError::OutputNotWritable {
        path: out_root.to_path_buf(),
        source,
    })
}

/// Workers are forked from this process: it must have no other thread by now (the SBPL
/// parser's scoped thread has been joined).
pub(crate) fn single_threaded() {
    let threads = std::fs::read_dir("/proc/self/task")
        .map(|d| d.count())
        .unwrap_or(1);
    if threads > 1 {
        eprintln!("warning: the engine has {threads} threads before forking workers");
    }
}
