//! `xpr explain` on a real bundle of the seed experiment run with `--observer audit`: one
//! result with both lanes, the oracle's deciding rule and the audit witness; and every mismatch.
//! Needs root, audit and Landlock ABI 7 (FAILS with the reason otherwise).

use crate::support::{self, Xpr};

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
    let run = Xpr::new()
        .args(["run", file, "--observer", "audit", "--out", &out_dir])
        .run();
    let bundle = run
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("bundle: "))
        .unwrap_or_else(|| panic!("no bundle line from {run}"))
        .to_string();

    let text = Xpr::new()
        .args(["explain", &bundle, "v11_read_subpath/read-hosts"])
        .run()
        .success()
        .stdout;
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

    let text = Xpr::new()
        .args([
            "explain",
            &bundle,
            "v11_read_subpath_runnable/read-ld-cache",
        ])
        .run()
        .stdout;
    assert!(
        text.contains("shims:      change this probe: deny EACCES -> allow"),
        "{text}"
    );

    let text = Xpr::new().args(["explain", &bundle]).run().success().stdout;
    assert!(
        text.contains("v11_read_subpath/cat-foo  verdict dependency_denied at exec EACCES"),
        "{text}"
    );
    assert!(
        text.contains("blockers=fs.execute,fs.read_file path=\"/usr/bin/cat\""),
        "{text}"
    );
}
