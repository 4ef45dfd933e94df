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

// ---- Files that SBPL and experiments name (issue 10, item 5) ----

use crate::support::mkfifo;

const SECRET: &str = "root:$y$SECRET-HASH-4711:19000:0:99999:7:::";

/// A profile directory `p/` and, beside it, a directory the profile must not reach into.
fn tree() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir_all(d.join("p/sub")).unwrap();
    std::fs::create_dir_all(d.join("outside")).unwrap();
    std::fs::write(d.join("outside/secret.sb"), format!("{SECRET}\n{SECRET}\n")).unwrap();
    std::fs::write(d.join("p/ok.sb"), "(allow process-fork)\n").unwrap();
    dir
}

fn main_sb(dir: &std::path::Path, import: &str) {
    std::fs::write(
        dir.join("p/main.sb"),
        format!("(version 1)\n(deny default)\n(import \"{import}\")\n"),
    )
    .unwrap();
}

#[test]
fn an_absolute_import_needs_the_flag_and_never_echoes_a_file_that_is_not_sbpl() {
    let dir = tree();
    let secret = dir.path().join("outside/secret.sb");
    main_sb(dir.path(), secret.to_str().unwrap());
    let (code, stdout, stderr) = Xpr::new()
        .args(["check", "main.sb"])
        .cwd(dir.path().join("p"))
        .run_bounded()
        .into_parts();
    assert_eq!(code, 2, "{stderr}");
    // The message wraps at 100 columns wherever the temporary path's length puts it.
    let unwrapped: String = stderr
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '│')
        .collect();
    assert!(unwrapped.contains("--sbpl-absolute-imports"), "{stderr}");
    assert!(
        !stderr.contains("SECRET") && !stdout.contains("SECRET"),
        "{stderr}"
    );
    let (code, stdout, stderr) = Xpr::new()
        .args(["check", "main.sb", "--sbpl-absolute-imports"])
        .cwd(dir.path().join("p"))
        .run_bounded()
        .into_parts();
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("not an SBPL file"), "{stderr}");
    assert!(stderr.contains("secret.sb:1:1"), "{stderr}");
    assert!(
        !stderr.contains("SECRET") && !stdout.contains("SECRET"),
        "{stderr}"
    );
    // The same file reached by `..`: found, but still not shown.
    main_sb(dir.path(), "../outside/secret.sb");
    let (code, _, stderr) = Xpr::new()
        .args(["check", "main.sb", "--message-format", "json"])
        .cwd(dir.path().join("p"))
        .run_bounded()
        .into_parts();
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("\"line\":1"), "{stderr}");
    assert!(!stderr.contains("SECRET"), "{stderr}");
}

#[test]
fn imports_of_fifos_devices_directories_and_huge_files_fail_fast_and_clearly() {
    let dir = tree();
    let p = dir.path().join("p");
    mkfifo(&p.join("fifo.sb"));
    let huge = std::fs::File::create(p.join("huge.sb")).unwrap();
    huge.set_len((16 << 20) + 1).unwrap();
    for (import, flag, expected) in [
        ("fifo.sb", None, "a FIFO"),
        (
            "/dev/zero",
            Some("--sbpl-absolute-imports"),
            "a character device",
        ),
        ("sub", None, "a directory"),
        ("huge.sb", None, "larger than 16 MiB"),
    ] {
        main_sb(dir.path(), import);
        let mut args = vec!["check", "main.sb"];
        args.extend(flag);
        let (code, _, stderr) = Xpr::new().args(&args).cwd(&p).run_bounded().into_parts();
        assert_eq!(code, 2, "{import}: {stderr}");
        assert!(stderr.contains(expected), "{import}: {stderr}");
        assert!(stderr.contains("xpr::sbpl::import"), "{import}: {stderr}");
    }
}

#[test]
fn imports_never_follow_a_symlink_inside_the_profile_tree() {
    let dir = tree();
    let p = dir.path().join("p");
    std::os::unix::fs::symlink(dir.path().join("outside/secret.sb"), p.join("link.sb")).unwrap();
    std::os::unix::fs::symlink(dir.path().join("outside"), p.join("zz")).unwrap();
    for import in ["link.sb", "zz/secret.sb", "sub/../zz/secret.sb"] {
        main_sb(dir.path(), import);
        let (code, _, stderr) = Xpr::new()
            .args(["check", "main.sb"])
            .cwd(&p)
            .run_bounded()
            .into_parts();
        assert_eq!(code, 2, "{import}: {stderr}");
        assert!(stderr.contains("symlink"), "{import}: {stderr}");
        assert!(!stderr.contains("SECRET"), "{import}: {stderr}");
    }
}

#[test]
fn the_search_path_is_explicit() {
    let dir = tree();
    std::fs::create_dir(dir.path().join("lib")).unwrap();
    std::fs::write(dir.path().join("lib/base.sb"), "(allow process-fork)\n").unwrap();
    main_sb(dir.path(), "base.sb");
    let p = dir.path().join("p");
    let (code, stdout, _) = Xpr::new()
        .args(["check", "main.sb"])
        .cwd(&p)
        .run_bounded()
        .into_parts();
    assert_eq!(code, 0);
    assert!(
        stdout.contains("(import \"base.sb\")"),
        "not found: kept opaque: {stdout}"
    );
    let (code, stdout, stderr) = Xpr::new()
        .args(["check", "main.sb", "--sbpl-path", "../lib"])
        .cwd(&p)
        .run_bounded()
        .into_parts();
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("base.sb:1:1"), "{stdout}");
}

#[test]
fn files_an_experiment_names_are_read_the_same_careful_way() {
    let dir = tree();
    let p = dir.path().join("p");
    let experiment = |body: &str| {
        std::fs::write(
            p.join("x.kdl"),
            format!("experiment \"x\" {{\n    lanes baseline scenario\n}}\n{body}\n"),
        )
        .unwrap();
    };
    // An `sbpl=` file that is not SBPL, an import that is not xpr KDL: located, not shown.
    std::fs::write(dir.path().join("outside/secret.kdl"), format!("{SECRET}\n")).unwrap();
    for body in [
        "profile s sbpl=\"../outside/secret.sb\"",
        "import \"../outside/secret.kdl\"",
    ] {
        experiment(body);
        let (code, stdout, stderr) = Xpr::new()
            .args(["check", "x.kdl"])
            .cwd(&p)
            .run_bounded()
            .into_parts();
        assert_eq!(code, 2, "{body}: {stderr}");
        assert!(stderr.contains("secret"), "{body}: located: {stderr}");
        assert!(
            !stderr.contains("SECRET") && !stdout.contains("SECRET"),
            "{body}: {stderr}"
        );
    }
    mkfifo(&p.join("fifo.kdl"));
    std::os::unix::fs::symlink(dir.path().join("outside"), p.join("zz")).unwrap();
    for (body, expected) in [
        ("import \"fifo.kdl\"", "a FIFO"),
        ("import \"zz/secret.kdl\"", "symlink"),
        ("profile s sbpl=\"zz/secret.sb\"", "symlink"),
        ("profile s sbpl=\"/etc/hostname\"", "xpr::import::absolute"),
    ] {
        experiment(body);
        let (code, _, stderr) = Xpr::new()
            .args(["check", "x.kdl"])
            .cwd(&p)
            .run_bounded()
            .into_parts();
        assert_eq!(code, 2, "{body}: {stderr}");
        assert!(stderr.contains(expected), "{body}: {stderr}");
    }
}

/// `sbpl=` takes parameters; once substituted, a path outside the experiment's directory is
/// read only when the person running xpr says so, like an absolute SBPL import.
#[test]
fn an_sbpl_file_outside_the_experiment_needs_the_absolute_imports_flag() {
    let dir = tree();
    let p = dir.path().join("p");
    let secret = dir.path().join("outside/secret.sb");
    std::fs::write(
        p.join("x.kdl"),
        "experiment \"x\" {\n    lanes scenario\n    param sb \"ok.sb\"\n}\nprofile s sbpl=\"{sb}\"\n",
    )
    .unwrap();
    Xpr::new().args(["check", "x.kdl"]).cwd(&p).run().success();
    let inside = format!("sb={}", p.join("ok.sb").display());
    Xpr::new()
        .args(["check", "x.kdl", "--param", &inside])
        .cwd(&p)
        .run()
        .success();
    let outside = format!("sb={}", secret.display());
    let out = Xpr::new()
        .args(["check", "x.kdl", "--param", &outside])
        .cwd(&p)
        .run()
        .exit(2);
    assert!(out.stderr.contains("xpr::import::absolute"), "{out}");
    assert!(out.stderr.contains("--sbpl-absolute-imports"), "{out}");
    assert!(!out.stderr.contains("SECRET-HASH"), "{out}");
    // With the flag it is read (and, not being SBPL, refused without showing its text).
    let out = Xpr::new()
        .args([
            "check",
            "x.kdl",
            "--sbpl-absolute-imports",
            "--param",
            &outside,
        ])
        .cwd(&p)
        .run()
        .exit(2);
    assert!(!out.stderr.contains("xpr::import::absolute"), "{out}");
    assert!(!out.stderr.contains("SECRET-HASH"), "{out}");
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
