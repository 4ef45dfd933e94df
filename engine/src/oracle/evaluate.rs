//! The evaluator: a compiled Landlock plan, resolved against the filesystem view the way
//! prepare resolves it, answering access requests the way the kernel does (Landlock's rule
//! semantics, spec §7).
//!
//! - Layers intersect: a request passes only if every layer allows it.
//! - In a layer, a handled right is allowed on a path when a rule on the path or on one of its
//!   ancestor directories grants it; a rule on a file grants only on that file, and never
//!   directory-only rights, and a literal on a directory only its listing (prepare keeps what
//!   `kept_on_node` keeps). Unhandled rights are allowed.
//! - When any layer handles a file right, `fs.refer` is handled by every layer, whatever its
//!   mask says (the kernel denies reparenting by default); a domain that handles none makes no
//!   move check at all. A cross-directory rename/link is allowed when every handled right
//!   is granted at both parents; otherwise it needs `fs.refer` at both and the destination may
//!   not grant anything the source does not (no privilege gain: file rights for a file, every
//!   right for a directory); a missing remove/make right is EACCES, anything else EXDEV. Rules
//!   above the scratch root's mount point take part here as in any other check (the kernel
//!   walks them after its first comparison; a plan that relies on that difference is out of
//!   the model).
//! - Scopes deny signals and abstract-unix connects that leave the domain, with EPERM.

use crate::compile::linux::{CompiledProfile, kept_on_node};
use crate::sys::landlock;
use crate::world::landlock_rights::{RightKind, right_names};

use super::fs_view::{FsView, Kind, at_or_under, parent};
use super::requests::{Access, REFER, Step, make_right, remove_right};

/// File rights (the others only make sense on directories): compared by the no-gain check.
const FILE_RIGHTS: u64 = landlock::ACCESS_FS_EXECUTE
    | landlock::ACCESS_FS_WRITE_FILE
    | landlock::ACCESS_FS_READ_FILE
    | landlock::ACCESS_FS_TRUNCATE
    | landlock::ACCESS_FS_IOCTL_DEV
    | landlock::ACCESS_FS_RESOLVE_UNIX;

#[derive(Clone, Debug)]
struct Rule {
    path: String,
    is_dir: bool,
    mask: u64,
    rules: Vec<usize>,
}

#[derive(Clone, Debug)]
struct Layer {
    handled_fs: u64,
    handled_net: u64,
    scoped: u64,
    paths: Vec<Rule>,
    ports: Vec<(u16, u64, Vec<usize>)>,
}

/// The plan as prepare would resolve it; `Err` when prepare would block (a rule path missing).
pub(crate) struct ResolvedPlan {
    layers: Vec<Layer>,
}

/// Why a request was denied or allowed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Check {
    pub allowed: bool,
    /// EACCES, EXDEV or EPERM when denied.
    pub errno: i32,
    /// The rights missing (`fs.read_file`...).
    pub blockers: Vec<String>,
    /// The first layer that denied.
    pub layer: Option<usize>,
    /// IR rule indices that granted (allowed) or came closest (denied: none grant).
    pub rules: Vec<usize>,
    pub target: String,
    pub note: String,
    /// The request could not be decided from the plan alone (e.g. a run-time port).
    pub undecided: bool,
}

impl ResolvedPlan {
    pub(crate) fn resolve(
        compiled: &CompiledProfile,
        fs: &dyn FsView,
    ) -> Result<ResolvedPlan, String> {
        let mut layers = Vec::new();
        let domain_handles_fs = compiled.plan.layers.iter().any(|l| l.handled_fs_mask != 0);
        for layer in &compiled.plan.layers {
            let mut paths = Vec::new();
            for rule in &layer.path_rules {
                let path = fs.canonical(&rule.path);
                let kind = fs.kind(&path).ok_or_else(|| {
                    format!(
                        "rule path {} (rules {:?}) does not exist: prepare cannot open it",
                        rule.path, rule.rules
                    )
                })?;
                let is_dir = kind == Kind::Dir;
                let mask = kept_on_node(rule, is_dir);
                paths.push(Rule {
                    path,
                    is_dir,
                    mask,
                    rules: rule.rules.clone(),
                });
            }
            layers.push(Layer {
                handled_fs: layer.handled_fs_mask | if domain_handles_fs { REFER } else { 0 },
                handled_net: layer.handled_net_mask,
                scoped: layer.scoped_mask,
                paths,
                ports: layer
                    .port_rules
                    .iter()
                    .map(|p| (p.port, p.access_mask, p.rules.clone()))
                    .collect(),
            });
        }
        Ok(ResolvedPlan { layers })
    }

    /// Whether the plan creates a Landlock domain at all.
    pub(crate) fn has_domain(&self) -> bool {
        !self.layers.is_empty()
    }

    fn granted(layer: &Layer, path: &str) -> (u64, Vec<usize>) {
        let mut mask = 0;
        let mut rules = Vec::new();
        for r in &layer.paths {
            let covers = if r.is_dir {
                at_or_under(path, &r.path)
            } else {
                path == r.path
            };
            if covers {
                mask |= r.mask;
                rules.extend(r.rules.iter().copied());
            }
        }
        (mask, rules)
    }

    fn fs_check(&self, path: &str, rights: u64) -> Check {
        let mut granted_by = Vec::new();
        let mut handled_any = false;
        for (i, layer) in self.layers.iter().enumerate() {
            let need = rights & layer.handled_fs;
            if need == 0 {
                continue;
            }
            handled_any = true;
            let (mask, rules) = Self::granted(layer, path);
            let miss = need & !mask;
            if miss != 0 {
                return Check {
                    allowed: false,
                    errno: libc::EACCES,
                    blockers: right_names(RightKind::Fs, miss),
                    layer: Some(i),
                    rules: Vec::new(),
                    target: path.to_string(),
                    note: format!(
                        "layer {i} handles [{}] and no rule grants it on {path} or an ancestor",
                        right_names(RightKind::Fs, miss).join(" ")
                    ),
                    undecided: false,
                };
            }
            granted_by.extend(rules);
        }
        granted_by.sort_unstable();
        granted_by.dedup();
        Check {
            allowed: true,
            errno: 0,
            blockers: Vec::new(),
            layer: None,
            note: if handled_any {
                format!(
                    "[{}] granted on {path}",
                    right_names(RightKind::Fs, rights).join(" ")
                )
            } else {
                format!(
                    "[{}] not handled by any layer",
                    right_names(RightKind::Fs, rights).join(" ")
                )
            },
            rules: granted_by,
            target: path.to_string(),
            undecided: false,
        }
    }

    fn refer_check(
        &self,
        from: &str,
        to: &str,
        rename: bool,
        kinds: (Kind, Option<Kind>),
    ) -> Check {
        let (p1, p2) = (parent(from), parent(to));
        let (from_kind, to_kind) = kinds;
        let req1 = if rename { remove_right(from_kind) } else { 0 };
        let replaced = match to_kind {
            Some(k) if rename => remove_right(k),
            _ => 0,
        };
        let req2 = make_right(from_kind) | replaced;
        if p1 == p2 {
            return self.fs_check(&p1, req1 | req2);
        }
        // The rights a move may not gain: file rights for a file, every right for a directory.
        let compared = if from_kind == Kind::Dir {
            !0
        } else {
            FILE_RIGHTS
        };
        let target = format!("{from} -> {to}");
        let mut eacces: Option<(usize, u64, String)> = None;
        let mut exdev: Option<(usize, String)> = None;
        let mut rules = Vec::new();
        for (i, layer) in self.layers.iter().enumerate() {
            let (g1, r1) = Self::granted(layer, &p1);
            let (g2, r2) = Self::granted(layer, &p2);
            let handled = layer.handled_fs;
            rules.extend(r1.iter().chain(&r2).copied());
            if handled & !g1 == 0 && handled & !g2 == 0 {
                continue;
            }
            let miss1 = (req1 & handled) & !g1;
            let miss2 = (req2 & handled) & !g2;
            if (miss1 | miss2) != 0 {
                eacces.get_or_insert((i, miss1 | miss2, p1.clone()));
                continue;
            }
            let (child, _) = Self::granted(layer, from);
            let source = g1 | child;
            let gain = (g2 & !source) & handled & compared & !REFER;
            if gain != 0 {
                exdev.get_or_insert((
                    i,
                    format!(
                        "layer {i}: {p2} grants [{}] that {from} does not have (no privilege gain through a move)",
                        right_names(RightKind::Fs, gain).join(" ")
                    ),
                ));
            } else if g1 & g2 & REFER == 0 || g1 & REFER == 0 || g2 & REFER == 0 {
                exdev.get_or_insert((
                    i,
                    format!("layer {i}: fs.refer is not granted on both {p1} and {p2}"),
                ));
            }
        }
        rules.sort_unstable();
        rules.dedup();
        if let Some((layer, miss, _)) = eacces {
            return Check {
                allowed: false,
                errno: libc::EACCES,
                blockers: right_names(RightKind::Fs, miss),
                layer: Some(layer),
                rules: Vec::new(),
                note: format!(
                    "layer {layer} does not grant [{}] on the parent directories",
                    right_names(RightKind::Fs, miss).join(" ")
                ),
                target,
                undecided: false,
            };
        }
        if let Some((layer, note)) = exdev {
            return Check {
                allowed: false,
                errno: libc::EXDEV,
                blockers: vec!["fs.refer".into()],
                layer: Some(layer),
                rules: Vec::new(),
                note,
                target,
                undecided: false,
            };
        }
        Check {
            allowed: true,
            errno: 0,
            blockers: Vec::new(),
            layer: None,
            rules,
            note: format!("move allowed from {p1} to {p2}"),
            target,
            undecided: false,
        }
    }

    fn port_check(&self, rights: u64, port: Option<u16>) -> Check {
        let target = port.map_or("port (chosen at run time)".into(), |p| format!("port {p}"));
        let names = right_names(RightKind::Net, rights);
        let mut granted_by = Vec::new();
        // A run-time port that some layer's rules may grant is undecided, unless a layer
        // handling the right grants no port at all: that layer denies whatever the port.
        let mut undecided = None;
        for (i, layer) in self.layers.iter().enumerate() {
            if rights & layer.handled_net == 0 {
                continue;
            }
            let grants: Vec<&(u16, u64, Vec<usize>)> = layer
                .ports
                .iter()
                .filter(|(p, m, _)| m & rights != 0 && port.is_none_or(|want| *p == want))
                .collect();
            if port.is_none() && !grants.is_empty() {
                undecided.get_or_insert(i);
                continue;
            }
            match grants.first() {
                Some((_, _, rules)) => granted_by.extend(rules.iter().copied()),
                None => {
                    return Check {
                        allowed: false,
                        errno: libc::EACCES,
                        blockers: names.clone(),
                        layer: Some(i),
                        rules: Vec::new(),
                        note: format!(
                            "layer {i} handles [{}] and no port rule grants it",
                            names.join(" ")
                        ),
                        target,
                        undecided: false,
                    };
                }
            }
        }
        if let Some(i) = undecided {
            return Check {
                allowed: false,
                errno: 0,
                blockers: Vec::new(),
                layer: Some(i),
                rules: Vec::new(),
                note: "the port is chosen at run time and some port rules grant it".into(),
                target,
                undecided: true,
            };
        }
        Check {
            allowed: true,
            errno: 0,
            blockers: Vec::new(),
            layer: None,
            rules: granted_by,
            note: format!("[{}] granted or not handled", names.join(" ")),
            target,
            undecided: false,
        }
    }

    fn scope_check(&self, scope: u64) -> Check {
        let names = right_names(RightKind::Scope, scope);
        let target = "a process or socket outside the domain".to_string();
        match self.layers.iter().position(|l| l.scoped & scope != 0) {
            Some(i) => Check {
                allowed: false,
                errno: libc::EPERM,
                blockers: names.clone(),
                layer: Some(i),
                rules: Vec::new(),
                note: format!("layer {i} is scoped [{}]", names.join(" ")),
                target,
                undecided: false,
            },
            None => Check {
                allowed: true,
                errno: 0,
                blockers: Vec::new(),
                layer: None,
                rules: Vec::new(),
                note: format!("no layer is scoped [{}]", names.join(" ")),
                target,
                undecided: false,
            },
        }
    }

    /// Every Landlock domain refuses ptrace access to processes outside it (spec §7).
    fn ptrace_check(&self, errno: i32) -> Check {
        let target = "a process outside the domain".to_string();
        let allowed = self.layers.is_empty();
        Check {
            allowed,
            errno: if allowed { 0 } else { errno },
            blockers: Vec::new(),
            layer: (!allowed).then_some(0),
            rules: Vec::new(),
            note: if allowed {
                "no Landlock domain: processes outside can be inspected".into()
            } else {
                "every Landlock domain denies ptrace access to processes outside it".into()
            },
            target,
            undecided: false,
        }
    }

    /// One request, as the kernel would answer it inside this domain.
    pub(crate) fn check(&self, step: &Step, fs: &dyn FsView) -> Check {
        match &step.access {
            Access::Path { path, rights } => self.fs_check(path, *rights),
            Access::Refer { from, to, rename } => self.refer_check(
                from,
                to,
                *rename,
                (fs.kind(from).unwrap_or(Kind::File), fs.kind(to)),
            ),
            Access::Port { rights, port } => self.port_check(*rights, *port),
            Access::Scope { scope } => self.scope_check(*scope),
            Access::Ptrace { errno } => self.ptrace_check(*errno),
        }
    }
}
