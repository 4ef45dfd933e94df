//! `xpr plan` and `xpr check` on every shipped experiment and example: both succeed, the dot
//! output renders with Graphviz (required when XPR_REQUIRE_DOT is set), the JSON matches the
//! graph, and the plan of a loaded experiment keeps the graph invariants.

use crate::support::Xpr;
use crate::support::graphviz::render_with_graphviz;

use std::path::{Path, PathBuf};

use petgraph::algo::is_cyclic_directed;
use xpr::plan::{Plan, StepKind};
use xpr::resolve::{LoadOptions, load};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn shipped() -> Vec<PathBuf> {
    let mut files = Vec::new();
    for dir in ["experiments", "examples"] {
        for entry in std::fs::read_dir(repo().join(dir)).expect("read dir") {
            let path = entry.expect("entry").path();
            if path.extension().is_some_and(|e| e == "kdl") {
                files.push(path);
            }
        }
    }
    files.sort();
    assert!(
        files.len() >= 8,
        "expected the seed experiments and examples"
    );
    files
}

#[test]
fn check_and_plan_succeed_on_every_shipped_experiment() {
    for file in shipped() {
        let f = file.to_str().expect("utf-8 path");
        let xpr_on_f = |args: &[&str]| Xpr::new().cwd(repo()).args(args).arg(f).run().success();
        let stdout = xpr_on_f(&["check"]).stdout;
        assert!(
            stdout.contains(" nodes ") && stdout.contains(" edges"),
            "{stdout}"
        );

        assert!(xpr_on_f(&["plan"]).stdout.starts_with("plan "));

        let v = xpr_on_f(&["plan", "--format", "json"]).json();
        assert_eq!(v["schema_version"], "xpr.plan.v1");
        assert_eq!(
            v["nodes"].as_array().map(Vec::len),
            v["stats"]["nodes"].as_u64().map(|n| n as usize)
        );

        render_with_graphviz(xpr_on_f(&["plan", "--dot"]).stdout.as_bytes(), f);
    }
}

#[test]
fn plans_of_loaded_experiments_keep_the_invariants() {
    for file in shipped() {
        let loaded = load(&file, &LoadOptions::default()).expect("loads");
        let exp = &loaded.experiment;
        let plan = Plan::build_for_world(exp, "linux");
        assert!(!is_cyclic_directed(plan.graph()), "{}", file.display());
        let pairs = exp.profiles.len() * exp.probes.len();
        let stats = plan.stats();
        for lane in plan.executing_lanes() {
            for stage in [StepKind::Apply, StepKind::Exec, StepKind::Operation] {
                assert_eq!(stats.count(stage, Some(lane)), pairs);
            }
        }
        assert_eq!(stats.count(StepKind::Verdict, None), pairs);
        // Probes of families without a Linux meaning are skipped, never dropped.
        let foreign = exp
            .probes
            .iter()
            .filter(|p| !p.worlds.iter().any(|w| w == "linux"))
            .count();
        let stages = 3 * plan.executing_lanes().count()
            + plan.has_lane(xpr::model::Lane::Oracle) as usize
            + plan.has_lane(xpr::model::Lane::Observer) as usize;
        assert_eq!(stats.skipped, foreign * exp.profiles.len() * stages);
    }
}

#[test]
fn plan_of_invalid_input_exits_2_with_a_diagnostic() {
    let dir = tempfile::tempdir().expect("temp dir");
    let bad = dir.path().join("bad.kdl");
    std::fs::write(
        &bad,
        "experiment \"bad\" {\n}\nprofile p {\n    default deny\n    allow \"file-raed*\"\n}\n",
    )
    .expect("write");
    let out = Xpr::new().cwd(repo()).arg("plan").arg(&bad).run().exit(2);
    assert!(out.stdout.is_empty());
    assert!(out.stderr.contains("file-raed*"));

    Xpr::new()
        .cwd(repo())
        .args([
            "plan",
            "--param",
            "nonsense",
            "experiments/runtime-checks.kdl",
        ])
        .run()
        .exit(2);
}
