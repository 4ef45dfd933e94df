//! The SBPL meaning of a (profile, probe): the probe as the requests SBPL checks (spec §7,
//! "What a probe asks"), each decided in every layer by the last rule that matches its
//! operation and filters, else the layer's default. Knows nothing of Linux.

use super::case::{Action, Case, Filter, Probe};

/// What a request is about.
#[derive(Clone, Debug)]
enum Object {
    Path(String),
    /// TCP `connect` (outbound) or `bind` to this port.
    Port(u16),
    /// An abstract unix socket (no filter of the generated kinds matches it).
    Unix,
    /// A signal or inspection target.
    Target(&'static str),
    Sysctl(String),
}

#[derive(Clone, Debug)]
struct Request {
    operation: &'static str,
    object: Object,
}

/// The SBPL meaning of one pair.
pub struct Meaning {
    pub allowed: bool,
    /// The exec itself is what SBPL denies (Linux shows it at the exec stage).
    pub exec_denied: bool,
    /// Per layer of the profile, the deciding entries: `None` is the layer's default, else the
    /// rule's index in that layer.
    pub deciders: Vec<Vec<Option<usize>>>,
}

fn covers(written: &str, op: &str) -> bool {
    written == "default"
        || written == op
        || written.strip_suffix('*').is_some_and(|p| op.starts_with(p))
}

fn under(path: &str, root: &str) -> bool {
    root == "/"
        || path == root
        || path
            .strip_prefix(root)
            .is_some_and(|rest| rest.starts_with('/'))
}

fn matches(filter: &Filter, r: &Request) -> bool {
    match (filter, &r.object) {
        (Filter::Literal(p), Object::Path(q)) => p.symbolic() == *q,
        (Filter::Subpath(p), Object::Path(q)) => under(q, &p.symbolic()),
        (Filter::Remote(_, port), Object::Port(q)) => {
            r.operation == "network-outbound" && port == q
        }
        (Filter::Local(port), Object::Port(q)) => r.operation == "network-bind" && port == q,
        (Filter::Target(t), Object::Target(q)) => t == q,
        (Filter::Sysctl(n), Object::Sysctl(q)) => n == q,
        _ => false,
    }
}

fn requests(case: &Case, p: &Probe) -> Vec<Request> {
    // A request is about the node the probe's path leads to (Seatbelt matches resolved vnode
    // paths, spec §7); rule paths are matched as written.
    let path = |s: &str| {
        Object::Path(if s.starts_with('/') {
            super::ruleset::on_host(s)
        } else {
            s.to_string()
        })
    };
    let target = p.target.clone().unwrap_or_default();
    let req = |operation, object| Request { operation, object };
    let exists = |s: &str| {
        s.strip_prefix("{scratch}/")
            .is_some_and(|rel| case.tree.contains_key(rel))
    };
    match p.family {
        "file-read" | "dir-list" => vec![req("file-read-data", path(&target))],
        "file-write" | "file-truncate" => vec![req("file-write-data", path(&target))],
        "file-create" | "dir-create" => vec![req("file-write-create", path(&target))],
        "file-unlink" => vec![req("file-write-unlink", path(&target))],
        "file-rename" => {
            let to = p.arg("to").unwrap();
            let mut out = vec![
                req("file-write-unlink", path(&target)),
                req("file-write-create", path(to)),
            ];
            if exists(to) {
                out.push(req("file-write-unlink", path(to)));
            }
            out
        }
        "file-link" => vec![
            req("file-link", path(&target)),
            req("file-write-create", path(p.arg("to").unwrap())),
        ],
        "exec" => match p.arg("helper") {
            Some(inner) => {
                let mut inner_probe = p.clone();
                inner_probe.family = match inner {
                    "dir-list" => "dir-list",
                    "sysctl-read" => "sysctl-read",
                    _ => "file-read",
                };
                std::iter::once(req("process-exec", Object::Path("{helper}".into())))
                    .chain(requests(case, &inner_probe))
                    .collect()
            }
            None => std::iter::once(req("process-exec", path(&target)))
                .chain(
                    p.argv
                        .iter()
                        .skip(1)
                        .map(|a| req("file-read-data", path(a))),
                )
                .collect(),
        },
        "tcp-connect" | "tcp-bind" => {
            let port = target.rsplit_once(':').unwrap().1.parse().unwrap();
            let op = if p.family == "tcp-connect" {
                "network-outbound"
            } else {
                "network-bind"
            };
            vec![req(op, Object::Port(port))]
        }
        "unix-connect" => vec![req("network-outbound", Object::Unix)],
        "signal" | "process-info" => {
            let who = if p.fixture.is_some() {
                "others"
            } else {
                "self"
            };
            let op = if p.family == "signal" {
                "signal"
            } else {
                "process-info-pidinfo"
            };
            vec![req(op, Object::Target(who))]
        }
        "sysctl-read" => vec![req("sysctl-read", Object::Sysctl(target))],
        "ioctl-dev" => vec![
            req("file-read-data", path(&target)),
            req("file-ioctl", path(&target)),
        ],
        _ => vec![req("mach-lookup", Object::Target("others"))],
    }
}

/// The SBPL meaning of probe `probe` under profile `profile` (`None`: the family has no
/// meaning in this world).
pub fn meaning(case: &Case, profile: usize, probe: &Probe) -> Meaning {
    let reqs = requests(case, probe);
    let mut allowed = true;
    let mut exec_denied = false;
    let mut deciders = Vec::new();
    for &l in &case.profiles[profile].layers {
        let layer = &case.plain[l];
        let mut layer_deciders = Vec::new();
        for (i, r) in reqs.iter().enumerate() {
            let decider = layer.rules.iter().rposition(|rule| {
                rule.operations.iter().any(|w| covers(w, r.operation))
                    && (rule.filters.is_empty() || rule.filters.iter().any(|f| matches(f, r)))
            });
            let action = decider.map_or(layer.default, |j| layer.rules[j].action);
            if action == Action::Deny {
                allowed = false;
                exec_denied |= i == 0 && r.operation == "process-exec";
            }
            layer_deciders.push(decider);
        }
        deciders.push(layer_deciders);
    }
    Meaning {
        allowed,
        exec_denied,
        deciders,
    }
}
