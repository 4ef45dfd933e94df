//! [`BundleView`]: the part of a bundle `xpr diff` compares, independent of its format.

use std::collections::BTreeMap;

use serde_json::Value;

use super::fidelity::FidelityReport;
use super::foreign::ForeignDetails;
use super::format::BundleFormat;
use super::world_vocabulary::Vocabulary;
use crate::model::VerdictRecord;

#[derive(Clone, Debug, PartialEq)]
pub struct BundleView {
    pub format: BundleFormat,
    pub run_id: String,
    pub world_id: String,
    /// World facts, harness identity, engine identity and run settings, flattened to dotted
    /// keys (`world.landlock.abi`, `harness.uid`, `engine.version`, `lanes`). Run id, timings
    /// and CLI arguments are left out: they differ between identical runs.
    pub facts: BTreeMap<String, Value>,
    /// The run's inputs (closure): path → digest.
    pub inputs: BTreeMap<String, String>,
    /// Verdicts keyed by stable expectation id.
    pub expectations: BTreeMap<String, VerdictRecord>,
    /// What another harness recorded per expectation beyond a `VerdictRecord` (empty for xpr
    /// bundles), keyed like `expectations`.
    pub foreign: BTreeMap<String, ForeignDetails>,
    /// `None` when the bundle has no vocabulary.
    pub vocabulary: Option<Vocabulary>,
    /// Fidelity reports keyed by profile id.
    pub fidelity: BTreeMap<String, FidelityReport>,
    /// Every artifact except the manifest and the index: path → digest.
    pub artifacts: BTreeMap<String, String>,
    /// The digest algorithm of `artifacts` and `inputs` (digests of different algorithms are
    /// never compared).
    pub digest_algorithm: &'static str,
}

/// Flattens nested objects into `prefix.key` entries; arrays and scalars are leaves, so a
/// changed errata list shows as one change. Embedded `schema_version` and `world_id` keys are
/// skipped: the bundle header already names both.
pub(crate) fn flatten_into(prefix: &str, value: &Value, out: &mut BTreeMap<String, Value>) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (key, v) in map {
                if key == "schema_version" || key == "world_id" {
                    continue;
                }
                let key = if prefix.is_empty() {
                    key.clone()
                } else {
                    format!("{prefix}.{key}")
                };
                flatten_into(&key, v, out);
            }
        }
        _ => {
            out.insert(prefix.to_string(), value.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flattens_objects_only() {
        let mut out = BTreeMap::new();
        flatten_into(
            "world",
            &serde_json::json!({"kernel": "6.1", "world_id": "w", "schema_version": "s",
                                "landlock": {"abi": 7, "errata": [1, 2]}}),
            &mut out,
        );
        let keys: Vec<_> = out.keys().cloned().collect();
        assert_eq!(
            keys,
            [
                "world.kernel",
                "world.landlock.abi",
                "world.landlock.errata"
            ]
        );
    }
}
