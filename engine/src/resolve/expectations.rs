//! Expectations: a profile id or glob × probes → one expectation per (profile, probe), kept
//! for the current world only. Ids are `<profile>/<probe>`, never the world. One pair may
//! have several expectations scoped to disjoint Landlock ABIs (`mechanism=`, `landlock-abi=`);
//! the run picks the one its world admits (`Experiment::expectation_for`).

use std::collections::{HashMap, HashSet};

use crate::decode::syntax::{ExpectDecl, Text};
use crate::diagnostics::{codes, suggest};
use crate::model::{AbiScope, Expectation, Expected, Probe, Profile};
use crate::source::FileId;

use super::context::Cx;
use super::probes::check_world;

fn is_glob(s: &str) -> bool {
    s.contains(['*', '?', '[', '{'])
}

pub(crate) fn resolve_expectations(
    cx: &mut Cx,
    expects: &[(FileId, &ExpectDecl)],
    profiles: &[Profile],
    profile_names: &[&str],
    probes: &[Probe],
    probe_names: &[&str],
    world: &str,
) -> Vec<Expectation> {
    let mut out: Vec<Expectation> = Vec::new();
    let mut seen: HashMap<String, Vec<(FileId, Text, AbiScope)>> = HashMap::new();
    let profile_set: HashSet<&str> = profile_names.iter().copied().collect();
    let probe_set: HashSet<&str> = probe_names.iter().copied().collect();
    for (file, decl) in expects {
        let file = *file;
        let pattern = cx.subst(file, &decl.pattern);
        let matched: Vec<&str> = if is_glob(&pattern) {
            let m: Vec<&str> = profile_names
                .iter()
                .copied()
                .filter(|p| glob_match::glob_match(&pattern, p))
                .collect();
            if m.is_empty() {
                let diag = cx
                    .error(
                        codes::NO_MATCHING_PROFILE,
                        file,
                        decl.pattern.span,
                        format!("`{pattern}` matches no profile"),
                        "matches nothing",
                    )
                    .help(format!("profiles: {}", profile_names.join(", ")));
                cx.push(diag);
            }
            m
        } else if let Some(&known) = profile_set.get(pattern.as_str()) {
            vec![known]
        } else {
            let name = Text {
                value: pattern.clone(),
                span: decl.pattern.span,
            };
            cx.unknown_ref(
                codes::UNKNOWN_PROFILE,
                "profile",
                file,
                &name,
                profile_names.iter().copied(),
            );
            Vec::new()
        };
        for entry in &decl.entries {
            let world_ok = entry
                .world
                .as_ref()
                .is_none_or(|w| check_world(cx, file, w));
            if let Some(errno) = &entry.errno {
                check_errno(cx, file, entry.action, errno);
            }
            let mut known_probes = Vec::new();
            for probe in &entry.probes {
                let name = cx.subst(file, probe);
                if probe_set.contains(name.as_str()) {
                    known_probes.push((name, probe));
                } else {
                    let text = Text {
                        value: name,
                        span: probe.span,
                    };
                    cx.unknown_ref(
                        codes::UNKNOWN_PROBE,
                        "probe",
                        file,
                        &text,
                        probe_names.iter().copied(),
                    );
                }
            }
            let scope = entry_scope(cx, file, entry);
            let applies = world_ok && entry.world.as_ref().is_none_or(|w| w.value == world);
            let Some(scope) = scope.filter(|_| applies) else {
                continue;
            };
            for profile in &matched {
                for (probe, probe_text) in &known_probes {
                    let id = format!("{profile}/{probe}");
                    let earlier = seen.entry(id.clone()).or_default();
                    let this = scope.unwrap_or(AbiScope::ANY);
                    if let Some((first_file, first, _)) =
                        earlier.iter().find(|(_, _, s)| s.overlaps(&this))
                    {
                        let diag = cx
                            .error(codes::DUPLICATE_EXPECTATION, file, probe_text.span, format!("expectation `{id}` is given twice for world `{world}`"), "given again here")
                            .note_at(cx.file(*first_file), first.span, "first given here")
                            .help("each (profile, probe) pair takes one expectation per world; restrict one with `world=`, or give them disjoint `landlock-abi=` ranges");
                        cx.push(diag);
                        continue;
                    }
                    earlier.push((file, (*probe_text).clone(), this));
                    let known = entry.known.as_ref().map(|k| cx.subst(file, k));
                    out.push(Expectation {
                        id,
                        profile: profile.to_string(),
                        probe: probe.clone(),
                        decision: entry.action,
                        errno: entry.errno.as_ref().map(|e| e.value.clone()),
                        world: entry.world.as_ref().map(|w| w.value.clone()),
                        landlock_abi: scope,
                        known,
                        origin: cx.origin(file, probe_text.span),
                    });
                }
            }
        }
    }
    // Stable order: profiles, then probes, in declaration order.
    let profile_pos: HashMap<&str, usize> = profiles
        .iter()
        .enumerate()
        .map(|(i, p)| (p.id.as_str(), i))
        .collect();
    let probe_pos: HashMap<&str, usize> = probes
        .iter()
        .enumerate()
        .map(|(i, p)| (p.id.as_str(), i))
        .collect();
    let key = |e: &Expectation| {
        let pos = |m: &HashMap<&str, usize>, k: &str| m.get(k).copied().unwrap_or(usize::MAX);
        (pos(&profile_pos, &e.profile), pos(&probe_pos, &e.probe))
    };
    out.sort_by_cached_key(key);
    out
}

/// The ABIs an entry is for: `Some(None)` any world, `Some(Some(range))` a range, `None` a
/// malformed or empty scope (reported).
fn entry_scope(
    cx: &mut Cx,
    file: FileId,
    entry: &crate::decode::syntax::ExpectEntryDecl,
) -> Option<Option<AbiScope>> {
    let mut scope: Option<AbiScope> = None;
    let bad = |cx: &mut Cx, text: &Text, message: String, help: &str| {
        let diag = cx
            .error(
                codes::INVALID_SCOPE,
                file,
                text.span,
                message,
                "not a world scope",
            )
            .help(help.to_string());
        cx.push(diag);
    };
    if let Some(m) = &entry.mechanism {
        match AbiScope::mechanism(&m.value) {
            Some(s) => scope = Some(s),
            None => {
                bad(
                    cx,
                    m,
                    format!("unknown mechanism `{}`", m.value),
                    "mechanisms are `landlock` (Landlock ABI 1 or later) and `none` (no Landlock)",
                );
                return None;
            }
        }
    }
    if let Some(r) = &entry.landlock_abi {
        match AbiScope::parse(&r.value) {
            Ok(range) => {
                let met = scope.map_or(range, |s| s.intersect(&range));
                if met.is_empty() {
                    bad(
                        cx,
                        r,
                        format!(
                            "`landlock-abi=\"{}\"` and `mechanism=` together admit no world",
                            r.value
                        ),
                        "`mechanism=none` is ABI 0; drop one of the two",
                    );
                    return None;
                }
                scope = Some(met);
            }
            Err(why) => {
                bad(
                    cx,
                    r,
                    format!("`landlock-abi=\"{}\"`: {why}", r.value),
                    "write `>=4`, `<4`, `2`, or `2..5` (both ends included)",
                );
                return None;
            }
        }
    }
    Some(scope)
}

/// `errno=` names an errno (did-you-mean for a typo) and goes with `deny` only: an allowed
/// operation succeeds and has no errno, so `allow P errno=E` could never be checked.
fn check_errno(cx: &mut Cx, file: FileId, action: Expected, errno: &Text) {
    if action == Expected::Allow {
        let diag = cx
            .error(
                codes::ERRNO_WITH_ALLOW,
                file,
                errno.span,
                format!(
                    "`allow` with `errno={}`: an allowed operation has no errno",
                    errno.value
                ),
                "contradicts `allow`",
            )
            .help(format!(
                "drop `errno=`, or write `deny … errno={}` if the operation should fail",
                errno.value
            ));
        cx.push(diag);
        return;
    }
    if crate::model::errno_names::errno_from_name(&errno.value).is_some() {
        return;
    }
    let upper = errno.value.to_ascii_uppercase();
    let help = (crate::model::errno_names::errno_from_name(&upper).is_some())
        .then(|| format!("errno names are upper case: did you mean `{upper}`?"))
        .or_else(|| suggest::help(&errno.value, crate::model::errno_names::errno_names()))
        .unwrap_or_else(|| "write the symbolic name, e.g. EACCES, EPERM, EXDEV".to_string());
    let diag = cx
        .error(
            codes::UNKNOWN_ERRNO,
            file,
            errno.span,
            format!("`{}` is not an errno name", errno.value),
            "unknown errno",
        )
        .help(help);
    cx.push(diag);
}
