//! The Landlock access rights and scopes, as data: uapi bit, kernel audit name, the ABI that
//! introduced it, and whether it only makes sense on a directory.
//!
//! Bits are the uapi constants of `sys::landlock`; ABIs follow the uapi header's history. Names follow the kernel's audit
//! records (`blockers=fs.read_file`), so plans, world facts and audit evidence use one spelling.

use serde::{Deserialize, Serialize};

use crate::sys::landlock::*;

/// Which field of `landlock_ruleset_attr` a right belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum RightKind {
    /// `handled_access_fs`, granted by path-beneath rules.
    Fs,
    /// `handled_access_net`, granted by TCP port rules.
    Net,
    /// `scoped`: no rules can grant it.
    Scope,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct LandlockRight {
    pub kind: RightKind,
    /// Its bit in its field (the `sys::landlock` constant).
    pub bit: u64,
    /// `fs.read_file`, `net.connect_tcp`, `scope.signal`.
    pub name: &'static str,
    /// The first ABI that knows it.
    pub since_abi: u32,
    /// Directory-only: a rule on a non-directory fd with this right fails with EINVAL.
    pub dir_only: bool,
}

impl LandlockRight {
    pub(crate) fn mask(&self) -> u64 {
        self.bit
    }
}

const fn right(
    kind: RightKind,
    bit: u64,
    name: &'static str,
    since_abi: u32,
    dir_only: bool,
) -> LandlockRight {
    LandlockRight {
        kind,
        bit,
        name,
        since_abi,
        dir_only,
    }
}

use RightKind::{Fs, Net, Scope};

pub(crate) const LANDLOCK_RIGHTS: &[LandlockRight] = &[
    right(Fs, ACCESS_FS_EXECUTE, "fs.execute", 1, false),
    right(Fs, ACCESS_FS_WRITE_FILE, "fs.write_file", 1, false),
    right(Fs, ACCESS_FS_READ_FILE, "fs.read_file", 1, false),
    right(Fs, ACCESS_FS_READ_DIR, "fs.read_dir", 1, true),
    right(Fs, ACCESS_FS_REMOVE_DIR, "fs.remove_dir", 1, true),
    right(Fs, ACCESS_FS_REMOVE_FILE, "fs.remove_file", 1, true),
    right(Fs, ACCESS_FS_MAKE_CHAR, "fs.make_char", 1, true),
    right(Fs, ACCESS_FS_MAKE_DIR, "fs.make_dir", 1, true),
    right(Fs, ACCESS_FS_MAKE_REG, "fs.make_reg", 1, true),
    right(Fs, ACCESS_FS_MAKE_SOCK, "fs.make_sock", 1, true),
    right(Fs, ACCESS_FS_MAKE_FIFO, "fs.make_fifo", 1, true),
    right(Fs, ACCESS_FS_MAKE_BLOCK, "fs.make_block", 1, true),
    right(Fs, ACCESS_FS_MAKE_SYM, "fs.make_sym", 1, true),
    right(Fs, ACCESS_FS_REFER, "fs.refer", 2, true),
    right(Fs, ACCESS_FS_TRUNCATE, "fs.truncate", 3, false),
    right(Fs, ACCESS_FS_IOCTL_DEV, "fs.ioctl_dev", 5, false),
    right(Fs, ACCESS_FS_RESOLVE_UNIX, "fs.resolve_unix", 9, false),
    right(Net, ACCESS_NET_BIND_TCP, "net.bind_tcp", 4, false),
    right(Net, ACCESS_NET_CONNECT_TCP, "net.connect_tcp", 4, false),
    right(
        Scope,
        SCOPE_ABSTRACT_UNIX_SOCKET,
        "scope.abstract_unix_socket",
        6,
        false,
    ),
    right(Scope, SCOPE_SIGNAL, "scope.signal", 6, false),
];

/// Looks a right up by its audit name.
pub(crate) fn landlock_right(name: &str) -> Option<&'static LandlockRight> {
    LANDLOCK_RIGHTS.iter().find(|r| r.name == name)
}

/// The rights of one kind that a given ABI version knows, as a mask.
pub(crate) fn abi_mask(kind: RightKind, abi: u32) -> u64 {
    LANDLOCK_RIGHTS
        .iter()
        .filter(|r| r.kind == kind && r.since_abi <= abi)
        .fold(0, |mask, r| mask | r.mask())
}

/// Names of the rights of `kind` set in `mask`, in bit order.
pub(crate) fn right_names(kind: RightKind, mask: u64) -> Vec<String> {
    LANDLOCK_RIGHTS
        .iter()
        .filter(|r| r.kind == kind && mask & r.mask() != 0)
        .map(|r| r.name.to_string())
        .collect()
}

/// The directory-only fs rights, as a mask.
pub(crate) fn dir_only_fs_mask() -> u64 {
    LANDLOCK_RIGHTS
        .iter()
        .filter(|r| r.kind == Fs && r.dir_only)
        .fold(0, |mask, r| mask | r.mask())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn abi_masks_match_the_uapi_history() {
        assert_eq!(abi_mask(Fs, 1), 0x1fff);
        assert_eq!(abi_mask(Fs, 3), 0x7fff);
        assert_eq!(abi_mask(Fs, 7), 0xffff);
        assert_eq!(abi_mask(Net, 3), 0);
        assert_eq!(abi_mask(Net, 4), 0b11);
        assert_eq!(abi_mask(Scope, 5), 0);
        assert_eq!(abi_mask(Scope, 6), 0b11);
        assert_eq!(dir_only_fs_mask(), 0x3ff8);
    }
}
