//! The Linux backend against the real kernel: compile determinism, fidelity, blocked reasons,
//! and enforcement checked with real errnos in forked children.
//!
//! Needs Linux with Landlock ABI ≥ 6 and root-free NO_NEW_PRIVS; a kernel without Landlock
//! makes these tests FAIL with a message, never pass silently.
//! The test harness is multi-threaded: children only make raw syscalls, then `_exit`.

use std::ffi::CString;
use std::path::Path;

use xpr::compile::Fidelity;
use xpr::compile::linux::{CompiledProfile, PreparedSandbox, compile};
use xpr::model::{Action, BlockedReason, Filter, IrLayer, NetAddress, Origin, ProfileIr, Rule};
use xpr::world::{LandlockStatus, WorldFacts, WorldOptions};

fn world() -> WorldFacts {
    world_capped(None)
}

/// Landlock and seccomp only (`--mechanism landlock`): where a carve Landlock cannot subtract
/// is unsupported and blocks apply (with the mount mechanism it is a mount: `mount_namespace`).
fn landlock_only_world() -> WorldFacts {
    let world = WorldFacts::detect(&WorldOptions {
        landlock_only: true,
        ..WorldOptions::default()
    });
    assert_eq!(
        world.landlock.status,
        LandlockStatus::Available,
        "needs Landlock"
    );
    world
}

fn world_capped(cap: Option<u32>) -> WorldFacts {
    let world = WorldFacts::detect(&WorldOptions {
        landlock_abi_cap: cap,
        ..WorldOptions::default()
    });
    assert_eq!(
        world.landlock.status,
        LandlockStatus::Available,
        "these tests need Landlock; this kernel reports {:?}",
        world.landlock.status
    );
    assert!(
        world.landlock.host_abi >= 6,
        "these tests need Landlock ABI >= 6 (scopes); host ABI is {}",
        world.landlock.host_abi
    );
    world
}

fn rule(action: Action, ops: &[&str], filters: Vec<Filter>, line: u32) -> Rule {
    Rule {
        action,
        operations: ops.iter().map(|o| o.to_string()).collect(),
        filters,
        modifiers: Default::default(),
        origin: Origin {
            file: "test.kdl".into(),
            line,
            column: 3,
            ..Origin::default()
        },
    }
}

/// A layer's path rules other than the one every layer has: `fs.refer` on `/` (spec §7).
fn granted(layer: &xpr::compile::linux::LayerPlan) -> Vec<&xpr::compile::linux::PathRulePlan> {
    layer
        .path_rules
        .iter()
        .filter(|r| !(r.path == "/" && r.access == ["fs.refer"]))
        .collect()
}

fn allow(ops: &[&str], filters: Vec<Filter>, line: u32) -> Rule {
    rule(Action::Allow, ops, filters, line)
}

fn deny(ops: &[&str], filters: Vec<Filter>, line: u32) -> Rule {
    rule(Action::Deny, ops, filters, line)
}

fn subpath(p: &str) -> Filter {
    Filter::Subpath(p.into())
}

fn profile(default: Action, rules: Vec<Rule>) -> ProfileIr {
    ProfileIr::new(default, rules)
}

fn tcp(port: u16) -> Filter {
    Filter::Remote(NetAddress {
        proto: "tcp".into(),
        host: "*".into(),
        port: Some(port),
    })
}

// ---------------------------------------------------------------------------------------------
// Forked children

const APPLY_FAILED: i32 = 250;

fn errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

/// Forks, applies the sandbox in the child, runs `op` (raw syscalls only; returns 0 or an
/// errno) and returns what the child reported.
fn in_sandbox(prepared: &PreparedSandbox, op: &dyn Fn() -> i32) -> i32 {
    // SAFETY: the child only calls apply (raw syscalls) and op (raw syscalls), then _exit.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        let code = match prepared.apply() {
            Ok(()) => op(),
            Err(_) => APPLY_FAILED,
        };
        // SAFETY: leaves the child without running destructors or atexit handlers.
        unsafe { libc::_exit(code) }
    }
    let mut status = 0;
    // SAFETY: waiting for our own child.
    let waited = unsafe { libc::waitpid(pid, &mut status, 0) };
    assert_eq!(waited, pid);
    assert!(libc::WIFEXITED(status), "child died: status {status:#x}");
    libc::WEXITSTATUS(status)
}

fn c(path: &Path) -> CString {
    CString::new(path.as_os_str().as_encoded_bytes()).unwrap()
}

fn open_errno(path: &CString, flags: i32) -> i32 {
    // SAFETY: raw open/close on a NUL-terminated path.
    unsafe {
        let fd = libc::open(path.as_ptr(), flags | libc::O_CLOEXEC, 0o600);
        if fd < 0 {
            return errno();
        }
        libc::close(fd);
    }
    0
}

fn prepared(compiled: &CompiledProfile, scratch: &Path) -> PreparedSandbox {
    PreparedSandbox::prepare(compiled, scratch).unwrap_or_else(|e| {
        panic!(
            "prepare failed: {e}\nplan: {}",
            String::from_utf8_lossy(compiled.plan_json())
        )
    })
}

/// `{scratch}/ro/f` (readable), `{scratch}/a/g`, `{scratch}/b`.
fn scratch_tree() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for sub in ["ro", "a", "b"] {
        std::fs::create_dir(dir.path().join(sub)).unwrap();
    }
    std::fs::write(dir.path().join("ro/f"), b"data").unwrap();
    std::fs::write(dir.path().join("a/g"), b"move me").unwrap();
    dir
}

// ---------------------------------------------------------------------------------------------
// Compile

fn representative() -> ProfileIr {
    profile(
        Action::Deny,
        vec![
            allow(
                &["file-read*"],
                vec![
                    subpath("{scratch}/ro"),
                    Filter::Literal("/etc/hostname".into()),
                ],
                2,
            ),
            allow(&["file-write*"], vec![subpath("{scratch}/a")], 3),
            allow(&["network-outbound"], vec![tcp(8080)], 4),
            allow(&["signal"], vec![Filter::Target("same-sandbox".into())], 5),
            allow(
                &["sysctl-read"],
                vec![Filter::SysctlName("kern.ostype".into())],
                6,
            ),
            deny(&["file-read*"], vec![subpath("/etc")], 7),
        ],
    )
}

#[test]
fn compile_is_deterministic() {
    let ir = representative();
    let first = compile("p", &ir, &world());
    let second = compile("p", &ir, &world());
    assert_eq!(first.plan_json(), second.plan_json());
    assert_eq!(first.bpf_bytes(), second.bpf_bytes());
    let text = String::from_utf8(first.plan_json().to_vec()).unwrap();
    assert!(text.contains("\"{scratch}/ro\""), "{text}");
    assert!(!text.contains("/tmp"), "no host paths: {text}");

    let seccomp = profile(Action::Allow, vec![deny(&["file-write-mode"], vec![], 1)]);
    let a = compile("s", &seccomp, &world());
    let b = compile("s", &seccomp, &world());
    assert!(!a.bpf_bytes().is_empty());
    assert_eq!(a.bpf_bytes(), b.bpf_bytes());
    assert_eq!(a.bpf_bytes().len() % 8, 0);
}

#[test]
fn fidelity_of_representative_rules() {
    let compiled = compile("p", &representative(), &world());
    assert!(compiled.blocked.is_none(), "{:?}", compiled.blocked);
    let levels: Vec<Fidelity> = compiled.fidelity.iter().map(|f| f.fidelity).collect();
    use Fidelity::*;
    // default, read* (a literal: a directory would list its subdirectories), write* (links
    // are creations on Linux; {scratch}/a itself cannot be removed), outbound, signal,
    // sysctl, deny /etc (removes nothing: redundant)
    assert_eq!(
        levels,
        [
            Approximate,
            Approximate,
            Approximate,
            Exact,
            Exact,
            Approximate,
            Approximate
        ]
    );
    assert_eq!(compiled.fidelity[0].rule, None);
    assert_eq!(compiled.fidelity[1].rule, Some(0));
    assert_eq!(compiled.fidelity[1].origin.line, 2);

    let layer = &compiled.plan.layers[0];
    assert_eq!(
        layer.handled_fs.len(),
        16,
        "every fs right of ABI 7: {:?}",
        layer.handled_fs
    );
    assert_eq!(layer.handled_net, ["net.bind_tcp", "net.connect_tcp"]);
    assert_eq!(layer.scoped, ["scope.abstract_unix_socket", "scope.signal"]);
    let paths: Vec<&str> = granted(layer).iter().map(|r| r.path.as_str()).collect();
    // The later `deny file-read* (subpath "/etc")` overrides the literal /etc/hostname grant.
    assert_eq!(
        paths,
        ["/proc/sys/kernel/ostype", "{scratch}/a", "{scratch}/ro"]
    );
    assert_eq!(layer.port_rules.len(), 1);
    assert_eq!(layer.port_rules[0].port, 8080);
    assert_eq!(layer.port_rules[0].access, ["net.connect_tcp"]);
}

#[test]
fn a_deny_after_an_allow_it_covers_is_exact() {
    let ir = profile(
        Action::Deny,
        vec![
            allow(&["file-read*"], vec![subpath("/usr/share")], 1),
            deny(&["file-read*"], vec![subpath("/usr")], 2),
        ],
    );
    let compiled = compile("p", &ir, &world());
    assert!(compiled.blocked.is_none(), "{:?}", compiled.blocked);
    assert!(granted(&compiled.plan.layers[0]).is_empty());
}

#[test]
fn blocked_reasons_name_the_rule_and_its_origin() {
    let cases: Vec<(ProfileIr, BlockedReason, &str)> = vec![
        (
            profile(
                Action::Deny,
                vec![
                    allow(&["file-write*"], vec![subpath("{scratch}/w")], 10),
                    deny(&["file-write*"], vec![subpath("{scratch}/w/.git")], 11),
                ],
            ),
            BlockedReason::NotApplicableInWorld,
            "rule 1 at test.kdl:11:3",
        ),
        (
            profile(
                Action::Deny,
                vec![allow(
                    &["mach-lookup"],
                    vec![Filter::GlobalName("x".into())],
                    4,
                )],
            ),
            BlockedReason::NotApplicableInWorld,
            "Darwin-only",
        ),
        (
            profile(
                Action::Deny,
                vec![allow(&["file-read*"], vec![Filter::Regex("^/x".into())], 5)],
            ),
            BlockedReason::NotApplicableInWorld,
            "regex",
        ),
        (
            profile(
                Action::Deny,
                vec![allow(
                    &["file-read*"],
                    vec![Filter::RequireAll(vec![
                        subpath("/a"),
                        Filter::RequireNot(Box::new(subpath("/a/b"))),
                    ])],
                    6,
                )],
            ),
            BlockedReason::NotApplicableInWorld,
            "require-not",
        ),
        (
            profile(
                Action::Allow,
                vec![deny(&["file-read*"], vec![subpath("/etc")], 7)],
            ),
            BlockedReason::NotApplicableInWorld,
            "default allows everything",
        ),
    ];
    for (ir, reason, needle) in cases {
        let compiled = compile("p", &ir, &landlock_only_world());
        let blocked = compiled.blocked.clone().expect("blocked");
        assert_eq!(blocked.reason, reason, "{}", blocked.detail);
        assert!(
            blocked.detail.contains(needle),
            "{needle:?} not in {}",
            blocked.detail
        );
        let failure = PreparedSandbox::prepare(&compiled, Path::new("/nonexistent")).unwrap_err();
        assert_eq!(failure.reason, reason);
        assert_eq!(failure.step, "compile");
    }
}

#[test]
fn abi_cap_3_makes_a_tcp_port_rule_not_applicable() {
    let capped = world_capped(Some(3));
    assert_eq!(capped.landlock.effective_abi, 3);
    assert_ne!(
        capped.world_id,
        world().world_id,
        "the cap changes the world id"
    );
    let ir = profile(
        Action::Deny,
        vec![allow(&["network-outbound"], vec![tcp(443)], 9)],
    );
    let compiled = compile("p", &ir, &capped);
    let blocked = compiled.blocked.expect("blocked");
    assert_eq!(blocked.reason, BlockedReason::NotApplicableInWorld);
    assert!(
        blocked.detail.contains("net.connect_tcp"),
        "{}",
        blocked.detail
    );
    assert!(
        blocked.detail.contains("test.kdl:9:3"),
        "{}",
        blocked.detail
    );
    // Under the cap the default handles only ABI 3 fs rights.
    let fs_only = compile("p", &profile(Action::Deny, vec![]), &capped);
    assert_eq!(fs_only.plan.layers[0].handled_fs_mask, 0x7fff);
    assert_eq!(fs_only.plan.layers[0].handled_net_mask, 0);
}

#[test]
fn a_missing_rule_path_blocks_apply() {
    let scratch = scratch_tree();
    // A path that does not exist, or below a file: this world cannot name it. Any other
    // failure to open it (a symlink loop here) is an apply error. Both keep the errno.
    std::os::unix::fs::symlink("loop", scratch.path().join("loop")).unwrap();
    for (path, reason, errno) in [
        (
            "{scratch}/absent",
            BlockedReason::NotApplicableInWorld,
            libc::ENOENT,
        ),
        (
            "{scratch}/ro/f/x",
            BlockedReason::NotApplicableInWorld,
            libc::ENOTDIR,
        ),
        ("{scratch}/loop", BlockedReason::ApplyError, libc::ELOOP),
    ] {
        let ir = profile(
            Action::Deny,
            vec![allow(&["file-read*"], vec![subpath(path)], 1)],
        );
        let failure =
            PreparedSandbox::prepare(&compile("p", &ir, &world()), scratch.path()).unwrap_err();
        assert_eq!((failure.reason, failure.errno), (reason, errno), "{path}");
        assert_eq!(failure.step, "open(O_PATH)");
        assert!(failure.detail.contains(path), "{}", failure.detail);
    }
}

// ---------------------------------------------------------------------------------------------
// Enforcement

#[test]
fn reads_are_allowed_under_the_subpath_and_denied_elsewhere() {
    let scratch = scratch_tree();
    let ir = profile(
        Action::Deny,
        vec![allow(&["file-read*"], vec![subpath("{scratch}/ro")], 1)],
    );
    let sandbox = prepared(&compile("p", &ir, &world()), scratch.path());
    let inside = c(&scratch.path().join("ro/f"));
    let hosts = c(Path::new("/etc/hosts"));
    assert_eq!(
        in_sandbox(&sandbox, &|| open_errno(&inside, libc::O_RDONLY)),
        0
    );
    assert_eq!(
        in_sandbox(&sandbox, &|| open_errno(&hosts, libc::O_RDONLY)),
        libc::EACCES
    );
    assert_eq!(
        in_sandbox(&sandbox, &|| open_errno(&inside, libc::O_WRONLY)),
        libc::EACCES
    );
    let create = c(&scratch.path().join("ro/new"));
    assert_eq!(
        in_sandbox(&sandbox, &|| open_errno(
            &create,
            libc::O_WRONLY | libc::O_CREAT
        )),
        libc::EACCES
    );
    // Outside the sandbox nothing changed.
    assert_eq!(open_errno(&hosts, libc::O_RDONLY), 0);
}

#[test]
fn a_literal_file_rule_drops_directory_rights() {
    let scratch = scratch_tree();
    let ir = profile(
        Action::Deny,
        vec![allow(
            &["file-read*"],
            vec![Filter::Literal("{scratch}/ro/f".into())],
            1,
        )],
    );
    let sandbox = prepared(&compile("p", &ir, &world()), scratch.path());
    let rule = sandbox.resolved[0]
        .iter()
        .find(|r| r.plan_path == "{scratch}/ro/f")
        .unwrap();
    assert!(!rule.is_dir);
    let file = c(&scratch.path().join("ro/f"));
    assert_eq!(
        in_sandbox(&sandbox, &|| open_errno(&file, libc::O_RDONLY)),
        0
    );
    let dir = c(&scratch.path().join("ro"));
    assert_eq!(
        in_sandbox(&sandbox, &|| open_errno(
            &dir,
            libc::O_RDONLY | libc::O_DIRECTORY
        )),
        libc::EACCES
    );
}

#[test]
fn a_rename_across_directories_needs_the_make_and_remove_rights_only() {
    let scratch = scratch_tree();
    let ir = profile(
        Action::Deny,
        vec![allow(
            &["file-write-create", "file-write-unlink"],
            vec![subpath("{scratch}/a"), subpath("{scratch}/b")],
            1,
        )],
    );
    let rename = |a: &CString, b: &CString| {
        // SAFETY: raw rename on NUL-terminated paths.
        if unsafe { libc::rename(a.as_ptr(), b.as_ptr()) } == 0 {
            0
        } else {
            errno()
        }
    };
    let from = c(&scratch.path().join("a/g"));
    let to = c(&scratch.path().join("b/g"));
    let same_dir = c(&scratch.path().join("a/h"));
    // fs.refer is granted on `/` in every layer: SBPL has no reparenting permission.
    let compiled = compile("p", &ir, &world());
    let refer = &compiled.plan.layers[0].path_rules[0];
    assert_eq!(
        (refer.path.as_str(), &refer.access[..]),
        ("/", &["fs.refer".to_string()][..])
    );
    let sandbox = prepared(&compiled, scratch.path());
    assert_eq!(in_sandbox(&sandbox, &|| rename(&from, &to)), 0);
    assert_eq!(in_sandbox(&sandbox, &|| rename(&to, &from)), 0);
    // ABI 1 has no fs.refer: moving to another directory is EXDEV, within one it is fine.
    let abi1 = compile("p", &ir, &world_capped(Some(1)));
    let sandbox = prepared(&abi1, scratch.path());
    assert_eq!(in_sandbox(&sandbox, &|| rename(&from, &to)), libc::EXDEV);
    assert_eq!(in_sandbox(&sandbox, &|| rename(&from, &same_dir)), 0);
}

fn listener() -> (std::net::TcpListener, u16) {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    (l, port)
}

fn connect_errno(port: u16) -> i32 {
    let addr = libc::sockaddr_in {
        sin_family: libc::AF_INET as libc::sa_family_t,
        sin_port: port.to_be(),
        sin_addr: libc::in_addr {
            s_addr: u32::from_ne_bytes([127, 0, 0, 1]),
        },
        sin_zero: [0; 8],
    };
    // SAFETY: raw socket/connect/close with a stack sockaddr.
    unsafe {
        let fd = libc::socket(libc::AF_INET, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0);
        if fd < 0 {
            return errno();
        }
        let ret = libc::connect(
            fd,
            &addr as *const libc::sockaddr_in as *const libc::sockaddr,
            std::mem::size_of::<libc::sockaddr_in>() as u32,
        );
        let result = if ret == 0 { 0 } else { errno() };
        libc::close(fd);
        result
    }
}

#[test]
fn tcp_connect_is_allowed_only_to_the_ruled_port() {
    let scratch = scratch_tree();
    let (_allowed_listener, allowed) = listener();
    let (_other_listener, other) = listener();
    let ir = profile(
        Action::Deny,
        vec![allow(&["network-outbound"], vec![tcp(allowed)], 1)],
    );
    let sandbox = prepared(&compile("p", &ir, &world()), scratch.path());
    assert_eq!(in_sandbox(&sandbox, &|| connect_errno(allowed)), 0);
    assert_eq!(in_sandbox(&sandbox, &|| connect_errno(other)), libc::EACCES);
}

#[test]
fn signals_leaving_the_sandbox_are_eperm_with_the_signal_scope() {
    let scratch = scratch_tree();
    let ir = profile(
        Action::Deny,
        vec![allow(
            &["signal"],
            vec![Filter::Target("same-sandbox".into())],
            1,
        )],
    );
    let compiled = compile("p", &ir, &world());
    assert_eq!(
        compiled.plan.layers[0].scoped,
        ["scope.abstract_unix_socket", "scope.signal"]
    );
    let sandbox = prepared(&compiled, scratch.path());
    let kill = |pid: libc::pid_t| {
        // SAFETY: signal 0 only checks permission.
        if unsafe { libc::kill(pid, 0) } == 0 {
            0
        } else {
            errno()
        }
    };
    // SAFETY: getppid/getpid cannot fail.
    assert_eq!(
        in_sandbox(&sandbox, &|| kill(unsafe { libc::getppid() })),
        libc::EPERM
    );
    assert_eq!(in_sandbox(&sandbox, &|| kill(unsafe { libc::getpid() })), 0);
}

#[test]
fn seccomp_denies_a_whole_class_with_eperm() {
    let scratch = scratch_tree();
    let ir = profile(Action::Allow, vec![deny(&["file-write-mode"], vec![], 1)]);
    let compiled = compile("p", &ir, &world());
    assert!(
        compiled.plan.layers.is_empty(),
        "allow default needs no Landlock layer"
    );
    assert_eq!(compiled.fidelity[1].fidelity, Fidelity::Approximate);
    let sandbox = prepared(&compiled, scratch.path());
    let file = c(&scratch.path().join("ro/f"));
    let chmod = || {
        // SAFETY: raw chmod on a NUL-terminated path.
        if unsafe { libc::chmod(file.as_ptr(), 0o644) } == 0 {
            0
        } else {
            errno()
        }
    };
    assert_eq!(in_sandbox(&sandbox, &chmod), libc::EPERM);
    assert_eq!(
        in_sandbox(&sandbox, &|| open_errno(&file, libc::O_RDONLY)),
        0
    );
    assert_eq!(chmod(), 0, "the parent is unaffected");
}

#[test]
fn allow_default_with_an_unfiltered_write_deny_handles_only_write_rights() {
    let scratch = scratch_tree();
    let ir = profile(
        Action::Allow,
        vec![
            deny(&["file-write*"], vec![], 1),
            allow(&["file-write*"], vec![subpath("{scratch}/a")], 2),
        ],
    );
    let compiled = compile("p", &ir, &world());
    assert!(compiled.blocked.is_none(), "{:?}", compiled.blocked);
    let sandbox = prepared(&compiled, scratch.path());
    let hosts = c(Path::new("/etc/hosts"));
    let ro = c(&scratch.path().join("ro/f"));
    let a = c(&scratch.path().join("a/g"));
    assert_eq!(
        in_sandbox(&sandbox, &|| open_errno(&hosts, libc::O_RDONLY)),
        0
    );
    assert_eq!(
        in_sandbox(&sandbox, &|| open_errno(&ro, libc::O_WRONLY)),
        libc::EACCES
    );
    assert_eq!(in_sandbox(&sandbox, &|| open_errno(&a, libc::O_WRONLY)), 0);
}

#[test]
fn o_trunc_and_exec_are_denied_under_a_read_only_profile() {
    let scratch = scratch_tree();
    let ir = profile(
        Action::Deny,
        vec![allow(&["file-read*"], vec![subpath("/")], 1)],
    );
    let sandbox = prepared(&compile("p", &ir, &world()), scratch.path());
    let file = c(&scratch.path().join("ro/f"));
    assert_eq!(
        in_sandbox(&sandbox, &|| open_errno(&file, libc::O_RDONLY)),
        0
    );
    assert_eq!(
        in_sandbox(&sandbox, &|| open_errno(
            &file,
            libc::O_RDONLY | libc::O_TRUNC
        )),
        libc::EACCES
    );
    let true_bin = c(Path::new("/bin/true"));
    let argv = [true_bin.as_ptr(), std::ptr::null()];
    let envp = [std::ptr::null()];
    let exec = || {
        // SAFETY: argv and envp are NULL-terminated arrays built before the fork.
        unsafe { libc::execve(true_bin.as_ptr(), argv.as_ptr(), envp.as_ptr()) };
        errno()
    };
    assert_eq!(in_sandbox(&sandbox, &exec), libc::EACCES);
}

#[test]
fn device_ioctls_need_the_ioctl_right() {
    let scratch = scratch_tree();
    let ir = profile(
        Action::Deny,
        vec![allow(
            &["file-read*"],
            vec![Filter::Literal("/dev/urandom".into())],
            1,
        )],
    );
    let sandbox = prepared(&compile("p", &ir, &world()), scratch.path());
    let urandom = c(Path::new("/dev/urandom"));
    let ioctl = |request: libc::c_ulong| {
        // SAFETY: open, ioctl with an int out-parameter on the stack, close.
        unsafe {
            let fd = libc::open(urandom.as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC);
            if fd < 0 {
                return 100 + errno();
            }
            let mut count: libc::c_int = 0;
            let ret = libc::ioctl(fd, request, &mut count);
            let result = if ret == 0 { 0 } else { errno() };
            libc::close(fd);
            result
        }
    };
    const RNDGETENTCNT: libc::c_ulong = 0x8004_5200;
    assert_eq!(in_sandbox(&sandbox, &|| ioctl(RNDGETENTCNT)), libc::EACCES);
    assert_eq!(in_sandbox(&sandbox, &|| ioctl(libc::FIOCLEX)), 0);
}

fn bind_errno(port: u16) -> i32 {
    let addr = libc::sockaddr_in {
        sin_family: libc::AF_INET as libc::sa_family_t,
        sin_port: port.to_be(),
        sin_addr: libc::in_addr {
            s_addr: u32::from_ne_bytes([127, 0, 0, 1]),
        },
        sin_zero: [0; 8],
    };
    // SAFETY: raw socket/bind/close with a stack sockaddr.
    unsafe {
        let fd = libc::socket(libc::AF_INET, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0);
        if fd < 0 {
            return errno();
        }
        let ret = libc::bind(
            fd,
            &addr as *const libc::sockaddr_in as *const libc::sockaddr,
            std::mem::size_of::<libc::sockaddr_in>() as u32,
        );
        let result = if ret == 0 { 0 } else { errno() };
        libc::close(fd);
        result
    }
}

#[test]
fn tcp_bind_is_allowed_only_on_the_ruled_port() {
    let scratch = scratch_tree();
    let (first, allowed) = listener();
    let (second, other) = listener();
    drop((first, second));
    let ir = profile(
        Action::Deny,
        vec![allow(
            &["network-bind"],
            vec![Filter::Local(NetAddress {
                proto: "tcp".into(),
                host: "*".into(),
                port: Some(allowed),
            })],
            1,
        )],
    );
    let sandbox = prepared(&compile("p", &ir, &world()), scratch.path());
    assert_eq!(in_sandbox(&sandbox, &|| bind_errno(allowed)), 0);
    assert_eq!(in_sandbox(&sandbox, &|| bind_errno(other)), libc::EACCES);
}

fn abstract_connect_errno(name: &[u8]) -> i32 {
    // SAFETY: sockaddr_un is plain data; raw socket/connect/close.
    unsafe {
        let mut addr: libc::sockaddr_un = std::mem::zeroed();
        addr.sun_family = libc::AF_UNIX as libc::sa_family_t;
        for (i, byte) in name.iter().enumerate() {
            addr.sun_path[i + 1] = *byte as libc::c_char;
        }
        let len = (std::mem::size_of::<libc::sa_family_t>() + 1 + name.len()) as u32;
        let fd = libc::socket(libc::AF_UNIX, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0);
        if fd < 0 {
            return errno();
        }
        let ret = libc::connect(
            fd,
            &addr as *const libc::sockaddr_un as *const libc::sockaddr,
            len,
        );
        let result = if ret == 0 { 0 } else { errno() };
        libc::close(fd);
        result
    }
}

#[test]
fn abstract_unix_connects_leaving_the_sandbox_are_eperm_under_deny_default() {
    use std::os::linux::net::SocketAddrExt;
    let scratch = scratch_tree();
    let name = format!("xpr-backend-test-{}", std::process::id());
    let addr = std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes()).unwrap();
    let _listener = std::os::unix::net::UnixListener::bind_addr(&addr).unwrap();
    let strict = profile(Action::Deny, vec![]);
    let sandbox = prepared(&compile("p", &strict, &world()), scratch.path());
    assert_eq!(
        in_sandbox(&sandbox, &|| abstract_connect_errno(name.as_bytes())),
        libc::EPERM
    );
    let open = profile(Action::Deny, vec![allow(&["network-outbound"], vec![], 1)]);
    let compiled = compile("p", &open, &world());
    assert_eq!(compiled.plan.layers[0].scoped, ["scope.signal"]);
    let sandbox = prepared(&compiled, scratch.path());
    assert_eq!(
        in_sandbox(&sandbox, &|| abstract_connect_errno(name.as_bytes())),
        0
    );
}

#[test]
fn fidelity_table_for_the_mapping() {
    use Fidelity::*;
    let cases: Vec<(Action, Rule, Fidelity)> = vec![
        (
            Action::Deny,
            allow(&["file-read-data"], vec![subpath("/usr")], 1),
            Exact,
        ),
        (
            Action::Deny,
            allow(&["file-read-metadata"], vec![subpath("/usr")], 1),
            Exact,
        ),
        (
            Action::Deny,
            allow(&["process-exec"], vec![subpath("/usr")], 1),
            Approximate,
        ),
        (
            Action::Deny,
            allow(&["file-write-create"], vec![subpath("/tmp")], 1),
            Approximate,
        ),
        (
            Action::Deny,
            allow(&["file-ioctl"], vec![subpath("/dev")], 1),
            Approximate,
        ),
        (
            Action::Deny,
            allow(
                &["sysctl-read"],
                vec![Filter::SysctlName("hw.ncpu".into())],
                1,
            ),
            Unsupported,
        ),
        (Action::Deny, allow(&["iokit-open"], vec![], 1), Unsupported),
        (
            Action::Deny,
            allow(&["process-exec-interpreter"], vec![], 1),
            Unsupported,
        ),
        (
            Action::Deny,
            allow(&["file-read*"], vec![Filter::Prefix("/x".into())], 1),
            Unsupported,
        ),
        (
            Action::Deny,
            allow(&["file-read*"], vec![subpath("relative/path")], 1),
            Unsupported,
        ),
        (
            Action::Deny,
            allow(&["signal"], vec![Filter::Target("self".into())], 1),
            Exact,
        ),
        (
            Action::Deny,
            deny(&["signal"], vec![Filter::Target("self".into())], 1),
            Unsupported,
        ),
        (
            Action::Deny,
            allow(
                &["network-outbound"],
                vec![Filter::Remote(NetAddress {
                    proto: "tcp".into(),
                    host: "localhost".into(),
                    port: Some(80),
                })],
                1,
            ),
            Approximate,
        ),
        (
            Action::Deny,
            allow(
                &["network-outbound"],
                vec![Filter::Remote(NetAddress {
                    proto: "unix-socket".into(),
                    host: "/tmp/s".into(),
                    port: None,
                })],
                1,
            ),
            Unsupported,
        ),
        (
            Action::Allow,
            deny(&["file-read-metadata"], vec![], 1),
            Unsupported,
        ),
        (
            Action::Allow,
            deny(&["process-fork"], vec![], 1),
            Approximate,
        ),
        (
            Action::Allow,
            deny(&["file-write-owner"], vec![subpath("/x")], 1),
            Unsupported,
        ),
        (
            Action::Allow,
            deny(&["network-outbound"], vec![], 1),
            Approximate,
        ),
        (
            Action::Allow,
            deny(&["file-write*"], vec![], 1),
            Approximate,
        ),
        (Action::Allow, deny(&["file-write-data"], vec![], 1), Exact),
        // A literal keeps the file rights of its node: exact for data; the listing of a
        // directory extends to its subdirectories; removing it is checked on the parent.
        (
            Action::Deny,
            allow(
                &["file-write-data"],
                vec![Filter::Literal("/etc/hosts".into())],
                1,
            ),
            Exact,
        ),
        (
            Action::Deny,
            allow(
                &["file-read-data"],
                vec![Filter::Literal("/etc/hosts".into())],
                1,
            ),
            Approximate,
        ),
        (
            Action::Deny,
            allow(
                &["file-write-unlink"],
                vec![Filter::Literal("/tmp/x".into())],
                1,
            ),
            Approximate,
        ),
        // A subpath's own node is removed from its parent; without a filter nothing is left out.
        (
            Action::Deny,
            allow(&["file-write-unlink"], vec![subpath("/tmp")], 1),
            Approximate,
        ),
        (
            Action::Deny,
            allow(&["file-write-unlink"], vec![], 1),
            Exact,
        ),
        // A link is the creation of a regular file on Linux, both ways.
        (
            Action::Deny,
            allow(&["file-link"], vec![subpath("/tmp")], 1),
            Approximate,
        ),
        (Action::Allow, deny(&["file-link"], vec![], 1), Approximate),
        (
            Action::Deny,
            allow(&["file-write*"], vec![], 1),
            Approximate,
        ),
        (
            Action::Deny,
            allow(&["file-write-create"], vec![], 1),
            Approximate,
        ),
        (
            Action::Allow,
            deny(&["file-write-create"], vec![], 1),
            Exact,
        ),
    ];
    let world = world();
    for (default, rule, expected) in cases {
        let text = xpr::compile::linux::rule_text(&rule);
        let compiled = compile("p", &profile(default, vec![rule]), &world);
        let got = &compiled.fidelity[1];
        assert_eq!(
            got.fidelity, expected,
            "{text} under default {default:?}: {:?}",
            got.note
        );
        assert_eq!(
            compiled.blocked.is_some(),
            expected == Unsupported,
            "{text}"
        );
    }
}

/// The detected world with facts changed the way other kernels differ (pure compile checks).
fn doctored(change: impl FnOnce(&mut WorldFacts)) -> WorldFacts {
    let mut facts = world();
    change(&mut facts);
    facts
}

#[test]
fn a_kernel_without_landlock_makes_deny_default_mechanism_unavailable() {
    let none = doctored(|w| {
        w.landlock.status = LandlockStatus::NotImplemented;
        w.landlock.host_abi = 0;
        w.landlock.effective_abi = 0;
        w.landlock.probed_rights.clear();
    });
    let strict = compile("p", &representative(), &none);
    let blocked = strict.blocked.expect("blocked");
    assert_eq!(
        blocked.reason,
        BlockedReason::MechanismUnavailable,
        "{}",
        blocked.detail
    );
    // A profile that needs no Landlock at all still applies.
    let open = compile("p", &profile(Action::Allow, vec![]), &none);
    assert!(open.blocked.is_none());
    assert!(open.plan.layers.is_empty());
}

#[test]
fn an_abi_that_claims_a_right_the_kernel_rejects_is_mechanism_unavailable() {
    // RHEL 9 shipped ABI 6 without the signal scope.
    let drift = doctored(|w| {
        w.landlock.probed_rights.retain(|r| r != "scope.signal");
        w.landlock.missing_rights = vec!["scope.signal".into()];
    });
    let ir = profile(
        Action::Allow,
        vec![deny(&["signal"], vec![Filter::Target("others".into())], 4)],
    );
    let blocked = compile("p", &ir, &drift).blocked.expect("blocked");
    assert_eq!(blocked.reason, BlockedReason::MechanismUnavailable);
    assert!(
        blocked.detail.contains("scope.signal"),
        "{}",
        blocked.detail
    );
    let strict = compile("p", &profile(Action::Deny, vec![]), &drift)
        .blocked
        .expect("blocked");
    assert_eq!(strict.reason, BlockedReason::MechanismUnavailable);
}

#[test]
fn a_scratch_root_under_an_assumed_disjoint_literal_blocks_apply() {
    // The deny of /tmp would also cover the scratch grant if the scratch root lived there.
    let ir = profile(
        Action::Deny,
        vec![
            allow(&["file-read*"], vec![subpath("{scratch}/ro")], 1),
            deny(&["file-read*"], vec![subpath("/srv/never")], 2),
        ],
    );
    let compiled = compile("p", &ir, &world());
    assert_eq!(compiled.plan.scratch_not_under, ["/srv/never"]);
    let scratch = scratch_tree();
    assert!(PreparedSandbox::prepare(&compiled, scratch.path()).is_ok());
    let failure = PreparedSandbox::prepare(&compiled, Path::new("/srv/never/scratch")).unwrap_err();
    assert_eq!(failure.reason, BlockedReason::NotApplicableInWorld);
    assert_eq!(failure.step, "scratch");
}

#[test]
#[ignore = "prints a sample plan for people"]
fn print_sample_plan() {
    let compiled = compile("sample", &representative(), &world());
    println!("{}", String::from_utf8_lossy(compiled.plan_json()));
    for f in &compiled.fidelity {
        println!("{:?} {:?} {} {:?}", f.rule, f.fidelity, f.text, f.note);
    }
}

#[test]
fn last_matching_rule_wins_where_landlock_can_follow() {
    let lit = |p: &str| Filter::Literal(p.into());
    // (rules, blocked?, path rules expected for file-read*)
    let cases: Vec<(Action, Vec<Rule>, bool, Vec<&str>)> = vec![
        // A later subpath deny covering the grant removes it.
        (
            Action::Deny,
            vec![
                allow(&["file-read*"], vec![subpath("/a")], 1),
                deny(&["file-read*"], vec![subpath("/a")], 2),
            ],
            false,
            vec![],
        ),
        // A literal deny of a subpath-allowed node carves: SBPL still allows its children.
        (
            Action::Deny,
            vec![
                allow(&["file-read*"], vec![subpath("/a")], 1),
                deny(&["file-read*"], vec![lit("/a")], 2),
            ],
            true,
            vec![],
        ),
        (
            Action::Deny,
            vec![
                allow(&["file-read*"], vec![lit("/a")], 1),
                deny(&["file-read*"], vec![lit("/a")], 2),
            ],
            false,
            vec![],
        ),
        // A literal grant on a directory covers its subtree on Linux, so a deny below it carves.
        (
            Action::Deny,
            vec![
                allow(&["file-read*"], vec![lit("/a")], 1),
                deny(&["file-read*"], vec![subpath("/a/b")], 2),
            ],
            true,
            vec![],
        ),
        // A literal deny does not reach below itself in SBPL: the grant below stays.
        (
            Action::Deny,
            vec![
                allow(&["file-read*"], vec![subpath("/a/b")], 1),
                deny(&["file-read*"], vec![lit("/a")], 2),
            ],
            false,
            vec!["/a/b"],
        ),
        // Unfiltered rules reset: allow everything, then deny everything, then grant /c.
        (
            Action::Deny,
            vec![
                allow(&["file-read*"], vec![], 1),
                deny(&["file-read*"], vec![], 2),
                allow(&["file-read*"], vec![subpath("/c")], 3),
            ],
            false,
            vec!["/c"],
        ),
        // Allow default: a grant after an unfiltered deny is fine, a carve inside it is not.
        (
            Action::Allow,
            vec![
                deny(&["file-read*"], vec![], 1),
                allow(&["file-read*"], vec![subpath("{scratch}")], 2),
            ],
            false,
            vec!["{scratch}"],
        ),
        (
            Action::Allow,
            vec![
                deny(&["file-read*"], vec![], 1),
                allow(&["file-read*"], vec![subpath("{scratch}")], 2),
                deny(&["file-read*"], vec![subpath("{scratch}/x")], 3),
            ],
            true,
            vec![],
        ),
        // Literal "/" contains the scratch root: a deny below it carves.
        (
            Action::Deny,
            vec![
                allow(&["file-read*"], vec![subpath("/")], 1),
                deny(&["file-read*"], vec![subpath("{scratch}/secret")], 2),
            ],
            true,
            vec![],
        ),
    ];
    let landlock = landlock_only_world();
    for (n, (default, rules, blocked, paths)) in cases.iter().cloned().enumerate() {
        let compiled = compile("p", &profile(default, rules), &landlock);
        assert_eq!(
            compiled.blocked.is_some(),
            blocked,
            "case {n}: {:?}",
            compiled.blocked
        );
        if !blocked {
            let got: Vec<&str> = compiled
                .plan
                .layers
                .first()
                .map(|l| granted(l).iter().map(|r| r.path.as_str()).collect())
                .unwrap_or_default();
            assert_eq!(got, paths, "case {n}");
        }
    }
    // With the mount mechanism, exactly the carves become mounts and nothing is blocked.
    let with_mounts = world();
    assert!(
        with_mounts.mounts.usable(),
        "needs the mount mechanism (root): {:?}",
        with_mounts.mounts.detail
    );
    for (n, (default, rules, carves, _)) in cases.into_iter().enumerate() {
        let compiled = compile("p", &profile(default, rules), &with_mounts);
        assert!(
            compiled.blocked.is_none(),
            "case {n}: {:?}",
            compiled.blocked
        );
        assert_eq!(
            !compiled.mounts.is_empty(),
            carves,
            "case {n}: {:?}",
            compiled.mounts
        );
    }
}

#[test]
fn port_rules_follow_the_same_replay() {
    let world = world();
    let ok = compile(
        "p",
        &profile(
            Action::Deny,
            vec![
                allow(&["network-outbound"], vec![tcp(80), tcp(81)], 1),
                deny(&["network-outbound"], vec![tcp(80)], 2),
            ],
        ),
        &world,
    );
    assert!(ok.blocked.is_none());
    let ports: Vec<u16> = ok.plan.layers[0]
        .port_rules
        .iter()
        .map(|r| r.port)
        .collect();
    assert_eq!(ports, [81]);
    let carve = compile(
        "p",
        &profile(
            Action::Deny,
            vec![
                allow(&["network-outbound"], vec![], 1),
                deny(&["network-outbound"], vec![tcp(22)], 2),
            ],
        ),
        &world,
    );
    let blocked = carve.blocked.expect("blocked");
    assert!(
        blocked.detail.contains("rule 0 at test.kdl:1:3"),
        "{}",
        blocked.detail
    );
}

#[test]
fn a_seventeenth_layer_is_an_apply_error_with_e2big() {
    let scratch = scratch_tree();
    let compiled = compile("p", &profile(Action::Deny, vec![]), &world());
    let sandbox = prepared(&compiled, scratch.path());
    let stack = || {
        for layer in 1..=17 {
            if let Err(failure) = sandbox.apply() {
                let expected = layer == 17
                    && failure.reason == BlockedReason::ApplyError
                    && failure.step == "landlock_restrict_self";
                return if expected { failure.errno } else { 200 + layer };
            }
        }
        199
    };
    // From a clean child: 16 layers, then E2BIG (`LANDLOCK_MAX_NUM_LAYERS` is 16).
    // SAFETY: the child only applies (raw syscalls) and exits.
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        // SAFETY: leaves the child without destructors.
        unsafe { libc::_exit(stack()) }
    }
    let mut status = 0;
    // SAFETY: waiting for our own child.
    unsafe { libc::waitpid(pid, &mut status, 0) };
    assert_eq!(libc::WEXITSTATUS(status), libc::E2BIG);
}

#[test]
fn world_ids_are_stable_across_detections() {
    assert_eq!(world().world_id, world().world_id);
}

// ---------------------------------------------------------------------------------------------
// Stacked profiles (`layer`)

/// A stack of (name, IR) layers, as resolve builds it: rules concatenated, `layers` partitions.
fn stack(layers: &[(&str, ProfileIr)]) -> ProfileIr {
    let mut ir = profile(layers.last().unwrap().1.default, Vec::new());
    for (name, layer) in layers {
        ir.rules.extend(layer.rules.iter().cloned());
        ir.layers.push(IrLayer {
            default_origin: Default::default(),
            profile: name.to_string(),
            default: layer.default,
            rules: layer.rules.len(),
        });
    }
    ir
}

fn read_ro() -> ProfileIr {
    profile(
        Action::Deny,
        vec![allow(&["file-read*"], vec![subpath("{scratch}/ro")], 1)],
    )
}

fn read_ro_write_a() -> ProfileIr {
    profile(
        Action::Deny,
        vec![
            allow(&["file-read*"], vec![subpath("{scratch}/ro")], 2),
            allow(&["file-write*"], vec![subpath("{scratch}/a")], 3),
        ],
    )
}

#[test]
fn a_stack_compiles_one_plan_layer_per_layer_with_global_rule_indices() {
    let world = world();
    let ir = stack(&[("l1", read_ro()), ("l2", read_ro_write_a())]);
    let compiled = compile("s", &ir, &world);
    assert_eq!(compiled.plan.layers.len(), 2);
    assert!(compiled.blocked.is_none());
    let l2 = &compiled.plan.layers[1];
    let rules: Vec<(&str, &[usize])> = granted(l2)
        .iter()
        .map(|r| (r.path.as_str(), r.rules.as_slice()))
        .collect();
    assert_eq!(
        rules,
        [("{scratch}/a", &[2][..]), ("{scratch}/ro", &[1][..])]
    );
    // One default entry per layer, then that layer's rules with the stack's indices.
    let entries: Vec<Option<usize>> = compiled.fidelity.iter().map(|f| f.rule).collect();
    assert_eq!(entries, [None, Some(0), None, Some(1), Some(2)]);
    assert!(
        compiled.fidelity[2]
            .note
            .as_deref()
            .unwrap()
            .starts_with("layer l2")
    );
    assert_eq!(compiled.layer_defaults, [0, 2]);
    assert_eq!(compile("s", &ir, &world).plan_json(), compiled.plan_json());
    // A stack of one layer is the plain profile.
    let one = compile("p", &stack(&[("l1", read_ro())]), &world);
    assert_eq!(
        one.plan_json(),
        compile("p", &read_ro(), &world).plan_json()
    );
}

#[test]
fn stacked_layers_intersect_in_the_child() {
    let scratch = scratch_tree();
    let world = world();
    let file = c(&scratch.path().join("ro/f"));
    let target = c(&scratch.path().join("a/g"));
    let alone = prepared(&compile("l2", &read_ro_write_a(), &world), scratch.path());
    assert_eq!(
        in_sandbox(&alone, &|| open_errno(&target, libc::O_WRONLY)),
        0
    );
    let ir = stack(&[("l1", read_ro()), ("l2", read_ro_write_a())]);
    let both = prepared(&compile("s", &ir, &world), scratch.path());
    assert_eq!(both.resolved.len(), 2);
    assert_eq!(in_sandbox(&both, &|| open_errno(&file, libc::O_RDONLY)), 0);
    // l2 grants the write, l1 handles it and does not: EACCES.
    assert_eq!(
        in_sandbox(&both, &|| open_errno(&target, libc::O_WRONLY)),
        libc::EACCES
    );
}

#[test]
fn seccomp_denials_of_every_layer_are_united() {
    let scratch = scratch_tree();
    let ir = stack(&[
        (
            "no_chmod",
            profile(Action::Allow, vec![deny(&["file-write-mode"], vec![], 1)]),
        ),
        (
            "no_chown",
            profile(Action::Allow, vec![deny(&["file-write-owner"], vec![], 2)]),
        ),
    ]);
    let compiled = compile("s", &ir, &world());
    assert!(
        compiled.plan.layers.is_empty(),
        "allow defaults handle nothing"
    );
    let seccomp = compiled.plan.seccomp.as_ref().unwrap();
    let classes: std::collections::BTreeSet<(&str, &[usize])> = seccomp
        .syscalls
        .iter()
        .map(|s| (s.class.as_str(), s.rules.as_slice()))
        .collect();
    assert_eq!(
        classes.into_iter().collect::<Vec<_>>(),
        [
            ("file-write-mode", &[0][..]),
            ("file-write-owner", &[1][..])
        ]
    );
    let mut numbers: Vec<i64> = seccomp.syscalls.iter().map(|s| s.nr).collect();
    let sorted = {
        let mut n = numbers.clone();
        n.sort_unstable();
        n.dedup();
        n
    };
    numbers.dedup();
    assert_eq!(numbers, sorted, "sorted by number, each once");
    let sandbox = prepared(&compiled, scratch.path());
    let file = c(&scratch.path().join("ro/f"));
    let chmod = || {
        // SAFETY: raw chmod on a NUL-terminated path.
        if unsafe { libc::chmod(file.as_ptr(), 0o644) } == 0 {
            0
        } else {
            errno()
        }
    };
    assert_eq!(in_sandbox(&sandbox, &chmod), libc::EPERM);
}

#[test]
fn a_blocked_layer_names_the_layer_the_rule_and_its_origin() {
    let carve = profile(
        Action::Allow,
        vec![deny(&["file-read*"], vec![subpath("{scratch}/ro")], 7)],
    );
    let ir = stack(&[("l1", read_ro()), ("carve", carve)]);
    let compiled = compile("s", &ir, &landlock_only_world());
    let blocked = compiled.blocked.as_ref().unwrap();
    assert_eq!(blocked.reason, BlockedReason::NotApplicableInWorld);
    assert!(
        blocked
            .detail
            .starts_with("layer carve: rule 1 at test.kdl:7:3: "),
        "{}",
        blocked.detail
    );
    let rule1 = compiled
        .fidelity
        .iter()
        .find(|f| f.rule == Some(1))
        .unwrap();
    assert_eq!(rule1.fidelity, Fidelity::Unsupported);
}

/// A mount path below the scratch root is reached without following a link (spec §5.7): a
/// symlink an experiment planted there, at the end or on the way, fails prepare with ELOOP
/// instead of carrying the mount to where it points; the same tree without the link mounts.
#[test]
fn a_link_on_a_mount_path_below_scratch_fails_closed() {
    let world = world();
    assert!(
        world.mounts.usable(),
        "needs the mount mechanism (root): {:?}",
        world.mounts.detail
    );
    let outside = tempfile::tempdir().unwrap();
    std::fs::create_dir(outside.path().join(".git")).unwrap();
    let carve = |path: &str| {
        profile(
            Action::Allow,
            vec![deny(&["file-write*"], vec![subpath(path)], 1)],
        )
    };
    for (planted, mount_path) in [("w/.git", "{scratch}/w/.git"), ("w", "{scratch}/w/.git")] {
        let scratch = tempfile::tempdir().unwrap();
        let link = scratch.path().join(planted);
        std::fs::create_dir_all(link.parent().unwrap()).unwrap();
        let target = if planted == "w" {
            outside.path().to_path_buf()
        } else {
            outside.path().join(".git")
        };
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let compiled = compile("p", &carve(mount_path), &world);
        assert!(compiled.blocked.is_none(), "{:?}", compiled.blocked);
        let failure = PreparedSandbox::prepare(&compiled, scratch.path()).unwrap_err();
        assert_eq!(
            (failure.reason, failure.errno),
            (BlockedReason::NotApplicableInWorld, libc::ELOOP),
            "{planted}: {failure}"
        );
        assert!(failure.step.contains("RESOLVE_NO_SYMLINKS"), "{failure}");
        // Without the link the same profile prepares.
        std::fs::remove_file(&link).unwrap();
        std::fs::create_dir_all(scratch.path().join("w/.git")).unwrap();
        prepared(&compiled, scratch.path());
    }
}
