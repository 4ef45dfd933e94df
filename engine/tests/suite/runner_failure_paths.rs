//! Failure paths of the runner, from real runs: a crash, a hang, an output flood, a fork that
//! leaves a process behind, a profile the world cannot express, an apply error. Each is
//! classified and the run completes.

use std::time::Duration;

use crate::support::minimal_landlock::*;
use crate::support::*;
use xpr::classify::stage_verdict;
use xpr::compile::Blocked;
use xpr::compile::ProfileSandbox;
use xpr::model::*;
use xpr::sys::landlock::*;

fn helper_probe(id: &str, helper: &str) -> Probe {
    with_arg(
        probe(id, "exec", None),
        "helper",
        ArgValue::Str(helper.into()),
    )
}

fn failure_experiment() -> Experiment {
    let mut e = experiment("failure-paths");
    e.timeout = Duration::from_millis(400);
    e.probes = vec![
        helper_probe("segv", "selftest-segv"),
        helper_probe("hang", "selftest-hang"),
        helper_probe("flood", "selftest-flood"),
        helper_probe("fork", "selftest-fork"),
        probe("read-hosts", "file-read", Some("/etc/hosts")),
    ];
    e.profiles = vec![profile("unexpressible"), profile("bad_apply")];
    e
}

fn sandboxes() -> Vec<ProfileSandbox> {
    vec![
        ProfileSandbox::Blocked(Blocked {
            reason: BlockedReason::NotApplicableInWorld,
            detail: "rule 1 `(deny file-write* (subpath \"/w/.git\"))` at x.kdl:3:5: deny inside an allowed subtree".into(),
        }),
        // An unknown restrict_self flag: the kernel refuses with EINVAL in the child.
        ProfileSandbox::Ready(Box::new(MinimalLandlock {
            handled_fs: ACCESS_FS_READ_FILE,
            restrict_flags: 1 << 30,
            ..MinimalLandlock::default()
        })),
    ]
}

#[test]
fn crash_hang_flood_fork_blocked_and_apply_error_are_classified() {
    require_landlock(1);
    let parent = tempfile::tempdir().expect("temp dir");
    let mut opts = options();
    opts.scratch_parent = parent.path().to_path_buf();
    let records = run(&failure_experiment(), &sandboxes(), &opts);

    let segv = find(&records, Lane::Baseline, None, "segv");
    assert_eq!(segv.exec, ExecOutcome::Crashed);
    assert_eq!(segv.signal, Some(libc::SIGSEGV));
    assert_eq!(segv.operation, OperationOutcome::NotReached);
    assert_eq!(stage_verdict(segv).0, Verdict::Crashed);

    let hang = find(&records, Lane::Baseline, None, "hang");
    assert_eq!(hang.exec, ExecOutcome::Timeout);
    assert_eq!(stage_verdict(hang).0, Verdict::Timeout);

    let flood = find(&records, Lane::Baseline, None, "flood");
    assert_eq!(flood.operation, OperationOutcome::Allow, "{flood:?}");
    assert_eq!(flood.output_truncated, Some(true));
    assert_eq!(flood.output.as_ref().map(|o| o.len()), Some(64 * 1024));
    assert!(flood.detail.as_deref().unwrap_or("").contains("dropped"));

    let fork = find(&records, Lane::Baseline, None, "fork");
    assert_eq!(stage_verdict(fork).0, Verdict::Allow, "{fork:?}");
    // The process the helper forked died with the probe's process group.
    let leftovers: Vec<String> = std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| std::fs::read(e.path().join("cmdline")).ok())
        .map(|c| String::from_utf8_lossy(&c).replace('\0', " "))
        .filter(|c| {
            c.contains("selftest-fork") && c.contains(&*opts.scratch_parent.to_string_lossy())
        })
        .collect();
    assert!(
        leftovers.is_empty(),
        "forked probe processes left: {leftovers:?}"
    );

    let blocked = find(
        &records,
        Lane::Scenario,
        Some("unexpressible"),
        "read-hosts",
    );
    assert_eq!(blocked.apply, ApplyOutcome::Blocked);
    assert_eq!(
        blocked.apply_reason,
        Some(BlockedReason::NotApplicableInWorld)
    );
    assert!(
        blocked
            .apply_detail
            .as_deref()
            .unwrap_or("")
            .contains("x.kdl:3:5")
    );
    assert_eq!(stage_verdict(blocked).0, Verdict::Blocked);

    let bad = find(&records, Lane::Scenario, Some("bad_apply"), "segv");
    assert_eq!(bad.apply, ApplyOutcome::Blocked);
    assert_eq!(bad.apply_reason, Some(BlockedReason::ApplyError));
    assert_eq!(
        bad.apply_errno.as_ref().map(|e| e.name.as_str()),
        Some("EINVAL")
    );
    assert_eq!(bad.exec, ExecOutcome::NotReached);

    // 5 baseline + 2 profiles × 5 probes.
    assert_eq!(records.len(), 15);
    let left: Vec<_> = std::fs::read_dir(parent.path()).expect("read").collect();
    assert!(
        left.is_empty(),
        "no scratch directory left behind: {left:?}"
    );
}

#[test]
fn profile_isolation_survives_a_crash_and_keeps_going() {
    require_landlock(1);
    let mut e = failure_experiment();
    e.probes
        .push(probe("read-passwd", "file-read", Some("/etc/passwd")));
    let mut opts = options();
    opts.isolation = Isolation::Profile;
    // The baseline lane is the plan's baseline exec nodes, which exist once there is a profile
    // (the scenario lanes here are blocked; the baseline shares one child).
    let records = run(&e, &sandboxes(), &opts);
    assert_eq!(
        stage_verdict(find(&records, Lane::Baseline, None, "segv")).0,
        Verdict::Crashed
    );
    assert_eq!(
        stage_verdict(find(&records, Lane::Baseline, None, "hang")).0,
        Verdict::Timeout
    );
    assert_eq!(
        stage_verdict(find(&records, Lane::Baseline, None, "read-hosts")).0,
        Verdict::Allow
    );
    assert_eq!(
        stage_verdict(find(&records, Lane::Baseline, None, "read-passwd")).0,
        Verdict::Allow
    );
}

/// A driver that blocks (open of a FIFO with no writer) times out in every child kind and
/// isolation; the probes after it in a shared child still get their own results.
#[test]
fn a_blocking_driver_times_out_and_the_rest_still_run() {
    require_landlock(1);
    let dir = tempfile::tempdir().expect("temp dir");
    let fifo = dir.path().join("fifo");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: mkfifo on a NUL-terminated path in our temp dir.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
    let mut e = experiment("blocking-driver");
    e.timeout = Duration::from_millis(300);
    e.probes = vec![
        probe("read-fifo", "file-read", fifo.to_str()),
        probe("read-hosts", "file-read", Some("/etc/hosts")),
    ];
    e.profiles = vec![profile("reads")];
    for isolation in [Isolation::Probe, Isolation::Profile] {
        for fork_drivers in [false, true] {
            let mut opts = options();
            opts.isolation = isolation;
            opts.fork_drivers = fork_drivers;
            let reads = MinimalLandlock {
                handled_fs: ACCESS_FS_READ_FILE,
                fs_rules: vec![("/".into(), ACCESS_FS_READ_FILE)],
                ..MinimalLandlock::default()
            };
            let records = run(&e, &[ProfileSandbox::Ready(Box::new(reads))], &opts);
            let what = format!("{isolation:?} fork_drivers={fork_drivers}");
            for lane in [(Lane::Baseline, None), (Lane::Scenario, Some("reads"))] {
                let fifo = find(&records, lane.0, lane.1, "read-fifo");
                assert_eq!(fifo.exec, ExecOutcome::Timeout, "{what}: {fifo:?}");
                assert_eq!(stage_verdict(fifo).0, Verdict::Timeout, "{what}");
                let hosts = find(&records, lane.0, lane.1, "read-hosts");
                assert_eq!(stage_verdict(hosts).0, Verdict::Allow, "{what}: {hosts:?}");
            }
        }
    }
}
