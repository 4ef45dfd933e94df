//! Running what you need (spec §10.1): `--profile`/`--probe` globs, `-E` filter expressions,
//! `--rerun-failed`, `--fail-fast`, several experiments in one `run`, `xpr list`, and the
//! `latest` link of `out/<experiment>`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::support::{Output, Xpr};

/// Three profiles × two probes; `a/read-hosts` fails (the profile denies what is expected).
pub(crate) const FAILING: &str = r#"
experiment "select" {
    lanes baseline scenario
}
profile a {
    default deny
}
profile b {
    default deny
}
profile open {
    default allow
}
probe read-hosts family=file-read target="/etc/hosts"
probe read-passwd family=file-read target="/etc/passwd"
expect a {
    allow read-hosts
}
expect b {
    deny read-hosts errno=EACCES
    deny read-passwd errno=EACCES
}
expect open {
    allow read-hosts
    allow read-passwd
}
"#;

struct Env {
    tmp: tempfile::TempDir,
    out: PathBuf,
    file: PathBuf,
}

impl Env {
    fn new() -> Env {
        crate::support::require_landlock(1);
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        let file = tmp.path().join("select.kdl");
        std::fs::write(&file, FAILING).unwrap();
        Env { tmp, out, file }
    }

    fn xpr(&self, args: &[&str]) -> Output {
        Xpr::new()
            .args(args)
            .env("TMPDIR", self.tmp.path())
            .env_remove("COLUMNS")
            .run()
    }

    /// `xpr run FILE --out OUT --format json EXTRA...`: the exit status and the report lines.
    fn run(&self, extra: &[&str]) -> (Option<i32>, Vec<Value>, String) {
        let mut args = vec![
            "run",
            self.file.to_str().unwrap(),
            "--out",
            self.out.to_str().unwrap(),
            "--format",
            "json",
        ];
        args.extend(extra);
        let o = self.xpr(&args);
        let docs = o
            .stdout
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        (o.code(), docs, o.stderr)
    }

    fn runs(&self) -> Vec<PathBuf> {
        let dir = self.out.join("select");
        let mut runs: Vec<PathBuf> = std::fs::read_dir(&dir)
            .map(|d| d.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        runs.retain(|p| !p.ends_with("latest"));
        runs.sort();
        runs
    }
}

fn ids(report: &Value) -> BTreeSet<String> {
    report["verdicts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["id"].as_str().unwrap().to_string())
        .collect()
}

fn set(ids: &[&str]) -> BTreeSet<String> {
    ids.iter().map(|s| s.to_string()).collect()
}

/// The (profile, probe) pairs that have a scenario stage record in the bundle.
fn scenario_pairs(bundle: &Path) -> BTreeSet<String> {
    std::fs::read_to_string(bundle.join("stages/scenario.jsonl"))
        .unwrap()
        .lines()
        .map(|l| {
            let r: Value = serde_json::from_str(l).unwrap();
            format!(
                "{}/{}",
                r["profile"].as_str().unwrap(),
                r["probe"].as_str().unwrap()
            )
        })
        .collect()
}

#[test]
fn globs_and_filters_run_exactly_the_selected_pairs() {
    let env = Env::new();
    let (code, docs, err) = env.run(&["--profile", "{a,b}", "--probe", "read-h*"]);
    assert_eq!(code, Some(1), "{err}");
    assert_eq!(ids(&docs[0]), set(&["a/read-hosts", "b/read-hosts"]));
    assert_eq!(docs[0]["selection"]["pairs"], 2);
    assert_eq!(docs[0]["selection"]["total"], 6);

    // Not a product of profiles and probes: the other pairs of the product never run.
    let (code, docs, err) = env.run(&[
        "-E",
        "profile(b) & probe(read-passwd) | id(open/read-hosts)",
    ]);
    assert_eq!(code, Some(0), "{err}");
    let want = set(&["b/read-passwd", "open/read-hosts"]);
    assert_eq!(ids(&docs[0]), want);
    let bundle = PathBuf::from(docs[0]["bundle"].as_str().unwrap());
    assert_eq!(scenario_pairs(&bundle), want, "no unselected pair ran");
    let summary: Value =
        serde_json::from_slice(&std::fs::read(bundle.join("summary.json")).unwrap()).unwrap();
    assert_eq!(
        summary["selection"]["expression"],
        "profile(b) & probe(read-passwd) | id(open/read-hosts)"
    );
    let junit = env.tmp.path().join("junit.xml");
    let (_, docs, _) = env.run(&[
        "-E",
        "!expected | known",
        "--junit",
        junit.to_str().unwrap(),
    ]);
    assert_eq!(ids(&docs[0]), set(&["a/read-passwd"]));
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(
        xml.contains("tests=\"0\""),
        "no expectation, no test case: {xml}"
    );
}

#[test]
fn a_selection_that_names_nothing_is_a_usage_error_with_the_closest_name() {
    let env = Env::new();
    for (args, says) in [
        (&["--profile", "opne"][..], "did you mean `open`?"),
        (
            &["--probe", "read-shadow"],
            "no probe of experiment `select` matches",
        ),
        (&["-E", "family(file-wirte)"], "did you mean `file-read`?"),
        (
            &["-E", "profile(a) & probe(read-passwd) & expected"],
            "selects no pair",
        ),
        (&["-E", "profile(a"], "expected `)`"),
    ] {
        let (code, docs, err) = env.run(args);
        assert_eq!(code, Some(2), "{args:?}: {err}");
        assert!(docs.is_empty());
        assert!(err.contains(says), "{args:?}: {err}");
    }
    assert!(env.runs().is_empty(), "nothing ran, nothing was written");
}

#[test]
fn rerun_failed_runs_what_failed_in_a_verified_bundle() {
    let env = Env::new();
    // No run yet: nothing to take the failures from.
    let (code, _, err) = env.run(&["--rerun-failed"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("no earlier run"), "{err}");

    let (code, docs, _) = env.run(&[]);
    assert_eq!(code, Some(1));
    assert_eq!(docs[0]["summary"]["mismatched"], 1);
    let first = env.runs();
    assert_eq!(first.len(), 1);

    let (code, docs, err) = env.run(&["--rerun-failed"]);
    assert_eq!(code, Some(1), "{err}");
    assert_eq!(ids(&docs[0]), set(&["a/read-hosts"]));
    let reference = first[0].file_name().unwrap().to_str().unwrap();
    assert_eq!(docs[0]["selection"]["reference"], reference);

    // Combined with a filter, and from a named bundle.
    let named = format!("--rerun-failed={}", first[0].display());
    let (code, docs, _) = env.run(&[&named, "-E", "profile(a)"]);
    assert_eq!(code, Some(1));
    assert_eq!(ids(&docs[0]), set(&["a/read-hosts"]));

    // A bundle that does not verify is not evidence of what failed.
    std::fs::write(first[0].join("summary.md"), "edited\n").unwrap();
    let (code, _, err) = env.run(&[&named]);
    assert_eq!(code, Some(2));
    assert!(err.contains("does not verify"), "{err}");

    // A run of another experiment is refused; a run without failures leaves nothing to do.
    env.xpr(&[
        "run",
        "tests/run/small.kdl",
        "--out",
        env.out.to_str().unwrap(),
    ])
    .success();
    let other = format!(
        "--rerun-failed={}",
        env.out.join("cli-small/latest").display()
    );
    let (code, _, err) = env.run(&[&other]);
    assert_eq!(code, Some(2));
    assert!(err.contains("not of `select`"), "{err}");
    let again = env
        .xpr(&[
            "run",
            "tests/run/small.kdl",
            "--out",
            env.out.to_str().unwrap(),
            "--rerun-failed",
        ])
        .success();
    assert!(again.stderr.as_str().contains("nothing to re-run"));
}

#[test]
fn several_experiments_one_summary_the_worst_status_and_fail_fast() {
    let env = Env::new();
    let out = env.out.to_str().unwrap();
    let file = env.file.to_str().unwrap();
    let all = env.xpr(&[
        "run",
        "tests/run/small.kdl",
        file,
        "tests/run/missing.kdl",
        "--out",
        out,
    ]);
    let all = all.exit(2); // invalid input is the worst here
    let text = all.stdout.as_str();
    assert!(
        text.contains(
            "3 experiments: 1 passed, 1 failed: select (1 mismatched), 1 stopped with an error"
        ),
        "{text}"
    );
    assert_eq!(
        env.runs().len(),
        1,
        "the failing experiment still wrote its bundle"
    );

    // --fail-fast: the first failure stops the run inside the experiment, and the next
    // experiment never starts.
    let ff = env.xpr(&[
        "run",
        file,
        "tests/run/small.kdl",
        "--out",
        out,
        "-j",
        "1",
        "--fail-fast",
    ]);
    let ff = ff.exit(1);
    let text = ff.stdout.as_str();
    assert!(text.contains("1 not run"), "{text}");
    let err = ff.stderr.as_str();
    assert!(
        err.contains("--fail-fast: stopped after a/read-hosts failed"),
        "{err}"
    );
    let summary = |b: &PathBuf| -> Value {
        serde_json::from_slice(&std::fs::read(b.join("summary.json")).unwrap()).unwrap()
    };
    let bundle = env
        .runs()
        .into_iter()
        .find(|b| summary(b)["fail_fast_stopped_at"] == "a/read-hosts")
        .expect("the fail-fast run says where it stopped");
    assert!(
        scenario_pairs(&bundle).len() < 6,
        "profiles after the failure did not run"
    );
}

#[test]
fn list_shows_declarations_and_what_a_selection_selects() {
    let env = Env::new();
    let file = env.file.to_str().unwrap();
    let text = env
        .xpr(&["list", file, "-E", "profile(b)"])
        .success()
        .stdout;
    for needle in [
        "profiles (3)",
        "probes (2)",
        "expectations (5)",
        "b/read-hosts",
        "deny EACCES",
    ] {
        assert!(text.contains(needle), "{needle}: {text}");
    }
    assert!(
        text.contains("selected: 2 of 6 pairs (profile(b))"),
        "{text}"
    );
    let doc = env
        .xpr(&["list", file, "--format", "json"])
        .success()
        .json();
    assert_eq!(doc["schema_version"], "xpr.list.v1");
    assert_eq!(doc["selected"].as_array().unwrap().len(), 6);
    assert_eq!(doc["probes"][0]["family"], "file-read");
}

#[test]
fn latest_points_at_the_newest_run_and_is_never_followed() {
    let env = Env::new();
    env.run(&[]);
    let (_, docs, _) = env.run(&[]);
    let second = PathBuf::from(docs[0]["bundle"].as_str().unwrap());
    let latest = env.out.join("select/latest");
    assert_eq!(
        std::fs::read_link(&latest).unwrap(),
        second.file_name().unwrap(),
        "relative, to the run committed last (even within one second)"
    );
    // A link planted at `latest` is replaced, not followed.
    let victim = env.tmp.path().join("victim");
    std::fs::create_dir(&victim).unwrap();
    std::fs::remove_file(&latest).unwrap();
    std::os::unix::fs::symlink(&victim, &latest).unwrap();
    let (code, docs, _) = env.run(&[]);
    assert_eq!(code, Some(1));
    assert_eq!(std::fs::read_dir(&victim).unwrap().count(), 0);
    let third = PathBuf::from(docs[0]["bundle"].as_str().unwrap());
    assert_eq!(
        std::fs::read_link(&latest).unwrap(),
        third.file_name().unwrap()
    );
    // Something that is not a link stays as it is; the run still succeeds, with a warning.
    std::fs::remove_file(&latest).unwrap();
    std::fs::create_dir(&latest).unwrap();
    let (code, _, err) = env.run(&[]);
    assert_eq!(code, Some(1));
    assert!(err.contains("is not a link"), "{err}");
    assert!(latest.is_dir() && !latest.is_symlink());
}

#[test]
fn verify_explain_and_diff_say_what_they_want_for_a_directory_of_runs() {
    let env = Env::new();
    env.run(&[]);
    env.run(&[]);
    env.run(&[]);
    let dir = env.out.join("select");
    let runs = env.runs();
    let newest = dir.join(std::fs::read_link(dir.join("latest")).unwrap());
    for args in [
        vec!["verify", dir.to_str().unwrap()],
        vec!["explain", dir.to_str().unwrap()],
    ] {
        let err = env.xpr(&args).exit(2).stderr;
        assert!(err.contains("holds runs of an experiment"), "{err}");
        assert!(
            err.contains(newest.to_str().unwrap()),
            "names the latest: {err}"
        );
    }
    // `xpr verify out/x/*` verifies every run (and `latest`).
    let mut all: Vec<&str> = runs.iter().map(|p| p.to_str().unwrap()).collect();
    let latest = dir.join("latest");
    all.push(latest.to_str().unwrap());
    let mut args = vec!["verify"];
    args.extend(&all);
    let o = env.xpr(&args).success();
    assert_eq!(o.stdout.matches("ok: ").count(), 4);

    let mut args = vec!["diff"];
    args.extend(&all);
    let err = env.xpr(&args).exit(2).stderr;
    assert!(
        err.contains("compares two bundles, A and B; 4 given"),
        "{err}"
    );
    assert!(
        err.contains(&format!("xpr diff {} {}", all[1], all[2])),
        "the last two runs: {err}"
    );
    let err = env.xpr(&["diff", dir.to_str().unwrap()]).exit(2).stderr;
    assert!(err.contains("holds runs; name two of them"), "{err}");
}
