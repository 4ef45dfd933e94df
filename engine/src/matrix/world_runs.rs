//! Running one experiment in several worlds at once. Guests go through
//! `worlds::run_in_world` (one thread each); the host runs as a child `xpr run` (a host run
//! needs a single-threaded process to fork its probes from). At most `parallel` worlds run at
//! a time. Ctrl-C stops every guest and the host child, and removes the bundles the worlds
//! that had finished already wrote: an interrupted matrix leaves no bundle that verifies.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::execute::interrupt;
use crate::resolve::LoadOptions;
use crate::run::{PreparedWorldRun, ReportFormat, RunConfig, RunError, WorldChoice};
use crate::worlds::{Accel, GuestRun, HOST, WorldSpec};

/// What `xpr matrix FILE --worlds …` was asked to do.
pub(crate) struct MatrixRun {
    pub file: PathBuf,
    pub load: LoadOptions,
    pub worlds: Vec<String>,
    pub world_files: Vec<PathBuf>,
    pub accel: Accel,
    /// The matrix's directory; world `w`'s bundle goes under `<dir>/<w>/`.
    pub dir: PathBuf,
    /// Worlds run at once (see [`default_parallel`]).
    pub parallel: usize,
}

/// How one world's run ended.
pub(crate) struct WorldOutcome {
    pub name: String,
    /// The committed, verified bundle, or why there is none.
    pub bundle: Result<PathBuf, String>,
    /// Guest boot time (qemu start to the guest's init).
    pub boot: Option<Duration>,
    pub wall: Duration,
}

enum Job {
    Host,
    Guest(Box<(WorldSpec, GuestRun)>),
}

/// Runs every world; the experiment's name and one outcome per world, in the order given.
/// Invalid input (the experiment, an unknown world) is reported before anything runs.
pub(crate) fn run(
    m: &MatrixRun,
    log: &(dyn Fn(&str) + Sync),
) -> Result<(String, Vec<WorldOutcome>), RunError> {
    interrupt::install();
    let loaded = crate::resolve::load(&m.file, &m.load).map_err(RunError::Invalid)?;
    let experiment = loaded.experiment.name.clone();
    let mut jobs = Vec::new();
    for name in &m.worlds {
        if name == HOST {
            jobs.push((name.clone(), Job::Host));
            continue;
        }
        let config = RunConfig {
            out_root: m.dir.join(name),
            ..guest_config(m)
        };
        let choice = WorldChoice {
            name: name.clone(),
            world_files: m.world_files.clone(),
            accel: m.accel,
        };
        // No selection is given, so there is always a guest run to prepare.
        match crate::run::prepare_world_run(&config, &choice, &m.file)? {
            PreparedWorldRun::Guest(prepared) => {
                jobs.push((name.clone(), Job::Guest(prepared)));
            }
            PreparedWorldRun::NothingToRerun { .. } => {
                unreachable!("a matrix run selects every pair")
            }
        }
    }
    // Popped from the end: reversed, so worlds start in the order given.
    let queue = Mutex::new(jobs.into_iter().enumerate().rev().collect::<Vec<_>>());
    let results: Mutex<Vec<Option<WorldOutcome>>> =
        Mutex::new((0..m.worlds.len()).map(|_| None).collect());
    std::thread::scope(|scope| {
        for _ in 0..m.parallel.clamp(1, m.worlds.len().max(1)) {
            scope.spawn(|| {
                loop {
                    let next = queue.lock().expect("queue").pop();
                    let Some((i, (name, job))) = next else { break };
                    let outcome = if interrupt::interrupted() {
                        WorldOutcome {
                            name: name.clone(),
                            bundle: Err("interrupted before it started".into()),
                            boot: None,
                            wall: Duration::ZERO,
                        }
                    } else {
                        run_one(m, &name, job, log)
                    };
                    results.lock().expect("results")[i] = Some(outcome);
                }
            });
        }
    });
    let outcomes: Vec<WorldOutcome> = results
        .into_inner()
        .expect("results")
        .into_iter()
        .flatten()
        .collect();
    if interrupt::interrupted() {
        for o in &outcomes {
            if let Ok(bundle) = &o.bundle {
                remove_bundle(bundle);
            }
        }
        return Err(RunError::Interrupted);
    }
    Ok((experiment, outcomes))
}

/// The run configuration every guest world shares (its `out_root` is set per world).
fn guest_config(m: &MatrixRun) -> RunConfig {
    RunConfig {
        files: vec![m.file.clone()],
        load: m.load.clone(),
        jobs: None,
        out_root: m.dir.clone(),
        label: None,
        isolation: None,
        landlock_abi_cap: None,
        // A world uses every mechanism it has; a mechanism's absence is a world fact.
        landlock_only: false,
        observer_audit: false,
        junit: None,
        report: ReportFormat::Json,
        style: crate::report::Style::Plain,
        stderr_colour: false,
        message_format: crate::diagnostics::MessageFormat::Human,
        selection: Default::default(),
        fail_fast: false,
        verbosity: Default::default(),
        world: None,
        guest: None,
    }
}

fn run_one(m: &MatrixRun, name: &str, job: Job, log: &(dyn Fn(&str) + Sync)) -> WorldOutcome {
    let started = Instant::now();
    let (bundle, boot) = match job {
        Job::Host => {
            log(&format!("{name}: running on this host"));
            (run_host(m, &m.dir.join(name)), None)
        }
        Job::Guest(prepared) => {
            let (spec, run) = *prepared;
            let mut progress = |line: &str| log(line);
            match crate::worlds::run_in_world(&spec, &run, &mut progress) {
                Ok(done) => (Ok(done.bundle), done.boot),
                Err(e) => (Err(e.to_string()), None),
            }
        }
    };
    let wall = started.elapsed();
    match &bundle {
        Ok(_) => log(&format!(
            "{name}: finished in {:.1} s{}",
            wall.as_secs_f64(),
            boot.map_or(String::new(), |b| format!(
                " (booted in {:.1} s)",
                b.as_secs_f64()
            ))
        )),
        Err(e) => log(&format!("{name}: failed: {e}")),
    }
    WorldOutcome {
        name: name.to_string(),
        bundle,
        boot,
        wall,
    }
}

/// `xpr run FILE --out OUT --format json` as a child; Ctrl-C is passed on to it.
fn run_host(m: &MatrixRun, out_root: &Path) -> Result<PathBuf, String> {
    let exe = std::env::current_exe().map_err(|e| format!("cannot locate the xpr binary: {e}"))?;
    let mut cmd = Command::new(exe);
    cmd.arg("run").arg(&m.file).arg("--out").arg(out_root);
    cmd.args(["--format", "json"]);
    for (name, value) in &m.load.params {
        cmd.arg("--param").arg(format!("{name}={value}"));
    }
    for dir in &m.load.sbpl.search_path {
        cmd.arg("--sbpl-path").arg(dir);
    }
    if m.load.sbpl.absolute {
        cmd.arg("--sbpl-absolute-imports");
    }
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start the host run: {e}"))?;
    // Read both pipes on their own threads so a full pipe never stalls the child.
    let stdout = child.stdout.take().map(read_all);
    let stderr = child.stderr.take().map(read_all);
    let mut forwarded = false;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) => {}
            Err(e) => return Err(format!("waiting for the host run: {e}")),
        }
        if interrupt::interrupted() && !forwarded {
            let _ = crate::sys::process::kill(child.id() as i32, libc::SIGINT);
            forwarded = true;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let stdout = stdout.and_then(|h| h.join().ok()).unwrap_or_default();
    let stderr = stderr.and_then(|h| h.join().ok()).unwrap_or_default();
    match status.code() {
        Some(0 | 1) => {
            let report: serde_json::Value = serde_json::from_str(&stdout)
                .map_err(|e| format!("the host run's report is not JSON: {e}"))?;
            report
                .get("bundle")
                .and_then(|b| b.as_str())
                .map(PathBuf::from)
                .ok_or_else(|| "the host run's report names no bundle".to_string())
        }
        _ => Err(format!(
            "the host run failed ({status}): {}",
            stderr.lines().last().unwrap_or("")
        )),
    }
}

fn read_all(mut r: impl std::io::Read + Send + 'static) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut s = String::new();
        let _ = r.read_to_string(&mut s);
        s
    })
}

/// Removes a bundle this matrix committed (its directory beneath its experiment's, held
/// without following symlinks).
fn remove_bundle(bundle: &Path) {
    let (Some(parent), Some(name)) = (bundle.parent(), bundle.file_name()) else {
        return;
    };
    let Ok(dir) = crate::sys::fs::Dir::open_nofollow(parent) else {
        return;
    };
    if let Ok(run) = dir.open_dir(Path::new(name)) {
        let _ = run.remove_contents();
    }
    let _ = dir.remove_empty_dir(Path::new(name));
}

/// Worlds run at once by default: two per core. A TCG guest leaves its core idle for much of
/// its boot (kernel timers, module loading, 9p round trips): the four-world matrix on two
/// cores took 21–24 s with four at once, 31 s two at a time (README, "Worlds").
pub(crate) fn default_parallel() -> usize {
    2 * std::thread::available_parallelism().map_or(1, |n| n.get())
}
