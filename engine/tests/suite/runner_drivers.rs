//! Every Linux probe driver under a real Landlock domain (a minimal raw ruleset), each result
//! checked for verdict, stage and errno against the baseline lane.

use crate::support::minimal_landlock::*;
use crate::support::*;
use xpr::classify::{compare, stage_verdict};
use xpr::compile::ProfileSandbox;
use xpr::model::*;
use xpr::sys::landlock::*;

fn s(v: &str) -> ArgValue {
    ArgValue::Str(v.into())
}

fn experiment_all_families() -> Experiment {
    let mut e = experiment("drivers");
    e.fixtures = vec![
        file_fixture("foo", "{scratch}/foo", "foo\n"),
        file_fixture("bar", "{scratch}/bar", "bar\n"),
        fixture(
            "workdir",
            FixtureKind::Dir {
                path: "{scratch}/workdir".into(),
                mode: 0o755,
            },
        ),
        fixture("listener", FixtureKind::TcpListener { port: 0 }),
        fixture(
            "abstract",
            FixtureKind::UnixListener {
                name: "xpr-test".into(),
            },
        ),
        fixture("outsider", FixtureKind::Process),
    ];
    let mut mach = probe("mach", "mach-lookup", Some("com.apple.cfprefsd.daemon"));
    mach.worlds = vec!["macos".into()];
    e.probes = vec![
        with_fixture(probe("read-foo", "file-read", Some("{scratch}/foo")), "foo"),
        with_fixture(probe("read-bar", "file-read", Some("{scratch}/bar")), "bar"),
        probe("read-hosts", "file-read", Some("/etc/hosts")),
        probe("write-hosts", "file-write", Some("/etc/hosts")),
        with_fixture(
            with_arg(
                probe("write-foo", "file-write", Some("{scratch}/foo")),
                "content",
                s("x"),
            ),
            "foo",
        ),
        with_fixture(
            probe(
                "create-in-workdir",
                "file-create",
                Some("{scratch}/workdir/new"),
            ),
            "workdir",
        ),
        with_fixture(
            probe("truncate-foo", "file-truncate", Some("{scratch}/foo")),
            "foo",
        ),
        with_fixture(
            probe("unlink-bar", "file-unlink", Some("{scratch}/bar")),
            "bar",
        ),
        with_fixture(
            with_arg(
                probe("rename-bar", "file-rename", Some("{scratch}/bar")),
                "to",
                s("{scratch}/workdir/bar"),
            ),
            "bar",
        ),
        with_fixture(
            probe("list-workdir", "dir-list", Some("{scratch}/workdir")),
            "workdir",
        ),
        with_fixture(
            probe(
                "mkdir-in-workdir",
                "dir-create",
                Some("{scratch}/workdir/d"),
            ),
            "workdir",
        ),
        with_fixture(probe("connect-listener", "tcp-connect", None), "listener"),
        probe("bind-any", "tcp-bind", Some("127.0.0.1:0")),
        with_fixture(probe("unix-abstract", "unix-connect", None), "abstract"),
        with_fixture(probe("signal-outsider", "signal", None), "outsider"),
        probe("signal-self", "signal", Some("self")),
        probe("sysctl-ostype", "sysctl-read", Some("kernel.ostype")),
        probe(
            "sysctl-missing",
            "sysctl-read",
            Some("kernel.xpr_does_not_exist"),
        ),
        with_fixture(probe("ptrace-outsider", "process-info", None), "outsider"),
        probe("ioctl-urandom", "ioctl-dev", Some("/dev/urandom")),
        // The probe inspecting itself, by each `via`.
        probe("vm-self", "process-info", Some("self")),
        with_arg(
            probe("ptrace-self", "process-info", Some("self")),
            "via",
            s("ptrace"),
        ),
        with_arg(
            probe("status-self", "process-info", Some("self")),
            "via",
            s("status"),
        ),
        mach,
    ];
    let mut ptrace = e
        .probes
        .iter()
        .position(|p| p.id == "ptrace-outsider")
        .map(|i| e.probes[i].clone())
        .unwrap();
    ptrace.args.insert("via".into(), s("ptrace"));
    let i = e
        .probes
        .iter()
        .position(|p| p.id == "ptrace-outsider")
        .unwrap();
    e.probes[i] = ptrace;
    e.profiles = vec![profile("strict")];
    e
}

/// Reads everything except `bar`, nothing else: every handled right of ABI 6, both scopes.
fn strict() -> MinimalLandlock {
    MinimalLandlock {
        handled_fs: FS_ALL_V5,
        fs_rules: vec![
            ("{scratch}/foo".into(), ACCESS_FS_READ_FILE),
            ("{scratch}/workdir".into(), ACCESS_FS_READ_DIR),
            ("/etc/hosts".into(), ACCESS_FS_READ_FILE),
            ("/proc/sys/kernel/ostype".into(), ACCESS_FS_READ_FILE),
            ("/dev/urandom".into(), ACCESS_FS_READ_FILE),
        ],
        handled_net: ACCESS_NET_BIND_TCP | ACCESS_NET_CONNECT_TCP,
        net_rules: vec![],
        scoped: SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL,
        restrict_flags: 0,
    }
}

#[test]
fn every_driver_under_a_real_domain() {
    require_landlock(6);
    for (isolation, fork_drivers) in [
        (Isolation::Probe, false),
        (Isolation::Profile, false),
        (Isolation::Probe, true),
        (Isolation::Profile, true),
    ] {
        let e = experiment_all_families();
        let mut opts = options();
        opts.isolation = isolation;
        opts.fork_drivers = fork_drivers;
        let records = run(&e, &[ProfileSandbox::Ready(Box::new(strict()))], &opts);
        let check = |probe: &str, baseline: Verdict, verdict: Verdict, errno: Option<&str>| {
            let b = find(&records, Lane::Baseline, None, probe);
            let r = find(&records, Lane::Scenario, Some("strict"), probe);
            assert_eq!(
                stage_verdict(b).0,
                baseline,
                "{isolation:?} baseline {probe}: {b:?}"
            );
            let v = compare(r, Some(b), None);
            assert_eq!(v.verdict, verdict, "{isolation:?} scenario {probe}: {r:?}");
            assert_eq!(
                v.errno.as_ref().map(|e| e.name.as_str()),
                errno,
                "{isolation:?} {probe}"
            );
            if matches!(verdict, Verdict::Allow | Verdict::Deny | Verdict::Error) {
                assert_eq!(v.stage, Some(Stage::Operation), "{probe}");
            }
        };
        use Verdict::*;
        check("read-foo", Allow, Allow, None);
        check("read-bar", Allow, Deny, Some("EACCES"));
        check("read-hosts", Allow, Allow, None);
        check("write-hosts", Allow, Deny, Some("EACCES"));
        check("write-foo", Allow, Deny, Some("EACCES"));
        check("create-in-workdir", Allow, Deny, Some("EACCES"));
        check("truncate-foo", Allow, Deny, Some("EACCES"));
        check("unlink-bar", Allow, Deny, Some("EACCES"));
        check("rename-bar", Allow, Deny, Some("EACCES"));
        check("list-workdir", Allow, Allow, None);
        check("mkdir-in-workdir", Allow, Deny, Some("EACCES"));
        check("connect-listener", Allow, Deny, Some("EACCES"));
        check("bind-any", Allow, Deny, Some("EACCES"));
        check("unix-abstract", Allow, Deny, Some("EPERM"));
        check("signal-outsider", Allow, Deny, Some("EPERM"));
        check("signal-self", Allow, Allow, None);
        check("sysctl-ostype", Allow, Allow, None);
        check("sysctl-missing", Error, Error, Some("ENOENT"));
        check("ptrace-outsider", Allow, Deny, Some("EPERM"));
        check("ioctl-urandom", Allow, Deny, Some("EACCES"));
        // A process may always inspect itself (the ptrace access check passes for its own
        // thread group before any LSM is asked), but /proc/self/status is a file the
        // domain's fs rules do not grant.
        check("vm-self", Allow, Allow, None);
        check("ptrace-self", Allow, Allow, None);
        check("status-self", Allow, Deny, Some("EACCES"));
        check("mach", Skipped, Skipped, None);
        let mach = find(&records, Lane::Scenario, Some("strict"), "mach");
        assert_eq!(mach.skipped.as_deref(), Some("not_applicable_in_world"));
    }
}

#[test]
fn destructive_probes_see_pristine_fixtures() {
    require_landlock(1);
    let mut e = experiment("pristine");
    e.fixtures = vec![file_fixture("foo", "{scratch}/foo", "foo\n")];
    // unlink runs first in declaration order; the read after it must still find foo.
    e.probes = vec![
        with_fixture(
            probe("unlink-foo", "file-unlink", Some("{scratch}/foo")),
            "foo",
        ),
        with_fixture(probe("read-foo", "file-read", Some("{scratch}/foo")), "foo"),
        probe("create-new", "file-create", Some("{scratch}/new")),
    ];
    e.profiles = vec![profile("open")];
    let open = MinimalLandlock {
        handled_fs: ACCESS_FS_READ_FILE,
        fs_rules: vec![("/".into(), ACCESS_FS_READ_FILE)],
        ..MinimalLandlock::default()
    };
    let records = run(&e, &[ProfileSandbox::Ready(Box::new(open))], &options());
    for lane_profile in [(Lane::Baseline, None), (Lane::Scenario, Some("open"))] {
        for probe in ["unlink-foo", "read-foo", "create-new"] {
            let r = find(&records, lane_profile.0, lane_profile.1, probe);
            assert_eq!(stage_verdict(r).0, Verdict::Allow, "{probe}: {r:?}");
        }
    }
}

/// Restoring a dir fixture before a serial probe re-creates the file fixtures declared inside
/// it (the plan's fixture → fixture edges): a rename of the dir never costs a later probe its
/// nested file.
#[test]
fn restoring_a_dir_fixture_recreates_the_fixtures_inside_it() {
    require_landlock(1);
    let mut e = experiment("nested-restore");
    e.fixtures = vec![
        fixture(
            "box",
            FixtureKind::Dir {
                path: "{scratch}/box".into(),
                mode: 0o755,
            },
        ),
        file_fixture("keep", "{scratch}/box/keep", "kept\n"),
    ];
    e.probes = vec![
        with_fixture(
            with_arg(
                probe("rename-box", "file-rename", Some("{scratch}/box")),
                "to",
                s("{scratch}/moved"),
            ),
            "box",
        ),
        with_fixture(
            probe("read-keep", "file-read", Some("{scratch}/box/keep")),
            "keep",
        ),
    ];
    e.profiles = vec![profile("open")];
    let open = MinimalLandlock {
        handled_fs: ACCESS_FS_READ_FILE,
        fs_rules: vec![("/".into(), ACCESS_FS_READ_FILE)],
        ..MinimalLandlock::default()
    };
    let records = run(&e, &[ProfileSandbox::Ready(Box::new(open))], &options());
    for (lane, profile) in [(Lane::Baseline, None), (Lane::Scenario, Some("open"))] {
        for probe in ["rename-box", "read-keep"] {
            let r = find(&records, lane, profile, probe);
            assert_eq!(stage_verdict(r).0, Verdict::Allow, "{probe}: {r:?}");
        }
    }
}

/// The probe helper keeps both stages exact: execve of xpr itself (exec stage), then the
/// helper's own syscall (operation stage, errno from the syscall, not from an exit status).
#[test]
fn the_probe_helper_reports_exec_and_operation_separately() {
    require_landlock(1);
    let helper = helper_exe();
    let mut e = experiment("helper");
    e.probes = vec![with_arg(
        probe("helper-read-hosts", "exec", Some("/etc/hosts")),
        "helper",
        s("file-read"),
    )];
    e.profiles = vec![
        profile("runs_denied"),
        profile("runs_allowed"),
        profile("no_exec"),
    ];
    let runnable = |hosts: bool| {
        let lib = ACCESS_FS_READ_FILE | ACCESS_FS_READ_DIR | ACCESS_FS_EXECUTE;
        let mut rules = vec![
            (
                helper.to_string_lossy().into_owned(),
                ACCESS_FS_READ_FILE | ACCESS_FS_EXECUTE,
            ),
            ("/usr/lib".into(), lib),
            ("/lib".into(), lib),
            ("/lib64".into(), lib),
            ("/etc/ld.so.cache".into(), ACCESS_FS_READ_FILE),
        ];
        if hosts {
            rules.push(("/etc/hosts".into(), ACCESS_FS_READ_FILE));
        }
        MinimalLandlock {
            handled_fs: ACCESS_FS_READ_FILE | ACCESS_FS_READ_DIR | ACCESS_FS_EXECUTE,
            fs_rules: rules
                .into_iter()
                .filter(|(p, _)| std::path::Path::new(p).exists())
                .collect(),
            ..MinimalLandlock::default()
        }
    };
    let no_exec = MinimalLandlock {
        handled_fs: ACCESS_FS_READ_FILE | ACCESS_FS_EXECUTE,
        fs_rules: vec![("/".into(), ACCESS_FS_READ_FILE)],
        ..MinimalLandlock::default()
    };
    let records = run(
        &e,
        &[
            ProfileSandbox::Ready(Box::new(runnable(false))),
            ProfileSandbox::Ready(Box::new(runnable(true))),
            ProfileSandbox::Ready(Box::new(no_exec)),
        ],
        &options(),
    );
    let denied = find(
        &records,
        Lane::Scenario,
        Some("runs_denied"),
        "helper-read-hosts",
    );
    assert_eq!(denied.exec, ExecOutcome::Ok, "{denied:?}");
    assert_eq!(denied.operation, OperationOutcome::Deny);
    assert_eq!(
        denied.operation_errno.as_ref().map(|e| e.name.as_str()),
        Some("EACCES")
    );
    assert_eq!(denied.evidence, Evidence::Syscall);
    let allowed = find(
        &records,
        Lane::Scenario,
        Some("runs_allowed"),
        "helper-read-hosts",
    );
    assert_eq!(stage_verdict(allowed).0, Verdict::Allow, "{allowed:?}");
    let no_exec = find(
        &records,
        Lane::Scenario,
        Some("no_exec"),
        "helper-read-hosts",
    );
    assert_eq!(no_exec.exec, ExecOutcome::DependencyDenied, "{no_exec:?}");
    assert_eq!(
        no_exec.exec_errno.as_ref().map(|e| e.name.as_str()),
        Some("EACCES")
    );
    assert_eq!(no_exec.operation, OperationOutcome::NotReached);
}

/// The loader itself starts but cannot map the shared libraries: the helper never reports,
/// so the exec stage is `dependency_denied` (the Linux twin of dyld's abort), never a deny.
#[test]
fn a_loader_failure_is_dependency_denied() {
    require_landlock(1);
    let helper = helper_exe();
    let loader = "/lib64/ld-linux-x86-64.so.2";
    assert!(
        std::path::Path::new(loader).exists(),
        "this test expects glibc's x86-64 loader"
    );
    let mut e = experiment("loader");
    e.probes = vec![with_arg(
        probe("helper-read-hosts", "exec", Some("/etc/hosts")),
        "helper",
        s("file-read"),
    )];
    e.profiles = vec![profile("loader_only")];
    let loader_only = MinimalLandlock {
        handled_fs: ACCESS_FS_READ_FILE | ACCESS_FS_EXECUTE,
        fs_rules: vec![
            (
                helper.to_string_lossy().into_owned(),
                ACCESS_FS_READ_FILE | ACCESS_FS_EXECUTE,
            ),
            (loader.into(), ACCESS_FS_READ_FILE | ACCESS_FS_EXECUTE),
        ],
        ..MinimalLandlock::default()
    };
    let records = run(
        &e,
        &[ProfileSandbox::Ready(Box::new(loader_only))],
        &options(),
    );
    let r = find(
        &records,
        Lane::Scenario,
        Some("loader_only"),
        "helper-read-hosts",
    );
    assert_eq!(r.exec, ExecOutcome::DependencyDenied, "{r:?}");
    assert_eq!(r.exit_status, Some(127), "{r:?}");
    assert!(
        r.detail
            .as_deref()
            .unwrap_or("")
            .contains("error while loading shared libraries"),
        "{r:?}"
    );
    assert_eq!(stage_verdict(r).0, Verdict::DependencyDenied);
}
