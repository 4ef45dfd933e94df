//! File descriptors: pipes, reads and writes, `dup2`, `poll`, closing what a forked process
//! inherited, and the few opens the harness itself makes.

use std::ffi::CStr;
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};

use super::errno::{cvt, cvt_int, retry};

/// A close-on-exec pipe: (read end, write end).
pub(crate) fn pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0 as RawFd; 2];
    // SAFETY: pipe2 writes two fds into the 2-element array.
    cvt_int(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) })?;
    // SAFETY: both fds were just returned by the kernel and are owned by nobody else.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

/// Makes reads from `fd` return EAGAIN instead of blocking.
pub(crate) fn set_nonblocking(fd: BorrowedFd) -> io::Result<()> {
    // SAFETY: fcntl with integer arguments on a live fd.
    let flags = cvt_int(unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_GETFL) })?;
    // SAFETY: as above.
    cvt_int(unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_SETFL, flags | libc::O_NONBLOCK) })
        .map(|_| ())
}

/// Clears close-on-exec on `fd`, so an exec'd program inherits it.
pub(crate) fn clear_cloexec(fd: RawFd) -> io::Result<()> {
    // SAFETY: fcntl with integer arguments.
    cvt_int(unsafe { libc::fcntl(fd, libc::F_SETFD, 0) }).map(|_| ())
}

/// `dup2(old, new)`: `new` now refers to `old`'s file (without close-on-exec).
pub(crate) fn dup2(old: RawFd, new: RawFd) -> io::Result<()> {
    // SAFETY: dup2 with integer arguments; the caller owns `new`'s slot.
    retry(|| cvt_int(unsafe { libc::dup2(old, new) })).map(|_| ())
}

/// One `read`, retried on EINTR; `Ok(0)` is end of file.
pub(crate) fn read(fd: RawFd, buf: &mut [u8]) -> io::Result<usize> {
    // SAFETY: reading into a buffer we own, of the length passed.
    retry(|| cvt(unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) } as _))
        .map(|n| n as usize)
}

/// One `write`, retried on EINTR.
pub(crate) fn write(fd: RawFd, bytes: &[u8]) -> io::Result<usize> {
    // SAFETY: writing from a buffer we own, of the length passed.
    retry(|| cvt(unsafe { libc::write(fd, bytes.as_ptr().cast(), bytes.len()) } as _))
        .map(|n| n as usize)
}

/// Writes all of `bytes` (no allocation: usable in a forked child).
pub(crate) fn write_all(fd: RawFd, mut bytes: &[u8]) -> io::Result<()> {
    while !bytes.is_empty() {
        match write(fd, bytes)? {
            0 => return Err(io::Error::from_raw_os_error(libc::EPIPE)),
            n => bytes = &bytes[n..],
        }
    }
    Ok(())
}

/// Reads exactly `buf.len()` bytes; `Ok(false)` on end of file before the first byte.
pub(crate) fn read_exact(fd: RawFd, buf: &mut [u8]) -> io::Result<bool> {
    let mut got = 0;
    while got < buf.len() {
        match read(fd, &mut buf[got..])? {
            0 if got == 0 => return Ok(false),
            0 => return Err(io::Error::from_raw_os_error(libc::EPIPE)),
            n => got += n,
        }
    }
    Ok(true)
}

/// A `pollfd` waiting for input on `fd` (-1: ignored by `poll`).
pub(crate) fn poll_in(fd: RawFd) -> libc::pollfd {
    libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    }
}

/// `poll`; EINTR is returned to the caller (it may have an interrupt to notice).
pub(crate) fn poll(fds: &mut [libc::pollfd], timeout_ms: i32) -> io::Result<usize> {
    // SAFETY: poll over a slice we own, of the length passed.
    cvt_int(unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, timeout_ms) })
        .map(|n| n as usize)
}

/// Closes a raw fd this process owns (drivers and children that hold no `OwnedFd`).
pub(crate) fn close_raw(fd: RawFd) {
    if fd >= 0 {
        // SAFETY: the caller owns `fd` and never uses it again.
        unsafe {
            libc::close(fd);
        }
    }
}

/// Closes every fd from 3 up except `keep` (negative entries ignored), with `close_range`: no
/// allocation and no `/proc`, since this runs in freshly forked processes. A forked process
/// that kept another pipe's write end would stop that pipe's reader from ever seeing EOF.
pub(crate) fn close_all_except(keep: &[RawFd]) -> io::Result<()> {
    let mut kept = [u32::MAX; 4];
    let mut n = 0;
    for &fd in keep.iter().filter(|&&fd| fd >= 3) {
        if n == kept.len() {
            return Err(io::Error::from_raw_os_error(libc::E2BIG));
        }
        kept[n] = fd as u32;
        n += 1;
    }
    kept[..n].sort_unstable();
    let mut from = 3u32;
    for &fd in &kept[..n] {
        if fd > from {
            close_range(from, fd - 1)?;
        }
        from = from.max(fd + 1);
    }
    close_range(from, u32::MAX)
}

fn close_range(first: u32, last: u32) -> io::Result<()> {
    // SAFETY: closes fds this process no longer uses; the caller's ranges skip the kept ones.
    cvt(unsafe { libc::syscall(libc::SYS_close_range, first, last, 0u32) }).map(|_| ())
}

/// `open(path, flags | O_CLOEXEC)`.
pub(crate) fn open(path: &CStr, flags: i32) -> io::Result<OwnedFd> {
    // SAFETY: `path` is NUL-terminated and outlives the call.
    let fd = cvt_int(unsafe { libc::open(path.as_ptr(), flags | libc::O_CLOEXEC) })?;
    // SAFETY: a fresh fd owned by nobody else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// `open` returning the raw fd, for drivers in children (closed with [`close_raw`]).
pub(crate) fn open_raw(path: &CStr, flags: i32) -> io::Result<RawFd> {
    // SAFETY: `path` is NUL-terminated and outlives the call.
    cvt_int(unsafe { libc::open(path.as_ptr(), flags | libc::O_CLOEXEC) })
}

/// `/dev/null` for reading and writing (exec probes' stdin).
pub(crate) fn open_dev_null() -> io::Result<OwnedFd> {
    open(c"/dev/null", libc::O_RDWR)
}

/// `ioctl(fd, request, &mut int)`: the device ioctls drivers probe.
pub(crate) fn ioctl_int(
    fd: RawFd,
    request: libc::c_ulong,
    value: &mut libc::c_int,
) -> io::Result<()> {
    // SAFETY: the requests used take a pointer to one int, which outlives the call.
    cvt_int(unsafe { libc::ioctl(fd, request, value as *mut libc::c_int) }).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pipe_carries_bytes_and_ends_with_eof() {
        let (rd, wr) = pipe().unwrap();
        write_all(wr.as_raw_fd(), b"abc").unwrap();
        drop(wr);
        let mut buf = [0u8; 3];
        assert!(read_exact(rd.as_raw_fd(), &mut buf).unwrap());
        assert_eq!(&buf, b"abc");
        assert!(!read_exact(rd.as_raw_fd(), &mut buf).unwrap());
    }
}
