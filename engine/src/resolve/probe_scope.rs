//! Which probes run under which profile (spec §2.4). Without a scope every probe runs under
//! every profile. A profile's `probes NAME-OR-GLOB...` and every `expect PROFILE scope=#true`
//! block that matches it add probes to its scope; a variant (`extends`) without a scope of its
//! own takes its base's. An expectation for a pair outside its profile's scope is an error:
//! that pair never runs.

use std::collections::BTreeSet;

use crate::decode::syntax::{ExpectDecl, Text};
use crate::diagnostics::codes;
use crate::model::{Expectation, Probe, Profile};
use crate::source::FileId;

use super::context::Cx;
use super::declarations::Declarations;

fn is_glob(s: &str) -> bool {
    s.contains(['*', '?', '['])
}

/// Sets `Profile::probes` for every scoped profile and checks the expectations against it.
pub(crate) fn resolve_scopes(
    cx: &mut Cx,
    decls: &Declarations,
    expects: &[(FileId, &ExpectDecl)],
    profiles: &mut [Profile],
    probes: &[Probe],
    expectations: &[Expectation],
) {
    let probe_ids: Vec<&str> = probes.iter().map(|p| p.id.as_str()).collect();
    let mut chosen: Vec<Option<BTreeSet<usize>>> = vec![None; profiles.len()];
    for (i, profile) in profiles.iter().enumerate() {
        let Some(at) = decls.profiles.get(&profile.id) else {
            continue;
        };
        let (file, decl) = &decls.profiles.items[at];
        if let Some(names) = &decl.probes {
            let set = chosen[i].get_or_insert_with(BTreeSet::new);
            for name in names {
                let name = Text {
                    value: cx.subst(*file, name),
                    span: name.span,
                };
                set.extend(matching(cx, *file, &name, &probe_ids));
            }
        }
    }
    for (file, decl) in expects.iter().filter(|(_, d)| d.scope) {
        let pattern = cx.subst(*file, &decl.pattern);
        let named: Vec<usize> = decl
            .entries
            .iter()
            .flat_map(|e| e.probes.iter())
            .filter_map(|p| probe_ids.iter().position(|id| *id == p.value))
            .collect();
        for (i, profile) in profiles.iter().enumerate() {
            let matches = if is_glob(&pattern) {
                glob_match::glob_match(&pattern, &profile.id)
            } else {
                pattern == profile.id
            };
            if matches {
                chosen[i]
                    .get_or_insert_with(BTreeSet::new)
                    .extend(named.iter().copied());
            }
        }
    }
    // A variant without a scope of its own runs what its base runs.
    for i in 0..profiles.len() {
        if chosen[i].is_some() {
            continue;
        }
        let mut base = profiles[i].extends.clone();
        let mut hops = 0;
        while let Some(b) = base {
            let Some(j) = profiles.iter().position(|p| p.id == b) else {
                break;
            };
            if let Some(set) = &chosen[j] {
                chosen[i] = Some(set.clone());
                break;
            }
            base = profiles[j].extends.clone();
            hops += 1;
            if hops > profiles.len() {
                break;
            }
        }
    }
    for (profile, set) in profiles.iter_mut().zip(chosen) {
        profile.probes = set.map(|s| s.into_iter().map(|i| probes[i].id.clone()).collect());
    }
    for e in expectations {
        let Some(profile) = profiles.iter().find(|p| p.id == e.profile) else {
            continue;
        };
        if profile.runs(&e.probe) {
            continue;
        }
        let scope = profile.probes.as_deref().unwrap_or_default().join(", ");
        let diag = cx
            .error_at_origin(
                codes::OUT_OF_SCOPE,
                &e.origin,
                format!(
                    "expectation `{}`: probe `{}` does not run under profile `{}`",
                    e.id, e.probe, e.profile
                ),
                "out of the profile's probe scope",
            )
            .help(format!(
                "profile `{}` runs only: {scope}; add `{}` to its `probes`, or mark this block `scope=#true`",
                e.profile, e.probe
            ));
        cx.push(diag);
    }
}

/// The probes a name or glob of a `probes` list names; an unknown name or a glob that matches
/// nothing is an error.
fn matching(cx: &mut Cx, file: FileId, name: &Text, probe_ids: &[&str]) -> Vec<usize> {
    if is_glob(&name.value) {
        let found: Vec<usize> = probe_ids
            .iter()
            .enumerate()
            .filter(|(_, id)| glob_match::glob_match(&name.value, id))
            .map(|(i, _)| i)
            .collect();
        if found.is_empty() {
            let diag = cx
                .error(
                    codes::UNKNOWN_PROBE,
                    file,
                    name.span,
                    format!("`{}` matches no probe", name.value),
                    "matches nothing",
                )
                .help(format!("probes: {}", probe_ids.join(", ")));
            cx.push(diag);
        }
        return found;
    }
    match probe_ids.iter().position(|id| *id == name.value) {
        Some(i) => vec![i],
        None => {
            cx.unknown_ref(
                codes::UNKNOWN_PROBE,
                "probe",
                file,
                name,
                probe_ids.iter().copied(),
            );
            Vec::new()
        }
    }
}
