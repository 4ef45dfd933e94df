//! Drivers that read the kernel's view: `sysctl-read` (files under /proc/sys), `process-info`
//! (a process's memory, /proc entries or a ptrace attach; an outside process or the probe
//! itself) and `ioctl-dev` (a device ioctl).

use std::ffi::CString;

use super::acquire::Held;
use super::op_result::OpResult;
use super::spec::ProbeSpec;
use super::syscall::{close, errno_of};
use crate::sys::{fd, process};

pub(crate) const FAMILIES: &[&str] = &["sysctl-read", "process-info", "ioctl-dev"];

/// What `process-info` reads by default from the target's memory.
static VM_READ_TARGET: u8 = 0x78;

/// `_IOR('R', 0x00, int)`: read the entropy count of the random device.
const RNDGETENTCNT: libc::c_ulong = 0x8004_5200;

#[derive(Debug)]
pub(crate) enum ProcOp {
    /// Open and read a /proc file (a sysctl).
    ReadFile(CString),
    /// Open an entry of a process's /proc directory (the access check happens at open; a
    /// read of `mem` at offset 0 would fail with EIO whatever the sandbox says).
    OpenOnly(CString),
    /// `process_vm_readv` of one byte at a static address: the kernel's ptrace access check
    /// without any file (the pid is 0 for the probe itself).
    VmRead(i32),
    /// `PTRACE_SEIZE` the pid (attaches without stopping; detached when the probe exits).
    PtraceSeize(i32),
    Ioctl {
        path: CString,
        request: libc::c_ulong,
    },
}

/// sysctl name → its /proc/sys path: the stdlib table first (the backend reads the same one,
/// so a Darwin name means the same file to both), then a Linux name (`kernel.ostype`,
/// `kernel/ostype`) directly.
pub(crate) fn sysctl_path(name: &str) -> Result<String, String> {
    if let Some(path) = crate::source::sysctl::SysctlTable::standard()
        .darwin
        .get(name)
    {
        return Ok(path.clone());
    }
    let rel = name.trim_start_matches("/proc/sys/").replace('.', "/");
    if rel.is_empty() || rel.split('/').any(|c| c.is_empty() || c == "..") {
        return Err(format!("`{name}` is not a Linux sysctl name"));
    }
    Ok(format!("/proc/sys/{rel}"))
}

impl ProcOp {
    pub(crate) fn prepare(spec: &ProbeSpec) -> Result<ProcOp, String> {
        let c = |s: String| CString::new(s).map_err(|_| "NUL in path".to_string());
        match spec.family.as_str() {
            "sysctl-read" => Ok(ProcOp::ReadFile(c(sysctl_path(spec.require_target()?)?)?)),
            "process-info" => {
                // `self` is the probe process (resolved by the kernel's /proc/self).
                let pid: Option<i32> = match (spec.pid, spec.target.as_deref()) {
                    (Some(p), _) => Some(p),
                    (None, Some("self")) => None,
                    (None, Some(t)) => Some(t.parse().map_err(|_| format!("bad pid `{t}`"))?),
                    (None, None) => return Err("`process-info` needs fixture=<process>".into()),
                };
                let dir = pid.map_or_else(|| "self".to_string(), |p| p.to_string());
                match spec.arg_str("via").as_deref().unwrap_or("vm_read") {
                    "vm_read" => Ok(ProcOp::VmRead(pid.unwrap_or(0))),
                    "ptrace" => Ok(match pid {
                        Some(pid) => ProcOp::PtraceSeize(pid),
                        // The kernel refuses PTRACE_SEIZE of one's own thread group (EPERM in
                        // every sandbox), so on self this makes the check an attach would:
                        // process_vm_readv asks for PTRACE_MODE_ATTACH_REALCREDS too.
                        None => ProcOp::VmRead(0),
                    }),
                    entry
                        if entry
                            .chars()
                            .all(|ch| ch.is_ascii_alphanumeric() || ch == '_') =>
                    {
                        Ok(ProcOp::OpenOnly(c(format!("/proc/{dir}/{entry}"))?))
                    }
                    other => Err(format!("bad process-info via=`{other}`")),
                }
            }
            "ioctl-dev" => {
                let path = spec.target.clone().unwrap_or_else(|| "/dev/urandom".into());
                let request = match spec.arg_str("request").as_deref().unwrap_or("RNDGETENTCNT") {
                    "RNDGETENTCNT" => RNDGETENTCNT,
                    "FIOCLEX" => libc::FIOCLEX,
                    other => return Err(format!("unknown ioctl request `{other}`")),
                };
                Ok(ProcOp::Ioctl {
                    path: c(path)?,
                    request,
                })
            }
            other => Err(format!("not a procfs family: {other}")),
        }
    }

    /// Whether the operation uses a descriptor it could acquire before apply: the sysctl
    /// file, the device. `process-info` names its target at every call (a pid, a /proc
    /// entry it only opens), so it has no such form.
    pub(crate) fn can_acquire(&self) -> bool {
        matches!(self, ProcOp::ReadFile(_) | ProcOp::Ioctl { .. })
    }

    /// `acquire=before`, before apply: the sysctl file or the device opened.
    pub(crate) fn acquire(&self) -> Held {
        match self {
            ProcOp::ReadFile(p) | ProcOp::Ioctl { path: p, .. } => {
                Held::one(errno_of(fd::open_raw(p, libc::O_RDONLY)))
            }
            _ => Held::failed(libc::EINVAL),
        }
    }

    /// `acquire=before`, after apply: the read or the ioctl on the descriptor held.
    pub(crate) fn perform_held(&self, held: &Held) -> OpResult {
        held.use_then_release(|h| match self {
            ProcOp::Ioctl { request, .. } => {
                let mut count: libc::c_int = 0;
                errno_of(fd::ioctl_int(h.fd(0), *request, &mut count)).map(|_| count as i64)
            }
            _ => {
                let mut buf = [0u8; 256];
                errno_of(fd::read(h.fd(0), &mut buf)).map(|n| n as i64)
            }
        })
    }

    pub(crate) fn perform(&self) -> OpResult {
        let r = match self {
            ProcOp::ReadFile(p) => errno_of(fd::open_raw(p, libc::O_RDONLY)).and_then(|f| {
                let mut buf = [0u8; 256];
                let n = errno_of(fd::read(f, &mut buf));
                close(f);
                n.map(|n| n as i64)
            }),
            ProcOp::OpenOnly(p) => errno_of(fd::open_raw(p, libc::O_RDONLY)).map(|f| {
                close(f);
                0
            }),
            ProcOp::VmRead(pid) => {
                let target = if *pid == 0 { process::getpid() } else { *pid };
                let mut byte = [0u8; 1];
                // Outside processes are forks of the engine: the same binary, so this static
                // has the same address there.
                errno_of(process::read_process_memory(
                    target,
                    &raw const VM_READ_TARGET,
                    &mut byte,
                ))
                .map(|n| n as i64)
            }
            ProcOp::PtraceSeize(pid) => errno_of(process::ptrace_seize(*pid)).map(|_| 0),
            ProcOp::Ioctl { path, request } => errno_of(fd::open_raw(path, libc::O_RDONLY))
                .and_then(|f| {
                    let mut count: libc::c_int = 0;
                    let r = errno_of(fd::ioctl_int(f, *request, &mut count));
                    close(f);
                    r.map(|_| count as i64)
                }),
        };
        match r {
            Ok(v) => OpResult::ok(v),
            Err(e) => OpResult::errno(e),
        }
    }
}
