//! Attacks on the host through the processes a probe runs, each reproduced for real: an exec
//! probe's command writing outside the scratch root, escaping with `setsid` or a double fork,
//! signalling a host process, and a `signal` probe aimed at a host pid, `-1` or `0`; in the
//! baseline lane (unsandboxed) and under a profile that restricts nothing, so whatever holds
//! is the host guard's doing. And without a PID namespace (`xpr run` as nobody) a command is
//! blocked, never run unguarded.

use crate::support;
use crate::support::minimal_landlock::MinimalLandlock;
use xpr::compile::ProfileSandbox;
use xpr::model::{ArgValue, Evidence, ExecOutcome, Lane, OperationOutcome};

fn sh(id: &str, script: &str) -> xpr::model::Probe {
    support::with_arg(
        support::probe(id, "exec", Some("/bin/sh")),
        "argv",
        ArgValue::List(vec!["sh".into(), "-c".into(), script.into()]),
    )
}

/// One profile that restricts nothing the attacks need (it handles reading directories only):
/// whatever is denied below is the host guard's doing, in both lanes.
fn run_unrestricted(probes: Vec<xpr::model::Probe>) -> Vec<xpr::model::StageRecord> {
    support::require_landlock(1);
    let mut exp = support::experiment("host-guard");
    exp.profiles = vec![support::profile("open")];
    exp.probes = probes;
    let sandboxes = vec![ProfileSandbox::Ready(Box::new(MinimalLandlock {
        handled_fs: xpr::sys::landlock::ACCESS_FS_READ_DIR,
        fs_rules: vec![("/".into(), xpr::sys::landlock::ACCESS_FS_READ_DIR)],
        ..MinimalLandlock::default()
    }))];
    let parent = tempfile::tempdir().expect("temp dir");
    let mut opts = support::options();
    opts.scratch_parent = parent.path().to_path_buf();
    support::run(&exp, &sandboxes, &opts)
}

fn both_lanes<'a>(
    records: &'a [xpr::model::StageRecord],
    probe: &str,
) -> [&'a xpr::model::StageRecord; 2] {
    [
        support::find(records, Lane::Baseline, None, probe),
        support::find(records, Lane::Scenario, Some("open"), probe),
    ]
}

#[test]
fn an_exec_probe_cannot_write_outside_the_scratch_root_in_any_lane() {
    let outside = tempfile::tempdir().expect("a directory outside the scratch root");
    let target = outside.path().join("keep");
    std::fs::write(&target, "keep\n").unwrap();
    let t = target.display();
    let records = run_unrestricted(vec![
        sh("append", &format!("echo x >> {t}")),
        sh("replace", &format!("rm -f {t}; echo y > {t}")),
        sh(
            "create",
            &format!("touch {}", outside.path().join("new").display()),
        ),
        sh(
            "inside",
            "echo x > {scratch}/made && mkdir -p {scratch}/d && echo y > /dev/null",
        ),
        // xpr's own driver is trusted: it only opens for writing and closes (no change).
        support::probe(
            "write-driver",
            "file-write",
            Some(&target.to_string_lossy()),
        ),
    ]);
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep\n");
    assert_eq!(std::fs::read_dir(outside.path()).unwrap().count(), 1);
    for id in ["append", "replace", "create"] {
        for r in both_lanes(&records, id) {
            assert_eq!(r.exec, ExecOutcome::Ok, "{id}: {r:?}");
            assert_eq!(r.operation, OperationOutcome::Deny, "{id}: {r:?}");
            assert_eq!(r.evidence, Evidence::ExitStatus, "{id}: {r:?}");
            assert!(
                r.detail
                    .as_deref()
                    .is_some_and(|d| d.contains("host guard")),
                "{id}: the record must say the host guard may have decided: {r:?}"
            );
        }
    }
    for r in both_lanes(&records, "inside") {
        assert_eq!(r.operation, OperationOutcome::Allow, "inside: {r:?}");
        assert_eq!(r.detail, None, "inside: {r:?}");
    }
    for r in both_lanes(&records, "write-driver") {
        assert_eq!(r.operation, OperationOutcome::Allow, "write-driver: {r:?}");
    }
}

#[test]
fn an_exec_probe_leaves_no_descendant_behind_in_any_lane() {
    let records = run_unrestricted(vec![
        sh("escape", "setsid /bin/sleep 177 & sleep 0.2"),
        sh("daemon", "(setsid sh -c '/bin/sleep 178 &' &) ; sleep 0.2"),
    ]);
    for id in ["escape", "daemon"] {
        for r in both_lanes(&records, id) {
            assert_eq!(r.operation, OperationOutcome::Allow, "{id}: {r:?}");
        }
    }
    for argv in [["/bin/sleep", "177"], ["/bin/sleep", "178"]] {
        assert_eq!(
            support::processes_running(&argv),
            Vec::<i32>::new(),
            "{argv:?} outlived its probe"
        );
    }
}

#[test]
fn no_probe_can_signal_a_process_outside_the_run() {
    let mut host = std::process::Command::new("/bin/sleep")
        .arg("300")
        .spawn()
        .expect("a host process");
    let pid = host.id().to_string();
    let signal = |id: &str, target: &str| {
        support::with_arg(
            support::probe(id, "signal", Some(target)),
            "signal",
            ArgValue::Str("TERM".into()),
        )
    };
    let records = run_unrestricted(vec![
        sh("kill-host", &format!("kill -TERM {pid}")),
        signal("driver-host", &pid),
        signal("driver-all", "-1"),
        signal("driver-group", "0"),
        signal("driver-self", "self"),
    ]);
    std::thread::sleep(std::time::Duration::from_millis(100));
    let alive = host.try_wait().expect("wait").is_none();
    let _ = host.kill();
    let _ = host.wait();
    assert!(alive, "a probe killed a process outside the run");
    for r in both_lanes(&records, "kill-host") {
        // In its own PID namespace the host pid does not exist (or is not this process).
        assert_eq!(r.operation, OperationOutcome::Deny, "kill-host: {r:?}");
    }
    for id in ["driver-host", "driver-all", "driver-group"] {
        for r in both_lanes(&records, id) {
            assert!(
                r.skipped
                    .as_deref()
                    .is_some_and(|s| s.contains("host_safety")),
                "{id}: refused with a host_safety reason: {r:?}"
            );
        }
    }
    for r in both_lanes(&records, "driver-self") {
        // TERM to itself: the driver's child dies with it.
        assert_eq!(r.signal, Some(libc::SIGTERM), "driver-self: {r:?}");
    }
}

/// Without the right to create a PID namespace (here: the run as `nobody`), a command is
/// blocked with the step and its errno in every lane, never run unguarded; the marker file
/// its script would create never appears.
#[test]
fn without_a_pid_namespace_a_command_is_blocked_not_run_unguarded() {
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        xpr::sys::process::uids().1,
        0,
        "this test needs root to run xpr as `nobody`"
    );
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    let marker = dir.path().join("ran");
    let file = dir.path().join("guard.kdl");
    std::fs::write(
        &file,
        format!(
            r#"experiment "unguarded" {{
    lanes baseline scenario
}}
profile open {{
    default allow
}}
probe touch family=exec target="/bin/sh" {{
    argv "sh" "-c" "touch {}"
}}
"#,
            marker.display()
        ),
    )
    .unwrap();
    let out = dir.path().join("out");
    let run = crate::support::xpr_as_nobody(dir.path())
        .args(["run", "-j", "1", "--out"])
        .arg(&out)
        .arg(&file)
        .run();
    assert!(!marker.exists(), "the command ran");
    let bundle = std::fs::read_dir(out.join("unguarded"))
        .unwrap_or_else(|e| panic!("no bundle ({e}): {run}"))
        .flatten()
        .map(|e| e.path())
        .find(|p| p.join("stages").is_dir())
        .expect("a bundle");
    for lane in ["baseline", "scenario"] {
        let text =
            std::fs::read_to_string(bundle.join("stages").join(format!("{lane}.jsonl"))).unwrap();
        let record: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
        assert_eq!(record["apply"], "blocked", "{lane}: {record}");
        assert_eq!(record["apply_errno"]["name"], "EPERM", "{lane}: {record}");
        let detail = record["apply_detail"].as_str().unwrap_or_default();
        assert!(
            detail.contains("host guard") && detail.contains("CLONE_NEWPID"),
            "{lane}: {record}"
        );
    }
}
