//! What the side lanes attach to a verdict: the observer's witness and the shim divergence.
//! (The oracle's own records live in `oracle::OracleRecord`; only its disagreement becomes a
//! mismatch reason.)

use serde::{Deserialize, Serialize};

/// The observer lane's statement about one scenario outcome (spec §5.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WitnessState {
    /// Audit records of this probe's denials were captured.
    Records,
    /// The observer listened and captured nothing for this probe. Never read as "no deny".
    NoWitness,
    /// The observer could not listen (not root, no audit, Landlock ABI < 7, not requested).
    ObserverUnavailable,
    /// A mount of the sandbox decided the outcome: Landlock logs nothing for it, so no record
    /// is expected (spec §7.1).
    NotExpected,
}

/// One Landlock audit record (`AUDIT_LANDLOCK_ACCESS` 1423 or `AUDIT_LANDLOCK_DOMAIN` 1424).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRecord {
    /// 1423 or 1424.
    pub record_type: u16,
    /// The audit event serial (`audit(<time>:<serial>)`).
    pub serial: u64,
    /// Landlock domain id (hex, as the kernel prints it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    /// `fs.read_file`, `net.connect_tcp`, `scope.signal`... (access records).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub blockers: Vec<String>,
    /// The denied path, `{scratch}` made symbolic.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// The pid that created the domain (domain records with `status=allocated`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pid: Option<i32>,
    /// The record's text after the `audit(...)` header, `{scratch}` made symbolic.
    pub text: String,
}

/// One denial as a verdict's witness states it: only what is stable across runs (no pid,
/// domain id, serial or inode; the full records are in `observer.jsonl`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WitnessRecord {
    pub blockers: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// The record's other fields (`dev=...`, `daddr=... dest=...`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl std::fmt::Display for WitnessRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "blockers={}", self.blockers.join(","))?;
        if let Some(p) = &self.path {
            write!(f, " path={p:?}")?;
        }
        if let Some(d) = &self.detail {
            write!(f, " {d}")?;
        }
        Ok(())
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Witness {
    pub state: WitnessState,
    /// The access records about the probe's own operation (its target paths), or, for an
    /// outcome decided at the exec stage, every record of the probe's process.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub records: Vec<WitnessRecord>,
    /// Other denials of the probe's process that did not decide its outcome (e.g. a program's
    /// optional locale files): reported, never counted as the probe's deny.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub incidental: Vec<WitnessRecord>,
    /// Why the observer was unavailable, or how the records were correlated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// How the shims changed one probe's predicted decision (source profile → runtime profile).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShimChange {
    /// The oracle's decision under the source profile (`dependency_denied`, `deny EACCES`...).
    pub source: String,
    /// The oracle's decision under the runtime profile.
    pub runtime: String,
    /// The shim rules that decide the runtime decision (origin and SBPL text).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<String>,
}
