//! `xpr run` end to end: exit codes, the bundle, and cleanup after Ctrl-C.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

fn xpr(args: &[&str], tmp: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xpr"))
        .args(args)
        .env("TMPDIR", tmp)
        .env("NO_COLOR", "1")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("xpr runs")
}

fn entries(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default()
}

#[test]
fn exit_codes_follow_the_expectations_and_the_environment() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let o = out.path().to_str().unwrap();

    let ok = xpr(&["run", "tests/run/small.kdl", "--out", o], tmp.path());
    let stdout = String::from_utf8_lossy(&ok.stdout);
    assert_eq!(
        ok.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(
        stdout.contains("read-hosts") && stdout.contains("EACCES"),
        "{stdout}"
    );
    assert!(stdout.contains("1 allow, 1 deny"), "{stdout}");

    let mismatch = xpr(
        &["run", "tests/run/errno_mismatch.kdl", "--out", o],
        tmp.path(),
    );
    assert_eq!(mismatch.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&mismatch.stdout).contains("MISMATCH errno_differs"));

    let invalid = xpr(
        &["run", "tests/run/does-not-exist.kdl", "--out", o],
        tmp.path(),
    );
    assert_eq!(invalid.status.code(), Some(2));

    // An output root that is a file cannot hold bundles: environment failure, nothing runs.
    let file = out.path().join("not-a-dir");
    std::fs::write(&file, "").unwrap();
    let env = xpr(
        &[
            "run",
            "tests/run/small.kdl",
            "--out",
            file.to_str().unwrap(),
        ],
        tmp.path(),
    );
    assert_eq!(env.status.code(), Some(3));

    // Two complete bundles (the failed runs wrote none), each verifiable.
    let bundles: Vec<PathBuf> = entries(out.path())
        .into_iter()
        .filter(|p| p.is_dir())
        .flat_map(|d| entries(&d))
        .collect();
    assert_eq!(bundles.len(), 2, "{bundles:?}");
    for b in &bundles {
        let v = xpr(&["verify", b.to_str().unwrap()], tmp.path());
        assert_eq!(
            v.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&v.stdout)
        );
        let records = std::fs::read_to_string(b.join("stages/scenario.jsonl")).unwrap();
        assert!(records.contains("{scratch}/foo") || !records.contains("/xpr-scratch-"));
        assert!(
            !records.contains(tmp.path().to_str().unwrap()),
            "absolute scratch path leaked"
        );
    }
    assert!(entries(tmp.path()).is_empty(), "scratch left behind");
}

#[test]
fn ctrl_c_stops_the_run_and_removes_the_scratch_root() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_xpr"))
        .args([
            "run",
            "tests/run/hang.kdl",
            "--out",
            out.path().to_str().unwrap(),
        ])
        .env("TMPDIR", tmp.path())
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("xpr starts");
    // Wait until the scratch root exists, i.e. the run is under way.
    let start = Instant::now();
    while entries(tmp.path()).is_empty() && start.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(!entries(tmp.path()).is_empty(), "run never started");
    std::thread::sleep(Duration::from_millis(500));
    // SAFETY: signalling the child we spawned.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGINT);
    }
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "xpr did not stop after SIGINT"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(status.code(), Some(3));
    assert!(
        entries(tmp.path()).is_empty(),
        "scratch left behind: {:?}",
        entries(tmp.path())
    );
    assert!(
        entries(out.path()).iter().all(|d| entries(d).is_empty()),
        "a bundle was written"
    );
}
