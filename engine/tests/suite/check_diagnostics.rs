//! The broken-experiment corpus: every file under `tests/broken/` holds one kind of mistake.
//! Each must fail to load with located diagnostics (snapshotted: message, label, location),
//! make `xpr check` exit 2, and never panic. A property test feeds mutated experiments to the
//! front end and asserts it never panics.

use std::path::{Path, PathBuf};

use proptest::prelude::*;
use xpr::resolve::{LoadOptions, check, load};

use crate::support::Xpr;

/// Paths relative to the crate, so rendered file names are stable on every machine.
fn corpus() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir("tests/broken")
        .expect("run from the crate directory")
        .map(|e| e.expect("readable").path())
        .filter(|p| p.extension().is_some_and(|e| e == "kdl"))
        .collect();
    files.sort();
    files
}

fn stem(path: &Path) -> String {
    path.file_stem().unwrap().to_string_lossy().into_owned()
}

#[test]
fn corpus_is_large_enough() {
    assert!(
        corpus().len() >= 30,
        "only {} broken experiments",
        corpus().len()
    );
}

#[test]
fn every_broken_experiment_renders_located_diagnostics() {
    for path in corpus() {
        let name = stem(&path);
        let diags = match load(&path, &LoadOptions::default()) {
            Ok(_) => panic!("{name} loaded without error"),
            Err(d) => d,
        };
        assert!(diags.has_errors(), "{name}: no error");
        let located = diags
            .iter()
            .filter(|d| d.is_error())
            .all(|d| d.location().is_some());
        // Only a `--param` mistake has no place in a file; the corpus has none.
        assert!(located, "{name}: an error without file:line:col");
        let rendered = diags.render_human(100, false);
        insta::with_settings!({
            snapshot_path => "../broken_snapshots",
            prepend_module_to_snapshot => false,
            description => std::fs::read_to_string(&path).unwrap().lines().next().unwrap_or("").to_string(),
        }, {
            insta::assert_snapshot!(name, rendered);
        });
    }
}

#[test]
fn check_exits_2_on_every_broken_experiment() {
    let files = corpus();
    Xpr::new().arg("check").args(&files).run().exit(2);
    for path in &files {
        let out = Xpr::new().arg("check").arg(path).run().exit(2);
        assert!(!out.stderr.contains("panicked"), "{out}");
        assert!(out.stdout.is_empty(), "no summary on failure: {out}");
    }
}

#[test]
fn json_diagnostics_carry_code_file_line_and_column() {
    let out = Xpr::new()
        .args([
            "check",
            "--message-format",
            "json",
            "tests/broken/many_errors.kdl",
        ])
        .run()
        .exit(2);
    let lines: Vec<serde_json::Value> = out
        .stderr
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect();
    assert!(lines.len() >= 4, "every error of the file: {lines:?}");
    let first = &lines[0];
    assert_eq!(first["code"], "xpr::syntax::invalid_value");
    assert_eq!(first["filename"], "tests/broken/many_errors.kdl");
    assert_eq!(first["line"], 4);
    assert_eq!(first["column"], 13);
    assert_eq!(first["severity"], "error");
}

#[test]
fn a_good_experiment_checks_ok_with_a_summary() {
    let stdout = Xpr::new()
        .args(["check", "tests/data/basic.kdl"])
        .run()
        .success()
        .stdout;
    let expected = "ok basic: 3 profiles, 8 probes, 9 expectations, graph ";
    assert!(stdout.starts_with(expected), "{stdout}");
}

#[test]
fn obsolete_operations_warn_but_pass() {
    let loaded = load(
        Path::new("tests/data/obsolete.kdl"),
        &LoadOptions::default(),
    )
    .unwrap();
    let w: Vec<_> = loaded.warnings.iter().collect();
    assert_eq!(w.len(), 1);
    assert_eq!(w[0].code, "xpr::vocabulary::obsolete_operation");
    let rule = &loaded.experiment.profiles[0].source.rules[0];
    assert_eq!(rule.operations, vec!["iokit-open-user-client"]);
    let out = Xpr::new()
        .args(["check", "tests/data/obsolete.kdl"])
        .run()
        .success();
    assert!(out.stderr.contains("is obsolete"));
}

#[test]
fn stdlib_files_check_as_libraries() {
    // The world catalogue is no experiment library: `xpr check` reads it as a catalogue.
    for name in xpr::source::stdlib::names().filter(|n| *n != "worlds") {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../stdlib")
            .join(format!("{name}.kdl"));
        let loaded =
            check(&path, &LoadOptions::default()).unwrap_or_else(|d| panic!("{name}: {d}"));
        assert!(loaded.library);
        let out = Xpr::new().arg("check").arg(&path).run().success();
        assert!(out.stdout.starts_with("ok library "));
        assert!(loaded.warnings.is_empty(), "{name}: {}", loaded.warnings);
    }
}

#[test]
fn the_world_catalogue_checks_as_worlds() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../stdlib/worlds.kdl");
    let out = Xpr::new().arg("check").arg(&path).run().success();
    assert_eq!(out.stdout, "ok worlds worlds: 4 worlds\n");
}

#[test]
fn undeclared_param_override_is_an_error() {
    let opts = LoadOptions {
        params: vec![("nope".into(), "x".into())],
        ..LoadOptions::default()
    };
    let diags = load(Path::new("tests/data/basic.kdl"), &opts).unwrap_err();
    assert_eq!(
        diags.iter().next().unwrap().code,
        "xpr::param::undeclared_override"
    );
}

/// Experiments the mutations start from: test data, the corpus, and shipped experiments and
/// examples when the tree has them.
fn seeds() -> Vec<(PathBuf, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut out = Vec::new();
    for dir in [
        "tests/data",
        "tests/broken",
        "../experiments",
        "../examples",
        "../stdlib",
    ] {
        let Ok(entries) = std::fs::read_dir(root.join(dir)) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.extension().is_some_and(|x| x == "kdl") {
                let text = std::fs::read_to_string(&p).unwrap();
                out.push((p, text));
            }
        }
    }
    out.sort();
    out
}

/// Pieces of KDL and xpr syntax that make mutations land on interesting paths.
const SPLICES: &[&str] = &[
    "{",
    "}",
    "\"",
    "=",
    ";",
    "#true",
    "true",
    "null",
    "r#\"",
    "#\"",
    "/-",
    "//",
    "\n",
    "\\",
    "(",
    ")",
    "{scratch}",
    "{foo}",
    "{",
    "extends=",
    "family=",
    "sbpl=",
    "import \"",
    "..",
    "*",
    "é",
    "\u{0}",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn mutated_experiments_never_panic(
        seed in any::<prop::sample::Index>(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), 0usize..6, any::<prop::sample::Index>()), 1..6),
    ) {
        let seeds = seeds();
        let (origin, text) = &seeds[seed.index(seeds.len())];
        let mut text = text.clone().into_bytes();
        for (at, kind, pick) in edits {
            let pos = at.index(text.len() + 1);
            match kind {
                0 => { text.drain(pos..(pos + 1 + pick.index(8)).min(text.len())); }
                1 | 2 => {
                    let s = SPLICES[pick.index(SPLICES.len())];
                    text.splice(pos..pos, s.bytes());
                }
                3 => {
                    // Duplicate a line: duplicate names, nodes and properties.
                    let start = text[..pos].iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
                    let end = text[pos..].iter().position(|b| *b == b'\n').map_or(text.len(), |i| pos + i + 1);
                    let line = text[start..end].to_vec();
                    text.splice(end..end, line);
                }
                4 => { if pos < text.len() { let set = b"aZ-_*#{}\"0 "; text[pos] = set[pick.index(set.len())]; } }
                _ => { text.truncate(pos); }
            }
        }
        // Mutated files live next to the original so relative imports still resolve.
        // The stdlib has no relative imports, and a scratch dir there would touch what the build
        // script watches, so its mutants go to the system temp dir.
        let parent = origin.parent().unwrap();
        let base = if parent.ends_with("stdlib") { std::env::temp_dir() } else { parent.to_path_buf() };
        let dir = tempfile::Builder::new().prefix(".mutant").tempdir_in(base).unwrap();
        let path = dir.path().join("mutant.kdl");
        std::fs::write(&path, &text).unwrap();
        for result in [load(&path, &LoadOptions::default()), check(&path, &LoadOptions::default())] {
            let diags = match result {
                Ok(loaded) => loaded.warnings,
                Err(diags) => diags,
            };
            let _ = diags.render_human(100, false);
            let _ = diags.render_json();
        }
    }
}

#[test]
fn shipped_experiments_and_examples_check_ok() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    for dir in ["experiments", "examples"] {
        let Ok(entries) = std::fs::read_dir(root.join(dir)) else {
            continue;
        };
        files.extend(
            entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "kdl")),
        );
    }
    files.sort();
    for path in files {
        let out = Xpr::new().arg("check").arg(&path).run().success();
        assert!(out.stdout.starts_with("ok "));
    }
}

#[test]
fn spec_documents_every_diagnostic_code() {
    let spec =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../spec.md")).unwrap();
    for (code, _) in xpr::diagnostics::codes::ALL {
        assert!(
            spec.contains(&format!("| `{code}` |")),
            "spec.md §3.1 lacks {code}"
        );
    }
}
