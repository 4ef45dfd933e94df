//! A child's exit and records → the stage record of one (lane, profile, probe).
//!
//! Stages stay apart: apply, exec and operation each get their own outcome and errno; exit
//! status and signal are kept as observed.

use crate::model::{
    ApplyOutcome, BlockedReason, Evidence, ExecOutcome, Lane, OperationOutcome, StageRecord,
};
use crate::world::{DenySet, errno_record};

use super::capture::Capture;
use super::child::Termination;
use super::guard::GUARD;
use crate::probes::report::{ChildRecord, RecordStage};

/// What kind of process a probe runs in, which decides how a silent exit is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ProbeKind {
    /// A driver in the forked child: it always reports, so silence means it died.
    Driver,
    /// xpr's probe helper after execve: silence means the exec (loader) failed.
    Helper,
    /// Any command: only its exit status is known.
    Command,
}

/// The glibc loader's message when a shared object cannot be loaded (exit status 127).
const LOADER_FAILURE: &str = "error while loading shared libraries";

pub(crate) fn empty(
    lane: Lane,
    profile: Option<&str>,
    probe: &str,
    sandboxed: bool,
) -> StageRecord {
    StageRecord {
        lane,
        profile: profile.map(str::to_string),
        probe: probe.to_string(),
        apply: if sandboxed {
            ApplyOutcome::Ok
        } else {
            ApplyOutcome::None
        },
        apply_reason: None,
        apply_errno: None,
        apply_detail: None,
        acquire: None,
        exec: ExecOutcome::NotReached,
        exec_errno: None,
        operation: OperationOutcome::NotReached,
        operation_errno: None,
        mount: None,
        exit_status: None,
        signal: None,
        evidence: Evidence::None,
        output: None,
        output_truncated: None,
        detail: None,
        skipped: None,
        micros: 0,
        pid: None,
    }
}

pub(crate) fn skipped(lane: Lane, profile: Option<&str>, probe: &str, reason: &str) -> StageRecord {
    let mut r = empty(lane, profile, probe, false);
    r.skipped = Some(reason.to_string());
    r
}

pub(crate) fn blocked(
    lane: Lane,
    profile: Option<&str>,
    probe: &str,
    reason: BlockedReason,
    detail: &str,
    errno_raw: Option<i32>,
) -> StageRecord {
    let mut r = empty(lane, profile, probe, true);
    r.apply = ApplyOutcome::Blocked;
    r.apply_reason = Some(reason);
    r.apply_detail = Some(detail.to_string());
    r.apply_errno = errno_raw.map(errno_record);
    r
}

/// Builds the record of one probe from its child's record (if any), termination and output.
pub(crate) fn from_exit(
    mut r: StageRecord,
    kind: ProbeKind,
    rec: Option<&ChildRecord>,
    term: Termination,
    output: Option<&Capture>,
    deny: &DenySet,
    symbolic: &dyn Fn(&str) -> String,
) -> StageRecord {
    if kind != ProbeKind::Driver {
        match term {
            Termination::Exited(c) => r.exit_status = Some(c),
            Termination::Signaled(s) => r.signal = Some(s),
            Termination::TimedOut => {}
        }
    } else if let Termination::Signaled(s) = term {
        r.signal = Some(s);
    }
    let text = output.map(|c| symbolic(&String::from_utf8_lossy(&c.kept)));
    if let Some(c) = output {
        r.output = text.clone();
        r.output_truncated = Some(c.truncated());
        if c.truncated() {
            r.detail = Some(format!(
                "output: {} bytes kept, {} dropped",
                c.kept.len(),
                c.dropped
            ));
        }
    }
    match rec.map(|x| (x.stage, x)) {
        Some((RecordStage::Apply, x)) => {
            r.apply = ApplyOutcome::Blocked;
            r.apply_reason = x.reason;
            r.apply_errno = Some(errno_record(x.errno));
            r.apply_detail = Some(match (kind, x.errno) {
                (ProbeKind::Command, libc::E2BIG) => format!(
                    "{} failed: a command runs inside the {GUARD}, which takes one of the \
                     kernel's 16 Landlock layers (15 are left for the profile)",
                    x.step_name()
                ),
                _ => format!("{} failed", x.step_name()),
            });
        }
        Some((RecordStage::Exec, x)) => {
            r.exec = ExecOutcome::DependencyDenied;
            r.exec_errno = Some(errno_record(x.errno));
            r.evidence = Evidence::Syscall;
            r.exit_status = None;
        }
        Some((RecordStage::Setup, x)) => {
            r.exec = ExecOutcome::NotReached;
            r.detail = Some(format!(
                "the probe's process could not be set up: {} failed ({})",
                x.step_name(),
                crate::world::errno_name(x.errno)
            ));
        }
        // The init's report of the command's status became the termination (`child::run`).
        Some((RecordStage::Status, _)) => {}
        Some((RecordStage::Operation, x)) => {
            r.exec = ExecOutcome::Ok;
            r.operation = deny.operation(x.errno);
            r.operation_errno = (x.errno != 0).then(|| errno_record(x.errno));
            r.evidence = Evidence::Syscall;
            if x.before_apply {
                r.detail = Some(format!(
                    "acquire=before: acquiring the resource failed ({}) before the sandbox was \
                     applied, so no sandbox decided it",
                    crate::world::errno_name(x.errno)
                ));
            }
        }
        None => match term {
            Termination::TimedOut => r.exec = ExecOutcome::Timeout,
            Termination::Signaled(_) => r.exec = ExecOutcome::Crashed,
            Termination::Exited(code) => match kind {
                ProbeKind::Driver => {
                    r.exec = ExecOutcome::Crashed;
                    r.detail = Some(format!("exited with status {code} without reporting"));
                }
                ProbeKind::Helper => {
                    r.exec = ExecOutcome::DependencyDenied;
                    r.detail = Some(first_line("probe helper did not start", text.as_deref()));
                }
                ProbeKind::Command => {
                    let loader =
                        code == 127 && text.as_deref().is_some_and(|t| t.contains(LOADER_FAILURE));
                    if loader {
                        r.exec = ExecOutcome::DependencyDenied;
                        r.detail = Some(first_line("loader failed", text.as_deref()));
                    } else {
                        r.exec = ExecOutcome::Ok;
                        r.operation = if code == 0 {
                            OperationOutcome::Allow
                        } else {
                            // The exit status cannot say who refused: the profile or the
                            // host guard around every command (the same in every lane).
                            let note = format!(
                                "exit status {code}: the command ran inside the {GUARD} (no \
                                 writes outside {{scratch}}, no signals outside the run), which \
                                 may have refused it rather than the profile"
                            );
                            r.detail = Some(match r.detail.take() {
                                Some(d) => format!("{d}; {note}"),
                                None => note,
                            });
                            OperationOutcome::Deny
                        };
                    }
                    r.evidence = Evidence::ExitStatus;
                }
            },
        },
    }
    r
}

fn first_line(what: &str, text: Option<&str>) -> String {
    match text.and_then(|t| t.lines().find(|l| !l.trim().is_empty())) {
        Some(line) => format!("{what}: {}", line.trim()),
        None => what.to_string(),
    }
}
