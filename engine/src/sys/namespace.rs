//! Namespaces and mounts: a child in a new PID namespace (the exec probes' init), `unshare`, a
//! private network namespace with its loopback up (each worker's), and the mount calls a mount-namespace world builds on (bind, read-only remount, private
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
pub(crate) unsafe fn fork_into_new_pid_namespace() -> io::Result<Forked> {
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
pub(crate) fn unshare(flags: i32) -> io::Result<()> {
    // SAFETY: unshare with integer flags.
    cvt_int(unsafe { libc::unshare(flags) }).map(|_| ())
}

/// Moves the calling process into a new network namespace of its own and brings its loopback
/// up: it sees no socket, port or abstract unix name of any other namespace, and nothing
/// outside sees its own. Needs CAP_SYS_ADMIN (EPERM otherwise). No allocation.
pub(crate) fn enter_private_network() -> io::Result<()> {
    unshare(libc::CLONE_NEWNET)?;
    super::socket::set_loopback_up()
}

/// Whether [`enter_private_network`] works here, tried in a short-lived child so the caller
/// stays where it is: `Err` is the first call's error.
pub(crate) fn private_network_available() -> io::Result<()> {
    // SAFETY: the child only makes raw syscalls and leaves with _exit.
    let pid = match unsafe { super::process::fork() }? {
        Forked::Child => {
            let code = match enter_private_network() {
                Ok(()) => 0,
                Err(e) => super::errno::raw(&e),
            };
            super::process::exit(code)
        }
        Forked::Parent(pid) => pid,
    };
    match super::process::wait(pid)?.1 {
        super::process::WaitStatus::Exited(0) => Ok(()),
        super::process::WaitStatus::Exited(errno) => Err(io::Error::from_raw_os_error(errno)),
        super::process::WaitStatus::Signaled(_) => Err(io::Error::from_raw_os_error(libc::EINTR)),
    }
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
pub(crate) fn make_mounts_private() -> io::Result<()> {
    mount_raw(None, c"/", None, libc::MS_REC | libc::MS_PRIVATE)
}

/// Bind-mounts `source` (recursively) on `target`.
#[cfg(test)]
fn bind_mount(source: &CStr, target: &CStr) -> io::Result<()> {
    mount_raw(Some(source), target, None, libc::MS_BIND | libc::MS_REC)
}

/// Remounts the bind mount at `target` read-only.
#[cfg(test)]
fn remount_read_only(target: &CStr) -> io::Result<()> {
    mount_raw(
        None,
        target,
        None,
        libc::MS_BIND | libc::MS_REMOUNT | libc::MS_RDONLY,
    )
}

/// Detaches the mount at `target` (`MNT_DETACH`).
#[cfg(test)]
fn detach_mount(target: &CStr) -> io::Result<()> {
    // SAFETY: a NUL-terminated path that outlives the call.
    cvt_int(unsafe { libc::umount2(target.as_ptr(), libc::MNT_DETACH) }).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sys::process::{self, WaitStatus};

    /// In a child with its own mount namespace: a read-only bind mount refuses writes with
    /// EROFS, and detaching it shows the directory underneath again. Nothing propagates out.
    #[test]
    fn a_private_read_only_bind_mount_refuses_writes() {
        assert_eq!(
            process::uids().1,
            0,
            "this test needs root (CAP_SYS_ADMIN) to create a mount namespace"
        );
        let src = tempfile::tempdir().unwrap();
        let dst = tempfile::tempdir().unwrap();
        std::fs::write(src.path().join("seen"), "x").unwrap();
        let c = |p: &std::path::Path| std::ffi::CString::new(p.to_str().unwrap()).unwrap();
        let (s, d, probe) = (c(src.path()), c(dst.path()), c(&dst.path().join("new")));
        let seen = c(&dst.path().join("seen"));
        // SAFETY: the child only makes raw syscalls and leaves with _exit.
        let pid = match unsafe { process::fork() }.unwrap() {
            Forked::Child => {
                let code = (|| {
                    unshare(libc::CLONE_NEWNS).map_err(|_| 1)?;
                    make_mounts_private().map_err(|_| 2)?;
                    bind_mount(&s, &d).map_err(|_| 3)?;
                    remount_read_only(&d).map_err(|_| 4)?;
                    crate::sys::fd::open(&seen, libc::O_RDONLY).map_err(|_| 5)?;
                    match crate::sys::fd::open(&probe, libc::O_WRONLY | libc::O_CREAT) {
                        Err(e) if e.raw_os_error() == Some(libc::EROFS) => {}
                        _ => return Err(6),
                    }
                    detach_mount(&d).map_err(|_| 7)?;
                    match crate::sys::fd::open(&seen, libc::O_RDONLY) {
                        Err(e) if e.raw_os_error() == Some(libc::ENOENT) => Ok(()),
                        _ => Err(8),
                    }
                })();
                process::exit(code.err().unwrap_or(0))
            }
            Forked::Parent(pid) => pid,
        };
        assert_eq!(process::wait(pid).unwrap().1, WaitStatus::Exited(0));
        assert!(
            !dst.path().join("seen").exists(),
            "the bind mount leaked out"
        );
    }
}
