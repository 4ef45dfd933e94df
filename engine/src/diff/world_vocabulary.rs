//! Vocabulary changes: an operation or family whose status differs between the two worlds.

use std::collections::BTreeMap;

use serde::Serialize;

use super::facts::keyed;
use super::status::Status;
use crate::bundle::world_vocabulary::{Vocabulary, fidelity_str};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum VocabularyKind {
    Operation,
    Family,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct VocabularyChange {
    pub kind: VocabularyKind,
    pub name: String,
    pub status: Status,
    /// `exact|approximate|unsupported` for operations, `applicable|not_applicable` for families.
    pub a: Option<String>,
    pub b: Option<String>,
}

pub(crate) fn diff(a: &Vocabulary, b: &Vocabulary) -> Vec<VocabularyChange> {
    let ops = |v: &Vocabulary| -> BTreeMap<String, String> {
        v.operations
            .iter()
            .map(|(k, f)| (k.clone(), fidelity_str(*f).to_string()))
            .collect()
    };
    let families = |v: &Vocabulary| -> BTreeMap<String, String> {
        v.families
            .iter()
            .map(|(k, s)| (k.clone(), s.as_str().to_string()))
            .collect()
    };
    let mut out = Vec::new();
    for (kind, x, y) in [
        (VocabularyKind::Operation, ops(a), ops(b)),
        (VocabularyKind::Family, families(a), families(b)),
    ] {
        for (name, a, b) in keyed(&x, &y) {
            out.push(VocabularyChange {
                kind,
                name,
                status: Status::of(&a, &b),
                a,
                b,
            });
        }
    }
    out
}
