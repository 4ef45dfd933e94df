//! A run killed with SIGKILL in the middle of a probe (no destructor, no signal handler)
//! leaves no scratch directory and no bundle that `xpr verify` accepts.

use std::path::Path;
use std::time::Duration;

use crate::support::{Xpr, wait_for};

fn scratch_dirs(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with("xpr-scratch-"))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn sigkill_mid_run_leaves_no_scratch_and_no_accepted_bundle() {
    let work = tempfile::tempdir().unwrap();
    let tmp = work.path().join("tmp");
    let out = work.path().join("out");
    std::fs::create_dir(&tmp).unwrap();
    let exp = work.path().join("slow.kdl");
    std::fs::write(
        &exp,
        r#"experiment "slow" {
    lanes baseline scenario
    timeout "30s"
}
fixtures {
    file foo path="{scratch}/foo" content="foo\n"
}
profile open { default allow; }
probe nap family=exec target="/bin/sleep" {
    argv "sleep" "20"
}
"#,
    )
    .unwrap();
    let mut child = Xpr::new()
        .arg("run")
        .arg(&exp)
        .arg("--out")
        .arg(&out)
        .env("TMPDIR", &tmp)
        .spawn();
    // The run is inside its probe once the scratch root and its fixture exist.
    wait_for("the scratch root", Duration::from_secs(20), || {
        scratch_dirs(&tmp)
            .iter()
            .any(|d| tmp.join(d).join("foo").exists())
    });
    std::thread::sleep(Duration::from_millis(200));
    child.kill().unwrap(); // SIGKILL
    let status = child.wait().unwrap();
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(status.signal(), Some(libc::SIGKILL));

    wait_for(
        "the scratch root to be removed",
        Duration::from_secs(10),
        || scratch_dirs(&tmp).is_empty(),
    );
    // No bundle directory that looks complete: `xpr verify` accepts none.
    let runs = out.join("slow");
    for entry in std::fs::read_dir(&runs).into_iter().flatten().flatten() {
        let verified = Xpr::new().arg("verify").arg(entry.path()).run();
        assert!(
            !verified.status.success(),
            "{} verified after SIGKILL",
            entry.path().display()
        );
    }
}
