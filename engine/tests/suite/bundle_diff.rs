//! `xpr diff`: identical runs diff empty; an ABI-7 vs ABI-3 pair reports exactly the expected
//! verdict, world-fact, vocabulary, fidelity and artifact changes.

use std::path::{Path, PathBuf};

use crate::support::Xpr;
use crate::support::bundles::*;
use xpr::bundle::{self, BundleView};
use xpr::diff::{self, Aspect, Status};
use xpr::model::{Verdict, VerdictRecord};

fn view(dir: &Path) -> BundleView {
    bundle::open(dir).unwrap().load().unwrap()
}

fn pair(tmp: &Path, abi_a: u32, abi_b: u32) -> (PathBuf, PathBuf) {
    let a = write_bundle(
        tmp,
        &World { abi: abi_a },
        &run_id(0, Some(&format!("abi{abi_a}"))),
    );
    let b = write_bundle(
        tmp,
        &World { abi: abi_b },
        &run_id(1, Some(&format!("abi{abi_b}"))),
    );
    (a, b)
}

fn xpr_diff(a: &Path, b: &Path) -> Xpr {
    Xpr::new().arg("diff").arg(a).arg(b)
}

#[test]
fn two_identical_runs_diff_empty() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = pair(tmp.path(), 7, 7);
    let d = diff::diff(&view(&a), &view(&b));
    assert!(d.identical, "{d:#?}");
    let text = xpr_diff(&a, &b).run().success().stdout;
    insta::assert_snapshot!("identical_table", text);
    let json = xpr_diff(&a.join("artifact_index.json"), &b)
        .args(["--format", "json"])
        .run()
        .success()
        .json();
    assert_eq!(json["identical"], true);
}

#[test]
fn abi7_vs_abi3_reports_exactly_the_expected_changes() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = pair(tmp.path(), 7, 3);
    let d = diff::diff(&view(&a), &view(&b));
    assert!(!d.identical);
    // Every net_deny probe that ran is now blocked; nothing else changes verdict.
    let ids: Vec<&str> = d.verdicts.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "net_deny/connect-echo",
            "net_deny/read-hosts",
            "net_deny/write-foo"
        ]
    );
    for change in &d.verdicts {
        assert_eq!(change.status, Status::Changed);
        assert_eq!(change.b.as_ref().unwrap().verdict, Verdict::Blocked);
    }
    assert!(d.outcomes.is_empty());
    let facts: Vec<&str> = d.world_facts.iter().map(|f| f.key.as_str()).collect();
    assert_eq!(
        facts,
        ["world.landlock.abi_cap", "world.landlock.effective_abi"]
    );
    assert!(d.inputs.is_empty());
    let vocab: Vec<&str> = d.vocabulary.iter().map(|v| v.name.as_str()).collect();
    assert_eq!(vocab, ["network-bind", "network-outbound", "signal"]);
    assert_eq!(d.fidelity.len(), 1);
    assert_eq!(d.fidelity[0].text, "(deny network-outbound)");
    let artifacts: Vec<&str> = d.artifacts.iter().map(|a| a.path.as_str()).collect();
    assert_eq!(
        artifacts,
        [
            "compiled/net_deny.fidelity.json",
            "compiled/net_deny.landlock.json",
            "compiled/no_write.landlock.json",
            "mismatches.jsonl",
            "stages/scenario.jsonl",
            "summary.json",
            "summary.md",
            "verdicts.jsonl",
            "vocabulary.json",
        ]
    );

    let text = xpr_diff(&a, &b).run().exit(1).stdout;
    insta::assert_snapshot!("abi7_vs_abi3_table", text);
    let json = xpr_diff(&a, &b)
        .args(["--format", "json"])
        .run()
        .exit(1)
        .stdout;
    let parsed: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(parsed["schema_version"], "xpr.diff.v1");
    insta::assert_snapshot!("abi7_vs_abi3_json", json);
}

fn with_record(v: &BundleView, id: &str, edit: impl FnOnce(&mut VerdictRecord)) -> BundleView {
    let mut v = v.clone();
    edit(v.expectations.get_mut(id).unwrap());
    v
}

#[test]
fn stage_errno_and_added_removed_expectations_are_grouped() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, _) = pair(tmp.path(), 7, 7);
    let base = view(&a);
    let eperm = with_record(&base, "no_write/write-foo", |r| {
        r.errno = Some(errno(1, "EPERM"));
    });
    let d = diff::diff(&base, &eperm);
    assert!(d.verdicts.is_empty());
    assert_eq!(d.outcomes.len(), 1);
    assert_eq!(d.outcomes[0].aspects, [Aspect::Errno]);
    let table = diff::table::render(&d);
    assert!(table.contains("stage and errno changes (1)"), "{table}");
    assert!(table.contains("deny (operation, EACCES)"), "{table}");
    assert!(table.contains("deny (operation, EPERM)"), "{table}");

    let mut fewer = base.clone();
    fewer.expectations.remove("no_write/read-hosts");
    let d = diff::diff(&base, &fewer);
    assert_eq!(d.verdicts.len(), 1);
    assert_eq!(d.verdicts[0].status, Status::Removed);
    let d = diff::diff(&fewer, &base);
    assert_eq!(d.verdicts[0].status, Status::Added);

    let detailed = with_record(&base, "net_deny/mach-lookup-cfprefsd", |r| {
        r.reason = Some("not_applicable_in_world: mach-lookup has no Linux driver".into());
    });
    let table = diff::table::render(&diff::diff(&base, &detailed));
    assert!(table.contains("[reason]"), "{table}");
    assert!(
        table.contains("mach-lookup has no Linux driver"),
        "a reason-only change shows whole: {table}"
    );

    let crashed = with_record(&base, "no_write/read-hosts", |r| {
        r.verdict = Verdict::Crashed;
        r.stage = Some(xpr::model::Stage::Exec);
    });
    let d = diff::diff(&base, &crashed);
    assert_eq!(d.verdicts[0].aspects, [Aspect::Verdict, Aspect::Stage]);
}

#[test]
fn unusable_or_tampered_bundles_are_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = pair(tmp.path(), 7, 7);
    xpr_diff(&a, &tmp.path().join("nope")).run().exit(2);
    std::fs::write(b.join("verdicts.jsonl"), "").unwrap();
    let err = xpr_diff(&a, &b).run().exit(2).stderr;
    assert!(
        err.contains("does not verify") && err.contains("verdicts.jsonl"),
        "{err}"
    );
}

#[test]
fn digests_of_different_algorithms_are_never_compared() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, _) = pair(tmp.path(), 7, 7);
    let base = view(&a);
    let mut other = base.clone();
    other.digest_algorithm = "sha256";
    other
        .artifacts
        .values_mut()
        .for_each(|d| *d = "0".repeat(64));
    let d = diff::diff(&base, &other);
    assert!(d.identical && d.artifacts.is_empty());
    assert_eq!(d.notes.len(), 1);
    let mut no_vocab = base.clone();
    no_vocab.vocabulary = None;
    let d = diff::diff(&base, &no_vocab);
    assert!(d.vocabulary.is_empty());
    assert!(d.notes[0].contains("vocabulary"));
}
