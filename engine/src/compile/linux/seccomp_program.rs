//! Seccomp classes (whole syscall families an unfiltered deny can switch off) and their BPF.
//!
//! seccompiler generates the program (pure Rust, deterministic). Every listed
//! syscall returns EPERM (`SECCOMP_RET_ERRNO`); everything else is allowed. x86_64 only: the
//! syscall numbers below are that architecture's.

use std::collections::BTreeMap;

use seccompiler::{BpfProgram, SeccompAction, SeccompFilter, TargetArch};

pub(crate) const SECCOMP_COMPILER: &str = "seccompiler 0.5.0";
pub(crate) const SECCOMP_ARCH: &str = "x86_64";

/// Class name → (syscall name, x86_64 number).
pub(crate) const SECCOMP_CLASSES: &[(&str, &[(&str, i64)])] = &[
    (
        "file-write-mode",
        &[
            ("chmod", 90),
            ("fchmod", 91),
            ("fchmodat", 268),
            ("fchmodat2", 452),
        ],
    ),
    (
        "file-write-owner",
        &[
            ("chown", 92),
            ("fchown", 93),
            ("lchown", 94),
            ("fchownat", 260),
        ],
    ),
    (
        "file-write-times",
        &[
            ("utime", 132),
            ("utimes", 235),
            ("futimesat", 261),
            ("utimensat", 280),
        ],
    ),
    (
        "file-write-xattr",
        &[
            ("setxattr", 188),
            ("lsetxattr", 189),
            ("fsetxattr", 190),
            ("removexattr", 197),
            ("lremovexattr", 198),
            ("fremovexattr", 199),
            ("setxattrat", 463),
            ("removexattrat", 466),
        ],
    ),
    (
        "process-fork",
        &[("clone", 56), ("fork", 57), ("vfork", 58), ("clone3", 435)],
    ),
];

pub(crate) fn class_syscalls(class: &str) -> &'static [(&'static str, i64)] {
    SECCOMP_CLASSES
        .iter()
        .find(|(name, _)| *name == class)
        .map_or(&[], |(_, calls)| calls)
}

/// The BPF program denying `numbers` with EPERM, as raw little-endian `sock_filter` bytes
/// (`code:u16 jt:u8 jf:u8 k:u32`), the layout the kernel reads.
pub(crate) fn bpf_bytes(numbers: &[i64]) -> Result<Vec<u8>, String> {
    let rules: BTreeMap<i64, Vec<seccompiler::SeccompRule>> =
        numbers.iter().map(|nr| (*nr, Vec::new())).collect();
    let filter = SeccompFilter::new(
        rules,
        SeccompAction::Allow,
        SeccompAction::Errno(libc::EPERM as u32),
        TargetArch::x86_64,
    )
    .map_err(|e| format!("seccomp filter: {e}"))?;
    let program: BpfProgram = filter
        .try_into()
        .map_err(|e| format!("seccomp filter: {e}"))?;
    let mut bytes = Vec::with_capacity(program.len() * 8);
    for insn in &program {
        bytes.extend(insn.code.to_le_bytes());
        bytes.push(insn.jt);
        bytes.push(insn.jf);
        bytes.extend(insn.k.to_le_bytes());
    }
    Ok(bytes)
}

/// Decodes raw bytes back into the kernel's instruction struct (done before fork).
pub(crate) fn decode_bpf(bytes: &[u8]) -> Vec<libc::sock_filter> {
    bytes
        .chunks_exact(8)
        .map(|c| libc::sock_filter {
            code: u16::from_le_bytes([c[0], c[1]]),
            jt: c[2],
            jf: c[3],
            k: u32::from_le_bytes([c[4], c[5], c[6], c[7]]),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syscall_numbers_match_libc_on_x86_64() {
        let libc_numbers: &[(&str, libc::c_long)] = &[
            ("chmod", libc::SYS_chmod),
            ("fchmod", libc::SYS_fchmod),
            ("fchmodat", libc::SYS_fchmodat),
            ("fchmodat2", libc::SYS_fchmodat2),
            ("chown", libc::SYS_chown),
            ("fchown", libc::SYS_fchown),
            ("lchown", libc::SYS_lchown),
            ("fchownat", libc::SYS_fchownat),
            ("utime", libc::SYS_utime),
            ("utimes", libc::SYS_utimes),
            ("futimesat", libc::SYS_futimesat),
            ("utimensat", libc::SYS_utimensat),
            ("setxattr", libc::SYS_setxattr),
            ("lsetxattr", libc::SYS_lsetxattr),
            ("fsetxattr", libc::SYS_fsetxattr),
            ("removexattr", libc::SYS_removexattr),
            ("lremovexattr", libc::SYS_lremovexattr),
            ("fremovexattr", libc::SYS_fremovexattr),
            ("clone", libc::SYS_clone),
            ("fork", libc::SYS_fork),
            ("vfork", libc::SYS_vfork),
            ("clone3", libc::SYS_clone3),
        ];
        for (_, calls) in SECCOMP_CLASSES {
            for (name, nr) in *calls {
                // setxattrat/removexattrat (6.13) are newer than the libc tables.
                if let Some((_, expected)) = libc_numbers.iter().find(|(n, _)| n == name) {
                    assert_eq!(*nr, { *expected }, "{name}");
                }
            }
        }
    }

    #[test]
    fn bpf_round_trips_through_the_kernel_layout() {
        let bytes = bpf_bytes(&[90, 91]).unwrap();
        let decoded = decode_bpf(&bytes);
        assert_eq!(decoded.len() * 8, bytes.len());
        // The program starts by loading seccomp_data.arch (offset 4) for the arch check.
        assert_eq!((decoded[0].code, decoded[0].k), (0x20, 4));
    }
}
