//! Is this process already inside a Landlock domain? Landlock has no /proc marker, so we
//! count: a forked child stacks trivial layers until the kernel says E2BIG.
//! A thread outside any domain can stack exactly `MAX_NUM_LAYERS` (16); every layer
//! we already carry takes one slot. Anything else we cannot interpret is `unknown`.

use serde::{Deserialize, Serialize};

use super::landlock_facts::LandlockStatus;
use crate::sys::landlock::{self, MAX_NUM_LAYERS, RulesetAttr};
use crate::sys::process::{self, Forked};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DomainState {
    /// Not inside any Landlock domain (or Landlock cannot exist on this kernel).
    None,
    /// Already restricted by `layers` Landlock layers.
    Inside,
    /// The canary could not tell: the runner must treat this as a harness problem.
    Unknown,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LandlockDomain {
    pub state: DomainState,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub layers: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

// Child exit codes other than a layer count (0..=16).
const EXIT_NO_NEW_PRIVS_FAILED: i32 = 100;
const EXIT_CREATE_FAILED: i32 = 101;
const EXIT_RESTRICT_FAILED: i32 = 102;
const EXIT_NEVER_FULL: i32 = 103;

impl LandlockDomain {
    fn unknown(detail: String) -> LandlockDomain {
        LandlockDomain {
            state: DomainState::Unknown,
            layers: None,
            detail: Some(detail),
        }
    }

    /// Runs the canary; `status` comes from the version query.
    pub(crate) fn detect(status: LandlockStatus) -> LandlockDomain {
        match status {
            LandlockStatus::Available => {}
            LandlockStatus::NotImplemented | LandlockStatus::NotEnabled => {
                return LandlockDomain {
                    state: DomainState::None,
                    layers: None,
                    detail: Some("Landlock is not in this kernel, so no domain can exist".into()),
                };
            }
            // E.g. an inherited seccomp filter hides Landlock: we cannot see our own domain.
            LandlockStatus::QueryFailed => {
                return LandlockDomain::unknown("the Landlock version query failed".into());
            }
        }
        match count_free_layers() {
            Ok(free) if free <= MAX_NUM_LAYERS => {
                let layers = MAX_NUM_LAYERS - free;
                LandlockDomain {
                    state: if layers == 0 {
                        DomainState::None
                    } else {
                        DomainState::Inside
                    },
                    layers: Some(layers),
                    detail: None,
                }
            }
            Ok(code) => LandlockDomain::unknown(canary_failure(code)),
            Err(detail) => LandlockDomain::unknown(detail),
        }
    }
}

fn canary_failure(code: u32) -> String {
    match code as i32 {
        EXIT_NO_NEW_PRIVS_FAILED => "canary: prctl(NO_NEW_PRIVS) failed".into(),
        EXIT_CREATE_FAILED => "canary: landlock_create_ruleset failed".into(),
        EXIT_RESTRICT_FAILED => {
            "canary: landlock_restrict_self failed with an errno other than E2BIG".into()
        }
        EXIT_NEVER_FULL => "canary: the layer stack never filled up (limit changed?)".into(),
        other => format!("canary: unexpected child exit {other}"),
    }
}

/// Forks a child that stacks layers; returns its exit code (the number of free layers).
fn count_free_layers() -> Result<u32, String> {
    // Built before the fork: the child must not allocate.
    let attr = RulesetAttr {
        // Any handled right makes a valid layer.
        handled_access_fs: landlock::ACCESS_FS_READ_DIR,
        ..RulesetAttr::default()
    };
    // SAFETY (cannot move into sys: the child's body is this caller's): the child only makes
    // raw syscalls and leaves with _exit.
    let pid = match unsafe { process::fork() } {
        Err(e) => return Err(format!("canary: fork failed: {e}")),
        Ok(Forked::Child) => process::exit(stack_layers_until_full(&attr)),
        Ok(Forked::Parent(pid)) => pid,
    };
    match process::wait(pid) {
        Ok((_, process::WaitStatus::Exited(code))) => Ok(code as u32),
        Ok((_, process::WaitStatus::Signaled(sig))) => {
            Err(format!("canary: child ended by signal {sig}"))
        }
        Err(e) => Err(format!("canary: waitpid failed: {e}")),
    }
}

/// In the child: raw syscalls only.
fn stack_layers_until_full(attr: &RulesetAttr) -> i32 {
    if landlock::set_no_new_privs().is_err() {
        return EXIT_NO_NEW_PRIVS_FAILED;
    }
    let Ok(ruleset) = landlock::create_ruleset(attr) else {
        return EXIT_CREATE_FAILED;
    };
    use std::os::fd::AsFd;
    for stacked in 0..64 {
        match landlock::restrict_self(ruleset.as_fd(), 0) {
            Ok(()) => {}
            Err(e) if e.raw_os_error() == Some(libc::E2BIG) => return stacked,
            Err(_) => return EXIT_RESTRICT_FAILED,
        }
    }
    EXIT_NEVER_FULL
}
