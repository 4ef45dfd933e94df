//! `xpr explain` on a real bundle of the seed experiment run with `--observer audit`: one
//! result with both lanes, the oracle's deciding rule and the audit witness; and every mismatch.
//! Needs root, audit and Landlock ABI 7 (FAILS with the reason otherwise).

use crate::support;
use crate::support::Xpr;

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

// ---- A crafted bundle (issue 10, item 7) ----

/// A verifying bundle whose first verdict names a profile that climbs out of the bundle, and
/// a fidelity report planted where that path leads.
fn crafted() -> (tempfile::TempDir, std::path::PathBuf, String) {
    use crate::support::bundles::*;
    let tmp = tempfile::tempdir().unwrap();
    let dir = write_bundle(tmp.path(), &World { abi: 7 }, &run_id(0, None));
    let verdicts = std::fs::read_to_string(dir.join("verdicts.jsonl")).unwrap();
    let mut first: serde_json::Value =
        serde_json::from_str(verdicts.lines().next().unwrap()).unwrap();
    let id = first["id"].as_str().unwrap().to_string();
    let real = first["profile"].as_str().unwrap().to_string();
    let climb = format!(
        "../../../{}/leak",
        tmp.path().file_name().unwrap().to_str().unwrap()
    );
    first["profile"] = climb.clone().into();
    let mut text = first.to_string();
    text.push('\n');
    for line in verdicts.lines().skip(1) {
        text.push_str(line);
        text.push('\n');
    }
    rewrite_indexed(&dir, "verdicts.jsonl", text.as_bytes());
    // What a path built from the field would reach: a report full of a secret.
    let mut report: serde_json::Value = serde_json::from_slice(
        &std::fs::read(dir.join(format!("compiled/{real}.fidelity.json"))).unwrap(),
    )
    .unwrap();
    for rule in report["rules"].as_array_mut().unwrap() {
        rule["fidelity"] = "unsupported".into();
        rule["note"] = "LEAKED-SECRET".into();
    }
    let planted = dir.join("compiled").join(format!("{climb}.fidelity.json"));
    std::fs::create_dir_all(planted.parent().unwrap()).unwrap();
    std::fs::write(&planted, report.to_string()).unwrap();
    (tmp, dir, id)
}

#[test]
fn explain_never_builds_a_path_out_of_the_bundle_from_a_record() {
    let (_tmp, dir, id) = crafted();
    let (code, stdout, stderr) = Xpr::new()
        .args(["explain", dir.to_str().unwrap(), &id])
        .cwd(&dir)
        .run_bounded()
        .into_parts();
    assert_eq!(code, 0, "the crafted bundle verifies: {stderr}");
    assert!(stdout.contains(&id), "{stdout}");
    assert!(!stdout.contains("LEAKED-SECRET"), "{stdout}");
}

#[test]
fn explain_refuses_a_bundle_that_does_not_verify_unless_asked() {
    let (_tmp, dir, id) = crafted();
    std::fs::write(dir.join("extra.txt"), "x").unwrap();
    let bundle = dir.to_str().unwrap();
    let (code, stdout, stderr) = Xpr::new()
        .args(["explain", bundle, &id])
        .cwd(&dir)
        .run_bounded()
        .into_parts();
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(stdout.is_empty(), "{stdout}");
    assert!(
        stderr.contains("does not verify") && stderr.contains("--allow-unverified"),
        "{stderr}"
    );
    let (code, stdout, stderr) = Xpr::new()
        .args(["explain", bundle, &id, "--allow-unverified"])
        .cwd(&dir)
        .run_bounded()
        .into_parts();
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("warning: "), "{stderr}");
    assert!(
        stdout.contains(&id) && !stdout.contains("LEAKED-SECRET"),
        "{stdout}"
    );
    // A FIFO where the records are: refused at once, never waited on.
    std::fs::remove_file(dir.join("verdicts.jsonl")).unwrap();
    support::mkfifo(&dir.join("verdicts.jsonl"));
    let (code, _, stderr) = Xpr::new()
        .args(["explain", bundle])
        .cwd(&dir)
        .run_bounded()
        .into_parts();
    assert_eq!(code, 1, "{stderr}");
    let (code, _, _) = Xpr::new()
        .args(["explain", bundle, "--allow-unverified"])
        .cwd(&dir)
        .run_bounded()
        .into_parts();
    assert_eq!(code, 0);
}
