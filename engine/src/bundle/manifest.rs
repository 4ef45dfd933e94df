//! `run_manifest.json` (`xpr.run_manifest.v1`): what ran, where, with which inputs.
//!
//! The runner fills it; world facts and harness identity are kept as JSON objects so the
//! world module owns their shape, and `xpr diff` compares them key by key. Only `run_id` and
//! `timings` may differ between two runs of the same experiment in the same world.

use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::execute::Network;
use crate::model::{Isolation, Lane};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub run_id: String,
    pub experiment: String,
    pub world_id: String,
    /// World facts (OS, kernel, arch, Landlock ABI and errata, seccomp, caps such as
    /// `--landlock-abi`), as a JSON object: see [`world_values`].
    pub world: Value,
    /// Facts about the invoking process (already sandboxed, NoNewPrivs, uid, caps,
    /// container), as a JSON object.
    pub harness: Value,
    pub engine: EngineIdentity,
    /// The CLI arguments after the program name, with host paths made relative.
    pub args: Vec<String>,
    pub lanes: Vec<Lane>,
    pub isolation: Isolation,
    /// The network the probes saw: a namespace per worker, or the host's (with the reason).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network: Option<Network>,
    pub timings: Timings,
    pub closure: Closure,
}

/// The manifest's `world` and `harness` values from detected facts: `world` holds exactly
/// the facts `world_id` hashes (no `world_id`, no harness), `harness` the process facts.
#[cfg(test)]
fn world_values(facts: &crate::world::WorldFacts) -> (Value, Value) {
    let world = serde_json::from_slice(&facts.facts_json()).unwrap_or(Value::Null);
    let harness = serde_json::to_value(&facts.harness).unwrap_or(Value::Null);
    (world, harness)
}

/// CLI arguments as the manifest records them: a path under `cwd` becomes relative to it;
/// any other absolute path (also in `--opt=/path` form) becomes `{abs}/<file name>`: where
/// output went or a file lived is not an input of the result, and must not leak the host's
/// layout into the bundle.
pub(crate) fn portable_args<I: IntoIterator<Item = String>>(args: I, cwd: &Path) -> Vec<String> {
    args.into_iter()
        .map(|arg| match arg.split_once('=') {
            Some((opt, value)) if opt.starts_with("--") && value.starts_with('/') => {
                format!("{opt}={}", portable_path(value, cwd))
            }
            _ if arg.starts_with('/') => portable_path(&arg, cwd),
            _ => arg,
        })
        .collect()
}

fn portable_path(path: &str, cwd: &Path) -> String {
    let p = Path::new(path);
    match p.strip_prefix(cwd) {
        Ok(rel) if rel.as_os_str().is_empty() => ".".to_string(),
        Ok(rel) => rel.to_string_lossy().into_owned(),
        Err(_) => match p.file_name() {
            Some(name) => format!("{{abs}}/{}", name.to_string_lossy()),
            None => "{abs}".to_string(),
        },
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EngineIdentity {
    pub name: String,
    pub version: String,
}

impl EngineIdentity {
    /// This build of xpr.
    pub fn current() -> EngineIdentity {
        EngineIdentity {
            name: env!("CARGO_PKG_NAME").to_string(),
            version: env!("CARGO_PKG_VERSION").to_string(),
        }
    }
}

/// Wall-clock facts: excluded from `xpr diff`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timings {
    /// RFC 3339 UTC (see [`super::time::rfc3339_utc`]).
    pub started: String,
    pub finished: String,
    pub wall_ms: u64,
}

/// Every input that can change a result, and their combined digest.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Closure {
    /// [`closure_digest`] of `inputs`.
    pub digest: String,
    /// Sorted by path.
    pub inputs: Vec<ClosureInput>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClosureInput {
    /// Relative to the experiment, `std/<name>.kdl` for the stdlib, or a symbolic name such
    /// as `probe-helper` or `settings` for non-file inputs.
    pub path: String,
    pub blake3: String,
}

impl Closure {
    /// Builds the closure from named input digests (order does not matter).
    pub fn from_inputs(inputs: &[(String, [u8; 32])]) -> Closure {
        let mut list: Vec<ClosureInput> = inputs
            .iter()
            .map(|(path, digest)| ClosureInput {
                path: path.clone(),
                blake3: blake3::Hash::from_bytes(*digest).to_hex().to_string(),
            })
            .collect();
        list.sort_by(|a, b| a.path.cmp(&b.path).then(a.blake3.cmp(&b.blake3)));
        Closure {
            digest: closure_digest(inputs),
            inputs: list,
        }
    }

    /// Recomputes the digest from the listed inputs; `None` if a listed digest is not hex.
    pub(crate) fn recompute(&self) -> Option<String> {
        let mut inputs = Vec::with_capacity(self.inputs.len());
        for input in &self.inputs {
            let hash = blake3::Hash::from_hex(&input.blake3).ok()?;
            inputs.push((input.path.clone(), *hash.as_bytes()));
        }
        Some(closure_digest(&inputs))
    }
}

/// The closure digest: blake3 over `xpr.closure.v1\n` followed by one `<path>\t<hex>\n` line
/// per input, sorted by path (then digest). Order-independent; any change of a path or of a
/// digest changes it.
pub fn closure_digest(inputs: &[(String, [u8; 32])]) -> String {
    let mut lines: Vec<(String, String)> = inputs
        .iter()
        .map(|(path, digest)| {
            (
                path.clone(),
                blake3::Hash::from_bytes(*digest).to_hex().to_string(),
            )
        })
        .collect();
    lines.sort();
    let mut hasher = blake3::Hasher::new();
    hasher.update(b"xpr.closure.v1\n");
    for (path, hex) in &lines {
        hasher.update(path.as_bytes());
        hasher.update(b"\t");
        hasher.update(hex.as_bytes());
        hasher.update(b"\n");
    }
    hasher.finalize().to_hex().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closure_digest_is_order_independent_and_sensitive() {
        let a = ("a.kdl".to_string(), *blake3::hash(b"a").as_bytes());
        let b = ("std/x.kdl".to_string(), *blake3::hash(b"b").as_bytes());
        let d1 = closure_digest(&[a.clone(), b.clone()]);
        assert_eq!(d1, closure_digest(&[b.clone(), a.clone()]));
        let b2 = ("std/x.kdl".to_string(), *blake3::hash(b"b2").as_bytes());
        assert_ne!(d1, closure_digest(&[a.clone(), b2]));
        let closure = Closure::from_inputs(&[b, a]);
        assert_eq!(closure.inputs[0].path, "a.kdl");
        assert_eq!(closure.recompute().unwrap(), d1);
    }

    #[test]
    fn portable_args_keep_no_host_layout() {
        let args = [
            "run",
            "/home/someone/repo/x.kdl",
            "--out",
            "/tmp/o",
            "--junit=/tmp/j.xml",
            "-j",
            "2",
            "/",
        ];
        let got = portable_args(args.map(String::from), Path::new("/home/someone/repo"));
        assert_eq!(
            got,
            [
                "run",
                "x.kdl",
                "--out",
                "{abs}/o",
                "--junit={abs}/j.xml",
                "-j",
                "2",
                "{abs}"
            ]
        );
    }

    #[test]
    fn world_values_hold_the_hashed_facts_and_the_harness_apart() {
        let facts = crate::world::WorldFacts::detect(&crate::world::WorldOptions::default());
        let (world, harness) = world_values(&facts);
        assert!(world.get("kernel").is_some());
        assert!(world.get("world_id").is_none() && world.get("harness").is_none());
        assert!(harness.get("no_new_privs").is_some());
    }
}
