//! Invariants of the stage graph (spec §4), on experiments built in code so the plan is
//! tested independently of the language front end.

use crate::support::graphviz::render_with_graphviz;

use std::collections::BTreeMap;
use std::time::Duration;

use petgraph::Direction;
use petgraph::algo::{has_path_connecting, is_cyclic_directed};
use petgraph::visit::Dfs;
use xpr::model::*;
use xpr::plan::{Node, Plan, ProfileForm, Schedule, StepKind};

fn origin() -> Origin {
    Origin {
        file: "test.kdl".into(),
        line: 1,
        column: 1,
        ..Origin::default()
    }
}

fn rule(action: Action, op: &str, filters: Vec<Filter>) -> Rule {
    Rule {
        action,
        operations: vec![op.into()],
        filters,
        modifiers: Modifiers::default(),
        origin: origin(),
    }
}

fn profile(id: &str, rules: Vec<Rule>) -> Profile {
    let ir = ProfileIr {
        default_origin: Default::default(),
        layers: Vec::new(),
        default: Action::Deny,
        rules,
    };
    Profile {
        id: id.into(),
        origin: origin(),
        source: ir.clone(),
        shims: vec![],
        runtime: ir,
        sbpl_source: None,
        extends: None,
        layers: Vec::new(),
        probes: None,
    }
}

fn probe(id: &str, family: &str, target: &str, fixtures: &[&str], worlds: &[&str]) -> Probe {
    Probe {
        id: id.into(),
        family: family.into(),
        operation: "file-read-data".into(),
        target: Some(target.into()),
        args: BTreeMap::new(),
        fixtures: fixtures.iter().map(|s| s.to_string()).collect(),
        control: false,
        destructive: false,
        worlds: worlds.iter().map(|s| s.to_string()).collect(),
        origin: origin(),
    }
}

fn file_fixture(name: &str) -> Fixture {
    Fixture {
        name: name.into(),
        kind: FixtureKind::File {
            path: format!("{{scratch}}/{name}"),
            content: format!("{name}\n"),
            mode: 0o644,
        },
        origin: origin(),
    }
}

/// A small runtime-checks-like experiment: 2 profiles, 4 probes (one macOS-only), 3 fixtures.
fn sample(lanes: &[Lane]) -> Experiment {
    Experiment {
        name: "sample".into(),
        description: None,
        lanes: lanes.to_vec(),
        isolation: Isolation::Probe,
        timeout: Duration::from_secs(5),
        params: BTreeMap::new(),
        fixtures: vec![
            file_fixture("foo"),
            file_fixture("bar"),
            Fixture {
                name: "outsider".into(),
                kind: FixtureKind::Process,
                origin: origin(),
            },
        ],
        profiles: vec![
            profile("v1_read", vec![rule(Action::Allow, "file-read*", vec![])]),
            profile(
                "v11_read_subpath",
                vec![rule(
                    Action::Allow,
                    "file-read*",
                    vec![Filter::Subpath("{scratch}/foo".into())],
                )],
            ),
        ],
        shims: vec![],
        probes: vec![
            probe(
                "read-hosts",
                "file-read",
                "/etc/hosts",
                &[],
                &["linux", "macos"],
            ),
            probe(
                "read-foo",
                "file-read",
                "{scratch}/foo",
                &["foo"],
                &["linux", "macos"],
            ),
            probe(
                "read-bar",
                "file-read",
                "{scratch}/bar",
                &["bar"],
                &["linux", "macos"],
            ),
            probe(
                "lookup-cfprefsd",
                "mach-lookup",
                "com.apple.cfprefsd.daemon",
                &[],
                &["macos"],
            ),
        ],
        expectations: vec![],
        sources: vec![],
    }
}

const ALL_LANES: [Lane; 4] = [Lane::Baseline, Lane::Scenario, Lane::Oracle, Lane::Observer];

fn idx(plan: &Plan, node: Node) -> petgraph::graph::NodeIndex {
    plan.index_of(node).expect("node in plan")
}

#[test]
fn the_graph_is_acyclic_for_every_lane_set() {
    for lanes in [
        &[Lane::Scenario][..],
        &[Lane::Baseline, Lane::Scenario],
        &[Lane::Scenario, Lane::Oracle],
        &ALL_LANES,
    ] {
        let plan = Plan::build_for_world(&sample(lanes), "linux");
        assert!(
            !is_cyclic_directed(plan.graph()),
            "cycle with lanes {lanes:?}"
        );
        let order = plan.topo_order();
        assert_eq!(order.len(), plan.node_count());
        let mut position = vec![0; plan.node_count()];
        for (i, n) in order.iter().enumerate() {
            position[n.index()] = i;
        }
        for e in plan.graph().raw_edges() {
            assert!(position[e.source().index()] < position[e.target().index()]);
        }
    }
}

#[test]
fn every_operation_depends_on_its_apply_and_the_scenario_on_its_compile() {
    let exp = sample(&ALL_LANES);
    let plan = Plan::build_for_world(&exp, "linux");
    let g = plan.graph();
    for index in plan.nodes() {
        let Node::Operation {
            lane,
            profile,
            probe,
        } = plan.node(index)
        else {
            continue;
        };
        let apply = idx(
            &plan,
            Node::Apply {
                lane,
                profile,
                probe,
            },
        );
        let exec = idx(
            &plan,
            Node::Exec {
                lane,
                profile,
                probe,
            },
        );
        assert!(has_path_connecting(g, apply, exec, None));
        assert!(has_path_connecting(g, exec, index, None));
        let runtime = idx(
            &plan,
            Node::Compile {
                profile,
                form: ProfileForm::Runtime,
            },
        );
        // Only the scenario enforces the compiled profile; the baseline runs unconfined.
        assert_eq!(
            has_path_connecting(g, runtime, index, None),
            lane == Lane::Scenario,
            "{}",
            plan.id_at(index)
        );
        let source = idx(
            &plan,
            Node::Compile {
                profile,
                form: ProfileForm::Source,
            },
        );
        assert!(!has_path_connecting(g, source, index, None));
    }
}

#[test]
fn node_counts_are_lanes_times_profiles_times_probes() {
    let exp = sample(&ALL_LANES);
    let (p, q) = (exp.profiles.len(), exp.probes.len());
    let plan = Plan::build_for_world(&exp, "linux");
    let s = plan.stats();
    for lane in [Lane::Baseline, Lane::Scenario] {
        for stage in [StepKind::Apply, StepKind::Exec, StepKind::Operation] {
            assert_eq!(s.count(stage, Some(lane)), p * q, "{stage:?} {lane:?}");
        }
    }
    assert_eq!(s.count(StepKind::Oracle, Some(Lane::Oracle)), p * q);
    assert_eq!(s.count(StepKind::Observer, Some(Lane::Observer)), p * q);
    assert_eq!(s.count(StepKind::Verdict, None), p * q);
    assert_eq!(s.count(StepKind::Compile, None), 2 * p);
    assert_eq!(s.count(StepKind::Fixture, None), exp.fixtures.len());
    assert_eq!(s.count(StepKind::Scratch, None), 1);
    assert_eq!(s.count(StepKind::Bundle, None), 1);
    assert_eq!(
        s.nodes,
        2 * p + 1 + exp.fixtures.len() + (3 * 2 + 3) * p * q + 1
    );
    assert_eq!(s.nodes, plan.node_count());
    assert_eq!(s.edges, plan.edge_count());

    let scenario_only = Plan::build_for_world(&sample(&[Lane::Scenario]), "linux").stats();
    assert_eq!(
        scenario_only.count(StepKind::Apply, Some(Lane::Baseline)),
        0
    );
    assert_eq!(
        scenario_only.count(StepKind::Apply, Some(Lane::Scenario)),
        p * q
    );
    assert_eq!(scenario_only.count(StepKind::Oracle, Some(Lane::Oracle)), 0);
}

#[test]
fn probes_of_other_worlds_keep_their_nodes_but_are_skipped() {
    let exp = sample(&ALL_LANES);
    let linux = Plan::build_for_world(&exp, "linux");
    let macos = Plan::build_for_world(&exp, "macos");
    assert_eq!(linux.node_count(), macos.node_count());
    assert_eq!(linux.edge_count(), macos.edge_count());
    let mach = 3;
    for index in linux.nodes() {
        let node = linux.node(index);
        let expected = node.probe() == Some(mach) && node.kind() != StepKind::Verdict;
        assert_eq!(linux.is_skipped(index), expected, "{}", linux.id_at(index));
        assert!(!macos.is_skipped(index));
    }
    // 2 profiles × (3 stages × 2 lanes + oracle + observer) skipped nodes.
    assert_eq!(linux.stats().skipped, 2 * 8);
}

#[test]
fn ids_are_stable_and_unique() {
    let plan = Plan::build_for_world(&sample(&ALL_LANES), "linux");
    let ids: Vec<String> = plan.nodes().map(|n| plan.id_at(n)).collect();
    let unique: std::collections::BTreeSet<&String> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len());
    for id in [
        "compile:source:v1_read",
        "compile:runtime:v11_read_subpath",
        "scratch",
        "fixture:foo",
        "apply:scenario:v1_read:read-hosts",
        "exec:baseline:v11_read_subpath:read-bar",
        "operation:scenario:v1_read:lookup-cfprefsd",
        "oracle:v1_read:read-foo",
        "observer:v1_read:read-foo",
        "verdict:v11_read_subpath:read-foo",
        "bundle",
    ] {
        assert!(unique.contains(&id.to_string()), "missing {id}");
    }
    // index_of is the inverse of the stored node.
    for index in plan.nodes() {
        assert_eq!(plan.index_of(plan.node(index)), Some(index));
    }
}

#[test]
fn fixtures_feed_the_probes_that_use_them_and_the_profiles_that_name_them() {
    let plan = Plan::build_for_world(&sample(&ALL_LANES), "linux");
    let foo = idx(&plan, Node::Fixture { fixture: 0 });
    let scratch = idx(&plan, Node::Scratch);
    assert_eq!(plan.dependencies(foo), vec![scratch]);
    let deps: Vec<String> = plan
        .dependents(foo)
        .into_iter()
        .map(|n| plan.id_at(n))
        .collect();
    // read-foo's exec in both lanes of both profiles, and v11's scenario applies (its rule
    // names {scratch}/foo, which Landlock opens at prepare time).
    let mut expected = vec![
        "exec:baseline:v1_read:read-foo".to_string(),
        "exec:baseline:v11_read_subpath:read-foo".to_string(),
        "exec:scenario:v1_read:read-foo".to_string(),
        "exec:scenario:v11_read_subpath:read-foo".to_string(),
    ];
    expected.extend(
        ["read-hosts", "read-foo", "read-bar", "lookup-cfprefsd"]
            .map(|q| format!("apply:scenario:v11_read_subpath:{q}")),
    );
    let mut got = deps.clone();
    got.sort();
    expected.sort();
    assert_eq!(got, expected);
    // The process fixture needs no scratch root and no probe uses it here.
    let outsider = idx(&plan, Node::Fixture { fixture: 2 });
    assert!(plan.dependencies(outsider).is_empty());
}

#[test]
fn verdicts_join_every_lane_and_the_bundle_joins_every_verdict() {
    let exp = sample(&ALL_LANES);
    let plan = Plan::build_for_world(&exp, "linux");
    let verdict = idx(
        &plan,
        Node::Verdict {
            profile: 1,
            probe: 2,
        },
    );
    let deps: Vec<String> = plan
        .dependencies(verdict)
        .into_iter()
        .map(|n| plan.id_at(n))
        .collect();
    assert_eq!(
        deps,
        [
            "operation:baseline:v11_read_subpath:read-bar",
            "operation:scenario:v11_read_subpath:read-bar",
            "oracle:v11_read_subpath:read-bar",
            "observer:v11_read_subpath:read-bar",
        ]
    );
    let oracle = idx(
        &plan,
        Node::Oracle {
            profile: 1,
            probe: 2,
        },
    );
    assert_eq!(
        plan.id_at(plan.dependencies(oracle)[0]),
        "compile:runtime:v11_read_subpath"
    );
    let bundle = idx(&plan, Node::Bundle);
    let into_bundle = plan
        .graph()
        .neighbors_directed(bundle, Direction::Incoming)
        .count();
    assert_eq!(into_bundle, 2 * 4 + 2 * 2);
    // Everything reaches the bundle, except a fixture nothing uses (the outsider process).
    let reversed = petgraph::visit::Reversed(plan.graph());
    let mut dfs = Dfs::new(reversed, bundle);
    let mut reached = 0;
    while dfs.next(reversed).is_some() {
        reached += 1;
    }
    assert_eq!(reached, plan.node_count() - 1);
}

#[test]
fn the_schedule_releases_nodes_only_after_their_dependencies() {
    let plan = Plan::build_for_world(&sample(&ALL_LANES), "linux");
    let mut schedule = Schedule::new(&plan);
    let mut done = vec![false; plan.node_count()];
    let mut rounds = 0;
    loop {
        let ready = schedule.drain_ready();
        if ready.is_empty() {
            break;
        }
        rounds += 1;
        for &n in &ready {
            assert!(plan.dependencies(n).iter().all(|d| done[d.index()]));
        }
        for n in ready {
            done[n.index()] = true;
            schedule.complete(n);
        }
    }
    assert!(schedule.is_done());
    // The longest chain: scratch → fixture foo → apply(scenario, v11 names foo) → exec →
    // operation → observer → verdict → bundle.
    assert_eq!(rounds, 8);
}

#[test]
fn renderers_are_deterministic_and_well_formed() {
    let exp = sample(&ALL_LANES);
    let plan = Plan::build_for_world(&exp, "linux");
    let again = Plan::build_for_world(&exp, "linux");

    let text = xpr::plan::render::text(&plan, &exp);
    assert_eq!(text, xpr::plan::render::text(&again, &exp));
    assert!(text.contains("profile v11_read_subpath"), "{text}");
    assert!(
        text.contains("  apply      baseline 4  scenario 4"),
        "{text}"
    );
    assert!(text.contains("skipped    1 probes not applicable in linux: lookup-cfprefsd"));

    let json = xpr::plan::render::json_value(&plan);
    assert_eq!(json["schema_version"], "xpr.plan.v1");
    assert_eq!(json["nodes"].as_array().unwrap().len(), plan.node_count());
    assert_eq!(json["edges"].as_array().unwrap().len(), plan.edge_count());
    assert_eq!(
        xpr::plan::render::json(&plan),
        xpr::plan::render::json(&again)
    );

    let dot = xpr::plan::render::dot(&plan);
    assert_eq!(dot, xpr::plan::render::dot(&again));
    check_dot_structure(&dot, &plan);
    render_with_graphviz(dot.as_bytes(), "a generated plan");
}

/// Structural validation of the Graphviz text: balanced braces, every statement terminated,
/// one declaration per node, one line per edge, every edge endpoint declared.
fn check_dot_structure(dot: &str, plan: &Plan) {
    assert!(dot.starts_with("digraph \"plan sample\" {\n"));
    assert!(dot.ends_with("}\n"));
    let opens = dot.matches('{').count();
    assert_eq!(opens, dot.matches('}').count());
    let mut declared = std::collections::BTreeSet::new();
    let mut edges = 0;
    for line in dot.lines().map(str::trim) {
        if line.is_empty() || line.ends_with('{') || line == "}" {
            continue;
        }
        assert!(line.ends_with(';'), "unterminated: {line}");
        if let Some((from, to)) = line.trim_end_matches(';').split_once(" -> ") {
            edges += 1;
            assert!(declared.contains(from) && declared.contains(to), "{line}");
        } else if line.starts_with('"') && line.contains(" [label=") {
            let id = &line[..line.find(" [label=").unwrap()];
            assert!(declared.insert(id.to_string()), "declared twice: {id}");
        }
    }
    assert_eq!(declared.len(), plan.node_count());
    assert_eq!(edges, plan.edge_count());
}

#[test]
fn a_fixture_inside_a_fixture_directory_is_set_up_after_it() {
    let mut exp = sample(&[Lane::Scenario]);
    exp.fixtures.push(Fixture {
        name: "vault".into(),
        kind: FixtureKind::Dir {
            path: "{scratch}/vault/".into(),
            mode: 0o755,
        },
        origin: origin(),
    });
    exp.fixtures.push(Fixture {
        name: "secret".into(),
        kind: FixtureKind::File {
            path: "{scratch}/vault/secret".into(),
            content: String::new(),
            mode: 0o600,
        },
        origin: origin(),
    });
    let plan = Plan::build_for_world(&exp, "linux");
    let secret = idx(&plan, Node::Fixture { fixture: 4 });
    let deps: Vec<String> = plan
        .dependencies(secret)
        .into_iter()
        .map(|n| plan.id_at(n))
        .collect();
    assert_eq!(deps, ["scratch", "fixture:vault"]);
    assert!(!is_cyclic_directed(plan.graph()));
}

#[test]
fn names_with_quotes_and_backslashes_stay_valid_json_and_dot() {
    let mut exp = sample(&[Lane::Baseline, Lane::Scenario]);
    exp.profiles[0].id = "we\"ird\\name".into();
    exp.probes[0].id = "line\nbreak".into();
    let plan = Plan::build_for_world(&exp, "linux");
    let json = xpr::plan::render::json(&plan);
    let value: serde_json::Value = serde_json::from_str(&json).expect("valid json");
    assert!(
        value["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["id"] == "apply:scenario:we\"ird\\name:line\nbreak")
    );
    render_with_graphviz(xpr::plan::render::dot(&plan).as_bytes(), "the fixture plan");
}

mod shapes {
    use super::*;
    use proptest::prelude::*;

    /// An experiment of any small shape: profiles naming fixtures or not, probes using
    /// fixtures or not, some probes foreign to Linux, any lane set with the scenario.
    fn shaped(profiles: usize, probes: usize, fixtures: usize, lanes: &[Lane]) -> Experiment {
        let mut exp = sample(lanes);
        exp.fixtures = (0..fixtures)
            .map(|f| file_fixture(&format!("f{f}")))
            .collect();
        exp.profiles = (0..profiles)
            .map(|p| {
                let filters = if fixtures > 0 && p % 2 == 0 {
                    vec![Filter::Subpath(format!("{{scratch}}/f{}", p % fixtures))]
                } else {
                    vec![]
                };
                profile(
                    &format!("p{p}"),
                    vec![rule(Action::Allow, "file-read*", filters)],
                )
            })
            .collect();
        exp.probes = (0..probes)
            .map(|q| {
                let used = format!("f{}", q % fixtures.max(1));
                let uses: Vec<&str> = if fixtures > 0 && q % 3 == 0 {
                    vec![&used]
                } else {
                    vec![]
                };
                let worlds: &[&str] = if q % 4 == 3 {
                    &["macos"]
                } else {
                    &["linux", "macos"]
                };
                probe(&format!("q{q}"), "file-read", "/etc/hosts", &uses, worlds)
            })
            .collect();
        exp
    }

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: 128,
            failure_persistence: None,
            ..ProptestConfig::default()
        })]
        #[test]
        fn any_shape_is_acyclic_counted_and_indexed(
            profiles in 0usize..6,
            probes in 0usize..6,
            fixtures in 0usize..4,
            baseline: bool,
            oracle: bool,
            observer: bool,
        ) {
            let mut lanes = vec![Lane::Scenario];
            if baseline { lanes.push(Lane::Baseline); }
            if oracle { lanes.push(Lane::Oracle); }
            if observer { lanes.push(Lane::Observer); }
            let exp = shaped(profiles, probes, fixtures, &lanes);
            let plan = Plan::build_for_world(&exp, "linux");
            prop_assert!(!is_cyclic_directed(plan.graph()));
            prop_assert_eq!(plan.topo_order().len(), plan.node_count());
            let pairs = profiles * probes;
            let stats = plan.stats();
            for lane in plan.executing_lanes() {
                prop_assert_eq!(stats.count(StepKind::Operation, Some(lane)), pairs);
            }
            prop_assert_eq!(stats.count(StepKind::Verdict, None), pairs);
            // Per pair: apply/exec/operation per executing lane, oracle, observer, verdict.
            let per_pair = 3 * (1 + baseline as usize) + oracle as usize + observer as usize + 1;
            prop_assert_eq!(
                plan.node_count(),
                2 * profiles + 1 + fixtures + pairs * per_pair + 1
            );
            for index in plan.nodes() {
                prop_assert_eq!(plan.index_of(plan.node(index)), Some(index));
            }
        }
    }
}
