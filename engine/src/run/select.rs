//! Which (profile, probe) pairs a run runs (spec §10.1): `--profile` and `--probe` globs, `-E`
//! filter expressions and `--rerun-failed`, checked against the loaded experiment. A glob that
//! matches nothing is a mistake (exit 2, with the closest name); so is a selection of nothing.
//!
//! The experiment is then narrowed to the profiles and probes of the selected pairs, and the
//! pairs of that product that were not selected are left out of the walk: they never run.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use miette::{NamedSource, SourceSpan};
use serde::Serialize;

use crate::bundle::{self, LoadError, OpenError};
use crate::model::Experiment;

use super::filter::{Field, Filter, Pair};

/// What the user asked to run; empty means everything.
#[derive(Clone, Debug, Default)]
pub(crate) struct Selection {
    /// `--profile GLOB` (any of them).
    pub profiles: Vec<String>,
    /// `--probe GLOB` (any of them).
    pub probes: Vec<String>,
    /// `-E EXPR` (any of them).
    pub filters: Vec<Filter>,
    /// `--rerun-failed[=BUNDLE]`: only the pairs that failed there (`Some(None)`: the latest
    /// run of the experiment under the output root).
    pub rerun_failed: Option<Option<PathBuf>>,
    /// The bundle `mismatched` reads when `--rerun-failed` names none, instead of the latest
    /// run (a guest world's run gets the one its host chose: the guest has no `latest`).
    pub reference: Option<PathBuf>,
}

impl Selection {
    pub(crate) fn is_everything(&self) -> bool {
        self.profiles.is_empty()
            && self.probes.is_empty()
            && self.filters.is_empty()
            && self.rerun_failed.is_none()
    }

    /// Whether a reference bundle must be read (`--rerun-failed`, or `mismatched` in `-E`).
    pub(crate) fn needs_reference(&self) -> bool {
        self.rerun_failed.is_some() || self.filters.iter().any(|f| f.expr.uses_mismatched())
    }

    /// The selection as one expression, for the manifest and the report.
    pub(crate) fn describe(&self) -> String {
        let mut parts = Vec::new();
        let any = |field: &str, globs: &[String]| {
            let alternatives: Vec<String> = globs.iter().map(|g| format!("{field}({g})")).collect();
            alternatives.join(" | ")
        };
        if !self.profiles.is_empty() {
            parts.push(any("profile", &self.profiles));
        }
        if !self.probes.is_empty() {
            parts.push(any("probe", &self.probes));
        }
        if !self.filters.is_empty() {
            let texts: Vec<&str> = self.filters.iter().map(|f| f.text.as_str()).collect();
            parts.push(texts.join(" | "));
        }
        if self.rerun_failed.is_some() {
            parts.push("mismatched".into());
        }
        match parts.len() {
            0 => "all".into(),
            1 => parts.remove(0),
            // `&` binds tighter than `|`: a part with `|` keeps its meaning in parentheses.
            _ => parts
                .iter()
                .map(|p| match p.contains('|') {
                    true => format!("({p})"),
                    false => p.clone(),
                })
                .collect::<Vec<_>>()
                .join(" & "),
        }
    }
}

/// The pairs that failed (a mismatch that is not `known`) in a reference bundle.
#[derive(Clone, Debug)]
pub(crate) struct Failed {
    pub bundle: PathBuf,
    /// The run id the bundle records (a path would tie the bundle to this host's layout).
    pub run_id: String,
    pub ids: BTreeSet<String>,
}

/// Profiles × probes, one bit per pair.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PairMask {
    probes: usize,
    bits: Vec<bool>,
}

impl PairMask {
    pub(crate) fn all(profiles: usize, probes: usize) -> PairMask {
        PairMask {
            probes,
            bits: vec![true; profiles * probes],
        }
    }

    pub(crate) fn contains(&self, profile: usize, probe: usize) -> bool {
        self.bits[profile * self.probes + probe]
    }

    pub(crate) fn count(&self) -> usize {
        self.bits.iter().filter(|b| **b).count()
    }
}

/// A selection checked against an experiment.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Selected {
    /// The selection as one expression (`all` when nothing was asked).
    pub expression: String,
    /// Pairs selected, of `total`.
    pub pairs: usize,
    pub total: usize,
    /// The run id of the reference bundle `mismatched` was read from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    #[serde(skip)]
    pub mask: PairMask,
}

#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub(crate) enum SelectError {
    #[error("{flag} {glob}: no {kind} of experiment `{experiment}` matches")]
    #[diagnostic(code(xpr::select::no_match))]
    NoMatch {
        flag: &'static str,
        glob: String,
        kind: &'static str,
        experiment: String,
        #[help]
        help: String,
    },
    #[error(transparent)]
    #[diagnostic(transparent)]
    FilterNoMatch(Box<FilterNoMatch>),
    #[error("the selection `{expression}` selects no pair of experiment `{experiment}`")]
    #[diagnostic(
        code(xpr::select::empty),
        help("`xpr list FILE` shows the profiles, probes and expectations to select from")
    )]
    Empty {
        expression: String,
        experiment: String,
    },
    #[error("no earlier run of `{experiment}` under {} to take the mismatches from", .dir.display())]
    #[diagnostic(
        code(xpr::select::no_reference),
        help("run the experiment once, or name a bundle: --rerun-failed=BUNDLE")
    )]
    NoReference { experiment: String, dir: PathBuf },
    #[error("cannot read the mismatches of {}", .path.display())]
    #[diagnostic(code(xpr::select::reference))]
    ReferenceOpen {
        path: PathBuf,
        #[source]
        source: OpenError,
    },
    #[error("cannot read the mismatches of {}", .path.display())]
    #[diagnostic(
        code(xpr::select::reference),
        help("a bundle that does not verify is not used as evidence; see `xpr verify`")
    )]
    ReferenceLoad {
        path: PathBuf,
        #[source]
        source: LoadError,
    },
    #[error("{} is a run of experiment `{theirs}`, not of `{ours}`", .path.display())]
    #[diagnostic(code(xpr::select::reference))]
    OtherExperiment {
        path: PathBuf,
        theirs: String,
        ours: String,
    },
}

/// A glob of a filter expression that matches nothing, pointed at in the expression.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("`{field}({glob})` matches no {field} of experiment `{experiment}`")]
#[diagnostic(code(xpr::select::no_match))]
pub(crate) struct FilterNoMatch {
    field: &'static str,
    glob: String,
    experiment: String,
    #[source_code]
    source_code: NamedSource<String>,
    #[label("matches nothing")]
    at: SourceSpan,
    #[help]
    help: String,
}

/// Reads the failed pairs of `path` (any bundle format; verified first), which must be a run of
/// experiment `experiment` when it says which experiment it ran.
pub(crate) fn failed_in(path: &Path, experiment: &str) -> Result<Failed, SelectError> {
    let view = bundle::open(path)
        .map_err(|source| SelectError::ReferenceOpen {
            path: path.to_path_buf(),
            source,
        })?
        .load()
        .map_err(|source| SelectError::ReferenceLoad {
            path: path.to_path_buf(),
            source,
        })?;
    if let Some(theirs) = view.facts.get("experiment").and_then(|v| v.as_str())
        && theirs != experiment
    {
        return Err(SelectError::OtherExperiment {
            path: path.to_path_buf(),
            theirs: theirs.to_string(),
            ours: experiment.to_string(),
        });
    }
    let ids = view
        .expectations
        .values()
        .filter(|v| !v.mismatches.is_empty() && v.known.is_none())
        .map(|v| v.id.clone())
        .collect();
    Ok(Failed {
        bundle: path.to_path_buf(),
        run_id: view.run_id,
        ids,
    })
}

/// The reference bundle of `--rerun-failed` / `mismatched`: the one named, or the latest run
/// of the experiment under `out_root`.
pub(crate) fn reference(
    selection: &Selection,
    out_root: &Path,
    experiment: &str,
) -> Result<Option<Failed>, SelectError> {
    if !selection.needs_reference() {
        return Ok(None);
    }
    let path = match (&selection.rerun_failed, &selection.reference) {
        (Some(Some(path)), _) | (_, Some(path)) => path.clone(),
        _ => {
            let dir = out_root.join(experiment);
            bundle::open::latest_run(&dir).ok_or(SelectError::NoReference {
                experiment: experiment.to_string(),
                dir,
            })?
        }
    };
    failed_in(&path, experiment).map(Some)
}

/// Checks `selection` against `exp` and computes the selected pairs.
pub(crate) fn select(
    exp: &Experiment,
    selection: &Selection,
    failed: Option<&Failed>,
) -> Result<Selected, SelectError> {
    check_globs(exp, selection)?;
    let expectations: BTreeMap<(&str, &str), Option<&str>> = exp
        .expectations
        .iter()
        .map(|e| ((e.profile.as_str(), e.probe.as_str()), e.known.as_deref()))
        .collect();
    let mut mask = PairMask::all(exp.profiles.len(), exp.probes.len());
    for (i, profile) in exp.profiles.iter().enumerate() {
        for (j, probe) in exp.probes.iter().enumerate() {
            let expectation = expectations.get(&(profile.id.as_str(), probe.id.as_str()));
            let pair = Pair {
                profile: &profile.id,
                probe: &probe.id,
                family: &probe.family,
                expected: expectation.is_some(),
                known: matches!(expectation, Some(Some(_))),
                control: probe.control,
                destructive: probe.destructive,
                mismatched: failed.map(|f| f.ids.contains(&format!("{}/{}", profile.id, probe.id))),
            };
            let any = |globs: &[String], name: &str| {
                globs.is_empty() || globs.iter().any(|g| glob_match::glob_match(g, name))
            };
            mask.bits[i * exp.probes.len() + j] = any(&selection.profiles, &profile.id)
                && any(&selection.probes, &probe.id)
                && (selection.filters.is_empty()
                    || selection.filters.iter().any(|f| f.expr.matches(&pair)))
                && (selection.rerun_failed.is_none() || pair.mismatched == Some(true));
        }
    }
    let selected = Selected {
        expression: selection.describe(),
        pairs: mask.count(),
        total: exp.profiles.len() * exp.probes.len(),
        reference: failed.map(|f| f.run_id.clone()),
        mask,
    };
    // Re-running the failures of a run that had none is not a mistake: there is nothing to do.
    if selected.pairs == 0 && failed.is_none_or(|f| !f.ids.is_empty()) {
        return Err(SelectError::Empty {
            expression: selected.expression,
            experiment: exp.name.clone(),
        });
    }
    Ok(selected)
}

/// Every `--profile`/`--probe` glob and every glob of a filter matches some name.
fn check_globs(exp: &Experiment, selection: &Selection) -> Result<(), SelectError> {
    let profiles: Vec<&str> = exp.profiles.iter().map(|p| p.id.as_str()).collect();
    let probes: Vec<&str> = exp.probes.iter().map(|p| p.id.as_str()).collect();
    let families: Vec<&str> = exp
        .probes
        .iter()
        .map(|p| p.family.as_str())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let ids: Vec<String> = exp
        .profiles
        .iter()
        .flat_map(|p| exp.probes.iter().map(move |q| format!("{}/{}", p.id, q.id)))
        .collect();
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    let names = |field: Field| match field {
        Field::Profile => &profiles,
        Field::Probe => &probes,
        Field::Family => &families,
        Field::Id => &ids,
    };
    let help = |glob: &str, names: &[&str], kind: &str| match crate::diagnostics::did_you_mean(
        glob,
        names.iter().copied(),
    ) {
        Some(near) => format!("did you mean `{near}`?"),
        None => format!("the {kind}s are: {}", names.join(", ")),
    };
    for (flag, globs, field) in [
        ("--profile", &selection.profiles, Field::Profile),
        ("--probe", &selection.probes, Field::Probe),
    ] {
        for glob in globs {
            let names = names(field);
            if !names.iter().any(|n| glob_match::glob_match(glob, n)) {
                return Err(SelectError::NoMatch {
                    flag,
                    glob: glob.clone(),
                    kind: field.as_str(),
                    experiment: exp.name.clone(),
                    help: help(glob, names, field.as_str()),
                });
            }
        }
    }
    for filter in &selection.filters {
        for (field, glob) in filter.expr.globs() {
            let names = names(field);
            if !names
                .iter()
                .any(|n| glob_match::glob_match(&glob.pattern, n))
            {
                return Err(SelectError::FilterNoMatch(Box::new(FilterNoMatch {
                    field: field.as_str(),
                    glob: glob.pattern.clone(),
                    experiment: exp.name.clone(),
                    source_code: NamedSource::new("-E", filter.text.clone()),
                    at: glob.at.into(),
                    help: help(&glob.pattern, names, field.as_str()),
                })));
            }
        }
    }
    Ok(())
}

/// The experiment narrowed to the profiles and probes of the selected pairs (declaration order
/// kept), its expectations to those pairs, and the mask over the narrowed product.
pub(crate) fn narrow(exp: &Experiment, selected: &Selected) -> (Experiment, PairMask) {
    let mask = &selected.mask;
    let profiles: Vec<usize> = (0..exp.profiles.len())
        .filter(|&i| (0..exp.probes.len()).any(|j| mask.contains(i, j)))
        .collect();
    let probes: Vec<usize> = (0..exp.probes.len())
        .filter(|&j| (0..exp.profiles.len()).any(|i| mask.contains(i, j)))
        .collect();
    let mut narrowed = exp.clone();
    narrowed.profiles = profiles.iter().map(|&i| exp.profiles[i].clone()).collect();
    narrowed.probes = probes.iter().map(|&j| exp.probes[j].clone()).collect();
    let mut inner = PairMask::all(profiles.len(), probes.len());
    for (a, &i) in profiles.iter().enumerate() {
        for (b, &j) in probes.iter().enumerate() {
            inner.bits[a * probes.len() + b] = mask.contains(i, j);
        }
    }
    let index = |name: &str, list: &[crate::model::Profile]| list.iter().position(|p| p.id == name);
    narrowed.expectations.retain(|e| {
        let i = index(&e.profile, &narrowed.profiles);
        let j = narrowed.probes.iter().position(|q| q.id == e.probe);
        matches!((i, j), (Some(i), Some(j)) if inner.contains(i, j))
    });
    (narrowed, inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXPERIMENT: &str = r#"
experiment "sel" {
    lanes baseline scenario
}
profile a {
    default deny
}
profile b {
    default deny
}
probe x family=file-read target="/etc/hosts"
probe y family=file-read target="/etc/passwd"
expect a {
    allow x
}
expect b {
    deny y known="documented"
}
"#;

    fn experiment() -> Experiment {
        crate::resolve::load_str("sel.kdl", EXPERIMENT, &Default::default())
            .expect("loads")
            .experiment
    }

    fn filter(text: &str) -> Selection {
        Selection {
            filters: vec![text.parse().expect("parses")],
            ..Selection::default()
        }
    }

    #[test]
    fn narrowing_keeps_declaration_order_and_only_the_selected_expectations() {
        let exp = experiment();
        let selected = select(&exp, &filter("id(b/y) | id(a/x)"), None).unwrap();
        assert_eq!((selected.pairs, selected.total), (2, 4));
        let (narrowed, mask) = narrow(&exp, &selected);
        let ids = |v: Vec<&str>| v.join(",");
        assert_eq!(
            ids(narrowed.profiles.iter().map(|p| p.id.as_str()).collect()),
            "a,b"
        );
        assert_eq!(
            ids(narrowed.probes.iter().map(|p| p.id.as_str()).collect()),
            "x,y"
        );
        assert!(mask.contains(0, 0) && mask.contains(1, 1));
        assert!(
            !mask.contains(0, 1) && !mask.contains(1, 0),
            "not the product"
        );
        assert_eq!(narrowed.expectations.len(), 2);
    }

    #[test]
    fn properties_and_the_reference_bundle_select() {
        let exp = experiment();
        let known = select(&exp, &filter("known"), None).unwrap();
        assert_eq!(known.pairs, 1);
        let failed = Failed {
            bundle: "out/sel/r".into(),
            run_id: "r".into(),
            ids: ["a/x".to_string()].into(),
        };
        let rerun = Selection {
            rerun_failed: Some(None),
            ..Selection::default()
        };
        let s = select(&exp, &rerun, Some(&failed)).unwrap();
        assert_eq!((s.pairs, s.expression.as_str()), (1, "mismatched"));
        let nothing = Failed {
            ids: Default::default(),
            ..failed
        };
        assert_eq!(select(&exp, &rerun, Some(&nothing)).unwrap().pairs, 0);
    }

    #[test]
    fn the_expression_names_every_part() {
        let s = Selection {
            profiles: vec!["a".into(), "b*".into()],
            probes: vec!["x".into()],
            filters: vec!["expected".parse().unwrap()],
            rerun_failed: Some(None),
            reference: None,
        };
        assert_eq!(
            s.describe(),
            "(profile(a) | profile(b*)) & probe(x) & expected & mismatched"
        );
        assert_eq!(Selection::default().describe(), "all");
    }
}
