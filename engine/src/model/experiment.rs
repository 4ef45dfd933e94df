//! The resolved experiment: what `resolve` produces and every later stage consumes.
//!
//! All names are resolved, all `extend`s and shims are applied, parameters are substituted
//! (except `{scratch}`, which stays symbolic until a run creates the scratch root).

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::origin::Origin;
use super::outcome::Expected;
use super::profile::ProfileIr;
use super::scope::AbiScope;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lane {
    Baseline,
    Scenario,
    Oracle,
    Observer,
}

impl Lane {
    pub(crate) const ALL: [Lane; 4] =
        [Lane::Baseline, Lane::Scenario, Lane::Oracle, Lane::Observer];
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Lane::Baseline => "baseline",
            Lane::Scenario => "scenario",
            Lane::Oracle => "oracle",
            Lane::Observer => "observer",
        }
    }
    /// Lanes that execute probes in a child process (the others annotate them).
    pub(crate) fn executes(self) -> bool {
        matches!(self, Lane::Baseline | Lane::Scenario)
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Isolation {
    /// A fresh process per probe (the faithful default).
    #[default]
    Probe,
    /// Apply once per profile and run all its probes in one child.
    Profile,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Experiment {
    pub name: String,
    pub description: Option<String>,
    pub lanes: Vec<Lane>,
    pub isolation: Isolation,
    #[serde(with = "duration_ms")]
    pub timeout: Duration,
    /// Parameters after CLI overrides, as substituted.
    pub params: BTreeMap<String, String>,
    pub fixtures: Vec<Fixture>,
    /// Profiles in declaration order (extends already flattened).
    pub profiles: Vec<Profile>,
    pub shims: Vec<Shim>,
    pub probes: Vec<Probe>,
    /// One entry per (profile, probe) pair that has an expectation for the current world.
    pub expectations: Vec<Expectation>,
    /// Every source file in the experiment's closure: path as written in artifacts, and its bytes' blake3.
    pub sources: Vec<SourceFile>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SourceFile {
    /// Relative to the experiment's directory, or `std/<name>.kdl` for the stdlib.
    pub path: String,
    pub blake3: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Profile {
    pub id: String,
    pub origin: Origin,
    /// The profile as written (after `extend`), without shims.
    pub source: ProfileIr,
    /// Shim names layered on, in order.
    pub shims: Vec<String>,
    /// Source + shims: what actually gets enforced.
    pub runtime: ProfileIr,
    /// Set when the profile was read from an SBPL file (path relative to the experiment).
    pub sbpl_source: Option<String>,
    pub extends: Option<String>,
    /// A stacked profile: the profiles whose runtime IRs are its Landlock layers, in order
    /// (nested stacks flattened). Empty for a plain profile.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub layers: Vec<String>,
    /// The probes that run under this profile, in declaration order: its `probes` list and
    /// the probes of `scope=#true` expectation blocks for it (spec §2.4). `None`: every probe.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probes: Option<Vec<String>>,
}

impl Profile {
    /// Whether `probe` runs under this profile.
    pub(crate) fn runs(&self, probe: &str) -> bool {
        self.probes
            .as_ref()
            .is_none_or(|scope| scope.iter().any(|p| p == probe))
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Shim {
    pub name: String,
    pub description: Option<String>,
    pub origin: Origin,
    pub rules: ProfileIr,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Probe {
    /// Stable id, as written (never derived from the world).
    pub id: String,
    pub family: String,
    /// The operation name the family exercises (from the stdlib family declaration).
    pub operation: String,
    /// Path, host:port, signal target, sysctl name... `{scratch}` still symbolic.
    pub target: Option<String>,
    /// Family-specific arguments (e.g. `argv` for exec, `signal` for signal, `to` for rename).
    pub args: BTreeMap<String, ArgValue>,
    /// Names of fixtures this probe uses (explicit `fixture=` plus paths under a file fixture).
    pub fixtures: Vec<String>,
    /// A calibration control for the oracle: the decision it must have under every profile that expects it.
    pub control: bool,
    /// Whether the family can mutate its target (create, truncate, unlink, rename, link, mkdir, write with content).
    pub destructive: bool,
    /// Worlds where the family has a meaning (`linux`, `macos`).
    pub worlds: Vec<String>,
    pub origin: Origin,
}

impl Probe {
    /// When the probe acquires its resource (the `acquire=` argument); `None` when it does
    /// not say, which is the usual after-apply form.
    pub(crate) fn acquire(&self) -> Option<Acquire> {
        match self.args.get(ACQUIRE_ARG)? {
            ArgValue::Str(s) => Acquire::parse(s),
            _ => None,
        }
    }
}

/// The family argument that says when a probe acquires its resource (spec §2.7).
pub(crate) const ACQUIRE_ARG: &str = "acquire";

/// When a probe acquires the resource its operation uses, relative to the sandbox's apply.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Acquire {
    /// The descriptor (file, directory, socket, pidfd) is opened before the sandbox is
    /// applied; the operation uses it after.
    Before,
    /// Everything happens after apply: the usual form.
    After,
}

impl Acquire {
    pub(crate) fn parse(s: &str) -> Option<Acquire> {
        match s {
            "before" => Some(Acquire::Before),
            "after" => Some(Acquire::After),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ArgValue {
    Str(String),
    Int(i64),
    Bool(bool),
    List(Vec<String>),
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Fixture {
    pub name: String,
    pub kind: FixtureKind,
    pub origin: Origin,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum FixtureKind {
    /// A file under `{scratch}` with content and mode.
    File {
        path: String,
        content: String,
        mode: u32,
    },
    /// A directory under `{scratch}`.
    Dir { path: String, mode: u32 },
    /// A loopback TCP listener outside the sandbox; port 0 picks a free port at run time.
    TcpListener { port: u16 },
    /// An abstract AF_UNIX listener outside the sandbox.
    UnixListener { name: String },
    /// A process outside the sandbox (a sleeping child of the engine) to signal or inspect.
    Process,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Expectation {
    /// `<profile>/<probe>`: stable across worlds.
    pub id: String,
    pub profile: String,
    pub probe: String,
    pub decision: Expected,
    /// Errno name the operation must fail with (deny) when given.
    pub errno: Option<String>,
    /// The world this expectation was restricted to, if any.
    pub world: Option<String>,
    /// The effective Landlock ABIs it is for (`mechanism=`, `landlock-abi=`); any when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub landlock_abi: Option<AbiScope>,
    /// Documented as a known mismatch: reported, but does not fail the run.
    pub known: Option<String>,
    pub origin: Origin,
}

mod duration_ms {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::Duration;

    pub(crate) fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(d.as_millis() as u64)
    }
    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        Ok(Duration::from_millis(u64::deserialize(d)?))
    }
}
