//! The mount table of a profile (`compiled/<profile>.mounts.json`): the carve-outs of every
//! layer merged into the mounts apply makes, shallowest first, and what each means for the
//! rules that asked for it.
//!
//! At a path the denied rights are the union over the layers (each layer's deepest entry at or
//! above the path decides a right, as in SBPL); the kind of mount follows from them: any read
//! right denied → hidden (an empty read-only mount), else write rights → read-only, execute →
//! `noexec`, nothing → restored (the host's tree bound again inside a carve). A mount whose
//! kind equals the mount around it adds nothing and is left out.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::overlay::{EXEC_RIGHTS, Overlay, READ_RIGHTS, WRITE_RIGHTS, depth};
use crate::compile::linux::rule_paths::{self, Relation};
use crate::world::landlock_rights::{RightKind, right_names};

pub(crate) const MOUNT_PLAN_SCHEMA_VERSION: &str = "xpr.mount_plan.v1";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MountKind {
    /// An empty read-only tmpfs over a directory, an unopenable device node over a file.
    Hidden,
    ReadOnly,
    NoExec,
    ReadOnlyNoExec,
    /// The host's tree at this path, bound again inside a carve.
    Restored,
}

impl MountKind {
    fn from_denied(rights: u64) -> MountKind {
        match (
            rights & READ_RIGHTS != 0,
            rights & WRITE_RIGHTS != 0,
            rights & EXEC_RIGHTS != 0,
        ) {
            (true, _, _) => MountKind::Hidden,
            (false, true, true) => MountKind::ReadOnlyNoExec,
            (false, true, false) => MountKind::ReadOnly,
            (false, false, true) => MountKind::NoExec,
            (false, false, false) => MountKind::Restored,
        }
    }

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            MountKind::Hidden => "hidden",
            MountKind::ReadOnly => "read_only",
            MountKind::NoExec => "no_exec",
            MountKind::ReadOnlyNoExec => "read_only_no_exec",
            MountKind::Restored => "restored",
        }
    }

    pub(crate) fn read_only(self) -> bool {
        matches!(
            self,
            MountKind::Hidden | MountKind::ReadOnly | MountKind::ReadOnlyNoExec
        )
    }

    pub(crate) fn no_exec(self) -> bool {
        matches!(
            self,
            MountKind::Hidden | MountKind::NoExec | MountKind::ReadOnlyNoExec
        )
    }
}

/// `compiled/<profile>.mounts.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct MountPlan {
    pub schema_version: String,
    pub profile: String,
    /// In the order apply attaches them: a mount comes after every mount it lies under.
    pub mounts: Vec<MountEntryPlan>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MountEntryPlan {
    /// Absolute, or `{scratch}` / `{scratch}/...`.
    pub path: String,
    pub kind: MountKind,
    /// Asked for by a `literal`: a directory's whole subtree is covered all the same.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub literal: bool,
    /// Indices of the IR rules that asked for it.
    pub rules: Vec<usize>,
}

/// The mounts the layers' overlays ask for, shallowest first.
pub(crate) fn build(overlays: &[&Overlay]) -> Vec<MountEntryPlan> {
    // Every path an entry names, with the rules naming it there and whether one was literal.
    let mut paths: BTreeMap<String, (bool, Vec<usize>)> = BTreeMap::new();
    for overlay in overlays {
        for (_, entries) in overlay.entries() {
            for e in entries {
                let slot = paths.entry(e.path.text.clone()).or_default();
                slot.0 |= e.path.literal;
                slot.1.push(e.rule);
            }
        }
    }
    let mut order: Vec<(String, bool, Vec<usize>)> = paths
        .into_iter()
        .map(|(p, (literal, mut rules))| {
            rules.sort_unstable();
            rules.dedup();
            (p, literal, rules)
        })
        .collect();
    // `/` holds the scratch root; any other host path is assumed not to (prepare checks).
    order.sort_by_key(|(p, ..)| (p != "/", depth(p), p.clone()));
    let mut mounts: Vec<MountEntryPlan> = Vec::new();
    for (path, literal, rules) in order {
        let denied = overlays.iter().fold(0, |m, o| m | denied_at(o, &path));
        let kind = MountKind::from_denied(denied);
        let around = mounts
            .iter()
            .rev()
            .find(|m| rule_paths::relation(&path, &m.path).0 == Relation::Inside)
            .map(|m| m.kind);
        if around.unwrap_or(MountKind::Restored) != kind {
            mounts.push(MountEntryPlan {
                path,
                kind,
                literal,
                rules,
            });
        }
    }
    mounts
}

/// The rights denied at `path` by one layer: per right, its deepest entry at or above it.
fn denied_at(overlay: &Overlay, path: &str) -> u64 {
    let mut denied = 0;
    for (bit, entries) in overlay.entries() {
        let decides = entries
            .iter()
            .filter(|e| {
                matches!(
                    rule_paths::relation(path, &e.path.text).0,
                    Relation::Same | Relation::Inside
                )
            })
            .max_by_key(|e| depth(&e.path.text));
        if decides.is_some_and(|e| e.deny) {
            denied |= 1 << bit;
        }
    }
    denied
}

/// What the mounts mean for each rule that asked for one: notes, and whether the rule is only
/// approximated. `carved`: per rule, the rights it carved; `usable`: the world's fs rights.
pub(crate) fn rule_notes(
    mounts: &[MountEntryPlan],
    carved: &BTreeMap<usize, u64>,
    usable: u64,
) -> BTreeMap<usize, (bool, Vec<String>)> {
    let mut out: BTreeMap<usize, (bool, Vec<String>)> = BTreeMap::new();
    for m in mounts {
        for &rule in &m.rules {
            let slot = out.entry(rule).or_default();
            let mut note = |approximate: bool, text: String| {
                slot.0 |= approximate;
                if !slot.1.contains(&text) {
                    slot.1.push(text);
                }
            };
            let p = &m.path;
            let read_only = format!(
                "mount: {p} is read-only: writes, mode and owner changes below it fail with EROFS, \
                 moves across its boundary with EXDEV, removing or renaming {p} itself with EBUSY"
            );
            let no_exec = format!("mount: {p} is noexec: executing below it fails with EACCES");
            match m.kind {
                MountKind::Hidden => note(
                    true,
                    format!(
                        "mount: {p} is hidden: below it nothing exists (ENOENT) and nothing can be \
                         written or run; the directory itself lists as empty, a file is replaced by \
                         a device node that cannot be opened (EACCES)"
                    ),
                ),
                MountKind::ReadOnly => note(false, read_only),
                MountKind::NoExec => note(false, no_exec),
                MountKind::ReadOnlyNoExec => {
                    note(false, read_only);
                    note(false, no_exec);
                }
                MountKind::Restored => note(
                    false,
                    format!("mount: {p} is bound again from the host inside the mount around it"),
                ),
            }
            if m.literal {
                note(
                    true,
                    format!("a mount on {p} covers its whole subtree if it is a directory"),
                );
            }
            let wide = match m.kind {
                // Not fs.refer: no SBPL operation names it (a move is an unlink plus a create,
                // spec §7), so the mount taking it away denies nothing the rule leaves allowed.
                MountKind::ReadOnly | MountKind::ReadOnlyNoExec => {
                    WRITE_RIGHTS & !crate::sys::landlock::ACCESS_FS_REFER & usable
                }
                _ => 0,
            };
            let asked = carved.get(&rule).copied().unwrap_or(0);
            if asked & WRITE_RIGHTS != 0 && wide & !asked != 0 {
                note(
                    true,
                    format!(
                        "the read-only mount also denies [{}] below {p}",
                        right_names(RightKind::Fs, wide & !asked).join(" ")
                    ),
                );
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compile::linux::rule_paths::RulePath;

    fn sub(p: &str) -> RulePath {
        RulePath {
            text: p.into(),
            literal: false,
        }
    }
    fn bits(mask: u64) -> impl Iterator<Item = usize> {
        (0..64).filter(move |b| mask & (1 << b) != 0)
    }

    fn kinds(mounts: &[MountEntryPlan]) -> Vec<(&str, MountKind)> {
        mounts.iter().map(|m| (m.path.as_str(), m.kind)).collect()
    }

    #[test]
    fn nested_carves_become_nested_mounts_in_attach_order() {
        let mut o = Overlay::new(true, 0);
        for bit in bits(WRITE_RIGHTS) {
            o.deny(bit, &sub("{scratch}/w/.git"), 0, true);
            o.allow(bit, &sub("{scratch}/w/.git/x"), 1);
        }
        for bit in bits(READ_RIGHTS) {
            o.deny(bit, &sub("{scratch}/w/.git/x/secret"), 2, true);
        }
        let mounts = build(&[&o]);
        assert_eq!(
            kinds(&mounts),
            [
                ("{scratch}/w/.git", MountKind::ReadOnly),
                ("{scratch}/w/.git/x", MountKind::Restored),
                ("{scratch}/w/.git/x/secret", MountKind::Hidden),
            ]
        );
        let notes = rule_notes(&mounts, &o.carved, WRITE_RIGHTS | READ_RIGHTS);
        assert!(
            !notes[&0].0,
            "a whole-write carve is exact: {:?}",
            notes[&0]
        );
        assert!(notes[&2].0, "hiding is approximate");
    }

    #[test]
    fn layers_unite_and_redundant_mounts_are_left_out() {
        let mut a = Overlay::new(true, 0);
        let mut b = Overlay::new(true, 3);
        a.deny(1, &sub("/w"), 0, true);
        a.deny(1, &sub("/w/inner"), 1, true);
        b.deny(0, &sub("/w"), 0, true);
        let mounts = build(&[&a, &b]);
        assert_eq!(kinds(&mounts), [("/w", MountKind::ReadOnlyNoExec)]);
        assert_eq!(mounts[0].rules, [0, 3]);
        let notes = rule_notes(&mounts, &a.carved, WRITE_RIGHTS);
        assert!(notes[&0].0, "write_file alone is narrower than read-only");
        assert!(notes[&0].1.iter().any(|n| n.contains("fs.truncate")));
    }
}
