//! What a Landlock layer does beyond the rules it was built from: side effects that change
//! requests *other* entries decide in SBPL (spec §7, "Side effects"). Each one becomes a note
//! on every entry whose SBPL decisions it can change, and that entry is then `approximate`:
//!
//! - **Shared rights.** One Landlock right serves several SBPL operations (`fs.read_file` is
//!   what a read, a sysctl read and the loader of an exec need; `fs.make_reg` is what a create
//!   needs and what a `file-link` rule grants or denies). A rule of one operation that changes
//!   such a right changes the outcome of the others where earlier entries decide them.
//! - **No gain by a move.** Landlock refuses (EXDEV) a rename or link that would give the moved
//!   file rights it did not have; SBPL has no such rule.
//! - **Any domain** denies inspecting processes outside it and mounting; at Landlock ABI 1 it
//!   also refuses every cross-directory move (there is no `fs.refer` to grant).
//!
//! The analysis is conservative: a note says an outcome *can* differ, never that it will.

use std::collections::{BTreeMap, BTreeSet};

use super::operations::{self, covers};
use super::rule_paths::{self, Relation, RulePath};
use super::translate::{FsRight, MAKE_ANY, READ_DIR, REFER, REMOVE_ANY, alternatives, mask_of};
use crate::model::{Action, Fidelity, Filter, ProfileIr, Rule, RuleFidelity};
use crate::source::sysctl::proc_sys_path;
use crate::world::landlock_rights::{RightKind, dir_only_fs_mask, landlock_right, right_names};

/// One effective change of an fs right by a rule (local index), where `region` is `None` for
/// everywhere.
pub(super) struct Change {
    pub rule: usize,
    pub bit: usize,
    pub action: Action,
    pub region: Option<RulePath>,
}

/// A rule path whose symlinks lead elsewhere on this host (`/lib` → `/usr/lib`): Landlock
/// applies the rule at `real`, SBPL matches `written` only.
pub(super) struct Alias {
    pub rule: usize,
    pub written: String,
    pub real: String,
}

/// The operations whose requests a move is made of (spec §7: a rename is an unlink plus a
/// create, a link a `file-link` plus a create).
const MOVE_OPERATIONS: &[&str] = &["file-write-create", "file-write-unlink", "file-link"];

/// Marks a fidelity entry approximate (an unsupported one stays unsupported and keeps its one
/// reason) and adds the note once.
fn add_approx(entry: &mut RuleFidelity, note: &str) {
    if entry.fidelity == Fidelity::Unsupported {
        return;
    }
    entry.fidelity = Fidelity::Approximate;
    match &mut entry.note {
        Some(existing) if existing.split("; ").any(|n| n == note) => {}
        Some(existing) => {
            existing.push_str("; ");
            existing.push_str(note);
        }
        None => entry.note = Some(note.to_string()),
    }
}

/// The paths a rule's filters name (`None`: every path, or a filter without a path).
fn regions(rule: &Rule) -> Option<Vec<RulePath>> {
    let alts = alternatives(&rule.filters);
    if alts.is_empty() {
        return None;
    }
    let mut out = Vec::new();
    for filter in alts {
        let path = match filter {
            Filter::Literal(p) | Filter::Subpath(p) => RulePath {
                text: rule_paths::on_host(rule_paths::normalise(p).ok()?),
                literal: matches!(filter, Filter::Literal(_)),
            },
            Filter::SysctlName(name) => RulePath {
                text: proc_sys_path(name)?,
                literal: true,
            },
            _ => return None,
        };
        out.push(path);
    }
    Some(out)
}

fn related(a: &str, b: &str) -> bool {
    rule_paths::relation(a, b).0 != Relation::Disjoint
}

/// `a` is `b` or lies below it.
fn within(a: &str, b: &str) -> bool {
    matches!(
        rule_paths::relation(a, b).0,
        Relation::Same | Relation::Inside
    )
}

fn intersects(entry: &Option<Vec<RulePath>>, region: &Option<RulePath>) -> bool {
    match (entry, region) {
        (Some(paths), Some(region)) => paths.iter().any(|p| related(&p.text, &region.text)),
        _ => true,
    }
}

/// An entry of one layer: the default (`rule: None`) or a rule (local index).
struct Entry<'a> {
    rule: Option<usize>,
    action: Action,
    /// Operation names as written (`default` for the default action).
    operations: Vec<&'a str>,
    regions: Option<Vec<RulePath>>,
}

impl Entry<'_> {
    fn covers(&self, op: &str) -> bool {
        self.operations.iter().any(|w| covers(w, op))
    }
    /// The entry's position in the layer's fidelity list (the default first).
    fn position(&self) -> usize {
        self.rule.map_or(0, |i| i + 1)
    }
}

fn entries(ir: &ProfileIr) -> Vec<Entry<'_>> {
    std::iter::once(Entry {
        rule: None,
        action: ir.default,
        operations: vec!["default"],
        regions: None,
    })
    .chain(ir.rules.iter().enumerate().map(|(i, rule)| Entry {
        rule: Some(i),
        action: rule.action,
        operations: rule.operations.iter().map(String::as_str).collect(),
        regions: regions(rule),
    }))
    .collect()
}

/// Notes for one layer's fidelity list (`fidelity[0]` is its default), from its final fs state
/// and the changes that led to it.
pub(super) fn layer_notes(
    ir: &ProfileIr,
    fs: &[FsRight],
    changes: &[Change],
    aliases: &[Alias],
    usable_fs: u64,
    offset: usize,
    fidelity: &mut [RuleFidelity],
) {
    let entries = entries(ir);
    for (position, note) in aliased(ir, &entries, aliases, offset) {
        add_approx(&mut fidelity[position], &note);
    }
    for (position, note) in shared_rights(ir, &entries, fs, changes, offset) {
        add_approx(&mut fidelity[position], &note);
    }
    if usable_fs & REFER != 0
        && let Some(note) = move_gain(&entries, fs, usable_fs)
    {
        for e in &entries {
            if e.action == Action::Allow && MOVE_OPERATIONS.iter().any(|op| e.covers(op)) {
                add_approx(&mut fidelity[e.position()], &note);
            }
        }
    }
}

/// Entries whose SBPL decisions a rule on an aliased path can change on Linux: an earlier
/// entry (or the default) of the other action that decides requests at or below where the
/// alias leads, for an operation the rule names too. SBPL never lets the alias decide them;
/// Landlock does.
fn aliased(
    ir: &ProfileIr,
    entries: &[Entry<'_>],
    aliases: &[Alias],
    offset: usize,
) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for alias in aliases {
        let rule = &ir.rules[alias.rule];
        let region = Some(RulePath {
            text: alias.real.clone(),
            literal: false,
        });
        for e in entries
            .iter()
            .filter(|e| e.rule.is_none_or(|j| j < alias.rule))
        {
            let shares = rule
                .operations
                .iter()
                .any(|op| e.operations.iter().any(|w| covers(w, op) || covers(op, w)));
            if e.action == rule.action || !shares || !intersects(&e.regions, &region) {
                continue;
            }
            out.push((
                e.position(),
                format!(
                    "rule {} at {} names {}, which leads to {} on this host: Linux lets that \
                     rule decide there, SBPL does not",
                    alias.rule + offset,
                    rule.origin,
                    alias.written,
                    alias.real
                ),
            ));
        }
    }
    out
}

/// What a later rule changes for an entry: the entry's operations affected, the rights, the
/// direction and where (`None`: everywhere).
struct Shared<'a> {
    operations: BTreeSet<&'a str>,
    rights: BTreeSet<String>,
    action: Action,
    places: BTreeSet<Option<String>>,
}

/// Entries whose operations need a right that a later rule of another operation changes in
/// the other direction, where their paths can meet.
fn shared_rights(
    ir: &ProfileIr,
    entries: &[Entry<'_>],
    fs: &[FsRight],
    changes: &[Change],
    offset: usize,
) -> Vec<(usize, String)> {
    // A right denied everywhere in the end: granting another right cannot allow a request
    // that needs both (an exec needs fs.execute and fs.read_file together).
    let denied_everywhere = |bit: usize| fs[bit].base == Action::Deny && fs[bit].grants.is_empty();
    let mut found: BTreeMap<(usize, usize), Shared> = BTreeMap::new();
    for change in changes {
        let changer = &ir.rules[change.rule];
        let right = 1u64 << change.bit;
        // A sysctl is a file under /proc/sys: changes elsewhere do not touch it.
        let reaches = |op: &str| {
            !op.starts_with("sysctl-")
                || change
                    .region
                    .as_ref()
                    .is_none_or(|r| related(&r.text, "/proc/sys"))
        };
        let jointly_blocked = |op: &str| {
            change.action == Action::Allow
                && operations::JOINTLY
                    .iter()
                    .filter(|(o, _)| *o == op)
                    .flat_map(|(_, rights)| rights.iter())
                    .filter_map(|n| landlock_right(n))
                    .any(|r| {
                        r.mask() != right && denied_everywhere(r.mask().trailing_zeros() as usize)
                    })
        };
        let affected: Vec<&str> = operations::NEEDS
            .iter()
            .filter(|(op, needs)| {
                mask_of(needs) & right != 0
                    && reaches(op)
                    && !jointly_blocked(op)
                    && !changer.operations.iter().any(|w| covers(w, op))
            })
            .map(|(op, _)| *op)
            .collect();
        if affected.is_empty() {
            continue;
        }
        for e in entries
            .iter()
            .filter(|e| e.rule.is_none_or(|j| j < change.rule))
        {
            if e.action == change.action || !intersects(&e.regions, &change.region) {
                continue;
            }
            let ops: Vec<&str> = affected.iter().copied().filter(|op| e.covers(op)).collect();
            if ops.is_empty() {
                continue;
            }
            let slot = found
                .entry((e.position(), change.rule))
                .or_insert_with(|| Shared {
                    operations: BTreeSet::new(),
                    rights: BTreeSet::new(),
                    action: change.action,
                    places: BTreeSet::new(),
                });
            slot.operations.extend(ops);
            slot.rights.extend(right_names(RightKind::Fs, right));
            slot.places
                .insert(change.region.as_ref().map(|r| r.text.clone()));
        }
    }
    found
        .into_iter()
        .map(|((position, rule), shared)| {
            let ops: Vec<&str> = shared.operations.into_iter().collect();
            let rights: Vec<String> = shared.rights.into_iter().collect();
            let verb = match shared.action {
                Action::Allow => "grants",
                Action::Deny => "denies",
            };
            let place = if shared.places.contains(&None) {
                "everywhere".to_string()
            } else {
                let places: Vec<String> = shared.places.into_iter().flatten().collect();
                format!("on {}", places.join(", "))
            };
            (
                position,
                format!(
                    "{} need{} {} on Linux, which rule {} at {} {verb} {place}: SBPL decides {} apart",
                    ops.join(", "),
                    if ops.len() == 1 { "s" } else { "" },
                    rights.join(", "),
                    rule + offset,
                    ir.rules[rule].origin,
                    if ops.len() == 1 { "it" } else { "them" },
                ),
            )
        })
        .collect()
}

/// Where a set of rights is granted: everywhere, or beneath some subpaths.
struct Region<'a> {
    everywhere: bool,
    roots: Vec<&'a RulePath>,
}

fn region_of(fs: &[FsRight], mask: u64) -> Region<'_> {
    let mut region = Region {
        everywhere: false,
        roots: Vec::new(),
    };
    for (bit, right) in fs.iter().enumerate() {
        if mask & (1 << bit) == 0 {
            continue;
        }
        if right.base == Action::Allow {
            region.everywhere = true;
        }
        region
            .roots
            .extend(right.grants.iter().map(|g| &g.path).filter(|p| !p.literal));
    }
    region
}

/// Whether a move can gain a handled right (Landlock then refuses it with EXDEV): some
/// directory a file or directory can be moved into grants it, and some directory it can come
/// from does not. Files compare file rights only; directories every right.
fn move_gain(entries: &[Entry<'_>], fs: &[FsRight], usable: u64) -> Option<String> {
    let make = region_of(fs, MAKE_ANY & usable);
    if !make.everywhere && make.roots.is_empty() {
        return None;
    }
    let remove = region_of(fs, REMOVE_ANY & usable);
    // A link's source needs no right of its own on Linux: wherever file-link may be allowed,
    // any directory is a source.
    let from_anywhere = remove.everywhere
        || entries
            .iter()
            .any(|e| e.action == Action::Allow && e.covers("file-link"));
    let file_rights = usable & !dir_only_fs_mask();
    let mut gains: [BTreeSet<String>; 2] = [BTreeSet::new(), BTreeSet::new()];
    for (bit, right) in fs.iter().enumerate() {
        let mask = 1u64 << bit;
        if right.base != Action::Deny || usable & mask == 0 || mask == REFER {
            continue;
        }
        for (kind, gained) in gains.iter_mut().enumerate() {
            let files = kind == 0;
            if files && file_rights & mask == 0 {
                continue;
            }
            // A literal grant moves with its node; only a directory's listing stays behind.
            let grants: Vec<&str> = right
                .grants
                .iter()
                .filter(|g| !g.path.literal || (!files && mask == READ_DIR))
                .map(|g| g.path.text.as_str())
                .collect();
            let into = if make.everywhere {
                !grants.is_empty()
            } else {
                make.roots
                    .iter()
                    .any(|m| grants.iter().any(|g| related(&m.text, g)))
            };
            let from_without = if from_anywhere {
                !grants.contains(&"/")
            } else {
                remove
                    .roots
                    .iter()
                    .any(|m| !grants.iter().any(|g| within(&m.text, g)))
            };
            if into && from_without {
                gained.extend(right_names(RightKind::Fs, mask));
            }
        }
    }
    let describe = |what: &str, rights: &BTreeSet<String>| {
        (!rights.is_empty()).then(|| {
            format!(
                "{what} into a directory where this layer grants {} from one where it does not \
                 fails with EXDEV (Landlock refuses a move that gains rights)",
                rights.iter().cloned().collect::<Vec<_>>().join(", ")
            )
        })
    };
    let notes: Vec<String> = [
        describe("moving or linking a file", &gains[0]),
        describe("moving a directory", &gains[1]),
    ]
    .into_iter()
    .flatten()
    .collect();
    (!notes.is_empty()).then(|| notes.join("; "))
}

/// Notes that depend on the whole domain (every layer of a stack): what any Landlock domain
/// denies, and moves at ABI 1. `layers` gives, per IR layer, the position of its default in
/// `fidelity` and its IR.
pub(super) fn domain_notes(
    fidelity: &mut [RuleFidelity],
    layers: &[(usize, &ProfileIr)],
    has_domain: bool,
    refer_usable: bool,
) {
    if !has_domain {
        return;
    }
    for (base, ir) in layers {
        for e in entries(ir) {
            if e.action != Action::Allow {
                continue;
            }
            let entry = &mut fidelity[base + e.position()];
            if e.rule.is_none() {
                add_approx(
                    entry,
                    "this profile creates a Landlock domain, which denies inspecting processes \
                     outside it (process-info: EPERM) and mounting, whatever the rules say",
                );
            }
            if !refer_usable && MOVE_OPERATIONS.iter().any(|op| e.covers(op)) {
                add_approx(
                    entry,
                    "Landlock ABI 1 has no fs.refer: every rename or link into another directory \
                     fails with EXDEV inside the domain",
                );
            }
        }
    }
}
