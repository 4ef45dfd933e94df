//! Benchmark (not a test): load + plan of generated experiments, 200 × 50 and 2,000 × 50;
//! then hostile input (issue 10): 200,000 errors loaded and reported, a 100,000-rule `.sb`
//! parsed and compiled. Both must stay linear. Last, the KDL front end: whole loads of a
//! normal large experiment and of the 200,000 errors next to the `kdl` crate's parser alone
//! on the same text, and a large file with one syntax error at its end.
//!
//! Run with `cargo bench --bench check_plan`. Each size is generated as KDL text into a temp
//! dir (kept with XPR_BENCH_KEEP=1, so the same files can be fed to a release `xpr plan`
//! under `/usr/bin/time -v`), then loaded (decode + resolve) and planned several times; the
//! medians and the process's peak RSS are printed.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use xpr::plan::Plan;
use xpr::resolve::{LoadOptions, load};

const PROBES: usize = 50;
const RUNS: usize = 5;

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    for profiles in [200, 2_000] {
        let path = dir
            .path()
            .join(format!("generated-{profiles}x{PROBES}.kdl"));
        std::fs::write(&path, generated_kdl(profiles, PROBES)).expect("write generated kdl");
        let (mut loads, mut plans, mut totals) = (Vec::new(), Vec::new(), Vec::new());
        let mut shape = (0, 0);
        for _ in 0..RUNS {
            let start = Instant::now();
            let loaded = match load(&path, &LoadOptions::default()) {
                Ok(loaded) => loaded,
                Err(diags) => panic!("generated experiment does not load: {diags:?}"),
            };
            let loaded_at = start.elapsed();
            let plan = Plan::build(&loaded.experiment);
            let total = start.elapsed();
            loads.push(loaded_at);
            plans.push(total - loaded_at);
            totals.push(total);
            shape = (plan.node_count(), plan.edge_count());
        }
        println!(
            "{profiles:>5} profiles × {PROBES} probes: load+plan median {:>7.1} ms \
             (load {:.1} ms, plan {:.1} ms; min {:.1}, max {:.1}; {RUNS} runs); \
             {} nodes, {} edges; peak RSS so far {} MiB; {} KiB of KDL",
            ms(median(&mut totals)),
            ms(median(&mut loads)),
            ms(median(&mut plans)),
            ms(totals[0]),
            ms(totals[RUNS - 1]),
            shape.0,
            shape.1,
            peak_rss_kib() / 1024,
            std::fs::metadata(&path)
                .map(|m| m.len() / 1024)
                .unwrap_or(0),
        );
    }
    hostile_input(dir.path());
    front_end(dir.path());
    if std::env::var_os("XPR_BENCH_KEEP").is_some() {
        let kept = dir.keep();
        println!("generated files kept in {}", kept.display());
    }
}

/// Input that once took minutes: many errors (diagnostics were rendered by scanning the file
/// from its start for each one) and many SBPL rules (each origin scanned the file too, and
/// each Landlock grant was compared with every earlier one).
fn hostile_input(dir: &std::path::Path) {
    for errors in [8_000, 32_000, 200_000] {
        let mut text = String::from("experiment \"x\" {\n    lanes baseline scenario\n}\n");
        for i in 0..errors {
            let _ = writeln!(text, "zork{i}");
        }
        let path = dir.join(format!("errors-{errors}.kdl"));
        std::fs::write(&path, &text).expect("write");
        let mut times = Vec::new();
        for _ in 0..RUNS {
            let start = Instant::now();
            let diags = load(&path, &LoadOptions::default()).expect_err("errors");
            let rendered = diags.render_human(100, false).len() + diags.render_json().len();
            assert!(rendered > 0 && diags.error_count() == errors);
            times.push(start.elapsed());
        }
        println!(
            "{errors:>7} unknown nodes: load + render median {:>7.1} ms ({RUNS} runs)",
            ms(median(&mut times))
        );
    }
    for rules in [20_000, 100_000] {
        let mut text = String::from("(version 1)\n(deny default)\n");
        for i in 0..rules {
            let _ = writeln!(text, "(allow file-read* (literal \"/tmp/f{i}\"))");
        }
        let opts = xpr::sbpl::SbplOptions::default();
        let world = xpr::world::WorldFacts::detect(&xpr::world::WorldOptions::default());
        let mut times = Vec::new();
        for _ in 0..RUNS {
            let start = Instant::now();
            let profile = xpr::sbpl::parse(&text, "many.sb", &opts).expect("parses");
            let compiled = xpr::compile::linux::compile("many", &profile.ir, &world);
            assert_eq!(compiled.fidelity.len(), rules + 1);
            times.push(start.elapsed());
        }
        println!(
            "{rules:>7} SBPL rules: parse + compile median {:>7.1} ms ({RUNS} runs)",
            ms(median(&mut times))
        );
    }
}

/// Whole loads (parse, decode, resolve) next to the `kdl` crate's parser alone on the same
/// text: valid KDL never reaches that parser now. Then a large file with one syntax error at
/// its end, which does (the fast parser declines it and `kdl` reports the error).
fn front_end(dir: &std::path::Path) {
    let mut errors = String::from("experiment \"x\" {\n    lanes baseline scenario\n}\n");
    for i in 0..200_000 {
        let _ = writeln!(errors, "zork{i}");
    }
    for (what, text, valid) in [
        ("20,000 probe nodes", generated_kdl(1, 20_000), true),
        ("200,000 unknown nodes", errors.clone(), false),
    ] {
        let path = dir.join("front-end.kdl");
        std::fs::write(&path, &text).expect("write");
        let (mut loads, mut theirs) = (Vec::new(), Vec::new());
        for _ in 0..RUNS {
            let start = Instant::now();
            let loaded = load(&path, &LoadOptions::default());
            loads.push(start.elapsed());
            assert_eq!(loaded.is_ok(), valid);
            let start = Instant::now();
            let reference = kdl::KdlDocument::parse(&text);
            theirs.push(start.elapsed());
            assert!(reference.is_ok());
        }
        println!(
            "{what:>22} ({} KiB): load median {:>7.1} ms; the kdl crate's parse alone {:.1} ms",
            text.len() / 1024,
            ms(median(&mut loads)),
            ms(median(&mut theirs)),
        );
    }
    let path = dir.join("syntax-error-at-end.kdl");
    std::fs::write(&path, format!("{errors}zork \"unterminated\n")).expect("write");
    let mut times = Vec::new();
    for _ in 0..RUNS {
        let start = Instant::now();
        let diags = load(&path, &LoadOptions::default()).expect_err("a syntax error");
        assert!(diags.render_human(100, false).contains("unterminated"));
        times.push(start.elapsed());
    }
    println!(
        "{:>22}: load + render median {:>7.1} ms ({RUNS} runs)",
        "2 MB, 1 syntax error",
        ms(median(&mut times))
    );
}

/// Sorts in place and returns the median.
fn median(times: &mut [Duration]) -> Duration {
    times.sort();
    times[times.len() / 2]
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
