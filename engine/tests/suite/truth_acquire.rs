//! Truth cases for acquisition timing (`acquire=before`, spec §2.7 and §5.1), each from a real
//! run: verdict, deciding stage and errno, what the record says about the acquisition, and the
//! oracle's prediction of every case.

use crate::support::*;
use xpr::model::{Acquire, Lane, Stage, Verdict};

const PATH: &str = "tests/truth/acquire.kdl";

#[test]
fn descriptors_acquired_before_apply_keep_what_was_checked_at_acquisition() {
    require_landlock(6);
    let r = run_file(PATH, None);
    assert!(
        r.summary.passed(),
        "{PATH}: failing expectations: {:?}",
        r.summary.failures
    );
    use Verdict::*;
    let op = Some(Stage::Operation);
    let cases: &[(&str, &str, Verdict, Option<&str>)] = &[
        // Checked when the file is opened: a descriptor opened before keeps its access.
        ("nothing", "read-f", Deny, Some("EACCES")),
        ("nothing", "read-f-before", Allow, None),
        ("nothing", "list-d", Deny, Some("EACCES")),
        ("nothing", "list-d-before", Allow, None),
        ("nothing", "write-f", Deny, Some("EACCES")),
        ("nothing", "write-f-before", Allow, None),
        ("nothing", "sysctl", Deny, Some("EACCES")),
        ("nothing", "sysctl-before", Allow, None),
        // Truncate and device ioctl rights are taken at open time too.
        ("nothing", "truncate-fd", Deny, Some("EACCES")),
        ("nothing", "truncate-fd-before", Allow, None),
        ("reads", "truncate-fd-before", Allow, None),
        ("reads", "ioctl", Deny, Some("EACCES")),
        ("reads", "ioctl-before", Allow, None),
        ("nothing", "ioctl-before", Allow, None),
        // Truncating by path is checked at the call, whatever was opened before.
        ("nothing", "truncate-path-before", Deny, Some("EACCES")),
        ("writes_d", "truncate-path-before", Allow, None),
        // TCP and abstract sockets: checked at connect/bind, which happened before.
        ("nothing", "connect-svc", Deny, Some("EACCES")),
        ("nothing", "connect-svc-before", Allow, None),
        ("nothing", "bind", Deny, Some("EACCES")),
        ("nothing", "bind-before", Allow, None),
        ("nothing", "unix", Deny, Some("EPERM")),
        ("nothing", "unix-before", Allow, None),
        // A pidfd acquired before does not carry a signal across the scope.
        ("nothing", "signal-outsider", Deny, Some("EPERM")),
        ("nothing", "signal-outsider-before", Deny, Some("EPERM")),
        ("nothing", "signal-self-before", Allow, None),
        // A directory opened before grants nothing for its entries.
        ("nothing", "create-in-d-before", Deny, Some("EACCES")),
        ("reads", "create-in-d-before", Deny, Some("EACCES")),
        ("nothing", "mkdir-in-d-before", Deny, Some("EACCES")),
        ("nothing", "unlink-f-before", Deny, Some("EACCES")),
        ("nothing", "rename-f-before", Deny, Some("EACCES")),
        ("writes_d", "create-in-d-before", Allow, None),
        ("writes_d", "rename-f-before", Allow, None),
    ];
    for (profile, probe, verdict, errno) in cases {
        let v = r
            .verdicts
            .iter()
            .find(|v| v.profile == *profile && v.probe == *probe)
            .unwrap_or_else(|| panic!("no verdict for {profile}/{probe}"));
        assert_eq!(
            (
                v.verdict,
                v.stage,
                v.errno.as_ref().map(|e| e.name.as_str())
            ),
            (*verdict, op, *errno),
            "{profile}/{probe}: {v:?}"
        );
        assert_eq!(v.baseline, Some(Allow), "{profile}/{probe}");
    }
    // The record says which form ran; a probe that does not say is the usual form.
    let record = |probe: &str| find(&r.records, Lane::Scenario, Some("nothing"), probe);
    assert_eq!(record("read-f-before").acquire, Some(Acquire::Before));
    assert_eq!(record("read-f").acquire, None);
    // The oracle agrees with every case it models. Whether a port is free is the host's
    // business (spec §5.3), so a bind it cannot see denied stays `unmodeled`, never a guess.
    for o in &r.lanes.oracle {
        if o.prediction == xpr::oracle::Prediction::Unmodeled {
            assert!(o.explanation.contains("is free"), "{}: {o:?}", o.id);
            continue;
        }
        assert_eq!(o.agrees, Some(true), "{}: {o:?}", o.id);
    }
    // It says why a descriptor acquired before keeps its access, and why a directory does not.
    let oracle = |profile: &str, probe: &str| {
        r.lanes
            .oracle
            .iter()
            .find(|o| o.profile == profile && o.probe == probe)
            .unwrap_or_else(|| panic!("no oracle record for {profile}/{probe}"))
    };
    let kept = oracle("nothing", "ioctl-before");
    assert_eq!(kept.prediction, xpr::oracle::Prediction::Allow, "{kept:?}");
    assert!(
        kept.explanation.contains("acquired before apply"),
        "{kept:?}"
    );
    let entry = oracle("nothing", "create-in-d-before");
    assert_eq!(entry.prediction, xpr::oracle::Prediction::Deny, "{entry:?}");
    assert_eq!(entry.stage, op, "{entry:?}");
}

/// A failed acquisition is the probe's result, marked as happening before any sandbox.
#[test]
fn a_failed_acquisition_says_it_happened_before_apply() {
    require_landlock(1);
    let r = run_text(
        "missing.kdl",
        r#"
experiment "missing" {
    lanes baseline scenario
}
profile nothing {
    default deny
}
probe read-missing family=file-read target="{scratch}/missing" acquire=before
"#,
        &options(),
    );
    let rec = find(&r.records, Lane::Scenario, Some("nothing"), "read-missing");
    assert_eq!(
        rec.operation_errno.as_ref().map(|e| e.name.as_str()),
        Some("ENOENT")
    );
    let detail = rec.detail.as_deref().unwrap_or_default();
    assert!(detail.contains("before the sandbox was applied"), "{rec:?}");
}

/// The shipped `hardened-runtime` experiment's before/after pairs: its expectations hold and
/// its calibrated oracle predicts them.
#[test]
fn hardened_runtime_before_after_pairs_hold() {
    require_landlock(6);
    let path = "../experiments/hardened-runtime.kdl";
    let r = run_file(path, None);
    assert!(
        r.summary.passed(),
        "{path}: failing expectations: {:?}",
        r.summary.failures
    );
    let pair = |profile: &str, probe: &str| verdict_of(&r, profile, probe);
    let eacces = Some("EACCES".to_string());
    let eperm = Some("EPERM".to_string());
    assert_eq!(
        pair("sysctl_read", "sysctl-hostname"),
        (Verdict::Deny, eacces)
    );
    assert_eq!(
        pair("sysctl_read", "sysctl-hostname-before"),
        (Verdict::Allow, None)
    );
    for profile in ["signal_same_sandbox", "deny_canary"] {
        for probe in ["signal-outsider", "signal-outsider-before"] {
            assert_eq!(
                pair(profile, probe),
                (Verdict::Deny, eperm.clone()),
                "{profile}/{probe}"
            );
        }
    }
    let calibration = r.lanes.calibration.as_ref().expect("the oracle lane ran");
    assert!(
        r.lanes.oracle.iter().all(|o| o.agrees != Some(false)),
        "{calibration:?}"
    );
    // Every before half is predicted, and the prediction agrees with the run.
    for o in r
        .lanes
        .oracle
        .iter()
        .filter(|o| o.probe.ends_with("-before"))
    {
        assert_eq!(o.agrees, Some(true), "{}: {o:?}", o.id);
    }
}

/// Every child shape acquires before it applies: one child per probe or one per profile,
/// shared-memory or forked drivers, the same verdicts.
#[test]
fn every_child_shape_acquires_before_apply() {
    require_landlock(6);
    let text = std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(PATH))
        .unwrap();
    let verdicts = |opts: &xpr::execute::ExecuteOptions| {
        let r = run_text("acquire.kdl", &text, opts);
        assert!(r.summary.passed(), "{:?}", r.summary.failures);
        r.verdicts
            .iter()
            .map(|v| {
                (
                    v.id.clone(),
                    v.verdict,
                    v.errno.as_ref().map(|e| e.name.clone()),
                )
            })
            .collect::<Vec<_>>()
    };
    let usual = verdicts(&options());
    for (isolation, fork_drivers) in [
        (xpr::model::Isolation::Profile, false),
        (xpr::model::Isolation::Profile, true),
        (xpr::model::Isolation::Probe, true),
    ] {
        let opts = xpr::execute::ExecuteOptions {
            isolation,
            fork_drivers,
            ..options()
        };
        assert_eq!(
            verdicts(&opts),
            usual,
            "{isolation:?}, fork_drivers {fork_drivers}"
        );
    }
}
