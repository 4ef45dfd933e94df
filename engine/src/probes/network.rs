//! Network drivers: TCP connect and bind on loopback, connect to an abstract AF_UNIX socket.

use super::acquire::Held;
use super::op_result::OpResult;
use super::spec::ProbeSpec;
use super::syscall::{close, errno_of};
use crate::sys::socket::{self, AbstractAddr};

pub(crate) const FAMILIES: &[&str] = &["tcp-connect", "tcp-bind", "unix-connect"];

#[derive(Debug)]
pub(crate) enum NetOp {
    TcpConnect(libc::sockaddr_in),
    TcpBind(libc::sockaddr_in),
    /// An abstract socket address.
    UnixConnect(AbstractAddr),
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
    Ok(socket::inet_addr(ip, port))
}

impl NetOp {
    pub(crate) fn prepare(spec: &ProbeSpec) -> Result<NetOp, String> {
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
                Ok(NetOp::UnixConnect(abstract_addr(&name)?))
            }
            other => Err(format!("not a network family: {other}")),
        }
    }

    pub(crate) fn perform(&self) -> OpResult {
        let r = match self {
            NetOp::TcpConnect(sa) | NetOp::TcpBind(sa) => {
                errno_of(socket::socket_raw(libc::AF_INET, libc::SOCK_STREAM, 0)).and_then(|fd| {
                    let r = if matches!(self, NetOp::TcpConnect(_)) {
                        socket::connect(fd, sa)
                    } else {
                        socket::bind(fd, sa)
                    };
                    close(fd);
                    errno_of(r).map(|_| u16::from_be(sa.sin_port) as i64)
                })
            }
            NetOp::UnixConnect(addr) => {
                errno_of(socket::socket_raw(libc::AF_UNIX, libc::SOCK_STREAM, 0)).and_then(|fd| {
                    let r = socket::connect(fd, addr);
                    close(fd);
                    errno_of(r).map(|_| 0)
                })
            }
        };
        match r {
            Ok(v) => OpResult::ok(v),
            Err(e) => OpResult::errno(e),
        }
    }
}

impl NetOp {
    /// `acquire=before`, before apply: the socket bound or connected (the calls Landlock
    /// checks happen here, before any sandbox exists).
    pub(crate) fn acquire(&self) -> Held {
        let (domain, addr): (i32, &dyn socket::SockAddr) = match self {
            NetOp::TcpConnect(sa) | NetOp::TcpBind(sa) => (libc::AF_INET, sa),
            NetOp::UnixConnect(a) => (libc::AF_UNIX, a),
        };
        let fd = match errno_of(socket::socket_raw(domain, libc::SOCK_STREAM, 0)) {
            Ok(fd) => fd,
            Err(e) => return Held::failed(e),
        };
        let r = match self {
            NetOp::TcpBind(_) => socket::bind(fd, addr),
            _ => socket::connect(fd, addr),
        };
        Held::one(errno_of(r).map(|_| fd).inspect_err(|_| close(fd)))
    }

    /// `acquire=before`, after apply: a use no network check sees — `listen` on the bound
    /// socket, our side shut on the connected one (deterministic whether or not the listener
    /// has closed its end already).
    pub(crate) fn perform_held(&self, held: &Held) -> OpResult {
        held.use_then_release(|h| {
            let r = match self {
                NetOp::TcpBind(_) => socket::listen_raw(h.fd(0), 1),
                _ => socket::shutdown_write(h.fd(0)),
            };
            errno_of(r).map(|_| match self {
                NetOp::TcpConnect(sa) | NetOp::TcpBind(sa) => u16::from_be(sa.sin_port) as i64,
                NetOp::UnixConnect(_) => 0,
            })
        })
    }
}

/// The address of abstract socket `name`.
pub(crate) fn abstract_addr(name: &str) -> Result<AbstractAddr, String> {
    socket::abstract_addr(name).ok_or_else(|| format!("abstract socket name `{name}` is too long"))
}
