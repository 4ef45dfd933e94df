//! Which mount of a sandbox decides a request, and with which errno: the worker reads an
//! observed errno with it (was this EROFS, ENOENT, EXDEV, EBUSY the sandbox's?), the oracle
//! predicts with it. Mounts are answered in the path walk and the VFS, before any security
//! module, so where a mount refuses, its errno is the one the caller sees.
//!
//! Paths are strings in one notation for both sides (host paths in the worker, plan paths in
//! the oracle); a mount covers its path and everything below it, `/` covers everything.

use crate::model::{MountDecision, MountDenial};

use super::mount_table::MountKind;
use super::overlay::{EXEC_RIGHTS, WRITE_RIGHTS};

/// A mount of the table as placed on a filesystem.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PlacedMount {
    /// In the caller's notation (host path, or plan path).
    pub path: String,
    /// As in the plan (`{scratch}/w/.git`): what records name.
    pub plan_path: String,
    pub kind: MountKind,
    pub is_dir: bool,
}

fn covers(mount: &str, path: &str) -> bool {
    mount == "/"
        || path == mount
        || path
            .strip_prefix(mount)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// The deepest mount at or above `path` (the mounts are in attach order: later is deeper).
pub(crate) fn governing<'a>(mounts: &'a [PlacedMount], path: &str) -> Option<&'a PlacedMount> {
    mounts.iter().rev().find(|m| covers(&m.path, path))
}

fn decision(m: &PlacedMount, denial: MountDenial) -> MountDecision {
    MountDecision {
        denial,
        mount: m.plan_path.clone(),
    }
}

/// `path` lies strictly below a hidden directory: its lookup fails with ENOENT.
pub(crate) fn hidden_below(mounts: &[PlacedMount], path: &str) -> Option<MountDecision> {
    governing(mounts, path)
        .filter(|m| m.kind == MountKind::Hidden && m.is_dir && m.path != path)
        .map(|m| decision(m, MountDenial::Hidden))
}

/// `path` is a hidden file (an unopenable device node): opening it fails with EACCES.
pub(crate) fn hidden_file(mounts: &[PlacedMount], path: &str) -> Option<MountDecision> {
    governing(mounts, path)
        .filter(|m| m.kind == MountKind::Hidden && !m.is_dir && m.path == path)
        .map(|m| decision(m, MountDenial::Hidden))
}

/// `path` is a mount point: removing or renaming it fails with EBUSY.
pub(crate) fn mount_point(mounts: &[PlacedMount], path: &str) -> Option<MountDecision> {
    mounts
        .iter()
        .find(|m| m.path == path)
        .map(|m| decision(m, MountDenial::MountPoint))
}

/// Landlock fs `rights` on `path` (a node that exists): EROFS where the mount is read-only and
/// a write right is asked, EACCES where it is `noexec` and execution is.
pub(crate) fn access(
    mounts: &[PlacedMount],
    path: &str,
    rights: u64,
) -> Option<(i32, MountDecision)> {
    let m = governing(mounts, path)?;
    if m.kind.read_only() && rights & WRITE_RIGHTS != 0 {
        let denial = if m.kind == MountKind::Hidden {
            MountDenial::Hidden
        } else {
            MountDenial::ReadOnly
        };
        return Some((libc::EROFS, decision(m, denial)));
    }
    if m.kind.no_exec() && rights & EXEC_RIGHTS != 0 {
        return Some((libc::EACCES, decision(m, MountDenial::NoExec)));
    }
    None
}

/// A rename or link from `from` to `to`: EXDEV when they lie on different mounts (the kernel
/// checks this before anything else about the move).
pub(crate) fn moved(mounts: &[PlacedMount], from: &str, to: &str) -> Option<MountDecision> {
    let (a, b) = (governing(mounts, from), governing(mounts, to));
    if a.map(|m| &m.path) == b.map(|m| &m.path) {
        return None;
    }
    // Name the mount the move crosses into or out of: the deeper one.
    let crossed = match (a, b) {
        (Some(a), Some(b)) if b.path.len() > a.path.len() => b,
        (Some(a), _) => a,
        (None, Some(b)) => b,
        (None, None) => return None,
    };
    Some(decision(crossed, MountDenial::Boundary))
}

/// How an operation that failed with `errno` involved the mounts, if it did: `paths` are the
/// probe's target (and a move's destination), `exec` says the operation was an execve.
pub(crate) fn attribute(
    mounts: &[PlacedMount],
    errno: i32,
    paths: &[&str],
    exec: bool,
) -> Option<MountDecision> {
    let parent = |p: &str| match p.rsplit_once('/') {
        Some(("", _)) => "/".to_string(),
        Some((dir, _)) => dir.to_string(),
        None => p.to_string(),
    };
    let each = |f: &dyn Fn(&str) -> Option<MountDecision>| paths.iter().find_map(|p| f(p));
    match errno {
        libc::EROFS => each(&|p| {
            access(mounts, p, WRITE_RIGHTS)
                .or_else(|| access(mounts, &parent(p), WRITE_RIGHTS))
                .map(|(_, d)| d)
        }),
        libc::ENOENT => each(&|p| hidden_below(mounts, p)),
        libc::EACCES if exec => each(&|p| access(mounts, p, EXEC_RIGHTS).map(|(_, d)| d)),
        libc::EACCES => each(&|p| hidden_file(mounts, p)),
        libc::EBUSY => each(&|p| mount_point(mounts, p)),
        libc::EXDEV => match paths {
            [from, to] => moved(mounts, from, to),
            _ => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(path: &str, kind: MountKind, is_dir: bool) -> PlacedMount {
        PlacedMount {
            path: path.into(),
            plan_path: format!("{{scratch}}{path}"),
            kind,
            is_dir,
        }
    }

    #[test]
    fn errnos_are_the_sandboxs_only_where_a_mount_explains_them() {
        let mounts = [
            m("/s/w/.git", MountKind::ReadOnly, true),
            m("/s/w/.git/x", MountKind::Restored, true),
            m("/s/home/.ssh", MountKind::Hidden, true),
            m("/s/home/key", MountKind::Hidden, false),
        ];
        let at = |errno, paths: &[&str]| {
            attribute(&mounts, errno, paths, false).map(|d| (d.denial, d.mount))
        };
        assert_eq!(
            at(libc::EROFS, &["/s/w/.git/config"]),
            Some((MountDenial::ReadOnly, "{scratch}/s/w/.git".into()))
        );
        // Creating a new entry: the read-only mount holds its parent.
        assert!(at(libc::EROFS, &["/s/w/.git/new"]).is_some());
        assert_eq!(at(libc::EROFS, &["/s/w/.git/x/f"]), None);
        assert_eq!(at(libc::EROFS, &["/etc/x"]), None);
        assert_eq!(
            at(libc::ENOENT, &["/s/home/.ssh/id"]).map(|d| d.0),
            Some(MountDenial::Hidden)
        );
        assert_eq!(at(libc::ENOENT, &["/s/home/.ssh"]), None);
        assert_eq!(at(libc::ENOENT, &["/s/home/other"]), None);
        assert!(at(libc::EACCES, &["/s/home/key"]).is_some());
        assert_eq!(at(libc::EACCES, &["/s/home/.ssh/id"]), None);
        assert_eq!(
            at(libc::EXDEV, &["/s/w/a", "/s/w/.git/a"]).map(|d| d.0),
            Some(MountDenial::Boundary)
        );
        assert_eq!(at(libc::EXDEV, &["/s/w/a", "/s/w/b"]), None);
        assert_eq!(
            at(libc::EBUSY, &["/s/w/.git"]).map(|d| d.0),
            Some(MountDenial::MountPoint)
        );
        assert_eq!(at(libc::EPERM, &["/s/w/.git/config"]), None);
    }

    #[test]
    fn the_root_mount_covers_everything() {
        let mounts = [m("/", MountKind::ReadOnly, true)];
        assert!(access(&mounts, "{scratch}/a", WRITE_RIGHTS).is_some());
        assert!(access(&mounts, "/etc", EXEC_RIGHTS).is_none());
    }
}
