//! Every probe sees the declared state (spec §5.2): whatever a probe of the serial job
//! changed — created, removed, renamed into place, linked, chmodded — is undone before the
//! next, from the fixture declarations alone. A path a destructive probe names is never taken
//! for part of the pristine state, so a declared fixture named as a `to=` stays declared.
//!
//! The `check-*` probes are commands (serial, after the probes that change things, restored
//! before they run): their exit status says whether the tree is exactly the declared one.

use crate::support::*;
use xpr::execute::ExecuteOptions;
use xpr::model::Verdict::{self, *};

const FIXTURES: &str = r#"
fixtures {
    dir b path="{scratch}/b"
    file g path="{scratch}/b/g" content="g\n"
    dir c path="{scratch}/c"
    dir d path="{scratch}/d"
    file f path="{scratch}/f" content="f\n"
}
"#;

/// The declared tree, checked from a shell: contents, modes, entries, link counts.
const DECLARED: &str = r#"cd {scratch} && test "$(stat -c %a .)" = 700 && test "$(ls -A | tr '\n' ' ')" = 'b c d f ' && test "$(ls -A b)" = g && test -z "$(ls -A c)" && test -z "$(ls -A d)" && test "$(cat b/g)" = g && test "$(cat f)" = f && test "$(stat -c '%a %h' f b/g b c d)" = "$(printf '644 1\n644 1\n755 2\n755 2\n755 2')""#;

fn experiment(probes: &str) -> String {
    format!(
        r##"
experiment "restore" {{
    lanes baseline scenario
    timeout "10s"
}}
{FIXTURES}
profile open {{
    default allow
}}
// A rule on a fixture that probes rename onto, remove or replace: it must keep applying.
profile rule_on_g {{
    default allow
    allow "file-read*" {{
        literal "{{scratch}}/b/g"
    }}
}}
{probes}
probe check-declared family=exec target="/bin/sh" {{
    argv "sh" "-c" #"{DECLARED}"#
}}
"##
    )
}

fn assert_verdicts(r: &xpr::run::RunResult, cases: &[(&str, Verdict, Option<&str>)]) {
    for profile in ["open", "rule_on_g"] {
        for (probe, verdict, errno) in cases {
            let got = verdict_of(r, profile, probe);
            assert_eq!(
                got,
                (*verdict, errno.map(str::to_string)),
                "{profile}/{probe}"
            );
        }
        let check = verdict_of(r, profile, "check-declared");
        assert_eq!(
            check,
            (Allow, None),
            "{profile}: the tree is not the declared one"
        );
    }
    for v in &r.verdicts {
        assert_ne!(v.verdict, Blocked, "{}: {:?}", v.id, v.reason);
        assert_eq!(
            v.baseline,
            Some(v.verdict),
            "{}: a default-allow profile changes nothing",
            v.id
        );
    }
}

/// The issue's case: a directory renamed onto a declared file fails (ENOTDIR) on the declared
/// tree, and the file is still there to read, with a rule on it that still applies.
#[test]
fn a_fixture_named_as_a_rename_target_stays_declared() {
    require_landlock(1);
    let r = run_text(
        "restore.kdl",
        &experiment(
            r#"
probe mv family=file-rename target="{scratch}/c" to="{scratch}/b/g"
probe rd family=file-read target="{scratch}/b/g"
"#,
        ),
        &options(),
    );
    assert_verdicts(&r, &[("mv", Error, Some("ENOTDIR")), ("rd", Allow, None)]);
}

/// Renames onto a file, onto a directory, a file onto a directory, links onto an existing file
/// and to a new name, unlink then read, mkdir over a fixture and inside one, create inside a
/// declared dir: each sees the declared tree, and the tree is declared again after it.
#[test]
fn every_change_a_probe_makes_is_undone_before_the_next() {
    require_landlock(1);
    let r = run_text(
        "restore.kdl",
        &experiment(
            r#"
probe mv-file-onto-file family=file-rename target="{scratch}/f" to="{scratch}/b/g"
probe mv-dir-onto-dir family=file-rename target="{scratch}/c" to="{scratch}/d"
probe mv-file-onto-dir family=file-rename target="{scratch}/f" to="{scratch}/d"
probe ln-onto-file family=file-link target="{scratch}/f" to="{scratch}/b/g"
probe ln-new family=file-link target="{scratch}/f" to="{scratch}/b/new"
probe rm-f family=file-unlink target="{scratch}/f"
probe rd-f family=file-read target="{scratch}/f"
probe rm-g family=file-unlink target="{scratch}/b/g"
probe mkdir-over-b family=dir-create target="{scratch}/b"
probe mkdir-in-b family=dir-create target="{scratch}/b/sub"
probe create-in-c family=file-create target="{scratch}/c/made"
probe rd-g family=file-read target="{scratch}/b/g"
probe list-c family=dir-list target="{scratch}/c"
"#,
        ),
        &options(),
    );
    assert_verdicts(
        &r,
        &[
            ("mv-file-onto-file", Allow, None),
            ("mv-dir-onto-dir", Allow, None),
            ("mv-file-onto-dir", Error, Some("EISDIR")),
            ("ln-onto-file", Error, Some("EEXIST")),
            ("ln-new", Allow, None),
            ("rm-f", Allow, None),
            ("rd-f", Allow, None),
            ("rm-g", Allow, None),
            ("mkdir-over-b", Error, Some("EEXIST")),
            ("mkdir-in-b", Allow, None),
            ("create-in-c", Allow, None),
            ("rd-g", Allow, None),
            ("list-c", Allow, None),
        ],
    );
}

/// Commands change what no driver can (modes, new entries anywhere beneath `{scratch}`): they
/// run in the serial job, and the restore before the next probe undoes them.
#[test]
fn commands_that_chmod_and_create_are_undone_before_the_next_probe() {
    require_landlock(1);
    let r = run_text(
        "restore.kdl",
        &experiment(
            r#"
probe chmod-f family=exec target="/bin/chmod" {
    argv "chmod" "000" "{scratch}/f"
}
probe chmod-b family=exec target="/bin/chmod" {
    argv "chmod" "0700" "{scratch}/b"
}
probe chmod-root family=exec target="/bin/chmod" {
    argv "chmod" "0755" "{scratch}"
}
probe scribble family=exec target="/bin/sh" {
    argv "sh" "-c" "echo x > {scratch}/b/g && mkdir {scratch}/c/new && ln -s /etc {scratch}/d/etc && ln {scratch}/f {scratch}/f2"
}
probe rd-f family=file-read target="{scratch}/f"
probe rd-g family=file-read target="{scratch}/b/g"
"#,
        ),
        &ExecuteOptions {
            jobs: 3,
            ..options()
        },
    );
    assert_verdicts(
        &r,
        &[
            ("chmod-f", Allow, None),
            ("chmod-b", Allow, None),
            ("chmod-root", Allow, None),
            ("scribble", Allow, None),
            ("rd-f", Allow, None),
            ("rd-g", Allow, None),
        ],
    );
}

/// A probe that kills or stops a process fixture runs in the serial job, after every probe
/// that only looks at it, and the fixture processes start anew after it: no other probe sees
/// what it did.
#[test]
fn a_probe_that_kills_a_fixture_process_changes_nothing_for_the_others() {
    require_landlock(1);
    let r = run_text(
        "outsider.kdl",
        r#"
experiment "outsider" {
    lanes baseline scenario
}
fixtures {
    process outsider
}
profile open {
    default allow
}
probe kill-outsider family=signal fixture=outsider signal="KILL"
probe stop-outsider family=signal fixture=outsider signal="STOP"
probe info-outsider family=process-info fixture=outsider
probe ping-outsider family=signal fixture=outsider signal=0
"#,
        &ExecuteOptions {
            jobs: 1,
            ..options()
        },
    );
    for probe in [
        "kill-outsider",
        "stop-outsider",
        "info-outsider",
        "ping-outsider",
    ] {
        assert_eq!(verdict_of(&r, "open", probe), (Allow, None), "{probe}");
    }
}
