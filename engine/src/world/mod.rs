//! World detection: the host build and sandbox mechanisms (the *world*), plus the invoking
//! process's harness identity (spec §6.6).
//!
//! `world_id` hashes the canonical JSON of the world facts only; harness identity is recorded
//! beside them but never changes the id.

mod canonical_json;
mod harness;
mod host;
mod landlock_domain_canary;
mod landlock_facts;
pub(crate) mod landlock_rights;
mod mechanisms;
mod mount_facts;
mod synthetic;
mod vm;

use serde::{Deserialize, Serialize};

pub use crate::model::errno_names::{errno_from_name, errno_name, errno_record};
pub use canonical_json::canonical_json;
pub(crate) use harness::HarnessIdentity;
pub(crate) use landlock_domain_canary::{DomainState, LandlockDomain};
pub use landlock_facts::{LandlockFacts, LandlockStatus};
pub(crate) use mechanisms::{AuditFacts, SeccompFacts};
pub use mount_facts::{MountFacts, MountStatus, UserNamespaceFacts};
pub(crate) use vm::{VmHarness, VmWorld};

pub(crate) const WORLD_SCHEMA_VERSION: &str = "xpr.world.v1";

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WorldOptions {
    /// Pretend the kernel only has this Landlock ABI (must not exceed the host's).
    pub landlock_abi_cap: Option<u32>,
    /// Use Landlock and seccomp only (`--mechanism landlock`): no mount namespace.
    pub landlock_only: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorldFacts {
    pub schema_version: String,
    pub os: String,
    /// `ID-VERSION_ID` from os-release.
    pub distro: String,
    /// Kernel release from uname.
    pub kernel: String,
    pub arch: String,
    pub landlock: LandlockFacts,
    pub seccomp: SeccompFacts,
    pub audit: AuditFacts,
    /// The mount namespace mechanism and the host's user-namespace settings.
    #[serde(default)]
    pub mounts: MountFacts,
    /// How a guest world was made (`xpr run --world`); absent on the host.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vm: Option<VmWorld>,
    /// Derived from the facts above; not hashed.
    pub world_id: String,
    /// Facts about this process; not hashed.
    pub harness: HarnessIdentity,
}

/// The errnos that count as a sandbox decision for one mechanism (spec §5).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DenySet {
    pub mechanism: &'static str,
    pub errnos: &'static [i32],
}

impl DenySet {
    pub(crate) fn contains(&self, errno: i32) -> bool {
        self.errnos.contains(&errno)
    }
    #[cfg(test)]
    fn names(&self) -> Vec<&'static str> {
        self.errnos.iter().map(|e| errno_name(*e)).collect()
    }

    /// The operation stage's outcome for a syscall result (0 = success).
    pub(crate) fn operation(&self, errno: i32) -> crate::model::OperationOutcome {
        use crate::model::OperationOutcome;
        match errno {
            0 => OperationOutcome::Allow,
            e if self.contains(e) => OperationOutcome::Deny,
            _ => OperationOutcome::Error,
        }
    }
}

/// Landlock fs/net denials are EACCES, reparenting EXDEV, scopes/ptrace/mount and xpr's
/// seccomp `RET_ERRNO` EPERM (spec §5).
pub(crate) const LANDLOCK_DENY_SET: DenySet = DenySet {
    mechanism: "landlock",
    errnos: &[libc::EACCES, libc::EPERM, libc::EXDEV],
};

/// With the mount mechanism, a read-only mount's EROFS too. ENOENT below a hidden mount and
/// EBUSY on a mount point are denies only where a mount of the profile explains them
/// (spec §7.1): elsewhere they mean "absent" and "busy".
pub(crate) const MOUNT_DENY_SET: DenySet = DenySet {
    mechanism: "landlock+mount",
    errnos: &[libc::EACCES, libc::EPERM, libc::EXDEV, libc::EROFS],
};

impl WorldFacts {
    /// Detects everything; never fails. An ABI cap above the host's is recorded and reported
    /// by [`WorldFacts::abi_cap_error`], which callers must check (usage error, exit 2).
    pub fn detect(opts: &WorldOptions) -> WorldFacts {
        let (kernel, arch) = host::uname();
        let landlock = LandlockFacts::detect(opts.landlock_abi_cap);
        let harness = HarnessIdentity::detect(landlock.status);
        let mut facts = WorldFacts {
            schema_version: WORLD_SCHEMA_VERSION.to_string(),
            os: std::env::consts::OS.to_string(),
            distro: host::distro(),
            kernel,
            arch,
            landlock,
            seccomp: SeccompFacts::detect(),
            audit: AuditFacts::detect(),
            mounts: MountFacts::detect(!opts.landlock_only),
            vm: None,
            world_id: String::new(),
            harness,
        };
        facts.world_id = facts.compute_world_id();
        facts
    }

    /// Adds how this guest world was made and recomputes the world id.
    pub(crate) fn set_vm(&mut self, world: VmWorld, harness: VmHarness) {
        self.vm = Some(world);
        self.harness.vm = Some(harness);
        self.world_id = self.compute_world_id();
    }

    /// Canonical JSON of the hashed facts: everything except `world_id` and `harness`.
    pub(crate) fn facts_json(&self) -> Vec<u8> {
        let mut value = serde_json::to_value(self).expect("plain data");
        if let Some(map) = value.as_object_mut() {
            map.remove("world_id");
            map.remove("harness");
        }
        canonical_json(&value)
    }

    /// `linux-6.18.44-x86_64-landlock7-3fa9c2d1`: readable prefix + 8 hex of blake3. Public so
    /// the host can check the id a guest world's bundle claims against its facts.
    pub(crate) fn compute_world_id(&self) -> String {
        let hash = blake3::hash(&self.facts_json()).to_hex();
        let mut mechanism = if self.landlock.status == LandlockStatus::Available {
            format!("landlock{}", self.landlock.effective_abi)
        } else {
            "nolandlock".to_string()
        };
        if self.mounts.usable() {
            mechanism.push_str("+mount");
        }
        let prefix = format!("{}-{}-{}-{}", self.os, self.kernel, self.arch, mechanism);
        let prefix: String = prefix
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || "._+-".contains(c) {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        format!("{prefix}-{}", &hash[..8])
    }

    /// `Some(message)` when `--landlock-abi N` asked for more than the host has.
    pub fn abi_cap_error(&self) -> Option<String> {
        let cap = self.landlock.abi_cap?;
        if cap == 0 {
            return Some("--landlock-abi must be at least 1".to_string());
        }
        (cap > self.landlock.host_abi).then(|| {
            format!(
                "--landlock-abi {cap} exceeds the host's Landlock ABI {}",
                self.landlock.host_abi
            )
        })
    }

    /// The errnos that mean "the sandbox denied" in this world.
    pub(crate) fn deny_set(&self) -> DenySet {
        if self.mounts.usable() {
            MOUNT_DENY_SET
        } else {
            LANDLOCK_DENY_SET
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn world_id_ignores_harness_identity() {
        let facts = WorldFacts::detect(&WorldOptions::default());
        let mut other = facts.clone();
        other.harness.uid = facts.harness.uid + 1;
        other.harness.container_hints.push("test".into());
        assert_eq!(facts.facts_json(), other.facts_json());
        assert!(facts.world_id.starts_with("linux-"), "{}", facts.world_id);
    }

    #[test]
    fn deny_set_is_landlocks_plus_what_mounts_return() {
        let landlock = WorldFacts::detect(&WorldOptions {
            landlock_only: true,
            ..WorldOptions::default()
        });
        assert_eq!(landlock.deny_set().names(), ["EACCES", "EPERM", "EXDEV"]);
        assert_eq!(landlock.mounts.status, MountStatus::Disabled);
        let facts = WorldFacts::detect(&WorldOptions::default());
        assert_eq!(
            facts.mounts.status,
            MountStatus::Available,
            "this test needs root (CAP_SYS_ADMIN) for a mount namespace: {:?}",
            facts.mounts.detail
        );
        assert_eq!(
            facts.deny_set().names(),
            ["EACCES", "EPERM", "EXDEV", "EROFS"]
        );
        assert!(!facts.deny_set().contains(libc::ENOENT));
        assert_ne!(facts.world_id, landlock.world_id);
        assert!(facts.world_id.contains("+mount"), "{}", facts.world_id);
    }
}
