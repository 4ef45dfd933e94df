//! Candidate rules for a shim: one per (path, operations) the sandbox denied on the way to a
//! probe's operation, either read from audit records or predicted from the program's ELF
//! headers (the fallback when audit is unavailable).

use crate::model::{Action, Filter, Origin, Rule, WitnessRecord};
use crate::oracle::exec_deps::exec_deps;

/// An access to allow: a literal path and the SBPL operations that grant the blockers.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Candidate {
    pub path: String,
    pub operations: Vec<String>,
}

impl Candidate {
    pub(crate) fn rule(&self, shim: &str) -> Rule {
        Rule {
            action: Action::Allow,
            operations: self.operations.clone(),
            filters: vec![Filter::Literal(self.path.clone())],
            modifiers: Default::default(),
            origin: Origin {
                file: "(suggested)".into(),
                shim: Some(shim.to_string()),
                ..Origin::default()
            },
        }
    }
}

/// The SBPL operation that grants a Landlock blocker on a file, if a shim may grant it.
fn operation_for(blocker: &str) -> Option<&'static str> {
    match blocker {
        "fs.execute" => Some("process-exec"),
        "fs.read_file" => Some("file-read-data"),
        _ => None,
    }
}

/// From audit records of a probe's process; `own` are the probe's operation paths, which a
/// shim must never touch (that would change the decision under test).
pub(crate) fn from_audit(records: &[WitnessRecord], own: &[String]) -> Vec<Candidate> {
    let mut out: Vec<Candidate> = Vec::new();
    for r in records {
        let Some(path) = &r.path else { continue };
        if own.contains(path) || path.starts_with("{scratch}") {
            continue;
        }
        let ops: Vec<String> = r
            .blockers
            .iter()
            .filter_map(|b| operation_for(b))
            .map(str::to_string)
            .collect();
        if ops.is_empty() {
            continue;
        }
        match out.iter_mut().find(|c| &c.path == path) {
            Some(c) => {
                for op in ops {
                    if !c.operations.contains(&op) {
                        c.operations.push(op);
                    }
                }
                c.operations.sort();
            }
            None => {
                let mut operations = ops;
                operations.sort();
                out.push(Candidate {
                    path: path.clone(),
                    operations,
                })
            }
        }
    }
    out
}

/// Predicted from the program's ELF headers: the program and interpreter (execute + read),
/// the ld.so cache and every library (read).
pub(crate) fn from_elf(program: &str) -> Vec<Candidate> {
    let canonical = |p: &str| {
        std::fs::canonicalize(p)
            .map(|c| c.to_string_lossy().into_owned())
            .unwrap_or_else(|_| p.to_string())
    };
    let exec_read = vec!["file-read-data".to_string(), "process-exec".to_string()];
    let read = vec!["file-read-data".to_string()];
    let mut out = vec![Candidate {
        path: canonical(program),
        operations: exec_read.clone(),
    }];
    if let Some(deps) = exec_deps(program) {
        if let Some(interp) = &deps.interpreter {
            out.push(Candidate {
                path: canonical(interp),
                operations: exec_read,
            });
        }
        out.push(Candidate {
            path: "/etc/ld.so.cache".into(),
            operations: read.clone(),
        });
        for lib in &deps.libraries {
            out.push(Candidate {
                path: canonical(lib),
                operations: read.clone(),
            });
        }
    }
    out.dedup();
    out
}
