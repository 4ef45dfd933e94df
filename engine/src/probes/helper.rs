//! The probe helper: `xpr __probe <spec-json>`, run as the command of `exec` probes with
//! `helper=<family>`. It performs the family's operation after the exec and reports the result
//! on fd 3, so the runner sees both the exec stage and the operation's exact errno.
//!
//! It also hosts the self-test behaviours the runner's failure-path tests need (`selftest-*`):
//! a crash, a hang, an output flood and a fork that leaves a process behind.

use super::op_result::OpResult;
use super::report::ChildRecord;
use super::spec::ProbeSpec;
use super::{HELPER_REPORT_FD, Operation};
use crate::sys::{fd, process, sigaction};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SelfTest {
    /// Raise SIGSEGV.
    Segv,
    /// Sleep forever.
    Hang,
    /// Write 8 MiB to stdout, then succeed.
    Flood,
    /// Fork a child that outlives the probe, then succeed.
    Fork,
}

impl SelfTest {
    pub(crate) fn parse(family: &str) -> Option<SelfTest> {
        Some(match family {
            "selftest-segv" => SelfTest::Segv,
            "selftest-hang" => SelfTest::Hang,
            "selftest-flood" => SelfTest::Flood,
            "selftest-fork" => SelfTest::Fork,
            _ => return None,
        })
    }

    pub(crate) fn perform(self) -> OpResult {
        match self {
            SelfTest::Segv => {
                // The Rust runtime's guard-page handler would swallow a raised SIGSEGV.
                sigaction::raise_default(libc::SIGSEGV);
                OpResult::errno(libc::EINVAL)
            }
            SelfTest::Hang => loop {
                std::thread::park();
            },
            SelfTest::Flood => {
                let buf = [b'x'; 65536];
                let mut total = 0i64;
                for _ in 0..128 {
                    match fd::write(1, &buf) {
                        Ok(n) => total += n as i64,
                        Err(e) => return OpResult::errno(crate::sys::errno::raw(&e)),
                    }
                }
                OpResult::ok(total)
            }
            SelfTest::Fork => {
                // SAFETY (cannot move into sys: the child's body is this one): the child only
                // parks, in a process that has just exec'd and has no other thread.
                if let Ok(process::Forked::Child) = unsafe { process::fork() } {
                    loop {
                        std::thread::park();
                    }
                }
                OpResult::ok(0)
            }
        }
    }
}

/// Entry point of `xpr __probe`: returns the process exit code.
pub(crate) fn main(spec_json: &str) -> u8 {
    let spec: ProbeSpec = match serde_json::from_str(spec_json) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("xpr __probe: bad spec: {e}");
            return 2;
        }
    };
    let op = match Operation::prepare(&spec) {
        Ok(op) => op,
        Err(e) => {
            eprintln!("xpr __probe: {e}");
            return 2;
        }
    };
    // The helper runs after apply: whatever it uses, it acquires now.
    let record = ChildRecord::operation(0, op.perform(&super::Held::NONE));
    if record.write_to(HELPER_REPORT_FD).is_err() {
        return 3;
    }
    0
}
