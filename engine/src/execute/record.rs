//! The fixed-size record a probe child (or the probe helper) writes to its result pipe.
//!
//! 24 bytes, little-endian, written with one `write` (< PIPE_BUF, so atomic) and no allocation.

use crate::model::BlockedReason;

const MAGIC: u32 = 0x7870_7231; // "xpr1"
pub const RECORD_LEN: usize = 24;

/// The last stage the child reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecordStage {
    /// `PreparedSandbox::apply` failed: `errno`, `reason` and `step` say how.
    Apply,
    /// execve failed with `errno`.
    Exec,
    /// The operation ran: `errno` 0 = success.
    Operation,
}

/// Apply step names a record can carry (the step is an index into this table).
pub const APPLY_STEPS: &[&str] = &[
    "apply",
    "prctl(PR_SET_NO_NEW_PRIVS)",
    "landlock_create_ruleset",
    "landlock_add_rule",
    "landlock_restrict_self",
    "seccomp",
    "prepare",
    "seccomp(SECCOMP_SET_MODE_FILTER)",
    "open(O_PATH)",
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChildRecord {
    /// Index of the probe within the child's unit list (profile isolation streams several).
    pub unit: u32,
    pub stage: RecordStage,
    pub reason: Option<BlockedReason>,
    pub step: u8,
    pub errno: i32,
    pub value: i64,
}

impl ChildRecord {
    pub fn new(unit: u32, stage: RecordStage, errno: i32, value: i64) -> ChildRecord {
        ChildRecord {
            unit,
            stage,
            reason: None,
            step: 0,
            errno,
            value,
        }
    }

    pub fn apply_failed(unit: u32, reason: BlockedReason, errno: i32, step: &str) -> ChildRecord {
        let step = APPLY_STEPS.iter().position(|s| *s == step).unwrap_or(0) as u8;
        ChildRecord {
            unit,
            stage: RecordStage::Apply,
            reason: Some(reason),
            step,
            errno,
            value: 0,
        }
    }

    pub fn step_name(&self) -> &'static str {
        APPLY_STEPS
            .get(self.step as usize)
            .copied()
            .unwrap_or("apply")
    }

    pub fn encode(&self) -> [u8; RECORD_LEN] {
        let mut b = [0u8; RECORD_LEN];
        b[0..4].copy_from_slice(&MAGIC.to_le_bytes());
        b[4..8].copy_from_slice(&self.unit.to_le_bytes());
        b[8] = match self.stage {
            RecordStage::Apply => 1,
            RecordStage::Exec => 2,
            RecordStage::Operation => 3,
        };
        b[9] = match self.reason {
            None => 0,
            Some(BlockedReason::NotApplicableInWorld) => 1,
            Some(BlockedReason::MechanismUnavailable) => 2,
            Some(BlockedReason::ApplyError) => 3,
        };
        b[10] = self.step;
        b[12..16].copy_from_slice(&self.errno.to_le_bytes());
        b[16..24].copy_from_slice(&self.value.to_le_bytes());
        b
    }

    pub fn decode(b: &[u8; RECORD_LEN]) -> Option<ChildRecord> {
        if u32::from_le_bytes(b[0..4].try_into().ok()?) != MAGIC {
            return None;
        }
        let stage = match b[8] {
            1 => RecordStage::Apply,
            2 => RecordStage::Exec,
            3 => RecordStage::Operation,
            _ => return None,
        };
        let reason = match b[9] {
            0 => None,
            1 => Some(BlockedReason::NotApplicableInWorld),
            2 => Some(BlockedReason::MechanismUnavailable),
            3 => Some(BlockedReason::ApplyError),
            _ => return None,
        };
        Some(ChildRecord {
            unit: u32::from_le_bytes(b[4..8].try_into().ok()?),
            stage,
            reason,
            step: b[10],
            errno: i32::from_le_bytes(b[12..16].try_into().ok()?),
            value: i64::from_le_bytes(b[16..24].try_into().ok()?),
        })
    }

    /// One `write` of the encoded record (async-signal-safe; usable in the child).
    pub fn write_to(&self, fd: i32) -> Result<(), i32> {
        let b = self.encode();
        // SAFETY: writing a stack buffer to an fd.
        let n = unsafe { libc::write(fd, b.as_ptr().cast(), b.len()) };
        if n == RECORD_LEN as isize {
            Ok(())
        } else {
            Err(crate::probes::helper_errno())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let r =
            ChildRecord::apply_failed(7, BlockedReason::ApplyError, 22, "landlock_restrict_self");
        assert_eq!(ChildRecord::decode(&r.encode()), Some(r));
        assert_eq!(r.step_name(), "landlock_restrict_self");
        let r = ChildRecord::new(1, RecordStage::Operation, 13, -5);
        assert_eq!(ChildRecord::decode(&r.encode()), Some(r));
    }
}
