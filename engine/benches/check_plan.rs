//! Benchmark (not a test): load + plan of generated experiments, 200 × 50 and 2,000 × 50.
//!
//! Run with `cargo bench --bench check_plan`. Each size is generated as KDL text into a temp
//! dir (so the same files can be fed to a release `xpr plan` under `/usr/bin/time -v`), then
//! timed several times; the median and the process's peak RSS are printed.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::{Duration, Instant};

use xpr::model::*;
use xpr::plan::Plan;

const PROBES: usize = 50;
const RUNS: usize = 5;

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    for profiles in [200, 2_000] {
        let path = dir
            .path()
            .join(format!("generated-{profiles}x{PROBES}.kdl"));
        std::fs::write(&path, generated_kdl(profiles, PROBES)).expect("write generated kdl");
        let experiment = generated_experiment(profiles, PROBES);
        let mut times = Vec::with_capacity(RUNS);
        let mut shape = (0, 0);
        for _ in 0..RUNS {
            let start = Instant::now();
            let plan = Plan::build(&experiment);
            times.push(start.elapsed());
            shape = (plan.node_count(), plan.edge_count());
            drop(plan);
        }
        times.sort();
        println!(
            "plan {profiles:>5} profiles × {PROBES} probes: median {:>8.1} ms (min {:.1}, max {:.1}) \
             over {RUNS} runs; {} nodes, {} edges; peak RSS so far {} MiB; kdl {} ({} KiB)",
            ms(times[RUNS / 2]),
            ms(times[0]),
            ms(times[RUNS - 1]),
            shape.0,
            shape.1,
            peak_rss_kib() / 1024,
            path.display(),
            std::fs::metadata(&path)
                .map(|m| m.len() / 1024)
                .unwrap_or(0),
        );
    }
    if std::env::var_os("XPR_BENCH_KEEP").is_some() {
        let kept = dir.keep();
        println!("generated files kept in {}", kept.display());
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Peak resident set size of this process (Linux reports KiB).
fn peak_rss_kib() -> i64 {
    // SAFETY: getrusage only writes into the struct we pass.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    usage.ru_maxrss
}

/// The generated experiment as KDL (spec.md §2): every profile extends a base and adds one
/// subpath rule; probes alternate reads and writes of fixtures and system files.
fn generated_kdl(profiles: usize, probes: usize) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "experiment \"generated-{profiles}x{probes}\" {{\n    lanes baseline scenario oracle\n}}\n"
    );
    s.push_str("fixtures {\n");
    for f in 0..10 {
        let _ = writeln!(
            s,
            "    file f{f} path=\"{{scratch}}/f{f}\" content=\"f{f}\\n\""
        );
    }
    s.push_str("}\n\nprofile base {\n    default deny\n    allow \"file-read*\" {\n        subpath \"/usr\"\n    }\n}\n");
    for p in 0..profiles {
        let _ = writeln!(
            s,
            "profile p{p} extends=base {{\n    allow \"file-read*\" \"file-write*\" {{\n        subpath \"{{scratch}}/f{}\"\n    }}\n}}",
            p % 10
        );
    }
    for q in 0..probes {
        let (family, target) = probe_shape(q);
        let _ = writeln!(s, "probe q{q} family={family} target=\"{target}\"");
    }
    s.push_str("expect \"p*\" {\n    allow q0\n    deny q1 errno=EACCES world=linux\n}\n");
    s
}

fn probe_shape(q: usize) -> (&'static str, String) {
    match q % 3 {
        0 => ("file-read", format!("{{scratch}}/f{}", q % 10)),
        1 => ("file-write", format!("{{scratch}}/f{}", q % 10)),
        _ => ("file-read", "/etc/hosts".to_string()),
    }
}

/// The same experiment built in code (what `resolve` produces for `generated_kdl`).
fn generated_experiment(profiles: usize, probes: usize) -> Experiment {
    let origin = Origin::default();
    let base = Rule {
        action: Action::Allow,
        operations: vec!["file-read*".into()],
        filters: vec![Filter::Subpath("/usr".into())],
        modifiers: Modifiers::default(),
        origin: origin.clone(),
    };
    let fixtures = (0..10)
        .map(|f| Fixture {
            name: format!("f{f}"),
            kind: FixtureKind::File {
                path: format!("{{scratch}}/f{f}"),
                content: format!("f{f}\n"),
                mode: 0o644,
            },
            origin: origin.clone(),
        })
        .collect();
    let profiles = (0..profiles)
        .map(|p| {
            let own = Rule {
                action: Action::Allow,
                operations: vec!["file-read*".into(), "file-write*".into()],
                filters: vec![Filter::Subpath(format!("{{scratch}}/f{}", p % 10))],
                modifiers: Modifiers::default(),
                origin: origin.clone(),
            };
            let ir = ProfileIr {
                default: Action::Deny,
                rules: vec![base.clone(), own],
            };
            Profile {
                id: format!("p{p}"),
                origin: origin.clone(),
                source: ir.clone(),
                shims: vec![],
                runtime: ir,
                sbpl_source: None,
                extends: Some("base".into()),
            }
        })
        .collect();
    let probes = (0..probes)
        .map(|q| {
            let (family, target) = probe_shape(q);
            let fixtures = if target.starts_with("{scratch}") {
                vec![format!("f{}", q % 10)]
            } else {
                vec![]
            };
            Probe {
                id: format!("q{q}"),
                family: family.into(),
                operation: if family == "file-read" {
                    "file-read-data".into()
                } else {
                    "file-write-data".into()
                },
                target: Some(target),
                args: BTreeMap::new(),
                fixtures,
                control: false,
                destructive: false,
                worlds: vec!["linux".into(), "macos".into()],
                origin: origin.clone(),
            }
        })
        .collect();
    Experiment {
        name: "generated".into(),
        description: None,
        lanes: vec![Lane::Baseline, Lane::Scenario, Lane::Oracle],
        isolation: Isolation::Probe,
        timeout: Duration::from_secs(5),
        params: BTreeMap::new(),
        fixtures,
        profiles,
        shims: vec![],
        probes,
        expectations: vec![],
        sources: vec![],
    }
}
