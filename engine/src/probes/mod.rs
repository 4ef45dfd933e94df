//! Probe drivers: one per family.
//!
//! A probe is prepared in the worker ([`Operation::prepare`], may allocate) and performed in the
//! sandboxed child ([`Operation::perform`], raw syscalls only, no allocation), so nothing that
//! takes a lock runs after the fork. With `acquire=before` the child opens what the operation
//! uses ([`Operation::acquire`]) before it applies the sandbox (`acquire`).

mod acquire;
mod execve;
mod files;
pub(crate) mod helper;
pub(crate) mod network;
mod op_result;
mod procfs;
pub(crate) mod report;
mod signal;
mod spec;
mod syscall;

pub use acquire::{Held, Slots};
pub(crate) use execve::{ExecCommand, HELPER_REPORT_FD};
pub(crate) use op_result::OpResult;
pub use spec::ProbeSpec;

use crate::model::Probe;

/// The world name drivers in this build implement.
pub(crate) const WORLD: &str = "linux";

/// A probe family whose driver needs the exec stage (the child execve's a command).
pub(crate) fn is_exec_family(family: &str) -> bool {
    family == "exec"
}

/// Whether the probe may change what lies beneath `{scratch}`: a destructive family, any
/// command (the host guard lets it write anywhere beneath the scratch root), or the probe
/// helper performing a family that changes it. Such probes run in the serial job (spec §5.2).
pub(crate) fn changes_scratch(probe: &Probe) -> bool {
    if !is_exec_family(&probe.family) {
        return probe.destructive;
    }
    match probe.args.get("helper") {
        Some(crate::model::ArgValue::Str(family)) => files::MUTATING.contains(&family.as_str()),
        _ => true,
    }
}

/// Whether the probe sends a fixture process a real signal (not 0): it may stop or end it, so
/// it runs in the serial job, and the fixture processes start anew after it.
pub(crate) fn signals_a_fixture(probe: &Probe) -> bool {
    let signal = match probe.args.get("signal") {
        None => return false,
        Some(crate::model::ArgValue::Int(n)) => Some(*n as i32),
        Some(crate::model::ArgValue::Str(s)) => signal::signal_number(s),
        Some(_) => None,
    };
    probe.family == "signal" && probe.target.as_deref() != Some("self") && signal != Some(0)
}

/// Whether the probe uses the network (a socket, a port, an abstract unix name): a network
/// family, or the probe helper performing one. Commands may too, and run in the serial job
/// anyway.
pub(crate) fn uses_network(probe: &Probe) -> bool {
    let family = match probe.args.get("helper") {
        Some(crate::model::ArgValue::Str(f)) if is_exec_family(&probe.family) => f.as_str(),
        _ => probe.family.as_str(),
    };
    network::FAMILIES.contains(&family)
}

/// Why a probe does not run in this build and world; its text is the skip reason recorded
/// (a reason word, then what it means).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum Inapplicable {
    /// The probe's `worlds` do not name this one.
    #[error("not_applicable_in_world")]
    NotInThisWorld,
    /// This build has no driver for the family here.
    #[error("no_driver: family `{0}` has no Linux driver")]
    NoDriver(String),
}

/// Whether this build has a driver for the probe in this world.
pub(crate) fn applicability(probe: &Probe) -> Result<(), Inapplicable> {
    if !probe.worlds.is_empty() && !probe.worlds.iter().any(|w| w == WORLD) {
        return Err(Inapplicable::NotInThisWorld);
    }
    if !is_exec_family(&probe.family) && !files::FAMILIES.contains(&probe.family.as_str()) {
        let known = [network::FAMILIES, signal::FAMILIES, procfs::FAMILIES];
        if !known.iter().any(|f| f.contains(&probe.family.as_str())) {
            return Err(Inapplicable::NoDriver(probe.family.clone()));
        }
    }
    Ok(())
}

/// A probe made ready to perform: every path a `CString`, every address a sockaddr, and when
/// it acquires its resource.
#[derive(Debug)]
pub struct Operation {
    driver: Driver,
    /// `acquire=before`: [`Operation::acquire`] runs before the sandbox is applied.
    before: bool,
}

#[derive(Debug)]
enum Driver {
    File(files::FileOp),
    Net(network::NetOp),
    Signal(signal::SignalOp),
    Proc(procfs::ProcOp),
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
        let driver = if files::FAMILIES.contains(&family) {
            Driver::File(files::FileOp::prepare(spec)?)
        } else if network::FAMILIES.contains(&family) {
            Driver::Net(network::NetOp::prepare(spec)?)
        } else if signal::FAMILIES.contains(&family) {
            Driver::Signal(signal::SignalOp::prepare(spec)?)
        } else if procfs::FAMILIES.contains(&family) {
            Driver::Proc(procfs::ProcOp::prepare(spec)?)
        } else if let Some(t) = helper::SelfTest::parse(family) {
            Driver::SelfTest(t)
        } else {
            return Err(format!("no driver for family `{family}`"));
        };
        let before = match spec.arg_str(crate::model::ACQUIRE_ARG).as_deref() {
            None | Some("after") => false,
            Some("before") => true,
            Some(other) => return Err(format!("unknown acquire=`{other}` (before|after)")),
        };
        let can_acquire = match &driver {
            Driver::Proc(op) => op.can_acquire(),
            Driver::SelfTest(_) => false,
            _ => true,
        };
        if before && !can_acquire {
            return Err(format!("`{family}` has no acquire=before form"));
        }
        Ok(Operation { driver, before })
    }

    /// Whether the operation acquires its resource before the sandbox is applied.
    pub(crate) fn acquires_before(&self) -> bool {
        self.before
    }

    /// `acquire=before`, in the child before apply: opens what the operation will use (raw
    /// syscalls only).
    pub(crate) fn acquire(&self) -> Held {
        match &self.driver {
            Driver::File(op) => op.acquire(),
            Driver::Net(op) => op.acquire(),
            Driver::Signal(op) => op.acquire(),
            Driver::Proc(op) => op.acquire(),
            Driver::SelfTest(_) => Held::failed(libc::EINVAL),
        }
    }

    /// Performs the operation (in the child, after apply; raw syscalls only), on what
    /// [`Operation::acquire`] put in `held` when it acquires before.
    pub fn perform(&self, held: &Held) -> OpResult {
        match (&self.driver, self.before) {
            (Driver::File(op), true) => op.perform_held(held),
            (Driver::Net(op), true) => op.perform_held(held),
            (Driver::Signal(op), true) => op.perform_held(held),
            (Driver::Proc(op), true) => op.perform_held(held),
            (Driver::File(op), false) => op.perform(),
            (Driver::Net(op), false) => op.perform(),
            (Driver::Signal(op), false) => op.perform(),
            (Driver::Proc(op), false) => op.perform(),
            (Driver::SelfTest(t), _) => t.perform(),
        }
    }
}
