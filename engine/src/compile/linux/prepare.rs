//! prepare (worker, before fork: may allocate) and apply (child, after fork: raw syscalls only).

use std::ffi::CString;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use super::CompiledProfile;
use super::mounts::{MountNamespace, decide};
use super::rule_paths::SCRATCH;
use super::ruleset_plan::PathRulePlan;
use super::seccomp_program::decode_bpf;
use crate::compile::ApplyFailure;
use crate::model::BlockedReason;
use crate::sys::errno::raw;
use crate::sys::landlock::{self, RulesetAttr};
use crate::sys::seccomp;
use crate::world::errno_name;
use crate::world::landlock_rights::dir_only_fs_mask;

/// A failed prepare: like [`ApplyFailure`], plus a human detail (which path, which rule).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PrepareFailure {
    pub reason: BlockedReason,
    /// 0 when no syscall failed (e.g. the profile was blocked at compile time).
    pub errno: i32,
    pub step: &'static str,
    pub detail: String,
}

impl PrepareFailure {
    pub(crate) fn failure(&self) -> ApplyFailure {
        ApplyFailure {
            reason: self.reason,
            errno: self.errno,
            step: self.step,
        }
    }
}

impl From<PrepareFailure> for ApplyFailure {
    fn from(failure: PrepareFailure) -> ApplyFailure {
        failure.failure()
    }
}

impl std::fmt::Display for PrepareFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.step, self.detail)?;
        if self.errno != 0 {
            write!(f, " ({})", errno_name(self.errno))?;
        }
        Ok(())
    }
}

/// A plan path rule as resolved on this run's filesystem.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResolvedPathRule {
    /// As in the plan (`{scratch}/a`).
    pub plan_path: String,
    pub is_dir: bool,
    /// What was granted: the plan's rights minus directory-only rights on a non-directory.
    pub access_mask: u64,
}

/// Everything apply needs, built before fork.
#[derive(Debug)]
pub struct PreparedSandbox {
    /// The profile's mount namespace, when it makes mounts.
    mounts: Option<MountNamespace>,
    rulesets: Vec<OwnedFd>,
    restrict_flags: u32,
    bpf: Vec<libc::sock_filter>,
    /// Per layer, the path rules as added (for records and the oracle).
    pub resolved: Vec<Vec<ResolvedPathRule>>,
}

/// `{scratch}/a` → `<scratch>/a`; other paths unchanged.
pub(crate) fn host_path(plan_path: &str, scratch: &Path) -> PathBuf {
    match plan_path.strip_prefix(SCRATCH) {
        Some(rest) => scratch.join(rest.trim_start_matches('/')),
        None => PathBuf::from(plan_path),
    }
}

fn create_failure(step: &'static str, errno: i32, detail: String) -> PrepareFailure {
    // Spec §7, "Availability": unknown rights (EINVAL) and a missing or disabled Landlock are the
    // mechanism's absence; anything else is an apply error with its errno.
    let reason = match errno {
        libc::EINVAL | libc::ENOSYS | libc::EOPNOTSUPP => BlockedReason::MechanismUnavailable,
        _ => BlockedReason::ApplyError,
    };
    PrepareFailure {
        reason,
        errno,
        step,
        detail,
    }
}

impl PreparedSandbox {
    pub fn prepare(
        compiled: &CompiledProfile,
        scratch: &Path,
    ) -> Result<PreparedSandbox, PrepareFailure> {
        if let Some(blocked) = &compiled.blocked {
            return Err(PrepareFailure {
                reason: blocked.reason,
                errno: 0,
                step: "compile",
                detail: blocked.detail.clone(),
            });
        }
        let plan = &compiled.plan;
        let real_scratch = scratch
            .canonicalize()
            .unwrap_or_else(|_| scratch.to_path_buf());
        for literal in &plan.scratch_not_under {
            if real_scratch.starts_with(literal) || scratch.starts_with(literal) {
                return Err(PrepareFailure {
                    reason: BlockedReason::NotApplicableInWorld,
                    errno: 0,
                    step: "scratch",
                    detail: format!(
                        "the scratch root lies under {literal}; the plan was compiled assuming it does not \
                         (a rule on {literal} would then decide scratch paths)"
                    ),
                });
            }
        }
        let mounts = if compiled.mounts.is_empty() {
            None
        } else {
            Some(MountNamespace::build(&compiled.mounts, scratch)?)
        };
        let mut rulesets = Vec::new();
        let mut resolved = Vec::new();
        for layer in &plan.layers {
            let attr = RulesetAttr {
                handled_access_fs: layer.handled_fs_mask,
                handled_access_net: layer.handled_net_mask,
                scoped: layer.scoped_mask,
            };
            let ruleset = landlock::create_ruleset(&attr).map_err(|e| {
                create_failure(
                    "landlock_create_ruleset",
                    raw(&e),
                    format!(
                        "handled fs [{}] net [{}] scoped [{}]",
                        layer.handled_fs.join(" "),
                        layer.handled_net.join(" "),
                        layer.scoped.join(" ")
                    ),
                )
            })?;
            let mut layer_resolved = Vec::new();
            for rule in &layer.path_rules {
                let path = host_path(&rule.path, scratch);
                let fd = open_path(&path).map_err(|e| unopenable(rule, raw(&e)))?;
                let is_dir = landlock::is_directory(fd.as_fd());
                let access_mask = kept_on_node(rule, is_dir);
                if access_mask != 0 {
                    landlock::add_path_rule(ruleset.as_fd(), access_mask, fd.as_fd()).map_err(
                        |e| {
                            create_failure(
                                "landlock_add_rule",
                                raw(&e),
                                format!("path rule {} [{}]", rule.path, rule.access.join(" ")),
                            )
                        },
                    )?;
                }
                layer_resolved.push(ResolvedPathRule {
                    plan_path: rule.path.clone(),
                    is_dir,
                    access_mask,
                });
            }
            for rule in &layer.port_rules {
                landlock::add_port_rule(ruleset.as_fd(), rule.access_mask, u64::from(rule.port))
                    .map_err(|e| {
                        create_failure(
                            "landlock_add_rule",
                            raw(&e),
                            format!("port rule {} [{}]", rule.port, rule.access.join(" ")),
                        )
                    })?;
            }
            rulesets.push(ruleset);
            resolved.push(layer_resolved);
        }
        Ok(PreparedSandbox {
            mounts,
            rulesets,
            restrict_flags: plan.restrict_flags,
            bpf: decode_bpf(compiled.bpf_bytes()),
            resolved,
        })
    }

    /// In the forked child, first: the mount namespace (see [`MountNamespace::enter`]).
    pub(crate) fn enter_namespaces(&self, own_pid_namespace: bool) -> Result<(), ApplyFailure> {
        match &self.mounts {
            Some(ns) => ns.enter(own_pid_namespace),
            None => Ok(()),
        }
    }

    /// The mount of this sandbox that explains `errno` on `paths`, if one does.
    pub(crate) fn mount_decision(
        &self,
        errno: i32,
        paths: &[&str],
        exec: bool,
    ) -> Option<crate::model::MountDecision> {
        let ns = self.mounts.as_ref()?;
        decide::attribute(&ns.placed, errno, paths, exec)
    }

    /// In the forked child: NO_NEW_PRIVS, then each Landlock layer (what every process started
    /// afterwards inherits). Raw syscalls only, no allocation.
    pub(crate) fn apply_domain(&self) -> Result<(), ApplyFailure> {
        landlock::set_no_new_privs().map_err(|e| ApplyFailure {
            reason: BlockedReason::ApplyError,
            errno: raw(&e),
            step: "prctl(PR_SET_NO_NEW_PRIVS)",
        })?;
        for ruleset in &self.rulesets {
            landlock::restrict_self(ruleset.as_fd(), self.restrict_flags).map_err(|e| {
                ApplyFailure {
                    reason: match raw(&e) {
                        libc::ENOSYS | libc::EOPNOTSUPP | libc::EINVAL => {
                            BlockedReason::MechanismUnavailable
                        }
                        _ => BlockedReason::ApplyError,
                    },
                    errno: raw(&e),
                    step: "landlock_restrict_self",
                }
            })?;
        }
        Ok(())
    }

    /// In the process that runs the probe, after [`PreparedSandbox::apply_domain`]: the seccomp
    /// filter. Raw syscall, no allocation.
    pub(crate) fn apply_filters(&self) -> Result<(), ApplyFailure> {
        if self.bpf.is_empty() {
            return Ok(());
        }
        seccomp::set_filter(&self.bpf).map_err(|e| ApplyFailure {
            reason: match raw(&e) {
                libc::ENOSYS | libc::EINVAL => BlockedReason::MechanismUnavailable,
                _ => BlockedReason::ApplyError,
            },
            errno: raw(&e),
            step: "seccomp(SECCOMP_SET_MODE_FILTER)",
        })
    }

    /// Every part, in order (drivers and the probe helper run in the applying process).
    pub fn apply(&self) -> Result<(), ApplyFailure> {
        self.enter_namespaces(false)?;
        self.apply_domain()?;
        self.apply_filters()
    }

    /// Adds `landlock_restrict_self` flags for this run only (the observer's log flags: they
    /// change what the kernel logs, not what it enforces, so the compiled plan stays as is).
    pub(crate) fn add_restrict_flags(&mut self, flags: u32) {
        self.restrict_flags |= flags;
    }

    /// Whether apply will create a Landlock domain / install a seccomp filter.
    pub(crate) fn has_landlock(&self) -> bool {
        !self.rulesets.is_empty()
    }
}

/// What a plan rule grants on the node it names: directory-only rights never on a
/// non-directory (the kernel refuses them with EINVAL), and a literal on a directory only its
/// listing (file rights below it would widen the literal to the files of its subtree).
pub fn kept_on_node(rule: &PathRulePlan, is_dir: bool) -> u64 {
    match (is_dir, rule.literal) {
        (true, false) => rule.access_mask,
        (true, true) => rule.access_mask & landlock::ACCESS_FS_READ_DIR,
        (false, _) => rule.access_mask & !dir_only_fs_mask(),
    }
}

/// A rule path that cannot be opened (spec §7): a path that does not exist (ENOENT, or a
/// component that is no directory: ENOTDIR) is one this world cannot name, so the profile is
/// `not_applicable_in_world`; any other errno is an `apply_error`. Both keep the errno.
fn unopenable(rule: &PathRulePlan, errno: i32) -> PrepareFailure {
    let missing = matches!(errno, libc::ENOENT | libc::ENOTDIR);
    PrepareFailure {
        reason: if missing {
            BlockedReason::NotApplicableInWorld
        } else {
            BlockedReason::ApplyError
        },
        errno,
        step: "open(O_PATH)",
        detail: if missing {
            format!(
                "rule path {} (rules {:?}) does not exist: Landlock needs an existing path",
                rule.path, rule.rules
            )
        } else {
            format!(
                "rule path {} (rules {:?}) cannot be opened",
                rule.path, rule.rules
            )
        },
    }
}

fn open_path(path: &Path) -> std::io::Result<OwnedFd> {
    let c_path = CString::new(path.as_os_str().as_bytes())
        .map_err(|_| std::io::Error::from_raw_os_error(libc::EINVAL))?;
    landlock::open_rule_path(&c_path)
}
