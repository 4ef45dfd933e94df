//! The observer against the real kernel: Landlock audit records witness every scenario deny of
//! the seed experiment (blocker and path), none for allows; and the host's audit state is put
//! back after a run and after a run ended by any fatal signal, SIGKILL included.
//!
//! Needs root, audit netlink and Landlock ABI ≥ 7; without them these tests FAIL with the
//! reason. Each test leaves audit as it found it.
//!
//! A binary of its own: these tests switch the kernel's audit state (host-wide) outside any
//! run and check it afterwards, so no other run may share their process, not even one
//! serialised by the suite's run lock.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use xpr::execute::ExecuteOptions;
use xpr::model::{Verdict, WitnessState};
use xpr::observe::{current_status, set_enabled, status_between_sessions, unavailable_reason};
use xpr::resolve::{LoadOptions, load};
use xpr::run::run_experiment;
use xpr::world::{WorldFacts, WorldOptions};

/// The tests of this binary change one host-wide switch: one at a time.
static AUDIT_LOCK: Mutex<()> = Mutex::new(());

fn require_observer() -> WorldFacts {
    let world = WorldFacts::detect(&WorldOptions::default());
    if let Some(why) = unavailable_reason(world.landlock.effective_abi) {
        panic!("the observer tests need root and Landlock ABI >= 7: {why}");
    }
    current_status()
        .unwrap_or_else(|e| panic!("the observer tests need audit netlink (errno {e})"));
    world
}

/// Runs `f` with audit switched off first (so the run has something to restore), then puts
/// the original state back whatever happens.
fn with_audit_off(f: impl FnOnce()) {
    let _g = AUDIT_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let original = current_status().expect("audit status").enabled;
    if original != 2 {
        set_enabled(0).expect("switch audit off");
    }
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    if original != 2 {
        let _ = set_enabled(original);
    }
    if let Err(p) = result {
        std::panic::resume_unwind(p);
    }
}

#[test]
fn every_scenario_deny_has_a_witness_naming_blocker_and_path_and_allows_have_none() {
    let world = require_observer();
    with_audit_off(|| {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../experiments/runtime-checks.kdl");
        let exp = load(&path, &LoadOptions::default())
            .expect("loads")
            .experiment;
        let options = ExecuteOptions {
            observer_audit: true,
            jobs: 2,
            helper_exe: PathBuf::from(env!("CARGO_BIN_EXE_xpr")),
            ..ExecuteOptions::default()
        };
        let before = status_between_sessions().unwrap().backlog_limit;
        let result = run_experiment(&exp, &world, &options).expect("run completes");
        let after = current_status().unwrap();
        assert_eq!(after.enabled, 0, "audit is off again after the run");
        assert_eq!(
            after.backlog_limit, before,
            "the queue length the session raised is put back"
        );
        let observer = result.lanes.observer.as_ref().expect("observer lane");
        assert!(observer.unavailable.is_none(), "{:?}", observer.unavailable);
        assert!(observer.changed_audit_state);
        for v in &result.verdicts {
            let w = v
                .witness
                .as_ref()
                .unwrap_or_else(|| panic!("{} has no witness field", v.id));
            match v.verdict {
                Verdict::Deny | Verdict::DependencyDenied => {
                    assert_eq!(w.state, WitnessState::Records, "{}: {w:?}", v.id);
                    assert!(
                        w.records
                            .iter()
                            .all(|r| !r.blockers.is_empty() && r.path.is_some()),
                        "{}: {w:?}",
                        v.id
                    );
                }
                Verdict::Allow => assert_eq!(w.state, WitnessState::NoWitness, "{}: {w:?}", v.id),
                _ => {}
            }
        }
        let hosts = result
            .verdicts
            .iter()
            .find(|v| v.id == "v11_read_subpath/read-hosts")
            .unwrap();
        let record = &hosts.witness.as_ref().unwrap().records[0];
        assert_eq!(record.blockers, vec!["fs.read_file".to_string()]);
        assert_eq!(record.path.as_deref(), Some("/etc/hosts"));
        let cat = result
            .verdicts
            .iter()
            .find(|v| v.id == "v1_read/cat-foo")
            .unwrap();
        assert!(
            cat.witness
                .as_ref()
                .unwrap()
                .records
                .iter()
                .any(|r| r.blockers.contains(&"fs.execute".to_string())
                    && r.path.as_deref() == Some("/usr/bin/cat")),
            "{cat:?}"
        );
    });
}

/// A deny a mount decided has no Landlock record to expect (`not_expected`, said why), while a
/// deny Landlock decided in the same profile keeps its record: the Codex-style agent sandbox
/// has both, a read-only mount on `.git` and Landlock outside the workspace.
#[test]
fn mount_decisions_expect_no_record_and_landlocks_keep_theirs() {
    let world = require_observer();
    assert!(
        world.mounts.usable(),
        "needs the mount mechanism: {:?}",
        world.mounts.detail
    );
    with_audit_off(|| {
        let path =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../experiments/agent-sandbox-codex.kdl");
        let exp = load(&path, &LoadOptions::default())
            .expect("loads")
            .experiment;
        let options = ExecuteOptions {
            observer_audit: true,
            jobs: 2,
            helper_exe: PathBuf::from(env!("CARGO_BIN_EXE_xpr")),
            ..ExecuteOptions::default()
        };
        let result = run_experiment(&exp, &world, &options).expect("run completes");
        assert!(
            result.summary.passed(),
            "failing expectations: {:?}",
            result.summary.failures
        );
        let witness = |id: &str| {
            let v = result.verdicts.iter().find(|v| v.id == id).unwrap();
            (v.witness.clone().unwrap(), v.mount.is_some())
        };
        for id in [
            "codex/write-git-config",
            "codex/truncate-git-head",
            "codex/move-into-git",
        ] {
            let (w, by_mount) = witness(id);
            assert!(by_mount, "{id}");
            assert_eq!(w.state, WitnessState::NotExpected, "{id}: {w:?}");
            assert!(w.records.is_empty(), "{id}: {w:?}");
            assert!(
                w.reason
                    .as_deref()
                    .is_some_and(|r| r.contains("{scratch}/workspace/.git")),
                "{id}: {w:?}"
            );
        }
        let (w, by_mount) = witness("codex/write-elsewhere");
        assert!(!by_mount);
        assert_eq!(w.state, WitnessState::Records, "{w:?}");
        assert!(
            w.records
                .iter()
                .any(|r| r.blockers.contains(&"fs.write_file".to_string())),
            "{w:?}"
        );
    });
}

/// Polls `done` every 20 ms for at most `limit`.
fn eventually(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let started = Instant::now();
    while !done() {
        if started.elapsed() > limit {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    true
}

/// Pids of the processes whose command line is exactly `argv`.
fn processes_running(argv: &[&str]) -> Vec<i32> {
    let want: Vec<u8> = argv
        .iter()
        .flat_map(|a| [a.as_bytes(), b"\0"].concat())
        .collect();
    std::fs::read_dir("/proc")
        .map(|d| {
            d.flatten()
                .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
                .filter(|pid| {
                    std::fs::read(format!("/proc/{pid}/cmdline")).ok().as_ref() == Some(&want)
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Starts a run with the observer whose exec probe sleeps, waits until it has switched audit
/// on, sends `sig` to the engine and checks that audit is off again and nothing is left.
fn interrupt_an_observed_run(sig: i32) {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("slow.kdl");
    // The probe's sleep is found by its arguments among all the host's processes: a duration
    // of this test process's own keeps another concurrent run of this test from matching.
    let nap = format!("29.{}", std::process::id());
    std::fs::write(
        &file,
        format!(
            r#"experiment "slow" {{
    lanes scenario
    timeout "30s"
}}
profile open {{
    default allow
}}
probe nap family=exec target="/usr/bin/sleep" {{
    argv "sleep" "{nap}"
}}
"#
        ),
    )
    .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_xpr"))
        .args(["run", "--observer", "audit", "-j", "1", "--out"])
        .arg(dir.path().join("out"))
        .arg(&file)
        .env("TMPDIR", dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("xpr run starts");
    let backlog = status_between_sessions().unwrap().backlog_limit;
    // Wait until the run has switched audit on, with a longer queue (0 is "no limit"), and the
    // probe is sleeping.
    assert!(
        eventually(Duration::from_secs(20), || {
            let now = current_status().unwrap();
            now.enabled == 1
                && (backlog == 0 || now.backlog_limit >= 8192)
                && !processes_running(&["sleep", &nap]).is_empty()
        }),
        "signal {sig}: the run never enabled audit and started its probe"
    );
    xpr::sys::process::kill(child.id() as i32, sig).expect("signal our own child");
    let status = child.wait().expect("xpr run ends");
    let stderr: Vec<String> = BufReader::new(child.stderr.take().unwrap())
        .lines()
        .map_while(Result::ok)
        .collect();
    assert!(
        !status.success(),
        "signal {sig}: an interrupted run does not succeed: {stderr:?}"
    );
    // A handler restores before the engine dies; after SIGKILL the guardian does, at once.
    assert!(
        eventually(Duration::from_secs(5), || {
            let now = current_status().unwrap();
            now.enabled == 0 && now.backlog_limit == backlog
        }),
        "signal {sig}: audit must be off again, its queue length {backlog}; stderr: {stderr:?}"
    );
    assert!(
        eventually(Duration::from_secs(5), || {
            processes_running(&["sleep", &nap]).is_empty()
        }),
        "signal {sig}: the probe's process outlived the run"
    );
    assert!(
        eventually(Duration::from_secs(5), || {
            std::fs::read_dir(dir.path())
                .unwrap()
                .flatten()
                .all(|e| !e.file_name().to_string_lossy().starts_with("xpr-scratch-"))
        }),
        "signal {sig}: the scratch root was left behind"
    );
}

#[test]
fn audit_state_is_restored_after_every_fatal_signal_and_sigkill() {
    require_observer();
    for sig in [
        libc::SIGINT,
        libc::SIGTERM,
        libc::SIGHUP,
        libc::SIGQUIT,
        libc::SIGPIPE,
        libc::SIGUSR1,
        libc::SIGALRM,
        libc::SIGKILL,
    ] {
        with_audit_off(|| interrupt_an_observed_run(sig));
    }
}

/// Observer sessions are one per host: a run that finds another session's lock taken waits
/// for it instead of switching audit on under it (the second run would otherwise take the
/// first one's `enabled=1` for the state to restore, or lose its records when the first
/// switched audit off).
#[test]
fn a_second_observed_run_waits_for_the_first_session_to_end() {
    require_observer();
    with_audit_off(|| {
        let held = xpr::sys::fs::lock_exclusive(Path::new("/run/xpr-audit.lock"))
            .expect("the host observer lock");
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("quick.kdl");
        std::fs::write(
            &file,
            "experiment \"quick\" {\n    lanes scenario\n}\nprofile open {\n    default allow\n}\nprobe r family=file-read target=\"/etc/hostname\"\n",
        )
        .unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_xpr"))
            .args(["run", "--observer", "audit", "--out"])
            .arg(dir.path().join("out"))
            .arg(&file)
            .env("TMPDIR", dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("xpr run starts");
        // While the lock is held the run neither finishes nor switches audit on.
        let waited = Instant::now();
        while waited.elapsed() < Duration::from_secs(2) {
            assert_eq!(
                current_status().unwrap().enabled,
                0,
                "audit switched on under a held lock"
            );
            assert!(
                child.try_wait().unwrap().is_none(),
                "the run did not wait for the lock"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        drop(held);
        let status = child.wait().expect("xpr run ends");
        assert!(
            status.success(),
            "the run goes on once the lock is free: {status}"
        );
        assert_eq!(current_status().unwrap().enabled, 0, "audit restored");
    });
}
