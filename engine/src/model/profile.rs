//! The profile IR: an ordered list of rules in Seatbelt's vocabulary plus a default action.
//!
//! Every backend (Landlock+seccomp, Seatbelt SBPL) reads this one IR. Rules keep where they came
//! from (file, span, shim) so fidelity notes and oracle explanations can point at the source.

use serde::{Deserialize, Serialize};

use super::origin::Origin;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Allow,
    Deny,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Allow => "allow",
            Action::Deny => "deny",
        }
    }
}

/// A filter narrows which instances of an operation a rule matches.
///
/// Several filters directly on a rule are alternatives (SBPL semantics): the rule matches when
/// any of them matches. `Opaque` keeps SBPL the parser does not model, so the backend can mark
/// it unsupported instead of dropping it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "value")]
pub enum Filter {
    Literal(String),
    Subpath(String),
    Prefix(String),
    Regex(String),
    RequireAll(Vec<Filter>),
    RequireAny(Vec<Filter>),
    RequireNot(Box<Filter>),
    /// `target self | same-sandbox | others | ...` for signal and process-info.
    Target(String),
    /// `remote tcp "host:port"` / `local tcp "*:8080"`.
    Remote(NetAddress),
    Local(NetAddress),
    GlobalName(String),
    LocalName(String),
    SysctlName(String),
    /// A filter known to the vocabulary but not modelled by any backend
    /// (`vnode-type`, `iokit-user-client-class`, `xattr`, ...): name and raw arguments.
    Named {
        name: String,
        args: Vec<String>,
    },
    /// Source text the SBPL parser could not model.
    Opaque(String),
}

/// A network endpoint filter: protocol (`tcp`, `udp`, `ip`, `unix-socket`), host pattern and
/// port (`None` = any port, written `*`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct NetAddress {
    pub proto: String,
    pub host: String,
    pub port: Option<u16>,
}

impl NetAddress {
    /// Parses SBPL's `"host:port"` form (`"*:80"`, `"localhost:*"`).
    pub(crate) fn parse(proto: &str, spec: &str) -> Option<NetAddress> {
        let (host, port) = spec.rsplit_once(':')?;
        let port = match port {
            "*" => None,
            p => Some(p.parse().ok()?),
        };
        Some(NetAddress {
            proto: proto.to_string(),
            host: host.to_string(),
            port,
        })
    }

    pub(crate) fn spec(&self) -> String {
        match self.port {
            Some(p) => format!("{}:{}", self.host, p),
            None => format!("{}:*", self.host),
        }
    }
}

/// Modifiers that change reporting, not the decision (`(with report)`, `(with message "...")`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Modifiers {
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub report: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Other `(with …)` modifiers as written inside the parentheses (`no-log`,
    /// `send-signal SIGKILL`, `telemetry`), kept so emitted SBPL loses nothing.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub other: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Rule {
    pub action: Action,
    /// Canonical operation names (aliases and obsolete names already resolved).
    pub operations: Vec<String>,
    /// Alternatives; empty means the rule matches every instance of its operations.
    pub filters: Vec<Filter>,
    #[serde(default, skip_serializing_if = "is_default")]
    pub modifiers: Modifiers,
    pub origin: Origin,
}

impl Rule {
    /// A whole SBPL form the parser could not model (an `if` on a missing parameter, an
    /// undefined helper, an unresolved import): no operations and one [`Filter::Opaque`] with
    /// the form's text, which emitters write back verbatim and backends mark unsupported.
    /// The action is that of the first `allow`/`deny` in the text (allow if none); it carries
    /// no meaning beyond that.
    pub(crate) fn opaque_form(text: &str, origin: Origin) -> Rule {
        let allow = text.find("(allow");
        let deny = text.find("(deny");
        let action = match (allow, deny) {
            (Some(a), Some(d)) if d < a => Action::Deny,
            (None, Some(_)) => Action::Deny,
            _ => Action::Allow,
        };
        Rule {
            action,
            operations: Vec::new(),
            filters: vec![Filter::Opaque(text.to_string())],
            modifiers: Modifiers::default(),
            origin,
        }
    }

    /// The form's text if this rule is an opaque form (see [`Rule::opaque_form`]).
    pub fn opaque_form_text(&self) -> Option<&str> {
        match (self.operations.is_empty(), self.filters.as_slice()) {
            (true, [Filter::Opaque(text)]) => Some(text),
            _ => None,
        }
    }
}

fn is_default<T: Default + PartialEq>(t: &T) -> bool {
    *t == T::default()
}

/// The IR of one profile, either as written (source) or with its shims layered on (runtime).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ProfileIr {
    pub default: Action,
    pub rules: Vec<Rule>,
    /// A stack of enforced layers (`profile p { layer a; layer b }`): `rules` is every layer's
    /// rules in order and this partitions them, so rule indices stay unique in the profile.
    /// Empty: one layer, `default` + `rules`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub layers: Vec<IrLayer>,
    /// Where the default action was written (`default deny`, `(deny default)`); unset when
    /// the profile has no written default (a shim, a generated IR).
    #[serde(default, skip_serializing_if = "is_default")]
    pub default_origin: Origin,
}

/// One layer of a stacked profile: the next `rules` rules of the IR, over this default.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct IrLayer {
    /// The profile the layer was made from.
    pub profile: String,
    pub default: Action,
    pub rules: usize,
    #[serde(default, skip_serializing_if = "is_default")]
    pub default_origin: Origin,
}

impl ProfileIr {
    pub fn new(default: Action, rules: Vec<Rule>) -> ProfileIr {
        ProfileIr {
            default,
            rules,
            layers: Vec::new(),
            default_origin: Origin::default(),
        }
    }

    /// Renames the file of every origin the IR carries (rules, the default action, each
    /// layer's default): how a reader names a file is not how artifacts name it.
    pub(crate) fn rename_origin_files(&mut self, name: impl Fn(&str) -> String) {
        let origins = self
            .rules
            .iter_mut()
            .map(|r| &mut r.origin)
            .chain(std::iter::once(&mut self.default_origin))
            .chain(self.layers.iter_mut().map(|l| &mut l.default_origin));
        for origin in origins {
            if !origin.file.is_empty() {
                origin.file = name(&origin.file);
            }
        }
    }

    /// The same IR with the default action's source location.
    pub(crate) fn with_default_origin(mut self, origin: Origin) -> ProfileIr {
        self.default_origin = origin;
        self
    }

    /// Each enforced layer as a plain IR with the index of its first rule in `rules`. Rules
    /// past the partition (appended by a tool such as `shim suggest`) extend the last layer.
    pub(crate) fn layer_irs(&self) -> Vec<(usize, Option<&str>, ProfileIr)> {
        if self.layers.is_empty() {
            return vec![(
                0,
                None,
                ProfileIr::new(self.default, self.rules.clone())
                    .with_default_origin(self.default_origin.clone()),
            )];
        }
        let mut start = 0;
        let mut out = Vec::new();
        for (k, layer) in self.layers.iter().enumerate() {
            let end = if k + 1 == self.layers.len() {
                self.rules.len()
            } else {
                (start + layer.rules).min(self.rules.len())
            };
            out.push((
                start,
                Some(layer.profile.as_str()),
                ProfileIr::new(layer.default, self.rules[start..end].to_vec())
                    .with_default_origin(layer.default_origin.clone()),
            ));
            start = end;
        }
        out
    }
}
