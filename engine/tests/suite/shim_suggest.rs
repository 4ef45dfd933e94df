//! `xpr shim suggest` on the seed experiment's strict bucket-5 profile: the suggested shim,
//! pasted into a copy of the experiment, makes the dynamically linked `cat` probe runnable and
//! leaves the decisions on /etc/hosts, foo and bar as they were. Both methods: audit records
//! (needs root and Landlock ABI 7) and delta debugging without audit.

use crate::support;

use std::path::Path;

use xpr::execute::ExecuteOptions;
use xpr::model::{Verdict, VerdictRecord};
use xpr::resolve::{LoadOptions, load};
use xpr::run::run_experiment;
use xpr::shim_suggest::{Method, kdl, suggest};
use xpr::world::{WorldFacts, WorldOptions};

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

fn verdict<'a>(verdicts: &'a [VerdictRecord], id: &str) -> &'a VerdictRecord {
    verdicts
        .iter()
        .find(|v| v.id == id)
        .unwrap_or_else(|| panic!("no verdict {id}"))
}

fn suggested_shim_keeps_decisions(without_audit: bool, method: Method) {
    support::require_landlock(6);
    let _run = support::exclusive_run(); // suggesting runs the experiment, with audit or not
    let world = WorldFacts::detect(&WorldOptions::default());
    let experiments = Path::new(env!("CARGO_MANIFEST_DIR")).join("../experiments");
    let exp = load(
        &experiments.join("runtime-checks.kdl"),
        &LoadOptions::default(),
    )
    .expect("loads")
    .experiment;
    let options = support::options();
    let s = suggest(&exp, "v11_read_subpath", &world, &options, without_audit).expect("suggests");
    assert_eq!(s.method, method);
    assert!(s.verified, "{s:?}");
    assert_eq!(s.probes, vec!["cat-foo".to_string()]);
    assert!(
        s.rules.iter().all(|r| !r.path.contains("{scratch}")),
        "never a probe's own path: {s:?}"
    );
    let shim = kdl(&s);

    // Paste it into a copy of the experiment as a variant of the strict profile.
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&experiments, dir.path());
    let file = dir.path().join("runtime-checks.kdl");
    let mut text = std::fs::read_to_string(&file).unwrap();
    text.push_str(&shim);
    text.push_str(&format!(
        "profile v11_read_subpath_suggested extends=v11_read_subpath {{\n    shim {}\n}}\n",
        s.shim_name
    ));
    std::fs::write(&file, text).unwrap();
    let exp = load(&file, &LoadOptions::default())
        .unwrap_or_else(|d| panic!("the suggested shim must load: {d:?}\n{shim}"))
        .experiment;
    let result = run_experiment(&exp, &world, &ExecuteOptions { ..options }).expect("runs");
    let v = &result.verdicts;
    assert_eq!(
        verdict(v, "v11_read_subpath/cat-foo").verdict,
        Verdict::DependencyDenied
    );
    assert_eq!(
        verdict(v, "v11_read_subpath_suggested/cat-foo").verdict,
        Verdict::Allow,
        "{shim}"
    );
    for probe in [
        "read-hosts",
        "read-foo",
        "read-bar",
        "write-hosts",
        "write-foo",
    ] {
        let before = verdict(v, &format!("v11_read_subpath/{probe}"));
        let after = verdict(v, &format!("v11_read_subpath_suggested/{probe}"));
        assert_eq!(
            (before.verdict, &before.errno),
            (after.verdict, &after.errno),
            "{probe} changed under the suggested shim:\n{shim}"
        );
    }
    assert_eq!(
        verdict(v, "v11_read_subpath_suggested/read-hosts").verdict,
        Verdict::Deny
    );
    assert_eq!(
        verdict(v, "v11_read_subpath_suggested/read-bar").verdict,
        Verdict::Deny
    );
    assert_eq!(
        verdict(v, "v11_read_subpath_suggested/read-foo").verdict,
        Verdict::Allow
    );
}

#[test]
fn suggested_shim_from_audit_records_makes_cat_runnable_without_changing_decisions() {
    let world = WorldFacts::detect(&WorldOptions::default());
    if let Some(why) = xpr::observe::unavailable_reason(world.landlock.effective_abi) {
        panic!("this test needs the audit observer: {why}");
    }
    suggested_shim_keeps_decisions(false, Method::AuditRecords);
}

#[test]
fn suggested_shim_by_delta_debugging_makes_cat_runnable_without_changing_decisions() {
    suggested_shim_keeps_decisions(true, Method::DeltaDebugging);
}
