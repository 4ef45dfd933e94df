//! `xpr run` end to end: exit codes, the bundle, and cleanup after Ctrl-C.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::support::{Xpr, interrupt, wait_for};

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

    let xpr = || Xpr::new().env("TMPDIR", tmp.path());
    let stdout = xpr()
        .args(["run", "tests/run/small.kdl", "--out", o])
        .run()
        .success()
        .stdout;
    assert!(
        stdout.contains("read-hosts") && stdout.contains("EACCES"),
        "{stdout}"
    );
    assert!(stdout.contains("1 allow, 1 deny"), "{stdout}");

    let mismatch = xpr()
        .args(["run", "tests/run/errno_mismatch.kdl", "--out", o])
        .run()
        .exit(1);
    assert!(mismatch.stdout.contains("MISMATCH errno_differs"));

    xpr()
        .args(["run", "tests/run/does-not-exist.kdl", "--out", o])
        .run()
        .exit(2);

    // An output root that is a file cannot hold bundles: environment failure, nothing runs.
    let file = out.path().join("not-a-dir");
    std::fs::write(&file, "").unwrap();
    xpr()
        .args(["run", "tests/run/small.kdl", "--out"])
        .arg(&file)
        .run()
        .exit(3);

    // Two complete bundles (the failed runs wrote none), each verifiable, and `latest` beside
    // each, a relative link to it.
    let bundles: Vec<PathBuf> = entries(out.path())
        .into_iter()
        .filter(|p| p.is_dir())
        .flat_map(|d| entries(&d))
        .filter(|p| !p.ends_with("latest"))
        .collect();
    for b in &bundles {
        let latest = b.parent().unwrap().join("latest");
        assert_eq!(std::fs::read_link(&latest).unwrap(), b.file_name().unwrap());
    }
    assert_eq!(bundles.len(), 2, "{bundles:?}");
    for b in &bundles {
        xpr().arg("verify").arg(b).run().success();
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
    let mut child = Xpr::new()
        .args(["run", "tests/run/hang.kdl", "--out"])
        .arg(out.path())
        .env("TMPDIR", tmp.path())
        .spawn();
    // Wait until the scratch root exists, i.e. the run is under way.
    wait_for("the run to start", Duration::from_secs(20), || {
        !entries(tmp.path()).is_empty()
    });
    std::thread::sleep(Duration::from_millis(500));
    let status = interrupt(
        &mut child,
        Duration::from_secs(20),
        "xpr did not stop after SIGINT",
    );
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

/// runtime-checks: the strict profile stops `cat` at the exec stage (dependency_denied, not a
/// deny), the shims make it runnable, and the widening they cause is reported.
#[test]
fn runtime_checks_show_dependency_denied_and_the_shims_widening() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let doc = Xpr::new()
        .env("TMPDIR", tmp.path())
        .args(["run", "../experiments/runtime-checks.kdl", "--out"])
        .arg(out.path())
        .args(["--format", "json"])
        .run()
        .success()
        .json();
    let verdict = |id: &str| {
        doc["verdicts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["id"] == id)
            .cloned()
            .unwrap_or_else(|| panic!("no verdict {id}"))
    };
    let strict = verdict("v11_read_subpath/cat-foo");
    assert_eq!(strict["verdict"], "dependency_denied");
    assert_eq!(strict["stage"], "exec");
    assert_eq!(strict["errno"]["name"], "EACCES");
    assert_eq!(verdict("v1_read/write-hosts")["errno"]["name"], "EACCES");
    assert_eq!(verdict("v11_read_subpath/read-bar")["verdict"], "deny");
    assert_eq!(
        verdict("v11_read_subpath_runnable/cat-foo")["verdict"],
        "allow"
    );
    let widened: Vec<String> = doc["shim_divergence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            format!(
                "{}/{}",
                d["profile"].as_str().unwrap(),
                d["probe"].as_str().unwrap()
            )
        })
        .collect();
    assert!(
        widened.contains(&"v11_read_subpath_runnable/read-ld-cache".to_string()),
        "{widened:?}"
    );
    assert!(entries(tmp.path()).is_empty(), "scratch left behind");
}

/// A harness that is already inside a Landlock domain cannot give faithful results: exit 3
/// before anything runs.
#[test]
fn an_already_sandboxed_harness_is_an_environment_failure() {
    assert!(
        xpr::sys::landlock::abi_version() >= 1,
        "this test needs Landlock (CONFIG_SECURITY_LANDLOCK, lsm=landlock)"
    );
    // A domain that handles only MAKE_SOCK: xpr itself runs normally inside it.
    #[repr(C)]
    struct Attr {
        fs: u64,
        net: u64,
        scoped: u64,
    }
    let attr = Attr {
        fs: 1 << 9,
        net: 0,
        scoped: 0,
    };
    // SAFETY: creating a ruleset from a struct we own.
    let ruleset = unsafe {
        libc::syscall(
            libc::SYS_landlock_create_ruleset,
            &attr as *const Attr,
            std::mem::size_of::<Attr>(),
            0u32,
        )
    } as i32;
    assert!(ruleset >= 0);
    let tmp = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    // `run`, and `shim suggest`, which runs the experiment again and again (issue 10, item 11).
    for args in [
        vec![
            "run",
            "tests/run/small.kdl",
            "--out",
            out.path().to_str().unwrap(),
        ],
        vec![
            "shim",
            "suggest",
            "../experiments/runtime-checks.kdl",
            "--profile",
            "v11_read_subpath",
        ],
    ] {
        let xpr = Xpr::new().args(&args).env("TMPDIR", tmp.path());
        // SAFETY: raw syscalls only between fork and exec.
        let xpr = unsafe {
            xpr.pre_exec(move || {
                libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
                if libc::syscall(libc::SYS_landlock_restrict_self, ruleset, 0u32) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            })
        };
        let stderr = xpr.run().exit(3).stderr;
        assert!(stderr.contains("Landlock domain"), "{args:?}: {stderr}");
        assert!(entries(tmp.path()).is_empty());
    }
    // SAFETY: closing the ruleset fd we created.
    unsafe {
        libc::close(ruleset);
    }
}
