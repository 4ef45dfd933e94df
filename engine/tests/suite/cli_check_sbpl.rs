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

/// Each rule's line names the mechanism that enforces it in this world: the mount namespace
/// for a deny carved out of an allowed base, Landlock for an allow-list, seccomp for a syscall
/// class; nothing for what nothing enforces.
#[test]
fn the_table_names_each_rules_mechanism() {
    let world = xpr::world::WorldFacts::detect(&xpr::world::WorldOptions::default());
    assert!(
        world.mounts.usable(),
        "needs the mount mechanism (root): {:?}",
        world.mounts.detail
    );
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("carve.sb"),
        "(version 1)\n(allow default)\n(deny file-write* (subpath \"/srv/w/.git\"))\n\
         (deny file-write-mode)\n(allow mach-lookup (global-name \"x\"))\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("list.sb"),
        "(version 1)\n(deny default)\n(allow file-read* (subpath \"/usr\"))\n",
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
    let carve = check("carve.sb");
    let line = |out: &str, at: &str| {
        out.lines()
            .find(|l| l.contains(at))
            .unwrap_or_else(|| panic!("no {at} in {out}"))
            .to_string()
    };
    assert!(
        line(&carve, "carve.sb:3:1").contains("(subpath \"/srv/w/.git\"))  [mount]"),
        "{carve}"
    );
    assert!(
        line(&carve, "carve.sb:4:1").contains("[seccomp]"),
        "{carve}"
    );
    assert!(!line(&carve, "carve.sb:5:1").contains('['), "{carve}");
    let list = check("list.sb");
    assert!(line(&list, "list.sb:3:1").contains("[landlock]"), "{list}");
}
