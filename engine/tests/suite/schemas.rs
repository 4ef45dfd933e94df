//! The JSON Schemas in `schemas/` describe what xpr really writes: every JSON artifact of a real
//! bundle and every `--format json` output of real commands is validated against its schema
//! (`jsonschema`), and every schema file is used by some output.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::support::{Output, Xpr};

const BASE: &str = "https://schemas.xpr.invalid/";

fn schema_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../schemas")
}

/// Every schema, registered under its `$id` so the `$ref`s between them resolve offline.
pub(crate) struct Schemas {
    files: Vec<(String, Value)>,
    used: std::cell::RefCell<BTreeSet<String>>,
}

impl Schemas {
    pub(crate) fn load() -> Schemas {
        let mut files: Vec<(String, Value)> = std::fs::read_dir(schema_dir())
            .expect("schemas/ beside engine/")
            .flatten()
            .map(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                let text = std::fs::read_to_string(e.path()).unwrap();
                let value: Value = serde_json::from_str(&text)
                    .unwrap_or_else(|err| panic!("{name} is not JSON: {err}"));
                assert_eq!(value["$id"], format!("{BASE}{name}"), "{name}: $id");
                (name, value)
            })
            .collect();
        files.sort_by(|a, b| a.0.cmp(&b.0));
        Schemas {
            files,
            used: Default::default(),
        }
    }

    fn validator(&self, name: &str) -> jsonschema::Validator {
        let schema = &self
            .files
            .iter()
            .find(|(n, _)| n == name)
            .unwrap_or_else(|| panic!("no schemas/{name}"))
            .1;
        let registry = jsonschema::Registry::new()
            .extend(
                self.files
                    .iter()
                    .map(|(n, v)| (format!("{BASE}{n}"), v.clone())),
            )
            .and_then(|r| r.prepare())
            .unwrap_or_else(|e| panic!("the schemas do not register: {e}"));
        jsonschema::options()
            .offline()
            .with_registry(&registry)
            .build(schema)
            .unwrap_or_else(|e| panic!("schemas/{name} does not compile: {e}"))
    }

    /// Validates `doc` (named `what` in failures) against `schemas/<name>`.
    pub(crate) fn check(&self, name: &str, what: &str, doc: &Value) {
        let validator = self.validator(name);
        let errors: Vec<String> = validator
            .iter_errors(doc)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(
            errors.is_empty(),
            "{what} against {name}:\n{}",
            errors.join("\n")
        );
        self.used.borrow_mut().insert(name.to_string());
    }

    /// The schema file of an artifact's schema string, `xpr.verdicts.v1` → `verdicts.v1.json`.
    fn file_of(schema: &str) -> String {
        format!("{}.json", schema.trim_start_matches("xpr."))
    }
}

fn xpr(args: &[&str], tmp: &Path) -> Output {
    Xpr::new().args(args).env("TMPDIR", tmp).run()
}

/// stdout as JSON documents: one, or one per line.
fn documents(out: &Output) -> Vec<Value> {
    let text = &out.stdout;
    match serde_json::from_str::<Value>(text) {
        Ok(v) => vec![v],
        Err(_) => text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
            .collect(),
    }
}

/// Validates every JSON and JSON Lines artifact of a bundle against the schema its index names.
fn check_bundle(schemas: &Schemas, bundle: &Path) {
    let index: Value =
        serde_json::from_slice(&std::fs::read(bundle.join("artifact_index.json")).unwrap())
            .unwrap();
    schemas.check("artifact_index.v1.json", "artifact_index.json", &index);
    for entry in index["artifacts"].as_array().unwrap() {
        let path = entry["path"].as_str().unwrap();
        let schema = entry["schema_version"].as_str().unwrap();
        let text = std::fs::read_to_string(bundle.join(path)).unwrap_or_default();
        let file = Schemas::file_of(schema);
        if path.ends_with(".jsonl") {
            for (n, line) in text.lines().enumerate() {
                let doc: Value = serde_json::from_str(line).unwrap();
                schemas.check(&file, &format!("{path}:{}", n + 1), &doc);
            }
            schemas.used.borrow_mut().insert(file);
        } else if path.ends_with(".json") {
            schemas.check(&file, path, &serde_json::from_str(&text).unwrap());
        }
    }
}

#[test]
fn real_artifacts_and_json_outputs_match_the_published_schemas() {
    crate::support::require_landlock(1);
    let schemas = Schemas::load();
    let tmp = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let o = out.path().to_str().unwrap();
    let t = tmp.path();

    // A full run with the oracle lane, shims and SBPL profiles, one with the mount mechanism
    // (root), and a subset of another.
    let run = xpr(
        &[
            "run",
            "../experiments/runtime-checks.kdl",
            "../experiments/agent-sandbox-srt.kdl",
            "--out",
            o,
            "--format",
            "json",
        ],
        t,
    )
    .success();
    let subset = xpr(
        &[
            "run",
            "tests/run/errno_mismatch.kdl",
            "tests/run/small.kdl",
            "--out",
            o,
            "--format",
            "json",
            "-E",
            "probe(read-hosts)",
        ],
        t,
    )
    .exit(1);
    let reports: Vec<Value> = documents(&run)
        .into_iter()
        .chain(documents(&subset))
        .collect();
    assert_eq!(reports.len(), 4, "one line per experiment");
    for report in &reports {
        schemas.check("run_report.v1.json", "run --format json", report);
        check_bundle(&schemas, Path::new(report["bundle"].as_str().unwrap()));
    }
    assert!(reports[2]["selection"]["expression"] == "probe(read-hosts)");
    let bundle = reports[0]["bundle"].as_str().unwrap().to_string();
    let mismatched = reports[2]["bundle"].as_str().unwrap().to_string();
    let matrix_dir = out.path().join("matrix");
    let matrix_dir = matrix_dir.to_str().unwrap();

    for (args, schema) in [
        (
            vec![
                "check",
                "../experiments/runtime-checks.kdl",
                "tests/broken/bad_errno.kdl",
            ],
            "check.v1.json",
        ),
        (
            vec!["list", "../experiments/runtime-checks.kdl", "-E", "control"],
            "list.v1.json",
        ),
        (vec!["explain", &mismatched], "explain.v1.json"),
        (
            vec!["explain", &bundle, "v1_read/read-hosts"],
            "explain.v1.json",
        ),
        (
            vec!["verify", &bundle, &mismatched],
            "verify_report.v1.json",
        ),
        (vec!["diff", &bundle, &bundle], "diff.v1.json"),
        (
            vec!["plan", "../experiments/runtime-checks.kdl"],
            "plan.v1.json",
        ),
        (vec!["world"], "world.v1.json"),
        (vec!["worlds"], "worlds.v1.json"),
        (
            vec!["matrix", "--out", matrix_dir, "--from", &bundle],
            "matrix.v1.json",
        ),
    ] {
        let mut args = args.clone();
        args.extend(["--format", "json"]);
        let output = xpr(&args, t);
        let docs = documents(&output);
        assert!(!docs.is_empty(), "{output}");
        for doc in docs {
            schemas.check(schema, &args.join(" "), &doc);
        }
    }

    // The matrix's own file is the document its `--format json` printed.
    let written: Value =
        serde_json::from_slice(&std::fs::read(out.path().join("matrix/matrix.json")).unwrap())
            .unwrap();
    schemas.check("matrix.v1.json", "matrix.json", &written);

    // The observer's records need audit (its own test binary switches it on); the two record
    // schemas are shared through `$ref` by the others.
    let unused: Vec<&String> = schemas
        .files
        .iter()
        .map(|(n, _)| n)
        .filter(|n| !schemas.used.borrow().contains(*n))
        .filter(|n| {
            ![
                "observer_records.v1.json",
                "verdict_record.json",
                "stage_record.json",
            ]
            .contains(&n.as_str())
        })
        .collect();
    assert!(
        unused.is_empty(),
        "schemas no real output was checked against: {unused:?}"
    );
}

#[test]
fn every_json_artifact_schema_has_a_published_schema() {
    use xpr::bundle::layout::schema;
    let schemas = Schemas::load();
    let names: BTreeSet<&str> = schemas.files.iter().map(|(n, _)| n.as_str()).collect();
    for s in [
        schema::INDEX,
        schema::MANIFEST,
        schema::STAGE_RECORDS,
        schema::VERDICTS,
        schema::MISMATCHES,
        schema::ORACLE_RECORDS,
        schema::OBSERVER_RECORDS,
        schema::SHIM_DIVERGENCE,
        schema::VOCABULARY,
        schema::PROFILE_IR,
        schema::LANDLOCK_PLAN,
        schema::FIDELITY,
        schema::MOUNT_PLAN,
        schema::SUMMARY,
    ] {
        assert!(
            names.contains(Schemas::file_of(s).as_str()),
            "no schema for {s}"
        );
    }
}

#[test]
fn a_schema_rejects_what_it_does_not_describe() {
    let schemas = Schemas::load();
    let validator = schemas.validator("verdicts.v1.json");
    let good = serde_json::json!({"schema_version": "xpr.verdicts.v1", "id": "p/q", "profile": "p",
        "probe": "q", "verdict": "deny", "evidence": "syscall"});
    assert!(validator.is_valid(&good));
    for bad in [
        serde_json::json!({"schema_version": "xpr.verdicts.v1", "id": "p/q", "profile": "p",
            "probe": "q", "verdict": "denied", "evidence": "syscall"}),
        serde_json::json!({"schema_version": "xpr.verdicts.v2", "id": "p/q", "profile": "p",
            "probe": "q", "verdict": "deny", "evidence": "syscall"}),
        serde_json::json!({"schema_version": "xpr.verdicts.v1", "id": "p/q", "profile": "p",
            "probe": "q", "verdict": "deny", "evidence": "syscall", "surprise": 1}),
    ] {
        assert!(!validator.is_valid(&bad), "{bad}");
    }
}
