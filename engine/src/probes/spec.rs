//! A probe with everything resolved for one run: `{scratch}` substituted and fixtures looked up.
//!
//! It is what a worker prepares from, and what the engine hands the probe helper as JSON.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::model::ArgValue;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ProbeSpec {
    pub family: String,
    /// Target with `{scratch}` replaced by the run's scratch root.
    pub target: Option<String>,
    pub args: BTreeMap<String, ArgValue>,
    /// The run's scratch root (host-safety checks of writing drivers).
    pub scratch: String,
    /// Port of the TCP listener fixture the probe names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// Name of the abstract unix listener fixture the probe names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unix_name: Option<String>,
    /// Pid of the outside process fixture the probe names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pid: Option<i32>,
}

impl ProbeSpec {
    pub(crate) fn arg_str(&self, name: &str) -> Option<String> {
        match self.args.get(name)? {
            ArgValue::Str(s) => Some(s.replace("{scratch}", &self.scratch)),
            ArgValue::Int(i) => Some(i.to_string()),
            ArgValue::Bool(b) => Some(b.to_string()),
            ArgValue::List(_) => None,
        }
    }

    pub(crate) fn arg_int(&self, name: &str) -> Option<i64> {
        match self.args.get(name)? {
            ArgValue::Int(i) => Some(*i),
            ArgValue::Str(s) => s.parse().ok(),
            _ => None,
        }
    }

    pub(crate) fn arg_list(&self, name: &str) -> Option<Vec<String>> {
        match self.args.get(name)? {
            ArgValue::List(l) => Some(
                l.iter()
                    .map(|s| s.replace("{scratch}", &self.scratch))
                    .collect(),
            ),
            ArgValue::Str(s) => Some(vec![s.replace("{scratch}", &self.scratch)]),
            _ => None,
        }
    }

    pub(crate) fn require_target(&self) -> Result<&str, String> {
        self.target
            .as_deref()
            .ok_or_else(|| format!("family `{}` needs a target", self.family))
    }

    /// Whether `path` lies inside the scratch root (lexically; targets are absolute).
    pub(crate) fn inside_scratch(&self, path: &str) -> bool {
        !self.scratch.is_empty()
            && (path == self.scratch || path.starts_with(&format!("{}/", self.scratch)))
            && !path.split('/').any(|c| c == "..")
    }
}
