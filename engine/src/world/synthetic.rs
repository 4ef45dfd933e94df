//! Made-up world facts: a world this machine is not (another Landlock ABI, no Landlock, a
//! kernel that rejects a right its ABI claims), without detecting anything. Compile tests use
//! them, and `xpr check --world`/`--landlock-abi` compiles for a world it does not boot.

use super::landlock_rights::LANDLOCK_RIGHTS;
use super::{
    AuditFacts, DomainState, HarnessIdentity, LandlockDomain, LandlockFacts, LandlockStatus,
    MountFacts, SeccompFacts, WORLD_SCHEMA_VERSION, WorldFacts,
};

impl WorldFacts {
    /// Linux on x86_64 with seccomp and Landlock ABI `abi` (0: no Landlock), whose kernel
    /// accepts every right of that ABI except those named in `rejected`.
    pub(crate) fn synthetic(abi: u32, rejected: &[&str]) -> WorldFacts {
        let claimed = LANDLOCK_RIGHTS.iter().filter(|r| r.since_abi <= abi);
        let (missing, probed): (Vec<_>, Vec<_>) = claimed
            .map(|r| r.name.to_string())
            .partition(|name| rejected.contains(&name.as_str()));
        let landlock = LandlockFacts {
            status: if abi == 0 {
                LandlockStatus::NotImplemented
            } else {
                LandlockStatus::Available
            },
            host_abi: abi,
            errata: 0,
            abi_cap: None,
            effective_abi: abi,
            probed_rights: probed,
            missing_rights: missing,
        };
        let mut facts = WorldFacts {
            schema_version: WORLD_SCHEMA_VERSION.to_string(),
            os: "linux".into(),
            distro: "synthetic".into(),
            kernel: "synthetic".into(),
            arch: "x86_64".into(),
            landlock,
            seccomp: SeccompFacts {
                available: true,
                filter_errno: true,
            },
            audit: AuditFacts { netlink: false },
            mounts: MountFacts::default(),
            vm: None,
            world_id: String::new(),
            harness: HarnessIdentity {
                uid: 0,
                euid: 0,
                cap_eff: "0".into(),
                no_new_privs: false,
                seccomp_mode: 0,
                seccomp_filters: 0,
                container_hints: Vec::new(),
                landlock_domain: LandlockDomain {
                    state: DomainState::None,
                    layers: None,
                    detail: None,
                },
                vm: None,
            },
        };
        facts.world_id = facts.compute_world_id();
        facts
    }

    /// [`WorldFacts::synthetic`] with the mount mechanism available.
    #[cfg(test)]
    pub(crate) fn synthetic_with_mounts(abi: u32, rejected: &[&str]) -> WorldFacts {
        let mut facts = WorldFacts::synthetic(abi, rejected);
        facts.mounts.status = super::MountStatus::Available;
        facts.world_id = facts.compute_world_id();
        facts
    }
}
