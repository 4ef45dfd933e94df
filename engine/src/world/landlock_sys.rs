//! Raw Landlock system calls (x86_64 numbers 444–446), usable after fork: no allocation.
//!
//! Raw calls rather than the `landlock` crate: the crate decides compatibility from the ABI
//! number alone and hides the errno, while xpr must probe each right and map the kernel's exact
//! errno to a blocked reason (spec §7, "Availability"; §5). Unknown bits are rejected by the
//! kernel with EINVAL, so raw calls are always "hard requirement": nothing is ever dropped
//! silently.

use std::os::fd::{FromRawFd, OwnedFd, RawFd};

pub const LANDLOCK_CREATE_RULESET_VERSION: u32 = 1 << 0;
pub const LANDLOCK_CREATE_RULESET_ERRATA: u32 = 1 << 1;
pub const LANDLOCK_RULE_PATH_BENEATH: u32 = 1;
pub const LANDLOCK_RULE_NET_PORT: u32 = 2;
/// The most layers a thread can stack (`LANDLOCK_MAX_NUM_LAYERS`).
pub const LANDLOCK_MAX_NUM_LAYERS: u32 = 16;

#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct RulesetAttr {
    pub handled_access_fs: u64,
    pub handled_access_net: u64,
    pub scoped: u64,
}

#[repr(C, packed)]
#[derive(Clone, Copy, Debug)]
pub struct PathBeneathAttr {
    pub allowed_access: u64,
    pub parent_fd: i32,
}

#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct NetPortAttr {
    pub allowed_access: u64,
    pub port: u64,
}

fn errno() -> i32 {
    // SAFETY: reading the thread-local errno location.
    unsafe { *libc::__errno_location() }
}

fn result(ret: libc::c_long) -> Result<libc::c_long, i32> {
    if ret < 0 { Err(errno()) } else { Ok(ret) }
}

/// `landlock_create_ruleset(NULL, 0, flags)`: the ABI version or the errata bitmask.
pub fn query(flags: u32) -> Result<u32, i32> {
    // SAFETY: a NULL attribute with size 0 is the documented query form.
    let ret = unsafe { libc::syscall(libc::SYS_landlock_create_ruleset, 0usize, 0usize, flags) };
    result(ret).map(|v| v as u32)
}

/// Creates a ruleset; the caller owns the returned fd (close-on-exec by the kernel).
pub fn create_ruleset(attr: &RulesetAttr) -> Result<OwnedFd, i32> {
    // SAFETY: attr points to a live, fully initialised struct of the size passed.
    let ret = unsafe {
        libc::syscall(
            libc::SYS_landlock_create_ruleset,
            attr as *const RulesetAttr,
            std::mem::size_of::<RulesetAttr>(),
            0u32,
        )
    };
    // SAFETY: on success the kernel returned a fresh fd that nobody else owns.
    result(ret).map(|fd| unsafe { OwnedFd::from_raw_fd(fd as RawFd) })
}

pub fn add_path_rule(ruleset: RawFd, allowed_access: u64, parent_fd: RawFd) -> Result<(), i32> {
    let attr = PathBeneathAttr {
        allowed_access,
        parent_fd,
    };
    // SAFETY: attr lives across the call.
    let ret = unsafe {
        libc::syscall(
            libc::SYS_landlock_add_rule,
            ruleset,
            LANDLOCK_RULE_PATH_BENEATH,
            &attr as *const PathBeneathAttr,
            0u32,
        )
    };
    result(ret).map(|_| ())
}

pub fn add_port_rule(ruleset: RawFd, allowed_access: u64, port: u64) -> Result<(), i32> {
    let attr = NetPortAttr {
        allowed_access,
        port,
    };
    // SAFETY: attr lives across the call.
    let ret = unsafe {
        libc::syscall(
            libc::SYS_landlock_add_rule,
            ruleset,
            LANDLOCK_RULE_NET_PORT,
            &attr as *const NetPortAttr,
            0u32,
        )
    };
    result(ret).map(|_| ())
}

/// `landlock_restrict_self`: async-signal-safe, no allocation.
pub fn restrict_self(ruleset: RawFd, flags: u32) -> Result<(), i32> {
    // SAFETY: plain syscall with integer arguments.
    let ret = unsafe { libc::syscall(libc::SYS_landlock_restrict_self, ruleset, flags) };
    result(ret).map(|_| ())
}

/// `prctl(PR_SET_NO_NEW_PRIVS, 1)`: async-signal-safe, no allocation.
pub fn set_no_new_privs() -> Result<(), i32> {
    // SAFETY: plain prctl with integer arguments.
    let ret = unsafe { libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1 as libc::c_ulong, 0, 0, 0) };
    result(ret as libc::c_long).map(|_| ())
}
