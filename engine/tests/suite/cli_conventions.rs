//! What users of cargo, nextest and ripgrep expect of a command line: help for every
//! argument, `--color` with `NO_COLOR`/`CLICOLOR_FORCE`, output that fits `COLUMNS`,
//! `--message-format json` for every line a tool reads, completions and a man page.

use std::path::Path;

use crate::support::{Output, Xpr};

/// `xpr` with the colour and width variables of the test's own environment removed, then
/// `env` set.
fn xpr(args: &[&str], env: &[(&str, &str)], tmp: &Path) -> Output {
    let mut cmd = Xpr::new()
        .args(args)
        .env("TMPDIR", tmp)
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("COLUMNS");
    for (k, v) in env {
        cmd = cmd.env(k, v);
    }
    cmd.run()
}

fn stdout(o: &Output) -> String {
    o.stdout.clone()
}

#[test]
fn colour_follows_the_flag_and_the_environment() {
    crate::support::require_landlock(1);
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let run = |extra: &[&str], env: &[(&str, &str)]| {
        let mut args = vec!["run", "tests/run/small.kdl", "--out", out.to_str().unwrap()];
        args.extend(extra);
        stdout(&xpr(&args, env, tmp.path()))
    };
    let ansi = |s: &str| s.contains('\x1b');
    assert!(!ansi(&run(&[], &[])), "a pipe gets no colour");
    assert!(ansi(&run(&["--color", "always"], &[])));
    assert!(ansi(&run(&[], &[("CLICOLOR_FORCE", "1")])));
    assert!(!ansi(&run(
        &[],
        &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")]
    )));
    assert!(!ansi(&run(&["--color=never"], &[("CLICOLOR_FORCE", "1")])));
}

#[test]
fn text_fits_columns() {
    crate::support::require_landlock(1);
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let o = out.to_str().unwrap();
    let narrow = [("COLUMNS", "80")];
    let run = xpr(
        &[
            "run",
            "../experiments/runtime-checks.kdl",
            "--out",
            o,
            "--format",
            "json",
        ],
        &[],
        tmp.path(),
    );
    let report = run.json();
    let a = report["bundle"].as_str().unwrap().to_string();
    let capped = xpr(
        &[
            "run",
            "../experiments/runtime-checks.kdl",
            "--out",
            o,
            "--landlock-abi",
            "3",
        ],
        &narrow,
        tmp.path(),
    );
    let b = std::fs::canonicalize(out.join("runtime-checks/latest")).unwrap();
    let b = b.to_str().unwrap();
    for (what, text) in [
        ("run", stdout(&capped)),
        ("diff", stdout(&xpr(&["diff", &a, b], &narrow, tmp.path()))),
        (
            "explain",
            stdout(&xpr(&["explain", b], &narrow, tmp.path())),
        ),
        (
            "explain one",
            stdout(&xpr(
                &["explain", &a, "v1_read/cat-foo"],
                &narrow,
                tmp.path(),
            )),
        ),
        ("world", stdout(&xpr(&["world"], &narrow, tmp.path()))),
        (
            "list",
            stdout(&xpr(
                &["list", "../experiments/runtime-checks.kdl"],
                &narrow,
                tmp.path(),
            )),
        ),
    ] {
        assert!(text.lines().count() > 3, "{what}: {text}");
        for line in text.lines() {
            assert!(
                line.chars().count() <= 80,
                "{what}: {} columns: {line}",
                line.chars().count()
            );
        }
    }
    // Without COLUMNS, a pipe keeps whole lines (grep sees each record on one line).
    let wide = stdout(&xpr(&["explain", b], &[], tmp.path()));
    assert!(wide.lines().any(|l| l.chars().count() > 80));
}

#[test]
fn message_format_json_covers_the_ok_line_and_environment_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let ok = xpr(
        &["check", "tests/run/small.kdl", "--message-format", "json"],
        &[],
        tmp.path(),
    );
    let line = ok.json();
    assert_eq!(line["ok"], true);
    assert!(
        line["message"]
            .as_str()
            .unwrap()
            .starts_with("ok cli-small:")
    );

    // An output root that is a file: exit 3, the error as one JSON object.
    let file = tmp.path().join("file");
    std::fs::write(&file, "").unwrap();
    let env = xpr(
        &[
            "--message-format=json",
            "run",
            "tests/run/small.kdl",
            "--out",
            file.to_str().unwrap(),
        ],
        &[],
        tmp.path(),
    );
    assert_eq!(env.code(), Some(3));
    let err: serde_json::Value =
        serde_json::from_str(&env.stderr).expect("the error is one JSON object");
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .contains("cannot write bundles")
    );
    let missing = xpr(
        &["verify", "nope", "--message-format", "json"],
        &[],
        tmp.path(),
    );
    assert_eq!(missing.code(), Some(2));
    serde_json::from_str::<serde_json::Value>(&missing.stderr).expect("JSON");
}

#[test]
fn completions_and_man_pages_come_from_the_parser() {
    let tmp = tempfile::tempdir().unwrap();
    for shell in ["bash", "zsh", "fish"] {
        let o = xpr(&["completions", shell], &[], tmp.path());
        assert_eq!(o.code(), Some(0));
        let text = stdout(&o);
        assert!(
            text.contains("rerun-failed") && text.contains("fail-fast"),
            "{shell}"
        );
    }
    let man = xpr(&["man"], &[], tmp.path());
    let page = stdout(&man);
    assert!(
        page.starts_with(".ie") || page.contains(".TH xpr"),
        "{page}"
    );
    let dir = tmp.path().join("man");
    let o = xpr(
        &["man", "--out-dir", dir.to_str().unwrap()],
        &[],
        tmp.path(),
    );
    assert_eq!(o.code(), Some(0));
    for page in ["xpr.1", "xpr-run.1", "xpr-shim-suggest.1", "xpr-list.1"] {
        let text = std::fs::read_to_string(dir.join(page)).unwrap();
        assert!(text.contains(".TH"), "{page}");
    }
    assert!(
        !dir.join("xpr-__probe.1").exists(),
        "the internal helper has no page"
    );
    let run = std::fs::read_to_string(dir.join("xpr-run.1")).unwrap();
    assert!(run.contains("rerun\\-failed"), "{run}");
}

/// Verbosity (spec §10): off a terminal a run prints no status lines and no harness notes;
/// `-v` prints one status line per finished pair with its elapsed time, and the harness notes
/// (a container, say) that otherwise only `xpr world` and the manifest show; `-q` leaves only
/// the rows that did not hold (none here) and the summary. `check` never speaks of the harness.
#[test]
fn status_lines_and_harness_notes_follow_the_verbosity() {
    crate::support::require_landlock(1);
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let run = |extra: &[&str]| {
        let mut args = vec!["run", "tests/run/small.kdl", "--out", out.to_str().unwrap()];
        args.extend(extra);
        let o = xpr(&args, &[], tmp.path());
        assert_eq!(o.code(), Some(0), "{o}");
        o
    };
    let pairs = ["read_foo/read-foo", "read_foo/read-hosts"];
    let quiet_pipe = run(&[]);
    assert!(!quiet_pipe.stderr.contains("harness"), "{quiet_pipe}");
    assert!(!quiet_pipe.stderr.contains(" OK ["), "{quiet_pipe}");

    let verbose = run(&["-v"]);
    for pair in pairs {
        let lines: Vec<&str> = verbose
            .stderr
            .lines()
            .filter(|l| l.contains(&format!("] {pair}:")))
            .collect();
        assert_eq!(lines.len(), 1, "one status line for {pair}: {verbose}");
        let line = lines[0].trim_start();
        assert!(line.starts_with("OK ["), "{line}");
        let elapsed = line["OK [".len()..].split('s').next().unwrap().trim();
        assert!(elapsed.parse::<f64>().is_ok(), "elapsed time in {line}");
    }
    let world = xpr(&["world", "--format", "json"], &[], tmp.path()).json();
    let hints = world["harness"]["container_hints"].as_array().unwrap();
    if let Some(hint) = hints.first() {
        let note = format!("note: harness: container: {}", hint.as_str().unwrap());
        assert!(verbose.stderr.contains(&note), "{verbose}");
        let shown = stdout(&xpr(&["world"], &[], tmp.path()));
        assert!(shown.contains(hint.as_str().unwrap()), "{shown}");
    }

    // summary.md holds the matrix as a Markdown table, not a code block.
    let md = std::fs::read_to_string(out.join("cli-small/latest/summary.md")).unwrap();
    assert!(md.contains("\n| profile | probe | expected |"), "{md}");
    assert!(md.contains("\n|---|"), "{md}");
    assert!(!md.contains("```"), "{md}");

    let quiet = run(&["-q"]);
    assert!(!pairs.iter().any(|p| quiet.stdout.contains(p)), "{quiet}");
    assert!(quiet.stdout.contains("2 held, 0 mismatched"), "{quiet}");

    let check = xpr(&["check", "tests/run/small.kdl"], &[], tmp.path());
    assert_eq!(check.code(), Some(0));
    assert!(!check.stderr.contains("harness"), "{check}");
}
