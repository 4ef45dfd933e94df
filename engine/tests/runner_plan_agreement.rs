//! The runner executes the plan's graph: for every shipped experiment, each scenario
//! operation node of the plan has exactly one stage record, and the nodes the plan marks
//! skipped (a family without a Linux meaning) are exactly the records the runner skipped.

mod support;

use xpr::model::Lane;
use xpr::plan::{Node, Plan};

#[test]
fn every_plan_operation_node_has_its_record() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../experiments");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "kdl"))
        .collect();
    files.sort();
    assert!(!files.is_empty());
    for file in files {
        let rel = format!(
            "../experiments/{}",
            file.file_name().unwrap().to_string_lossy()
        );
        let exp = xpr::resolve::load(&file, &Default::default())
            .unwrap()
            .experiment;
        let plan = Plan::build(&exp);
        let r = support::run_file(&rel, None);
        for (pi, profile) in exp.profiles.iter().enumerate() {
            for (qi, probe) in exp.probes.iter().enumerate() {
                let node = Node::Operation {
                    lane: Lane::Scenario,
                    profile: pi as u32,
                    probe: qi as u32,
                };
                let index = plan.index_of(node).expect("operation node");
                let records: Vec<_> = r
                    .records
                    .iter()
                    .filter(|x| {
                        x.lane == Lane::Scenario
                            && x.profile.as_deref() == Some(profile.id.as_str())
                            && x.probe == probe.id
                    })
                    .collect();
                assert_eq!(records.len(), 1, "{rel}: {}/{}", profile.id, probe.id);
                assert_eq!(
                    plan.is_skipped(index),
                    records[0].skipped.as_deref() == Some("not_applicable_in_world"),
                    "{rel}: {}/{}: plan and runner disagree on skipping",
                    profile.id,
                    probe.id
                );
            }
        }
        let baseline = r
            .records
            .iter()
            .filter(|x| x.lane == Lane::Baseline)
            .count();
        assert_eq!(
            baseline,
            exp.probes.len(),
            "{rel}: one baseline run per probe"
        );
    }
}
