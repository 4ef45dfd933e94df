//! Probe drivers: one per family.
//!
//! A probe is prepared in the worker ([`Operation::prepare`], may allocate) and performed in the
//! sandboxed child ([`Operation::perform`], raw syscalls only, no allocation), so nothing that
//! takes a lock runs after the fork.

mod exec;
mod files;
pub mod helper;
pub(crate) mod network;
mod outcome;
mod procfs;
pub mod report;
mod signal;
mod spec;
mod syscall;

pub use exec::{ExecCommand, HELPER_REPORT_FD};
pub use outcome::OpResult;
pub use spec::ProbeSpec;

use crate::model::Probe;

/// The world name drivers in this build implement.
pub const WORLD: &str = "linux";

/// A probe family whose driver needs the exec stage (the child execve's a command).
pub fn is_exec_family(family: &str) -> bool {
    family == "exec"
}

/// Whether this build has a driver for the probe in this world; `Err` is the skip reason.
pub fn applicability(probe: &Probe) -> Result<(), String> {
    if !probe.worlds.is_empty() && !probe.worlds.iter().any(|w| w == WORLD) {
        return Err("not_applicable_in_world".into());
    }
    if !is_exec_family(&probe.family) && !files::FAMILIES.contains(&probe.family.as_str()) {
        let known = [network::FAMILIES, signal::FAMILIES, procfs::FAMILIES];
        if !known.iter().any(|f| f.contains(&probe.family.as_str())) {
            return Err(format!(
                "no_driver: family `{}` has no Linux driver",
                probe.family
            ));
        }
    }
    Ok(())
}

/// A probe made ready to perform: every path a `CString`, every address a sockaddr.
#[derive(Debug)]
pub enum Operation {
    File(files::FileOp),
    Net(network::NetOp),
    Signal(signal::SignalOp),
    Proc(procfs::ProcOp),
    /// Performed by the runner's exec path, not by [`Operation::perform`].
    Exec(ExecCommand),
    /// Test-only behaviours of the probe helper (crash, hang, flood, fork).
    SelfTest(helper::SelfTest),
}

impl Operation {
    /// Builds the operation from a resolved spec (in the worker; allocates).
    pub fn prepare(spec: &ProbeSpec) -> Result<Operation, String> {
        let family = spec.family.as_str();
        if is_exec_family(family) {
            return Err("exec probes are prepared with ExecCommand::prepare".into());
        }
        if files::FAMILIES.contains(&family) {
            return files::FileOp::prepare(spec).map(Operation::File);
        }
        if network::FAMILIES.contains(&family) {
            return network::NetOp::prepare(spec).map(Operation::Net);
        }
        if signal::FAMILIES.contains(&family) {
            return signal::SignalOp::prepare(spec).map(Operation::Signal);
        }
        if procfs::FAMILIES.contains(&family) {
            return procfs::ProcOp::prepare(spec).map(Operation::Proc);
        }
        if let Some(t) = helper::SelfTest::parse(family) {
            return Ok(Operation::SelfTest(t));
        }
        Err(format!("no driver for family `{family}`"))
    }

    /// Performs the operation (in the child; raw syscalls only).
    pub fn perform(&self) -> OpResult {
        match self {
            Operation::File(op) => op.perform(),
            Operation::Net(op) => op.perform(),
            Operation::Signal(op) => op.perform(),
            Operation::Proc(op) => op.perform(),
            Operation::SelfTest(t) => t.perform(),
            Operation::Exec(_) => OpResult::errno(libc::EINVAL),
        }
    }
}
