//! Filter forms: `(literal "/p")`, `(require-all …)`, `(remote tcp "*:80")`, and the SBPL filters
//! the IR keeps as [`Filter::Named`].

use crate::model::{Filter, NetAddress};

use super::value::Value;

/// Filters whose arguments are written bare (symbols, numbers): `(vnode-type DIRECTORY)`,
/// `(socket-domain AF_INET)`, `(file-mode #o0004)`. Every other named filter takes strings.
pub(crate) const BARE_ARG_FILTERS: &[&str] = &[
    "vnode-type",
    "socket-domain",
    "socket-type",
    "socket-protocol",
    "file-mode",
    "system-attribute",
    "syscall-number",
    "machtrap-number",
    "kernel-mig-routine",
    "fcntl-command",
    "ioctl-command",
    "fsctl-command",
    "privilege-id",
    "message-number",
    "iokit-method-number",
    "mac-syscall-number",
    "process-attribute",
    "signal-number",
    "debug-mode",
    "csr",
    "uid",
    "gid",
];

/// SBPL filters that the IR keeps as `Filter::Named` (name + raw arguments).
const NAMED_FILTERS: &[&str] = &[
    "appleevent-destination",
    "control-name",
    "device-conforms-to",
    "extension",
    "extension-class",
    "file-attribute",
    "global-name-prefix",
    "global-name-regex",
    "info-type",
    "iokit-connection",
    "iokit-property",
    "iokit-property-prefix",
    "iokit-property-regex",
    "iokit-registry-entry-class",
    "iokit-registry-entry-class-prefix",
    "iokit-registry-entry-class-regex",
    "iokit-user-client-class",
    "iokit-user-client-class-prefix",
    "iokit-user-client-class-regex",
    "ipc-posix-name",
    "ipc-posix-name-prefix",
    "ipc-posix-name-regex",
    "kext-bundle-id",
    "local-name-prefix",
    "local-name-regex",
    "mac-policy-name",
    "mount-relative-literal",
    "mount-relative-regex",
    "mount-relative-subpath",
    "notification-name",
    "notification-name-prefix",
    "notification-name-regex",
    "nvram-variable",
    "nvram-variable-prefix",
    "nvram-variable-regex",
    "path-ancestors",
    "path-literal",
    "path-prefix",
    "path-regex",
    "preference-domain",
    "preference-domain-prefix",
    "preference-domain-regex",
    "process-path",
    "require-entitlement",
    "right-name",
    "right-name-prefix",
    "right-name-regex",
    "semaphore-owner",
    "signing-identifier",
    "storage-class",
    "sysctl-name-prefix",
    "sysctl-name-regex",
    "xattr",
    "xattr-prefix",
    "xattr-regex",
    "xpc-service-name",
    "xpc-service-name-prefix",
    "xpc-service-name-regex",
];

/// Network protocols accepted by `remote` / `local`.
const PROTOCOLS: &[&str] = &[
    "ip",
    "ip4",
    "ip6",
    "tcp",
    "tcp4",
    "tcp6",
    "udp",
    "udp4",
    "udp6",
    "unix-socket",
    "unix",
];

pub(crate) fn is_filter_name(name: &str) -> bool {
    matches!(
        name,
        "literal"
            | "path"
            | "subpath"
            | "prefix"
            | "regex"
            | "require-all"
            | "require-any"
            | "require-not"
            | "target"
            | "remote"
            | "local"
            | "global-name"
            | "local-name"
            | "sysctl-name"
    ) || NAMED_FILTERS.contains(&name)
        || BARE_ARG_FILTERS.contains(&name)
        || name.starts_with("syscall-group-")
}

/// What building a filter produced.
pub(crate) enum Built {
    Filters(Vec<Filter>),
    /// Not modelled; the caller keeps the form's text as `Filter::Opaque` with this reason.
    Opaque(String),
}

/// A type error in a filter's arguments: the argument index and the message.
pub(crate) struct ArgError {
    pub arg: Option<usize>,
    pub message: String,
    pub help: &'static str,
}

fn arg_error(arg: Option<usize>, message: String, help: &'static str) -> ArgError {
    ArgError { arg, message, help }
}

/// Builds filter `name` from evaluated arguments. `opaque_child(i)` gives the text of argument
/// `i` for children that cannot be modelled inside `require-*`.
pub(crate) fn build(
    name: &str,
    args: &[Value],
    opaque_child: &dyn Fn(usize) -> String,
) -> Result<Built, ArgError> {
    if let Some(reason) = args.iter().find_map(|a| match a {
        Value::Unknown(r) if !matches!(name, "require-all" | "require-any" | "require-not") => {
            Some(r.clone())
        }
        _ => None,
    }) {
        return Ok(Built::Opaque(reason));
    }
    let string_filter: Option<fn(String) -> Filter> = match name {
        "literal" | "path" => Some(Filter::Literal),
        "subpath" => Some(Filter::Subpath),
        "prefix" => Some(Filter::Prefix),
        "regex" => Some(Filter::Regex),
        "global-name" => Some(Filter::GlobalName),
        "local-name" => Some(Filter::LocalName),
        "sysctl-name" => Some(Filter::SysctlName),
        _ => None,
    };
    if let Some(make) = string_filter {
        if args.is_empty() {
            return Err(arg_error(
                None,
                format!("`{name}` needs at least one string argument"),
                "write e.g. `(subpath \"/usr/lib\")`",
            ));
        }
        let mut out = Vec::new();
        for (i, a) in args.iter().enumerate() {
            match a {
                Value::Str(s) => out.push(make(s.clone())),
                other => {
                    return Err(arg_error(
                        Some(i),
                        format!("`{name}` expects a string, found {}", other.describe()),
                        "paths and names are strings: `\"/usr/lib\"`",
                    ));
                }
            }
        }
        return Ok(Built::Filters(out));
    }
    match name {
        "require-all" | "require-any" => {
            let mut children = Vec::new();
            for (i, a) in args.iter().enumerate() {
                match a {
                    Value::Filters(fs) if fs.len() == 1 => children.push(fs[0].clone()),
                    // Several values of one filter are alternatives: inside `require-any`
                    // they join the others, inside `require-all` they form their own group.
                    Value::Filters(fs) if name == "require-any" => {
                        children.extend(fs.iter().cloned())
                    }
                    Value::Filters(fs) => children.push(Filter::RequireAny(fs.clone())),
                    Value::Unknown(_) => children.push(Filter::Opaque(opaque_child(i))),
                    other => {
                        return Err(arg_error(
                            Some(i),
                            format!("`{name}` expects filters, found {}", other.describe()),
                            "each argument is a filter form such as `(subpath \"/tmp\")`",
                        ));
                    }
                }
            }
            Ok(Built::Filters(vec![if name == "require-all" {
                Filter::RequireAll(children)
            } else {
                Filter::RequireAny(children)
            }]))
        }
        "require-not" => match args {
            [Value::Filters(fs)] => Ok(Built::Filters(vec![Filter::RequireNot(Box::new(
                if fs.len() == 1 {
                    fs[0].clone()
                } else {
                    Filter::RequireAny(fs.clone())
                },
            ))])),
            [Value::Unknown(_)] => Ok(Built::Filters(vec![Filter::RequireNot(Box::new(
                Filter::Opaque(opaque_child(0)),
            ))])),
            _ => Err(arg_error(
                None,
                format!(
                    "`require-not` takes exactly one filter, found {}",
                    args.len()
                ),
                "wrap several filters: `(require-not (require-any …))`",
            )),
        },
        "target" => match args {
            [Value::Symbol(s)] | [Value::Str(s)] => {
                Ok(Built::Filters(vec![Filter::Target(s.clone())]))
            }
            _ => Err(arg_error(
                None,
                "`target` takes one of self, same-sandbox, others, children, parent".into(),
                "write e.g. `(target same-sandbox)`",
            )),
        },
        "remote" | "local" => network(name, args),
        _ if NAMED_FILTERS.contains(&name)
            || BARE_ARG_FILTERS.contains(&name)
            || name.starts_with("syscall-group-") =>
        {
            named(name, args)
        }
        _ => Ok(Built::Opaque(format!("`{name}` is not a filter"))),
    }
}

fn network(name: &str, args: &[Value]) -> Result<Built, ArgError> {
    let help = "write e.g. `(remote tcp \"*:443\")`, `(local ip)` or \
                `(remote unix-socket (path-literal \"/var/run/x\"))`";
    let proto = match args.first() {
        Some(Value::Symbol(p)) if PROTOCOLS.contains(&p.as_str()) => p.clone(),
        _ => {
            return Err(arg_error(
                args.first().map(|_| 0),
                format!("`{name}` needs a protocol: ip, tcp, udp or unix-socket"),
                help,
            ));
        }
    };
    let address = match &args[1..] {
        [] => NetAddress {
            proto,
            host: "*".into(),
            port: None,
        },
        [Value::Str(spec)] if proto != "unix-socket" => match NetAddress::parse(&proto, spec) {
            Some(a) => a,
            None => {
                return Err(arg_error(
                    Some(1),
                    format!("`{spec}` is not a \"host:port\" address"),
                    "use \"*:443\", \"localhost:*\" or \"*:*\"",
                ));
            }
        },
        // A unix socket keeps its path in `host` (port is always `None`).
        [Value::Filters(fs)] if proto == "unix-socket" => match fs.as_slice() {
            [Filter::Named { name, args }] if name == "path-literal" && args.len() == 1 => {
                NetAddress {
                    proto,
                    host: args[0].clone(),
                    port: None,
                }
            }
            _ => {
                return Ok(Built::Opaque(
                    "only `(path-literal …)` unix-socket addresses are modelled".into(),
                ));
            }
        },
        _ => return Err(arg_error(Some(1), format!("bad `{name}` address"), help)),
    };
    Ok(Built::Filters(vec![if name == "remote" {
        Filter::Remote(address)
    } else {
        Filter::Local(address)
    }]))
}

/// A named filter keeps its arguments as text. A filter in [`BARE_ARG_FILTERS`] takes symbols
/// and numbers, any other takes strings; a mismatch is kept opaque so emitting stays lossless.
fn named(name: &str, args: &[Value]) -> Result<Built, ArgError> {
    let bare = BARE_ARG_FILTERS.contains(&name);
    let mut out = Vec::new();
    for a in args {
        match (a, bare) {
            (Value::Str(s), false) => out.push(s.clone()),
            (Value::Symbol(s), true) => out.push(s.clone()),
            (Value::Num(n, raw), true) => out.push(raw.clone().unwrap_or_else(|| n.to_string())),
            (other, _) => {
                return Ok(Built::Opaque(format!(
                    "`{name}` with {} argument is not modelled",
                    other.describe()
                )));
            }
        }
    }
    Ok(Built::Filters(vec![Filter::Named {
        name: name.to_string(),
        args: out,
    }]))
}
