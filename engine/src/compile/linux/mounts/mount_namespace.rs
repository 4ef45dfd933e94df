//! The mount namespace of a prepared sandbox: built once per prepare by a short-lived builder
//! process the worker forks, held open by a file descriptor, entered by each probe's process
//! with `setns` (no copy of the mount table per probe, no teardown on the probe's exit path).
//!
//! The builder (bubblewrap's order, with the new mount API): `unshare(CLONE_NEWNS)`, every
//! mount private (nothing it does can propagate to the host's table), then every source opened
//! before anything is attached (a detached clone of the host's tree at the path, or a new empty
//! tmpfs), the attributes set on the detached trees (read-only, `noexec` before anyone can see
//! them), the trees attached shallowest first, and last the hidden tmpfs made read-only once the
//! mount points it holds for nested mounts are in place. It reports the failing step and errno,
//! or success, and stays until the worker has opened `/proc/<pid>/ns/mnt`.

use std::ffi::{CStr, CString};
use std::io;
use std::os::fd::{AsFd, AsRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use super::decide::PlacedMount;
use super::mount_table::{MountEntryPlan, MountKind};
use crate::compile::ApplyFailure;
use crate::compile::linux::prepare::{PrepareFailure, host_path};
use crate::compile::linux::rule_paths::SCRATCH;
use crate::model::BlockedReason;
use crate::sys::errno::raw;
use crate::sys::mount as m;
use crate::sys::process::{self, Forked};
use crate::sys::{fd, fs, namespace};
use rustix::fs::{FileType, Mode, OFlags};

/// A built namespace, ready to enter.
#[derive(Debug)]
pub(crate) struct MountNamespace {
    ns: OwnedFd,
    /// The worker's working directory, entered again inside the namespace ("/" if hidden).
    cwd: CString,
    /// A command's init mounts a /proc of its own PID namespace (no mount touches /proc).
    own_proc: bool,
    /// The mounts as placed (host paths), for reading errnos.
    pub placed: Vec<PlacedMount>,
}

/// One mount as the builder makes it.
struct Job {
    target: CString,
    /// For a path below the scratch root: the path relative to it, walked with `openat2`
    /// beneath the root and without following any symlink (spec §5.7), at the moment the
    /// builder opens its source and again when it attaches.
    beneath: Option<CString>,
    kind: MountKind,
    is_dir: bool,
    /// Mount points to create inside a hidden directory's tmpfs for the mounts nested in it:
    /// each path relative to it, its ancestors first; `true` for a directory.
    stubs: Vec<(CString, bool)>,
}

/// Builder steps, reported by index.
const STEPS: &[&str] = &[
    "unshare(CLONE_NEWNS)",
    "mount(/, MS_REC|MS_PRIVATE)",
    "fsopen/fsmount(tmpfs)",
    "mkdirat/mknodat(mount point)",
    "open_tree(OPEN_TREE_CLONE)",
    "mount_setattr",
    "move_mount",
];
const UNSHARE: u32 = 0;
const PRIVATE: u32 = 1;
const TMPFS: u32 = 2;
const STUB: u32 = 3;
const CLONE: u32 = 4;
const SETATTR: u32 = 5;
const ATTACH: u32 = 6;
/// Report of a builder that finished.
const DONE: u32 = u32::MAX;

fn c_path(p: &Path) -> io::Result<CString> {
    CString::new(p.as_os_str().as_bytes()).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))
}

fn failure(
    reason: BlockedReason,
    errno: i32,
    step: &'static str,
    detail: String,
) -> PrepareFailure {
    PrepareFailure {
        reason,
        errno,
        step,
        detail,
    }
}

impl MountNamespace {
    /// Builds the namespace for `mounts` with `{scratch}` at `scratch`.
    pub(crate) fn build(
        mounts: &[MountEntryPlan],
        scratch: &Path,
    ) -> Result<MountNamespace, PrepareFailure> {
        // The directories above the scratch root are the user's and may be links.
        let scratch_real = scratch.canonicalize().map_err(|e| {
            failure(
                BlockedReason::ApplyError,
                raw(&e),
                "realpath(scratch root)",
                "the scratch root cannot be resolved".to_string(),
            )
        })?;
        let mut resolved: Vec<(PathBuf, &MountEntryPlan, bool)> = Vec::new();
        for entry in mounts {
            if let Some(rel) = scratch_relative(&entry.path) {
                let (real, is_dir) = beneath_scratch(&scratch_real, rel, entry)?;
                resolved.push((real, entry, is_dir));
                continue;
            }
            let host = host_path(&entry.path, scratch);
            let real = host.canonicalize().map_err(|e| {
                failure(
                    BlockedReason::NotApplicableInWorld,
                    raw(&e),
                    "realpath(mount path)",
                    format!(
                        "mount path {} (rules {:?}) cannot be resolved: a mount needs an existing path",
                        entry.path, entry.rules
                    ),
                )
            })?;
            let is_dir = real.is_dir();
            resolved.push((real, entry, is_dir));
        }
        // Resolved paths may nest differently from the written ones: attach by real depth.
        resolved.sort_by_key(|(real, ..)| real.components().count());
        let mut jobs: Vec<Job> = Vec::with_capacity(resolved.len());
        for (i, (real, entry, is_dir)) in resolved.iter().enumerate() {
            let mut stubs = Vec::new();
            if entry.kind == MountKind::Hidden && *is_dir {
                // Mount points for the mounts whose nearest enclosing mount is this one.
                for (j, (inner, _, inner_dir)) in resolved.iter().enumerate().skip(i + 1) {
                    let Ok(rel) = inner.strip_prefix(real) else {
                        continue;
                    };
                    let enclosed = resolved[i + 1..j]
                        .iter()
                        .any(|(mid, ..)| inner.starts_with(mid) && mid.starts_with(real));
                    if enclosed || rel.as_os_str().is_empty() {
                        continue;
                    }
                    let mut so_far = PathBuf::new();
                    let parts: Vec<_> = rel.components().collect();
                    for (k, part) in parts.iter().enumerate() {
                        so_far.push(part);
                        let last = k + 1 == parts.len();
                        let stub = (
                            c_path(&so_far).map_err(|e| nul(&e, entry))?,
                            !last || *inner_dir,
                        );
                        if !stubs.contains(&stub) {
                            stubs.push(stub);
                        }
                    }
                }
            }
            let beneath = match scratch_relative(&entry.path) {
                Some("") => Some(c".".to_owned()),
                Some(rel) => Some(c_path(Path::new(rel)).map_err(|e| nul(&e, entry))?),
                None => None,
            };
            jobs.push(Job {
                target: c_path(real).map_err(|e| nul(&e, entry))?,
                beneath,
                kind: entry.kind,
                is_dir: *is_dir,
                stubs,
            });
        }
        let root = c_path(&scratch_real).map_err(|e| nul(&e, &mounts[0]))?;
        let ns = run_builder(&jobs, &root).map_err(|(step, errno, index)| {
            let (real, entry, _) = &resolved[index.min(resolved.len().saturating_sub(1))];
            let reason = match (step, errno) {
                (CLONE, libc::ENOENT | libc::ENOTDIR | libc::ELOOP) => {
                    BlockedReason::NotApplicableInWorld
                }
                (_, libc::ENOSYS | libc::EPERM) => BlockedReason::MechanismUnavailable,
                _ => BlockedReason::ApplyError,
            };
            let step_name = STEPS
                .get(step as usize)
                .copied()
                .unwrap_or("mount namespace");
            let detail = match step {
                UNSHARE | PRIVATE => {
                    "the mount namespace cannot be created (needs CAP_SYS_ADMIN)".to_string()
                }
                _ => format!(
                    "mount {} of {} ({}, rules {:?})",
                    entry.kind.as_str(),
                    entry.path,
                    real.display(),
                    entry.rules
                ),
            };
            failure(reason, errno, step_name, detail)
        })?;
        let cwd = std::env::current_dir()
            .ok()
            .and_then(|d| c_path(&d).ok())
            .unwrap_or_else(|| c"/".to_owned());
        let proc = Path::new("/proc");
        let own_proc = !resolved
            .iter()
            .any(|(real, ..)| real.starts_with(proc) || proc.starts_with(real));
        let placed = resolved
            .into_iter()
            .map(|(real, entry, is_dir)| PlacedMount {
                path: real.to_string_lossy().into_owned(),
                plan_path: entry.path.clone(),
                kind: entry.kind,
                is_dir,
            })
            .collect();
        Ok(MountNamespace {
            ns,
            cwd,
            own_proc,
            placed,
        })
    }

    /// In the probe's process, before anything else: enter the namespace, then the worker's
    /// working directory again (or `/` when the sandbox hides it). `own_pid_namespace`: the
    /// caller is pid 1 of a new PID namespace (a command's init): it takes a copy of the
    /// namespace of its own and a /proc that shows only its PID namespace, so no process
    /// outside it lends its view of the filesystem through `/proc/<pid>/root`. Raw syscalls.
    pub(crate) fn enter(&self, own_pid_namespace: bool) -> Result<(), ApplyFailure> {
        let fail = |e: io::Error, step| ApplyFailure {
            reason: BlockedReason::ApplyError,
            errno: raw(&e),
            step,
        };
        m::enter_mount_namespace(self.ns.as_fd()).map_err(|e| fail(e, "setns(CLONE_NEWNS)"))?;
        if own_pid_namespace && self.own_proc {
            namespace::unshare(libc::CLONE_NEWNS).map_err(|e| fail(e, "unshare(CLONE_NEWNS)"))?;
            m::mount_proc().map_err(|e| fail(e, "mount(proc)"))?;
        }
        if m::change_dir(&self.cwd).is_err() {
            m::change_dir(c"/").map_err(|e| fail(e, "chdir(/)"))?;
        }
        Ok(())
    }
}

/// `{scratch}/a/b` → `a/b` (`{scratch}` → ``); `None` for a host path.
fn scratch_relative(plan_path: &str) -> Option<&str> {
    let rest = plan_path.strip_prefix(SCRATCH)?;
    (rest.is_empty() || rest.starts_with('/')).then(|| rest.trim_start_matches('/'))
}

/// A mount path below the scratch root, checked without following a link: a symlink on the
/// way or at the end (the experiment's exec probes can plant them) fails closed with ELOOP.
fn beneath_scratch(
    scratch_real: &Path,
    rel: &str,
    entry: &MountEntryPlan,
) -> Result<(PathBuf, bool), PrepareFailure> {
    let fail = |errno: i32, what: &str| {
        failure(
            BlockedReason::NotApplicableInWorld,
            errno,
            "openat2(mount path, RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS)",
            format!("mount path {} (rules {:?}) {what}", entry.path, entry.rules),
        )
    };
    if rel.is_empty() {
        return Ok((scratch_real.to_path_buf(), true));
    }
    let root = fs::Dir::open_nofollow(scratch_real)
        .map_err(|e| fail(e.errno().unwrap_or(libc::EIO), "cannot be reached"))?;
    match root.stat(Path::new(rel)) {
        Ok(Some(st)) => {
            let kind = FileType::from_raw_mode(st.st_mode);
            if kind == FileType::Symlink {
                return Err(fail(
                    libc::ELOOP,
                    "is a symbolic link: a mount is never placed through one",
                ));
            }
            Ok((scratch_real.join(rel), kind == FileType::Directory))
        }
        Ok(None) => Err(fail(
            libc::ENOENT,
            "does not exist: a mount needs an existing path",
        )),
        Err(e) => Err(fail(
            e.errno().unwrap_or(libc::EIO),
            "cannot be reached without following a symbolic link",
        )),
    }
}

fn nul(e: &io::Error, entry: &MountEntryPlan) -> PrepareFailure {
    failure(
        BlockedReason::NotApplicableInWorld,
        raw(e),
        "mount path",
        format!("mount path {} contains a NUL byte", entry.path),
    )
}

/// Forks the builder, waits for its report, takes its namespace. `Err`: (step, errno, job).
fn run_builder(jobs: &[Job], scratch: &CStr) -> Result<OwnedFd, (u32, i32, usize)> {
    let io_err = |step: u32| move |e: io::Error| (step, raw(&e), 0usize);
    let (report_rd, report_wr) = fd::pipe().map_err(io_err(UNSHARE))?;
    let (hold_rd, hold_wr) = fd::pipe().map_err(io_err(UNSHARE))?;
    // SAFETY (cannot move into sys: the builder's body is below): the worker is
    // single-threaded, so the builder may allocate; it leaves with _exit.
    let pid = match unsafe { process::fork() }.map_err(io_err(UNSHARE))? {
        Forked::Child => {
            drop(report_rd);
            drop(hold_wr);
            builder_main(jobs, scratch, report_wr.as_raw_fd(), hold_rd.as_raw_fd())
        }
        Forked::Parent(pid) => pid,
    };
    drop(report_wr);
    drop(hold_rd);
    let mut buf = [0u8; 12];
    let report = match fd::read_exact(report_rd.as_raw_fd(), &mut buf) {
        Ok(true) => {
            let word = |i: usize| u32::from_le_bytes(buf[i..i + 4].try_into().unwrap_or([0; 4]));
            Some((word(0), word(4) as i32, word(8) as usize))
        }
        _ => None,
    };
    let result = match report {
        Some((DONE, ..)) => namespace_of(pid),
        Some(failed) => Err(failed),
        None => Err((UNSHARE, libc::EIO, 0)),
    };
    drop(hold_wr);
    let _ = process::wait(pid);
    result
}

fn namespace_of(pid: i32) -> Result<OwnedFd, (u32, i32, usize)> {
    m::mount_namespace_of(pid).map_err(|e| (UNSHARE, raw(&e), 0))
}

/// The builder: never returns.
fn builder_main(jobs: &[Job], scratch: &CStr, report: RawFd, hold: RawFd) -> ! {
    let send = |step: u32, errno: i32, index: usize| {
        let mut buf = [0u8; 12];
        buf[..4].copy_from_slice(&step.to_le_bytes());
        buf[4..8].copy_from_slice(&errno.to_le_bytes());
        buf[8..].copy_from_slice(&(index as u32).to_le_bytes());
        let _ = fd::write_all(report, &buf);
    };
    let outcome = (|| -> Result<(), (u32, i32, usize)> {
        let at = |step: u32, index: usize| move |e: io::Error| (step, raw(&e), index);
        process::set_parent_death_signal(libc::SIGKILL).map_err(at(UNSHARE, 0))?;
        fd::close_all_except(&[report, hold]).map_err(at(UNSHARE, 0))?;
        namespace::unshare(libc::CLONE_NEWNS).map_err(at(UNSHARE, 0))?;
        namespace::make_mounts_private().map_err(at(PRIVATE, 0))?;
        // The scratch root as this namespace sees it; paths below it are walked from here.
        let root = fs::open_anchor(scratch).map_err(|e| (CLONE, e.raw_os_error(), 0))?;
        let node = |rel: &CStr, i: usize, step: u32| {
            fs::open_beneath(root.as_fd(), rel, OFlags::PATH, Mode::empty())
                .map_err(|e| (step, e.raw_os_error(), i))
        };
        // Every source first, while the tree is still the host's.
        let mut trees: Vec<(OwnedFd, Option<u64>)> = Vec::with_capacity(jobs.len());
        for (i, job) in jobs.iter().enumerate() {
            trees.push(match (job.kind, job.is_dir) {
                (MountKind::Hidden, true) => {
                    let tmpfs = m::new_tmpfs().map_err(at(TMPFS, i))?;
                    for (stub, dir) in &job.stubs {
                        let made = if *dir {
                            m::make_dir_at(tmpfs.as_fd(), stub)
                        } else {
                            m::make_file_at(tmpfs.as_fd(), stub)
                        };
                        match made {
                            Err(e) if e.raw_os_error() != Some(libc::EEXIST) => {
                                return Err((STUB, raw(&e), i));
                            }
                            _ => {}
                        }
                    }
                    // Read-only once the mounts nested in it are attached.
                    (tmpfs, Some(m::ATTR_RDONLY | m::ATTR_NOEXEC))
                }
                (MountKind::Hidden, false) => {
                    let tmpfs = m::new_tmpfs().map_err(at(TMPFS, i))?;
                    m::make_dead_device_at(tmpfs.as_fd(), c"node").map_err(at(STUB, i))?;
                    let node = m::clone_entry(tmpfs.as_fd(), c"node").map_err(at(CLONE, i))?;
                    let attrs = m::ATTR_RDONLY | m::ATTR_NODEV | m::ATTR_NOSUID | m::ATTR_NOEXEC;
                    m::set_attributes(node.as_fd(), attrs, false).map_err(at(SETATTR, i))?;
                    (node, None)
                }
                (kind, _) => {
                    let tree = match &job.beneath {
                        Some(rel) => m::clone_tree_of(node(rel, i, CLONE)?.as_fd()),
                        None => m::clone_tree(&job.target),
                    }
                    .map_err(at(CLONE, i))?;
                    let mut attrs = 0;
                    if kind.read_only() {
                        attrs |= m::ATTR_RDONLY;
                    }
                    if kind.no_exec() {
                        attrs |= m::ATTR_NOEXEC;
                    }
                    m::set_attributes(tree.as_fd(), attrs, true).map_err(at(SETATTR, i))?;
                    (tree, None)
                }
            });
        }
        for (i, (job, (tree, _))) in jobs.iter().zip(&trees).enumerate() {
            // Opened now, through the mounts attached before it.
            match &job.beneath {
                Some(rel) => m::attach_onto(tree.as_fd(), node(rel, i, ATTACH)?.as_fd()),
                None => m::attach(tree.as_fd(), &job.target),
            }
            .map_err(at(ATTACH, i))?;
        }
        for (i, (tree, later)) in trees.iter().enumerate() {
            if let Some(attrs) = later {
                m::set_attributes(tree.as_fd(), *attrs, false).map_err(at(SETATTR, i))?;
            }
        }
        Ok(())
    })();
    match outcome {
        Ok(()) => send(DONE, 0, 0),
        Err((step, errno, index)) => send(step, errno, index),
    }
    // Stay until the worker holds the namespace (it closes its end of the pipe).
    let mut byte = [0u8; 1];
    let _ = fd::read(hold, &mut byte);
    process::exit(0)
}
