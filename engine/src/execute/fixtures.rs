//! Fixtures: files and directories under `{scratch}`, and processes outside every sandbox
//! (loopback TCP listeners, abstract unix listeners, idle processes to signal or inspect).
//!
//! File and dir fixtures are made, restored and removed through the scratch root's
//! [`Dir`]: resolved beneath it without following any symlink, re-created rather than trusted
//! (a restore empties the root and creates new entries, modes set with `fchmod` on the fd it
//! created), so a symlink planted below `{scratch}` (by an exec probe, or by another user
//! inside a world-writable fixture dir) is removed or makes a restore fail, never redirects it.
//!
//! Fixture processes are each worker's own, so no probe sees what a probe of another worker
//! did to one: idle `process` fixtures and, inside the worker's network namespace, the
//! listeners; only when probes share the host's network (`network`) does the engine start the
//! listeners. All are forked before any thread exists, run raw syscalls only and die with the
//! process that forked them (PR_SET_PDEATHSIG).

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::os::unix::fs::PermissionsExt;
use std::path::{Component, Path, PathBuf};

use crate::model::{Experiment, FixtureKind, Probe};
use crate::probes::ProbeSpec;
use crate::sys::fs::{Dir, FsError};
use crate::sys::process::{self, Forked};
use crate::sys::{fd, sigaction, socket};

use super::network_isolation::Network;
use super::scratch::ScratchRoot;
use super::walk::Walk;

/// A file or directory fixture with its scratch path resolved.
#[derive(Clone, Debug)]
struct PathFixture {
    /// The path relative to the scratch root: what every action on it resolves.
    rel: PathBuf,
    kind: FixtureKind,
}

/// A listener fixture as declared: where it listens.
#[derive(Clone, Debug)]
enum Listener {
    /// Loopback TCP on `port` (0: any free port).
    Tcp { fixture: String, port: u16 },
    /// The abstract AF_UNIX socket `name`.
    Unix { fixture: String, name: String },
}

/// Where probes reach the run's listener and process fixtures, by fixture name.
#[derive(Clone, Debug, Default)]
pub(crate) struct Endpoints {
    ports: BTreeMap<String, u16>,
    /// Fixture name → (declared name, the name bound).
    unix: BTreeMap<String, (String, String)>,
    /// `process` fixtures only: a signal or process-info probe reaches nothing else.
    pids: BTreeMap<String, i32>,
}

#[derive(Debug, Default)]
pub(crate) struct Fixtures {
    /// File and dir fixtures in setup order (a dir before the fixtures inside it): the
    /// declared state of the scratch tree.
    paths: Vec<PathFixture>,
    listeners: Vec<Listener>,
    /// The names of the `process` fixtures.
    idle: Vec<String>,
    /// The listeners the engine started when probes share the host's network (else none).
    shared: Endpoints,
    /// The processes the engine started, killed on drop.
    processes: Vec<i32>,
}

/// The fixture processes one worker started and where its probes reach them.
#[derive(Debug)]
pub(crate) struct Started {
    pub endpoints: Endpoints,
    pids: Vec<i32>,
}

impl Started {
    /// Kills and reaps them (a probe may have stopped or killed one: they start anew).
    pub(crate) fn stop(self) {
        stop(&self.pids);
    }
}

/// Why the fixtures could not be set up. The system's error is kept as it came (errno
/// included); the text says which fixture and which step.
#[derive(Debug, thiserror::Error)]
pub enum FixtureError {
    #[error("scratch root: {error}")]
    ScratchRoot { error: FsError },
    #[error("fixture `{fixture}`: `{path}` is not under {{scratch}}")]
    NotUnderScratch { fixture: String, path: String },
    #[error("fixture `{fixture}`: {error}")]
    Materialise { fixture: String, error: FsError },
    #[error("fixture `{fixture}`: loopback listener: {error}")]
    TcpListener { fixture: String, error: io::Error },
    #[error("fixture `{fixture}`: abstract listener: {error}")]
    UnixListener { fixture: String, error: io::Error },
    #[error("fixture `{fixture}`: {error}")]
    Process { fixture: String, error: io::Error },
}

impl Fixtures {
    /// Materialises every file and dir fixture of the experiment, in the plan's fixture order.
    /// Fixture processes are each worker's own ([`Fixtures::start_here`]), except the
    /// listeners when probes share the host's network (`Network::Shared`): those start here.
    pub(crate) fn start(
        exp: &Experiment,
        scratch: &ScratchRoot,
        walk: &Walk,
        network: &Network,
    ) -> Result<Fixtures, FixtureError> {
        let mut f = Fixtures::default();
        let root = scratch
            .dir()
            .map_err(|error| FixtureError::ScratchRoot { error })?;
        for fx in walk.fixtures.iter().map(|&i| &exp.fixtures[i]) {
            match &fx.kind {
                FixtureKind::File { path, .. } | FixtureKind::Dir { path, .. } => {
                    let rel =
                        relative_to_scratch(path).ok_or_else(|| FixtureError::NotUnderScratch {
                            fixture: fx.name.clone(),
                            path: path.clone(),
                        })?;
                    let pf = PathFixture {
                        rel,
                        kind: fx.kind.clone(),
                    };
                    materialise(&root, &pf).map_err(|error| FixtureError::Materialise {
                        fixture: fx.name.clone(),
                        error,
                    })?;
                    f.paths.push(pf);
                }
                FixtureKind::TcpListener { port } => f.listeners.push(Listener::Tcp {
                    fixture: fx.name.clone(),
                    port: *port,
                }),
                FixtureKind::UnixListener { name } => f.listeners.push(Listener::Unix {
                    fixture: fx.name.clone(),
                    name: name.clone(),
                }),
                FixtureKind::Process => f.idle.push(fx.name.clone()),
            }
        }
        if let Network::Shared { .. } = network {
            // The host's namespace is shared with every other program: a unique abstract name.
            let mut pids = Vec::new();
            f.shared = f.start_listeners(true, &mut pids)?;
            f.processes = pids;
        }
        Ok(f)
    }

    /// In a worker (inside its own network namespace under `Network::PerWorker`): starts the
    /// `process` fixtures and, with a namespace of its own, the listeners, as declared (port 0
    /// takes any free port; abstract names are used as they are, nothing else lives in the
    /// namespace). They die with the worker.
    pub(crate) fn start_here(&self, network: &Network) -> Result<Started, FixtureError> {
        let mut pids = Vec::new();
        let started = match network {
            Network::PerWorker => self.start_listeners(false, &mut pids),
            Network::Shared { .. } => Ok(self.shared.clone()),
        }
        .and_then(|mut endpoints| {
            for name in &self.idle {
                let pid = start_idle_process().map_err(|error| FixtureError::Process {
                    fixture: name.clone(),
                    error,
                })?;
                pids.push(pid);
                endpoints.pids.insert(name.clone(), pid);
            }
            Ok(endpoints)
        });
        match started {
            Ok(endpoints) => Ok(Started { endpoints, pids }),
            Err(e) => {
                stop(&pids);
                Err(e)
            }
        }
    }

    /// Starts the listeners (their pids into `pids`); `unique` appends a random suffix to
    /// abstract names.
    fn start_listeners(
        &self,
        unique: bool,
        pids: &mut Vec<i32>,
    ) -> Result<Endpoints, FixtureError> {
        let mut e = Endpoints::default();
        for l in &self.listeners {
            match l {
                Listener::Tcp { fixture, port } => {
                    let (pid, port) =
                        start_tcp_listener(*port).map_err(|error| FixtureError::TcpListener {
                            fixture: fixture.clone(),
                            error,
                        })?;
                    pids.push(pid);
                    e.ports.insert(fixture.clone(), port);
                }
                Listener::Unix { fixture, name } => {
                    let bound = match unique {
                        true => format!("{name}-{}", super::scratch::short_random()),
                        false => name.clone(),
                    };
                    let pid = start_unix_listener(&bound).map_err(|error| {
                        FixtureError::UnixListener {
                            fixture: fixture.clone(),
                            error,
                        }
                    })?;
                    pids.push(pid);
                    e.unix.insert(fixture.clone(), (name.clone(), bound));
                }
            }
        }
        Ok(e)
    }

    /// Brings the scratch tree back to the declared state before a serial probe (spec §5.2):
    /// whatever the probes before it created, removed, renamed, linked or chmodded, the root
    /// is emptied (links removed, never followed) and every file/dir fixture created anew from
    /// its declaration, in setup order. The pristine state is the declaration alone, so no
    /// path a probe names is ever taken for part of it.
    pub(crate) fn restore(&self, scratch: &ScratchRoot) -> Result<(), FsError> {
        let root = scratch.dir()?;
        root.set_mode(0o700)?;
        root.remove_contents()?;
        self.paths.iter().try_for_each(|pf| materialise(&root, pf))
    }

    /// The probe with `{scratch}` substituted and its fixtures looked up in `endpoints`.
    pub(crate) fn spec_for(
        &self,
        probe: &Probe,
        scratch: &ScratchRoot,
        endpoints: &Endpoints,
    ) -> ProbeSpec {
        let sub = |s: &str| s.replace("{scratch}", scratch.as_str());
        let mut spec = ProbeSpec {
            family: probe.family.clone(),
            target: probe.target.as_deref().map(sub),
            args: probe.args.clone(),
            scratch: scratch.as_str().to_string(),
            ..ProbeSpec::default()
        };
        for name in &probe.fixtures {
            if let Some(p) = endpoints.ports.get(name) {
                spec.port = Some(*p);
            }
            if let Some((_, bound)) = endpoints.unix.get(name) {
                spec.unix_name = Some(bound.clone());
            }
            if let Some(pid) = endpoints.pids.get(name) {
                spec.pid = Some(*pid);
            }
        }
        // A unix-connect naming a declared listener (by fixture or socket name) reaches this
        // run's listener.
        if spec.family == "unix-connect" && spec.unix_name.is_none() {
            let named = spec.target.as_deref().map(|t| t.trim_start_matches('@'));
            for (fixture, (declared, bound)) in &endpoints.unix {
                if named == Some(fixture.as_str()) || named == Some(declared.as_str()) {
                    spec.unix_name = Some(bound.clone());
                }
            }
        }
        spec
    }
}

impl Drop for Fixtures {
    fn drop(&mut self) {
        stop(&self.processes);
    }
}

/// Kills and reaps processes the caller forked (ESRCH/ECHILD: already gone).
fn stop(pids: &[i32]) {
    for &pid in pids {
        let _ = process::kill(pid, libc::SIGKILL);
        let _ = process::wait(pid);
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
/// (-1 for none), and dies with its parent (the engine or a worker).
fn fork_fixture(keep: RawFd, body: impl FnOnce()) -> io::Result<i32> {
    let parent = process::getpid();
    // SAFETY (cannot move into sys: the child's body is the caller's): the child only makes
    // raw syscalls and never returns.
    match unsafe { process::fork() }? {
        Forked::Child => {
            let ready = process::set_parent_death_signal(libc::SIGKILL).is_ok()
                && process::parent_pid() == parent
                && sigaction::ignore(libc::SIGINT).is_ok()
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
