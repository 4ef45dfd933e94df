//! `xpr shim suggest FILE --profile P`: the smallest shim that lets P's exec probes start,
//! found instead of guessed.
//!
//! 1. Run P's exec probes; those ending `dependency_denied` are the targets.
//! 2. Candidates: with audit, the accesses the sandbox denied the targets' processes (rounds
//!    until they start: the loader's denials only appear once the execve passes); without
//!    audit, the program, interpreter, ld.so cache and libraries named by the ELF headers.
//!    Never a path the probe's own operation is about, so its decision cannot change.
//! 3. Reduce by delta debugging (drop each rule in turn while the probes still start), re-running
//!    every time, so every rule left is needed.
//! 4. Verify: every probe of the experiment under P with and without the shim; the changed
//!    decisions are the shim's divergence.

mod candidates;
mod render;

pub(crate) use candidates::Candidate;
pub use render::kdl;

use crate::execute::{ExecuteError, ExecuteOptions};
use crate::model::{Experiment, Lane, Probe, Verdict, VerdictRecord};
use crate::run::{RunResult, run_experiment};
use crate::world::WorldFacts;

/// Why no shim could be suggested.
#[derive(Debug, thiserror::Error)]
pub enum SuggestError {
    #[error("no profile `{profile}` in {experiment}; {hint}")]
    UnknownProfile {
        profile: String,
        experiment: String,
        /// "did you mean" or the profiles there are.
        hint: String,
    },
    #[error("no exec probe of profile `{0}` ends as dependency_denied: nothing to suggest")]
    NothingToSuggest(String),
    /// The engine is itself sandboxed (a Landlock domain, a seccomp filter): every run of the
    /// search would measure that sandbox too, so none is made (the same check as `xpr run`).
    #[error("the harness cannot give faithful results: {}", .0.join("; "))]
    Harness(Vec<String>),
    /// One of the runs the search makes failed.
    #[error(transparent)]
    Run(#[from] ExecuteError),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    AuditRecords,
    DeltaDebugging,
}

#[derive(Clone, Debug)]
pub struct Suggestion {
    pub profile: String,
    pub shim_name: String,
    pub method: Method,
    pub audit_unavailable: Option<String>,
    pub rules: Vec<Candidate>,
    /// The exec probes that ended `dependency_denied` without the shim.
    pub probes: Vec<String>,
    pub verified: bool,
    /// How many runs the search and verification took.
    pub runs: usize,
    /// `probe: before -> after` for every probe whose observed decision the shim changes.
    pub divergence: Vec<String>,
}

struct Search<'a> {
    exp: &'a Experiment,
    profile: usize,
    world: &'a WorldFacts,
    options: ExecuteOptions,
    runs: usize,
}

fn decision(v: &VerdictRecord) -> String {
    match &v.errno {
        Some(e) => format!("{} {}", v.verdict.as_str(), e.name),
        None => v.verdict.as_str().to_string(),
    }
}

impl Search<'_> {
    /// Runs `probes` under the profile plus `extra` rules (scenario lane only).
    fn run(
        &mut self,
        extra: &[Candidate],
        probes: &[&Probe],
        observe: bool,
    ) -> Result<RunResult, ExecuteError> {
        self.runs += 1;
        let mut exp = self.exp.clone();
        let mut profile = exp.profiles[self.profile].clone();
        profile
            .runtime
            .rules
            .extend(extra.iter().map(|c| c.rule(&shim_name(&profile.id))));
        exp.profiles = vec![profile];
        exp.probes = probes.iter().map(|p| (*p).clone()).collect();
        exp.expectations
            .retain(|e| probes.iter().any(|p| p.id == e.probe));
        exp.lanes = vec![Lane::Scenario];
        let mut options = self.options.clone();
        options.observer_audit = observe;
        run_experiment(&exp, self.world, &options)
    }

    fn still_denied(
        &mut self,
        extra: &[Candidate],
        targets: &[&Probe],
    ) -> Result<Vec<String>, ExecuteError> {
        let r = self.run(extra, targets, false)?;
        Ok(r.verdicts
            .iter()
            .filter(|v| v.verdict == Verdict::DependencyDenied)
            .map(|v| v.probe.clone())
            .collect())
    }
}

pub(crate) fn shim_name(profile: &str) -> String {
    format!("{profile}-suggested")
}

/// The probe's own operation paths (never granted by a suggested shim).
fn own_paths(probe: &Probe) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    if let Some(crate::model::ArgValue::List(argv)) = probe.args.get("argv") {
        out.extend(argv.iter().skip(1).cloned());
    }
    out.into_iter()
        .map(|p| {
            std::fs::canonicalize(&p)
                .map(|c| c.to_string_lossy().into_owned())
                .unwrap_or(p)
        })
        .collect()
}

pub fn suggest(
    exp: &Experiment,
    profile_id: &str,
    world: &WorldFacts,
    options: &ExecuteOptions,
    force_fallback: bool,
) -> Result<Suggestion, SuggestError> {
    let problems = world.harness.problems();
    if !problems.is_empty() {
        return Err(SuggestError::Harness(problems));
    }
    let profile = exp
        .profiles
        .iter()
        .position(|p| p.id == profile_id)
        .ok_or_else(|| {
            let names = exp.profiles.iter().map(|p| p.id.as_str());
            SuggestError::UnknownProfile {
                profile: profile_id.to_string(),
                experiment: exp.name.clone(),
                hint: crate::diagnostics::suggest::help(profile_id, names.clone()).unwrap_or_else(
                    || format!("profiles: {}", names.collect::<Vec<_>>().join(", ")),
                ),
            }
        })?;
    let mut search = Search {
        exp,
        profile,
        world,
        options: options.clone(),
        runs: 0,
    };
    let exec_probes: Vec<&Probe> = exp
        .probes
        .iter()
        .filter(|p| crate::probes::is_exec_family(&p.family))
        .collect();
    let first = search.run(&[], &exec_probes, !force_fallback)?;
    let targets: Vec<&Probe> = exec_probes
        .iter()
        .copied()
        .filter(|p| {
            first
                .verdicts
                .iter()
                .any(|v| v.probe == p.id && v.verdict == Verdict::DependencyDenied)
        })
        .collect();
    if targets.is_empty() {
        return Err(SuggestError::NothingToSuggest(profile_id.to_string()));
    }
    let audit_unavailable = if force_fallback {
        Some("fallback requested".to_string())
    } else {
        first
            .lanes
            .observer
            .as_ref()
            .and_then(|o| o.unavailable.clone())
    };
    let method = if audit_unavailable.is_none() {
        Method::AuditRecords
    } else {
        Method::DeltaDebugging
    };
    let mut rules: Vec<Candidate> = Vec::new();
    match method {
        Method::AuditRecords => {
            let mut result = first;
            for _round in 0..16 {
                let mut added = false;
                for v in result
                    .verdicts
                    .iter()
                    .filter(|v| v.verdict == Verdict::DependencyDenied)
                {
                    let Some(probe) = targets.iter().find(|p| p.id == v.probe) else {
                        continue;
                    };
                    let Some(w) = &v.witness else { continue };
                    let seen: Vec<_> = w.records.iter().chain(&w.incidental).cloned().collect();
                    for c in candidates::from_audit(&seen, &own_paths(probe)) {
                        if !rules.contains(&c) {
                            rules.push(c);
                            added = true;
                        }
                    }
                }
                if !added {
                    break;
                }
                result = search.run(&rules, &targets, true)?;
                if result
                    .verdicts
                    .iter()
                    .all(|v| v.verdict != Verdict::DependencyDenied)
                {
                    break;
                }
            }
        }
        Method::DeltaDebugging => {
            for p in &targets {
                if let Some(program) = p.target.as_deref() {
                    for c in candidates::from_elf(program) {
                        if !rules.contains(&c) {
                            rules.push(c);
                        }
                    }
                }
            }
        }
    }
    // Delta debugging (1-minimal): a rule stays only if the probes fail to start without it.
    let mut i = 0;
    while i < rules.len() {
        let mut without = rules.clone();
        without.remove(i);
        if search.still_denied(&without, &targets)?.is_empty() {
            rules = without;
        } else {
            i += 1;
        }
    }
    // Verify on every probe: before and after, observed.
    let all: Vec<&Probe> = exp.probes.iter().collect();
    let before = search.run(&[], &all, false)?;
    let after = search.run(&rules, &all, false)?;
    let mut divergence = Vec::new();
    for (b, a) in before.verdicts.iter().zip(&after.verdicts) {
        if decision(b) != decision(a) {
            divergence.push(format!("{}: {} -> {}", a.probe, decision(b), decision(a)));
        }
    }
    let started = targets.iter().all(|t| {
        after
            .verdicts
            .iter()
            .any(|v| v.probe == t.id && v.verdict != Verdict::DependencyDenied)
    });
    let only_targets_changed = before
        .verdicts
        .iter()
        .zip(&after.verdicts)
        .all(|(b, a)| decision(b) == decision(a) || targets.iter().any(|t| t.id == a.probe));
    Ok(Suggestion {
        profile: profile_id.to_string(),
        shim_name: shim_name(profile_id),
        method,
        audit_unavailable,
        rules,
        probes: targets.iter().map(|p| p.id.clone()).collect(),
        verified: started && only_targets_changed,
        runs: search.runs,
        divergence,
    })
}
