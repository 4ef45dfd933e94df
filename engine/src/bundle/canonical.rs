//! Canonical JSON: object keys sorted (serde_json's map is ordered), no insignificant
//! differences between two writes of the same value.
//!
//! Documents are pretty-printed (two-space indent) with a trailing newline, so they read well
//! on GitHub and diff line by line; JSON Lines records are compact, one per line.

use serde::Serialize;
use serde_json::Value;

pub(crate) const SCHEMA_KEY: &str = "schema_version";

/// Why a value cannot be written as an artifact of a schema.
#[derive(Debug, thiserror::Error)]
pub(crate) enum CanonicalError {
    #[error("{0}")]
    Serialize(#[from] serde_json::Error),
    #[error("a {0} artifact must be a JSON object to carry its schema_version")]
    NotAnObject(String),
    #[error("value already carries schema_version {found}, not {schema:?}")]
    OtherSchema { found: Value, schema: String },
}

/// `value` as a JSON object with `schema_version` set to `schema`.
///
/// Fails when the value is not an object, or already carries a different schema version.
pub(crate) fn with_schema(value: &impl Serialize, schema: &str) -> Result<Value, CanonicalError> {
    let mut value = serde_json::to_value(value)?;
    let Value::Object(map) = &mut value else {
        return Err(CanonicalError::NotAnObject(schema.to_string()));
    };
    match map.get(SCHEMA_KEY) {
        Some(Value::String(existing)) if existing == schema => {}
        Some(other) => {
            return Err(CanonicalError::OtherSchema {
                found: other.clone(),
                schema: schema.to_string(),
            });
        }
        None => {
            map.insert(SCHEMA_KEY.to_string(), Value::String(schema.to_string()));
        }
    }
    Ok(value)
}

/// A document: pretty, sorted keys, trailing newline.
pub(crate) fn document_bytes(value: &Value) -> Vec<u8> {
    // Serialising a `Value` cannot fail: its keys are strings.
    let mut out = serde_json::to_vec_pretty(value).expect("a JSON value serialises");
    out.push(b'\n');
    out
}

/// One JSON Lines record: compact, sorted keys, trailing newline.
pub(crate) fn line_bytes(value: &Value) -> Vec<u8> {
    let mut out = serde_json::to_vec(value).expect("a JSON value serialises");
    out.push(b'\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorted_pretty_with_newline() {
        #[derive(Serialize)]
        struct S {
            zeta: u8,
            alpha: u8,
        }
        let v = with_schema(&S { zeta: 1, alpha: 2 }, "xpr.t.v1").unwrap();
        let text = String::from_utf8(document_bytes(&v)).unwrap();
        assert_eq!(
            text,
            "{\n  \"alpha\": 2,\n  \"schema_version\": \"xpr.t.v1\",\n  \"zeta\": 1\n}\n"
        );
        assert!(with_schema(&[1, 2], "xpr.t.v1").is_err());
    }
}
