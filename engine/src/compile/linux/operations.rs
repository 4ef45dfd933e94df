//! SBPL operation names → what Linux can do with them (spec §7, "Operations → rights").
//!
//! Concrete operations are listed once. `file-read*` and `file-write*` have their own rows
//! (spec §7's mapping for the whole class); any other `name*` expands to the concrete rows
//! that start with `name`, and the operation `default` to every row.
//!
//! `fs.refer` is no operation's right: SBPL has no reparenting permission (a move is an
//! unlink plus a create, each checked on its own), so the translator grants it everywhere
//! and a cross-directory move is decided by the make and remove rights alone.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum OpClass {
    /// Landlock fs rights, filtered by `literal`/`subpath`.
    Fs {
        rights: &'static [&'static str],
        /// Why an allow rule's Linux surface differs (approximate), if it does.
        allow_note: Option<&'static str>,
        /// Why a deny rule's Linux surface differs (approximate), if it does.
        deny_note: Option<&'static str>,
    },
    /// `/proc/sys` files via `sysctl-name`.
    Sysctl {
        rights: &'static [&'static str],
    },
    NetConnect,
    NetBind,
    Signal,
    /// Never restricted per path on Linux; an unfiltered deny can use a seccomp class.
    Unrestricted {
        seccomp_class: Option<&'static str>,
    },
    /// Mounting is denied inside any Landlock domain whatever the ruleset.
    Mount,
    /// ptrace-style inspection: denied outside the domain by any Landlock domain.
    ProcessInfo,
    /// No Linux meaning.
    Unmapped {
        why: &'static str,
    },
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct Operation {
    pub name: &'static str,
    pub class: OpClass,
    /// Class rows (`file-read*`) are not part of prefix expansion.
    composite: bool,
}

const READ: &[&str] = &["fs.read_file", "fs.read_dir"];
const MAKE_ALL: &[&str] = &[
    "fs.make_char",
    "fs.make_dir",
    "fs.make_reg",
    "fs.make_sock",
    "fs.make_fifo",
    "fs.make_block",
    "fs.make_sym",
];
/// Every right that changes a file or a directory entry. Not `fs.refer` (granted everywhere,
/// see above) and not `fs.ioctl_dev` (SBPL keeps `file-ioctl` apart from `file-write*`).
const WRITE_ALL: &[&str] = &[
    "fs.write_file",
    "fs.truncate",
    "fs.make_char",
    "fs.make_dir",
    "fs.make_reg",
    "fs.make_sock",
    "fs.make_fifo",
    "fs.make_block",
    "fs.make_sym",
    "fs.remove_dir",
    "fs.remove_file",
];
const LINKS_ARE_CREATIONS: &str = "Linux checks a hard link as the creation of a regular file in the destination directory: where this allows creating files it also allows hard links (file-link)";

const fn fs(
    rights: &'static [&'static str],
    allow_note: Option<&'static str>,
    deny_note: Option<&'static str>,
) -> OpClass {
    OpClass::Fs {
        rights,
        allow_note,
        deny_note,
    }
}

const fn op(name: &'static str, class: OpClass) -> Operation {
    Operation {
        name,
        class,
        composite: false,
    }
}

const fn unrestricted(name: &'static str, seccomp_class: Option<&'static str>) -> Operation {
    op(name, OpClass::Unrestricted { seccomp_class })
}

/// What `file-write*` cannot take away with Landlock (a read-only mount can).
pub(crate) const METADATA_WRITES_NOTE: &str =
    "mode, owner, times, xattr and flag changes cannot be denied";

pub(crate) const OPERATIONS: &[Operation] = &[
    Operation {
        name: "file-read*",
        class: fs(
            READ,
            None,
            Some("metadata and xattr reads cannot be denied"),
        ),
        composite: true,
    },
    Operation {
        name: "file-write*",
        class: fs(
            WRITE_ALL,
            Some(LINKS_ARE_CREATIONS),
            Some(METADATA_WRITES_NOTE),
        ),
        composite: true,
    },
    op("file-read-data", fs(READ, None, None)),
    unrestricted("file-read-metadata", None),
    unrestricted("file-read-xattr", None),
    unrestricted("file-test-existence", None),
    op(
        "file-write-data",
        fs(&["fs.write_file", "fs.truncate"], None, None),
    ),
    op(
        "file-write-create",
        fs(MAKE_ALL, Some(LINKS_ARE_CREATIONS), None),
    ),
    op(
        "file-write-unlink",
        fs(&["fs.remove_dir", "fs.remove_file"], None, None),
    ),
    unrestricted("file-write-mode", Some("file-write-mode")),
    unrestricted("file-write-owner", Some("file-write-owner")),
    unrestricted("file-write-times", Some("file-write-times")),
    unrestricted("file-write-xattr", Some("file-write-xattr")),
    unrestricted("file-write-flags", None),
    unrestricted("file-write-setugid", None),
    op(
        "file-ioctl",
        fs(&["fs.ioctl_dev"], Some(IOCTL_NOTE), Some(IOCTL_NOTE)),
    ),
    op(
        "file-link",
        fs(
            &["fs.make_reg"],
            Some(
                "Linux checks a hard link as the creation of a regular file (fs.make_reg on the destination directory): this also allows creating regular files there (file-write-create)",
            ),
            Some(
                "Linux checks a hard link as the creation of a regular file (fs.make_reg on the destination directory): this also denies creating regular files there (file-write-create)",
            ),
        ),
    ),
    op(
        "file-clone",
        fs(
            &["fs.make_reg"],
            Some(
                "a clone is the creation of a regular file on Linux: this also allows creating regular files (file-write-create)",
            ),
            Some(
                "a clone is the creation of a regular file on Linux: this also denies creating regular files (file-write-create)",
            ),
        ),
    ),
    unrestricted("file-map-executable", None),
    op("file-mount", OpClass::Mount),
    op("file-unmount", OpClass::Mount),
    op(
        "process-exec",
        fs(&["fs.execute"], Some(EXEC_NOTE), Some(EXEC_NOTE)),
    ),
    op(
        "process-exec-interpreter",
        OpClass::Unmapped {
            why: "the interpreter's execute right cannot be separated from the script's on Linux",
        },
    ),
    unrestricted("process-fork", Some("process-fork")),
    op("process-info-pidinfo", OpClass::ProcessInfo),
    op("process-info-pidfdinfo", OpClass::ProcessInfo),
    op("process-info-listpids", OpClass::ProcessInfo),
    op("process-info-setcontrol", OpClass::ProcessInfo),
    op("process-info-dirtycontrol", OpClass::ProcessInfo),
    op("process-info-rusage", OpClass::ProcessInfo),
    op("process-info-codesignature", OpClass::ProcessInfo),
    op("signal", OpClass::Signal),
    op("network-outbound", OpClass::NetConnect),
    op("network-bind", OpClass::NetBind),
    unrestricted("network-inbound", None),
    op(
        "sysctl-read",
        OpClass::Sysctl {
            rights: &["fs.read_file"],
        },
    ),
    op(
        "sysctl-write",
        OpClass::Sysctl {
            rights: &["fs.write_file"],
        },
    ),
];

const IOCTL_NOTE: &str = "only ioctls on character and block devices are controlled, and never the generic requests (FIOCLEX, FIONBIO, ...)";
const EXEC_NOTE: &str = "only execve is checked: ld.so can still run a readable file, mmap(PROT_EXEC) is unchecked; the program, its ELF interpreter (which also needs fs.execute) and its libraries must be readable (file-read-data)";

/// Prefixes of operation families that only exist on Darwin.
const DARWIN_ONLY: &[&str] = &[
    "mach-",
    "iokit-",
    "user-preference-",
    "appleevent-",
    "nvram-",
    "device-",
    "dynamic-code-generation",
    "darwin-notification-",
    "distributed-notification-",
    "lsopen",
    "hid-control",
    "ipc-",
    "system-",
    "job-creation",
    "authorization-",
    "generic-issue-extension",
    "file-issue-extension",
    "qtn-",
    "opendirectory-",
    "managed-preference-",
];

/// The Landlock fs rights each operation's requests need on Linux (spec §7, "Side effects"): a
/// rule of another operation that changes one of them changes this operation's outcomes too.
/// A link needs nothing of its own: Linux checks it as the create it always comes with.
pub(crate) const NEEDS: &[(&str, &[&str])] = &[
    ("file-read-data", READ),
    ("file-write-data", &["fs.write_file", "fs.truncate"]),
    ("file-write-create", MAKE_ALL),
    ("file-write-unlink", &["fs.remove_dir", "fs.remove_file"]),
    ("file-ioctl", &["fs.ioctl_dev"]),
    // The program and its interpreter are opened for execution and reading, the libraries
    // for reading.
    ("process-exec", &["fs.execute", "fs.read_file"]),
    ("sysctl-read", &["fs.read_file"]),
    ("sysctl-write", &["fs.write_file"]),
];

/// Operations whose requests need several rights at once: granting one of them allows
/// nothing while another is denied everywhere.
pub(crate) const JOINTLY: &[(&str, &[&str])] = &[("process-exec", &["fs.execute", "fs.read_file"])];

/// Whether a rule naming `written` (`default`, `file-read*`, a concrete name) covers the
/// concrete operation `op`, as the vocabulary matches them (spec §2.9).
pub(crate) fn covers(written: &str, op: &str) -> bool {
    written == "default"
        || written == op
        || written.strip_suffix('*').is_some_and(|p| op.starts_with(p))
}

/// How a rule's operation name resolves.
#[derive(Debug)]
pub(crate) struct Resolved {
    pub operations: Vec<Operation>,
    /// The name was a wildcard (`name*` or `default`): rows Linux cannot restrict make the
    /// rule approximate rather than unsupported.
    pub wildcard: bool,
}

pub(crate) fn resolve(name: &str) -> Resolved {
    if let Some(found) = OPERATIONS.iter().find(|o| o.name == name) {
        return Resolved {
            operations: vec![*found],
            wildcard: found.composite,
        };
    }
    if name == "default" || name.ends_with('*') {
        let prefix = if name == "default" {
            ""
        } else {
            name.trim_end_matches('*')
        };
        let operations: Vec<Operation> = OPERATIONS
            .iter()
            .filter(|o| !o.composite && o.name.starts_with(prefix))
            .copied()
            .collect();
        // A wildcard is approximate only when some row it covers has a Linux meaning.
        if operations
            .iter()
            .any(|o| !matches!(o.class, OpClass::Unmapped { .. }))
        {
            return Resolved {
                operations,
                wildcard: true,
            };
        }
    }
    if name.starts_with("process-info") {
        return Resolved {
            operations: vec![op("process-info", OpClass::ProcessInfo)],
            wildcard: false,
        };
    }
    let why = if DARWIN_ONLY.iter().any(|p| name.starts_with(p)) {
        "Darwin-only operation: no Linux counterpart"
    } else {
        "no Linux mapping for this operation"
    };
    Resolved {
        operations: vec![Operation {
            name: "unmapped",
            class: OpClass::Unmapped { why },
            composite: false,
        }],
        wildcard: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_exact_class_and_prefix_names() {
        assert_eq!(resolve("file-read*").operations.len(), 1);
        let write = resolve("file-write-*");
        assert!(write.wildcard);
        assert!(write.operations.iter().any(|o| o.name == "file-write-data"));
        assert!(resolve("network*").operations.len() == 3);
        assert!(matches!(
            resolve("mach-lookup").operations[0].class,
            OpClass::Unmapped { .. }
        ));
        let exec = resolve("process-exec*");
        assert!(exec.wildcard);
        assert_eq!(exec.operations.len(), 2);
        assert!(!resolve("process-exec-interp*").wildcard);
    }
}
