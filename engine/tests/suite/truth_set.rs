//! The truth set: cases re-expressed from the kernel's Landlock selftests
//! (`tools/testing/selftests/landlock`) as KDL experiments under tests/truth/, each run for real
//! and checked for verdict, deciding stage and errno. Expectations are keyed to the Landlock ABI:
//! every file runs at the host's ABI, and files that need a newer ABI also run capped just below
//! it, where the world is known to differ (unhandled rights are allowed, rules the ABI cannot
//! express are blocked).

use crate::support::*;
use xpr::model::{Stage, Verdict};

/// (profile, probe, verdict, stage, errno name).
type Case = (
    &'static str,
    &'static str,
    Verdict,
    Option<Stage>,
    Option<&'static str>,
);

const OP: Option<Stage> = Some(Stage::Operation);
const EXEC: Option<Stage> = Some(Stage::Exec);
const APPLY: Option<Stage> = Some(Stage::Apply);
use Verdict::*;

fn assert_cases(path: &str, result: &xpr::run::RunResult, cases: &[Case]) {
    for (profile, probe, verdict, stage, errno) in cases {
        let v = result
            .verdicts
            .iter()
            .find(|v| v.profile == *profile && v.probe == *probe)
            .unwrap_or_else(|| panic!("{path}: no verdict for {profile}/{probe}"));
        assert_eq!(
            (
                v.verdict,
                v.stage,
                v.errno.as_ref().map(|e| e.name.as_str())
            ),
            (*verdict, *stage, *errno),
            "{path}: {profile}/{probe}: {v:?}"
        );
    }
}

/// Every expectation holds at the host ABI (documented known mismatches aside).
fn assert_expectations_hold(path: &str, result: &xpr::run::RunResult) {
    assert!(
        result.summary.passed(),
        "{path}: failing expectations at the host ABI: {:?}",
        result.summary.failures
    );
}

#[test]
fn fs_access_abi1() {
    require_landlock(1);
    let path = "tests/truth/fs_access.kdl";
    let r = run_file(path, None);
    assert_expectations_hold(path, &r);
    assert_cases(
        path,
        &r,
        &[
            // F4 effective_access
            ("ro_s1d2", "read-s1d1-f1", Deny, OP, Some("EACCES")),
            ("ro_s1d2", "read-s1d2-f1", Allow, OP, None),
            ("ro_s1d2", "read-s1d3-f1", Allow, OP, None),
            ("ro_s1d2", "list-s1d1", Deny, OP, Some("EACCES")),
            ("ro_s1d2", "list-s1d2", Allow, OP, None),
            ("ro_s1d2", "write-s1d2-f1", Deny, OP, Some("EACCES")),
            // F6 ruleset_overlap (variant via extends)
            ("rw_s1d2", "write-s1d3-f1", Allow, OP, None),
            ("rw_s1d2", "read-s1d1-f1", Deny, OP, Some("EACCES")),
            // F8 non_overlapping_accesses
            ("create_s1d2", "create-s1d2", Allow, OP, None),
            ("create_s1d2", "create-s1d1", Deny, OP, Some("EACCES")),
            ("create_s1d2", "unlink-s1d2-f2", Deny, OP, Some("EACCES")),
            // F18 rename_file: xpr grants fs.refer everywhere (a move is an unlink plus a
            // create), so the make and remove rights decide; a missing MAKE right is EACCES.
            ("rename_make_remove", "rename-r1-r2", Allow, OP, None),
            ("rename_make_remove", "rename-in-r1", Allow, OP, None),
            (
                "rename_make_remove",
                "rename-r1-s1d1",
                Deny,
                OP,
                Some("EACCES"),
            ),
            ("rename_refer", "rename-r1-r2", Allow, OP, None),
            // F16 execute: the sandbox stops execve itself: exec stage, not a deny.
            (
                "no_exec",
                "exec-true",
                DependencyDenied,
                EXEC,
                Some("EACCES"),
            ),
            ("exec_runnable", "exec-true", Allow, OP, None),
            // N10-style: ENOENT without any sandbox is an error the baseline explains.
            ("ro_s1d2", "read-missing", Error, OP, Some("ENOENT")),
        ],
    );
    let missing = r
        .verdicts
        .iter()
        .find(|v| v.id == "ro_s1d2/read-missing")
        .unwrap();
    assert_eq!(missing.baseline, Some(Error));
    assert_eq!(
        missing.mismatches,
        vec![xpr::model::MismatchReason::BaselineDenied]
    );
    assert!(missing.known.is_some());
    // F18 itself: ABI 1 has no fs.refer, so the same cross-directory rename is EXDEV.
    let abi1 = run_file(path, Some(1));
    assert_cases(
        path,
        &abi1,
        &[
            (
                "rename_make_remove",
                "rename-r1-r2",
                Deny,
                OP,
                Some("EXDEV"),
            ),
            ("rename_make_remove", "rename-in-r1", Allow, OP, None),
        ],
    );
}

#[test]
fn truncate_and_ioctl_abi5() {
    let abi = require_landlock(5);
    let path = "tests/truth/truncate_ioctl.kdl";
    let r = run_file(path, None);
    assert_expectations_hold(path, &r);
    let cases = [
        // F19 truncate: all three kernel paths
        ("read_only", "truncate-path", Deny, OP, Some("EACCES")),
        ("read_only", "truncate-open", Deny, OP, Some("EACCES")),
        ("read_only", "truncate-fd", Deny, OP, Some("EACCES")),
        ("write_t", "truncate-path", Allow, OP, None),
        ("write_t", "truncate-open", Allow, OP, None),
        ("write_t", "truncate-fd", Allow, OP, None),
        // F20 ioctl_dev
        ("read_only", "ioctl-entropy", Deny, OP, Some("EACCES")),
        ("read_only", "ioctl-cloexec", Allow, OP, None),
        ("ioctl_urandom", "ioctl-entropy", Allow, OP, None),
    ];
    assert_cases(path, &r, &cases);
    // ABI 4 world: IOCTL_DEV does not exist, so device ioctls are not handled (allowed) and a
    // profile that grants file-ioctl cannot be expressed.
    if abi >= 5 {
        let r4 = run_file(path, Some(4));
        assert_cases(
            path,
            &r4,
            &[
                ("read_only", "ioctl-entropy", Allow, OP, None),
                ("read_only", "truncate-path", Deny, OP, Some("EACCES")),
            ],
        );
        let v = r4
            .verdicts
            .iter()
            .find(|v| v.id == "ioctl_urandom/ioctl-entropy")
            .unwrap();
        assert!(
            matches!(v.verdict, Allow | Blocked),
            "ABI 4 ioctl_urandom: {v:?}"
        );
    }
}

#[test]
fn network_abi4() {
    let abi = require_landlock(4);
    let path = "tests/truth/network.kdl";
    // The file names fixed ports; each run gets free ones so concurrent runs cannot collide.
    let ports: Vec<(String, String)> = ["47613", "47614", "47615", "47616"]
        .iter()
        .zip(free_ports(4))
        .map(|(from, to)| (from.to_string(), to.to_string()))
        .collect();
    let r = run_file_with(path, &ports, None);
    assert_expectations_hold(path, &r);
    assert_cases(
        path,
        &r,
        &[
            // N1 bind / N2 connect
            ("no_net", "connect-service", Deny, OP, Some("EACCES")),
            ("no_net", "bind-allowed", Deny, OP, Some("EACCES")),
            ("connect_service", "connect-service", Allow, OP, None),
            ("connect_service", "bind-allowed", Deny, OP, Some("EACCES")),
            ("bind_allowed", "bind-allowed", Allow, OP, None),
            ("bind_allowed", "bind-other", Deny, OP, Some("EACCES")),
            // N10-style: the baseline fails as well, so these are not sandbox decisions.
            ("no_net", "connect-closed", Deny, OP, Some("EACCES")),
            ("no_net", "bind-in-use", Deny, OP, Some("EACCES")),
            ("bind_allowed", "bind-in-use", Error, OP, Some("EADDRINUSE")),
        ],
    );
    for id in [
        "no_net/connect-closed",
        "no_net/bind-in-use",
        "bind_allowed/bind-in-use",
    ] {
        let v = r.verdicts.iter().find(|v| v.id == id).unwrap();
        assert_eq!(v.baseline, Some(Error), "{id}");
        assert_eq!(
            v.mismatches,
            vec![xpr::model::MismatchReason::BaselineDenied],
            "{id}"
        );
    }
    // ABI 3 world: TCP is not handled (allowed); port rules cannot be expressed (blocked).
    if abi >= 4 {
        let r3 = run_file_with(path, &ports, Some(3));
        assert_cases(
            path,
            &r3,
            &[
                ("no_net", "connect-service", Allow, OP, None),
                ("no_net", "bind-other", Allow, OP, None),
                ("connect_service", "connect-service", Blocked, APPLY, None),
            ],
        );
    }
}

#[test]
fn scopes_and_ptrace_abi6() {
    let abi = require_landlock(6);
    let path = "tests/truth/scopes.kdl";
    let r = run_file(path, None);
    assert_expectations_hold(path, &r);
    assert_cases(
        path,
        &r,
        &[
            // S1 signal scoping; signals to self always pass.
            ("scoped", "signal-outsider", Deny, OP, Some("EPERM")),
            ("scoped", "signal-self", Allow, OP, None),
            // U1 abstract unix scoping
            ("scoped", "connect-abstract", Deny, OP, Some("EPERM")),
            // P1 ptrace and /proc/<pid>/mem of a process outside the domain
            ("scoped", "ptrace-outsider", Deny, OP, Some("EPERM")),
            ("scoped", "mem-outsider", Deny, OP, Some("EACCES")),
            ("unscoped", "signal-outsider", Allow, OP, None),
            ("unscoped", "connect-abstract", Allow, OP, None),
        ],
    );
    // ABI 5 world: no scopes, so signals and abstract sockets cross the domain; ptrace
    // scoping is implicit in every domain and stays.
    if abi >= 6 {
        let r5 = run_file(path, Some(5));
        assert_cases(
            path,
            &r5,
            &[
                ("scoped", "signal-outsider", Allow, OP, None),
                ("scoped", "connect-abstract", Allow, OP, None),
                ("scoped", "ptrace-outsider", Deny, OP, Some("EPERM")),
            ],
        );
    }
}

#[test]
fn layers_and_links_abi1() {
    let abi = require_landlock(1);
    let path = "tests/truth/layers.kdl";
    let r = run_file(path, None);
    assert_expectations_hold(path, &r);
    assert_cases(
        path,
        &r,
        &[
            // F7 layer_rule_unions: two read-write layers keep reads; a write-only third ends them.
            ("f7_two", "read-s1d3-f1", Allow, OP, None),
            ("f7_three", "read-s1d3-f1", Deny, OP, Some("EACCES")),
            ("f7_three", "write-s1d3-f1", Allow, OP, None),
            // F8 non_overlapping_accesses: each right is decided by the one layer handling it.
            ("f8", "create-s1d1", Deny, OP, Some("EACCES")),
            ("f8", "create-s1d2", Allow, OP, None),
            ("f8", "unlink-s1d2-f2", Deny, OP, Some("EACCES")),
            ("f8", "unlink-s1d3-f1", Allow, OP, None),
            // F9 interleaved_masked_accesses: the read survives layers that do not handle it.
            ("f9_before", "read-s1d3-f1", Allow, OP, None),
            ("f9", "read-s1d3-f1", Deny, OP, Some("EACCES")),
            ("f9", "write-s1d3-f1", Allow, OP, None),
            // F12 rule_over_root_allow_then_deny
            ("root_ro", "list-root", Allow, OP, None),
            ("f12", "list-root", Deny, OP, Some("EACCES")),
            ("f12", "list-s1d1", Deny, OP, Some("EACCES")),
            // F17 link: fs.refer is granted everywhere, so the make right decides.
            ("link_make_s1d2", "link-in-s1d1", Deny, OP, Some("EACCES")),
            ("link_make_s1d2", "link-s2d1-s1d2", Allow, OP, None),
            ("link_make_s1d2", "link-s1d2-s1d3", Allow, OP, None),
            ("link_make_s1d2", "link-in-s1d2", Allow, OP, None),
        ],
    );
    // The oracle intersects the same layers: it agrees everywhere and names the deciding
    // layer (plan index) and that layer's default.
    let oracle = &r.lanes.oracle;
    assert_eq!(oracle.len(), r.verdicts.len());
    let disagree: Vec<_> = oracle.iter().filter(|o| o.agrees != Some(true)).collect();
    assert!(
        disagree.is_empty(),
        "{path}: oracle disagrees: {disagree:?}"
    );
    for (id, layer, layer_profile) in [
        ("f7_three/read-s1d3-f1", 2, "w_s1d2"),
        ("f8/create-s1d1", 0, "make_s1d2"),
        ("f8/unlink-s1d2-f2", 1, "remove_s1d3"),
        ("f9/read-s1d3-f1", 3, "w_s1d2"),
        ("f12/list-root", 1, "root_exec"),
    ] {
        let o = oracle.iter().find(|o| o.id == id).unwrap();
        assert_eq!(o.layer, Some(layer), "{id}: {o:?}");
        let note = o.deciding[0].note.as_deref().unwrap_or_default();
        let label = note.split(':').next().unwrap_or_default();
        assert_eq!(label, format!("layer {layer_profile}"), "{id}: {note}");
    }
    // REFER exists from ABI 2, and every layer grants it, so a link into a subdirectory passes
    // every layer that grants the make right there; in an ABI 1 world every reparenting is
    // EXDEV.
    // The stacks' expectations hold in both worlds.
    if abi >= 2 {
        assert_cases(path, &r, &[("f7_two", "link-s1d2-s1d3", Allow, OP, None)]);
        let r1 = run_file(path, Some(1));
        assert_expectations_hold(path, &r1);
        assert_cases(
            path,
            &r1,
            &[
                ("f7_two", "link-s1d2-s1d3", Deny, OP, Some("EXDEV")),
                ("rw_s1d2", "link-s1d2-s1d3", Deny, OP, Some("EXDEV")),
                ("f9", "read-s1d3-f1", Deny, OP, Some("EACCES")),
                // F17 as the selftest has it: no fs.refer, so changing directory is EXDEV.
                ("link_make_s1d2", "link-s2d1-s1d2", Deny, OP, Some("EXDEV")),
                ("link_make_s1d2", "link-s1d2-s1d3", Deny, OP, Some("EXDEV")),
                ("link_make_s1d2", "link-in-s1d2", Allow, OP, None),
            ],
        );
    }
}

#[test]
fn tcp_layers_abi4() {
    let abi = require_landlock(4);
    let path = "tests/truth/tcp_layers.kdl";
    let ports: Vec<(String, String)> = ["47713", "47714"]
        .iter()
        .zip(free_ports(2))
        .map(|(from, to)| (from.to_string(), to.to_string()))
        .collect();
    let r = run_file_with(path, &ports, None);
    assert_expectations_hold(path, &r);
    // N5 tcp_layers.ruleset_overlap: connect dies from the second layer on, bind passes all.
    assert_cases(
        path,
        &r,
        &[
            ("n5_one", "connect-service", Allow, OP, None),
            ("n5_one", "bind-free", Allow, OP, None),
            ("n5_two", "connect-service", Deny, OP, Some("EACCES")),
            ("n5_two", "bind-free", Allow, OP, None),
            ("n5_three", "connect-service", Deny, OP, Some("EACCES")),
            ("n5_three", "bind-free", Allow, OP, None),
        ],
    );
    let stack = r
        .compiled
        .iter()
        .find(|c| c.profile_id == "n5_three")
        .unwrap();
    assert_eq!(stack.plan.layers.len(), 3);
    // The oracle cannot know the listener's run-time port, except where a layer grants no
    // connect port at all: that layer denies whatever the port is. Nor does it know whether
    // a port no fixture listens on is free: an allowed bind there is unmodeled.
    for o in &r.lanes.oracle {
        let v = r.verdicts.iter().find(|v| v.id == o.id).unwrap();
        let decided = match o.probe.as_str() {
            "connect-service" => !["tcp_bc", "n5_one"].contains(&o.profile.as_str()),
            "bind-free" => v.verdict != Allow,
            _ => true,
        };
        assert_eq!(o.agrees, decided.then_some(true), "{o:?}");
    }
    // ABI 3 world: no TCP rights, so every layer's port rules are inexpressible: blocked at
    // apply, naming the layer, the rule and its origin.
    if abi >= 4 {
        let r3 = run_file_with(path, &ports, Some(3));
        assert_cases(
            path,
            &r3,
            &[("n5_two", "connect-service", Blocked, APPLY, None)],
        );
        let blocked = r3
            .compiled
            .iter()
            .find(|c| c.profile_id == "n5_two")
            .unwrap();
        let detail = &blocked.blocked.as_ref().unwrap().detail;
        assert!(
            detail.starts_with("layer tcp_bc: rule 0 at ") && detail.contains("tcp_layers.kdl:"),
            "{detail}"
        );
    }
}

/// The fidelity entry of `rule` (`None`: the default) of a compiled profile of the run.
fn fidelity<'a>(
    result: &'a xpr::run::RunResult,
    profile: &str,
    rule: Option<usize>,
) -> &'a xpr::compile::RuleFidelity {
    let compiled = result
        .compiled
        .iter()
        .find(|c| c.profile_id == profile)
        .unwrap_or_else(|| panic!("no compiled profile {profile}"));
    compiled
        .fidelity
        .iter()
        .find(|f| f.rule == rule)
        .unwrap_or_else(|| panic!("{profile}: no fidelity entry {rule:?}"))
}

fn assert_approximate(
    result: &xpr::run::RunResult,
    profile: &str,
    rule: Option<usize>,
    says: &str,
) {
    let f = fidelity(result, profile, rule);
    assert_eq!(
        f.fidelity,
        xpr::compile::Fidelity::Approximate,
        "{profile} {rule:?}: {f:?}"
    );
    let note = f.note.as_deref().unwrap_or_default();
    assert!(
        note.contains(says),
        "{profile} {rule:?}: the note should say {says:?}: {note}"
    );
}

#[test]
fn fidelity_labels_and_oracle_abi2() {
    require_landlock(2);
    let path = "tests/truth/fidelity.kdl";
    let r = run_file(path, None);
    assert_expectations_hold(path, &r);
    assert_cases(
        path,
        &r,
        &[
            // 3: a literal directory lists its subdirectories; files below it are not granted.
            ("literal_dir", "read-a-b-g", Deny, OP, Some("EACCES")),
            ("literal_dir", "write-a-f", Deny, OP, Some("EACCES")),
            ("literal_dir", "list-a", Allow, OP, None),
            ("literal_dir", "list-a-b", Allow, OP, None),
            // 4: a literal file can be written, not removed or renamed.
            ("literal_file_write", "write-w-f", Allow, OP, None),
            ("literal_file_write", "unlink-w-f", Deny, OP, Some("EACCES")),
            ("literal_file_write", "rename-w-f", Deny, OP, Some("EACCES")),
            // 5: moves stay allowed; sysctls and exec's loader are files that are read.
            ("deny_read", "move-a-f-to-c", Allow, OP, None),
            ("deny_read", "link-a-f-to-c", Allow, OP, None),
            ("deny_read", "sysctl-ostype", Deny, OP, Some("EACCES")),
            (
                "deny_read",
                "exec-true",
                DependencyDenied,
                EXEC,
                Some("EACCES"),
            ),
            ("deny_read_but_r", "move-a-f-to-c", Allow, OP, None),
            ("deny_read_but_r", "move-a-f-to-r", Deny, OP, Some("EXDEV")),
            // 6: a link is the creation of a regular file on Linux.
            ("write_a", "link-a-f-to-a-b", Allow, OP, None),
            ("write_a", "link-a-f-to-c", Deny, OP, Some("EACCES")),
            ("no_links", "create-c-new", Deny, OP, Some("EACCES")),
            // 7: a missing rule path blocks apply with the errno of the open.
            (
                "missing_rule_path",
                "read-a-b-g",
                Blocked,
                APPLY,
                Some("ENOENT"),
            ),
            (
                "rule_path_below_a_file",
                "read-a-b-g",
                Blocked,
                APPLY,
                Some("ENOTDIR"),
            ),
            // 8: creating needs the make right only.
            ("create_in_c", "create-c-new", Allow, OP, None),
            // 9: a profile that restricts no file operation leaves moves alone.
            ("net_only", "move-a-f-to-c", Allow, OP, None),
            // 10: listing a file is ENOTDIR, sandbox or not.
            ("literal_dir", "list-c-h", Error, OP, Some("ENOTDIR")),
            ("create_in_c", "list-c-h", Error, OP, Some("ENOTDIR")),
        ],
    );
    let blocked = r
        .verdicts
        .iter()
        .find(|v| v.id == "missing_rule_path/read-a-b-g")
        .unwrap();
    assert_eq!(
        blocked.mismatches,
        vec![xpr::model::MismatchReason::NotApplicableInWorld],
        "{blocked:?}"
    );
    assert!(
        blocked
            .reason
            .as_deref()
            .unwrap_or_default()
            .starts_with("not_applicable_in_world"),
        "{blocked:?}"
    );
    // The labels say what Linux does differently, in words.
    assert_approximate(
        &r,
        "literal_dir",
        Some(0),
        "subdirectories can be listed too",
    );
    assert_approximate(
        &r,
        "literal_file_write",
        Some(0),
        "checked on its parent directory",
    );
    assert_approximate(&r, "deny_read", None, "sysctl-read");
    assert_approximate(&r, "deny_read", None, "process-exec");
    assert_approximate(&r, "deny_read_but_r", None, "fails with EXDEV");
    assert_approximate(&r, "write_a", Some(0), "hard links (file-link)");
    assert_approximate(&r, "no_links", None, "file-write-create");
    assert_eq!(
        fidelity(&r, "deny_read", Some(0)).fidelity,
        xpr::compile::Fidelity::Exact
    );
    // The oracle predicts every one of them.
    let disagree: Vec<_> = r
        .lanes
        .oracle
        .iter()
        .filter(|o| o.agrees == Some(false))
        .collect();
    assert!(
        disagree.is_empty(),
        "{path}: oracle disagrees: {disagree:?}"
    );
    for id in [
        "deny_read/sysctl-ostype",
        "deny_read/exec-true",
        "deny_read_but_r/move-a-f-to-r",
        "create_in_c/create-c-new",
        "net_only/move-a-f-to-c",
        "literal_dir/list-c-h",
        "missing_rule_path/read-a-b-g",
    ] {
        let o = r.lanes.oracle.iter().find(|o| o.id == id).unwrap();
        assert_eq!(o.agrees, Some(true), "{id}: {o:?}");
    }
}

/// The fidelity of every profile of tests/truth/fidelity.kdl at ABI 7, in words: what each
/// label says Linux does differently (compile only, no run).
#[test]
fn fidelity_notes_are_pinned() {
    require_landlock(7);
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/truth/fidelity.kdl");
    let loaded = xpr::resolve::load(&file, &Default::default()).expect("fidelity.kdl loads");
    let world = xpr::world::WorldFacts::detect(&xpr::world::WorldOptions {
        landlock_abi_cap: Some(7),
        ..Default::default()
    });
    let mut text = String::new();
    for p in &loaded.experiment.profiles {
        let compiled = xpr::compile::linux::compile(&p.id, &p.runtime, &world);
        text.push_str(&format!("{}\n", p.id));
        for f in &compiled.fidelity {
            text.push_str(&format!(
                "  {} {:?}: {}\n",
                f.text,
                f.fidelity,
                f.note.as_deref().unwrap_or("-")
            ));
        }
    }
    insta::assert_snapshot!("fidelity_notes", text);
}
