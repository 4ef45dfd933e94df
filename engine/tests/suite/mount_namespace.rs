//! The mount mechanism, for real: bubblewrap's behaviour as truth cases (verdict, stage, errno
//! and the deciding mount), the shipped agent-sandbox experiments, the oracle against the
//! kernel, the Landlock-only world, `xpr exec` and `xpr compile --emit`, and the host's mount
//! table left as it was. Every run here builds real mount namespaces (root: CAP_SYS_ADMIN).

use std::path::Path;
use std::time::Duration;

use crate::support::*;
use xpr::model::{MismatchReason, MountDenial, Stage, Verdict};
use xpr::world::{MountStatus, WorldFacts, WorldOptions};

const OP: Option<Stage> = Some(Stage::Operation);
use Verdict::*;

/// The mount mechanism must be there: a test that needs it fails, never passes silently.
fn require_mounts() {
    let world = WorldFacts::detect(&WorldOptions::default());
    assert_eq!(
        world.mounts.status,
        MountStatus::Available,
        "these tests need a private mount namespace (root, CAP_SYS_ADMIN): {:?}",
        world.mounts.detail
    );
}

/// A tree with symlinks inside and into a directory that will be read-only:
/// `w/.git/out → ../outside` and `w/in → .git/config`.
fn symlink_tree(dir: &Path) {
    let w = dir.join("w");
    std::fs::create_dir_all(w.join(".git")).unwrap();
    std::fs::write(w.join("outside"), "outside\n").unwrap();
    std::fs::write(w.join(".git/config"), "[core]\n").unwrap();
    std::os::unix::fs::symlink("../outside", w.join(".git/out")).unwrap();
    std::os::unix::fs::symlink(".git/config", w.join("in")).unwrap();
}

fn truth_run(tree: &Path, landlock_only: bool) -> xpr::run::RunResult {
    let path = "tests/truth/mounts.kdl";
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    let text = std::fs::read_to_string(&file).unwrap().replace(
        r#"param tree "{scratch}/tree""#,
        &format!("param tree {:?}", tree.to_str().unwrap()),
    );
    let _run = exclusive_run();
    let loaded = xpr::resolve::load_str(path, &text, &xpr::resolve::LoadOptions::default())
        .unwrap_or_else(|d| panic!("{path} does not load: {d:?}"));
    let world = WorldFacts::detect(&WorldOptions {
        landlock_only,
        ..WorldOptions::default()
    });
    xpr::run::run_experiment(&loaded.experiment, &world, &options()).expect("run completes")
}

type Case = (
    &'static str,
    &'static str,
    Verdict,
    Option<Stage>,
    Option<&'static str>,
    Option<MountDenial>,
);

#[test]
fn bubblewraps_behaviour_holds_as_policies_express_it() {
    require_mounts();
    let tree = tempfile::tempdir().unwrap();
    symlink_tree(tree.path());
    let r = truth_run(tree.path(), false);
    assert!(
        r.summary.passed(),
        "failing expectations: {:?}",
        r.summary.failures
    );
    use MountDenial::*;
    let cases: &[Case] = &[
        // Bind order: a later rule on the enclosing tree wins; the other order keeps .git.
        ("ro_then_rw", "write-git-config", Allow, OP, None, None),
        (
            "rw_then_ro",
            "write-git-config",
            Deny,
            OP,
            Some("EROFS"),
            Some(ReadOnly),
        ),
        // Nested binds: writable inside read-only; moves across either boundary are EXDEV
        // (a link into the read-only mount makes its name first: EROFS).
        ("nested", "write-git-x-f", Allow, OP, None, None),
        (
            "nested",
            "create-git-new",
            Deny,
            OP,
            Some("EROFS"),
            Some(ReadOnly),
        ),
        (
            "nested",
            "rename-a-into-git",
            Deny,
            OP,
            Some("EXDEV"),
            Some(Boundary),
        ),
        (
            "nested",
            "rename-x-out",
            Deny,
            OP,
            Some("EXDEV"),
            Some(Boundary),
        ),
        (
            "nested",
            "link-b-into-git",
            Deny,
            OP,
            Some("EROFS"),
            Some(ReadOnly),
        ),
        (
            "nested",
            "link-config-out",
            Deny,
            OP,
            Some("EXDEV"),
            Some(Boundary),
        ),
        (
            "nested",
            "rename-in-git",
            Deny,
            OP,
            Some("EROFS"),
            Some(ReadOnly),
        ),
        // A denied path that does not exist: nothing to mount on, like `bwrap --ro-bind`.
        (
            "missing",
            "write-a",
            Blocked,
            Some(Stage::Apply),
            Some("ENOENT"),
            None,
        ),
        // Symlinks are resolved: the mount decides where they lead.
        ("ro_tree", "write-through-out", Allow, OP, None, None),
        (
            "ro_tree",
            "write-through-in",
            Deny,
            OP,
            Some("EROFS"),
            Some(ReadOnly),
        ),
        // A read-only file is a mount point.
        (
            "ro_lock",
            "write-lock",
            Deny,
            OP,
            Some("EROFS"),
            Some(ReadOnly),
        ),
        (
            "ro_lock",
            "unlink-lock",
            Deny,
            OP,
            Some("EBUSY"),
            Some(MountPoint),
        ),
        (
            "ro_lock",
            "rename-lock",
            Deny,
            OP,
            Some("EBUSY"),
            Some(MountPoint),
        ),
        // Hidden: below a directory nothing exists; the directory itself lists as empty.
        (
            "hide_dir",
            "read-secret",
            Deny,
            OP,
            Some("ENOENT"),
            Some(Hidden),
        ),
        ("hide_dir", "list-h", Allow, OP, None, None),
        (
            "hide_dir",
            "create-in-h",
            Deny,
            OP,
            Some("EROFS"),
            Some(Hidden),
        ),
        (
            "hide_file",
            "read-key",
            Deny,
            OP,
            Some("EACCES"),
            Some(Hidden),
        ),
        (
            "hide_file",
            "unlink-key",
            Deny,
            OP,
            Some("EBUSY"),
            Some(MountPoint),
        ),
        // noexec stops execve itself: the exec stage, not a deny.
        (
            "noexec",
            "exec-hello",
            DependencyDenied,
            Some(Stage::Exec),
            Some("EACCES"),
            None,
        ),
        // Landlock beside the mount: each decides its own requests; where both refuse, the
        // mount answers first.
        (
            "workspace",
            "write-git-config",
            Deny,
            OP,
            Some("EROFS"),
            Some(ReadOnly),
        ),
        ("workspace", "write-a", Allow, OP, None, None),
        (
            "workspace",
            "create-outside-w",
            Deny,
            OP,
            Some("EACCES"),
            None,
        ),
        (
            "both_deny",
            "create-git-new",
            Deny,
            OP,
            Some("EROFS"),
            Some(ReadOnly),
        ),
        (
            "both_deny",
            "create-outside-w",
            Deny,
            OP,
            Some("EACCES"),
            None,
        ),
    ];
    for (profile, probe, verdict, stage, errno, denial) in cases {
        let v = r
            .verdicts
            .iter()
            .find(|v| v.profile == *profile && v.probe == *probe)
            .unwrap_or_else(|| panic!("no verdict for {profile}/{probe}"));
        assert_eq!(
            (
                v.verdict,
                v.stage,
                v.errno.as_ref().map(|e| e.name.as_str()),
                v.mount.as_ref().map(|m| m.denial)
            ),
            (*verdict, *stage, *errno, *denial),
            "{profile}/{probe}: {v:?}"
        );
    }
    let missing = r
        .verdicts
        .iter()
        .find(|v| v.id == "missing/write-a")
        .unwrap();
    assert!(
        missing
            .reason
            .as_deref()
            .is_some_and(|t| t.contains("{scratch}/w/absent")),
        "{missing:?}"
    );
    // The oracle predicts every mount decision the kernel made (the script is not ELF: no
    // model, which is never a disagreement).
    let mut compared = 0;
    for o in &r.lanes.oracle {
        let v = r.verdicts.iter().find(|v| v.id == o.id).unwrap();
        if !xpr::oracle::agrees(o, v).unwrap_or(true) {
            panic!(
                "oracle disagrees with the kernel on {}: {o:?}\nactual {v:?}",
                o.id
            );
        }
        compared += usize::from(xpr::oracle::agrees(o, v).is_some());
    }
    assert!(compared > 200, "only {compared} predictions compared");
}

#[test]
fn without_the_mount_mechanism_the_carves_are_blocked() {
    require_mounts();
    let tree = tempfile::tempdir().unwrap();
    symlink_tree(tree.path());
    let r = truth_run(tree.path(), true);
    let v = r
        .verdicts
        .iter()
        .find(|v| v.id == "nested/write-a")
        .unwrap();
    assert_eq!((v.verdict, v.stage), (Blocked, Some(Stage::Apply)));
    assert_eq!(v.mismatches, []);
    let reason = v.reason.as_deref().unwrap_or_default();
    assert!(
        reason.contains("Landlock cannot subtract") && reason.contains("--mechanism landlock"),
        "{reason}"
    );
    // A profile without carves runs as before.
    let v = r
        .verdicts
        .iter()
        .find(|v| v.id == "workspace/create-outside-w")
        .unwrap();
    assert_eq!(v.verdict, Blocked, "the workspace profile carves .git too");
}

fn run_experiment_file(path: &str) -> xpr::run::RunResult {
    let r = run_file(path, None);
    assert!(
        r.summary.passed(),
        "{path}: failing expectations: {:?}",
        r.summary.failures
    );
    r
}

#[test]
fn the_agent_sandbox_experiments_hold() {
    require_mounts();
    for path in [
        "../experiments/agent-sandbox-codex.kdl",
        "../experiments/agent-sandbox-srt.kdl",
    ] {
        let r = run_experiment_file(path);
        assert_eq!(
            r.lanes.calibration.as_ref().map(|c| c.calibration),
            Some(xpr::oracle::Calibration::Calibrated),
            "{path}: {:?}",
            r.lanes.calibration
        );
        assert!(r.verdicts.iter().all(|v| v.mismatches.is_empty()), "{path}");
    }
    let srt = run_experiment_file("../experiments/agent-sandbox-srt.kdl");
    let key = srt
        .verdicts
        .iter()
        .find(|v| v.probe == "read-id-rsa")
        .unwrap();
    assert_eq!(key.baseline, Some(Allow));
    assert!(
        key.reason
            .as_deref()
            .is_some_and(|r| r.contains("from the sandbox, not from absence")),
        "{key:?}"
    );
    // No Landlock domain at all: every rule is the mount mechanism's.
    let compiled = &srt.compiled[0];
    assert!(compiled.plan.layers.is_empty());
    assert!(
        compiled
            .fidelity
            .iter()
            .filter(|f| f.rule.is_some())
            .all(|f| f.mechanisms == [xpr::model::Mechanism::Mount]),
        "{:#?}",
        compiled.fidelity
    );
    let codex = run_experiment_file("../experiments/agent-sandbox-codex.kdl");
    let mechanisms: Vec<_> = codex.compiled[0]
        .fidelity
        .iter()
        .map(|f| f.mechanisms.clone())
        .collect();
    use xpr::model::Mechanism::{Landlock, Mount};
    assert!(mechanisms.contains(&vec![Landlock]), "{mechanisms:?}");
    assert!(mechanisms.contains(&vec![Mount]), "{mechanisms:?}");
}

#[test]
fn a_hidden_paths_enoent_is_the_sandboxs_only_when_the_baseline_reached_it() {
    require_mounts();
    let exp = r#"experiment "absent" {
    lanes baseline scenario
}
fixtures {
    file key path="{scratch}/h/key" content="k\n"
}
profile hide {
    default allow
    deny "file-read*" {
        subpath "{scratch}/h"
    }
}
probe read-key family=file-read target="{scratch}/h/key"
probe read-absent family=file-read target="{scratch}/h/absent"
expect hide {
    deny read-key errno=ENOENT
    deny read-absent errno=ENOENT
}
"#;
    let loaded = xpr::resolve::load_str("absent.kdl", exp, &Default::default()).unwrap();
    let world = WorldFacts::detect(&WorldOptions::default());
    let r = {
        let _run = exclusive_run();
        xpr::run::run_experiment(&loaded.experiment, &world, &options()).unwrap()
    };
    let key = r.verdicts.iter().find(|v| v.probe == "read-key").unwrap();
    assert!(key.mismatches.is_empty(), "{key:?}");
    let absent = r
        .verdicts
        .iter()
        .find(|v| v.probe == "read-absent")
        .unwrap();
    assert_eq!(absent.baseline, Some(Error));
    assert_eq!(absent.mismatches, [MismatchReason::BaselineDenied]);
    assert!(
        absent
            .reason
            .as_deref()
            .is_some_and(|r| r.contains("may simply be absent")),
        "{absent:?}"
    );
}

/// The host's mount table, as the test process sees it.
fn host_mounts() -> String {
    std::fs::read_to_string("/proc/self/mountinfo").unwrap()
}

#[test]
fn nothing_is_mounted_on_the_host() {
    require_mounts();
    let tree = tempfile::tempdir().unwrap();
    symlink_tree(tree.path());
    let before = host_mounts();
    truth_run(tree.path(), false);
    let tmp = tempfile::tempdir().unwrap();
    Xpr::new()
        .args([
            "exec",
            "../experiments/agent-sandbox-srt.kdl",
            "--profile",
            "srt",
            "--",
        ])
        .args(["cat", "{home}/.profile"])
        .env("TMPDIR", tmp.path())
        .run()
        .success();
    assert_eq!(host_mounts(), before, "the host's mount table changed");
    // The symlinks and their targets are as they were (nothing was written through them).
    assert_eq!(
        std::fs::read_to_string(tree.path().join("w/.git/config")).unwrap(),
        "[core]\n"
    );
}

fn exec_srt(tmp: &Path, command: &[&str]) -> Output {
    Xpr::new()
        .args([
            "exec",
            "../experiments/agent-sandbox-srt.kdl",
            "--profile",
            "srt",
            "--",
        ])
        .args(command)
        .env("TMPDIR", tmp)
        .run()
}

#[test]
fn exec_gives_the_command_the_errnos_the_experiment_predicts() {
    require_mounts();
    let tmp = tempfile::tempdir().unwrap();
    // read-id-rsa: deny ENOENT; write-hook: deny EROFS (strerror texts from the command).
    let read = exec_srt(tmp.path(), &["cat", "{home}/.ssh/id_rsa"]).exit(1);
    assert!(read.stderr.contains("No such file or directory"), "{read}");
    assert!(read.stderr.contains("mount     hidden"), "{read}");
    assert!(read.stderr.contains("fidelity:"), "{read}");
    let write = exec_srt(
        tmp.path(),
        &["sh", "-c", "echo x >> {repo}/.git/hooks/pre-commit"],
    )
    .exit(2);
    assert!(write.stderr.contains("Read-only file system"), "{write}");
    // What the profile allows works, and its output is the command's own.
    let ok = exec_srt(tmp.path(), &["cat", "{home}/.profile"]).success();
    assert_eq!(ok.stdout, "export PATH\n");
    assert!(
        std::fs::read_dir(tmp.path()).unwrap().next().is_none(),
        "scratch left behind"
    );
}

#[test]
fn exec_passes_the_commands_exit_status_through() {
    require_mounts();
    let tmp = tempfile::tempdir().unwrap();
    exec_srt(tmp.path(), &["sh", "-c", "exit 7"]).exit(7);
    exec_srt(tmp.path(), &["sh", "-c", "kill -TERM $$"]).exit(128 + libc::SIGTERM);
    let missing = exec_srt(tmp.path(), &["/nonexistent/program"]).exit(127);
    assert!(missing.stderr.contains("ENOENT"), "{missing}");
    Xpr::new()
        .args([
            "exec",
            "../experiments/agent-sandbox-srt.kdl",
            "--profile",
            "nope",
            "--",
        ])
        .arg("true")
        .env("TMPDIR", tmp.path())
        .run()
        .exit(2);
    // A profile this world cannot apply: the command never runs (exit 3).
    let blocked = Xpr::new()
        .args([
            "exec",
            "../experiments/agent-sandbox-srt.kdl",
            "--profile",
            "srt",
        ])
        .args(["--mechanism", "landlock", "--", "true"])
        .env("TMPDIR", tmp.path())
        .run()
        .exit(3);
    assert!(blocked.stderr.contains("not applied"), "{blocked}");
}

#[test]
fn exec_runs_the_command_inside_the_host_guard() {
    require_mounts();
    let tmp = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let target = outside.path().join("written");
    // The profile allows every write; the guard does not.
    let w = exec_srt(
        tmp.path(),
        &["sh", "-c", &format!("echo x > {}", target.display())],
    )
    .exit(2);
    assert!(w.stderr.contains("Permission denied"), "{w}");
    assert!(!target.exists());
    // Its own PID namespace and /proc: nothing outside the run is visible, and what it
    // starts ends with it.
    let ps = exec_srt(tmp.path(), &["sh", "-c", "ls /proc | grep -c '^[0-9]'"]).success();
    assert!(ps.stdout.trim().parse::<u32>().unwrap() <= 4, "{ps}");
    exec_srt(tmp.path(), &["sh", "-c", "sleep 317 & exit 0"]).success();
    assert!(processes_running(&["sleep", "317"]).is_empty());
}

#[test]
fn ctrl_c_ends_exec_as_it_ends_a_run() {
    require_mounts();
    let tmp = tempfile::tempdir().unwrap();
    let mut child = Xpr::new()
        .args([
            "exec",
            "../experiments/agent-sandbox-srt.kdl",
            "--profile",
            "srt",
            "--",
        ])
        .args(["sleep", "293"])
        .env("TMPDIR", tmp.path())
        .spawn();
    wait_for("the command to start", Duration::from_secs(20), || {
        !processes_running(&["sleep", "293"]).is_empty()
    });
    let status = interrupt(&mut child, Duration::from_secs(30), "xpr did not stop");
    assert_eq!(status.code(), Some(3));
    wait_for(
        "the command to end with xpr",
        Duration::from_secs(5),
        || processes_running(&["sleep", "293"]).is_empty(),
    );
    assert!(
        std::fs::read_dir(tmp.path()).unwrap().next().is_none(),
        "scratch left behind"
    );
}

#[test]
fn compile_exports_each_mechanism_in_its_tools_format() {
    let codex = [
        "compile",
        "../experiments/agent-sandbox-codex.kdl",
        "--profile",
        "codex",
    ];
    let json = Xpr::new()
        .args(codex)
        .args(["--emit", "landlock-json"])
        .run()
        .success();
    let doc = json.json();
    let handled = doc["ruleset"][0]["handledAccessFs"].as_array().unwrap();
    assert!(handled.iter().any(|r| r == "write_file"), "{doc}");
    assert!(
        doc["pathBeneath"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["parent"][0] == "${scratch}/workspace"),
        "{doc}"
    );
    assert!(
        json.stderr.contains("not in landlockconfig: 1 mount(s)"),
        "{json}"
    );
    let resolved = Xpr::new()
        .args(codex)
        .args(["--emit", "landlock-json", "--scratch", "/srv/run"])
        .run()
        .success()
        .json();
    assert!(
        resolved.to_string().contains("\"/srv/run/workspace\""),
        "{resolved}"
    );

    let bwrap = Xpr::new()
        .args(codex)
        .args(["--emit", "bwrap-args"])
        .run()
        .success();
    assert_eq!(
        bwrap.stdout,
        "--die-with-parent --unshare-pid --dev-bind / / --proc /proc \
         --ro-bind \"${scratch}\"/workspace/.git \"${scratch}\"/workspace/.git\n"
    );
    assert!(
        bwrap
            .stderr
            .contains("not in bubblewrap: 1 Landlock layer(s)"),
        "{bwrap}"
    );
    let srt = Xpr::new()
        .args([
            "compile",
            "../experiments/agent-sandbox-srt.kdl",
            "--profile",
            "srt",
        ])
        .args(["--emit", "bwrap-args", "--scratch", "/srv/run"])
        .run()
        .success();
    assert!(srt.stdout.contains("--tmpfs /srv/run/home/.ssh"), "{srt}");
    assert!(
        srt.stdout
            .contains("--ro-bind /srv/run/repo/.git/config /srv/run/repo/.git/config"),
        "{srt}"
    );
    assert!(
        srt.stdout.contains("--remount-ro /srv/run/home/.ssh"),
        "{srt}"
    );
    assert!(
        !srt.stderr.contains("assumed"),
        "the fixtures say they are directories: {srt}"
    );

    let sbpl = Xpr::new()
        .args(codex)
        .args(["--emit", "sbpl"])
        .run()
        .success();
    assert!(sbpl.stdout.contains("(deny file-write* (subpath"), "{sbpl}");
    Xpr::new()
        .args([
            "compile",
            "../experiments/agent-sandbox-codex.kdl",
            "--profile",
            "nope",
        ])
        .args(["--emit", "sbpl"])
        .run()
        .exit(2);
}

#[test]
fn world_facts_record_the_mount_mechanism_and_user_namespaces() {
    require_mounts();
    let doc = Xpr::new()
        .args(["world", "--format", "json"])
        .run()
        .success()
        .json();
    assert_eq!(doc["mounts"]["status"], "available", "{doc}");
    assert!(doc["mounts"]["user_namespaces"].is_object(), "{doc}");
    let off = Xpr::new()
        .args(["world", "--format", "json", "--mechanism", "landlock"])
        .run()
        .success()
        .json();
    assert_eq!(off["mounts"]["status"], "disabled");
    assert_ne!(doc["world_id"], off["world_id"]);
}
