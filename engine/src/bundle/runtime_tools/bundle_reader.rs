//! runtime-tools bundles behind the bundle reader interface that `xpr verify` and `xpr diff`
//! use for every format.

use std::collections::BTreeMap;

use crate::bundle::dir::BundleDir;
use crate::bundle::format::{BundleFormat, BundleReader, LoadError};
use crate::bundle::verification::{Finding, Verification};
use crate::bundle::view::{BundleView, flatten_into};
use crate::bundle::world_vocabulary::{FamilyStatus, Vocabulary};
use crate::model::Fidelity;

use super::bundle::RuntimeToolsBundle;
use super::detect::INDEX_FILE;
use super::integrity::verify_dir;
use super::to_kdl::family_for;
use super::to_record::{to_foreign, to_record};

pub(crate) struct RuntimeToolsReader {
    dir: BundleDir,
}

impl RuntimeToolsReader {
    pub(crate) fn new(dir: BundleDir) -> RuntimeToolsReader {
        RuntimeToolsReader { dir }
    }
}

impl BundleReader for RuntimeToolsReader {
    fn format(&self) -> BundleFormat {
        BundleFormat::RuntimeTools
    }

    fn dir(&self) -> &BundleDir {
        &self.dir
    }

    fn verify(&self) -> Verification {
        let mut v = Verification::new(BundleFormat::RuntimeTools);
        v.index_blake3 = self
            .dir
            .read(INDEX_FILE)
            .ok()
            .map(|bytes| crate::bundle::digest::blake3_hex(&bytes));
        let report = match verify_dir(&self.dir) {
            Ok(report) => report,
            Err(e) => {
                v.findings.push(Finding::IndexMalformed {
                    detail: e.to_string(),
                });
                return v;
            }
        };
        v.run_id = report.run_id.clone();
        v.world_id = report.world_id.clone();
        v.checked = report.verified.len() + report.changed.len();
        // Index problems first, then indexed files by name, then extra files.
        for (path, schema_version) in &report.unknown_schemas {
            v.findings.push(Finding::UnknownSchema {
                path: path.clone(),
                schema_version: schema_version.clone(),
            });
        }
        for detail in &report.problems {
            v.findings.push(Finding::IndexMalformed {
                detail: detail.clone(),
            });
        }
        for name in &report.recorded_missing {
            v.findings.push(Finding::Incomplete {
                detail: format!("the runtime-tools writer recorded {name} as missing"),
            });
        }
        if let Some(status) = report.index_status.as_deref().filter(|s| *s != "ok") {
            v.findings.push(Finding::Incomplete {
                detail: format!("the runtime-tools index status is {status}"),
            });
        }
        let mut per_file: Vec<(String, Finding)> = report
            .changed
            .iter()
            .map(|c| {
                (
                    c.name.clone(),
                    Finding::ChangedSha256 {
                        path: c.name.clone(),
                        expected_size: c.recorded_size,
                        actual_size: c.actual_size,
                        expected_sha256: c.recorded_sha256.clone(),
                        actual_sha256: c.actual_sha256.clone(),
                    },
                )
            })
            .chain(
                report
                    .missing
                    .iter()
                    .map(|m| (m.clone(), Finding::Missing { path: m.clone() })),
            )
            .chain(report.unreadable.iter().map(|(name, why)| {
                (
                    name.clone(),
                    Finding::Unreadable {
                        path: name.clone(),
                        detail: why.clone(),
                    },
                )
            }))
            .collect();
        per_file.sort_by(|a, b| a.0.cmp(&b.0));
        v.findings.extend(per_file.into_iter().map(|(_, f)| f));
        v.findings.extend(
            report
                .extra
                .iter()
                .map(|e| Finding::Extra { path: e.clone() }),
        );
        v
    }

    fn load(&self) -> Result<BundleView, LoadError> {
        let verification = self.verify();
        if let Some(first) = verification.findings.first() {
            return Err(LoadError::Unverified {
                findings: verification.findings.len(),
                first: first.to_string(),
            });
        }
        let bundle = RuntimeToolsBundle::read(&self.dir).map_err(|e| LoadError::Artifact {
            path: INDEX_FILE.to_owned(),
            detail: e.to_string(),
        })?;
        Ok(to_bundle_view(&bundle))
    }
}

/// The semantic content `xpr diff` compares. The vocabulary is what the run's plan used
/// (runtime-tools records no world vocabulary); Seatbelt enforces those natively.
pub(crate) fn to_bundle_view(bundle: &RuntimeToolsBundle) -> BundleView {
    let mut facts = BTreeMap::new();
    if let serde_json::Value::Object(map) = bundle.world_facts() {
        for (key, value) in &map {
            if key != "world_id" && key != "format" {
                flatten_into(key, value, &mut facts);
            }
        }
    }
    let verdicts = bundle.verdicts();
    let operations = bundle.vocabulary();
    let vocabulary = Vocabulary {
        families: operations
            .iter()
            .filter_map(|op| family_for(op))
            .map(|f| (f.to_owned(), FamilyStatus::Applicable))
            .collect(),
        operations: operations
            .into_iter()
            .map(|op| (op, Fidelity::Exact))
            .collect(),
    };
    BundleView {
        format: BundleFormat::RuntimeTools,
        run_id: bundle.run_id().to_owned(),
        world_id: bundle.world_id().to_owned(),
        facts,
        inputs: BTreeMap::new(),
        expectations: verdicts
            .iter()
            .map(|v| (v.id.clone(), to_record(v)))
            .collect(),
        foreign: verdicts
            .iter()
            .map(|v| (v.id.clone(), to_foreign(v)))
            .collect(),
        vocabulary: Some(vocabulary),
        fidelity: BTreeMap::new(),
        artifacts: bundle
            .index
            .artifacts
            .iter()
            .map(|a| (a.name().to_owned(), a.sha256.to_lowercase()))
            .collect(),
        digest_algorithm: "sha256",
    }
}
