//! Artifacts that differ by digest (the manifest and the index are never listed).

use std::collections::BTreeMap;

use serde::Serialize;

use super::facts::keyed;
use super::status::Status;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ArtifactChange {
    pub path: String,
    pub status: Status,
    pub a: Option<String>,
    pub b: Option<String>,
}

pub(crate) fn diff(
    a: &BTreeMap<String, String>,
    b: &BTreeMap<String, String>,
) -> Vec<ArtifactChange> {
    keyed(a, b)
        .into_iter()
        .map(|(path, a, b)| ArtifactChange {
            path,
            status: Status::of(&a, &b),
            a,
            b,
        })
        .collect()
}
