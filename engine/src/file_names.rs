//! One word, one meaning (ARCHITECTURE.md, "Naming and visibility"): a file name may repeat in
//! another folder only when it is the same concept seen by another stage. Every repeated name
//! is listed here with the files it joins; a new repetition fails until it is renamed by its
//! concept or listed with its reason.

use std::collections::BTreeMap;

use crate::module_order::{rust_files, src_dir};

/// Repeated file names that mean the same thing in each folder, with every file they join.
const SAME_CONCEPT: &[(&str, &[&str])] = &[
    // Each module's own error type.
    (
        "error.rs",
        &[
            "bundle/runtime_tools/error.rs",
            "observe/error.rs",
            "run/error.rs",
            "sbpl/error.rs",
        ],
    ),
    // The model defines it, decode reads its KDL.
    (
        "experiment.rs",
        &["decode/experiment.rs", "model/experiment.rs"],
    ),
    (
        "fixtures.rs",
        &["decode/fixtures.rs", "execute/fixtures.rs"],
    ),
    ("profile.rs", &["decode/profile.rs", "model/profile.rs"]),
    (
        "expectations.rs",
        &["diff/expectations.rs", "resolve/expectations.rs"],
    ),
    // Per-rule fidelity: defined, written, printed, compared.
    (
        "fidelity.rs",
        &[
            "bundle/fidelity.rs",
            "diff/fidelity.rs",
            "model/fidelity.rs",
            "report/fidelity.rs",
        ],
    ),
    // What a world can express: the bundle's artifact, and its comparison.
    (
        "world_vocabulary.rs",
        &["bundle/world_vocabulary.rs", "diff/world_vocabulary.rs"],
    ),
    // Shim divergence: computed by the oracle, printed by the report.
    (
        "divergence.rs",
        &["oracle/divergence.rs", "report/divergence.rs"],
    ),
    // The command's arguments (cli) and what it does.
    ("exec.rs", &["cli/exec.rs", "run/exec.rs"]),
    ("explain.rs", &["bundle/explain.rs", "cli/explain.rs"]),
    // How far a run is: reported by execute, decided by run, drawn by report.
    (
        "progress.rs",
        &[
            "execute/progress.rs",
            "report/progress.rs",
            "run/progress.rs",
        ],
    ),
    // A module's own Markdown section or file.
    ("markdown.rs", &["lanes/markdown.rs", "matrix/markdown.rs"]),
    // A module's output for people.
    (
        "render.rs",
        &["diagnostics/render.rs", "shim_suggest/render.rs"],
    ),
    // Rules of the IR, from KDL (resolve) and from SBPL (sbpl).
    ("rules.rs", &["resolve/rules.rs", "sbpl/eval/rules.rs"]),
    // Schema version strings of each bundle format.
    (
        "schema.rs",
        &["bundle/runtime_tools/schema.rs", "bundle/schema.rs"],
    ),
];

fn repeated_names() -> BTreeMap<String, Vec<String>> {
    let root = src_dir();
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    let mut by_name: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for path in files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name == "mod.rs" {
            continue;
        }
        let rel = path
            .strip_prefix(&root)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        by_name.entry(name).or_default().push(rel);
    }
    by_name.retain(|_, paths| paths.len() > 1);
    for paths in by_name.values_mut() {
        paths.sort();
    }
    by_name
}

#[test]
fn a_repeated_file_name_is_the_same_concept() {
    let listed: BTreeMap<String, Vec<String>> = SAME_CONCEPT
        .iter()
        .map(|(name, paths)| {
            let mut paths: Vec<String> = paths.iter().map(|p| p.to_string()).collect();
            paths.sort();
            (name.to_string(), paths)
        })
        .collect();
    let found = repeated_names();
    let mut problems = Vec::new();
    for (name, paths) in &found {
        match listed.get(name) {
            Some(expected) if expected == paths => {}
            Some(expected) => problems.push(format!(
                "{name}: listed for {expected:?}, found in {paths:?}"
            )),
            None => problems.push(format!(
                "{name} is in {paths:?}: name each file by its concept, or list it in \
                 SAME_CONCEPT with the reason"
            )),
        }
    }
    for name in listed.keys() {
        if !found.contains_key(name) {
            problems.push(format!(
                "{name} no longer repeats: remove it from SAME_CONCEPT"
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
