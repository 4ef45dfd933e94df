//! Harness identity: facts about the invoking process that change apply/exec whatever the
//! profile (spec §6.6). Recorded with every run, never part of the world id.

use serde::{Deserialize, Serialize};

use super::landlock_domain_canary::{DomainState, LandlockDomain};
use super::landlock_facts::LandlockStatus;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HarnessIdentity {
    pub uid: u32,
    pub euid: u32,
    /// `CapEff` from /proc/self/status, as the kernel prints it (hex).
    pub cap_eff: String,
    pub no_new_privs: bool,
    /// 0 disabled, 1 strict, 2 filter.
    pub seccomp_mode: u32,
    pub seccomp_filters: u32,
    /// Signs of running in a container (`/.dockerenv`, `container=` env, cgroup names).
    pub container_hints: Vec<String>,
    pub landlock_domain: LandlockDomain,
    /// The virtual machine this process runs in, when `xpr run --world` booted one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vm: Option<super::VmHarness>,
}

impl HarnessIdentity {
    pub(crate) fn detect(landlock: LandlockStatus) -> HarnessIdentity {
        let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
        let field = |key: &str| {
            status
                .lines()
                .find_map(|line| line.strip_prefix(key)?.strip_prefix(':'))
                .map(|v| v.trim().to_string())
        };
        let number = |key: &str| field(key).and_then(|v| v.parse::<u32>().ok()).unwrap_or(0);
        let (uid, euid) = crate::sys::process::uids();
        HarnessIdentity {
            uid,
            euid,
            cap_eff: field("CapEff").unwrap_or_else(|| "unknown".into()),
            no_new_privs: number("NoNewPrivs") == 1,
            seccomp_mode: number("Seccomp"),
            seccomp_filters: number("Seccomp_filters"),
            container_hints: container_hints(),
            landlock_domain: LandlockDomain::detect(landlock),
            vm: None,
        }
    }

    /// Reasons this harness cannot give faithful results; empty when it can.
    /// An `unknown` Landlock domain fails closed.
    pub(crate) fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        match self.landlock_domain.state {
            DomainState::None => {}
            DomainState::Inside => problems.push(format!(
                "already inside a Landlock domain ({} layers)",
                self.landlock_domain.layers.unwrap_or(0)
            )),
            DomainState::Unknown => problems.push(format!(
                "cannot tell whether this process is inside a Landlock domain: {}",
                self.landlock_domain
                    .detail
                    .as_deref()
                    .unwrap_or("no detail")
            )),
        }
        problems
    }

    /// Facts worth showing next to results that do not invalidate them (an inherited seccomp
    /// filter, e.g. a container's default, only adds denials the baseline lane also sees).
    pub(crate) fn warnings(&self) -> Vec<String> {
        let mut warnings = Vec::new();
        if self.seccomp_mode != 0 {
            warnings.push(format!(
                "already under seccomp (mode {}, {} filters)",
                self.seccomp_mode, self.seccomp_filters
            ));
        }
        if !self.container_hints.is_empty() {
            warnings.push(format!("container: {}", self.container_hints.join(", ")));
        }
        warnings
    }
}

fn container_hints() -> Vec<String> {
    let mut hints = Vec::new();
    for marker in ["/.dockerenv", "/run/.containerenv"] {
        if std::path::Path::new(marker).exists() {
            hints.push(marker.to_string());
        }
    }
    if let Ok(kind) = std::env::var("container") {
        hints.push(format!("env container={kind}"));
    }
    let cgroup = std::fs::read_to_string("/proc/1/cgroup").unwrap_or_default();
    for word in ["docker", "kubepods", "lxc", "containerd", "libpod"] {
        if cgroup.contains(word) {
            hints.push(format!("/proc/1/cgroup mentions {word}"));
        }
    }
    hints
}
