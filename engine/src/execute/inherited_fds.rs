//! Closing what a forked helper process inherited but must not hold.
//!
//! A worker or fixture process that keeps a copy of some other pipe's write end stops that
//! pipe's reader from ever seeing EOF. The engine forks from one thread, but a second engine in
//! the same process (a multi-threaded test binary, a library user) has pipes of its own open,
//! and those must not leak into our children either.

/// Closes every fd from 3 up except `a` and `b` (pass -1 for none), with `close_range`: no
/// allocation and no `/proc`, since this runs in a freshly forked child.
pub(super) fn close_all_except(a: i32, b: i32) {
    let keep = |fd: i32| if fd >= 3 { Some(fd as u32) } else { None };
    let (lo, hi) = match (keep(a), keep(b)) {
        (Some(x), Some(y)) => (Some(x.min(y)), Some(x.max(y))),
        (Some(x), None) | (None, Some(x)) => (Some(x), None),
        (None, None) => (None, None),
    };
    let mut from = 3u32;
    for fd in [lo, hi].into_iter().flatten() {
        if fd > from {
            close_range(from, fd - 1);
        }
        from = fd + 1;
    }
    close_range(from, u32::MAX);
}

fn close_range(first: u32, last: u32) {
    // SAFETY: closes fds this process no longer uses; the caller's ranges skip the kept ones.
    unsafe {
        libc::syscall(libc::SYS_close_range, first, last, 0u32);
    }
}
