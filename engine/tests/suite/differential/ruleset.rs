//! The test's own reading of spec §7: a generated profile's layers as Landlock rulesets, built
//! from the mapping table and the rule-order rules as the spec states them, with none of the
//! engine's code. `None` where the spec says the profile cannot be applied in the world.

use super::case::{Action, Case, Filter, Layer, Path, Rule};

const EXECUTE: u64 = 1 << 0;
const WRITE_FILE: u64 = 1 << 1;
const READ_FILE: u64 = 1 << 2;
pub const READ_DIR: u64 = 1 << 3;
const REMOVE_DIR: u64 = 1 << 4;
const REMOVE_FILE: u64 = 1 << 5;
const MAKE_REG: u64 = 1 << 8;
/// make_char ... make_sym.
const MAKE: u64 = 0x1fc0;
const REMOVE: u64 = REMOVE_DIR | REMOVE_FILE;
const REFER: u64 = 1 << 13;
const TRUNCATE: u64 = 1 << 14;
const IOCTL_DEV: u64 = 1 << 15;
/// Rights only a directory can carry (read_dir, remove, make, refer).
pub const DIR_ONLY: u64 = 0x3ff8;

/// The fs rights a Landlock ABI knows (uapi history: refer 2, truncate 3, ioctl_dev 5).
fn fs_abi(abi: u32) -> u64 {
    let mut m = 0x1fff;
    if abi >= 2 {
        m |= REFER;
    }
    if abi >= 3 {
        m |= TRUNCATE;
    }
    if abi >= 5 {
        m |= IOCTL_DEV;
    }
    m
}

/// One ruleset to create and enforce.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Ruleset {
    pub fs: u64,
    pub net: u64,
    pub scoped: u64,
    /// (path, literal, rights), in the order the spec's plan lists them (by path).
    pub paths: Vec<(Path, bool, u64)>,
    pub ports: Vec<(u16, u64)>,
}

/// What the spec's backend makes of a profile: the rulesets of its layers (none: no domain),
/// or why it cannot be applied (compile-time).
pub type Translation = Result<Vec<Ruleset>, String>;

#[derive(Clone)]
struct Grant {
    path: Path,
    literal: bool,
}

/// One right's state while the rules are replayed in order.
#[derive(Clone)]
struct State {
    allow: bool,
    grants: Vec<Grant>,
}

/// A host path where its symlinks lead (spec §7, Paths: rule order is replayed on that node),
/// except under `/proc` and `/dev`.
pub fn on_host(path: &str) -> String {
    if path.starts_with("/proc") || path.starts_with("/dev") {
        return path.to_string();
    }
    std::fs::canonicalize(path)
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_else(|_| path.to_string())
}

/// `a` relative to `b`: 0 same, 1 inside, 2 contains, 3 disjoint, for the nodes they name.
/// `/` contains the scratch root; no other host path does.
fn relation(a: &Path, b: &Path) -> u8 {
    let parts = |p: &Path| -> (bool, Vec<String>) {
        match p {
            Path::Scratch(rel) => (true, rel.split('/').map(str::to_string).collect()),
            Path::Host(h) => (
                false,
                on_host(h)
                    .split('/')
                    .filter(|c| !c.is_empty())
                    .map(str::to_string)
                    .collect(),
            ),
        }
    };
    let ((sa, pa), (sb, pb)) = (parts(a), parts(b));
    if sa != sb {
        return if !sa && pa.is_empty() {
            2
        } else if !sb && pb.is_empty() {
            1
        } else {
            3
        };
    }
    let common = pa.iter().zip(&pb).take_while(|(x, y)| x == y).count();
    match (common == pa.len(), common == pb.len()) {
        (true, true) => 0,
        (false, true) => 1,
        (true, false) => 2,
        _ => 3,
    }
}

/// The /proc/sys file of a sysctl name (the stdlib table for Darwin names, dots for Linux).
pub fn sysctl_file(name: &str) -> String {
    let linux = match name {
        "kern.ostype" => "kernel.ostype",
        "kern.hostname" => "kernel.hostname",
        other => other,
    };
    format!("/proc/sys/{}", linux.replace('.', "/"))
}

struct Replay {
    abi: u32,
    fs: Vec<State>,
    net: [(bool, Vec<u16>); 2],
    scopes: [bool; 2],
}

impl Replay {
    fn usable_fs(&self) -> u64 {
        fs_abi(self.abi)
    }

    fn fs_all(&mut self, rights: u64, action: Action) {
        for bit in 0..16 {
            if rights & (1 << bit) != 0 {
                self.fs[bit] = State {
                    allow: action == Action::Allow,
                    grants: Vec::new(),
                };
            }
        }
    }

    fn fs_path(
        &mut self,
        rights: u64,
        action: Action,
        path: &Path,
        literal: bool,
    ) -> Result<(), String> {
        for bit in 0..16 {
            let right = 1u64 << bit;
            if rights & right == 0 {
                continue;
            }
            let state = &mut self.fs[bit];
            if action == Action::Allow {
                // A literal never carries rights checked on the parent directory.
                if literal && right & (MAKE | REMOVE) != 0 {
                    continue;
                }
                if !state.allow
                    && !state
                        .grants
                        .iter()
                        .any(|g| g.path == *path && g.literal == literal)
                {
                    state.grants.push(Grant {
                        path: path.clone(),
                        literal,
                    });
                }
                continue;
            }
            if state.allow {
                return Err(format!("deny {path:?} out of an allowed right"));
            }
            let mut kept = Vec::new();
            for g in state.grants.drain(..) {
                let keep = match relation(path, &g.path) {
                    0 if literal && !g.literal => return Err("literal out of a subpath".into()),
                    0 => false,
                    1 if !g.literal || right == READ_DIR => {
                        return Err("deny inside an allowed subtree".into());
                    }
                    1 => true,
                    2 => literal,
                    _ => true,
                };
                if keep {
                    kept.push(g);
                }
            }
            state.grants = kept;
        }
        Ok(())
    }

    fn fs_rule(&mut self, rights: u64, rule: &Rule) -> Result<(), String> {
        let usable = rights & self.usable_fs();
        if usable == 0 {
            return Err("a right newer than the ABI".into());
        }
        if rule.filters.is_empty() {
            self.fs_all(usable, rule.action);
        }
        for f in &rule.filters {
            match f {
                Filter::Literal(p) => self.fs_path(usable, rule.action, p, true)?,
                Filter::Subpath(p) => self.fs_path(usable, rule.action, p, false)?,
                other => return Err(format!("{other:?} on a file operation")),
            }
        }
        Ok(())
    }

    fn net_rule(&mut self, index: usize, rule: &Rule) -> Result<(), String> {
        if self.abi < 4 {
            return Err("TCP rights need ABI 4".into());
        }
        if rule.filters.is_empty() {
            self.net[index] = (rule.action == Action::Allow, Vec::new());
            if index == 1 {
                self.scopes[0] = rule.action == Action::Allow;
            }
        }
        for f in &rule.filters {
            let port = match (f, index) {
                (Filter::Remote(_, p), 1) | (Filter::Local(p), 0) => *p,
                (other, _) => return Err(format!("{other:?} on a network operation")),
            };
            let (allow, ports) = &mut self.net[index];
            match rule.action {
                Action::Allow if !*allow && !ports.contains(&port) => ports.push(port),
                Action::Allow => {}
                Action::Deny if *allow => return Err("deny a port out of every port".into()),
                Action::Deny => ports.retain(|p| *p != port),
            }
        }
        Ok(())
    }

    fn signal_rule(&mut self, rule: &Rule) -> Result<(), String> {
        let deny_outside = |r: &mut Replay| {
            if r.abi < 6 {
                return Err("signal scope needs ABI 6".to_string());
            }
            r.scopes[1] = false;
            Ok(())
        };
        if rule.filters.is_empty() {
            return match rule.action {
                Action::Allow => {
                    self.scopes[1] = true;
                    Ok(())
                }
                Action::Deny => deny_outside(self),
            };
        }
        for f in &rule.filters {
            match (f, rule.action) {
                (Filter::Target("self"), Action::Allow) => {}
                (Filter::Target("others"), Action::Allow) => self.scopes[1] = true,
                (Filter::Target("others"), Action::Deny) => deny_outside(self)?,
                (other, _) => return Err(format!("signal filter {other:?}")),
            }
        }
        Ok(())
    }

    fn rule(&mut self, rule: &Rule) -> Result<(), String> {
        for op in &rule.operations {
            let rights = match *op {
                "file-read*" | "file-read-data" => READ_FILE | READ_DIR,
                "file-write*" => WRITE_FILE | TRUNCATE | MAKE | REMOVE,
                "file-write-data" => WRITE_FILE | TRUNCATE,
                "file-write-create" => MAKE,
                "file-write-unlink" => REMOVE,
                "file-link" => MAKE_REG,
                "file-ioctl" => IOCTL_DEV,
                "process-exec" => EXECUTE,
                _ => 0,
            };
            if rights != 0 {
                self.fs_rule(rights, rule)?;
                continue;
            }
            match *op {
                "sysctl-read" if rule.filters.is_empty() => self.fs_path(
                    READ_FILE,
                    rule.action,
                    &Path::Host("/proc/sys".into()),
                    false,
                )?,
                "sysctl-read" => {
                    for f in &rule.filters {
                        let Filter::Sysctl(name) = f else {
                            return Err(format!("{f:?} on sysctl-read"));
                        };
                        self.fs_path(READ_FILE, rule.action, &Path::Host(sysctl_file(name)), true)?;
                    }
                }
                "network-outbound" => self.net_rule(1, rule)?,
                "network-bind" => self.net_rule(0, rule)?,
                "signal" => self.signal_rule(rule)?,
                // A wildcard over operations Landlock only restricts as a whole domain.
                "process-info*" => {}
                // Every row: the ioctl right needs ABI 5, TCP ABI 4, a denied signal scope 6.
                "default" => {
                    let deny = rule.action == Action::Deny;
                    if self.abi < 5 || (deny && self.abi < 6) {
                        return Err("default needs rights newer than the ABI".into());
                    }
                    self.fs_all(self.usable_fs() & !REFER, rule.action);
                    self.net = [(!deny, Vec::new()), (!deny, Vec::new())];
                    self.scopes = [!deny, !deny];
                }
                // Never restricted per path (seccomp denies the fork class as a whole).
                "file-read-metadata" if rule.action == Action::Allow => {}
                "process-fork" if rule.filters.is_empty() => {}
                other => return Err(format!("{other} cannot be expressed")),
            }
        }
        Ok(())
    }
}

/// One plain layer's ruleset (`Ok(None)`: it handles nothing).
fn layer(abi: u32, layer: &Layer) -> Result<Option<Ruleset>, String> {
    let allow = layer.default == Action::Allow;
    let mut r = Replay {
        abi,
        fs: vec![
            State {
                allow,
                grants: Vec::new()
            };
            16
        ],
        net: [(allow, Vec::new()), (allow, Vec::new())],
        scopes: [allow, allow],
    };
    for rule in &layer.rules {
        r.rule(rule)?;
    }
    let mut out = Ruleset::default();
    let mut paths: Vec<(Path, bool, u64)> = Vec::new();
    for bit in 0..16 {
        let right = 1u64 << bit;
        if right == REFER || right & r.usable_fs() == 0 || r.fs[bit].allow {
            continue;
        }
        out.fs |= right;
        for g in &r.fs[bit].grants {
            match paths
                .iter_mut()
                .find(|(p, l, _)| *p == g.path && *l == g.literal)
            {
                Some(entry) => entry.2 |= right,
                None => paths.push((g.path.clone(), g.literal, right)),
            }
        }
    }
    if abi >= 4 {
        for (i, (allow, ports)) in r.net.iter().enumerate() {
            if *allow {
                continue;
            }
            out.net |= 1 << i;
            for p in ports {
                match out.ports.iter_mut().find(|(q, _)| q == p) {
                    Some(entry) => entry.1 |= 1 << i,
                    None => out.ports.push((*p, 1 << i)),
                }
            }
        }
    }
    if abi >= 6 {
        for (i, allow) in r.scopes.iter().enumerate() {
            if !allow {
                out.scoped |= 1 << i;
            }
        }
    }
    if out.fs | out.net | out.scoped == 0 {
        return Ok(None);
    }
    // Reparenting is granted everywhere (ABI 2 on).
    if abi >= 2 {
        out.fs |= REFER;
        match paths
            .iter_mut()
            .find(|(p, l, _)| *p == Path::Host("/".into()) && !*l)
        {
            Some(entry) => entry.2 |= REFER,
            None => paths.push((Path::Host("/".into()), false, REFER)),
        }
    }
    paths.sort_by_key(|(p, l, _)| (p.symbolic(), *l));
    out.paths = paths;
    out.ports.sort();
    Ok(Some(out))
}

/// The rulesets of profile `index` of the case, in layer order.
pub fn translate(case: &Case, index: usize) -> Translation {
    let mut out = Vec::new();
    for &l in &case.profiles[index].layers {
        if let Some(r) = layer(case.abi, &case.plain[l])? {
            out.push(r);
        }
    }
    Ok(out)
}
