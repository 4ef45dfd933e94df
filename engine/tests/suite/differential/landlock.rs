//! The test's own Landlock uapi (include/uapi/linux/landlock.h, x86_64 syscall numbers) and a
//! ruleset prepared before a fork and enforced in the child with raw syscalls only.

use std::ffi::CString;

use super::case::Path;
use super::ruleset::{DIR_ONLY, READ_DIR, Ruleset};

const SYS_CREATE_RULESET: libc::c_long = 444;
const SYS_ADD_RULE: libc::c_long = 445;
const SYS_RESTRICT_SELF: libc::c_long = 446;
const RULE_PATH_BENEATH: libc::c_long = 1;
const RULE_NET_PORT: libc::c_long = 2;

#[repr(C)]
struct RulesetAttr {
    handled_access_fs: u64,
    handled_access_net: u64,
    scoped: u64,
}

#[repr(C, packed)]
struct PathBeneathAttr {
    allowed_access: u64,
    parent_fd: i32,
}

#[repr(C)]
struct NetPortAttr {
    allowed_access: u64,
    port: u64,
}

fn errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

/// Why a profile could not be enforced: the errno of the failed step.
#[derive(Debug)]
pub struct NotApplied {
    pub errno: i32,
}

/// Ruleset fds built before the fork; `apply` only makes raw syscalls.
pub struct Prepared {
    fds: Vec<i32>,
}

impl Drop for Prepared {
    fn drop(&mut self) {
        for fd in &self.fds {
            // SAFETY: fds this value owns.
            unsafe { libc::close(*fd) };
        }
    }
}

impl Prepared {
    pub fn new(layers: &[Ruleset], root: &std::path::Path) -> Result<Prepared, NotApplied> {
        let mut prepared = Prepared { fds: Vec::new() };
        for layer in layers {
            let attr = RulesetAttr {
                handled_access_fs: layer.fs,
                handled_access_net: layer.net,
                scoped: layer.scoped,
            };
            // SAFETY: a pointer to a live attr and its size.
            let fd = unsafe {
                libc::syscall(
                    SYS_CREATE_RULESET,
                    &attr as *const RulesetAttr,
                    std::mem::size_of::<RulesetAttr>(),
                    0,
                )
            } as i32;
            if fd < 0 {
                return Err(NotApplied { errno: errno() });
            }
            prepared.fds.push(fd);
            for (path, literal, rights) in &layer.paths {
                add_path(fd, path, *literal, *rights, root)?;
            }
            for (port, rights) in &layer.ports {
                let attr = NetPortAttr {
                    allowed_access: *rights,
                    port: u64::from(*port),
                };
                // SAFETY: a pointer to a live attr.
                let r = unsafe {
                    libc::syscall(
                        SYS_ADD_RULE,
                        fd,
                        RULE_NET_PORT,
                        &attr as *const NetPortAttr,
                        0,
                    )
                };
                if r != 0 {
                    return Err(NotApplied { errno: errno() });
                }
            }
        }
        Ok(prepared)
    }

    /// In the child: no_new_privs, then every layer. Raw syscalls only.
    pub fn apply(&self) -> bool {
        // SAFETY: plain syscalls on fds this value owns.
        unsafe {
            if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 {
                return false;
            }
            self.fds
                .iter()
                .all(|fd| libc::syscall(SYS_RESTRICT_SELF, *fd, 0) == 0)
        }
    }
}

/// A path rule: on a directory, a literal keeps only its listing; on anything else the
/// directory-only rights go (spec §7).
fn add_path(
    ruleset: i32,
    path: &Path,
    literal: bool,
    rights: u64,
    root: &std::path::Path,
) -> Result<(), NotApplied> {
    let c = CString::new(path.real(root)).expect("no NUL in generated paths");
    // SAFETY: a NUL-terminated path.
    let fd = unsafe { libc::open(c.as_ptr(), libc::O_PATH | libc::O_CLOEXEC) };
    if fd < 0 {
        return Err(NotApplied { errno: errno() });
    }
    // SAFETY: stat is plain data filled by fstat on a live fd.
    let is_dir = unsafe {
        let mut st: libc::stat = std::mem::zeroed();
        libc::fstat(fd, &mut st) == 0 && st.st_mode & libc::S_IFMT == libc::S_IFDIR
    };
    let allowed = match (is_dir, literal) {
        (true, true) => rights & READ_DIR,
        (true, false) => rights,
        (false, _) => rights & !DIR_ONLY,
    };
    let result = if allowed == 0 {
        0
    } else {
        let attr = PathBeneathAttr {
            allowed_access: allowed,
            parent_fd: fd,
        };
        // SAFETY: a pointer to a live attr.
        unsafe {
            libc::syscall(
                SYS_ADD_RULE,
                ruleset,
                RULE_PATH_BENEATH,
                &attr as *const PathBeneathAttr,
                0,
            )
        }
    };
    let e = errno();
    // SAFETY: the fd opened above.
    unsafe { libc::close(fd) };
    if result != 0 {
        return Err(NotApplied { errno: e });
    }
    Ok(())
}
