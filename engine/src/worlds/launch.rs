//! Running one experiment in one guest world: kernel (cache or fetch) → initramfs → qemu →
//! console and result channel read with bounds, a deadline and Ctrl-C → the returned bundle
//! verified and committed under `out/` (`receive`). The library entry point for every caller
//! (`xpr run --world`, a matrix of worlds).

use std::io::Read;
use std::os::fd::{AsFd, AsRawFd};
use std::os::unix::fs::DirBuilderExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::cache::KernelOrigin;
use super::catalogue::WorldSpec;
use super::console::ConsoleLog;
use super::fetch::{self, FetchError, Kernel};
use super::host_view::{self, Needed};
use super::protocol::{self, GuestModule, GuestRequest, REQUEST_SCHEMA};
use super::receive::{self, Expected, ReceiveError};
use crate::bundle::RunId;
use crate::sys;
use crate::world::{VmHarness, VmWorld};

pub const QEMU: &str = "qemu-system-x86_64";
/// Printed by the guest's init on the console when userspace starts (boot time).
pub(crate) const READY_MARKER: &str = "xpr-guest: init started";
/// How long a KVM guest may take to reach its init before xpr falls back to TCG.
pub(crate) const KVM_PROBE: Duration = Duration::from_secs(20);
/// How the guest's userland is made (world facts).
pub(crate) const USERLAND: &str =
    "host root via 9p (read-only) under an overlay with a tmpfs upper layer";

#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub(crate) enum Accel {
    /// Emulation: slow, works everywhere (the default).
    #[default]
    Tcg,
    /// Hardware virtualisation, tried for [`KVM_PROBE`]; TCG when the guest's init has not
    /// started by then.
    Kvm,
}

impl Accel {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Accel::Tcg => "tcg",
            Accel::Kvm => "kvm",
        }
    }
}

/// One run to make in a guest world.
pub(crate) struct GuestRun {
    pub experiment: String,
    /// `xpr run` arguments for the guest (experiment path first, relative to `cwd` or
    /// absolute; no world options).
    pub run_args: Vec<String>,
    pub manifest_args: Vec<String>,
    pub cwd: PathBuf,
    pub out_root: PathBuf,
    pub label: Option<String>,
    pub accel: Accel,
    pub cpus: u32,
    /// `(path, blake3)` of the experiment's sources as the host loaded them.
    pub sources: Vec<(String, String)>,
    /// Host places the run reads besides the experiment and `xpr` (its other sources'
    /// directories, a reference bundle): the guest must see them.
    pub reads: Vec<Needed>,
}

/// A committed, verified bundle from a guest.
#[derive(Debug)]
pub(crate) struct WorldRun {
    pub bundle: PathBuf,
    /// The guest run's exit code: 0 every expectation held, 1 not.
    pub exit_code: i32,
    /// From qemu's start to the guest's init mounting `/proc`.
    pub boot: Option<Duration>,
    pub wall: Duration,
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum WorldError {
    #[error("{QEMU} is not installed; install it with `apt-get install qemu-system-x86`")]
    QemuMissing,
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error("{0}")]
    Setup(String),
    /// The guest ran and failed: panic, timeout, a failed init or run.
    #[error("{reason} (the guest's console log is kept at {})", console_log.display())]
    Guest {
        reason: String,
        console_log: PathBuf,
    },
    /// The guest's bundle was refused; nothing of it was committed.
    #[error("{error} (the guest's console log is kept at {})", console_log.display())]
    Rejected {
        error: ReceiveError,
        console_log: PathBuf,
    },
    #[error("interrupted: the guest was stopped and no bundle was written (console log: {})", console_log.display())]
    Interrupted { console_log: PathBuf },
}

/// Boots `spec`, runs the experiment inside, and commits the verified bundle under
/// `run.out_root`. `log` gets progress lines (fetching, booting).
pub(crate) fn run_in_world(
    spec: &WorldSpec,
    run: &GuestRun,
    log: &mut dyn FnMut(&str),
) -> Result<WorldRun, WorldError> {
    let started = Instant::now();
    let qemu = fetch::find_in_path(QEMU).ok_or(WorldError::QemuMissing)?;
    let qemu_version = qemu_version(&qemu)?;
    let kernel = fetch::kernel(spec, log)?;
    let run_id = RunId::new(run.label.as_deref()).map_err(|e| WorldError::Setup(e.to_string()))?;
    let xpr = std::env::current_exe()
        .map_err(|e| WorldError::Setup(format!("cannot locate the xpr binary: {e}")))?;
    // The experiment may be named relative to `cwd`, where the guest starts too.
    let experiment = run
        .cwd
        .join(run.run_args.first().map_or("", String::as_str));
    let mut needed = vec![
        Needed {
            what: "the xpr binary",
            path: xpr.clone(),
            is_dir: false,
        },
        Needed {
            what: "the experiment",
            path: experiment,
            is_dir: false,
        },
        Needed {
            what: "the working directory",
            path: run.cwd.clone(),
            is_dir: true,
        },
    ];
    needed.extend(run.reads.iter().cloned());
    let host_tmp = host_view::tmp_binds(&needed)?;
    let xpr_digest = super::cache::blake3_file(&xpr)
        .map_err(|e| WorldError::Setup(format!("{}: {e}", xpr.display())))?;
    let mut request = GuestRequest {
        schema_version: REQUEST_SCHEMA.into(),
        xpr: xpr.to_string_lossy().into_owned(),
        cwd: run.cwd.to_string_lossy().into_owned(),
        run_args: run.run_args.clone(),
        host_tmp,
        manifest_args: run.manifest_args.clone(),
        run_id: run_id.to_string(),
        modules: kernel
            .modules
            .iter()
            .map(|(m, _)| GuestModule {
                name: m.name.clone(),
                file: m.file.clone(),
                compressed: m.compressed,
            })
            .collect(),
        world: vm_world(spec, &kernel),
        harness: VmHarness {
            qemu: qemu_version,
            accelerator: String::new(),
            memory_mib: spec.memory_mib,
            cpus: run.cpus,
        },
    };
    let work = WorkDir::create(&spec.name)?;
    let console_log = console_log_path(&run.out_root, &run.experiment, &run_id);
    let mut console = ConsoleLog::new(&spec.name, &run_id);
    // KVM is tried only with a short bound: nested KVM can hang before userspace for good.
    let attempts: &[(Accel, Option<Duration>)] = match run.accel {
        Accel::Tcg => &[(Accel::Tcg, None)],
        Accel::Kvm => &[(Accel::Kvm, Some(KVM_PROBE)), (Accel::Tcg, None)],
    };
    let mut outcome = Watched::TimedOut;
    for (accel, ready_within) in attempts {
        request.harness.accelerator = accel.as_str().into();
        let booted = Boot {
            qemu: &qemu,
            spec,
            kernel: &kernel,
            xpr: &xpr,
            work: &work.path,
            accel: *accel,
            cpus: run.cpus,
        };
        log(&format!(
            "{}: booting {} ({}, {run_id})",
            spec.name,
            kernel.record.kernel_release,
            accel.as_str()
        ));
        outcome = booted.run(&request, &mut console, *ready_within)?;
        if matches!(outcome, Watched::NotReady) {
            log(&format!(
                "{}: kvm did not reach the guest's init within {} s; using tcg",
                spec.name,
                KVM_PROBE.as_secs()
            ));
            continue;
        }
        break;
    }
    let keep_log = |reason: String| {
        console.write_to(&console_log);
        WorldError::Guest {
            reason,
            console_log: console_log.clone(),
        }
    };
    let (stream, boot) = match outcome {
        Watched::Ended { stream, boot } => (stream, boot),
        Watched::Interrupted => {
            console.write_to(&console_log);
            return Err(WorldError::Interrupted {
                console_log: console_log.clone(),
            });
        }
        Watched::TimedOut => {
            return Err(keep_log(format!(
                "the guest did not finish within its timeout of {} s",
                spec.timeout.as_secs()
            )));
        }
        Watched::Overflow => {
            return Err(keep_log(format!(
                "the guest sent more than {} MiB on its result channel",
                protocol::MAX_STREAM >> 20
            )));
        }
        Watched::Failed(e) => return Err(keep_log(e)),
        Watched::NotReady => return Err(keep_log("the guest never reached its init".into())),
    };
    let returned = match protocol::decode(&stream) {
        Ok(r) => r,
        Err(e) => {
            let reason = match console.panic_line() {
                Some(line) => format!("the guest kernel panicked: {line}"),
                None => format!("the guest returned no result: {e}"),
            };
            return Err(keep_log(reason));
        }
    };
    let exit_code = match returned.result.exit_code {
        Some(code @ (0 | 1)) => code,
        Some(code) => {
            let message = returned.result.message.unwrap_or_default();
            return Err(keep_log(format!(
                "the run inside the guest failed with exit {code} {message}"
            )));
        }
        None => {
            let message = returned.result.message.unwrap_or_default();
            return Err(keep_log(format!("the guest failed: {message}")));
        }
    };
    let mut inputs = run.sources.clone();
    inputs.push(("probe-helper".into(), xpr_digest));
    let expected = Expected {
        run_id: &run_id,
        experiment: &run.experiment,
        vm: &request.world,
        inputs: &inputs,
    };
    let bundle = receive::commit(
        &returned.files,
        &expected,
        &work.path.join("stage"),
        &run.out_root,
    )
    .map_err(|error| {
        console.write_to(&console_log);
        WorldError::Rejected {
            error,
            console_log: console_log.clone(),
        }
    })?;
    Ok(WorldRun {
        bundle,
        exit_code,
        boot,
        wall: started.elapsed(),
    })
}

/// Where a failed guest's console log is kept: beside where its bundle would have been.
pub(crate) fn console_log_path(out_root: &Path, experiment: &str, run_id: &RunId) -> PathBuf {
    let dir = if crate::bundle::index::is_safe_relative(experiment) && !experiment.contains('/') {
        out_root.join(experiment)
    } else {
        out_root.to_path_buf()
    };
    dir.join(format!("{run_id}.console.log"))
}

fn vm_world(spec: &WorldSpec, kernel: &Kernel) -> VmWorld {
    let (source, package, version, sha256, suite, mirror) = match &kernel.record.source {
        KernelOrigin::Package {
            package,
            version,
            sha256,
            suite,
            mirror,
            ..
        } => (
            "package",
            package,
            version.clone(),
            sha256,
            suite.clone(),
            mirror.clone(),
        ),
        KernelOrigin::Image { file, sha256, .. } => (
            "image",
            file,
            kernel.record.kernel_release.clone(),
            sha256,
            String::new(),
            String::new(),
        ),
    };
    VmWorld {
        name: spec.name.clone(),
        kernel_source: source.into(),
        kernel_package: package.clone(),
        kernel_version: version,
        kernel_sha256: sha256.clone(),
        suite,
        mirror,
        modules: kernel.modules.iter().map(|(m, _)| m.name.clone()).collect(),
        userland: USERLAND.into(),
    }
}

fn qemu_version(qemu: &Path) -> Result<String, WorldError> {
    let out = Command::new(qemu)
        .arg("--version")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| WorldError::Setup(format!("{}: {e}", qemu.display())))?;
    let text = String::from_utf8_lossy(&out.stdout);
    Ok(text.lines().next().unwrap_or("unknown").trim().to_string())
}

/// One boot of the guest with one accelerator.
struct Boot<'a> {
    qemu: &'a Path,
    spec: &'a WorldSpec,
    kernel: &'a Kernel,
    xpr: &'a Path,
    work: &'a Path,
    accel: Accel,
    cpus: u32,
}

impl Boot<'_> {
    /// Builds the initramfs around `request`, starts qemu and watches it.
    fn run(
        &self,
        request: &GuestRequest,
        console: &mut ConsoleLog,
        ready_within: Option<Duration>,
    ) -> Result<Watched, WorldError> {
        let initrd = super::initramfs::build(self.xpr, &self.kernel.modules, request)
            .map_err(|e| WorldError::Setup(format!("building the initramfs: {e}")))?;
        let initrd_path = self.work.join("initrd.cpio");
        let socket = self.work.join("result.sock");
        for stale in [&initrd_path, &socket] {
            let _ = std::fs::remove_file(stale);
        }
        std::fs::write(&initrd_path, initrd)
            .map_err(|e| WorldError::Setup(format!("{}: {e}", initrd_path.display())))?;
        let listener = UnixListener::bind(&socket)
            .and_then(|l| l.set_nonblocking(true).map(|_| l))
            .map_err(|e| WorldError::Setup(format!("{}: {e}", socket.display())))?;
        let mut child = self
            .spawn(&initrd_path, &socket)
            .map_err(|e| WorldError::Setup(format!("starting {QEMU}: {e}")))?;
        let now = Instant::now();
        let limits = Limits {
            deadline: now + self.spec.timeout,
            ready_by: ready_within.map(|d| now + d),
            started: now,
        };
        Ok(watch(&mut child, listener, console, &limits))
    }

    fn spawn(&self, initrd: &Path, socket: &Path) -> std::io::Result<Child> {
        let mut cmd = Command::new(self.qemu);
        cmd.args([
            "-nodefaults",
            "-no-user-config",
            "-display",
            "none",
            "-no-reboot",
        ])
        .args(["-accel", self.accel.as_str()])
        .args(["-m", &format!("{}M", self.spec.memory_mib)])
        .args(["-smp", &self.cpus.to_string()])
        .arg("-kernel")
        .arg(&self.kernel.image)
        .arg("-initrd")
        .arg(initrd)
        .args([
            "-append",
            "console=ttyS0 panic=-1 oops=panic quiet loglevel=3 rdinit=/xpr -- __guest-init",
        ])
        .args(["-chardev", "stdio,id=console,signal=off"])
        .args(["-serial", "chardev:console"])
        .arg("-chardev")
        .arg(format!("socket,id=result,path={}", socket.display()))
        .args(["-serial", "chardev:result"])
        .args([
            "-virtfs",
            "local,path=/,mount_tag=host,security_model=none,readonly=on,multidevs=remap",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
        // Its own process group (Ctrl-C reaches xpr, which stops it), and it dies with us.
        sys::process::own_group_dying_with_us(&mut cmd);
        cmd.spawn()
    }
}

struct Limits {
    deadline: Instant,
    /// The guest's init must have started by then (the KVM probe).
    ready_by: Option<Instant>,
    started: Instant,
}

enum Watched {
    Ended {
        stream: Vec<u8>,
        boot: Option<Duration>,
    },
    Interrupted,
    TimedOut,
    /// The init did not start within the probe's bound.
    NotReady,
    Overflow,
    Failed(String),
}

/// Reads qemu's console and the result channel until qemu exits, the deadline passes or
/// Ctrl-C; a guest that is stopped is killed and reaped.
fn watch(
    child: &mut Child,
    listener: UnixListener,
    console: &mut ConsoleLog,
    limits: &Limits,
) -> Watched {
    let qemu_pid = child.id() as i32;
    let mut stdout = child.stdout.take();
    let mut stderr = child.stderr.take();
    let mut channel: Option<UnixStream> = None;
    let mut stream = Vec::new();
    let mut boot = None;
    let stop = |child: &mut Child, why: Watched| {
        let _ = child.kill();
        let _ = child.wait();
        why
    };
    loop {
        if crate::execute::interrupt::interrupted() {
            return stop(child, Watched::Interrupted);
        }
        if Instant::now() >= limits.deadline {
            return stop(child, Watched::TimedOut);
        }
        if boot.is_none() && limits.ready_by.is_some_and(|r| Instant::now() >= r) {
            return stop(child, Watched::NotReady);
        }
        if channel.is_none()
            && let Ok((conn, _)) = listener.accept()
        {
            if peer_pid(&conn) != Some(qemu_pid) {
                return stop(
                    child,
                    Watched::Failed("a stranger connected to the result socket".into()),
                );
            }
            let _ = conn.set_nonblocking(true);
            channel = Some(conn);
        }
        // Negative fds (a closed pipe) are ignored by poll.
        let mut fds = [
            sys::fd::poll_in(stdout.as_ref().map_or(-1, |s| s.as_raw_fd())),
            sys::fd::poll_in(stderr.as_ref().map_or(-1, |s| s.as_raw_fd())),
            sys::fd::poll_in(
                channel
                    .as_ref()
                    .map_or(listener.as_raw_fd(), |c| c.as_raw_fd()),
            ),
        ];
        // An interrupted or failed poll only means this round reads nothing new.
        let _ = sys::fd::poll(&mut fds, 200);
        let mut buf = vec![0u8; 64 << 10];
        if fds[0].revents != 0 {
            match stdout.as_mut().map(|s| s.read(&mut buf)) {
                Some(Ok(n)) if n > 0 => {
                    let seen = console.push(&buf[..n], READY_MARKER);
                    if boot.is_none() && seen {
                        boot = Some(limits.started.elapsed());
                    }
                }
                _ => stdout = None,
            }
        }
        if fds[1].revents != 0 {
            match stderr.as_mut().map(|s| s.read(&mut buf)) {
                Some(Ok(n)) if n > 0 => console.push_qemu(&buf[..n]),
                _ => stderr = None,
            }
        }
        if let Some(conn) = channel.as_mut()
            && drain(conn, &mut stream, &mut buf).is_err()
        {
            return stop(child, Watched::Overflow);
        }
        if let Ok(Some(status)) = child.try_wait()
            && stdout.is_none()
        {
            // qemu is gone: whatever it sent is buffered in the socket.
            if channel.is_none() {
                channel = listener.accept().ok().map(|(c, _)| c);
            }
            if let Some(conn) = channel.as_mut() {
                let _ = conn.set_nonblocking(true);
                if drain(conn, &mut stream, &mut buf).is_err() {
                    return Watched::Overflow;
                }
            }
            if !status.success() && stream.is_empty() {
                return Watched::Failed(format!(
                    "{QEMU} ended with {status} before the guest returned anything"
                ));
            }
            return Watched::Ended { stream, boot };
        }
    }
}

/// Reads what is available; `Err` when the stream would exceed its bound.
fn drain(conn: &mut UnixStream, stream: &mut Vec<u8>, buf: &mut [u8]) -> Result<(), ()> {
    loop {
        match conn.read(buf) {
            Ok(0) | Err(_) => return Ok(()),
            Ok(n) if stream.len() + n > protocol::MAX_STREAM => return Err(()),
            Ok(n) => stream.extend_from_slice(&buf[..n]),
        }
    }
}

fn peer_pid(conn: &UnixStream) -> Option<i32> {
    sys::socket::peer_pid(conn.as_fd()).ok()
}

/// A private temporary directory for one guest (initramfs, socket, staging), removed on drop.
struct WorkDir {
    path: PathBuf,
}

impl WorkDir {
    fn create(world: &str) -> Result<WorkDir, WorldError> {
        let path = std::env::temp_dir().join(format!(
            "xpr-guest-{world}-{}",
            crate::execute::short_random()
        ));
        std::fs::DirBuilder::new()
            .mode(0o700)
            .create(&path)
            .map_err(|e| WorldError::Setup(format!("{}: {e}", path.display())))?;
        Ok(WorkDir { path })
    }
}

impl Drop for WorkDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}
