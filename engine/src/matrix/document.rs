//! The `xpr.matrix.v1` document: one row per expectation id, one cell per world, in the
//! order the worlds were given. Deterministic: built only from the bundles' verified content
//! (no timings, no absolute paths), so the same bundles give the same bytes.

use std::collections::BTreeSet;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::column::Column;
use crate::model::{Expected, MismatchReason, Stage, Verdict, VerdictRecord};

pub(crate) const SCHEMA: &str = "xpr.matrix.v1";

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct Matrix {
    pub schema_version: String,
    pub experiment: String,
    /// Every world ran and every expectation held or is known.
    pub passed: bool,
    pub worlds: Vec<World>,
    pub rows: Vec<Row>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct World {
    pub name: String,
    /// `holds`, `mismatches` or `fault` (no bundle).
    pub status: WorldStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fault: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub world_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_id: Option<String>,
    /// The bundle directory, relative to the matrix's directory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bundle: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kernel: Option<String>,
    /// The effective Landlock ABI (0: no Landlock).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub landlock_abi: Option<u64>,
    /// `landlock` or `none`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mechanism: Option<String>,
    pub counts: Counts,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum WorldStatus {
    Holds,
    Mismatches,
    Fault,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Counts {
    pub held: usize,
    pub known: usize,
    pub mismatched: usize,
    /// Results without an expectation in that world.
    pub unexpected: usize,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct Row {
    /// `<profile>/<probe>`.
    pub id: String,
    pub profile: String,
    pub probe: String,
    /// `same`: every world shows the same verdict and errno; `declared`: they differ and every
    /// world's expectation holds (or is known); `finding`: they differ and some world's does
    /// not.
    pub change: Change,
    /// One per world, in the order of `worlds`.
    pub cells: Vec<Cell>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Change {
    Same,
    Declared,
    Finding,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct Cell {
    pub status: CellStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verdict: Option<Verdict>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<Stage>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub errno: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected: Option<Expected>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_errno: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mismatches: Vec<MismatchReason>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub known: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Verdict or errno differ from the first world that has this result.
    pub differs: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum CellStatus {
    Held,
    Known,
    Mismatch,
    /// A result without an expectation in this world.
    Unexpected,
    /// The world has no such result (or did not run).
    Absent,
}

impl CellStatus {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            CellStatus::Held => "held",
            CellStatus::Known => "known",
            CellStatus::Mismatch => "mismatch",
            CellStatus::Unexpected => "unexpected",
            CellStatus::Absent => "absent",
        }
    }
}

impl Cell {
    fn of(v: Option<&VerdictRecord>) -> Cell {
        let Some(v) = v else {
            return Cell {
                status: CellStatus::Absent,
                verdict: None,
                stage: None,
                errno: None,
                expected: None,
                expected_errno: None,
                mismatches: Vec::new(),
                known: None,
                reason: None,
                differs: false,
            };
        };
        let status = match (v.expected, v.mismatches.is_empty(), &v.known) {
            (None, _, _) => CellStatus::Unexpected,
            (Some(_), true, _) => CellStatus::Held,
            (Some(_), false, Some(_)) => CellStatus::Known,
            (Some(_), false, None) => CellStatus::Mismatch,
        };
        Cell {
            status,
            verdict: Some(v.verdict),
            stage: v.stage,
            errno: v.errno.as_ref().map(|e| e.name.clone()),
            expected: v.expected,
            expected_errno: v.expected_errno.clone(),
            mismatches: v.mismatches.clone(),
            known: v.known.clone(),
            reason: v.reason.clone(),
            differs: false,
        }
    }

    /// What is compared across worlds: the verdict and its errno.
    fn shown(&self) -> Option<(Verdict, Option<&str>)> {
        self.verdict.map(|v| (v, self.errno.as_deref()))
    }
}

/// Builds the matrix of `columns` for `experiment`; bundle paths are written relative to
/// `dir`, the matrix's directory.
pub(crate) fn build(experiment: &str, columns: &[Column], dir: &Path) -> Matrix {
    let mut ids: Vec<(String, String, String)> = Vec::new();
    let mut seen = BTreeSet::new();
    for c in columns {
        if let Ok(l) = &c.outcome {
            for (id, v) in &l.view.expectations {
                if seen.insert(id.clone()) {
                    ids.push((id.clone(), v.profile.clone(), v.probe.clone()));
                }
            }
        }
    }
    ids.sort();
    let rows: Vec<Row> = ids
        .into_iter()
        .map(|(id, profile, probe)| {
            let mut cells: Vec<Cell> = columns
                .iter()
                .map(|c| {
                    Cell::of(
                        c.outcome
                            .as_ref()
                            .ok()
                            .and_then(|l| l.view.expectations.get(&id)),
                    )
                })
                .collect();
            let first = cells
                .iter()
                .find_map(Cell::shown)
                .map(|(v, e)| (v, e.map(str::to_string)));
            for cell in &mut cells {
                let shown = cell.shown().map(|(v, e)| (v, e.map(str::to_string)));
                cell.differs = shown.is_some() && shown != first;
            }
            let change = if !cells.iter().any(|c| c.differs) {
                Change::Same
            } else if cells.iter().any(|c| c.status == CellStatus::Mismatch) {
                Change::Finding
            } else {
                Change::Declared
            };
            Row {
                id,
                profile,
                probe,
                change,
                cells,
            }
        })
        .collect();
    let worlds: Vec<World> = columns
        .iter()
        .enumerate()
        .map(|(i, c)| world(c, rows.iter().map(|r| &r.cells[i]), dir))
        .collect();
    Matrix {
        schema_version: SCHEMA.into(),
        experiment: experiment.into(),
        passed: worlds.iter().all(|w| w.status == WorldStatus::Holds),
        worlds,
        rows,
    }
}

fn world<'a>(c: &Column, cells: impl Iterator<Item = &'a Cell>, dir: &Path) -> World {
    let mut counts = Counts::default();
    for cell in cells {
        match cell.status {
            CellStatus::Held => counts.held += 1,
            CellStatus::Known => counts.known += 1,
            CellStatus::Mismatch => counts.mismatched += 1,
            CellStatus::Unexpected => counts.unexpected += 1,
            CellStatus::Absent => {}
        }
    }
    let loaded = match &c.outcome {
        Ok(l) => l,
        Err(reason) => {
            return World {
                name: c.name.clone(),
                status: WorldStatus::Fault,
                fault: Some(reason.clone()),
                world_id: None,
                run_id: None,
                bundle: None,
                kernel: None,
                landlock_abi: None,
                mechanism: None,
                counts,
            };
        }
    };
    let facts = &loaded.view.facts;
    let abi = facts
        .get("world.landlock.effective_abi")
        .and_then(|v| v.as_u64());
    World {
        name: c.name.clone(),
        status: if counts.mismatched == 0 {
            WorldStatus::Holds
        } else {
            WorldStatus::Mismatches
        },
        fault: None,
        world_id: Some(loaded.view.world_id.clone()),
        run_id: Some(loaded.view.run_id.clone()),
        bundle: Some(relative(&loaded.bundle, dir)),
        kernel: facts
            .get("world.kernel")
            .and_then(|v| v.as_str())
            .map(str::to_string),
        landlock_abi: abi,
        mechanism: abi.map(|a| if a > 0 { "landlock" } else { "none" }.to_string()),
        counts,
    }
}

/// `path` relative to `dir` (both made absolute first), with `/` separators.
pub(crate) fn relative(path: &Path, dir: &Path) -> String {
    let abs = |p: &Path| {
        std::path::absolute(p)
            .map(|p| p.components().collect::<std::path::PathBuf>())
            .unwrap_or_else(|_| p.to_path_buf())
    };
    let (path, dir) = (abs(path), abs(dir));
    let p: Vec<_> = path.components().collect();
    let d: Vec<_> = dir.components().collect();
    let common = p.iter().zip(&d).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<String> = vec!["..".to_string(); d.len() - common];
    parts.extend(
        p[common..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    if parts.is_empty() {
        ".".into()
    } else {
        parts.join("/")
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::bundle::{BundleFormat, BundleView};
    use crate::matrix::column::Loaded;

    fn verdict(id: &str, verdict: &str, expected: &str, mismatches: &[&str]) -> VerdictRecord {
        let (profile, probe) = id.split_once('/').unwrap();
        serde_json::from_value(serde_json::json!({
            "id": id, "profile": profile, "probe": probe, "verdict": verdict,
            "expected": expected, "mismatches": mismatches, "evidence": "syscall",
        }))
        .unwrap()
    }

    fn column(name: &str, abi: u64, verdicts: &[VerdictRecord]) -> Column {
        let facts = BTreeMap::from([
            ("world.kernel".to_string(), serde_json::json!("6.1.0")),
            (
                "world.landlock.effective_abi".to_string(),
                serde_json::json!(abi),
            ),
        ]);
        Column {
            name: name.into(),
            outcome: Ok(Loaded {
                bundle: format!("/m/{name}/x/run").into(),
                view: BundleView {
                    format: BundleFormat::Xpr,
                    run_id: "run".into(),
                    world_id: format!("linux-{name}"),
                    facts,
                    inputs: BTreeMap::new(),
                    expectations: verdicts.iter().map(|v| (v.id.clone(), v.clone())).collect(),
                    foreign: BTreeMap::new(),
                    vocabulary: None,
                    fidelity: BTreeMap::new(),
                    artifacts: BTreeMap::new(),
                    digest_algorithm: "blake3",
                },
                explanations: BTreeMap::new(),
            }),
        }
    }

    #[test]
    fn changes_are_declared_when_every_world_holds_and_findings_when_one_does_not() {
        let host = column(
            "host",
            7,
            &[
                verdict("p/net", "deny", "deny", &[]),
                verdict("p/read", "allow", "allow", &[]),
            ],
        );
        let old = column(
            "old",
            3,
            &[
                verdict("p/net", "blocked", "blocked", &[]),
                verdict("p/read", "deny", "allow", &["unexpected_deny"]),
            ],
        );
        let gone = Column::fault("gone", "the guest panicked".into());
        let m = build("e", &[host, old, gone], Path::new("/m"));
        assert!(!m.passed);
        assert_eq!(m.rows[0].id, "p/net");
        assert_eq!(m.rows[0].change, Change::Declared);
        assert_eq!(m.rows[1].change, Change::Finding);
        assert!(!m.rows[0].cells[0].differs && m.rows[0].cells[1].differs);
        assert_eq!(m.rows[1].cells[1].status, CellStatus::Mismatch);
        assert_eq!(m.rows[1].cells[2].status, CellStatus::Absent);
        assert_eq!(m.worlds[0].status, WorldStatus::Holds);
        assert_eq!(m.worlds[1].status, WorldStatus::Mismatches);
        assert_eq!(m.worlds[1].counts.mismatched, 1);
        assert_eq!(m.worlds[1].mechanism.as_deref(), Some("landlock"));
        assert_eq!(m.worlds[1].bundle.as_deref(), Some("old/x/run"));
        assert_eq!(m.worlds[2].status, WorldStatus::Fault);
        assert_eq!(m.worlds[2].fault.as_deref(), Some("the guest panicked"));
    }

    #[test]
    fn relative_paths_climb_only_as_far_as_needed() {
        assert_eq!(
            relative(Path::new("/a/b/host/x/r1"), Path::new("/a/b")),
            "host/x/r1"
        );
        assert_eq!(relative(Path::new("/a/c/r1"), Path::new("/a/b")), "../c/r1");
        assert_eq!(relative(Path::new("/a/b"), Path::new("/a/b")), ".");
    }
}
