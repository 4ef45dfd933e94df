//! The examples as a user without privileges (`nobody`): 01, 02, 04 and 05 hold; 03's exec
//! probe is `blocked` with the reason that names what it needs (its own PID namespace, which
//! needs CAP_SYS_ADMIN), and every other expectation of 03 holds. README, "Requirements", says
//! the same.

use std::os::unix::fs::chown;
use std::path::{Path, PathBuf};

use crate::support::Xpr;

use crate::support::NOBODY;

/// `xpr` and the directory holding `examples/`, as nobody can reach them.
struct Reachable {
    xpr: PathBuf,
    root: PathBuf,
}

fn reachable(home: &Path) -> Reachable {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples")
        .canonicalize()
        .unwrap();
    let examples = crate::support::for_others(&examples, home);
    Reachable {
        xpr: crate::support::for_others(&crate::support::helper_exe(), home),
        root: examples.parent().unwrap().to_path_buf(),
    }
}

fn run_as_nobody(
    example: &str,
    at: &Reachable,
    home: &Path,
) -> (Option<i32>, serde_json::Value, String) {
    let out = Xpr::program(&at.xpr)
        .args(["run", example, "--format", "json", "--out"])
        .arg(home.join("out"))
        .env("TMPDIR", home)
        .cwd(&at.root)
        .user(NOBODY)
        .run();
    let report = serde_json::from_str(&out.stdout).unwrap_or_default();
    (out.code(), report, out.stderr)
}

#[test]
fn the_examples_hold_for_a_user_without_privileges() {
    crate::support::require_landlock(1);
    // SAFETY: geteuid has no preconditions.
    assert_eq!(
        unsafe { libc::geteuid() },
        0,
        "this test needs root to run the examples as nobody (uid {NOBODY})"
    );
    let home = tempfile::tempdir().unwrap();
    chown(home.path(), Some(NOBODY), Some(NOBODY)).unwrap();
    let at = reachable(home.path());
    for example in [
        "examples/01-first-experiment.kdl",
        "examples/02-fixtures-and-params.kdl",
        "examples/04-lanes-and-worlds.kdl",
        "examples/05-sbpl-profiles.kdl",
    ] {
        let (code, report, err) = run_as_nobody(example, &at, home.path());
        assert_eq!(code, Some(0), "{example} as nobody: {report}\n{err}");
    }
    let (code, report, err) = run_as_nobody("examples/03-variants-and-shims.kdl", &at, home.path());
    assert_eq!(code, Some(1), "{err}");
    let failures: Vec<&str> = report["summary"]["failures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    assert_eq!(failures, ["strict_runnable/cat-hosts"], "{report}");
    let cat = report["verdicts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["id"] == "strict_runnable/cat-hosts")
        .unwrap();
    assert_eq!(cat["verdict"], "blocked");
    let reason = cat["reason"].as_str().unwrap();
    assert!(
        reason.contains("PID namespace") && reason.contains("CAP_SYS_ADMIN"),
        "the reason says what is needed: {reason}"
    );
}
