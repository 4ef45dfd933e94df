//! The audit netlink protocol: status get/set (unicast to the kernel) and the read-only
//! multicast log group (every audit record, without replacing auditd). The kernel's answer in
//! an `NLMSG_ERROR` becomes an OS error like any failed call's.

use std::io;
use std::os::fd::{AsFd, AsRawFd, OwnedFd, RawFd};
use std::time::Duration;

use crate::sys::socket;

fn os_error(errno: i32) -> io::Error {
    io::Error::from_raw_os_error(errno)
}

pub(crate) const AUDIT_GET: u16 = 1000;
pub(crate) const AUDIT_SET: u16 = 1001;
pub(crate) const AUDIT_STATUS_ENABLED: u32 = 1;
/// `AUDIT_NLGRP_READLOG`: the multicast group of every record (needs CAP_AUDIT_READ).
const AUDIT_NLGRP_READLOG: u32 = 1;
const NLMSG_ERROR: u16 = 2;
const NLM_F_REQUEST: u16 = 1;
const NLM_F_ACK: u16 = 4;
const HEADER: usize = 16;

/// `struct audit_status`, the fields the observer reads and restores.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AuditStatus {
    pub enabled: u32,
    pub pid: u32,
    pub lost: u32,
    pub backlog_limit: u32,
}

pub(crate) fn open_socket() -> io::Result<OwnedFd> {
    socket::socket(libc::AF_NETLINK, libc::SOCK_RAW, libc::NETLINK_AUDIT)
}

/// A message to the kernel (`nlmsghdr` + payload), as bytes.
pub(crate) fn message(kind: u16, seq: u32, payload: &[u8]) -> Vec<u8> {
    let len = (HEADER + payload.len()) as u32;
    let mut m = Vec::with_capacity(len as usize);
    m.extend_from_slice(&len.to_ne_bytes());
    m.extend_from_slice(&kind.to_ne_bytes());
    m.extend_from_slice(&(NLM_F_REQUEST | NLM_F_ACK).to_ne_bytes());
    m.extend_from_slice(&seq.to_ne_bytes());
    m.extend_from_slice(&0u32.to_ne_bytes());
    m.extend_from_slice(payload);
    m
}

/// `AUDIT_STATUS_BACKLOG_LIMIT`: the `AUDIT_SET` mask bit of `backlog_limit`.
const AUDIT_STATUS_BACKLOG_LIMIT: u32 = 0x10;

/// What a session changes and restores: `enabled` and the kernel's queue length.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct AuditSettings {
    pub enabled: u32,
    pub backlog_limit: u32,
}

/// `AUDIT_SET` payload changing `enabled` and `backlog_limit` (`struct audit_status`: mask,
/// enabled, failure, pid, rate_limit, backlog_limit, ...).
pub(crate) fn set_payload(settings: AuditSettings) -> [u8; 44] {
    let mut p = [0u8; 44];
    let mask = AUDIT_STATUS_ENABLED | AUDIT_STATUS_BACKLOG_LIMIT;
    p[0..4].copy_from_slice(&mask.to_ne_bytes());
    p[4..8].copy_from_slice(&settings.enabled.to_ne_bytes());
    p[20..24].copy_from_slice(&settings.backlog_limit.to_ne_bytes());
    p
}

/// `AUDIT_SET` payload changing only `enabled`.
pub(crate) fn set_enabled_payload(enabled: u32) -> [u8; 44] {
    let mut p = [0u8; 44];
    p[0..4].copy_from_slice(&AUDIT_STATUS_ENABLED.to_ne_bytes());
    p[4..8].copy_from_slice(&enabled.to_ne_bytes());
    p
}

/// The `AUDIT_SET` message restoring `settings`, built on the stack (for a signal handler).
pub(crate) fn set_message(settings: AuditSettings) -> [u8; HEADER + 44] {
    let mut msg = [0u8; HEADER + 44];
    msg[0..4].copy_from_slice(&((HEADER + 44) as u32).to_ne_bytes());
    msg[4..6].copy_from_slice(&AUDIT_SET.to_ne_bytes());
    msg[6..8].copy_from_slice(&NLM_F_REQUEST.to_ne_bytes());
    msg[HEADER..].copy_from_slice(&set_payload(settings));
    msg
}

/// Sends to the kernel (pid 0): no allocation, so it is usable from a signal handler.
pub(crate) fn send_raw(fd: RawFd, bytes: &[u8]) -> io::Result<()> {
    socket::send_to(fd, bytes, &socket::netlink_addr(0))
}

pub(crate) fn set_timeout(fd: &OwnedFd, timeout: Duration) {
    // Without it a lost answer would block; the callers bound their reads anyway.
    let _ = socket::set_receive_timeout(fd.as_fd(), timeout);
}

/// One received datagram's messages: (type, payload). `Err(EAGAIN)` on timeout.
pub(crate) fn receive(fd: &OwnedFd) -> io::Result<Vec<(u16, Vec<u8>)>> {
    let mut buf = vec![0u8; 1 << 16];
    let n = socket::receive(fd.as_fd(), &mut buf)?;
    let mut out = Vec::new();
    let mut at = 0usize;
    while at + HEADER <= n {
        let len = u32::from_ne_bytes(buf[at..at + 4].try_into().unwrap_or_default()) as usize;
        let kind = u16::from_ne_bytes(buf[at + 4..at + 6].try_into().unwrap_or_default());
        let end = (at + len.max(HEADER)).min(n);
        out.push((kind, buf[at + HEADER..end].to_vec()));
        // Multicast records are not padded consistently: one record per datagram is the rule.
        at += (len.max(HEADER) + 3) & !3;
    }
    Ok(out)
}

/// Asks for the audit status; `Err(errno)` when the kernel refuses (no CAP_AUDIT_CONTROL...).
pub(crate) fn get_status(fd: &OwnedFd) -> io::Result<AuditStatus> {
    set_timeout(fd, Duration::from_secs(2));
    send_raw(fd.as_raw_fd(), &message(AUDIT_GET, 1, &[]))?;
    for _ in 0..8 {
        for (kind, payload) in receive(fd)? {
            if kind == NLMSG_ERROR {
                let code = i32::from_ne_bytes(
                    payload
                        .get(0..4)
                        .and_then(|b| b.try_into().ok())
                        .unwrap_or_default(),
                );
                if code != 0 {
                    return Err(os_error(-code));
                }
            } else if kind == AUDIT_GET && payload.len() >= 32 {
                let field = |i: usize| {
                    u32::from_ne_bytes(payload[i * 4..i * 4 + 4].try_into().unwrap_or_default())
                };
                return Ok(AuditStatus {
                    enabled: field(1),
                    pid: field(3),
                    backlog_limit: field(5),
                    lost: field(6),
                });
            }
        }
    }
    Err(os_error(libc::EPROTO))
}

/// Sets `enabled` and waits for the kernel's acknowledgement.
pub(crate) fn set_enabled(fd: &OwnedFd, enabled: u32) -> io::Result<()> {
    set_acknowledged(fd, &set_enabled_payload(enabled))
}

/// Sets `enabled` and `backlog_limit` and waits for the kernel's acknowledgement.
pub(crate) fn set(fd: &OwnedFd, settings: AuditSettings) -> io::Result<()> {
    set_acknowledged(fd, &set_payload(settings))
}

fn set_acknowledged(fd: &OwnedFd, payload: &[u8; 44]) -> io::Result<()> {
    set_timeout(fd, Duration::from_secs(2));
    send_raw(fd.as_raw_fd(), &message(AUDIT_SET, 2, payload))?;
    for _ in 0..8 {
        for (kind, payload) in receive(fd)? {
            if kind == NLMSG_ERROR {
                let code = i32::from_ne_bytes(
                    payload
                        .get(0..4)
                        .and_then(|b| b.try_into().ok())
                        .unwrap_or_default(),
                );
                return if code == 0 {
                    Ok(())
                } else {
                    Err(os_error(-code))
                };
            }
        }
    }
    Err(os_error(libc::EPROTO))
}

/// A socket subscribed to the read-only log group.
pub(crate) fn open_log_reader() -> io::Result<OwnedFd> {
    let fd = open_socket()?;
    // Records arrive in bursts; a large buffer keeps the kernel from dropping them (ENOBUFS).
    // Best effort: without it the reader still works, and ENOBUFS is handled.
    let _ = socket::set_receive_buffer(fd.as_fd(), 4 << 20);
    socket::bind(fd.as_raw_fd(), &socket::netlink_addr(AUDIT_NLGRP_READLOG))?;
    Ok(fd)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `struct audit_status` (include/uapi/linux/audit.h): mask, enabled, failure, pid,
    /// rate_limit, backlog_limit, lost, backlog, ... as u32s.
    #[test]
    fn a_set_changes_enabled_and_backlog_limit_and_nothing_else() {
        let p = set_payload(AuditSettings {
            enabled: 1,
            backlog_limit: 8192,
        });
        let field = |i: usize| u32::from_ne_bytes(p[i * 4..i * 4 + 4].try_into().unwrap());
        assert_eq!(
            field(0),
            0x01 | 0x10,
            "mask: AUDIT_STATUS_ENABLED | BACKLOG_LIMIT"
        );
        assert_eq!((field(1), field(5)), (1, 8192));
        for other in [2, 3, 4, 6, 7, 8, 9, 10] {
            assert_eq!(field(other), 0, "field {other}");
        }
        let m = set_message(AuditSettings {
            enabled: 0,
            backlog_limit: 64,
        });
        assert_eq!(u16::from_ne_bytes([m[4], m[5]]), AUDIT_SET);
        assert_eq!(
            &m[HEADER..],
            &set_payload(AuditSettings {
                enabled: 0,
                backlog_limit: 64
            })
        );
    }
}
