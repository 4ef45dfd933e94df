//! What several areas of the suite share: builders for programmatic experiments and a
//! serialised runner (here), the `xpr` command builder (`command`), synthetic bundles
//! (`bundles`) and the Graphviz render check (`graphviz`).

pub mod bundles;
mod command;
pub mod graphviz;
pub mod minimal_landlock;
pub mod shared_inputs;

pub use command::{Output, Xpr};

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use xpr::compile::ProfileSandbox;
use xpr::execute::{ExecuteOptions, execute};
use xpr::model::*;

/// One run at a time in this binary: workers are forked from a multi-threaded harness, and a
/// run with the observer switches the kernel's audit state (host-wide) on and back off, which
/// would cut a concurrent observed run short of its records.
static RUN_LOCK: Mutex<()> = Mutex::new(());

/// The run lock, for a test that runs an experiment other than through [`run`] or
/// [`run_file`] (`xpr run` in a child process, `shim suggest`).
pub fn exclusive_run() -> MutexGuard<'static, ()> {
    RUN_LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

/// The `xpr` binary under test (also the engine's probe helper).
pub fn helper_exe() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_xpr"))
}

/// `path` as another user (`nobody`) can reach it: itself when every directory above it is
/// searchable by others, else a copy (a file, or a directory tree) in `dir`: a checkout in a
/// `mktemp -d` directory (mode 0700) is out of their reach.
pub fn for_others(path: &std::path::Path, dir: &std::path::Path) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let searchable = |d: &std::path::Path| {
        std::fs::metadata(d).is_ok_and(|m| m.permissions().mode() & 0o001 != 0)
    };
    if path.ancestors().skip(1).all(searchable) {
        return path.to_path_buf();
    }
    let copy = dir.join(path.file_name().expect("a named path"));
    copy_tree(path, &copy);
    copy
}

/// `xpr` run as `nobody` (the caller must be root), with its temporary files in `dir`, which
/// `nobody` must be able to write.
pub fn xpr_as_nobody(dir: &std::path::Path) -> Xpr {
    Xpr::program(for_others(&helper_exe(), dir))
        .env("TMPDIR", dir)
        .user(NOBODY)
}

/// The unprivileged user the suite runs `xpr` as (the caller is root).
pub const NOBODY: u32 = 65534;

fn copy_tree(from: &std::path::Path, to: &std::path::Path) {
    if from.is_dir() {
        std::fs::create_dir(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap().flatten() {
            copy_tree(&entry.path(), &to.join(entry.file_name()));
        }
    } else {
        std::fs::copy(from, to).unwrap();
    }
}

/// Polls `done` until it holds; fails naming `what` after `limit`.
pub fn wait_for(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let start = std::time::Instant::now();
    while !done() {
        assert!(start.elapsed() < limit, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Ctrl-C for a child `xpr`: SIGINT, then its exit status; fails with `what` when it has not
/// ended within `limit`.
pub fn interrupt(
    child: &mut std::process::Child,
    limit: Duration,
    what: &str,
) -> std::process::ExitStatus {
    xpr::sys::process::kill(child.id() as i32, libc::SIGINT).expect("signal our own child");
    let start = std::time::Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(start.elapsed() < limit, "{what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Makes a FIFO at `path`.
pub fn mkfifo(path: &std::path::Path) {
    rustix::fs::mknodat(
        rustix::fs::CWD,
        path,
        rustix::fs::FileType::Fifo,
        rustix::fs::Mode::from_raw_mode(0o600),
        0,
    )
    .unwrap();
}

pub fn require_landlock(abi: i32) -> i32 {
    let have = xpr::sys::landlock::abi_version() as i32;
    assert!(
        have >= abi,
        "this test needs Landlock ABI >= {abi}; the running kernel reports {have} \
         (Landlock missing or disabled: check CONFIG_SECURITY_LANDLOCK and lsm=)"
    );
    have
}

pub fn experiment(name: &str) -> Experiment {
    Experiment {
        name: name.into(),
        description: None,
        lanes: vec![Lane::Baseline, Lane::Scenario],
        isolation: Isolation::Probe,
        timeout: Duration::from_secs(5),
        params: BTreeMap::new(),
        fixtures: vec![],
        profiles: vec![],
        shims: vec![],
        probes: vec![],
        expectations: vec![],
        sources: vec![],
    }
}

pub fn file_fixture(name: &str, path: &str, content: &str) -> Fixture {
    Fixture {
        name: name.into(),
        kind: FixtureKind::File {
            path: path.into(),
            content: content.into(),
            mode: 0o644,
        },
        origin: Origin::default(),
    }
}

pub fn fixture(name: &str, kind: FixtureKind) -> Fixture {
    Fixture {
        name: name.into(),
        kind,
        origin: Origin::default(),
    }
}

pub fn probe(id: &str, family: &str, target: Option<&str>) -> Probe {
    let destructive = matches!(
        family,
        "file-create"
            | "file-truncate"
            | "file-unlink"
            | "file-rename"
            | "file-link"
            | "dir-create"
    );
    Probe {
        id: id.into(),
        family: family.into(),
        operation: family.into(),
        target: target.map(str::to_string),
        args: BTreeMap::new(),
        fixtures: vec![],
        control: false,
        destructive,
        worlds: vec!["linux".into(), "macos".into()],
        origin: Origin::default(),
    }
}

pub fn with_arg(mut p: Probe, k: &str, v: ArgValue) -> Probe {
    p.args.insert(k.into(), v);
    p
}

pub fn with_fixture(mut p: Probe, f: &str) -> Probe {
    p.fixtures.push(f.into());
    p
}

pub fn profile(id: &str) -> Profile {
    let ir = ProfileIr {
        default_origin: Default::default(),
        layers: Vec::new(),
        default: Action::Deny,
        rules: vec![],
    };
    Profile {
        id: id.into(),
        origin: Origin::default(),
        source: ir.clone(),
        shims: vec![],
        runtime: ir,
        sbpl_source: None,
        extends: None,
        layers: Vec::new(),
        probes: None,
    }
}

pub fn options() -> ExecuteOptions {
    ExecuteOptions {
        helper_exe: helper_exe(),
        jobs: 2,
        ..ExecuteOptions::default()
    }
}

pub fn run(
    exp: &Experiment,
    sandboxes: &[ProfileSandbox],
    opts: &ExecuteOptions,
) -> Vec<StageRecord> {
    let _run = exclusive_run();
    execute(exp, sandboxes, opts).expect("run completes")
}

pub fn find<'a>(
    records: &'a [StageRecord],
    lane: Lane,
    profile: Option<&str>,
    probe: &str,
) -> &'a StageRecord {
    records
        .iter()
        .find(|r| r.lane == lane && r.profile.as_deref() == profile && r.probe == probe)
        .unwrap_or_else(|| panic!("no record for {lane:?} {profile:?} {probe}"))
}

/// Loads a KDL experiment and runs it through the library pipeline in the given world.
pub fn run_file(path: &str, landlock_abi_cap: Option<u32>) -> xpr::run::RunResult {
    run_file_with(path, &[], landlock_abi_cap)
}

/// Like [`run_file`], with literal text replacements applied to the file first (e.g. fixed
/// ports swapped for free ones, so concurrent runs on one host do not collide).
pub fn run_file_with(
    path: &str,
    replace: &[(String, String)],
    landlock_abi_cap: Option<u32>,
) -> xpr::run::RunResult {
    let _run = exclusive_run();
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    let opts = xpr::resolve::LoadOptions::default();
    // From the file itself when nothing is replaced, so relative `sbpl=` paths resolve.
    let loaded = if replace.is_empty() {
        xpr::resolve::load(&file, &opts)
    } else {
        let mut text = std::fs::read_to_string(&file).expect("experiment readable");
        for (from, to) in replace {
            text = text.replace(from.as_str(), to);
        }
        xpr::resolve::load_str(path, &text, &opts)
    }
    .unwrap_or_else(|d| panic!("{path} does not load: {d:?}"));
    let world = xpr::world::WorldFacts::detect(&xpr::world::WorldOptions {
        landlock_abi_cap,
        ..Default::default()
    });
    assert!(
        world.abi_cap_error().is_none(),
        "{:?}",
        world.abi_cap_error()
    );
    xpr::run::run_experiment(&loaded.experiment, &world, &options()).expect("run completes")
}

/// `n` distinct free loopback TCP ports (bound to port 0, read back, released).
pub fn free_ports(n: usize) -> Vec<u16> {
    let listeners: Vec<std::net::TcpListener> = (0..n)
        .map(|_| std::net::TcpListener::bind("127.0.0.1:0").expect("bind port 0"))
        .collect();
    listeners
        .iter()
        .map(|l| l.local_addr().unwrap().port())
        .collect()
}

/// Pids of the processes whose command line is exactly `argv`.
pub fn processes_running(argv: &[&str]) -> Vec<i32> {
    let want: Vec<u8> = argv
        .iter()
        .flat_map(|a| [a.as_bytes(), b"\0"].concat())
        .collect();
    std::fs::read_dir("/proc")
        .map(|d| {
            d.flatten()
                .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
                .filter(|pid| {
                    std::fs::read(format!("/proc/{pid}/cmdline")).ok() == Some(want.clone())
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Loads an experiment given as text and runs it in this host's world with `opts`.
pub fn run_text(name: &str, text: &str, opts: &ExecuteOptions) -> xpr::run::RunResult {
    let _run = exclusive_run();
    let loaded = xpr::resolve::load_str(name, text, &xpr::resolve::LoadOptions::default())
        .unwrap_or_else(|d| panic!("{name} does not load: {d:?}"));
    let world = xpr::world::WorldFacts::detect(&xpr::world::WorldOptions::default());
    xpr::run::run_experiment(&loaded.experiment, &world, opts).expect("run completes")
}

/// The verdict of `profile/probe` as (verdict, errno name).
pub fn verdict_of(
    r: &xpr::run::RunResult,
    profile: &str,
    probe: &str,
) -> (Verdict, Option<String>) {
    let v = r
        .verdicts
        .iter()
        .find(|v| v.profile == profile && v.probe == probe)
        .unwrap_or_else(|| panic!("no verdict for {profile}/{probe}"));
    (v.verdict, v.errno.as_ref().map(|e| e.name.clone()))
}
