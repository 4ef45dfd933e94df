//! Why the observer cannot witness this run: the `observer_unavailable` reason, typed.

use std::io;

/// The errno's symbolic name (what the reason has always shown).
fn name(e: &io::Error) -> &'static str {
    crate::world::errno_name(crate::sys::errno::raw(e))
}

#[derive(Debug, thiserror::Error)]
pub enum ObserverError {
    #[error("not root: reading audit records needs CAP_AUDIT_CONTROL and CAP_AUDIT_READ")]
    NotRoot,
    #[error("Landlock ABI {0} < 7: the kernel writes no Landlock audit records")]
    AbiTooOld(u32),
    #[error("no audit netlink socket: {} (kernel without CONFIG_AUDIT?)", name(.0))]
    NoSocket(io::Error),
    #[error("cannot join the audit log group: {}", name(.0))]
    LogGroup(io::Error),
    #[error("cannot read the audit status: {}", name(.0))]
    Status(io::Error),
    #[error("cannot start the audit guardian: {0}")]
    Guardian(io::Error),
    #[error("cannot enable audit: {}", name(.0))]
    Enable(io::Error),
}
