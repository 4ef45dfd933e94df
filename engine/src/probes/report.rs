//! The report a probe's process writes to the worker: a fixed-size record on its result pipe
//! (the forked child, the exec probe's init, or the probe helper on fd 3).
//!
//! 24 bytes, little-endian, written with one `write` (< PIPE_BUF, so atomic) and no allocation.

use super::op_result::OpResult;
use crate::model::BlockedReason;

const MAGIC: u32 = 0x7870_7231; // "xpr1"
pub(crate) const RECORD_LEN: usize = 24;

/// The last stage the child reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RecordStage {
    /// `PreparedSandbox::apply` failed: `errno`, `reason` and `step` say how.
    Apply,
    /// execve failed with `errno`.
    Exec,
    /// The operation ran: `errno` 0 = success.
    Operation,
    /// The child's own setup failed before the probe could start (`step`, `errno`).
    Setup,
    /// The exec probe's init reaped the command: `value` is its raw wait status.
    Status,
}

/// Step names a record can carry (the step is an index into this table): apply steps, then
/// the child's setup steps.
pub(crate) const STEPS: &[&str] = &[
    "apply",
    "prctl(PR_SET_NO_NEW_PRIVS)",
    "landlock_create_ruleset",
    "landlock_add_rule",
    "landlock_restrict_self",
    "seccomp",
    "prepare",
    "seccomp(SECCOMP_SET_MODE_FILTER)",
    "open(O_PATH)",
    "host guard: landlock_restrict_self",
    "prctl(PR_SET_PDEATHSIG)",
    "setpgid",
    "sigaction",
    "dup2(stdin)",
    "dup2(stdout)",
    "dup2(stderr)",
    "dup2(report fd)",
    "fcntl(report fd)",
    "fork(command)",
    "wait(command)",
    "setitimer",
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ChildRecord {
    /// Index of the probe within the child's unit list (profile isolation streams several).
    pub unit: u32,
    pub stage: RecordStage,
    pub reason: Option<BlockedReason>,
    pub step: u8,
    pub errno: i32,
    pub value: i64,
    /// An operation's `errno` came from acquiring its resource before apply (`acquire=before`).
    pub before_apply: bool,
}

impl ChildRecord {
    pub(crate) fn new(unit: u32, stage: RecordStage, errno: i32, value: i64) -> ChildRecord {
        ChildRecord {
            unit,
            stage,
            reason: None,
            step: 0,
            errno,
            value,
            before_apply: false,
        }
    }

    /// The result of the operation of `unit`.
    pub(crate) fn operation(unit: u32, r: OpResult) -> ChildRecord {
        ChildRecord {
            before_apply: r.before_apply,
            ..ChildRecord::new(unit, RecordStage::Operation, r.errno, r.value)
        }
    }

    pub(crate) fn apply_failed(
        unit: u32,
        reason: BlockedReason,
        errno: i32,
        step: &str,
    ) -> ChildRecord {
        ChildRecord {
            unit,
            stage: RecordStage::Apply,
            reason: Some(reason),
            step: step_index(step),
            errno,
            value: 0,
            before_apply: false,
        }
    }

    /// The child's setup step `step` failed with `errno`.
    pub(crate) fn setup_failed(unit: u32, step: &str, errno: i32) -> ChildRecord {
        ChildRecord {
            step: step_index(step),
            ..ChildRecord::new(unit, RecordStage::Setup, errno, 0)
        }
    }

    pub(crate) fn step_name(&self) -> &'static str {
        STEPS.get(self.step as usize).copied().unwrap_or("apply")
    }

    pub(crate) fn encode(&self) -> [u8; RECORD_LEN] {
        let mut b = [0u8; RECORD_LEN];
        b[0..4].copy_from_slice(&MAGIC.to_le_bytes());
        b[4..8].copy_from_slice(&self.unit.to_le_bytes());
        b[8] = match self.stage {
            RecordStage::Apply => 1,
            RecordStage::Exec => 2,
            RecordStage::Operation => 3,
            RecordStage::Setup => 4,
            RecordStage::Status => 5,
        };
        b[9] = match self.reason {
            None => 0,
            Some(BlockedReason::NotApplicableInWorld) => 1,
            Some(BlockedReason::MechanismUnavailable) => 2,
            Some(BlockedReason::ApplyError) => 3,
        };
        b[10] = self.step;
        b[11] = u8::from(self.before_apply);
        b[12..16].copy_from_slice(&self.errno.to_le_bytes());
        b[16..24].copy_from_slice(&self.value.to_le_bytes());
        b
    }

    pub(crate) fn decode(b: &[u8; RECORD_LEN]) -> Option<ChildRecord> {
        if u32::from_le_bytes(b[0..4].try_into().ok()?) != MAGIC {
            return None;
        }
        let stage = match b[8] {
            1 => RecordStage::Apply,
            2 => RecordStage::Exec,
            3 => RecordStage::Operation,
            4 => RecordStage::Setup,
            5 => RecordStage::Status,
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
            before_apply: b[11] == 1,
            errno: i32::from_le_bytes(b[12..16].try_into().ok()?),
            value: i64::from_le_bytes(b[16..24].try_into().ok()?),
        })
    }

    /// One `write` of the encoded record (async-signal-safe; usable in the child).
    pub(crate) fn write_to(&self, fd: i32) -> std::io::Result<()> {
        match crate::sys::fd::write(fd, &self.encode())? {
            RECORD_LEN => Ok(()),
            _ => Err(std::io::Error::from_raw_os_error(libc::EPIPE)),
        }
    }
}

fn step_index(step: &str) -> u8 {
    STEPS.iter().position(|s| *s == step).unwrap_or(0) as u8
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
        let r = ChildRecord::operation(2, OpResult::acquisition_failed(2));
        assert_eq!(ChildRecord::decode(&r.encode()), Some(r));
        assert!(r.before_apply);
        let r = ChildRecord::setup_failed(0, "dup2(stdout)", 9);
        assert_eq!(ChildRecord::decode(&r.encode()), Some(r));
        assert_eq!(r.step_name(), "dup2(stdout)");
        assert!(STEPS.len() < u8::MAX as usize);
    }
}
