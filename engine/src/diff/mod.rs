//! diff: what changed in meaning between two bundles (spec §6.9).
//!
//! The one diff for every pair of formats (xpr, runtime-tools, either way round): both sides
//! are [`BundleView`]s. Expectations are keyed by their stable id; world facts, vocabulary and
//! fidelity by name; artifacts by path and digest (the manifest and index are left out: run id
//! and timings live there). Across formats, expectations are compared only on what both models
//! state, and inputs and artifacts not at all (their digests name different files and
//! algorithms). Two runs of the same experiment in the same world diff empty.

use serde::Serialize;

use crate::bundle::BundleView;
use crate::bundle::format::BundleFormat;

mod artifacts;
mod expectations;
mod facts;
mod fidelity;
mod status;
pub mod table;
mod world_vocabulary;

pub(crate) use artifacts::ArtifactChange;
pub use expectations::{ALL, Aspect, ExpectationChange, NEUTRAL, Outcome};
pub(crate) use facts::{FactChange, InputChange};
pub(crate) use fidelity::FidelityChange;
pub use status::Status;
pub use world_vocabulary::{VocabularyChange, VocabularyKind};

pub(crate) const SCHEMA: &str = "xpr.diff.v1";

/// Which run a side of the diff is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Side {
    pub format: BundleFormat,
    pub run_id: String,
    pub world_id: String,
}

/// Every difference, grouped most important first.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BundleDiff {
    pub schema_version: &'static str,
    pub a: Side,
    pub b: Side,
    /// True when every group is empty.
    pub identical: bool,
    /// The expectation aspects compared: all within one format, [`NEUTRAL`] across formats.
    pub compared: Vec<Aspect>,
    /// Verdict changes and expectations present on one side only.
    pub verdicts: Vec<ExpectationChange>,
    /// Same verdict, but a different stage, errno, baseline, expectation or mismatch list.
    pub outcomes: Vec<ExpectationChange>,
    pub world_facts: Vec<FactChange>,
    /// The run's inputs (experiment, imports, stdlib, helper binary, settings).
    pub inputs: Vec<InputChange>,
    pub vocabulary: Vec<VocabularyChange>,
    pub fidelity: Vec<FidelityChange>,
    pub artifacts: Vec<ArtifactChange>,
    /// What could not be compared (e.g. a side without a vocabulary); not a difference.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

impl BundleDiff {
    pub(crate) fn counts(&self) -> [(&'static str, usize); 7] {
        [
            ("verdict changes", self.verdicts.len()),
            ("stage/errno changes", self.outcomes.len()),
            ("world facts", self.world_facts.len()),
            ("inputs", self.inputs.len()),
            ("vocabulary", self.vocabulary.len()),
            ("fidelity", self.fidelity.len()),
            ("artifacts", self.artifacts.len()),
        ]
    }
}

/// Compares bundle `a` (before) with bundle `b` (after).
pub fn diff(a: &BundleView, b: &BundleView) -> BundleDiff {
    let mut notes = Vec::new();
    let same_format = a.format == b.format;
    let compared = if same_format {
        ALL.to_vec()
    } else {
        notes.push(format!(
            "formats differ ({} and {}): expectations are compared on {} only",
            a.format.as_str(),
            b.format.as_str(),
            NEUTRAL.map(Aspect::as_str).join(", ")
        ));
        NEUTRAL.to_vec()
    };
    let (verdicts, outcomes) = expectations::diff(a, b, &compared);
    // Digests are only meaningful within one format: the files and algorithms differ.
    let same_digests = same_format && a.digest_algorithm == b.digest_algorithm;
    if !same_digests {
        notes.push(format!(
            "inputs and artifacts are not compared: digests ({} and {}) are only meaningful within one format",
            a.digest_algorithm, b.digest_algorithm
        ));
    }
    let vocabulary = match (&a.vocabulary, &b.vocabulary) {
        (Some(va), Some(vb)) => world_vocabulary::diff(va, vb),
        (None, None) => Vec::new(),
        _ => {
            notes.push("only one bundle records its world's vocabulary".to_string());
            Vec::new()
        }
    };
    let fidelity = if a.fidelity.is_empty() == b.fidelity.is_empty() {
        fidelity::diff(&a.fidelity, &b.fidelity)
    } else {
        notes.push("only one bundle records fidelity reports".to_string());
        Vec::new()
    };
    let mut result = BundleDiff {
        schema_version: SCHEMA,
        a: side(a),
        b: side(b),
        identical: false,
        compared,
        verdicts,
        outcomes,
        world_facts: facts::diff_facts(&a.facts, &b.facts),
        inputs: if same_digests {
            facts::diff_inputs(&a.inputs, &b.inputs)
        } else {
            Vec::new()
        },
        vocabulary,
        fidelity,
        artifacts: if same_digests {
            artifacts::diff(&a.artifacts, &b.artifacts)
        } else {
            Vec::new()
        },
        notes,
    };
    result.identical = result.counts().iter().all(|(_, n)| *n == 0);
    result
}

fn side(v: &BundleView) -> Side {
    Side {
        format: v.format,
        run_id: v.run_id.clone(),
        world_id: v.world_id.clone(),
    }
}
