//! The format-neutral comparison of two [`RunView`]s, keyed by expectation id.
//!
//! Two bundles of one format are compared on every field of [`ViewVerdict`]; across formats
//! only on the fields both can fill (`NEUTRAL_FIELDS`), so an xpr run against a runtime-tools
//! run reports semantic changes, not format noise. World facts are flattened to dotted keys
//! and shown side by side; the vocabulary difference names operations one world applies and
//! the other does not.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::Value;

use crate::model::{RunView, ViewVerdict};

pub const SCHEMA_VERSION: &str = "xpr.view_diff.v1";

/// Compared between two bundles of the same format, most important first.
const ALL_FIELDS: [&str; 15] = [
    "verdict",
    "stage",
    "expected",
    "errno",
    "exit_code",
    "failure_stage",
    "failure_kind",
    "mismatches",
    "mismatch_reason",
    "baseline",
    "lanes",
    "harness",
    "flags",
    "operation",
    "target",
];

/// Compared across formats: what both models can state.
const NEUTRAL_FIELDS: [&str; 5] = ["verdict", "stage", "expected", "errno", "baseline"];

#[derive(Clone, Debug, Serialize)]
pub struct ViewDiff {
    pub schema_version: &'static str,
    pub a: Side,
    pub b: Side,
    /// The fields compared (all of them for one format, the neutral ones across formats).
    pub compared_fields: Vec<&'static str>,
    pub shared: usize,
    pub verdicts: Vec<VerdictChange>,
    pub only_in_a: Vec<String>,
    pub only_in_b: Vec<String>,
    pub world_facts: Vec<FactChange>,
    pub vocabulary: VocabularyDiff,
}

#[derive(Clone, Debug, Serialize)]
pub struct Side {
    pub format: String,
    pub run_id: String,
    pub world_id: String,
    pub world_facts: Value,
}

#[derive(Clone, Debug, Serialize)]
pub struct VerdictChange {
    pub id: String,
    pub changes: Vec<FieldChange>,
    /// Across formats: each side's flags, which explain a change without being one.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct FieldChange {
    pub field: String,
    pub a: Value,
    pub b: Value,
}

#[derive(Clone, Debug, Serialize)]
pub struct FactChange {
    pub key: String,
    pub a: Value,
    pub b: Value,
}

#[derive(Clone, Debug, Serialize)]
pub struct VocabularyDiff {
    pub only_in_a: Vec<String>,
    pub only_in_b: Vec<String>,
}

impl ViewDiff {
    pub fn is_empty(&self) -> bool {
        self.verdicts.is_empty()
            && self.only_in_a.is_empty()
            && self.only_in_b.is_empty()
            && self.world_facts.is_empty()
            && self.vocabulary.only_in_a.is_empty()
            && self.vocabulary.only_in_b.is_empty()
    }
}

pub fn compare(a: &dyn RunView, b: &dyn RunView) -> ViewDiff {
    let fields: Vec<&'static str> = if a.format() == b.format() {
        ALL_FIELDS.to_vec()
    } else {
        NEUTRAL_FIELDS.to_vec()
    };
    let index = |v: Vec<ViewVerdict>| -> BTreeMap<String, Value> {
        v.into_iter()
            .map(|r| {
                (
                    r.id.clone(),
                    serde_json::to_value(&r).unwrap_or(Value::Null),
                )
            })
            .collect()
    };
    let (va, vb) = (index(a.verdicts()), index(b.verdicts()));
    let mut verdicts = Vec::new();
    let mut shared = 0;
    for (id, ra) in &va {
        let Some(rb) = vb.get(id) else { continue };
        shared += 1;
        let changes: Vec<FieldChange> = fields
            .iter()
            .filter_map(|f| {
                let (x, y) = (field(ra, f), field(rb, f));
                (x != y).then(|| FieldChange {
                    field: (*f).to_owned(),
                    a: x,
                    b: y,
                })
            })
            .collect();
        if !changes.is_empty() {
            let notes = if fields.contains(&"flags") {
                Vec::new()
            } else {
                [("A", ra), ("B", rb)]
                    .into_iter()
                    .filter_map(|(label, r)| match field(r, "flags") {
                        Value::Null => None,
                        flags => Some(format!("{label} flags: {}", cell(&flags))),
                    })
                    .collect()
            };
            verdicts.push(VerdictChange {
                id: id.clone(),
                changes,
                notes,
            });
        }
    }
    // Verdict changes first, then stage-only and other changes; by id within each group.
    verdicts.sort_by_key(|c| (c.changes[0].field != "verdict", c.id.clone()));

    let (fa, fb) = (a.world_facts(), b.world_facts());
    let (flat_a, flat_b) = (flatten(&fa), flatten(&fb));
    let keys: BTreeSet<&String> = flat_a.keys().chain(flat_b.keys()).collect();
    let world_facts = keys
        .into_iter()
        .filter_map(|k| {
            let (x, y) = (
                flat_a.get(k).cloned().unwrap_or(Value::Null),
                flat_b.get(k).cloned().unwrap_or(Value::Null),
            );
            (x != y).then(|| FactChange {
                key: k.clone(),
                a: x,
                b: y,
            })
        })
        .collect();

    let (oa, ob): (BTreeSet<String>, BTreeSet<String>) = (
        a.vocabulary().into_iter().collect(),
        b.vocabulary().into_iter().collect(),
    );
    ViewDiff {
        schema_version: SCHEMA_VERSION,
        a: side(a, fa),
        b: side(b, fb),
        compared_fields: fields,
        shared,
        verdicts,
        only_in_a: va
            .keys()
            .filter(|k| !vb.contains_key(*k))
            .cloned()
            .collect(),
        only_in_b: vb
            .keys()
            .filter(|k| !va.contains_key(*k))
            .cloned()
            .collect(),
        world_facts,
        vocabulary: VocabularyDiff {
            only_in_a: oa.difference(&ob).cloned().collect(),
            only_in_b: ob.difference(&oa).cloned().collect(),
        },
    }
}

fn side(v: &dyn RunView, facts: Value) -> Side {
    Side {
        format: v.format().to_owned(),
        run_id: v.run_id().to_owned(),
        world_id: v.world_id().to_owned(),
        world_facts: facts,
    }
}

/// A field of a serialised record; absent, null and empty lists all read as null.
fn field(record: &Value, name: &str) -> Value {
    match record.get(name) {
        None => Value::Null,
        Some(Value::Array(a)) if a.is_empty() => Value::Null,
        Some(v) => v.clone(),
    }
}

/// Nested objects → dotted keys; arrays and scalars are leaves.
fn flatten(value: &Value) -> BTreeMap<String, Value> {
    fn walk(prefix: &str, v: &Value, out: &mut BTreeMap<String, Value>) {
        match v {
            Value::Object(map) if !map.is_empty() => {
                for (k, child) in map {
                    let key = if prefix.is_empty() {
                        k.clone()
                    } else {
                        format!("{prefix}.{k}")
                    };
                    walk(&key, child, out);
                }
            }
            other => {
                out.insert(prefix.to_owned(), other.clone());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk("", value, &mut out);
    out
}

/// A value as a table cell: strings bare, lists comma-separated, null as `-`.
fn cell(v: &Value) -> String {
    match v {
        Value::Null => "-".into(),
        Value::String(s) => s.clone(),
        Value::Array(items) if items.is_empty() => "-".into(),
        Value::Array(items) => items.iter().map(cell).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    }
}

impl ViewDiff {
    /// The table for people: expectations first (verdict changes before the rest), then
    /// world facts side by side, then the vocabulary.
    pub fn render_text(&self) -> String {
        let mut out = String::new();
        for (label, s) in [("A", &self.a), ("B", &self.b)] {
            out.push_str(&format!(
                "{label}  {} run {}  world {}\n",
                s.format, s.run_id, s.world_id
            ));
        }
        out.push_str(&format!(
            "\nExpectations: {} shared, {} differ, {} only in A, {} only in B\n",
            self.shared,
            self.verdicts.len(),
            self.only_in_a.len(),
            self.only_in_b.len()
        ));
        if self.a.format != self.b.format {
            out.push_str(&format!(
                "(formats differ: compared on {})\n",
                self.compared_fields.join(", ")
            ));
        }
        if !self.verdicts.is_empty() {
            out.push_str("\nVerdict and stage changes\n");
            let rows: Vec<(&str, String, String)> = self
                .verdicts
                .iter()
                .flat_map(|c| c.changes.iter())
                .map(|f| (f.field.as_str(), cell(&f.a), cell(&f.b)))
                .collect();
            let wf = rows.iter().map(|r| r.0.len()).max().unwrap_or(0).max(5);
            let wa = rows
                .iter()
                .map(|r| r.1.chars().count())
                .max()
                .unwrap_or(0)
                .max(1);
            out.push_str(&format!("    {:<wf$}  {:<wa$}  {}\n", "field", "A", "B"));
            for change in &self.verdicts {
                out.push_str(&format!("  {}\n", change.id));
                for f in &change.changes {
                    out.push_str(&format!(
                        "    {:<wf$}  {:<wa$}  {}\n",
                        f.field,
                        cell(&f.a),
                        cell(&f.b)
                    ));
                }
                for note in &change.notes {
                    out.push_str(&format!("    ({note})\n"));
                }
            }
        }
        for (label, ids) in [("A", &self.only_in_a), ("B", &self.only_in_b)] {
            if !ids.is_empty() {
                out.push_str(&format!("\nOnly in {label}\n"));
                for id in ids {
                    out.push_str(&format!("  {id}\n"));
                }
            }
        }

        // Differing facts side by side first; facts equal in both are listed once.
        let (flat_a, flat_b) = (flatten(&self.a.world_facts), flatten(&self.b.world_facts));
        let keys: BTreeSet<&String> = flat_a.keys().chain(flat_b.keys()).collect();
        let get = |m: &BTreeMap<String, Value>, k: &String| cell(m.get(k).unwrap_or(&Value::Null));
        let (differ, same): (Vec<&String>, Vec<&String>) = keys
            .into_iter()
            .partition(|k| flat_a.get(*k) != flat_b.get(*k));
        let wk = differ
            .iter()
            .chain(&same)
            .map(|k| k.len())
            .max()
            .unwrap_or(0);
        if !differ.is_empty() {
            out.push_str("\nWorld facts that differ (A, B)\n");
            let wa = differ
                .iter()
                .map(|k| get(&flat_a, k).chars().count())
                .max()
                .unwrap_or(0);
            for k in &differ {
                let (x, y) = (get(&flat_a, k), get(&flat_b, k));
                out.push_str(&format!("  {k:<wk$}  {x:<wa$}  {y}\n"));
            }
        }
        if !same.is_empty() {
            out.push_str("\nWorld facts the same in both\n");
            for k in &same {
                out.push_str(&format!("  {k:<wk$}  {}\n", get(&flat_a, k)));
            }
        }

        out.push_str("\nVocabulary\n");
        if self.vocabulary.only_in_a.is_empty() && self.vocabulary.only_in_b.is_empty() {
            out.push_str("  same operations in both worlds\n");
        } else {
            for (label, ops) in [
                ("A", &self.vocabulary.only_in_a),
                ("B", &self.vocabulary.only_in_b),
            ] {
                if !ops.is_empty() {
                    out.push_str(&format!("  only in {label}: {}\n", ops.join(", ")));
                }
            }
        }
        out
    }
}
