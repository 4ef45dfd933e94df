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
    assert!(
        xml.contains("tests=\"8\" failures=\"3\" errors=\"0\" skipped=\"3\""),
        "{xml}"
    );
    assert!(!xml.contains("<the loader"), "escaped");
    insta::assert_snapshot!("abi3_junit", xml);

    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("junit.xml");
    xpr::report::junit::write(&path, EXPERIMENT, &verdicts, &stages).unwrap();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), xml);
    assert_eq!(
        std::fs::read_dir(tmp.path()).unwrap().count(),
        1,
        "no temporary left"
    );
}
