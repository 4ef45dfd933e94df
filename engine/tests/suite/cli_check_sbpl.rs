//! `xpr check FILE.sb` end to end: diagnostics at the exact line and column with exit 2, the
//! per-rule fidelity table, and `--emit sbpl`.

use crate::support::Xpr;

#[test]
fn bad_sb_points_at_the_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bad.sb"),
        "(version 1)\n(deny default)\n(allow file-read* (subpath 5))\n(allow)\n",
    )
    .unwrap();
    let out = Xpr::new()
        .cwd(dir.path())
        .args(["check", "bad.sb"])
        .run()
        .exit(2);
    let stderr = &out.stderr;
    assert!(out.stdout.is_empty());
    assert!(stderr.contains("bad.sb:3:28"), "{stderr}");
    assert!(stderr.contains("bad.sb:4:1"), "{stderr}");
    assert!(stderr.contains("`subpath` expects a string"), "{stderr}");
    let stderr = Xpr::new()
        .cwd(dir.path())
        .args(["check", "bad.sb", "--message-format", "json"])
        .run()
        .exit(2)
        .stderr;
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
    let stdout = Xpr::new()
        .cwd(dir.path())
        .args(["check", "p.sb"])
        .run()
        .success()
        .stdout;
    assert!(stdout.starts_with("p.sb: 2 rules:"), "{stdout}");
    assert!(
        stdout.contains("p.sb:3:1  unsupported  (allow mach-lookup (global-name \"x\"))"),
        "{stdout}"
    );
    assert!(
        stdout.contains("p.sb:4:1  unsupported  (if (param \"NET\") (allow network*))"),
        "{stdout}"
    );
    let stdout = Xpr::new()
        .cwd(dir.path())
        .args(["check", "p.sb", "--emit", "sbpl", "--param", "NET=1"])
        .run()
        .success()
        .stdout;
    assert_eq!(
        stdout,
        "(version 1)\n(deny default)\n(allow mach-lookup (global-name \"x\"))\n(allow network*)\n"
    );
    let stderr = Xpr::new()
        .cwd(dir.path())
        .args(["check", "p.sb", "--emit", "kdl"])
        .run()
        .exit(2)
        .stderr;
    assert!(
        stderr.contains("invalid value 'kdl' for '--emit"),
        "{stderr}"
    );
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
    let stdout = Xpr::new()
        .cwd(dir.path())
        .args(["check", "main.sb"])
        .run()
        .success()
        .stdout;
    assert!(
        stdout.contains("base.sb:2:1  unsupported  (allow mach-lookup"),
        "{stdout}"
    );
    assert!(!stdout.contains("not modelled"), "{stdout}");
}

/// Issue 12 items 3–6 as `xpr check` shows them: each mapping that differs from the SBPL
/// meaning is `approximate`, with the widening or side effect in words on the rule's line.
#[test]
fn check_says_what_linux_does_differently() {
    crate::support::require_landlock(2);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("deny_read.sb"),
        "(version 1)\n(allow default)\n(deny file-read-data)\n(deny file-link)\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("literals.sb"),
        "(version 1)\n(deny default)\n(allow file-read-data (literal \"/etc\"))\n\
         (allow file-write* (literal \"/etc/hosts\"))\n(allow file-write* (subpath \"/usr\"))\n",
    )
    .unwrap();
    let check = |file: &str| {
        Xpr::new()
            .cwd(dir.path())
            .args(["check", file])
            .run()
            .success()
            .stdout
    };
    let line = |out: &str, at: &str| {
        out.lines()
            .find(|l| l.trim_start().starts_with(at))
            .unwrap_or_else(|| panic!("no line {at}: {out}"))
            .to_string()
    };
    let out = check("deny_read.sb");
    // 5: the default's other operations that need the denied right.
    let default = line(&out, "default");
    assert!(default.contains("approximate"), "{default}");
    assert!(
        default.contains("process-exec, sysctl-read need fs.read_file on Linux"),
        "{default}"
    );
    // 6: denying hard links denies creating regular files.
    let links = line(&out, "deny_read.sb:4:1");
    assert!(links.contains("approximate"), "{links}");
    assert!(
        links.contains("also denies creating regular files there (file-write-create)"),
        "{links}"
    );
    let out = check("literals.sb");
    // 3: a literal directory's listing comes with its subdirectories; nothing below it.
    let dir_literal = line(&out, "literals.sb:3:1");
    assert!(dir_literal.contains("approximate"), "{dir_literal}");
    assert!(
        dir_literal.contains("its subdirectories can be listed too")
            && dir_literal.contains("files below it are not granted"),
        "{dir_literal}"
    );
    // 4: removing or renaming a literal is checked on its parent.
    let file_literal = line(&out, "literals.sb:4:1");
    assert!(file_literal.contains("approximate"), "{file_literal}");
    assert!(
        file_literal.contains("checked on its parent directory"),
        "{file_literal}"
    );
    // 6: file-write* allows hard links where it allows creating files.
    let subtree = line(&out, "literals.sb:5:1");
    assert!(subtree.contains("approximate"), "{subtree}");
    assert!(
        subtree.contains("also allows hard links (file-link)"),
        "{subtree}"
    );
}
