//! Golden tests of emitted SBPL: each `golden/sbpl/<name>.in.sb` is parsed and emitted; the
//! result must equal `<name>.out.sb`. `UPDATE_GOLDEN=1 cargo test --test sbpl_golden` rewrites
//! the expected files (review the diff before committing).

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
    let expected_path = dir.join(format!("{name}.out.sb"));
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&expected_path, &emitted).unwrap();
    }
    let expected = std::fs::read_to_string(&expected_path).unwrap_or_else(|_| {
        panic!(
            "missing {}; run with UPDATE_GOLDEN=1",
            expected_path.display()
        )
    });
    assert_eq!(
        emitted, expected,
        "{name}: emitted SBPL differs from the golden file"
    );
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
