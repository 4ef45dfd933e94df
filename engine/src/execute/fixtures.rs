//! Fixtures: files and directories under `{scratch}`, and processes outside every sandbox
//! (loopback TCP listeners, abstract unix listeners, idle processes to signal or inspect).
//!
//! File and dir fixtures are made, restored and removed through the scratch root's
//! [`Dir`]: resolved beneath it without following any symlink, re-created rather than trusted
//! (a restore removes whatever is there and creates new entries, modes set with `fchmod` on
//! the fd it created), so a symlink planted below `{scratch}` (by an exec probe, or by another
//! user inside a world-writable fixture dir) makes a restore fail, never redirects it.
//!
//! Fixture processes are forked from the engine before any worker, so the engine never has a
//! thread; each runs raw syscalls only and dies with the engine (PR_SET_PDEATHSIG).

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::os::unix::fs::PermissionsExt;
use std::path::{Component, Path, PathBuf};

use crate::model::{Experiment, FixtureKind, Probe};
use crate::probes::ProbeSpec;
use crate::sys::fs::{Dir, FsError};
use crate::sys::process::{self, Forked};
use crate::sys::{fd, signal, socket};

use super::scratch::ScratchRoot;
use super::walk::Walk;

/// A file or directory fixture with its scratch path resolved.
#[derive(Clone, Debug)]
struct PathFixture {
    path: PathBuf,
    /// The path relative to the scratch root: what every action on it resolves.
    rel: PathBuf,
    kind: FixtureKind,
}

#[derive(Debug, Default)]
pub struct Fixtures {
    paths: BTreeMap<String, PathFixture>,
    ports: BTreeMap<String, u16>,
    /// Declared name → unique name bound for this run.
    unix_names: BTreeMap<String, String>,
    pids: BTreeMap<String, i32>,
    /// Every process started here, killed on drop.
    processes: Vec<i32>,
    /// Fixture name → the file/dir fixtures inside it, in setup order (the plan's fixture →
    /// fixture edges): removing a directory removes them too, so a restore re-creates them.
    nested: BTreeMap<String, Vec<String>>,
}

impl Fixtures {
    /// Materialises every fixture of the experiment, in the plan's fixture order.
    pub fn start(exp: &Experiment, scratch: &ScratchRoot, walk: &Walk) -> Result<Fixtures, String> {
        let mut f = Fixtures::default();
        let root = scratch.dir().map_err(|e| format!("scratch root: {e}"))?;
        for (i, inside) in walk.nested.iter().enumerate() {
            if !inside.is_empty() {
                let names = inside.iter().map(|&k| exp.fixtures[k].name.clone());
                f.nested
                    .insert(exp.fixtures[i].name.clone(), names.collect());
            }
        }
        for fx in walk.fixtures.iter().map(|&i| &exp.fixtures[i]) {
            match &fx.kind {
                FixtureKind::File { path, .. } | FixtureKind::Dir { path, .. } => {
                    let rel = relative_to_scratch(path).ok_or_else(|| {
                        format!("fixture `{}`: `{path}` is not under {{scratch}}", fx.name)
                    })?;
                    let pf = PathFixture {
                        path: scratch.path().join(&rel),
                        rel,
                        kind: fx.kind.clone(),
                    };
                    materialise(&root, &pf).map_err(|e| format!("fixture `{}`: {e}", fx.name))?;
                    f.paths.insert(fx.name.clone(), pf);
                }
                FixtureKind::TcpListener { port } => {
                    let (pid, port) = start_tcp_listener(*port)
                        .map_err(|e| format!("fixture `{}`: loopback listener: {}", fx.name, e))?;
                    f.processes.push(pid);
                    f.ports.insert(fx.name.clone(), port);
                    f.pids.insert(fx.name.clone(), pid);
                }
                FixtureKind::UnixListener { name } => {
                    let unique = format!("{name}-{}", super::scratch::short_random());
                    let pid = start_unix_listener(&unique)
                        .map_err(|e| format!("fixture `{}`: abstract listener: {}", fx.name, e))?;
                    f.processes.push(pid);
                    f.unix_names.insert(fx.name.clone(), unique);
                    f.pids.insert(fx.name.clone(), pid);
                }
                FixtureKind::Process => {
                    let pid = start_idle_process()
                        .map_err(|e| format!("fixture `{}`: {}", fx.name, e))?;
                    f.processes.push(pid);
                    f.pids.insert(fx.name.clone(), pid);
                }
            }
        }
        Ok(f)
    }

    /// Paths of the file/dir fixtures, by name (for the scheduler's conflict rule).
    pub fn path_of(&self, name: &str) -> Option<&Path> {
        self.paths.get(name).map(|p| p.path.as_path())
    }

    /// Restores the pristine state before a serial probe (spec §5.2): each pristine path
    /// that is a fixture is re-created from its declaration, every other one removed.
    pub fn restore_pristine(
        &self,
        scratch: &ScratchRoot,
        pristine: &[(PathBuf, Option<String>)],
    ) -> Result<(), FsError> {
        let root = scratch.dir()?;
        for (path, fixture) in pristine {
            match fixture {
                Some(name) => self.restore(&root, name)?,
                None => match scratch.relative(path) {
                    Some(rel) => root.remove(rel)?,
                    None => continue,
                },
            }
        }
        Ok(())
    }

    /// Re-creates a file/dir fixture from its declaration (content, mode), whatever a destructive
    /// probe left there, and then every fixture declared inside it.
    fn restore(&self, root: &Dir, name: &str) -> Result<(), FsError> {
        let Some(pf) = self.paths.get(name) else {
            return Ok(());
        };
        root.remove(&pf.rel)?;
        materialise(root, pf)?;
        let inside = self.nested.get(name).map(Vec::as_slice).unwrap_or_default();
        for nested in inside.iter().filter_map(|n| self.paths.get(n)) {
            materialise(root, nested)?;
        }
        Ok(())
    }

    /// The probe with `{scratch}` substituted and its fixtures looked up.
    pub fn spec_for(&self, probe: &Probe, scratch: &ScratchRoot) -> ProbeSpec {
        let sub = |s: &str| s.replace("{scratch}", scratch.as_str());
        let mut spec = ProbeSpec {
            family: probe.family.clone(),
            target: probe.target.as_deref().map(sub),
            args: probe.args.clone(),
            scratch: scratch.as_str().to_string(),
            ..ProbeSpec::default()
        };
        for name in &probe.fixtures {
            if let Some(p) = self.ports.get(name) {
                spec.port = Some(*p);
            }
            if let Some(u) = self.unix_names.get(name) {
                spec.unix_name = Some(u.clone());
            }
            if let Some(pid) = self.pids.get(name) {
                spec.pid = Some(*pid);
            }
        }
        // A unix-connect naming a declared listener by its name reaches this run's listener.
        if spec.family == "unix-connect" && spec.unix_name.is_none() {
            let declared = spec.target.as_deref().map(|t| t.trim_start_matches('@'));
            for (fx_name, unique) in &self.unix_names {
                let decl_name = unique.rsplit_once('-').map(|(n, _)| n);
                if declared.is_some()
                    && (declared == Some(fx_name.as_str()) || declared == decl_name)
                {
                    spec.unix_name = Some(unique.clone());
                }
            }
        }
        spec
    }
}

impl Drop for Fixtures {
    fn drop(&mut self) {
        for &pid in &self.processes {
            // Killing and reaping processes this engine forked (ESRCH/ECHILD: already gone).
            let _ = process::kill(pid, libc::SIGKILL);
            let _ = process::wait(pid);
        }
    }
}

/// `{scratch}/x` → `x`, only when it names something beneath the scratch root.
fn relative_to_scratch(path: &str) -> Option<PathBuf> {
    let rest = path.strip_prefix("{scratch}/")?;
    let mut rel = PathBuf::new();
    for c in Path::new(rest).components() {
        match c {
            Component::Normal(name) => rel.push(name),
            Component::CurDir => {}
            _ => return None,
        }
    }
    (!rel.as_os_str().is_empty()).then_some(rel)
}

/// Creates the fixture anew beneath the root: missing parent directories are made (0755 less
/// the umask), an existing file is replaced, never written through; the mode is set on the fd.
fn materialise(root: &Dir, pf: &PathFixture) -> Result<(), FsError> {
    let name = Path::new(pf.rel.file_name().unwrap_or_default());
    let parent = root.create_dir_all(pf.rel.parent().unwrap_or(Path::new("")), 0o755)?;
    let io_err = |op, e| FsError {
        op,
        path: pf.rel.clone(),
        source: e,
    };
    match &pf.kind {
        FixtureKind::File { content, mode, .. } => {
            parent.remove(name)?;
            let mut file = parent.create_file(name, 0o600)?;
            file.write_all(content.as_bytes())
                .map_err(|e| io_err("write", e))?;
            file.set_permissions(std::fs::Permissions::from_mode(*mode))
                .map_err(|e| io_err("chmod", e))
        }
        FixtureKind::Dir { mode, .. } => parent.create_dir_all(name, 0o700)?.set_mode(*mode),
        _ => Ok(()),
    }
}

/// Forks a process that runs `body` (raw syscalls only), keeps no inherited fd but `keep`
/// (-1 for none), and dies with the engine.
fn fork_fixture(keep: RawFd, body: impl FnOnce()) -> io::Result<i32> {
    let engine = process::getpid();
    // SAFETY (cannot move into sys: the child's body is the caller's): the child only makes
    // raw syscalls and never returns.
    match unsafe { process::fork() }? {
        Forked::Child => {
            let ready = process::set_parent_death_signal(libc::SIGKILL).is_ok()
                && process::parent_pid() == engine
                && signal::ignore(libc::SIGINT).is_ok()
                && fd::close_all_except(&[keep]).is_ok();
            if ready {
                body();
            }
            process::exit(0)
        }
        Forked::Parent(pid) => Ok(pid),
    }
}

/// Accepts and closes connections forever.
fn accept_loop(listener: BorrowedFd) {
    loop {
        let _ = socket::accept_and_close(listener);
    }
}

fn start_tcp_listener(port: u16) -> io::Result<(i32, u16)> {
    let fd = socket::socket(libc::AF_INET, libc::SOCK_STREAM, 0)?;
    // Accepted connections are closed by the listener first and linger in TIME_WAIT on its
    // port; without SO_REUSEADDR the next run could not bind a fixed port.
    socket::set_reuse_address(fd.as_fd())?;
    socket::bind(
        fd.as_raw_fd(),
        &socket::inet_addr(std::net::Ipv4Addr::LOCALHOST, port),
    )?;
    socket::listen(fd.as_fd(), 128)?;
    let bound = socket::local_port(fd.as_fd())?;
    let pid = fork_fixture(fd.as_raw_fd(), || accept_loop(fd.as_fd()))?;
    Ok((pid, bound))
}

fn start_unix_listener(name: &str) -> io::Result<i32> {
    let addr = socket::abstract_addr(name)
        .ok_or_else(|| io::Error::from_raw_os_error(libc::ENAMETOOLONG))?;
    let fd = socket::socket(libc::AF_UNIX, libc::SOCK_STREAM, 0)?;
    socket::bind(fd.as_raw_fd(), &addr)?;
    socket::listen(fd.as_fd(), 128)?;
    fork_fixture(fd.as_raw_fd(), || accept_loop(fd.as_fd()))
}

fn start_idle_process() -> io::Result<i32> {
    fork_fixture(-1, || {
        loop {
            std::thread::park();
        }
    })
}
