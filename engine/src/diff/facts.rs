//! World facts (kernel, ABI, errata, harness identity, engine) and run inputs, key by key.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::Value;

use super::status::Status;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FactChange {
    /// Dotted key, e.g. `world.landlock.abi`, `harness.no_new_privs`.
    pub key: String,
    pub status: Status,
    pub a: Option<Value>,
    pub b: Option<Value>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct InputChange {
    pub path: String,
    pub status: Status,
    pub a: Option<String>,
    pub b: Option<String>,
}

pub(crate) fn diff_facts(
    a: &BTreeMap<String, Value>,
    b: &BTreeMap<String, Value>,
) -> Vec<FactChange> {
    keyed(a, b)
        .into_iter()
        .map(|(key, a, b)| FactChange {
            key,
            status: Status::of(&a, &b),
            a,
            b,
        })
        .collect()
}

pub(crate) fn diff_inputs(
    a: &BTreeMap<String, String>,
    b: &BTreeMap<String, String>,
) -> Vec<InputChange> {
    keyed(a, b)
        .into_iter()
        .map(|(path, a, b)| InputChange {
            path,
            status: Status::of(&a, &b),
            a,
            b,
        })
        .collect()
}

/// (key, a, b) for every key whose values differ, sorted by key.
pub(super) fn keyed<V: Clone + PartialEq>(
    a: &BTreeMap<String, V>,
    b: &BTreeMap<String, V>,
) -> Vec<(String, Option<V>, Option<V>)> {
    let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    keys.into_iter()
        .filter_map(|key| {
            let (x, y) = (a.get(key), b.get(key));
            (x != y).then(|| (key.clone(), x.cloned(), y.cloned()))
        })
        .collect()
}
