//! Golden tests of emitted SBPL: each `golden/sbpl/<name>.in.sb` is parsed and emitted; the
//! result must equal the snapshot `suite__sbpl_golden__<name>` (`cargo insta review` shows a
//! change to accept or reject).

use std::path::{Path, PathBuf};

use xpr::sbpl::{SbplOptions, emit_profile, parse};

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/sbpl")
}

fn check(name: &str) {
    let dir = golden_dir();
    let input = std::fs::read_to_string(dir.join(format!("{name}.in.sb"))).unwrap();
    let opts = SbplOptions {
        search_path: vec![dir.join("imports")],
        ..SbplOptions::default()
    };
    let profile =
        parse(&input, &format!("{name}.in.sb"), &opts).unwrap_or_else(|e| panic!("{name}: {e:?}"));
    let emitted = emit_profile(&profile);
    insta::assert_snapshot!(name, emitted);
    // insta ignores trailing whitespace; a file ends with exactly one newline.
    assert!(emitted.ends_with(")\n"), "{name}: {emitted:?}");
    // The golden output itself is a fixed point.
    let again = parse(&emitted, "golden.sb", &opts).unwrap();
    assert_eq!(emit_profile(&again), emitted, "{name}: not a fixed point");
}

#[test]
fn minimal() {
    check("minimal");
}

#[test]
fn macros() {
    check("macros");
}

#[test]
fn network() {
    check("network");
}

#[test]
fn opaque() {
    check("opaque");
}

#[test]
fn import() {
    check("import");
}
