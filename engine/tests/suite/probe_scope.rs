//! Probe scopes (spec §2.4): a profile's `probes` list and `scope=#true` expectation blocks
//! decide which probes run under it; the plan, `check`, `run` and the bundle hold only those
//! pairs.

use crate::support::{Xpr, exclusive_run};

const SCOPED: &str = "tests/run/scoped.kdl";

#[test]
fn the_plan_holds_only_the_pairs_in_scope() {
    let plan = Xpr::new().args(["plan", SCOPED]).run().success().stdout;
    // reader 2 + writer 1 + open 3 = 6 verdicts, not 3 × 3.
    assert!(plan.contains("bundle  ← 6 verdicts"), "{plan}");
    let check = Xpr::new().args(["check", SCOPED]).run().success().stdout;
    assert!(
        check.starts_with("ok scoped: 3 profiles, 3 probes, 4 expectations"),
        "{check}"
    );
}

#[test]
fn run_reports_exactly_the_scoped_pairs() {
    let _one_at_a_time = exclusive_run();
    let tmp = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let run = Xpr::new()
        .env("TMPDIR", tmp.path())
        .args(["run", SCOPED, "--format", "json", "--out"])
        .arg(out.path())
        .run()
        .success();
    let json = run.json();
    let mut ids: Vec<String> = json["verdicts"]
        .as_array()
        .unwrap_or_else(|| panic!("verdicts in {run}"))
        .iter()
        .map(|v| v["id"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    assert_eq!(
        ids,
        [
            "open/read-hosts",
            "open/read-target",
            "open/write-target",
            "reader/read-hosts",
            "reader/read-target",
            "writer/write-target",
        ],
        "{run}"
    );

    // A result id close to one of the bundle's: "did you mean".
    let bundle = json["bundle"].as_str().unwrap();
    let typo = Xpr::new()
        .args(["explain", bundle, "reader/read-host"])
        .run()
        .exit(2);
    assert!(
        typo.stderr.contains("did you mean `reader/read-hosts`?"),
        "{typo}"
    );
    // A pair out of scope never ran, so it has no result either.
    let unscoped = Xpr::new()
        .args(["explain", bundle, "reader/write-target"])
        .run()
        .exit(2);
    assert!(
        unscoped.stderr.contains("no result `reader/write-target`"),
        "{unscoped}"
    );
}
