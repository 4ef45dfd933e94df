//! Which probes run together, in which child, on which worker.
//!
//! The rule for probes that change the scratch tree (spec §5.2): destructive drivers, commands
//! (the host guard lets a command change anything beneath `{scratch}`) and the probe helper
//! running a destructive family form one serial job. It runs alone, after every other job has
//! finished, one child per probe; before each of its probes the worker restores the declared
//! state (the scratch tree emptied and every file/dir fixture re-created from its declaration)
//! and prepares the sandbox again (rules hold inodes). Every other probe runs before any change
//! is made. So every probe sees exactly the declared state, and no two probes that could see
//! each other's changes ever run at the same time. A probe that sends a fixture process a real
//! signal joins it too (the worker starts its fixture processes anew after it), and so do the
//! probes that use the network when probes share the host's (`Network::Shared`).

use crate::model::{Experiment, Isolation, Lane};

use super::network_isolation::Network;

/// A unit of work: the lane, its profile (`None` for the baseline) and the probe.
pub(crate) type Unit = (Lane, Option<usize>, usize);

/// The jobs a unit can share: same lane, same profile.
type UnitKey = (Lane, Option<usize>);

/// Most units of one probe-isolation job (keeps `-j` workers busy on few profiles).
const CHUNK: usize = 256;

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Job {
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
pub(crate) struct SerialJob {
    pub units: Vec<Unit>,
}

#[derive(Clone, Debug, Default)]
pub(crate) struct Schedule {
    pub serial: SerialJob,
    pub jobs: Vec<Job>,
}

/// Groups the units the plan walk runs (`(lane, profile, probe)` in plan order: lane, then
/// profile, then probe) into jobs.
pub(crate) fn build(
    exp: &Experiment,
    isolation: Isolation,
    units: &[Unit],
    network: &Network,
) -> Schedule {
    let mut s = Schedule::default();
    let shared_network = matches!(network, Network::Shared { .. });
    let serial: Vec<bool> = exp
        .probes
        .iter()
        .map(|p| {
            crate::probes::changes_scratch(p)
                || crate::probes::signals_a_fixture(p)
                || (shared_network && crate::probes::uses_network(p))
        })
        .collect();
    // Probes that need a child of their own under profile isolation: commands, and probes
    // that acquire before apply (their descriptors would stay open while the others run).
    let own_child: Vec<bool> = exp
        .probes
        .iter()
        .map(|p| {
            crate::probes::is_exec_family(&p.family)
                || p.acquire() == Some(crate::model::Acquire::Before)
        })
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
            Isolation::Profile => free.into_iter().partition(|&p| !own_child[p]),
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
