//! `xpr world`: this host's world facts and harness identity.

use super::*;
use crate::world::{WorldFacts, WorldOptions, canonical_json};

pub(crate) fn run(args: WorldArgs) -> Result<Outcome, Error> {
    let facts = WorldFacts::detect(&WorldOptions {
        landlock_abi_cap: args.landlock_abi,
        landlock_only: args.mechanism == Some(MechanismArg::Landlock),
    });
    if let Some(message) = facts.abi_cap_error() {
        return Err(Error::AbiCap(message));
    }
    let text = match args.format {
        OutputFormat::Json => {
            let mut bytes = canonical_json(&facts);
            bytes.push(b'\n');
            String::from_utf8(bytes).expect("JSON is UTF-8")
        }
        OutputFormat::Text => text_lines(&facts),
    };
    use std::io::Write;
    let _ = std::io::stdout().write_all(text.as_bytes());
    Ok(Outcome::Clean)
}

/// Aligned `key  value` lines within the width, nested keys dotted, lists comma-separated.
fn text_lines(facts: &WorldFacts) -> String {
    let value: serde_json::Value =
        serde_json::from_slice(&canonical_json(facts)).expect("own JSON");
    let mut pairs = Vec::new();
    flatten("", &value, &mut pairs);
    // world_id first: it is what people compare.
    pairs.sort_by_key(|(key, _)| key != "world_id");
    for problem in facts.harness.problems() {
        pairs.push(("harness.problem".into(), problem));
    }
    let rows = pairs.into_iter().map(|(key, value)| vec![key, value]);
    crate::report::columns(&[], rows, crate::report::width::stdout_width(), 0)
}

fn flatten(prefix: &str, value: &serde_json::Value, out: &mut Vec<(String, String)>) {
    use serde_json::Value;
    match value {
        Value::Object(map) => {
            for (key, item) in map {
                let key = if prefix.is_empty() {
                    key.clone()
                } else {
                    format!("{prefix}.{key}")
                };
                flatten(&key, item, out);
            }
        }
        Value::Array(items) => {
            let parts: Vec<String> = items
                .iter()
                .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
                .collect();
            out.push((
                prefix.to_string(),
                if parts.is_empty() {
                    "-".into()
                } else {
                    parts.join(", ")
                },
            ));
        }
        Value::String(s) => out.push((prefix.to_string(), s.clone())),
        other => out.push((prefix.to_string(), other.to_string())),
    }
}
