//! SBPL operation names → what Linux can do with them (spec §7, "Operations → rights").
//!
//! Concrete operations are listed once. `file-read*` and `file-write*` have their own rows
//! (spec §7's mapping for the whole class); any other `name*` expands to the concrete rows
//! that start with `name`, and the operation `default` to every row.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpClass {
    /// Landlock fs rights, filtered by `literal`/`subpath`.
    Fs {
        rights: &'static [&'static str],
        /// Why the Linux surface differs (approximate), if it does.
        note: Option<&'static str>,
        /// Only the deny direction is approximate (allowing extra things Linux never restricts
        /// gives the same decisions).
        note_on_deny_only: bool,
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
pub struct Operation {
    pub name: &'static str,
    pub class: OpClass,
    /// Class rows (`file-read*`) are not part of prefix expansion.
    composite: bool,
}

const READ: &[&str] = &["fs.read_file", "fs.read_dir"];
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
    "fs.refer",
    "fs.ioctl_dev",
];
const MAKE_ALL: &[&str] = &[
    "fs.make_char",
    "fs.make_dir",
    "fs.make_reg",
    "fs.make_sock",
    "fs.make_fifo",
    "fs.make_block",
    "fs.make_sym",
];
const PARENT_NOTE: &str = "Landlock checks creation and removal on the parent directory: a literal widens to the directory's other entries; moving an entry to another directory also needs fs.refer (file-write* or file-link), else EXDEV";

const fn fs(
    rights: &'static [&'static str],
    note: Option<&'static str>,
    note_on_deny_only: bool,
) -> OpClass {
    OpClass::Fs {
        rights,
        note,
        note_on_deny_only,
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
pub const METADATA_WRITES_NOTE: &str =
    "mode, owner, times, xattr and flag changes cannot be denied";

pub const OPERATIONS: &[Operation] = &[
    Operation {
        name: "file-read*",
        class: fs(
            READ,
            Some("metadata and xattr reads cannot be denied"),
            true,
        ),
        composite: true,
    },
    Operation {
        name: "file-write*",
        class: fs(WRITE_ALL, Some(METADATA_WRITES_NOTE), true),
        composite: true,
    },
    op("file-read-data", fs(READ, None, false)),
    unrestricted("file-read-metadata", None),
    unrestricted("file-read-xattr", None),
    unrestricted("file-test-existence", None),
    op(
        "file-write-data",
        fs(&["fs.write_file", "fs.truncate"], None, false),
    ),
    op("file-write-create", fs(MAKE_ALL, Some(PARENT_NOTE), false)),
    op(
        "file-write-unlink",
        fs(
            &["fs.remove_dir", "fs.remove_file"],
            Some(PARENT_NOTE),
            false,
        ),
    ),
    unrestricted("file-write-mode", Some("file-write-mode")),
    unrestricted("file-write-owner", Some("file-write-owner")),
    unrestricted("file-write-times", Some("file-write-times")),
    unrestricted("file-write-xattr", Some("file-write-xattr")),
    unrestricted("file-write-flags", None),
    unrestricted("file-write-setugid", None),
    op(
        "file-ioctl",
        fs(
            &["fs.ioctl_dev"],
            Some("only ioctls on character and block devices are controlled"),
            false,
        ),
    ),
    op(
        "file-link",
        fs(
            &["fs.refer", "fs.make_reg"],
            Some("hard links need fs.refer and fs.make_reg on the parent directories"),
            false,
        ),
    ),
    op(
        "file-clone",
        fs(
            &["fs.refer", "fs.make_reg"],
            Some("clones are creations checked on the parent directory"),
            false,
        ),
    ),
    unrestricted("file-map-executable", None),
    op("file-mount", OpClass::Mount),
    op("file-unmount", OpClass::Mount),
    op(
        "process-exec",
        fs(
            &["fs.execute"],
            Some(
                "only execve is checked: ld.so can still run a readable file, mmap(PROT_EXEC) is unchecked",
            ),
            false,
        ),
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

/// How a rule's operation name resolves.
#[derive(Debug)]
pub struct Resolved {
    pub operations: Vec<Operation>,
    /// The name was a wildcard (`name*` or `default`): rows Linux cannot restrict make the
    /// rule approximate rather than unsupported.
    pub wildcard: bool,
}

pub fn resolve(name: &str) -> Resolved {
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
