//! `--junit`: one test case per expectation; mismatches fail with their stage records.

use crate::support::bundles::*;
use xpr::model::{Lane, MismatchReason};

#[test]
fn abi3_run_as_junit() {
    let world = World { abi: 3 };
    let mut verdicts = verdicts(&world);
    // A documented mismatch is reported but does not fail CI.
    let known = verdicts
        .iter_mut()
        .find(|v| v.id == "no_write/read-hosts")
        .unwrap();
    known.mismatches = vec![MismatchReason::ErrnoDiffers];
    known.known = Some("needs <the loader shim> & \"friends\"".into());
    let mut stages = stage_records(&world, Lane::Baseline);
    stages.extend(stage_records(&world, Lane::Scenario));
    let xml = xpr::report::junit::render(EXPERIMENT, &verdicts, &stages);
    // One case per expectation: results the experiment expects nothing of are not tests.
    let expected = verdicts.iter().filter(|v| v.expected.is_some()).count();
    assert!(
        xml.contains(&format!(
            "<testsuite name=\"{EXPERIMENT}\" tests=\"{expected}\""
        )),
        "{xml}"
    );
    assert_eq!(xml.matches("<testcase ").count(), expected);
    assert_eq!(
        xml.matches("<system-out>").count(),
        expected,
        "details in every case"
    );
    assert!(!xml.contains("<the loader"), "escaped");
    insta::assert_snapshot!("abi3_junit", xml);

    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("junit.xml");
    let suite = xpr::report::junit::suite(EXPERIMENT, &verdicts, &stages);
    xpr::report::junit::write(&path, &[suite]).unwrap();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), xml);
    assert_eq!(
        std::fs::read_dir(tmp.path()).unwrap().count(),
        1,
        "no temporary left"
    );
}
