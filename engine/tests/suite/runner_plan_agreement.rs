//! The runner executes the plan's graph (spec §5.2), checked structurally on every shipped
//! experiment: every exec node of the plan is satisfied exactly once (run, skipped, or — for
//! the baseline — reusing the one run of its probe), every stage record comes from exactly one
//! plan node, and the record says what the node is (lane, profile, probe, skipped or not).

use crate::support;

use std::collections::HashMap;

use xpr::execute::How;
use xpr::model::Lane;
use xpr::plan::{Node, Plan, StepKind};

fn shipped() -> Vec<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../experiments");
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "kdl"))
        .map(|p| {
            format!(
                "../experiments/{}",
                p.file_name().unwrap().to_string_lossy()
            )
        })
        .collect();
    files.sort();
    assert!(!files.is_empty());
    files
}

#[test]
fn every_exec_node_is_satisfied_once_and_every_record_comes_from_a_node() {
    for rel in shipped() {
        let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(&rel);
        let exp = xpr::resolve::load(&file, &Default::default())
            .unwrap()
            .experiment;
        let plan = Plan::build(&exp);
        let r = support::run_file(&rel, None);

        // Exactly the plan's exec nodes, each once, in plan order.
        let exec: Vec<_> = plan
            .nodes()
            .filter(|&n| plan.node(n).kind() == StepKind::Exec)
            .collect();
        let traced: Vec<_> = r.nodes.iter().map(|n| n.node).collect();
        assert_eq!(traced, exec, "{rel}: the run covers the plan's exec nodes");

        // Each record is produced by exactly one node (run or skipped); reuse points at it.
        let mut owner: HashMap<usize, usize> = HashMap::new();
        for (k, n) in r.nodes.iter().enumerate() {
            let id = plan.id_at(n.node);
            let record = n
                .record
                .unwrap_or_else(|| panic!("{rel}: {id} has no record"));
            let Node::Exec {
                lane,
                profile,
                probe,
            } = plan.node(n.node)
            else {
                unreachable!()
            };
            let rec = &r.records[record];
            assert_eq!(rec.lane, lane, "{rel}: {id}");
            assert_eq!(rec.probe, exp.probes[probe as usize].id, "{rel}: {id}");
            let profile_id = exp.profiles[profile as usize].id.as_str();
            match lane {
                Lane::Baseline => assert_eq!(rec.profile, None, "{rel}: {id}"),
                _ => assert_eq!(rec.profile.as_deref(), Some(profile_id), "{rel}: {id}"),
            }
            assert_eq!(
                plan.is_skipped(n.node),
                rec.skipped.as_deref() == Some("not_applicable_in_world"),
                "{rel}: {id}: plan and record disagree on skipping"
            );
            match n.how {
                How::Run | How::Skip => {
                    assert_eq!(n.how == How::Skip, plan.is_skipped(n.node), "{rel}: {id}");
                    let before = owner.insert(record, k);
                    assert!(before.is_none(), "{rel}: {id} shares its record");
                }
                How::Reuse(first) => {
                    assert_eq!(lane, Lane::Baseline, "{rel}: only the baseline reuses");
                    let Node::Exec {
                        lane: l, probe: q, ..
                    } = plan.node(first)
                    else {
                        unreachable!()
                    };
                    assert_eq!((l, q), (lane, probe), "{rel}: {id} reuses its own probe");
                    let first_run = r.nodes.iter().find(|m| m.node == first).unwrap();
                    assert_eq!(first_run.record, Some(record), "{rel}: {id}");
                    assert!(first_run.node < n.node, "{rel}: reuse of an earlier node");
                }
            }
        }
        assert_eq!(
            owner.len(),
            r.records.len(),
            "{rel}: every record comes from a plan node"
        );
        let baseline_runs = r
            .nodes
            .iter()
            .filter(|n| !matches!(n.how, How::Reuse(_)))
            .filter(|n| plan.node(n.node).lane() == Some(Lane::Baseline))
            .count();
        let expected = if exp.profiles.is_empty() || !exp.lanes.contains(&Lane::Baseline) {
            0
        } else {
            exp.probes.len()
        };
        assert_eq!(baseline_runs, expected, "{rel}: one baseline run per probe");
    }
}

/// The walk without running: fixtures follow the plan's fixture edges even when a file is
/// declared before the dir that holds it (the order every restore re-creates them in), and
/// each probe's baseline runs at the first profile's node only.
#[test]
fn the_walk_orders_fixtures_by_their_edges_and_runs_each_baseline_once() {
    use support::*;
    use xpr::model::FixtureKind;
    let mut e = experiment("walk");
    let dir = |name: &str, path: &str| {
        fixture(
            name,
            FixtureKind::Dir {
                path: path.into(),
                mode: 0o755,
            },
        )
    };
    e.fixtures = vec![
        file_fixture("deep", "{scratch}/a/b/deep", "x"),
        dir("b", "{scratch}/a/b"),
        dir("a", "{scratch}/a"),
        file_fixture("other", "{scratch}/other", "y"),
    ];
    e.probes = vec![
        probe("read-deep", "file-read", Some("{scratch}/a/b/deep")),
        probe("read-other", "file-read", Some("{scratch}/other")),
    ];
    let mut mach = probe("mach", "mach-lookup", Some("x"));
    mach.worlds = vec!["macos".into()];
    e.probes.push(mach);
    e.profiles = vec![profile("p0"), profile("p1"), profile("p2")];
    let plan = Plan::build_for_world(&e, "linux");
    let w = xpr::execute::walk::walk(&plan);

    assert_eq!(
        w.fixtures,
        vec![2, 1, 0, 3],
        "a, then b, then deep; other anywhere"
    );
    assert_eq!(w.compile, vec![0, 1, 2]);

    let count = |lane: Lane, how: fn(&How) -> bool| {
        w.exec
            .iter()
            .filter(|n| n.lane == lane && how(&n.how))
            .count()
    };
    // 3 probes × 3 profiles per lane; the mach probe is skipped in this world.
    assert_eq!(count(Lane::Scenario, |h| *h == How::Run), 6);
    assert_eq!(count(Lane::Scenario, |h| *h == How::Skip), 3);
    assert_eq!(count(Lane::Baseline, |h| *h == How::Run), 2);
    assert_eq!(count(Lane::Baseline, |h| *h == How::Skip), 1);
    assert_eq!(count(Lane::Baseline, |h| matches!(h, How::Reuse(_))), 6);
    for n in w.exec.iter().filter(|n| n.lane == Lane::Baseline) {
        assert_eq!(matches!(n.how, How::Reuse(_)), n.profile != 0);
        assert_eq!(n.unit(), (Lane::Baseline, None, n.probe));
    }
}
