//! `xpr check FILE.sb` end to end: diagnostics at the exact line and column with exit 2, the
//! per-rule fidelity table, and `--emit sbpl`.

use std::process::Command;

fn xpr(dir: &std::path::Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_xpr"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn bad_sb_points_at_the_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bad.sb"),
        "(version 1)\n(deny default)\n(allow file-read* (subpath 5))\n(allow)\n",
    )
    .unwrap();
    let (code, stdout, stderr) = xpr(dir.path(), &["check", "bad.sb"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stdout.is_empty());
    assert!(stderr.contains("bad.sb:3:28"), "{stderr}");
    assert!(stderr.contains("bad.sb:4:1"), "{stderr}");
    assert!(stderr.contains("`subpath` expects a string"), "{stderr}");
    let (code, _, stderr) = xpr(dir.path(), &["check", "bad.sb", "--message-format", "json"]);
    assert_eq!(code, 2);
    let first: serde_json::Value = serde_json::from_str(stderr.lines().next().unwrap()).unwrap();
    assert_eq!(first["code"], "xpr::sbpl::form");
    assert_eq!(first["labels"][0]["span"]["offset"], 54);
}

#[test]
fn good_sb_prints_fidelity_or_normalised_sbpl() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("p.sb"),
        "(version 1)\n(deny default)\n(allow mach-lookup (global-name \"x\"))\n\
         (if (param \"NET\") (allow network*))\n",
    )
    .unwrap();
    let (code, stdout, stderr) = xpr(dir.path(), &["check", "p.sb"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.starts_with("p.sb: 2 rules:"), "{stdout}");
    assert!(
        stdout.contains("p.sb:3:1  unsupported  (allow mach-lookup (global-name \"x\"))"),
        "{stdout}"
    );
    assert!(
        stdout.contains("p.sb:4:1  unsupported  (if (param \"NET\") (allow network*))"),
        "{stdout}"
    );
    let (code, stdout, _) = xpr(
        dir.path(),
        &["check", "p.sb", "--emit", "sbpl", "--param", "NET=1"],
    );
    assert_eq!(code, 0);
    assert_eq!(
        stdout,
        "(version 1)\n(deny default)\n(allow mach-lookup (global-name \"x\"))\n(allow network*)\n"
    );
    let (code, _, stderr) = xpr(dir.path(), &["check", "p.sb", "--emit", "kdl"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("unknown --emit format"), "{stderr}");
}

#[test]
fn imports_next_to_a_bare_file_name_resolve() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("base.sb"),
        "(deny default)\n(allow mach-lookup (global-name \"x\"))\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("main.sb"),
        "(version 1)\n(import \"base.sb\")\n",
    )
    .unwrap();
    let (code, stdout, stderr) = xpr(dir.path(), &["check", "main.sb"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("base.sb:2:1  unsupported  (allow mach-lookup"),
        "{stdout}"
    );
    assert!(!stdout.contains("not modelled"), "{stdout}");
}
