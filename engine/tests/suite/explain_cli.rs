//! `xpr explain` on a real bundle of the seed experiment run with `--observer audit`: one
//! result with both lanes, the oracle's deciding rule and the audit witness; and every mismatch.
//! Needs root, audit and Landlock ABI 7 (FAILS with the reason otherwise).

use crate::support;

use std::process::Command;

fn xpr(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(support::helper_exe())
        .args(args)
        .output()
        .expect("xpr runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn explain_shows_both_lanes_oracle_witness_and_shims() {
    let world = xpr::world::WorldFacts::detect(&xpr::world::WorldOptions::default());
    if let Some(why) = xpr::observe::unavailable_reason(world.landlock.effective_abi) {
        panic!("this test needs the audit observer: {why}");
    }
    let _run = support::exclusive_run(); // the run switches audit on and off
    let out = tempfile::tempdir().unwrap();
    let file = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../experiments/runtime-checks.kdl"
    );
    let out_dir = out.path().to_string_lossy().into_owned();
    let (_, stdout, stderr) = xpr(&["run", file, "--observer", "audit", "--out", &out_dir]);
    let bundle = stdout
        .lines()
        .find_map(|l| l.strip_prefix("bundle: "))
        .unwrap_or_else(|| panic!("no bundle line: {stdout}\n{stderr}"))
        .to_string();

    let (code, text, _) = xpr(&["explain", &bundle, "v11_read_subpath/read-hosts"]);
    assert_eq!(code, 0);
    for want in [
        "verdict deny at operation EACCES",
        "baseline:   apply none · exec ok · operation allow",
        "scenario:   apply ok · exec ok · operation deny EACCES (13)",
        "oracle:     deny EACCES at operation",
        "[calibrated; agrees with the scenario]",
        "deciding:",
        "blockers=fs.read_file path=\"/etc/hosts\"",
        "the kernel's audit log witnessed the denial",
    ] {
        assert!(text.contains(want), "missing `{want}` in:\n{text}");
    }

    let (_, text, _) = xpr(&[
        "explain",
        &bundle,
        "v11_read_subpath_runnable/read-ld-cache",
    ]);
    assert!(
        text.contains("shims:      change this probe: deny EACCES -> allow"),
        "{text}"
    );

    let (code, text, _) = xpr(&["explain", &bundle]);
    assert_eq!(code, 0);
    assert!(
        text.contains("v11_read_subpath/cat-foo  verdict dependency_denied at exec EACCES"),
        "{text}"
    );
    assert!(
        text.contains("blockers=fs.execute,fs.read_file path=\"/usr/bin/cat\""),
        "{text}"
    );
}
