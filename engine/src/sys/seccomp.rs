//! seccomp: the uapi constants xpr uses and the one place a filter is installed.

use std::io;

use super::errno::{cvt, cvt_int};

pub(crate) const SET_MODE_FILTER: libc::c_ulong = 1;
pub(crate) const GET_ACTION_AVAIL: libc::c_ulong = 2;
/// `SECCOMP_RET_ERRNO`: the only action xpr's filters return for a listed syscall.
pub(crate) const RET_ERRNO: u32 = 0x0005_0000;

/// Whether `prctl(PR_GET_SECCOMP)` works (the kernel has CONFIG_SECCOMP).
pub(crate) fn available() -> bool {
    // SAFETY: integer-only prctl.
    cvt_int(unsafe { libc::prctl(libc::PR_GET_SECCOMP, 0, 0, 0, 0) }).is_ok()
}

/// Whether filters may return `action` (`SECCOMP_GET_ACTION_AVAIL`).
pub(crate) fn action_available(action: u32) -> bool {
    // SAFETY: the kernel reads one u32 from a live local.
    let ret = unsafe {
        libc::syscall(
            libc::SYS_seccomp,
            GET_ACTION_AVAIL,
            0,
            &action as *const u32,
        )
    };
    cvt(ret).is_ok()
}

/// Installs `program` on the calling thread (`SECCOMP_SET_MODE_FILTER`, no flags): raw syscall,
/// no allocation, so it runs in forked children. Needs NO_NEW_PRIVS or CAP_SYS_ADMIN.
pub(crate) fn set_filter(program: &[libc::sock_filter]) -> io::Result<()> {
    let fprog = libc::sock_fprog {
        len: program.len() as libc::c_ushort,
        filter: program.as_ptr() as *mut libc::sock_filter,
    };
    // SAFETY: fprog points to instructions that outlive the call; the kernel copies them.
    let ret = unsafe {
        libc::syscall(
            libc::SYS_seccomp,
            SET_MODE_FILTER,
            0,
            &fprog as *const libc::sock_fprog,
        )
    };
    cvt(ret).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::mem::{offset_of, size_of};

    /// `struct sock_filter` and `struct sock_fprog` of `linux/filter.h` on x86_64.
    #[test]
    fn layouts_match_the_uapi() {
        assert_eq!(size_of::<libc::sock_filter>(), 8);
        assert_eq!(offset_of!(libc::sock_filter, code), 0);
        assert_eq!(offset_of!(libc::sock_filter, jt), 2);
        assert_eq!(offset_of!(libc::sock_filter, jf), 3);
        assert_eq!(offset_of!(libc::sock_filter, k), 4);
        assert_eq!(size_of::<libc::sock_fprog>(), 16);
        assert_eq!(offset_of!(libc::sock_fprog, filter), 8);
        assert_eq!(libc::SYS_seccomp, 317);
        assert_eq!(RET_ERRNO, libc::SECCOMP_RET_ERRNO);
    }
}
