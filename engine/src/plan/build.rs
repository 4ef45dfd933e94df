//! Plan construction: nodes block by block (see `layout`), then the dependency edges.
//!
//! Edges (a → b: b needs a), following spec §4.2:
//! - compile(runtime) → apply(scenario) → exec → operation → verdict, per lane;
//!   the baseline apply attaches nothing, so it has no compile dependency;
//! - scratch → every apply (children run against the scratch root) and → file/dir fixtures;
//!   a fixture inside another fixture's directory → that fixture;
//! - fixture → exec of each probe that uses it (`Probe::fixtures`);
//! - fixture → apply(scenario) of a profile whose rules name a path at or under the fixture
//!   (the Linux backend opens rule paths when it prepares the ruleset, so they must exist);
//! - compile(runtime) → oracle; operation(scenario) → observer; both → verdict;
//! - every verdict and every compile → bundle (compiled artifacts are bundle files).

use std::collections::BTreeMap;

use petgraph::graph::{DiGraph, NodeIndex};

use super::node::{Node, ProfileForm, Step, StepKind};
use super::node_layout::{Layout, pair_node};
use super::{Plan, current_world};
use crate::model::{Experiment, Filter, FixtureKind, Lane, ProfileIr};

impl Plan {
    /// Builds the plan for the world this binary runs in.
    pub fn build(experiment: &Experiment) -> Plan {
        Plan::build_for_world(experiment, current_world())
    }

    /// Builds the plan for a named world (`linux`, `macos`): probes whose family lacks it are
    /// kept but marked skipped.
    pub fn build_for_world(experiment: &Experiment, world: &str) -> Plan {
        build(experiment, world)
    }
}

fn build(experiment: &Experiment, world: &str) -> Plan {
    let lanes: Vec<Lane> = Lane::ALL
        .into_iter()
        .filter(|l| experiment.lanes.contains(l))
        .collect();
    let (profiles, probes) = (experiment.profiles.len(), experiment.probes.len());
    let layout = Layout::new(
        profiles,
        probes,
        experiment.fixtures.len(),
        &lanes,
        |profile, probe| {
            experiment.profiles[profile as usize].runs(&experiment.probes[probe as usize].id)
        },
    );
    let skipped: Vec<bool> = experiment
        .probes
        .iter()
        .map(|p| !p.worlds.iter().any(|w| w == world))
        .collect();

    let pairs = layout.pairs().len();
    let edge_estimate = pairs * (3 + 4 * lanes.len()) + 2 * profiles;
    let mut graph: DiGraph<Step, ()> = DiGraph::with_capacity(layout.total(), edge_estimate);
    add_nodes(&mut graph, &layout, &skipped);

    let mut edges = EdgeWriter {
        graph: &mut graph,
        layout: &layout,
    };
    edges.setup(experiment);
    edges.lanes(&lanes);
    edges.side_lanes_and_verdicts(&lanes);
    edges.bundle();

    Plan {
        graph,
        layout,
        experiment: experiment.name.clone(),
        world: world.to_string(),
        lanes,
        profile_ids: experiment.profiles.iter().map(|p| p.id.clone()).collect(),
        probe_ids: experiment.probes.iter().map(|p| p.id.clone()).collect(),
        fixture_names: experiment.fixtures.iter().map(|f| f.name.clone()).collect(),
    }
}

/// Adds every node in layout order, so that node indices match `Layout::index_of`.
fn add_nodes(graph: &mut DiGraph<Step, ()>, layout: &Layout, skipped: &[bool]) {
    let run = |node| Step {
        node,
        skipped: false,
    };
    for profile in 0..layout.profiles {
        for form in [ProfileForm::Source, ProfileForm::Runtime] {
            graph.add_node(run(Node::Compile { profile, form }));
        }
    }
    graph.add_node(run(Node::Scratch));
    for fixture in 0..layout.fixtures {
        graph.add_node(run(Node::Fixture { fixture }));
    }
    for block in layout.pair_blocks() {
        // A verdict is still produced for a skipped probe: it *is* the `skipped` verdict.
        let skippable = block.kind != StepKind::Verdict;
        for &(profile, probe) in layout.pairs() {
            graph.add_node(Step {
                node: pair_node(block, profile, probe),
                skipped: skippable && skipped[probe as usize],
            });
        }
    }
    graph.add_node(run(Node::Bundle));
}

struct EdgeWriter<'a> {
    graph: &'a mut DiGraph<Step, ()>,
    layout: &'a Layout,
}

impl EdgeWriter<'_> {
    fn at(&self, node: Node) -> NodeIndex {
        // Every node built from the layout's own ranges has an index.
        self.layout
            .index_of(node)
            .unwrap_or_else(|| unreachable!("node {node:?} outside the plan layout"))
    }

    fn edge(&mut self, from: Node, to: Node) {
        let (a, b) = (self.at(from), self.at(to));
        self.graph.add_edge(a, b, ());
    }

    fn each_pair(&self) -> impl Iterator<Item = (u32, u32)> + use<> {
        self.layout.pairs().to_vec().into_iter()
    }

    /// Scratch root → file/dir fixtures; fixtures → exec of probes using them; fixtures →
    /// scenario apply of profiles naming their paths.
    fn setup(&mut self, experiment: &Experiment) {
        let by_name: BTreeMap<&str, u32> = experiment
            .fixtures
            .iter()
            .enumerate()
            .map(|(i, f)| (f.name.as_str(), i as u32))
            .collect();
        // Fixture paths by value: a fixture's enclosing fixtures are found by looking up each
        // proper prefix of its path, not by comparing every pair (plans with many fixtures).
        let mut by_path: BTreeMap<&str, Vec<u32>> = BTreeMap::new();
        for (j, fixture) in experiment.fixtures.iter().enumerate() {
            if let Some(root) = fixture_path(&fixture.kind) {
                by_path
                    .entry(root.trim_end_matches('/'))
                    .or_default()
                    .push(j as u32);
            }
        }
        for (i, fixture) in experiment.fixtures.iter().enumerate() {
            let Some(path) = fixture_path(&fixture.kind) else {
                continue;
            };
            self.edge(Node::Scratch, Node::Fixture { fixture: i as u32 });
            // A file or dir inside another fixture's dir is created after that dir.
            let path = path.trim_end_matches('/');
            let mut parents: Vec<u32> = path
                .match_indices('/')
                .filter_map(|(k, _)| by_path.get(&path[..k]))
                .flatten()
                .copied()
                .collect();
            parents.sort_unstable();
            for parent in parents {
                let child = i as u32;
                self.edge(
                    Node::Fixture { fixture: parent },
                    Node::Fixture { fixture: child },
                );
            }
        }
        let executing: Vec<Lane> = Lane::ALL
            .into_iter()
            .filter(|l| l.executes() && experiment.lanes.contains(l))
            .collect();
        for (probe, p) in experiment.probes.iter().enumerate() {
            let mut used: Vec<u32> = p
                .fixtures
                .iter()
                .filter_map(|name| by_name.get(name.as_str()).copied())
                .collect();
            used.sort_unstable();
            used.dedup();
            for fixture in used {
                for profile in 0..self.layout.profiles {
                    for &lane in &executing {
                        let exec = Node::Exec {
                            lane,
                            profile,
                            probe: probe as u32,
                        };
                        // A pair out of the profile's probe scope has no nodes.
                        if self.layout.index_of(exec).is_some() {
                            self.edge(Node::Fixture { fixture }, exec);
                        }
                    }
                }
            }
        }
        if !experiment.lanes.contains(&Lane::Scenario) {
            return;
        }
        for (profile, p) in experiment.profiles.iter().enumerate() {
            for fixture in fixtures_named_by(&p.runtime, experiment) {
                for probe in 0..self.layout.probes {
                    let apply = Node::Apply {
                        lane: Lane::Scenario,
                        profile: profile as u32,
                        probe,
                    };
                    if self.layout.index_of(apply).is_some() {
                        self.edge(Node::Fixture { fixture }, apply);
                    }
                }
            }
        }
    }

    /// compile(runtime) → apply(scenario); scratch → apply; apply → exec → operation.
    fn lanes(&mut self, lanes: &[Lane]) {
        for lane in lanes.iter().copied().filter(|l| l.executes()) {
            for (profile, probe) in self.each_pair() {
                let apply = Node::Apply {
                    lane,
                    profile,
                    probe,
                };
                let exec = Node::Exec {
                    lane,
                    profile,
                    probe,
                };
                let operation = Node::Operation {
                    lane,
                    profile,
                    probe,
                };
                if lane == Lane::Scenario {
                    let compile = Node::Compile {
                        profile,
                        form: ProfileForm::Runtime,
                    };
                    self.edge(compile, apply);
                }
                self.edge(Node::Scratch, apply);
                self.edge(apply, exec);
                self.edge(exec, operation);
            }
        }
    }

    /// Oracle and observer lanes, and the verdict that joins every lane of a (profile, probe).
    fn side_lanes_and_verdicts(&mut self, lanes: &[Lane]) {
        let oracle = lanes.contains(&Lane::Oracle);
        let observer = lanes.contains(&Lane::Observer);
        let scenario = lanes.contains(&Lane::Scenario);
        for (profile, probe) in self.each_pair() {
            let verdict = Node::Verdict { profile, probe };
            for lane in lanes.iter().copied().filter(|l| l.executes()) {
                self.edge(
                    Node::Operation {
                        lane,
                        profile,
                        probe,
                    },
                    verdict,
                );
            }
            if oracle {
                let node = Node::Oracle { profile, probe };
                let compile = Node::Compile {
                    profile,
                    form: ProfileForm::Runtime,
                };
                self.edge(compile, node);
                self.edge(node, verdict);
            }
            if observer {
                let node = Node::Observer { profile, probe };
                if scenario {
                    let operation = Node::Operation {
                        lane: Lane::Scenario,
                        profile,
                        probe,
                    };
                    self.edge(operation, node);
                }
                self.edge(node, verdict);
            }
        }
    }

    /// Every verdict and every compiled artifact → the bundle.
    fn bundle(&mut self) {
        for profile in 0..self.layout.profiles {
            for form in [ProfileForm::Source, ProfileForm::Runtime] {
                self.edge(Node::Compile { profile, form }, Node::Bundle);
            }
        }
        for (profile, probe) in self.each_pair() {
            self.edge(Node::Verdict { profile, probe }, Node::Bundle);
        }
    }
}

/// The path a file or dir fixture creates.
fn fixture_path(kind: &FixtureKind) -> Option<&str> {
    match kind {
        FixtureKind::File { path, .. } | FixtureKind::Dir { path, .. } => Some(path),
        _ => None,
    }
}

/// Fixtures whose path a profile's rules name (at or under the fixture's path), sorted.
fn fixtures_named_by(ir: &ProfileIr, experiment: &Experiment) -> Vec<u32> {
    let mut paths = Vec::new();
    for rule in &ir.rules {
        for filter in &rule.filters {
            collect_paths(filter, &mut paths);
        }
    }
    if paths.is_empty() {
        return Vec::new();
    }
    experiment
        .fixtures
        .iter()
        .enumerate()
        .filter_map(|(i, f)| {
            let root = fixture_path(&f.kind)?.trim_end_matches('/');
            paths
                .iter()
                .any(|p| is_at_or_under(p, root))
                .then_some(i as u32)
        })
        .collect()
}

fn collect_paths<'a>(filter: &'a Filter, out: &mut Vec<&'a str>) {
    match filter {
        Filter::Literal(p) | Filter::Subpath(p) | Filter::Prefix(p) => out.push(p),
        Filter::RequireAll(fs) | Filter::RequireAny(fs) => {
            fs.iter().for_each(|f| collect_paths(f, out));
        }
        Filter::RequireNot(f) => collect_paths(f, out),
        _ => {}
    }
}

fn is_at_or_under(path: &str, root: &str) -> bool {
    let path = path.trim_end_matches('/');
    path == root
        || path
            .strip_prefix(root)
            .is_some_and(|rest| rest.starts_with('/'))
}
