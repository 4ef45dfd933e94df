//! What Landlock can do here: status, ABI, errata, the optional ABI cap, and a per-right probe.

use serde::{Deserialize, Serialize};

use super::landlock_rights::{LANDLOCK_RIGHTS, RightKind, abi_mask};
use crate::sys::landlock::{self, RulesetAttr};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LandlockStatus {
    Available,
    /// ENOSYS: not built into the kernel.
    NotImplemented,
    /// EOPNOTSUPP: built in but not enabled at boot.
    NotEnabled,
    /// Any other errno from the version query.
    QueryFailed,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LandlockFacts {
    pub status: LandlockStatus,
    /// The version query's answer (0 when unavailable).
    pub host_abi: u32,
    /// Bitmask of fixed errata (`LANDLOCK_CREATE_RULESET_ERRATA`).
    pub errata: u32,
    /// `--landlock-abi N`, recorded because it changes the world.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub abi_cap: Option<u32>,
    /// min(host ABI, cap): what compile targets.
    pub effective_abi: u32,
    /// Rights a ruleset handling only that right was accepted for (the version alone is no proof).
    pub probed_rights: Vec<String>,
    /// Rights the effective ABI claims but the probe rejected (ABI drift; spec §7, "Availability").
    pub missing_rights: Vec<String>,
}

impl LandlockFacts {
    pub(crate) fn detect(abi_cap: Option<u32>) -> LandlockFacts {
        let (status, host_abi) =
            match landlock::query(landlock::CREATE_RULESET_VERSION).map_err(|e| e.raw_os_error()) {
                Ok(abi) => (LandlockStatus::Available, abi),
                Err(Some(libc::ENOSYS)) => (LandlockStatus::NotImplemented, 0),
                Err(Some(libc::EOPNOTSUPP)) => (LandlockStatus::NotEnabled, 0),
                Err(_) => (LandlockStatus::QueryFailed, 0),
            };
        let errata = if status == LandlockStatus::Available {
            landlock::query(landlock::CREATE_RULESET_ERRATA).unwrap_or(0)
        } else {
            0
        };
        let probed: Vec<&str> = if status == LandlockStatus::Available {
            LANDLOCK_RIGHTS
                .iter()
                .filter(|right| probe_right(right.kind, right.mask()))
                .map(|right| right.name)
                .collect()
        } else {
            Vec::new()
        };
        let effective_abi = abi_cap.map_or(host_abi, |cap| cap.min(host_abi));
        let missing_rights = LANDLOCK_RIGHTS
            .iter()
            .filter(|right| right.since_abi <= effective_abi && !probed.contains(&right.name))
            .map(|right| right.name.to_string())
            .collect();
        LandlockFacts {
            status,
            host_abi,
            errata,
            abi_cap,
            effective_abi,
            probed_rights: probed.into_iter().map(str::to_string).collect(),
            missing_rights,
        }
    }

    /// Rights of `kind` that compile may use: known to the effective ABI and accepted by the probe.
    pub(crate) fn usable_mask(&self, kind: RightKind) -> u64 {
        abi_mask(kind, self.effective_abi) & self.probed_mask(kind)
    }

    /// Rights of `kind` the probe accepted (whatever the cap).
    pub(crate) fn probed_mask(&self, kind: RightKind) -> u64 {
        LANDLOCK_RIGHTS
            .iter()
            .filter(|r| r.kind == kind && self.probed_rights.iter().any(|p| p == r.name))
            .fold(0, |mask, r| mask | r.mask())
    }
}

/// Creates (and closes) a ruleset handling only this right; EINVAL means the kernel lacks it.
fn probe_right(kind: RightKind, mask: u64) -> bool {
    let mut attr = RulesetAttr::default();
    match kind {
        RightKind::Fs => attr.handled_access_fs = mask,
        RightKind::Net => attr.handled_access_net = mask,
        RightKind::Scope => attr.scoped = mask,
    }
    landlock::create_ruleset(&attr).is_ok()
}
