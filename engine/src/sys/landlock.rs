//! Landlock: the uapi (`linux/landlock.h`) constants and structs, defined once, and its three
//! system calls (x86_64 numbers 444–446), usable after fork: no allocation.
//!
//! Raw calls rather than the `landlock` crate: the crate decides compatibility from the ABI
//! number alone and reports its own error instead of the kernel's errno, while xpr probes each
//! right (the ABI number is no proof on some distribution kernels) and maps the exact errno of
//! every setup step to a blocked reason. The kernel rejects unknown bits with EINVAL, so raw
//! calls are always a hard requirement: nothing is ever dropped silently. `restrict_self` runs
//! in a forked child, where the crate's consuming builder API would also allocate.

use std::ffi::CStr;
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};

use super::errno::{cvt, cvt_int};

pub const ACCESS_FS_EXECUTE: u64 = 1 << 0;
pub const ACCESS_FS_WRITE_FILE: u64 = 1 << 1;
pub const ACCESS_FS_READ_FILE: u64 = 1 << 2;
pub const ACCESS_FS_READ_DIR: u64 = 1 << 3;
pub const ACCESS_FS_REMOVE_DIR: u64 = 1 << 4;
pub const ACCESS_FS_REMOVE_FILE: u64 = 1 << 5;
pub const ACCESS_FS_MAKE_CHAR: u64 = 1 << 6;
pub const ACCESS_FS_MAKE_DIR: u64 = 1 << 7;
pub const ACCESS_FS_MAKE_REG: u64 = 1 << 8;
pub const ACCESS_FS_MAKE_SOCK: u64 = 1 << 9;
pub const ACCESS_FS_MAKE_FIFO: u64 = 1 << 10;
pub const ACCESS_FS_MAKE_BLOCK: u64 = 1 << 11;
pub const ACCESS_FS_MAKE_SYM: u64 = 1 << 12;
/// ABI 2.
pub const ACCESS_FS_REFER: u64 = 1 << 13;
/// ABI 3.
pub const ACCESS_FS_TRUNCATE: u64 = 1 << 14;
/// ABI 5.
pub const ACCESS_FS_IOCTL_DEV: u64 = 1 << 15;
/// ABI 9.
pub const ACCESS_FS_RESOLVE_UNIX: u64 = 1 << 16;

/// ABI 4.
pub const ACCESS_NET_BIND_TCP: u64 = 1 << 0;
pub const ACCESS_NET_CONNECT_TCP: u64 = 1 << 1;

/// ABI 6.
pub const SCOPE_ABSTRACT_UNIX_SOCKET: u64 = 1 << 0;
pub const SCOPE_SIGNAL: u64 = 1 << 1;

pub(crate) const CREATE_RULESET_VERSION: u32 = 1 << 0;
pub(crate) const CREATE_RULESET_ERRATA: u32 = 1 << 1;

/// ABI 7: do not log denials of this layer before the next `execve`.
pub(crate) const RESTRICT_SELF_LOG_SAME_EXEC_OFF: u32 = 1 << 0;
/// ABI 7: keep logging denials after `execve`.
pub(crate) const RESTRICT_SELF_LOG_NEW_EXEC_ON: u32 = 1 << 1;

pub(crate) const RULE_PATH_BENEATH: u32 = 1;
pub(crate) const RULE_NET_PORT: u32 = 2;

/// The most layers a thread can stack (`LANDLOCK_MAX_NUM_LAYERS`).
pub(crate) const MAX_NUM_LAYERS: u32 = 16;

/// `struct landlock_ruleset_attr`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RulesetAttr {
    pub handled_access_fs: u64,
    pub handled_access_net: u64,
    pub scoped: u64,
}

/// `struct landlock_path_beneath_attr` (packed in the uapi).
#[repr(C, packed)]
#[derive(Clone, Copy, Debug)]
pub(crate) struct PathBeneathAttr {
    pub allowed_access: u64,
    pub parent_fd: i32,
}

/// `struct landlock_net_port_attr`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub(crate) struct NetPortAttr {
    pub allowed_access: u64,
    pub port: u64,
}

/// `landlock_create_ruleset(NULL, 0, flags)`: the ABI version or the errata bitmask.
pub(crate) fn query(flags: u32) -> io::Result<u32> {
    // SAFETY: a NULL attribute with size 0 is the documented query form.
    let ret = unsafe { libc::syscall(libc::SYS_landlock_create_ruleset, 0usize, 0usize, flags) };
    cvt(ret).map(|v| v as u32)
}

/// The running kernel's Landlock ABI, 0 when Landlock is missing or disabled.
pub fn abi_version() -> u32 {
    query(CREATE_RULESET_VERSION).unwrap_or(0)
}

/// Creates a ruleset; the fd is close-on-exec (the kernel sets it).
pub fn create_ruleset(attr: &RulesetAttr) -> io::Result<OwnedFd> {
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
    cvt(ret).map(|fd| unsafe { OwnedFd::from_raw_fd(fd as RawFd) })
}

/// Grants `allowed_access` beneath the file `parent` refers to.
pub fn add_path_rule(
    ruleset: BorrowedFd,
    allowed_access: u64,
    parent: BorrowedFd,
) -> io::Result<()> {
    let attr = PathBeneathAttr {
        allowed_access,
        parent_fd: parent.as_raw_fd(),
    };
    // SAFETY: attr lives across the call.
    let ret = unsafe {
        libc::syscall(
            libc::SYS_landlock_add_rule,
            ruleset.as_raw_fd(),
            RULE_PATH_BENEATH,
            &attr as *const PathBeneathAttr,
            0u32,
        )
    };
    cvt(ret).map(|_| ())
}

/// Grants `allowed_access` on a TCP port.
pub fn add_port_rule(ruleset: BorrowedFd, allowed_access: u64, port: u64) -> io::Result<()> {
    let attr = NetPortAttr {
        allowed_access,
        port,
    };
    // SAFETY: attr lives across the call.
    let ret = unsafe {
        libc::syscall(
            libc::SYS_landlock_add_rule,
            ruleset.as_raw_fd(),
            RULE_NET_PORT,
            &attr as *const NetPortAttr,
            0u32,
        )
    };
    cvt(ret).map(|_| ())
}

/// `landlock_restrict_self`: async-signal-safe, no allocation.
pub fn restrict_self(ruleset: BorrowedFd, flags: u32) -> io::Result<()> {
    // SAFETY: plain syscall with integer arguments.
    let ret =
        unsafe { libc::syscall(libc::SYS_landlock_restrict_self, ruleset.as_raw_fd(), flags) };
    cvt(ret).map(|_| ())
}

/// `prctl(PR_SET_NO_NEW_PRIVS, 1)`, which `restrict_self` needs without CAP_SYS_ADMIN.
pub fn set_no_new_privs() -> io::Result<()> {
    // SAFETY: plain prctl with integer arguments.
    let ret = unsafe { libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1 as libc::c_ulong, 0, 0, 0) };
    cvt_int(ret).map(|_| ())
}

/// An `O_PATH` fd for a rule's path (Landlock rules hold the inode, not the name).
pub fn open_rule_path(path: &CStr) -> io::Result<OwnedFd> {
    super::fd::open(path, libc::O_PATH)
}

/// Whether `fd` refers to a directory (directory-only rights are refused on anything else).
pub(crate) fn is_directory(fd: BorrowedFd) -> bool {
    // SAFETY: stat is plain data, filled by fstat on a live fd.
    unsafe {
        let mut st: libc::stat = std::mem::zeroed();
        libc::fstat(fd.as_raw_fd(), &mut st) == 0 && (st.st_mode & libc::S_IFMT) == libc::S_IFDIR
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::mem::{offset_of, size_of};

    /// Sizes and offsets of `include/uapi/linux/landlock.h`.
    #[test]
    fn layouts_match_the_uapi() {
        assert_eq!(size_of::<RulesetAttr>(), 24);
        assert_eq!(offset_of!(RulesetAttr, handled_access_fs), 0);
        assert_eq!(offset_of!(RulesetAttr, handled_access_net), 8);
        assert_eq!(offset_of!(RulesetAttr, scoped), 16);
        assert_eq!(size_of::<PathBeneathAttr>(), 12);
        assert_eq!(offset_of!(PathBeneathAttr, allowed_access), 0);
        assert_eq!(offset_of!(PathBeneathAttr, parent_fd), 8);
        assert_eq!(size_of::<NetPortAttr>(), 16);
        assert_eq!(offset_of!(NetPortAttr, allowed_access), 0);
        assert_eq!(offset_of!(NetPortAttr, port), 8);
    }

    #[test]
    fn syscall_numbers_are_the_x86_64_ones() {
        assert_eq!(libc::SYS_landlock_create_ruleset, 444);
        assert_eq!(libc::SYS_landlock_add_rule, 445);
        assert_eq!(libc::SYS_landlock_restrict_self, 446);
    }

    #[test]
    fn right_bits_match_the_uapi() {
        assert_eq!(ACCESS_FS_MAKE_SYM, 0x1000);
        assert_eq!(ACCESS_FS_IOCTL_DEV, 0x8000);
        assert_eq!(ACCESS_FS_RESOLVE_UNIX, 0x10000);
        assert_eq!(ACCESS_NET_CONNECT_TCP, 2);
        assert_eq!(SCOPE_SIGNAL, 2);
    }
}
