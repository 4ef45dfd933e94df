//! The oracle's model of the mount mechanism: a profile's mount table placed on the
//! filesystem view, answering a probe's requests the way the kernel does, before Landlock (the
//! path walk and the VFS decide a mount's refusals before any security module runs).
//!
//! - A lookup below a hidden directory fails with ENOENT, whether or not the path exists on
//!   the host (the record then says the mount decided it; the baseline says whether the path
//!   is there at all). Opening a hidden file fails with EACCES.
//! - Removing or renaming a mount point fails with EBUSY.
//! - A rename across a mount boundary fails with EXDEV, before the read-only check; a link
//!   into a read-only mount with EROFS (the new name is made first), out of one with EXDEV.
//! - A write right below a read-only mount fails with EROFS; executing below a `noexec` one
//!   with EACCES.

use crate::compile::linux::CompiledProfile;
use crate::compile::linux::mounts::{PlacedMount, decide};
use crate::model::{ArgValue, MountDecision, Probe};

use super::fs_view::{FsView, Kind, parent};
use super::requests::{
    Access, EXECUTE, MAKE_REG, READ_DIR, READ_FILE, REMOVE_FILE, Step, TRUNCATE, WRITE_FILE,
};

/// Rights whose request opens the node itself (a hidden file's device node refuses them).
const OPEN_RIGHTS: u64 = READ_FILE | READ_DIR | WRITE_FILE | TRUNCATE | EXECUTE;

/// The mount table as prepare would place it.
pub(crate) struct MountView {
    placed: Vec<PlacedMount>,
}

/// Families whose operation opens its target.
const OPENS: &[&str] = &[
    "file-read",
    "file-write",
    "file-truncate",
    "dir-list",
    "ioctl-dev",
];
/// Families whose operation creates its target.
const CREATES: &[&str] = &["file-create", "dir-create"];
/// Families whose operation removes or renames its target (and `to`).
const REMOVES: &[&str] = &["file-unlink", "file-rename"];

impl MountView {
    /// `Err` when prepare would block: a mount path that does not exist.
    pub(crate) fn resolve(
        compiled: &CompiledProfile,
        fs: &dyn FsView,
    ) -> Result<MountView, String> {
        let mut placed = Vec::new();
        for m in &compiled.mounts {
            let path = fs.canonical(&m.path);
            let kind = fs.kind(&path).ok_or_else(|| {
                format!(
                    "mount path {} (rules {:?}) does not exist: prepare cannot mount on it",
                    m.path, m.rules
                )
            })?;
            placed.push(PlacedMount {
                path,
                plan_path: m.path.clone(),
                kind: m.kind,
                is_dir: kind == Kind::Dir,
            });
        }
        Ok(MountView { placed })
    }

    /// The rules that asked for the mount a decision names.
    pub(crate) fn rules(
        &self,
        compiled: &CompiledProfile,
        d: &MountDecision,
    ) -> Vec<Option<usize>> {
        compiled
            .mounts
            .iter()
            .filter(|m| m.path == d.mount)
            .flat_map(|m| m.rules.iter().map(|&r| Some(r)))
            .collect()
    }

    /// What the probe's own paths meet before any right is checked: a hidden path, a hidden
    /// file, a mount point it would remove or rename.
    pub(crate) fn probe_paths(
        &self,
        probe: &Probe,
        fs: &dyn FsView,
    ) -> Option<(i32, MountDecision)> {
        let family = match probe.args.get("helper") {
            Some(ArgValue::Str(inner)) => inner.as_str(),
            _ if probe.family == "exec" => return None,
            _ => probe.family.as_str(),
        };
        let mut paths: Vec<String> = probe.target.iter().map(|t| fs.canonical(t)).collect();
        if let Some(ArgValue::Str(to)) = probe.args.get("to") {
            paths.push(fs.canonical(to));
        }
        // A name being created is looked up up to its parent: below a hidden directory the
        // parent is missing (ENOENT); directly in it, the read-only mount answers (EROFS).
        for (i, p) in paths.iter().enumerate() {
            let created = CREATES.contains(&family) || i == 1;
            let looked_up = if created { parent(p) } else { p.clone() };
            if let Some(d) = decide::hidden_below(&self.placed, &looked_up) {
                return Some((libc::ENOENT, d));
            }
        }
        if REMOVES.contains(&family) {
            for p in &paths {
                if let Some(d) = decide::mount_point(&self.placed, p) {
                    return Some((libc::EBUSY, d));
                }
            }
        }
        let target = paths.first()?;
        if OPENS.contains(&family)
            && let Some(d) = decide::hidden_file(&self.placed, target)
        {
            return Some((libc::EACCES, d));
        }
        None
    }

    /// One request of the probe.
    pub(crate) fn step(&self, step: &Step) -> Option<(i32, MountDecision)> {
        match &step.access {
            Access::Path { path, rights } => {
                if let Some(d) = decide::hidden_below(&self.placed, path) {
                    return Some((libc::ENOENT, d));
                }
                if rights & OPEN_RIGHTS != 0
                    && let Some(d) = decide::hidden_file(&self.placed, path)
                {
                    return Some((libc::EACCES, d));
                }
                decide::access(&self.placed, path, *rights)
            }
            // rename(2) compares the two mounts first; link(2) creates the new name first,
            // so a read-only destination answers EROFS before the mounts are compared.
            Access::Refer {
                from,
                to,
                rename: true,
            } => decide::moved(&self.placed, from, to)
                .map(|d| (libc::EXDEV, d))
                .or_else(|| decide::access(&self.placed, &parent(from), REMOVE_FILE))
                .or_else(|| decide::access(&self.placed, &parent(to), MAKE_REG)),
            Access::Refer {
                from,
                to,
                rename: false,
            } => decide::access(&self.placed, &parent(to), MAKE_REG)
                .or_else(|| decide::moved(&self.placed, from, to).map(|d| (libc::EXDEV, d))),
            Access::Port { .. } | Access::Scope { .. } | Access::Ptrace { .. } => None,
        }
    }
}
