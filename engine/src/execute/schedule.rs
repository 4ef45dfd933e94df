//! Which probes run together, in which child, on which worker.
//!
//! The rule for destructive probes (documented in spec §5): the *pristine set* is every scratch
//! path a destructive probe names (target, `to`, its fixtures). Every probe that names a path
//! overlapping the pristine set runs in one serial job, on one worker, one child per probe, and
//! before each such probe the worker restores the pristine state (fixtures re-created from their
//! declaration, other pristine paths removed) and re-prepares the sandbox (rules hold inodes).
//! The serial job runs alone, after every other job has finished, because its probes and
//! restores replace fixture inodes that other workers' sandboxes open while they prepare.
//! So no two probes touching the same fixture ever run concurrently, each sees the declared
//! state, and all other probes never see a mutated path.

use std::path::PathBuf;

use crate::model::{Experiment, Isolation, Lane};

use super::fixtures::Fixtures;
use super::scratch::ScratchRoot;

/// Most units of one probe-isolation job (keeps `-j` workers busy on few profiles).
const CHUNK: usize = 256;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Job {
    pub lane: Lane,
    /// Index into `experiment.profiles`; `None` for the baseline lane.
    pub profile: Option<usize>,
    /// Probe indices.
    pub probes: Vec<usize>,
    /// Profile isolation: one child runs all of them.
    pub shared_child: bool,
}

/// A job of the serial class: units across lanes and profiles, restored before each.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SerialJob {
    pub units: Vec<(Lane, Option<usize>, usize)>,
}

#[derive(Clone, Debug, Default)]
pub struct Schedule {
    pub serial: SerialJob,
    pub jobs: Vec<Job>,
    /// Paths restored before each serial unit: (path, fixture name if it is one).
    pub pristine: Vec<(PathBuf, Option<String>)>,
}

/// Scratch paths a probe names: its target, `to`, and its file/dir fixtures.
fn named_paths(
    exp: &Experiment,
    probe: usize,
    fixtures: &Fixtures,
    scratch: &ScratchRoot,
) -> Vec<(PathBuf, Option<String>)> {
    let p = &exp.probes[probe];
    let sub = |s: &str| s.replace("{scratch}", scratch.as_str());
    let mut out = Vec::new();
    let mut push = |s: String| {
        if s.starts_with(scratch.as_str()) {
            out.push((PathBuf::from(s), None));
        }
    };
    if let Some(t) = &p.target {
        push(sub(t));
    }
    if let Some(crate::model::ArgValue::Str(to)) = p.args.get("to") {
        push(sub(to));
    }
    for name in &p.fixtures {
        if let Some(path) = fixtures.path_of(name) {
            out.push((path.to_path_buf(), Some(name.clone())));
        }
    }
    // A path that is a fixture's path is restored as that fixture.
    for (path, fx) in out.iter_mut() {
        if fx.is_none() {
            for name in &p.fixtures {
                if fixtures.path_of(name) == Some(path.as_path()) {
                    *fx = Some(name.clone());
                }
            }
        }
    }
    out
}

fn overlaps(a: &std::path::Path, b: &std::path::Path) -> bool {
    a.starts_with(b) || b.starts_with(a)
}

/// `runnable[p]`: probe p has a driver here; `ready[i]`: profile i can be prepared.
pub fn build(
    exp: &Experiment,
    isolation: Isolation,
    runnable: &[bool],
    ready: &[bool],
    fixtures: &Fixtures,
    scratch: &ScratchRoot,
) -> Schedule {
    let mut s = Schedule::default();
    for (i, p) in exp.probes.iter().enumerate() {
        if p.destructive && runnable[i] {
            for entry in named_paths(exp, i, fixtures, scratch) {
                if !s.pristine.contains(&entry) {
                    s.pristine.push(entry);
                }
            }
        }
    }
    let serial: Vec<bool> = (0..exp.probes.len())
        .map(|i| {
            runnable[i]
                && named_paths(exp, i, fixtures, scratch)
                    .iter()
                    .any(|(a, _)| s.pristine.iter().any(|(b, _)| overlaps(a, b)))
        })
        .collect();
    let exec: Vec<bool> = exp
        .probes
        .iter()
        .map(|p| crate::probes::is_exec_family(&p.family))
        .collect();

    let mut lanes: Vec<(Lane, Option<usize>)> = Vec::new();
    if exp.lanes.contains(&Lane::Baseline) {
        lanes.push((Lane::Baseline, None));
    }
    for (i, _) in exp.profiles.iter().enumerate() {
        if ready[i] {
            lanes.push((Lane::Scenario, Some(i)));
        }
    }
    for (probe, _) in serial.iter().enumerate().filter(|(_, s)| **s) {
        {
            for &(lane, profile) in &lanes {
                s.serial.units.push((lane, profile, probe));
            }
        }
    }
    for &(lane, profile) in &lanes {
        let free: Vec<usize> = (0..exp.probes.len())
            .filter(|&p| runnable[p] && !serial[p])
            .collect();
        let (shared, single): (Vec<usize>, Vec<usize>) = match isolation {
            Isolation::Profile => free.into_iter().partition(|&p| !exec[p]),
            Isolation::Probe => (Vec::new(), free),
        };
        if !shared.is_empty() {
            s.jobs.push(Job {
                lane,
                profile,
                probes: shared,
                shared_child: true,
            });
        }
        for chunk in single.chunks(CHUNK) {
            s.jobs.push(Job {
                lane,
                profile,
                probes: chunk.to_vec(),
                shared_child: false,
            });
        }
    }
    s
}
