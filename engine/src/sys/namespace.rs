//! Namespaces and mounts: a child in a new PID namespace (the exec probes' init), `unshare`,
//! and the mount calls a mount-namespace world builds on (bind, read-only remount, private
//! propagation, `pivot_root`).

use std::ffi::CStr;
use std::io;

use super::errno::{cvt, cvt_int};
use super::process::Forked;

/// `clone(CLONE_NEWPID | SIGCHLD)` without a new stack, i.e. `fork` into a new PID namespace:
/// the child is its pid 1, and when it ends the kernel kills every process left in it.
/// Needs CAP_SYS_ADMIN (EPERM otherwise).
///
/// # Safety
/// As `process::fork`. Also: glibc's cached thread id is not updated in the child, so it must
/// not use `raise` or pthread calls (signal itself with `kill(getpid())`).
pub unsafe fn fork_into_new_pid_namespace() -> io::Result<Forked> {
    let flags = (libc::CLONE_NEWPID | libc::SIGCHLD) as libc::c_ulong;
    // SAFETY: a raw clone with a NULL stack continues on a copy of the caller's stack, like
    // fork; the caller upholds the child's restrictions.
    let ret =
        cvt(unsafe { libc::syscall(libc::SYS_clone, flags, 0usize, 0usize, 0usize, 0usize) })?;
    Ok(match ret {
        0 => Forked::Child,
        pid => Forked::Parent(pid as i32),
    })
}

/// `unshare(flags)` (`CLONE_NEWNS`, `CLONE_NEWUSER`...).
pub fn unshare(flags: i32) -> io::Result<()> {
    // SAFETY: unshare with integer flags.
    cvt_int(unsafe { libc::unshare(flags) }).map(|_| ())
}

fn mount_raw(
    source: Option<&CStr>,
    target: &CStr,
    fstype: Option<&CStr>,
    flags: libc::c_ulong,
) -> io::Result<()> {
    let ptr = |s: Option<&CStr>| s.map_or(std::ptr::null(), CStr::as_ptr);
    // SAFETY: NUL-terminated strings (or NULL) that outlive the call; no data argument.
    cvt_int(unsafe {
        libc::mount(
            ptr(source),
            target.as_ptr(),
            ptr(fstype),
            flags,
            std::ptr::null(),
        )
    })
    .map(|_| ())
}

/// Makes every mount under `/` private, so nothing done in this namespace propagates out.
pub fn make_mounts_private() -> io::Result<()> {
    mount_raw(None, c"/", None, libc::MS_REC | libc::MS_PRIVATE)
}

/// Bind-mounts `source` (recursively) on `target`.
pub fn bind_mount(source: &CStr, target: &CStr) -> io::Result<()> {
    mount_raw(Some(source), target, None, libc::MS_BIND | libc::MS_REC)
}

/// Remounts the bind mount at `target` read-only.
pub fn remount_read_only(target: &CStr) -> io::Result<()> {
    mount_raw(
        None,
        target,
        None,
        libc::MS_BIND | libc::MS_REMOUNT | libc::MS_RDONLY,
    )
}

/// `pivot_root(new_root, put_old)`.
pub fn pivot_root(new_root: &CStr, put_old: &CStr) -> io::Result<()> {
    // SAFETY: two NUL-terminated paths that outlive the call.
    cvt(unsafe { libc::syscall(libc::SYS_pivot_root, new_root.as_ptr(), put_old.as_ptr()) })
        .map(|_| ())
}

/// Detaches the mount at `target` (`MNT_DETACH`).
pub fn detach_mount(target: &CStr) -> io::Result<()> {
    // SAFETY: a NUL-terminated path that outlives the call.
    cvt_int(unsafe { libc::umount2(target.as_ptr(), libc::MNT_DETACH) }).map(|_| ())
}
