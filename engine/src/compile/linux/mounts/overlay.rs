//! The mount carve-outs of one layer, replayed in rule order beside the Landlock state.
//!
//! `translate` replays every filesystem rule per Landlock right; where a deny would carve an
//! exception out of what Landlock allows (an allowed base, or a subtree a grant covers), it
//! cannot express it and hands the carve to this overlay instead. Per right, the overlay keeps
//! path entries, each a deny (a carve) or an allow (a re-allow inside a carve), with SBPL's
//! "last matching rule wins": a rule on a path overrides every entry at or below it.
//!
//! Rights a mount can take away: the read rights (an empty mount hides the subtree), the write
//! rights (a read-only mount) and `fs.execute` (a `noexec` mount). A carve of any other right
//! (device ioctls) has no mount that expresses it.

use std::collections::{BTreeMap, BTreeSet};

use super::super::rule_paths::{self, Relation, RulePath};
use crate::sys::landlock as ll;

/// Rights an empty (hidden) mount takes away.
pub(crate) const READ_RIGHTS: u64 = ll::ACCESS_FS_READ_FILE | ll::ACCESS_FS_READ_DIR;
/// Rights a read-only mount takes away.
pub(crate) const WRITE_RIGHTS: u64 = ll::ACCESS_FS_WRITE_FILE
    | ll::ACCESS_FS_TRUNCATE
    | ll::ACCESS_FS_MAKE_CHAR
    | ll::ACCESS_FS_MAKE_DIR
    | ll::ACCESS_FS_MAKE_REG
    | ll::ACCESS_FS_MAKE_SOCK
    | ll::ACCESS_FS_MAKE_FIFO
    | ll::ACCESS_FS_MAKE_BLOCK
    | ll::ACCESS_FS_MAKE_SYM
    | ll::ACCESS_FS_REMOVE_DIR
    | ll::ACCESS_FS_REMOVE_FILE
    | ll::ACCESS_FS_REFER;
/// Rights a `noexec` mount takes away.
pub(crate) const EXEC_RIGHTS: u64 = ll::ACCESS_FS_EXECUTE;
/// Everything some mount expresses.
pub(crate) const MOUNTABLE: u64 = READ_RIGHTS | WRITE_RIGHTS | EXEC_RIGHTS;

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Entry {
    pub path: RulePath,
    /// A carve (deny) or a re-allow inside one.
    pub deny: bool,
    /// Global rule index.
    pub rule: usize,
}

#[derive(Debug, Default)]
pub(crate) struct Overlay {
    /// Whether this world uses the mount mechanism; without it nothing is recorded and every
    /// carve stays unsupported.
    pub enabled: bool,
    /// Added to local rule indices (a layer of a stack starts past 0).
    offset: usize,
    /// Per Landlock right bit.
    entries: BTreeMap<usize, Vec<Entry>>,
    /// Per global rule index: the rights it carved out.
    pub carved: BTreeMap<usize, u64>,
    /// Literal host paths assumed not to contain the scratch root (as in `translate`).
    pub assumptions: BTreeSet<String>,
}

impl Overlay {
    pub(crate) fn new(enabled: bool, offset: usize) -> Overlay {
        Overlay {
            enabled,
            offset,
            ..Overlay::default()
        }
    }

    /// An unfiltered rule set the right everywhere: nothing is left to carve or re-allow.
    pub(crate) fn clear(&mut self, bit: usize) {
        self.entries.remove(&bit);
    }

    /// A filtered allow of `bit` on `path` (Landlock has granted it or allows it anyway).
    pub(crate) fn allow(&mut self, bit: usize, path: &RulePath, rule: usize) {
        if !self.enabled {
            return;
        }
        self.override_below(bit, path);
        if self.nearest(bit, path).is_some_and(|e| e.deny) {
            self.push(bit, path, false, rule);
        }
    }

    /// A filtered deny of `bit` on `path`; `carve`: Landlock allows the right there, so only a
    /// mount can take it away.
    pub(crate) fn deny(&mut self, bit: usize, path: &RulePath, rule: usize, carve: bool) {
        if carve {
            *self.carved.entry(rule + self.offset).or_default() |= 1 << bit;
        }
        if !self.enabled {
            return;
        }
        self.override_below(bit, path);
        if carve && MOUNTABLE & (1 << bit) != 0 {
            self.push(bit, path, true, rule);
        }
    }

    /// The entries left for each right bit, in rule order.
    pub(crate) fn entries(&self) -> impl Iterator<Item = (usize, &[Entry])> {
        self.entries.iter().map(|(bit, e)| (*bit, e.as_slice()))
    }

    fn push(&mut self, bit: usize, path: &RulePath, deny: bool, rule: usize) {
        self.entries.entry(bit).or_default().push(Entry {
            path: path.clone(),
            deny,
            rule: rule + self.offset,
        });
    }

    /// A later rule on `path` decides `path` and (a subpath) everything below it.
    fn override_below(&mut self, bit: usize, path: &RulePath) {
        let Some(list) = self.entries.get_mut(&bit) else {
            return;
        };
        let assumptions = &mut self.assumptions;
        list.retain(|e| {
            let (relation, assumed) = rule_paths::relation(&e.path.text, &path.text);
            if let Some(literal) = assumed {
                assumptions.insert(literal);
            }
            match relation {
                Relation::Same => false,
                // A literal rule decides its node only: entries below it stay.
                Relation::Inside => path.literal,
                Relation::Contains | Relation::Disjoint => true,
            }
        });
    }

    /// The entry of `bit` that decides `path`: the deepest one at or above it.
    fn nearest(&self, bit: usize, path: &RulePath) -> Option<&Entry> {
        self.entries
            .get(&bit)?
            .iter()
            .filter(|e| {
                matches!(
                    rule_paths::relation(&path.text, &e.path.text).0,
                    Relation::Same | Relation::Inside
                )
            })
            .max_by_key(|e| depth(&e.path.text))
    }
}

/// Components below the root (`/` and `{scratch}` are 0).
pub(crate) fn depth(path: &str) -> usize {
    path.split('/')
        .filter(|p| !p.is_empty() && *p != rule_paths::SCRATCH)
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sub(p: &str) -> RulePath {
        RulePath {
            text: p.into(),
            literal: false,
        }
    }
    const W: usize = 1; // fs.write_file

    fn summary(o: &Overlay) -> Vec<(String, bool, usize)> {
        o.entries()
            .flat_map(|(_, es)| es.iter().map(|e| (e.path.text.clone(), e.deny, e.rule)))
            .collect()
    }

    #[test]
    fn last_matching_rule_wins_over_carves_and_reallows() {
        let mut o = Overlay::new(true, 0);
        o.deny(W, &sub("/w/.git"), 1, true);
        o.allow(W, &sub("/w/.git/x"), 2);
        assert_eq!(
            summary(&o),
            [("/w/.git".into(), true, 1), ("/w/.git/x".into(), false, 2)]
        );
        // An allow outside any carve is Landlock's business.
        o.allow(W, &sub("/elsewhere"), 3);
        assert_eq!(summary(&o).len(), 2);
        // A later allow of the whole tree overrides both.
        o.allow(W, &sub("/w"), 4);
        assert!(summary(&o).is_empty());
        o.deny(W, &sub("/w/.git"), 5, true);
        o.clear(W);
        assert!(summary(&o).is_empty());
        assert_eq!(o.carved[&1], 1 << W);
    }

    #[test]
    fn carves_are_recorded_and_only_mountable_rights_mounted() {
        let mut o = Overlay::new(true, 10);
        let ioctl = ll::ACCESS_FS_IOCTL_DEV.trailing_zeros() as usize;
        o.deny(W, &sub("/w"), 0, true);
        o.deny(ioctl, &sub("/w"), 0, true);
        assert_eq!(o.carved[&10], (1 << W) | ll::ACCESS_FS_IOCTL_DEV);
        assert_eq!(summary(&o), [("/w".into(), true, 10)]);
        let mut off = Overlay::new(false, 0);
        off.deny(W, &sub("/w"), 0, true);
        assert!(summary(&off).is_empty());
    }
}
