//! Network drivers: TCP connect and bind on loopback, connect to an abstract AF_UNIX socket.

use super::outcome::OpResult;
use super::spec::ProbeSpec;
use super::syscall::{check, close};

pub const FAMILIES: &[&str] = &["tcp-connect", "tcp-bind", "unix-connect"];

#[derive(Debug)]
pub enum NetOp {
    TcpConnect(libc::sockaddr_in),
    TcpBind(libc::sockaddr_in),
    /// Abstract socket address and its length (leading NUL, no terminator).
    UnixConnect(libc::sockaddr_un, libc::socklen_t),
}

/// `host:port`, `port` or `:port`; the host must be an IPv4 literal or `localhost`.
fn parse_v4(spec: &str, port_hint: Option<u16>) -> Result<libc::sockaddr_in, String> {
    let (host, port) = match spec.rsplit_once(':') {
        Some((h, p)) => (h, p),
        None if spec.parse::<u16>().is_ok() => ("127.0.0.1", spec),
        None => (spec, ""),
    };
    let port: u16 = match (port, port_hint) {
        ("" | "*", Some(p)) => p,
        (p, _) => p.parse().map_err(|_| format!("bad port in `{spec}`"))?,
    };
    let host = match host {
        "" | "localhost" => "127.0.0.1",
        "*" => "0.0.0.0",
        h => h,
    };
    let ip: std::net::Ipv4Addr = host
        .parse()
        .map_err(|_| format!("`{host}` is not an IPv4 literal"))?;
    // SAFETY: sockaddr_in is plain data; all-zero is a valid value.
    let mut sa: libc::sockaddr_in = unsafe { std::mem::zeroed() };
    sa.sin_family = libc::AF_INET as libc::sa_family_t;
    sa.sin_port = port.to_be();
    sa.sin_addr.s_addr = u32::from(ip).to_be();
    Ok(sa)
}

impl NetOp {
    pub fn prepare(spec: &ProbeSpec) -> Result<NetOp, String> {
        match spec.family.as_str() {
            "tcp-connect" | "tcp-bind" => {
                let target = match (&spec.target, spec.port, spec.arg_int("port")) {
                    (Some(t), _, _) => t.clone(),
                    (None, Some(p), _) => format!("127.0.0.1:{p}"),
                    (None, None, Some(p)) => format!("127.0.0.1:{p}"),
                    _ => return Err(format!("`{}` needs a target or a fixture", spec.family)),
                };
                let sa = parse_v4(&target, spec.port)?;
                Ok(if spec.family == "tcp-connect" {
                    NetOp::TcpConnect(sa)
                } else {
                    NetOp::TcpBind(sa)
                })
            }
            "unix-connect" => {
                let name = spec
                    .unix_name
                    .clone()
                    .or_else(|| {
                        spec.target
                            .clone()
                            .map(|t| t.trim_start_matches('@').to_string())
                    })
                    .ok_or("`unix-connect` needs a fixture or a target name")?;
                let (sa, len) = abstract_addr(&name)?;
                Ok(NetOp::UnixConnect(sa, len))
            }
            other => Err(format!("not a network family: {other}")),
        }
    }

    pub fn perform(&self) -> OpResult {
        // SAFETY: plain socket syscalls on addresses owned by self.
        unsafe {
            let r = match self {
                NetOp::TcpConnect(sa) | NetOp::TcpBind(sa) => {
                    let fd = libc::socket(libc::AF_INET, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0);
                    if fd < 0 {
                        return OpResult::errno(super::syscall::errno());
                    }
                    let len = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
                    let p = (sa as *const libc::sockaddr_in).cast();
                    let r = if matches!(self, NetOp::TcpConnect(_)) {
                        check(libc::connect(fd, p, len) as _)
                    } else {
                        check(libc::bind(fd, p, len) as _)
                    };
                    close(fd);
                    r.map(|_| u16::from_be(sa.sin_port) as i64)
                }
                NetOp::UnixConnect(sa, len) => {
                    let fd = libc::socket(libc::AF_UNIX, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0);
                    if fd < 0 {
                        return OpResult::errno(super::syscall::errno());
                    }
                    let r = check(
                        libc::connect(fd, (sa as *const libc::sockaddr_un).cast(), *len) as _,
                    );
                    close(fd);
                    r.map(|_| 0)
                }
            };
            match r {
                Ok(v) => OpResult::ok(v),
                Err(e) => OpResult::errno(e),
            }
        }
    }
}

/// The address of abstract socket `name` (Linux: a leading NUL byte, length counts the name only).
pub fn abstract_addr(name: &str) -> Result<(libc::sockaddr_un, libc::socklen_t), String> {
    // SAFETY: sockaddr_un is plain data; all-zero is a valid value.
    let mut sa: libc::sockaddr_un = unsafe { std::mem::zeroed() };
    sa.sun_family = libc::AF_UNIX as libc::sa_family_t;
    let bytes = name.as_bytes();
    if bytes.len() + 1 > sa.sun_path.len() {
        return Err(format!("abstract socket name `{name}` is too long"));
    }
    for (i, b) in bytes.iter().enumerate() {
        sa.sun_path[i + 1] = *b as libc::c_char;
    }
    let len = std::mem::size_of::<libc::sa_family_t>() + 1 + bytes.len();
    Ok((sa, len as libc::socklen_t))
}
