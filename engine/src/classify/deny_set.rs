//! The world's deny set: the errnos that mean "the sandbox refused" at the operation stage.

use crate::model::OperationOutcome;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DenySet(pub Vec<i32>);

impl DenySet {
    /// Linux with Landlock/seccomp: EACCES (fs, net), EPERM (scopes, ptrace, seccomp),
    /// EXDEV (reparenting without REFER).
    pub fn linux() -> DenySet {
        DenySet::from(crate::world::LANDLOCK_DENY_SET)
    }

    pub fn contains(&self, errno: i32) -> bool {
        self.0.contains(&errno)
    }

    /// The operation stage's outcome for a syscall result (0 = success).
    pub fn operation(&self, errno: i32) -> OperationOutcome {
        match errno {
            0 => OperationOutcome::Allow,
            e if self.contains(e) => OperationOutcome::Deny,
            _ => OperationOutcome::Error,
        }
    }
}

impl From<crate::world::DenySet> for DenySet {
    fn from(d: crate::world::DenySet) -> DenySet {
        DenySet(d.errnos.to_vec())
    }
}
