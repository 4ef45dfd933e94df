//! What the oracle knows about the filesystem without running a probe: whether a path exists,
//! whether it is a directory, and where symlinks lead (Landlock checks the resolved file).
//!
//! Paths are in plan notation: absolute, or `{scratch}/...`. Outside the scratch root the
//! oracle looks at the host (stat and readlink only); inside it either looks at a real scratch
//! root or believes the experiment's fixture declarations (the run's scratch root is gone when
//! the oracle lane is evaluated).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::compile::linux::SCRATCH;
use crate::model::{Experiment, FixtureKind};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    File,
    Dir,
}

pub trait FsView {
    /// `None`: the path does not exist.
    fn kind(&self, path: &str) -> Option<Kind>;
    /// The path with symlinks of host paths resolved (as far as it exists); scratch paths as is.
    fn canonical(&self, path: &str) -> String;
    /// A character or block device (the only files Landlock's ioctl right is about).
    fn is_device(&self, path: &str) -> bool;
    /// A directory known to have no entries.
    fn is_empty_dir(&self, path: &str) -> bool;
    /// A TCP port a fixture of the experiment listens on (other ports are not known).
    fn listening(&self, _port: u16) -> bool {
        false
    }
}

/// The host filesystem; `{scratch}` is `scratch` when given.
pub struct HostView {
    pub scratch: Option<PathBuf>,
}

/// The host outside the scratch root, and the experiment's declared fixtures inside it.
pub struct DeclaredView {
    fixtures: BTreeMap<String, Kind>,
    /// Fixed ports of the experiment's TCP listeners.
    ports: Vec<u16>,
}

fn host_device(path: &Path) -> bool {
    use std::os::unix::fs::FileTypeExt;
    std::fs::metadata(path)
        .map(|m| m.file_type().is_char_device() || m.file_type().is_block_device())
        .unwrap_or(false)
}

fn host_empty_dir(path: &Path) -> bool {
    std::fs::read_dir(path).is_ok_and(|mut d| d.next().is_none())
}

fn host_kind(path: &Path) -> Option<Kind> {
    let meta = std::fs::metadata(path).ok()?;
    Some(if meta.is_dir() { Kind::Dir } else { Kind::File })
}

/// Resolves symlinks in the longest existing prefix, keeps the rest as written.
fn host_canonical(path: &str) -> String {
    let mut missing = Vec::new();
    let mut cur = PathBuf::from(path);
    loop {
        if let Ok(real) = cur.canonicalize() {
            let mut out = real;
            for part in missing.iter().rev() {
                out.push(part);
            }
            return out.to_string_lossy().into_owned();
        }
        match (cur.file_name(), cur.parent()) {
            (Some(name), Some(parent)) => {
                missing.push(name.to_os_string());
                cur = parent.to_path_buf();
            }
            _ => return path.to_string(),
        }
    }
}

impl FsView for HostView {
    fn kind(&self, path: &str) -> Option<Kind> {
        match (path.strip_prefix(SCRATCH), &self.scratch) {
            (Some(rest), Some(root)) => host_kind(&root.join(rest.trim_start_matches('/'))),
            (Some(_), None) => None,
            (None, _) => host_kind(Path::new(path)),
        }
    }

    fn canonical(&self, path: &str) -> String {
        if path.starts_with(SCRATCH) {
            path.to_string()
        } else {
            host_canonical(path)
        }
    }

    fn is_device(&self, path: &str) -> bool {
        !path.starts_with(SCRATCH) && host_device(Path::new(path))
    }

    fn is_empty_dir(&self, path: &str) -> bool {
        match (path.strip_prefix(SCRATCH), &self.scratch) {
            (Some(rest), Some(root)) => host_empty_dir(&root.join(rest.trim_start_matches('/'))),
            (Some(_), None) => false,
            (None, _) => host_empty_dir(Path::new(path)),
        }
    }
}

impl DeclaredView {
    pub fn new(exp: &Experiment) -> DeclaredView {
        let mut fixtures = BTreeMap::new();
        let mut ports = Vec::new();
        fixtures.insert(SCRATCH.to_string(), Kind::Dir);
        for f in &exp.fixtures {
            let (path, kind) = match &f.kind {
                FixtureKind::File { path, .. } => (path, Kind::File),
                FixtureKind::Dir { path, .. } => (path, Kind::Dir),
                FixtureKind::TcpListener { port } if *port != 0 => {
                    ports.push(*port);
                    continue;
                }
                _ => continue,
            };
            // Every ancestor of a fixture inside the scratch root is a directory the run creates.
            let mut cur = path.as_str();
            while let Some((parent, _)) = cur.rsplit_once('/') {
                if !parent.starts_with(SCRATCH) {
                    break;
                }
                fixtures.entry(parent.to_string()).or_insert(Kind::Dir);
                cur = parent;
            }
            fixtures.insert(path.clone(), kind);
        }
        DeclaredView { fixtures, ports }
    }
}

impl FsView for DeclaredView {
    fn kind(&self, path: &str) -> Option<Kind> {
        if path.starts_with(SCRATCH) {
            self.fixtures.get(path).copied()
        } else {
            host_kind(Path::new(path))
        }
    }

    fn canonical(&self, path: &str) -> String {
        if path.starts_with(SCRATCH) {
            path.to_string()
        } else {
            host_canonical(path)
        }
    }

    fn is_device(&self, path: &str) -> bool {
        !path.starts_with(SCRATCH) && host_device(Path::new(path))
    }

    fn is_empty_dir(&self, path: &str) -> bool {
        if path.starts_with(SCRATCH) {
            // Declared fixtures are the whole content of the scratch tree.
            self.fixtures.get(path) == Some(&Kind::Dir)
                && !self
                    .fixtures
                    .keys()
                    .any(|k| k.strip_prefix(path).is_some_and(|r| r.starts_with('/')))
        } else {
            host_empty_dir(Path::new(path))
        }
    }

    fn listening(&self, port: u16) -> bool {
        self.ports.contains(&port)
    }
}

/// Whether `path` is `ancestor` or lies below it. `/` contains the scratch root; any other
/// host path is assumed not to (the plan's `scratch_not_under` makes prepare check that).
pub(crate) fn at_or_under(path: &str, ancestor: &str) -> bool {
    if ancestor == "/" {
        return true;
    }
    path == ancestor
        || path
            .strip_prefix(ancestor)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// The parent directory in plan notation (`{scratch}/a` → `{scratch}`).
pub(crate) fn parent(path: &str) -> String {
    match path.rsplit_once('/') {
        Some(("", _)) => "/".to_string(),
        Some((p, _)) => p.to_string(),
        None => path.to_string(),
    }
}
