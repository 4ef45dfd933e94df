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

/// A unit of work: the lane, its profile (`None` for the baseline) and the probe.
pub type Unit = (Lane, Option<usize>, usize);

/// The jobs a unit can share: same lane, same profile.
type UnitKey = (Lane, Option<usize>);

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
    pub units: Vec<Unit>,
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

/// Groups the units the plan walk runs (`(lane, profile, probe)` in plan order: lane, then
/// profile, then probe) into jobs.
pub fn build(
    exp: &Experiment,
    isolation: Isolation,
    units: &[Unit],
    fixtures: &Fixtures,
    scratch: &ScratchRoot,
) -> Schedule {
    let mut s = Schedule::default();
    let mut runs = vec![false; exp.probes.len()];
    for &(_, _, probe) in units {
        runs[probe] = true;
    }
    for (i, p) in exp.probes.iter().enumerate() {
        if p.destructive && runs[i] {
            for entry in named_paths(exp, i, fixtures, scratch) {
                if !s.pristine.contains(&entry) {
                    s.pristine.push(entry);
                }
            }
        }
    }
    let serial: Vec<bool> = (0..exp.probes.len())
        .map(|i| {
            runs[i]
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

    // Plan order keeps each (lane, profile)'s units together: one group per run of equal keys.
    let mut groups: Vec<(UnitKey, Vec<usize>)> = Vec::new();
    for &(lane, profile, probe) in units {
        if serial[probe] {
            s.serial.units.push((lane, profile, probe));
            continue;
        }
        match groups.last_mut() {
            Some((key, probes)) if *key == (lane, profile) => probes.push(probe),
            _ => groups.push(((lane, profile), vec![probe])),
        }
    }
    for ((lane, profile), free) in groups {
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
