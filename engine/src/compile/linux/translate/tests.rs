//! The IR → Landlock/seccomp mapping as a table: each row is a profile (default + rules) in a
//! made-up world (Landlock ABI, rights the kernel rejects) and what the translation must say:
//! fidelity per rule, the rights the layer handles, path and port rules, seccomp classes, and
//! why apply is blocked. No row touches the kernel, so these run without Landlock.

use super::*;
use crate::model::Origin;
use Action::{Allow, Deny};
use BlockedReason::{MechanismUnavailable, NotApplicableInWorld};
use Fidelity::{Approximate, Exact, Unsupported};

struct Row {
    what: &'static str,
    /// The world: Landlock ABI (0: none) and rights its kernel rejects.
    abi: u32,
    rejected: &'static [&'static str],
    default: Action,
    rules: Vec<Rule>,
    /// The default's fidelity, then each rule's.
    fidelity: &'static [Fidelity],
    /// Handled fs rights, handled net rights, then scopes.
    handled: &'static [&'static str],
    paths: &'static [(&'static str, &'static [&'static str])],
    ports: &'static [(u16, &'static [&'static str])],
    /// Syscall classes denied with seccomp.
    seccomp: &'static [&'static str],
    /// Why apply is blocked, and a piece of the detail.
    blocked: Option<(BlockedReason, &'static str)>,
}

impl Default for Row {
    fn default() -> Row {
        Row {
            what: "",
            abi: 7,
            rejected: &[],
            default: Allow,
            rules: Vec::new(),
            fidelity: &[],
            handled: &[],
            paths: &[],
            ports: &[],
            seccomp: &[],
            blocked: None,
        }
    }
}

/// What a translation says, in the rows' terms.
#[derive(Debug, PartialEq)]
struct Said {
    fidelity: Vec<Fidelity>,
    handled: Vec<String>,
    paths: Vec<(String, Vec<String>)>,
    ports: Vec<(u16, Vec<String>)>,
    seccomp: Vec<String>,
    blocked: Option<BlockedReason>,
}

impl Said {
    fn of(t: &Translation) -> Said {
        let layer = t.layers.first();
        let seccomp: BTreeSet<String> = t
            .seccomp
            .iter()
            .flat_map(|s| &s.syscalls)
            .map(|s| s.class.clone())
            .collect();
        Said {
            fidelity: t.fidelity.iter().map(|f| f.fidelity).collect(),
            handled: layer
                .map(|l| [&l.handled_fs[..], &l.handled_net, &l.scoped].concat())
                .unwrap_or_default(),
            // Every layer's `fs.refer` on `/` is checked once, in `check`.
            paths: layer
                .map(|l| {
                    l.path_rules
                        .iter()
                        .filter(|p| !(p.path == "/" && p.access == ["fs.refer"]))
                        .map(|p| (p.path.clone(), p.access.clone()))
                        .collect()
                })
                .unwrap_or_default(),
            ports: layer
                .map(|l| {
                    l.port_rules
                        .iter()
                        .map(|p| (p.port, p.access.clone()))
                        .collect()
                })
                .unwrap_or_default(),
            seccomp: seccomp.into_iter().collect(),
            blocked: t.blocked.as_ref().map(|b| b.reason),
        }
    }

    fn expected(row: &Row) -> Said {
        let strings = |names: &[&str]| names.iter().map(|n| n.to_string()).collect::<Vec<_>>();
        Said {
            fidelity: row.fidelity.to_vec(),
            handled: strings(row.handled),
            paths: row
                .paths
                .iter()
                .map(|(p, rights)| (p.to_string(), strings(rights)))
                .collect(),
            ports: row
                .ports
                .iter()
                .map(|(p, rights)| (*p, strings(rights)))
                .collect(),
            seccomp: strings(row.seccomp),
            blocked: row.blocked.map(|(reason, _)| reason),
        }
    }
}

fn check(rows: Vec<Row>) {
    for row in rows {
        let world = WorldFacts::synthetic(row.abi, row.rejected);
        let ir = ProfileIr {
            default: row.default,
            rules: row.rules.clone(),
            layers: Vec::new(),
            default_origin: Origin::default(),
        };
        let t = translate(&ir, &world, 0);
        let notes: Vec<String> = t
            .fidelity
            .iter()
            .map(|f| format!("{} {:?}: {:?}", f.text, f.fidelity, f.note))
            .collect();
        assert_eq!(
            Said::of(&t),
            Said::expected(&row),
            "{} (ABI {}); fidelity notes:\n{}",
            row.what,
            row.abi,
            notes.join("\n")
        );
        // Reparenting has no SBPL permission: every layer grants it on `/` from ABI 2 on.
        for layer in &t.layers {
            let refer = layer
                .path_rules
                .iter()
                .any(|p| p.path == "/" && !p.literal && p.access.iter().any(|a| a == "fs.refer"));
            assert_eq!(refer, row.abi >= 2, "{}: fs.refer on /", row.what);
            assert_eq!(
                layer.handled_fs.iter().any(|r| r == "fs.refer"),
                row.abi >= 2,
                "{}: fs.refer handled",
                row.what
            );
        }
        if let (Some(blocked), Some((_, detail))) = (&t.blocked, row.blocked) {
            assert!(
                blocked.detail.contains(detail),
                "{}: {:?} lacks {detail:?}",
                row.what,
                blocked.detail
            );
        }
    }
}

fn rule(action: Action, operation: &str, filters: Vec<Filter>) -> Rule {
    Rule {
        action,
        operations: vec![operation.into()],
        filters,
        modifiers: Default::default(),
        origin: Origin::default(),
    }
}

fn allow(operation: &str, filters: Vec<Filter>) -> Rule {
    rule(Allow, operation, filters)
}

fn deny(operation: &str, filters: Vec<Filter>) -> Rule {
    rule(Deny, operation, filters)
}

fn subpath(path: &str) -> Filter {
    Filter::Subpath(path.into())
}

/// `(remote tcp "*:port")`.
fn remote_tcp(port: u16) -> Filter {
    Filter::Remote(NetAddress {
        proto: "tcp".into(),
        host: "*".into(),
        port: Some(port),
    })
}

fn target(who: &str) -> Filter {
    Filter::Target(who.into())
}

/// The fs rights of Landlock ABI 1, in bit order.
const FS_ABI1: &[&str] = &[
    "fs.execute",
    "fs.write_file",
    "fs.read_file",
    "fs.read_dir",
    "fs.remove_dir",
    "fs.remove_file",
    "fs.make_char",
    "fs.make_dir",
    "fs.make_reg",
    "fs.make_sock",
    "fs.make_fifo",
    "fs.make_block",
    "fs.make_sym",
];

/// ABI 3: + fs.refer (ABI 2) and fs.truncate.
const ALL_ABI3: &[&str] = &[
    "fs.execute",
    "fs.write_file",
    "fs.read_file",
    "fs.read_dir",
    "fs.remove_dir",
    "fs.remove_file",
    "fs.make_char",
    "fs.make_dir",
    "fs.make_reg",
    "fs.make_sock",
    "fs.make_fifo",
    "fs.make_block",
    "fs.make_sym",
    "fs.refer",
    "fs.truncate",
];

/// ABI 4: + TCP bind and connect.
const ALL_ABI4: &[&str] = &[
    "fs.execute",
    "fs.write_file",
    "fs.read_file",
    "fs.read_dir",
    "fs.remove_dir",
    "fs.remove_file",
    "fs.make_char",
    "fs.make_dir",
    "fs.make_reg",
    "fs.make_sock",
    "fs.make_fifo",
    "fs.make_block",
    "fs.make_sym",
    "fs.refer",
    "fs.truncate",
    "net.bind_tcp",
    "net.connect_tcp",
];

/// ABI 6 (and 7, which adds no right): + fs.ioctl_dev (ABI 5) and both scopes.
const ALL_ABI6: &[&str] = &[
    "fs.execute",
    "fs.write_file",
    "fs.read_file",
    "fs.read_dir",
    "fs.remove_dir",
    "fs.remove_file",
    "fs.make_char",
    "fs.make_dir",
    "fs.make_reg",
    "fs.make_sock",
    "fs.make_fifo",
    "fs.make_block",
    "fs.make_sym",
    "fs.refer",
    "fs.truncate",
    "fs.ioctl_dev",
    "net.bind_tcp",
    "net.connect_tcp",
    "scope.abstract_unix_socket",
    "scope.signal",
];

/// `file-write*` in bit order (not `fs.ioctl_dev`: `file-ioctl` is its own operation), with
/// the `fs.refer` every layer handles.
const WRITE_ALL_ABI6: &[&str] = &[
    "fs.write_file",
    "fs.remove_dir",
    "fs.remove_file",
    "fs.make_char",
    "fs.make_dir",
    "fs.make_reg",
    "fs.make_sock",
    "fs.make_fifo",
    "fs.make_block",
    "fs.make_sym",
    "fs.refer",
    "fs.truncate",
];

const READ: &[&str] = &["fs.read_file", "fs.read_dir"];

#[test]
fn the_default_action_in_each_abi() {
    check(vec![
        Row {
            what: "allow default: nothing to enforce",
            fidelity: &[Exact],
            ..Row::default()
        },
        Row {
            what: "deny default handles what ABI 1 has",
            abi: 1,
            default: Deny,
            fidelity: &[Approximate],
            handled: FS_ABI1,
            ..Row::default()
        },
        Row {
            what: "deny default handles what ABI 3 has",
            abi: 3,
            default: Deny,
            fidelity: &[Approximate],
            handled: ALL_ABI3,
            ..Row::default()
        },
        Row {
            what: "deny default handles what ABI 4 has",
            abi: 4,
            default: Deny,
            fidelity: &[Approximate],
            handled: ALL_ABI4,
            ..Row::default()
        },
        Row {
            what: "deny default handles what ABI 6 has",
            abi: 6,
            default: Deny,
            fidelity: &[Approximate],
            handled: ALL_ABI6,
            ..Row::default()
        },
        Row {
            what: "deny default handles what ABI 7 has",
            abi: 7,
            default: Deny,
            fidelity: &[Approximate],
            handled: ALL_ABI6,
            ..Row::default()
        },
        Row {
            what: "deny default without Landlock",
            abi: 0,
            default: Deny,
            fidelity: &[Unsupported],
            blocked: Some((MechanismUnavailable, "Landlock is not available")),
            ..Row::default()
        },
        Row {
            what: "deny default where the kernel rejects a right its ABI claims",
            abi: 6,
            rejected: &["scope.signal"],
            default: Deny,
            fidelity: &[Unsupported],
            handled: &ALL_ABI6[..19],
            blocked: Some((
                MechanismUnavailable,
                "default deny needs scope.signal: claimed by Landlock ABI 6 but rejected",
            )),
            ..Row::default()
        },
    ]);
}

#[test]
fn file_rules() {
    check(vec![
        Row {
            what: "an unfiltered deny handles its rights",
            rules: vec![deny("file-write*", vec![])],
            // A sysctl is a file: the default no longer allows writing one.
            fidelity: &[Approximate, Approximate],
            handled: WRITE_ALL_ABI6,
            ..Row::default()
        },
        Row {
            what: "rights newer than the ABI stay allowed",
            abi: 1,
            rules: vec![deny("file-write*", vec![])],
            fidelity: &[Approximate, Approximate],
            handled: &[
                "fs.write_file",
                "fs.remove_dir",
                "fs.remove_file",
                "fs.make_char",
                "fs.make_dir",
                "fs.make_reg",
                "fs.make_sock",
                "fs.make_fifo",
                "fs.make_block",
                "fs.make_sym",
            ],
            ..Row::default()
        },
        Row {
            what: "file-write-data loses truncate before ABI 3",
            abi: 1,
            rules: vec![deny("file-write-data", vec![])],
            fidelity: &[Approximate, Approximate],
            handled: &["fs.write_file"],
            ..Row::default()
        },
        Row {
            what: "file-write-data is exact from ABI 3",
            abi: 3,
            rules: vec![deny("file-write-data", vec![])],
            // The rule is; the default no longer allows writing a sysctl (a file).
            fidelity: &[Approximate, Exact],
            handled: &["fs.write_file", "fs.refer", "fs.truncate"],
            ..Row::default()
        },
        Row {
            what: "a subpath allow under deny default is a path rule",
            default: Deny,
            rules: vec![allow("file-read*", vec![subpath("/usr")])],
            fidelity: &[Approximate, Exact],
            handled: ALL_ABI6,
            paths: &[("/usr", READ)],
            ..Row::default()
        },
        Row {
            what: "a literal allow is a path rule too",
            default: Deny,
            rules: vec![allow(
                "file-read-data",
                vec![Filter::Literal("/etc/hosts".into())],
            )],
            // Were /etc/hosts a directory, its subdirectories could be listed too.
            fidelity: &[Approximate, Approximate],
            handled: ALL_ABI6,
            paths: &[("/etc/hosts", READ)],
            ..Row::default()
        },
        Row {
            what: "a literal keeps the rights of its node, never those of its parent",
            default: Deny,
            rules: vec![allow(
                "file-write*",
                vec![Filter::Literal("/var/log/x".into())],
            )],
            fidelity: &[Approximate, Approximate],
            handled: ALL_ABI6,
            paths: &[("/var/log/x", &["fs.write_file", "fs.truncate"])],
            ..Row::default()
        },
        Row {
            what: "a literal data write is exact",
            default: Deny,
            rules: vec![allow(
                "file-write-data",
                vec![Filter::Literal("/var/log/x".into())],
            )],
            fidelity: &[Approximate, Exact],
            handled: ALL_ABI6,
            paths: &[("/var/log/x", &["fs.write_file", "fs.truncate"])],
            ..Row::default()
        },
        Row {
            what: "denying reads also denies sysctls and exec's loader: the default says so",
            rules: vec![deny("file-read-data", vec![])],
            fidelity: &[Approximate, Exact],
            handled: &["fs.read_file", "fs.read_dir", "fs.refer"],
            ..Row::default()
        },
        Row {
            what: "a move into more rights is refused: the default says so",
            rules: vec![
                deny("file-read-data", vec![]),
                allow("file-read-data", vec![subpath("/srv")]),
            ],
            fidelity: &[Approximate, Exact, Exact],
            handled: &["fs.read_file", "fs.read_dir", "fs.refer"],
            paths: &[("/srv", READ)],
            ..Row::default()
        },
        Row {
            what: "an unfiltered allow unhandles its rights",
            default: Deny,
            rules: vec![allow("file-read*", vec![])],
            fidelity: &[Approximate, Exact],
            handled: &[
                "fs.execute",
                "fs.write_file",
                "fs.remove_dir",
                "fs.remove_file",
                "fs.make_char",
                "fs.make_dir",
                "fs.make_reg",
                "fs.make_sock",
                "fs.make_fifo",
                "fs.make_block",
                "fs.make_sym",
                "fs.refer",
                "fs.truncate",
                "fs.ioctl_dev",
                "net.bind_tcp",
                "net.connect_tcp",
                "scope.abstract_unix_socket",
                "scope.signal",
            ],
            ..Row::default()
        },
        Row {
            what: "a later unfiltered deny drops earlier grants",
            default: Deny,
            rules: vec![
                allow("file-read*", vec![subpath("/usr")]),
                deny("file-read*", vec![]),
            ],
            fidelity: &[Approximate, Exact, Approximate],
            handled: ALL_ABI6,
            ..Row::default()
        },
        Row {
            what: "a deny covering a grant removes it",
            default: Deny,
            rules: vec![
                allow("file-read*", vec![subpath("/usr/share")]),
                deny("file-read*", vec![subpath("/usr")]),
            ],
            fidelity: &[Approximate, Exact, Approximate],
            handled: ALL_ABI6,
            ..Row::default()
        },
        Row {
            what: "a deny inside an allowed subtree cannot be carved",
            default: Deny,
            rules: vec![
                allow("file-read*", vec![subpath("/usr")]),
                deny("file-read*", vec![subpath("/usr/share")]),
            ],
            fidelity: &[Approximate, Exact, Unsupported],
            handled: ALL_ABI6,
            paths: &[("/usr", READ)],
            blocked: Some((NotApplicableInWorld, "inside /usr allowed by rule 0")),
            ..Row::default()
        },
        Row {
            what: "a path deny under allow default cannot subtract",
            rules: vec![deny("file-read*", vec![subpath("/etc")])],
            fidelity: &[Exact, Unsupported],
            blocked: Some((NotApplicableInWorld, "while the default allows everything")),
            ..Row::default()
        },
        Row {
            what: "a right newer than the ABI",
            abi: 4,
            rules: vec![deny("file-ioctl", vec![])],
            fidelity: &[Exact, Unsupported],
            blocked: Some((
                NotApplicableInWorld,
                "needs fs.ioctl_dev (Landlock ABI 5); this world's effective ABI is 4",
            )),
            ..Row::default()
        },
        Row {
            what: "the same right in its ABI",
            abi: 6,
            rules: vec![deny("file-ioctl", vec![])],
            fidelity: &[Exact, Approximate],
            handled: &["fs.refer", "fs.ioctl_dev"],
            ..Row::default()
        },
        Row {
            what: "a right the kernel rejects although its ABI claims it",
            abi: 6,
            rejected: &["fs.ioctl_dev"],
            rules: vec![deny("file-ioctl", vec![])],
            fidelity: &[Exact, Unsupported],
            blocked: Some((
                MechanismUnavailable,
                "needs fs.ioctl_dev which Landlock ABI 6 claims but the kernel rejects",
            )),
            ..Row::default()
        },
        Row {
            what: "exec is approximate (ld.so, mmap)",
            abi: 1,
            default: Deny,
            rules: vec![allow("process-exec", vec![subpath("/usr/bin")])],
            fidelity: &[Approximate, Approximate],
            handled: FS_ABI1,
            paths: &[("/usr/bin", &["fs.execute"])],
            ..Row::default()
        },
        Row {
            what: "a filter Landlock has no counterpart for",
            default: Deny,
            rules: vec![allow("file-read*", vec![Filter::Regex("^/usr".into())])],
            fidelity: &[Approximate, Unsupported],
            handled: ALL_ABI6,
            blocked: Some((NotApplicableInWorld, "has no Landlock counterpart")),
            ..Row::default()
        },
        Row {
            what: "an SBPL form xpr does not model",
            rules: vec![Rule {
                operations: Vec::new(),
                filters: vec![Filter::Opaque("(with-magic)".into())],
                ..deny("x", vec![])
            }],
            fidelity: &[Exact, Unsupported],
            blocked: Some((NotApplicableInWorld, "an SBPL form xpr does not model")),
            ..Row::default()
        },
        Row {
            what: "a sysctl is its /proc/sys file",
            default: Deny,
            rules: vec![allow(
                "sysctl-read",
                vec![Filter::SysctlName("kernel.ostype".into())],
            )],
            fidelity: &[Approximate, Approximate],
            handled: ALL_ABI6,
            paths: &[("/proc/sys/kernel/ostype", &["fs.read_file"])],
            ..Row::default()
        },
    ]);
}

#[test]
fn network_rules() {
    check(vec![
        Row {
            what: "a TCP port allow is a port rule",
            abi: 4,
            default: Deny,
            rules: vec![allow("network-outbound", vec![remote_tcp(443)])],
            fidelity: &[Approximate, Exact],
            handled: ALL_ABI4,
            ports: &[(443, &["net.connect_tcp"])],
            ..Row::default()
        },
        Row {
            what: "TCP ports before ABI 4",
            abi: 3,
            default: Deny,
            rules: vec![allow("network-outbound", vec![remote_tcp(443)])],
            fidelity: &[Approximate, Unsupported],
            handled: ALL_ABI3,
            blocked: Some((
                NotApplicableInWorld,
                "needs net.connect_tcp (Landlock ABI 4)",
            )),
            ..Row::default()
        },
        Row {
            what: "the host of an endpoint is ignored",
            default: Deny,
            rules: vec![allow(
                "network-bind",
                vec![Filter::Local(NetAddress {
                    proto: "tcp".into(),
                    host: "localhost".into(),
                    port: Some(8080),
                })],
            )],
            fidelity: &[Approximate, Approximate],
            handled: ALL_ABI6,
            ports: &[(8080, &["net.bind_tcp"])],
            ..Row::default()
        },
        Row {
            what: "a port deny under allow default cannot subtract",
            rules: vec![deny("network-outbound", vec![remote_tcp(80)])],
            fidelity: &[Exact, Unsupported],
            blocked: Some((NotApplicableInWorld, "allows every port")),
            ..Row::default()
        },
        Row {
            what: "an unfiltered outbound deny without the unix scope",
            abi: 4,
            rules: vec![deny("network-outbound", vec![])],
            fidelity: &[Exact, Approximate],
            handled: &["fs.refer", "net.connect_tcp"],
            ..Row::default()
        },
        Row {
            what: "an unfiltered outbound deny with the unix scope",
            abi: 6,
            rules: vec![deny("network-outbound", vec![])],
            fidelity: &[Exact, Approximate],
            handled: &["fs.refer", "net.connect_tcp", "scope.abstract_unix_socket"],
            ..Row::default()
        },
    ]);
}

#[test]
fn signal_rules() {
    check(vec![
        Row {
            what: "signals to others are the signal scope",
            abi: 6,
            rules: vec![deny("signal", vec![target("others")])],
            fidelity: &[Exact, Exact],
            handled: &["fs.refer", "scope.signal"],
            ..Row::default()
        },
        Row {
            what: "the signal scope before ABI 6",
            abi: 5,
            rules: vec![deny("signal", vec![target("others")])],
            fidelity: &[Exact, Unsupported],
            blocked: Some((NotApplicableInWorld, "needs scope.signal (Landlock ABI 6)")),
            ..Row::default()
        },
        Row {
            what: "an unfiltered signal deny leaves signals inside allowed",
            rules: vec![deny("signal", vec![])],
            fidelity: &[Exact, Approximate],
            handled: &["fs.refer", "scope.signal"],
            ..Row::default()
        },
        Row {
            what: "signals to self cannot be denied",
            rules: vec![deny("signal", vec![target("self")])],
            fidelity: &[Exact, Unsupported],
            blocked: Some((NotApplicableInWorld, "cannot be expressed")),
            ..Row::default()
        },
    ]);
}

#[test]
fn seccomp_and_unmapped_rules() {
    check(vec![
        Row {
            what: "chmod is denied with seccomp",
            rules: vec![deny("file-write-mode", vec![])],
            fidelity: &[Exact, Approximate],
            seccomp: &["file-write-mode"],
            ..Row::default()
        },
        Row {
            what: "fork is denied with seccomp, whatever the ABI",
            abi: 1,
            rules: vec![deny("process-fork", vec![])],
            fidelity: &[Exact, Approximate],
            seccomp: &["process-fork"],
            ..Row::default()
        },
        Row {
            what: "seccomp classes cannot be denied per path",
            rules: vec![deny("file-write-mode", vec![subpath("/tmp")])],
            fidelity: &[Exact, Unsupported],
            blocked: Some((NotApplicableInWorld, "cannot be denied per path")),
            ..Row::default()
        },
        Row {
            what: "metadata reads cannot be denied",
            rules: vec![deny("file-read-metadata", vec![])],
            fidelity: &[Exact, Unsupported],
            blocked: Some((NotApplicableInWorld, "cannot be denied on Linux")),
            ..Row::default()
        },
        Row {
            what: "a wildcard takes what Linux can do and is approximate",
            rules: vec![deny("file-write-*", vec![])],
            fidelity: &[Approximate, Approximate],
            handled: WRITE_ALL_ABI6,
            seccomp: &[
                "file-write-mode",
                "file-write-owner",
                "file-write-times",
                "file-write-xattr",
            ],
            ..Row::default()
        },
        Row {
            what: "mounting is decided by the domain itself",
            rules: vec![deny("file-mount", vec![])],
            fidelity: &[Exact, Approximate],
            ..Row::default()
        },
        Row {
            what: "a Darwin-only operation",
            rules: vec![deny("mach-lookup", vec![])],
            fidelity: &[Exact, Unsupported],
            blocked: Some((NotApplicableInWorld, "Darwin-only operation")),
            ..Row::default()
        },
    ]);
}

/// A host rule path through a symlink (`/lib` → `/usr/lib` on merged-/usr hosts): Landlock
/// grants on the node it leads to, which the plan names, and the rule says so in words.
#[test]
fn a_rule_path_through_a_symlink_names_where_it_leads() {
    let dir = tempfile::tempdir().unwrap();
    let real = dir.path().canonicalize().unwrap().join("real");
    std::fs::create_dir(&real).unwrap();
    let link = dir.path().join("link");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let (link, real) = (link.to_str().unwrap(), real.to_str().unwrap());
    let ir = ProfileIr {
        default: Deny,
        rules: vec![
            allow("file-read-data", vec![subpath(link)]),
            allow("file-read-data", vec![subpath(real)]),
        ],
        layers: Vec::new(),
        default_origin: Origin::default(),
    };
    let t = translate(&ir, &WorldFacts::synthetic(7, &[]), 0);
    let paths: Vec<&str> = t.layers[0]
        .path_rules
        .iter()
        .map(|p| p.path.as_str())
        .filter(|p| *p != "/")
        .collect();
    assert_eq!(paths, [real], "both rules grant on the same node");
    let via_link = &t.fidelity[1];
    assert_eq!(via_link.fidelity, Approximate, "{via_link:?}");
    let note = via_link.note.as_deref().unwrap_or_default();
    assert!(
        note.contains(&format!("{link} leads to {real} on this host")),
        "{note}"
    );
    assert_eq!(t.fidelity[2].fidelity, Exact, "{:?}", t.fidelity[2]);
    // A deny through the link removes the grant on the node it leads to, which SBPL's
    // earlier allow of that node keeps: the allow says so.
    let ir = ProfileIr {
        rules: vec![
            allow("file-read-data", vec![subpath(real)]),
            deny("file-read-data", vec![subpath(link)]),
        ],
        ..ir
    };
    let t = translate(&ir, &WorldFacts::synthetic(7, &[]), 0);
    assert!(
        t.layers[0].path_rules.iter().all(|p| p.path == "/"),
        "{:?}",
        t.layers[0].path_rules
    );
    let allow_real = &t.fidelity[1];
    assert_eq!(allow_real.fidelity, Approximate, "{allow_real:?}");
    let note = allow_real.note.as_deref().unwrap_or_default();
    assert!(
        note.contains(&format!("names {link}, which leads to {real} on this host")),
        "{note}"
    );
}

/// The same carves in a world without and with the mount mechanism: unsupported and blocked,
/// then a mount named as the rule's mechanism; a carve of a right no mount takes stays
/// unsupported either way. Made-up worlds, so this holds on any host.
#[test]
fn carves_go_to_the_mount_mechanism_where_the_world_has_it() {
    use crate::compile::linux::compile;
    use crate::compile::linux::mounts::MountKind;
    use crate::model::Mechanism;
    let ir = |rules: Vec<Rule>| ProfileIr {
        default: Allow,
        rules,
        layers: Vec::new(),
        default_origin: Origin::default(),
    };
    let git = ir(vec![deny("file-write*", vec![subpath("/w/.git")])]);
    let without = compile("p", &git, &WorldFacts::synthetic(7, &[]));
    assert_eq!(without.fidelity[1].fidelity, Unsupported);
    assert!(without.fidelity[1].mechanisms.is_empty());
    assert!(without.mounts.is_empty());
    // The made-up world has the mechanism but does not use it (`--mechanism landlock`).
    assert_eq!(
        without.blocked.as_ref().map(|b| b.reason),
        Some(NotApplicableInWorld),
        "{:?}",
        without.blocked
    );
    let with = compile("p", &git, &WorldFacts::synthetic_with_mounts(7, &[]));
    assert!(with.blocked.is_none(), "{:?}", with.blocked);
    assert_eq!(with.fidelity[1].fidelity, Approximate);
    assert_eq!(with.fidelity[1].mechanisms, [Mechanism::Mount]);
    let table: Vec<(&str, MountKind)> = with
        .mounts
        .iter()
        .map(|m| (m.path.as_str(), m.kind))
        .collect();
    assert_eq!(table, [("/w/.git", MountKind::ReadOnly)]);
    let ioctl = ir(vec![deny("file-ioctl", vec![subpath("/w")])]);
    let compiled = compile("p", &ioctl, &WorldFacts::synthetic_with_mounts(7, &[]));
    assert_eq!(compiled.fidelity[1].fidelity, Unsupported);
    assert!(compiled.mounts.is_empty());
}
