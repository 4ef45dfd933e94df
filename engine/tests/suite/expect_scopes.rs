//! Expectations scoped by world properties: net-ports says what each Landlock ABI should
//! show, and a real run at each ABI (the host's, capped) picks the expectation its world
//! admits, so it holds at every one: TCP denied from ABI 4, `blocked` before.

use xpr::model::{AbiScope, Expected, Verdict};

use crate::support::{require_landlock, run_file};

#[test]
fn net_ports_holds_at_every_abi_with_the_expectation_its_world_admits() {
    let host = require_landlock(4) as u32;
    for cap in [host, 4, 3, 1] {
        let result = run_file("../experiments/net-ports.kdl", Some(cap));
        assert!(
            result.summary.passed(),
            "ABI {cap}: {}",
            result.summary.line()
        );
        let connect = result
            .verdicts
            .iter()
            .find(|v| v.id == "no_outbound/connect-echo")
            .unwrap();
        let (verdict, expected) = if cap >= 4 {
            (Verdict::Deny, Expected::Deny)
        } else {
            (Verdict::Blocked, Expected::Blocked)
        };
        assert_eq!(connect.verdict, verdict, "ABI {cap}");
        assert_eq!(connect.expected, Some(expected), "ABI {cap}");
        assert!(connect.mismatches.is_empty(), "ABI {cap}: {connect:?}");
    }
}

#[test]
fn disjoint_scopes_are_both_kept_with_their_ranges() {
    let loaded = xpr::resolve::load(
        std::path::Path::new("../experiments/net-ports.kdl"),
        &xpr::resolve::LoadOptions::default(),
    )
    .unwrap();
    let scopes: Vec<Option<AbiScope>> = loaded
        .experiment
        .expectations
        .iter()
        .filter(|e| e.id == "no_outbound/connect-echo")
        .map(|e| e.landlock_abi)
        .collect();
    assert_eq!(
        scopes,
        [
            Some(AbiScope { min: 4, max: None }),
            Some(AbiScope {
                min: 0,
                max: Some(3)
            })
        ]
    );
}
