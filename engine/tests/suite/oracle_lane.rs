//! The oracle lane on the seed experiment, against real Landlock runs: calibrated, agrees with
//! every scenario result, and the shim divergence names the probes the shims change.
//!
//! Needs Linux with Landlock (ABI ≥ 6); a kernel without it makes this FAIL with a message.

use crate::support;

use std::path::Path;

use xpr::classify::verdicts;
use xpr::compile::ProfileSandbox;
use xpr::compile::linux::{LinuxSandbox, compile};
use xpr::model::{Lane, VerdictRecord};
use xpr::oracle::{
    Calibration, DeclaredView, Prediction, attach_divergence, calibrate, predict_all,
    shim_divergence,
};
use xpr::resolve::{LoadOptions, load};
use xpr::world::{WorldFacts, WorldOptions};

fn runtime_checks() -> xpr::model::Experiment {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../experiments/runtime-checks.kdl");
    load(&path, &LoadOptions::default())
        .unwrap_or_else(|d| panic!("runtime-checks.kdl must load: {d:?}"))
        .experiment
}

#[test]
fn oracle_is_calibrated_and_agrees_with_every_scenario_result_on_runtime_checks() {
    support::require_landlock(6);
    let exp = runtime_checks();
    let world = WorldFacts::detect(&WorldOptions::default());
    let compiled: Vec<_> = exp
        .profiles
        .iter()
        .map(|p| compile(&p.id, &p.runtime, &world))
        .collect();
    let sandboxes: Vec<ProfileSandbox> = compiled
        .iter()
        .map(|c| match &c.blocked {
            Some(b) => ProfileSandbox::Blocked(b.clone()),
            None => ProfileSandbox::Ready(Box::new(LinuxSandbox {
                compiled: c.clone(),
                log_flags: 0,
            })),
        })
        .collect();
    let records = support::run(&exp, &sandboxes, &support::options());
    let mut verdicts: Vec<VerdictRecord> = verdicts(&exp, &records, world.landlock.effective_abi);
    let helper = support::helper_exe();
    let view = DeclaredView::new(&exp);
    let mut oracle = predict_all(&exp, &compiled, &view, &helper.to_string_lossy());
    let summary = calibrate(&mut oracle, &mut verdicts);
    assert_eq!(summary.calibration, Calibration::Calibrated, "{summary:?}");
    for o in &oracle {
        let v = verdicts.iter().find(|v| v.id == o.id).expect("verdict");
        assert_eq!(
            o.agrees,
            Some(true),
            "oracle {} ({}) vs scenario {:?} {:?}: {}",
            o.id,
            o.decision_text(),
            v.verdict,
            v.errno,
            o.explanation
        );
    }
    assert!(verdicts.iter().all(|v| {
        !v.mismatches
            .contains(&xpr::model::MismatchReason::OracleDisagrees)
    }));

    // A deny names the default action; an allow names the rule that grants it.
    let hosts = oracle
        .iter()
        .find(|o| o.id == "v11_read_subpath/read-hosts")
        .unwrap();
    assert_eq!(hosts.prediction, Prediction::Deny);
    assert_eq!(hosts.blockers, vec!["fs.read_file".to_string()]);
    assert!(hosts.deciding.iter().any(|d| d.rule.is_none()));
    let foo = oracle
        .iter()
        .find(|o| o.id == "v11_read_subpath/read-foo")
        .unwrap();
    assert!(
        foo.deciding
            .iter()
            .any(|d| d.text.contains("subpath") && d.origin.line > 0),
        "{foo:?}"
    );

    // Shim divergence: the runnable variant's shims open the loader cache and let cat run.
    let divergence = shim_divergence(&exp, &world, &view, &helper.to_string_lossy());
    let changed = |id: &str| {
        divergence
            .iter()
            .find(|d| d.id == id)
            .map(|d| d.change.clone())
    };
    let cache = changed("v11_read_subpath_runnable/read-ld-cache").expect("ld cache diverges");
    assert_eq!(
        (cache.source.as_str(), cache.runtime.as_str()),
        ("deny EACCES", "allow")
    );
    assert!(
        cache.rules.iter().any(|r| r.contains("shim linux-loader")),
        "{cache:?}"
    );
    let cat = changed("v11_read_subpath_runnable/cat-foo").expect("cat diverges");
    assert!(cat.source.starts_with("dependency_denied"), "{cat:?}");
    assert!(changed("v11_read_subpath_runnable/read-hosts").is_none());
    assert!(
        changed("v1_read/read-hosts").is_none(),
        "no shims, no divergence"
    );
    attach_divergence(&mut verdicts, &divergence);
    assert!(verdicts.iter().any(|v| v.shim_divergence.is_some()));
    assert!(exp.lanes.contains(&Lane::Oracle));
}
