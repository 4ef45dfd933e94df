//! Sockets: loopback TCP and abstract AF_UNIX (fixtures and drivers) and the audit netlink
//! socket (the observer). Addresses are built before a fork; the calls here allocate nothing.

use std::io;
use std::net::Ipv4Addr;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::time::Duration;

use super::errno::{cvt, cvt_int};

/// A socket address the kernel reads: its bytes and length.
pub(crate) trait SockAddr {
    fn ptr(&self) -> *const libc::sockaddr;
    fn size(&self) -> libc::socklen_t;
}

impl SockAddr for libc::sockaddr_in {
    fn ptr(&self) -> *const libc::sockaddr {
        (self as *const libc::sockaddr_in).cast()
    }
    fn size(&self) -> libc::socklen_t {
        std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t
    }
}

/// An abstract AF_UNIX address: the struct and its length (leading NUL, no terminator).
#[derive(Clone, Copy)]
pub(crate) struct AbstractAddr {
    pub addr: libc::sockaddr_un,
    pub len: libc::socklen_t,
}

impl std::fmt::Debug for AbstractAddr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AbstractAddr(len {})", self.len)
    }
}

impl SockAddr for AbstractAddr {
    fn ptr(&self) -> *const libc::sockaddr {
        (&self.addr as *const libc::sockaddr_un).cast()
    }
    fn size(&self) -> libc::socklen_t {
        self.len
    }
}

impl SockAddr for libc::sockaddr_nl {
    fn ptr(&self) -> *const libc::sockaddr {
        (self as *const libc::sockaddr_nl).cast()
    }
    fn size(&self) -> libc::socklen_t {
        std::mem::size_of::<libc::sockaddr_nl>() as libc::socklen_t
    }
}

/// An IPv4 address and port.
pub(crate) fn inet_addr(ip: Ipv4Addr, port: u16) -> libc::sockaddr_in {
    // SAFETY: sockaddr_in is plain data; all-zero is a valid value.
    let mut sa: libc::sockaddr_in = unsafe { std::mem::zeroed() };
    sa.sin_family = libc::AF_INET as libc::sa_family_t;
    sa.sin_port = port.to_be();
    sa.sin_addr.s_addr = u32::from(ip).to_be();
    sa
}

/// The abstract socket `name` (Linux: a leading NUL byte; the length counts the name only).
pub(crate) fn abstract_addr(name: &str) -> Option<AbstractAddr> {
    // SAFETY: sockaddr_un is plain data; all-zero is a valid value.
    let mut addr: libc::sockaddr_un = unsafe { std::mem::zeroed() };
    addr.sun_family = libc::AF_UNIX as libc::sa_family_t;
    let bytes = name.as_bytes();
    if bytes.len() + 1 > addr.sun_path.len() {
        return None;
    }
    for (i, b) in bytes.iter().enumerate() {
        addr.sun_path[i + 1] = *b as libc::c_char;
    }
    let len = std::mem::size_of::<libc::sa_family_t>() + 1 + bytes.len();
    Some(AbstractAddr {
        addr,
        len: len as libc::socklen_t,
    })
}

/// The kernel's netlink address (pid 0), or a multicast `groups` subscription.
pub(crate) fn netlink_addr(groups: u32) -> libc::sockaddr_nl {
    // SAFETY: sockaddr_nl is plain data; all-zero is a valid value.
    let mut addr: libc::sockaddr_nl = unsafe { std::mem::zeroed() };
    addr.nl_family = libc::AF_NETLINK as libc::sa_family_t;
    addr.nl_groups = groups;
    addr
}

/// A close-on-exec socket.
pub(crate) fn socket(domain: i32, kind: i32, protocol: i32) -> io::Result<OwnedFd> {
    let fd = socket_raw(domain, kind, protocol)?;
    // SAFETY: a fresh fd owned by nobody else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// [`socket`] as a raw fd, for drivers in children (closed with `fd::close_raw`).
pub(crate) fn socket_raw(domain: i32, kind: i32, protocol: i32) -> io::Result<RawFd> {
    // SAFETY: socket with integer arguments.
    cvt_int(unsafe { libc::socket(domain, kind | libc::SOCK_CLOEXEC, protocol) })
}

pub(crate) fn bind(fd: RawFd, addr: &dyn SockAddr) -> io::Result<()> {
    // SAFETY: the address outlives the call and its length is its own.
    cvt_int(unsafe { libc::bind(fd, addr.ptr(), addr.size()) }).map(|_| ())
}

pub(crate) fn connect(fd: RawFd, addr: &dyn SockAddr) -> io::Result<()> {
    // SAFETY: the address outlives the call and its length is its own.
    cvt_int(unsafe { libc::connect(fd, addr.ptr(), addr.size()) }).map(|_| ())
}

pub(crate) fn listen(fd: BorrowedFd, backlog: i32) -> io::Result<()> {
    listen_raw(fd.as_raw_fd(), backlog)
}

/// `shutdown(fd, SHUT_WR)`: ends our side of a connected stream socket (a use the network
/// checks never see).
pub(crate) fn shutdown_write(fd: RawFd) -> io::Result<()> {
    // SAFETY: shutdown with integer arguments.
    cvt_int(unsafe { libc::shutdown(fd, libc::SHUT_WR) }).map(|_| ())
}

/// `listen` on a raw fd (drivers in children).
pub(crate) fn listen_raw(fd: RawFd, backlog: i32) -> io::Result<()> {
    // SAFETY: listen with integer arguments.
    cvt_int(unsafe { libc::listen(fd, backlog) }).map(|_| ())
}

/// Accepts one connection and closes it at once (the listener fixtures' whole job).
pub(crate) fn accept_and_close(fd: BorrowedFd) -> io::Result<()> {
    // SAFETY: accept without a peer address; the new fd is closed right away.
    let c = cvt_int(unsafe {
        libc::accept(fd.as_raw_fd(), std::ptr::null_mut(), std::ptr::null_mut())
    })?;
    super::fd::close_raw(c);
    Ok(())
}

/// The port a bound IPv4 socket got.
pub(crate) fn local_port(fd: BorrowedFd) -> io::Result<u16> {
    let mut sa = inet_addr(Ipv4Addr::UNSPECIFIED, 0);
    let mut len = sa.size();
    // SAFETY: the kernel writes at most `len` bytes into our sockaddr_in.
    cvt_int(unsafe {
        libc::getsockname(
            fd.as_raw_fd(),
            (&mut sa as *mut libc::sockaddr_in).cast(),
            &mut len,
        )
    })?;
    Ok(u16::from_be(sa.sin_port))
}

fn set_option<T>(fd: BorrowedFd, level: i32, name: i32, value: &T) -> io::Result<()> {
    // SAFETY: the option value outlives the call and its size is its own.
    cvt_int(unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            level,
            name,
            (value as *const T).cast(),
            std::mem::size_of::<T>() as libc::socklen_t,
        )
    })
    .map(|_| ())
}

/// `SO_REUSEADDR`: a fixed port can be bound again while old connections linger in TIME_WAIT.
pub(crate) fn set_reuse_address(fd: BorrowedFd) -> io::Result<()> {
    set_option(
        fd,
        libc::SOL_SOCKET,
        libc::SO_REUSEADDR,
        &(1 as libc::c_int),
    )
}

/// Brings the loopback interface `lo` up (`SIOCSIFFLAGS`): a new network namespace starts
/// with it down, so nothing could connect to 127.0.0.1 there. Needs CAP_NET_ADMIN over the
/// namespace.
pub(crate) fn set_loopback_up() -> io::Result<()> {
    let fd = socket(libc::AF_INET, libc::SOCK_DGRAM, 0)?;
    // SAFETY: ifreq is plain data; all-zero is a valid value.
    let mut req: libc::ifreq = unsafe { std::mem::zeroed() };
    for (i, b) in b"lo".iter().enumerate() {
        req.ifr_name[i] = *b as libc::c_char;
    }
    // SAFETY: the kernel reads the name and reads or writes the flags of our ifreq.
    cvt_int(unsafe { libc::ioctl(fd.as_raw_fd(), libc::SIOCGIFFLAGS, &mut req) })?;
    // SAFETY: the union member the two flag requests use.
    unsafe { req.ifr_ifru.ifru_flags |= libc::IFF_UP as libc::c_short };
    // SAFETY: as above.
    cvt_int(unsafe { libc::ioctl(fd.as_raw_fd(), libc::SIOCSIFFLAGS, &req) }).map(|_| ())
}

/// `SO_PEERCRED`: the pid of the process at the other end of a connected Unix socket (as it
/// was when it connected).
pub(crate) fn peer_pid(fd: BorrowedFd) -> io::Result<i32> {
    // SAFETY: ucred is plain data; all-zero is a valid value.
    let mut cred: libc::ucred = unsafe { std::mem::zeroed() };
    let mut len = std::mem::size_of::<libc::ucred>() as libc::socklen_t;
    // SAFETY: the kernel fills at most `len` bytes of our ucred.
    cvt_int(unsafe {
        libc::getsockopt(
            fd.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_PEERCRED,
            (&mut cred as *mut libc::ucred).cast(),
            &mut len,
        )
    })?;
    Ok(cred.pid)
}

/// `SO_RCVBUFFORCE` (root): a large receive buffer.
pub(crate) fn set_receive_buffer(fd: BorrowedFd, bytes: i32) -> io::Result<()> {
    set_option(fd, libc::SOL_SOCKET, libc::SO_RCVBUFFORCE, &bytes)
}

/// `SO_RCVTIMEO`: a blocking receive fails with EAGAIN after `timeout`.
pub(crate) fn set_receive_timeout(fd: BorrowedFd, timeout: Duration) -> io::Result<()> {
    let tv = libc::timeval {
        tv_sec: timeout.as_secs() as libc::time_t,
        tv_usec: timeout.subsec_micros() as libc::suseconds_t,
    };
    set_option(fd, libc::SOL_SOCKET, libc::SO_RCVTIMEO, &tv)
}

/// `sendto` one datagram (no allocation: usable from a signal handler).
pub(crate) fn send_to(fd: RawFd, bytes: &[u8], addr: &dyn SockAddr) -> io::Result<()> {
    // SAFETY: bytes and address outlive the call.
    cvt(unsafe {
        libc::sendto(
            fd,
            bytes.as_ptr().cast(),
            bytes.len(),
            0,
            addr.ptr(),
            addr.size(),
        )
    } as _)
    .map(|_| ())
}

/// One `recv` into `buf`: the bytes received.
pub(crate) fn receive(fd: BorrowedFd, buf: &mut [u8]) -> io::Result<usize> {
    // SAFETY: the kernel writes at most `buf.len()` bytes into our buffer.
    cvt(unsafe { libc::recv(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len(), 0) } as _)
        .map(|n| n as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn abstract_names_have_a_leading_nul_and_no_terminator() {
        let a = abstract_addr("xpr").unwrap();
        assert_eq!(a.len as usize, std::mem::size_of::<libc::sa_family_t>() + 4);
        assert_eq!(a.addr.sun_path[0], 0);
        assert_eq!(a.addr.sun_path[1], b'x' as libc::c_char);
        assert!(abstract_addr(&"n".repeat(200)).is_none());
    }
}
