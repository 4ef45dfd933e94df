//! IR → Landlock plan + seccomp classes, with a fidelity verdict per rule.
//!
//! SBPL is "last matching rule wins" over a default; Landlock is allow-list only. We replay the
//! rules in order for every Landlock right (and seccomp class), tracking the right's *base*
//! (what applies where no path grant does) and its path/port grants:
//! - an unfiltered rule sets the base and clears the grants (it overrides everything before);
//! - a filtered allow adds a grant when the base is deny (and is redundant otherwise);
//! - a filtered deny is exact when it only removes grants it fully covers (or covers none);
//!   when it would carve an exception out of an allowed subtree (or out of an allowed base)
//!   Landlock cannot express it: the rule is unsupported and apply is blocked.
//!
//! At the end a right whose base is deny is *handled* and its grants become path/port rules;
//! a right whose base is allow stays unhandled (allowed everywhere). `fs.refer` belongs to no
//! operation: every layer grants it on `/` (ABI ≥ 2), so the kernel's reparenting restriction
//! leaves a move to the make and remove rights, as SBPL does.
//!
//! A `literal` grants what Landlock can grant on the node alone: file rights on a file, the
//! listing right on a directory (with its subdirectories: noted). Rights checked on a parent
//! directory (make, remove) are never granted for a literal: granting them on the parent would
//! extend to every sibling, so xpr narrows instead (creating, removing or renaming the literal
//! path is denied, and the rule says so).
//!
//! Fidelity also covers what a rule does to requests other entries decide (`side_effects`):
//! a right shared by two operations (`fs.read_file` for reads, sysctls and exec), Landlock's
//! refusal of moves that gain rights, and the restrictions of any domain.

use std::collections::{BTreeMap, BTreeSet};

use super::mounts::Overlay;
use super::operations::{self, OpClass, Operation};
use super::rule_paths::{self, Relation, RulePath};
use super::rule_text::{filter_text, rule_text};
use super::ruleset_plan::{LayerPlan, PathRulePlan, PortRulePlan, SeccompPlan, SeccompSyscallPlan};
use super::seccomp_program::{self, SECCOMP_ARCH, SECCOMP_COMPILER};
use super::side_effects::{self, Alias, Change};
use crate::compile::Blocked;
use crate::model::{Action, BlockedReason, Filter, NetAddress, ProfileIr, Rule};
use crate::model::{Fidelity, Mechanism, RuleFidelity};
use crate::source::sysctl::proc_sys_path;
use crate::sys::landlock;
use crate::world::landlock_rights::{LANDLOCK_RIGHTS, RightKind, landlock_right, right_names};
use crate::world::{LandlockStatus, WorldFacts};

pub(super) struct Translation {
    pub layers: Vec<LayerPlan>,
    pub seccomp: Option<SeccompPlan>,
    pub bpf: Vec<u8>,
    pub scratch_not_under: Vec<String>,
    pub fidelity: Vec<RuleFidelity>,
    pub blocked: Option<Blocked>,
    /// Per plan layer, the index in `fidelity` of the default action that layer enforces.
    pub layer_defaults: Vec<usize>,
    /// The carves handed to the mount mechanism, one overlay per layer.
    pub overlays: Vec<Overlay>,
}

/// The rule an operation row is applied for.
#[derive(Clone, Copy)]
struct OpContext {
    rule: usize,
    action: Action,
    /// From `name*` or `default`: unrestrictable rows make the rule approximate, not unsupported.
    wildcard: bool,
    /// The operation `default`: acts like the default action (no seccomp classes).
    default_op: bool,
}

/// Who set a base: `None` is the profile's default.
type Setter = Option<usize>;

pub(super) struct Grant {
    pub path: RulePath,
    pub rule: usize,
}

pub(super) struct FsRight {
    pub base: Action,
    set_by: Setter,
    pub grants: Vec<Grant>,
    /// The paths of `grants`, so a repeated allow is found without a scan (a 100,000-rule
    /// profile would otherwise compare every rule with every earlier one).
    granted: BTreeSet<RulePath>,
}

struct NetRight {
    base: Action,
    set_by: Setter,
    ports: Vec<(u16, usize)>,
}

#[derive(Default)]
struct RuleOutcome {
    notes: Vec<String>,
    approximate: bool,
    unsupported: Option<(BlockedReason, String)>,
    /// A deny Landlock cannot subtract: the mount mechanism's, or unsupported without it.
    carve: Option<String>,
    mechanisms: BTreeSet<Mechanism>,
}

impl RuleOutcome {
    fn approx(&mut self, note: impl Into<String>) {
        self.approximate = true;
        self.note(note);
    }
    fn note(&mut self, note: impl Into<String>) {
        let note = note.into();
        if !self.notes.contains(&note) {
            self.notes.push(note);
        }
    }
    fn unsupported(&mut self, reason: BlockedReason, detail: impl Into<String>) {
        if self.unsupported.is_none() {
            self.unsupported = Some((reason, detail.into()));
        }
    }
    fn carve(&mut self, detail: String) {
        self.mechanisms.insert(Mechanism::Mount);
        self.carve.get_or_insert(detail);
    }
}

struct Translator<'a> {
    world: &'a WorldFacts,
    rules: &'a [Rule],
    /// Index of `rules[0]` in the whole profile (a layer of a stack starts past 0): every
    /// index that leaves the translator is global.
    offset: usize,
    fs: Vec<FsRight>,
    net: Vec<NetRight>,
    /// Indexed by scope bit: abstract unix socket, signal.
    scopes: Vec<(Action, Setter)>,
    seccomp: BTreeMap<&'static str, (Action, Vec<usize>)>,
    assumptions: BTreeSet<String>,
    /// Every effective change of an fs right, in rule order (for side effects).
    changes: Vec<Change>,
    /// Host rule paths whose symlinks lead elsewhere: (rule, as written, where they lead).
    aliases: Vec<Alias>,
    overlay: Overlay,
}

fn bits(mask: u64) -> impl Iterator<Item = usize> {
    (0..64).filter(move |b| mask & (1 << b) != 0)
}

pub(super) fn mask_of(names: &[&str]) -> u64 {
    names
        .iter()
        .filter_map(|n| landlock_right(n))
        .fold(0, |m, r| m | r.mask())
}

const SCOPE_UNIX: usize = 0;
const SCOPE_SIGNAL: usize = 1;
const NET_BIND: usize = 0;
const NET_CONNECT: usize = 1;

/// Flattens `require-any` and single-element `require-all` into plain alternatives.
pub(super) fn alternatives(filters: &[Filter]) -> Vec<&Filter> {
    let mut out = Vec::new();
    for filter in filters {
        match filter {
            Filter::RequireAny(items) => out.extend(alternatives(items)),
            Filter::RequireAll(items) if items.len() == 1 => out.extend(alternatives(items)),
            other => out.push(other),
        }
    }
    out
}

/// Creating an entry: checked on the directory it is created in.
pub(super) const MAKE_ANY: u64 = landlock::ACCESS_FS_MAKE_CHAR
    | landlock::ACCESS_FS_MAKE_DIR
    | landlock::ACCESS_FS_MAKE_REG
    | landlock::ACCESS_FS_MAKE_SOCK
    | landlock::ACCESS_FS_MAKE_FIFO
    | landlock::ACCESS_FS_MAKE_BLOCK
    | landlock::ACCESS_FS_MAKE_SYM;
/// Removing an entry: checked on the directory it is removed from.
pub(super) const REMOVE_ANY: u64 = landlock::ACCESS_FS_REMOVE_DIR | landlock::ACCESS_FS_REMOVE_FILE;
const PARENT_SIDE: u64 = MAKE_ANY | REMOVE_ANY;
pub(super) const READ_DIR: u64 = landlock::ACCESS_FS_READ_DIR;
pub(super) const REFER: u64 = landlock::ACCESS_FS_REFER;

/// What an allow rule on `path` can grant of `rights` (a literal: only what Landlock can grant
/// on the node itself), noting where Linux differs from the SBPL meaning. `links`: the
/// operation is about linking the path elsewhere (`file-link`, `file-clone`), which Linux
/// checks as the creation of the new name only, so a literal on the source needs nothing.
fn path_notes(path: &RulePath, rights: u64, links: bool, out: &mut RuleOutcome) -> u64 {
    if path.literal && links {
        return 0;
    }
    if path.literal {
        if rights & PARENT_SIDE != 0 {
            out.approx(format!(
                "creating, removing or renaming {} is checked on its parent directory, which a \
                 literal does not grant (that would extend to every sibling): denied on Linux",
                path.text
            ));
        }
        if rights & READ_DIR != 0 {
            out.approx(format!(
                "if {} is a directory, its subdirectories can be listed too (Landlock grants a \
                 directory's listing with its subtree); files below it are not granted",
                path.text
            ));
        }
        return rights & !PARENT_SIDE;
    }
    if rights & REMOVE_ANY != 0 {
        out.approx(format!(
            "removing, renaming or replacing {} itself is checked on its parent directory, \
             which this rule does not grant: denied on Linux",
            path.text
        ));
    }
    rights
}

pub(super) fn translate(ir: &ProfileIr, world: &WorldFacts, offset: usize) -> Translation {
    let base = ir.default;
    let mut t = Translator {
        world,
        rules: &ir.rules,
        offset,
        fs: (0..64)
            .map(|_| FsRight {
                base,
                set_by: None,
                grants: Vec::new(),
                granted: BTreeSet::new(),
            })
            .collect(),
        net: (0..2)
            .map(|_| NetRight {
                base,
                set_by: None,
                ports: Vec::new(),
            })
            .collect(),
        scopes: vec![(base, None); 2],
        seccomp: BTreeMap::new(),
        assumptions: BTreeSet::new(),
        changes: Vec::new(),
        aliases: Vec::new(),
        overlay: Overlay::new(world.mounts.usable(), offset),
    };
    let default_outcome = t.default_outcome(ir.default);
    let outcomes: Vec<RuleOutcome> = ir
        .rules
        .iter()
        .enumerate()
        .map(|(i, rule)| t.apply_rule(i, rule))
        .collect();
    t.finish(ir, default_outcome, outcomes)
}

impl Translator<'_> {
    fn usable(&self, kind: RightKind) -> u64 {
        self.world.landlock.usable_mask(kind)
    }

    /// Why rights in `mask` cannot be used here.
    fn missing(&self, kind: RightKind, mask: u64) -> (BlockedReason, String) {
        let landlock = &self.world.landlock;
        if landlock.status != LandlockStatus::Available {
            return (
                BlockedReason::MechanismUnavailable,
                format!(
                    "Landlock is not available on this kernel ({:?})",
                    landlock.status
                ),
            );
        }
        let missing: Vec<_> = LANDLOCK_RIGHTS
            .iter()
            .filter(|r| r.kind == kind && mask & r.mask() != 0)
            .collect();
        if let Some(r) = missing
            .iter()
            .find(|r| r.since_abi > landlock.effective_abi)
        {
            return (
                BlockedReason::NotApplicableInWorld,
                format!(
                    "needs {} (Landlock ABI {}); this world's effective ABI is {}",
                    r.name, r.since_abi, landlock.effective_abi
                ),
            );
        }
        let names: Vec<&str> = missing.iter().map(|r| r.name).collect();
        (
            BlockedReason::MechanismUnavailable,
            format!(
                "needs {} which Landlock ABI {} claims but the kernel rejects",
                names.join(", "),
                landlock.effective_abi
            ),
        )
    }

    fn default_outcome(&self, default: Action) -> RuleOutcome {
        let mut out = RuleOutcome::default();
        if default == Action::Allow {
            return out;
        }
        let landlock = &self.world.landlock;
        if landlock.status != LandlockStatus::Available {
            let (reason, detail) = self.missing(RightKind::Fs, 1);
            out.unsupported(reason, detail);
            return out;
        }
        if !landlock.missing_rights.is_empty() {
            out.unsupported(
                BlockedReason::MechanismUnavailable,
                format!(
                    "default deny needs {}: claimed by Landlock ABI {} but rejected by the kernel",
                    landlock.missing_rights.join(", "),
                    landlock.effective_abi
                ),
            );
        }
        out.mechanisms.insert(Mechanism::Landlock);
        out.approx(
            "only Landlock-handled rights become default-deny: stat/chmod/xattr, UDP, fork, \
             signals inside the sandbox and Darwin-only operations stay allowed",
        );
        let unusable: Vec<&str> = LANDLOCK_RIGHTS
            .iter()
            .filter(|r| self.usable(r.kind) & r.mask() == 0)
            .map(|r| r.name)
            .collect();
        if !unusable.is_empty() {
            out.approx(format!(
                "not in Landlock ABI {}, so never denied: {}",
                landlock.effective_abi,
                unusable.join(", ")
            ));
        }
        out
    }

    fn apply_rule(&mut self, i: usize, rule: &Rule) -> RuleOutcome {
        let mut out = RuleOutcome::default();
        // A whole SBPL form the parser kept opaque has no operations to translate.
        if rule.opaque_form_text().is_some() {
            out.unsupported(
                BlockedReason::NotApplicableInWorld,
                "an SBPL form xpr does not model (kept verbatim)",
            );
            return out;
        }
        let alts = alternatives(&rule.filters);
        for name in &rule.operations {
            let resolved = operations::resolve(name);
            for op in &resolved.operations {
                let ctx = OpContext {
                    rule: i,
                    action: rule.action,
                    wildcard: resolved.wildcard,
                    default_op: name == "default",
                };
                self.apply_op(ctx, op, &alts, &mut out);
            }
        }
        out
    }

    fn apply_op(
        &mut self,
        ctx: OpContext,
        op: &Operation,
        alts: &[&Filter],
        out: &mut RuleOutcome,
    ) {
        let OpContext {
            rule: i,
            action,
            wildcard,
            default_op,
        } = ctx;
        let cannot_deny = |out: &mut RuleOutcome, what: &str| {
            if wildcard {
                out.approx(format!("{} {what} on Linux", op.name));
            } else {
                out.unsupported(
                    BlockedReason::NotApplicableInWorld,
                    format!("{} {what} on Linux", op.name),
                );
            }
        };
        match op.class {
            OpClass::Fs {
                rights,
                allow_note,
                deny_note,
            } => {
                let mask = mask_of(rights);
                let usable = mask & self.usable(RightKind::Fs);
                if usable == 0 {
                    let (reason, detail) = self.missing(RightKind::Fs, mask);
                    out.unsupported(reason, format!("{}: {detail}", op.name));
                    return;
                }
                if usable != mask && action == Action::Deny {
                    out.approx(format!(
                        "{} not in this world's Landlock ABI: stays allowed",
                        right_names(RightKind::Fs, mask & !usable).join(", ")
                    ));
                }
                // A literal never grants make rights, so what they would allow does not apply.
                let makes = alts.is_empty() || alts.iter().any(|f| matches!(f, Filter::Subpath(_)));
                let note = match action {
                    Action::Allow if mask & MAKE_ANY != 0 && !makes => None,
                    Action::Allow => allow_note,
                    Action::Deny => deny_note,
                };
                if let Some(note) = note {
                    out.approx(note);
                }
                if alts.is_empty() {
                    out.mechanisms.insert(Mechanism::Landlock);
                    self.fs_unfiltered(i, action, usable);
                }
                for filter in alts {
                    match filter {
                        Filter::Literal(p) | Filter::Subpath(p) => match rule_paths::normalise(p) {
                            Ok(text) => {
                                let text = match rule_paths::resolved_elsewhere(&text) {
                                    Some(real) => {
                                        self.aliases.push(Alias {
                                            rule: i,
                                            written: text.clone(),
                                            real: real.clone(),
                                        });
                                        out.approx(format!(
                                            "{text} leads to {real} on this host: Landlock \
                                             applies the rule to {real} and everything \
                                             reached through it, SBPL to the path as written"
                                        ));
                                        real
                                    }
                                    None => text,
                                };
                                let path = RulePath {
                                    text,
                                    literal: matches!(filter, Filter::Literal(_)),
                                };
                                let granted = if action == Action::Allow {
                                    let links = matches!(op.name, "file-link" | "file-clone");
                                    path_notes(&path, usable, links, out)
                                } else {
                                    usable
                                };
                                if granted != 0 {
                                    self.fs_path(i, action, granted, path, out);
                                }
                            }
                            Err(e) => out.unsupported(BlockedReason::NotApplicableInWorld, e),
                        },
                        other => out.unsupported(
                            BlockedReason::NotApplicableInWorld,
                            format!(
                                "filter {} has no Landlock counterpart (only literal and subpath paths)",
                                filter_text(other)
                            ),
                        ),
                    }
                }
            }
            OpClass::Sysctl { rights } => {
                let mask = mask_of(rights);
                let usable = mask & self.usable(RightKind::Fs);
                if usable == 0 {
                    let (reason, detail) = self.missing(RightKind::Fs, mask);
                    out.unsupported(reason, format!("{}: {detail}", op.name));
                    return;
                }
                out.mechanisms.insert(Mechanism::Landlock);
                out.approx(
                    "a sysctl is a file under /proc/sys on Linux: this rule also decides reading \
                     or writing that file (file-read-data, file-write-data)",
                );
                if alts.is_empty() {
                    let path = RulePath {
                        text: "/proc/sys".into(),
                        literal: false,
                    };
                    self.fs_path(i, action, usable, path, out);
                }
                for filter in alts {
                    match filter {
                        Filter::SysctlName(name) => match proc_sys_path(name) {
                            Some(text) => self.fs_path(
                                i,
                                action,
                                usable,
                                RulePath {
                                    text,
                                    literal: true,
                                },
                                out,
                            ),
                            None => out.unsupported(
                                BlockedReason::NotApplicableInWorld,
                                format!("sysctl {name:?} has no /proc/sys file on Linux"),
                            ),
                        },
                        other => out.unsupported(
                            BlockedReason::NotApplicableInWorld,
                            format!("filter {} is not supported for sysctls", filter_text(other)),
                        ),
                    }
                }
            }
            OpClass::NetConnect | OpClass::NetBind => {
                out.mechanisms.insert(Mechanism::Landlock);
                let connect = op.class == OpClass::NetConnect;
                let index = if connect { NET_CONNECT } else { NET_BIND };
                let mask = 1u64 << index;
                if self.usable(RightKind::Net) & mask == 0 {
                    let (reason, detail) = self.missing(RightKind::Net, mask);
                    out.unsupported(reason, format!("{}: {detail}", op.name));
                    return;
                }
                if alts.is_empty() {
                    if action == Action::Deny {
                        out.approx("only TCP is controlled: UDP and other sockets stay allowed");
                    }
                    self.net_unfiltered(i, action, index);
                    if connect {
                        self.scopes[SCOPE_UNIX] = (action, Some(i));
                    }
                }
                for filter in alts {
                    let address = match (filter, connect) {
                        (Filter::Remote(a), true) | (Filter::Local(a), false) => a,
                        (other, _) => {
                            out.unsupported(
                                BlockedReason::NotApplicableInWorld,
                                format!(
                                    "filter {} is not supported for {}",
                                    filter_text(other),
                                    op.name
                                ),
                            );
                            continue;
                        }
                    };
                    self.net_address(i, action, index, address, out);
                }
            }
            OpClass::Signal => {
                out.mechanisms.insert(Mechanism::Landlock);
                self.signal(i, action, alts, out)
            }
            OpClass::Unrestricted { seccomp_class } => {
                // A rule on the operation `default` acts like the default action, which never
                // switches seccomp classes (that would deny fork to every profile).
                let seccomp_class = seccomp_class.filter(|_| !default_op);
                if action == Action::Allow {
                    if let (Some(class), true) = (seccomp_class, alts.is_empty()) {
                        self.seccomp.insert(class, (Action::Allow, Vec::new()));
                    }
                    if !wildcard {
                        out.note(format!("{} is never restricted on Linux", op.name));
                    }
                    return;
                }
                match (seccomp_class, alts.is_empty()) {
                    (Some(class), true) => {
                        let entry = self
                            .seccomp
                            .entry(class)
                            .or_insert((Action::Deny, Vec::new()));
                        entry.0 = Action::Deny;
                        entry.1.push(i);
                        out.mechanisms.insert(Mechanism::Seccomp);
                        out.approx(format!(
                            "{} is denied with seccomp on every path (EPERM)",
                            op.name
                        ));
                    }
                    (None, true) => cannot_deny(out, "cannot be denied"),
                    (_, false) => cannot_deny(out, "cannot be denied per path"),
                }
            }
            OpClass::Mount => out.approx(if action == Action::Allow {
                "mounting is denied (EPERM) inside any Landlock domain"
            } else {
                "mounting is denied only while a Landlock domain exists"
            }),
            OpClass::ProcessInfo => {
                if action == Action::Allow {
                    out.approx("inspecting processes outside a Landlock domain is always denied");
                } else {
                    cannot_deny(out, "cannot be denied");
                }
            }
            OpClass::Unmapped { why } => {
                if wildcard {
                    out.approx(format!("{}: {why}", op.name));
                } else {
                    out.unsupported(BlockedReason::NotApplicableInWorld, why.to_string());
                }
            }
        }
    }

    fn carve(&self, path: &RulePath, setter: Setter) -> String {
        let what = if path.literal { "literal" } else { "subpath" };
        match setter {
            None => format!(
                "denies {what} {} while the default allows everything: Landlock cannot subtract",
                path.text
            ),
            Some(j) => format!(
                "denies {what} {} where rule {} at {} allows everything: Landlock cannot subtract",
                path.text,
                j + self.offset,
                self.rules[j].origin
            ),
        }
    }

    fn fs_unfiltered(&mut self, i: usize, action: Action, mask: u64) {
        for bit in bits(mask) {
            let right = &mut self.fs[bit];
            if right.base != action || !right.grants.is_empty() {
                self.changes.push(Change {
                    rule: i,
                    bit,
                    action,
                    region: None,
                });
            }
            right.base = action;
            right.set_by = Some(i);
            right.grants.clear();
            right.granted.clear();
            self.overlay.clear(bit);
        }
    }

    fn fs_path(
        &mut self,
        i: usize,
        action: Action,
        mask: u64,
        path: RulePath,
        out: &mut RuleOutcome,
    ) {
        for bit in bits(mask) {
            if action == Action::Allow {
                out.mechanisms.insert(Mechanism::Landlock);
                let right = &mut self.fs[bit];
                if right.base == Action::Deny && right.granted.insert(path.clone()) {
                    right.grants.push(Grant {
                        path: path.clone(),
                        rule: i,
                    });
                    self.changes.push(Change {
                        rule: i,
                        bit,
                        action,
                        region: Some(path.clone()),
                    });
                }
                self.overlay.allow(bit, &path, i);
                continue;
            }
            if self.fs[bit].base == Action::Allow {
                let detail = self.carve(&path, self.fs[bit].set_by);
                out.carve(detail);
                self.overlay.deny(bit, &path, i, true);
                continue;
            }
            let mut carved = false;
            let grants = std::mem::take(&mut self.fs[bit].grants);
            let before = grants.len();
            let mut kept = Vec::new();
            for grant in grants {
                let (relation, assumption) = rule_paths::relation(&path.text, &grant.path.text);
                if let Some(literal) = assumption {
                    self.assumptions.insert(literal);
                }
                // A literal grant covers nothing below its node, except a directory's listing.
                let carves = match relation {
                    Relation::Same => path.literal && !grant.path.literal,
                    Relation::Inside => !grant.path.literal || 1 << bit == READ_DIR,
                    Relation::Contains | Relation::Disjoint => false,
                };
                let removes = match relation {
                    Relation::Same => !carves,
                    Relation::Contains => !path.literal,
                    Relation::Inside | Relation::Disjoint => false,
                };
                if carves {
                    carved = true;
                    out.carve(format!(
                        "denies {} inside {} allowed by rule {} at {}: Landlock cannot carve an exception out of an allowed subtree",
                        path.text,
                        grant.path.text,
                        grant.rule + self.offset,
                        self.rules[grant.rule].origin
                    ));
                }
                if !removes {
                    kept.push(grant);
                }
            }
            self.fs[bit].granted = kept.iter().map(|g| g.path.clone()).collect();
            if kept.len() != before {
                self.changes.push(Change {
                    rule: i,
                    bit,
                    action,
                    region: Some(path.clone()),
                });
            }
            self.fs[bit].grants = kept;
            if !carved {
                out.mechanisms.insert(Mechanism::Landlock);
            }
            self.overlay.deny(bit, &path, i, carved);
        }
    }

    fn net_unfiltered(&mut self, i: usize, action: Action, index: usize) {
        let right = &mut self.net[index];
        right.base = action;
        right.set_by = Some(i);
        right.ports.clear();
    }

    fn net_address(
        &mut self,
        i: usize,
        action: Action,
        index: usize,
        address: &NetAddress,
        out: &mut RuleOutcome,
    ) {
        match address.proto.as_str() {
            "tcp" => {}
            "ip" | "*" => {
                if action == Action::Deny {
                    out.approx("only TCP is controlled: UDP stays allowed");
                }
            }
            "udp" if action == Action::Allow => {
                out.note("UDP is never restricted on Linux");
                return;
            }
            proto => {
                out.unsupported(
                    BlockedReason::NotApplicableInWorld,
                    format!("{proto} endpoints cannot be controlled by Landlock in this world"),
                );
                return;
            }
        }
        if address.host != "*" {
            out.approx(format!(
                "host {:?} ignored: Landlock matches the port on every address",
                address.host
            ));
        }
        let Some(port) = address.port else {
            self.net_unfiltered(i, action, index);
            return;
        };
        let right = &mut self.net[index];
        match action {
            Action::Allow => {
                if right.base == Action::Deny && !right.ports.iter().any(|(p, _)| *p == port) {
                    right.ports.push((port, i));
                }
            }
            Action::Deny => {
                if right.base == Action::Allow {
                    let setter = right.set_by;
                    let who = match setter {
                        None => "the default".to_string(),
                        Some(j) => format!("rule {} at {}", j + self.offset, self.rules[j].origin),
                    };
                    out.unsupported(
                        BlockedReason::NotApplicableInWorld,
                        format!("denies TCP port {port} while {who} allows every port: Landlock cannot subtract"),
                    );
                } else {
                    right.ports.retain(|(p, _)| *p != port);
                }
            }
        }
    }

    fn signal(&mut self, i: usize, action: Action, alts: &[&Filter], out: &mut RuleOutcome) {
        let scope_usable = self.usable(RightKind::Scope) & (1 << SCOPE_SIGNAL) != 0;
        let deny_outside = |t: &mut Self, out: &mut RuleOutcome| {
            if !scope_usable {
                let (reason, detail) = t.missing(RightKind::Scope, 1 << SCOPE_SIGNAL);
                out.unsupported(reason, format!("signal: {detail}"));
            }
            t.scopes[SCOPE_SIGNAL] = (Action::Deny, Some(i));
        };
        if alts.is_empty() {
            match action {
                Action::Allow => self.scopes[SCOPE_SIGNAL] = (Action::Allow, Some(i)),
                Action::Deny => {
                    out.approx("signals to self and within the sandbox stay allowed; signals leaving it get EPERM");
                    deny_outside(self, out);
                }
            }
            return;
        }
        for filter in alts {
            match (filter, action) {
                (Filter::Target(t), Action::Allow) if t == "self" || t == "same-sandbox" => {
                    out.note(format!("signals to {t} are always allowed"));
                }
                (Filter::Target(t), Action::Allow) if t == "others" => {
                    self.scopes[SCOPE_SIGNAL] = (Action::Allow, Some(i));
                }
                (Filter::Target(t), Action::Deny) if t == "others" => deny_outside(self, out),
                (other, _) => out.unsupported(
                    BlockedReason::NotApplicableInWorld,
                    format!(
                        "signal filter {} cannot be expressed (Landlock scopes only deny signals leaving the sandbox)",
                        filter_text(other)
                    ),
                ),
            }
        }
    }

    fn finish(
        self,
        ir: &ProfileIr,
        default_outcome: RuleOutcome,
        mut outcomes: Vec<RuleOutcome>,
    ) -> Translation {
        for (i, outcome) in outcomes.iter_mut().enumerate() {
            if let Some(detail) = outcome.carve.take() {
                match self.carve_fate(&detail, &ir.rules[i], i) {
                    Err((reason, detail)) => outcome.unsupported(reason, detail),
                    Ok(Some(note)) => outcome.approx(note),
                    Ok(None) => {}
                }
            }
        }
        let mut layer = LayerPlan::default();
        let usable_fs = self.usable(RightKind::Fs);
        let mut path_rules: BTreeMap<(String, bool), (u64, BTreeSet<usize>)> = BTreeMap::new();
        for (bit, right) in self.fs.iter().enumerate() {
            let mask = 1u64 << bit;
            if right.base != Action::Deny || usable_fs & mask == 0 || mask == REFER {
                continue;
            }
            layer.handled_fs_mask |= mask;
            for grant in &right.grants {
                let key = (grant.path.text.clone(), grant.path.literal);
                let entry = path_rules.entry(key).or_default();
                entry.0 |= mask;
                entry.1.insert(grant.rule + self.offset);
            }
        }
        let usable_net = self.usable(RightKind::Net);
        let mut port_rules: BTreeMap<u16, (u64, BTreeSet<usize>)> = BTreeMap::new();
        for (index, right) in self.net.iter().enumerate() {
            let mask = 1u64 << index;
            if right.base != Action::Deny || usable_net & mask == 0 {
                continue;
            }
            layer.handled_net_mask |= mask;
            for (port, rule) in &right.ports {
                let entry = port_rules.entry(*port).or_default();
                entry.0 |= mask;
                entry.1.insert(*rule + self.offset);
            }
        }
        let usable_scope = self.usable(RightKind::Scope);
        for (index, (action, _)) in self.scopes.iter().enumerate() {
            let mask = 1u64 << index;
            if *action == Action::Deny && usable_scope & mask != 0 {
                layer.scoped_mask |= mask;
            }
        }
        // Reparenting has no SBPL permission of its own: grant it on `/` in every layer (the
        // kernel refuses it otherwise in any domain that handles a file right, and a layer
        // handling none of them still takes part in the check when another layer does).
        if layer.handled_fs_mask | layer.handled_net_mask | layer.scoped_mask != 0
            && usable_fs & REFER != 0
        {
            layer.handled_fs_mask |= REFER;
            path_rules.entry(("/".to_string(), false)).or_default().0 |= REFER;
        }
        layer.handled_fs = right_names(RightKind::Fs, layer.handled_fs_mask);
        layer.handled_net = right_names(RightKind::Net, layer.handled_net_mask);
        layer.scoped = right_names(RightKind::Scope, layer.scoped_mask);
        layer.path_rules = path_rules
            .into_iter()
            .map(|((path, literal), (mask, rules))| PathRulePlan {
                path,
                literal,
                access: right_names(RightKind::Fs, mask),
                access_mask: mask,
                rules: rules.into_iter().collect(),
            })
            .collect();
        layer.port_rules = port_rules
            .into_iter()
            .map(|(port, (mask, rules))| PortRulePlan {
                port,
                access: right_names(RightKind::Net, mask),
                access_mask: mask,
                rules: rules.into_iter().collect(),
            })
            .collect();
        let has_layer = layer.handled_fs_mask | layer.handled_net_mask | layer.scoped_mask != 0;
        let layers = if has_layer { vec![layer] } else { Vec::new() };

        let mut blocked = None;
        let mut fidelity = Vec::new();
        let default_text = format!("({} default)", ir.default.as_str());
        let all = std::iter::once((None, &default_outcome))
            .chain(outcomes.iter().enumerate().map(|(i, o)| (Some(i), o)));
        for (index, outcome) in all {
            let (origin, text) = match index {
                None => (ir.default_origin.clone(), default_text.clone()),
                Some(i) => (ir.rules[i].origin.clone(), rule_text(&ir.rules[i])),
            };
            let (level, note) = match &outcome.unsupported {
                Some((reason, detail)) => {
                    if blocked.is_none() {
                        let at = match index {
                            None => String::new(),
                            Some(i) => format!("rule {} at {origin}: ", i + self.offset),
                        };
                        blocked = Some(Blocked {
                            reason: *reason,
                            detail: format!("{at}{text}: {detail}"),
                        });
                    }
                    (Fidelity::Unsupported, Some(detail.clone()))
                }
                None => {
                    let level = if outcome.approximate {
                        Fidelity::Approximate
                    } else {
                        Fidelity::Exact
                    };
                    let note = (!outcome.notes.is_empty()).then(|| outcome.notes.join("; "));
                    (level, note)
                }
            };
            fidelity.push(RuleFidelity {
                rule: index.map(|i| i + self.offset),
                origin,
                text,
                mechanisms: match level {
                    Fidelity::Unsupported => Vec::new(),
                    _ => outcome.mechanisms.iter().copied().collect(),
                },
                fidelity: level,
                note,
            });
        }
        side_effects::layer_notes(
            ir,
            &self.fs,
            &self.changes,
            &self.aliases,
            usable_fs,
            self.offset,
            &mut fidelity,
        );

        let (seccomp, bpf) = self.seccomp_plan();
        if blocked.is_none()
            && !layers.is_empty()
            && self.world.landlock.status != LandlockStatus::Available
        {
            blocked = Some(Blocked {
                reason: BlockedReason::MechanismUnavailable,
                detail: "Landlock is not available on this kernel".into(),
            });
        }
        if blocked.is_none()
            && seccomp.is_some()
            && (!self.world.seccomp.filter_errno || self.world.arch != SECCOMP_ARCH)
        {
            blocked = Some(Blocked {
                reason: BlockedReason::MechanismUnavailable,
                detail: format!(
                    "seccomp filters with RET_ERRNO on {SECCOMP_ARCH} are needed (arch {}, filter_errno {})",
                    self.world.arch, self.world.seccomp.filter_errno
                ),
            });
        }
        let mut assumptions = self.assumptions;
        assumptions.extend(self.overlay.assumptions.iter().cloned());
        Translation {
            layer_defaults: vec![0; layers.len()],
            layers,
            seccomp,
            bpf,
            scratch_not_under: assumptions.into_iter().collect(),
            fidelity,
            blocked,
            overlays: vec![self.overlay],
        }
    }

    /// What becomes of rule `i`'s carve: the mounts express it (`Ok`, with a note when a
    /// right it carves stays allowed: device ioctls under `file-write*`), or it is unsupported
    /// (the mount mechanism is not used here, or no mount takes away a right the rule names
    /// on its own).
    fn carve_fate(
        &self,
        detail: &str,
        rule: &Rule,
        i: usize,
    ) -> Result<Option<String>, (BlockedReason, String)> {
        if let Some((reason, why)) = self.world.mounts.unused() {
            return Err((reason, format!("{detail}; {why}")));
        }
        let carved = self
            .overlay
            .carved
            .get(&(i + self.offset))
            .copied()
            .unwrap_or(0);
        let left = carved & !super::mounts::overlay::MOUNTABLE;
        if left == 0 {
            return Ok(None);
        }
        let names = right_names(RightKind::Fs, left).join(" ");
        let wildcard = rule
            .operations
            .iter()
            .all(|name| operations::resolve(name).wildcard);
        if wildcard {
            Ok(Some(format!(
                "no mount takes away [{names}]: it stays allowed where the rule denies it"
            )))
        } else {
            Err((
                BlockedReason::NotApplicableInWorld,
                format!("{detail}; no mount takes away [{names}]"),
            ))
        }
    }

    fn seccomp_plan(&self) -> (Option<SeccompPlan>, Vec<u8>) {
        let mut syscalls: Vec<SeccompSyscallPlan> = Vec::new();
        for (class, (action, rules)) in &self.seccomp {
            if *action != Action::Deny {
                continue;
            }
            for (name, nr) in seccomp_program::class_syscalls(class) {
                syscalls.push(SeccompSyscallPlan {
                    name: name.to_string(),
                    nr: *nr,
                    class: class.to_string(),
                    rules: rules.iter().map(|r| r + self.offset).collect(),
                });
            }
        }
        if syscalls.is_empty() {
            return (None, Vec::new());
        }
        syscalls.sort_by_key(|s| s.nr);
        let numbers: Vec<i64> = syscalls.iter().map(|s| s.nr).collect();
        let bpf = seccomp_program::bpf_bytes(&numbers)
            .expect("a filter of plain syscall numbers always builds");
        let plan = SeccompPlan {
            arch: SECCOMP_ARCH.into(),
            compiler: SECCOMP_COMPILER.into(),
            default_action: "allow".into(),
            errno: libc::EPERM,
            syscalls,
            bpf_blake3: blake3::hash(&bpf).to_hex().to_string(),
        };
        (Some(plan), bpf)
    }
}

#[cfg(test)]
mod tests;
