//! Canonical JSON: object keys sorted, no insignificant whitespace. Digests and world ids are
//! computed over these bytes, so they must not depend on field order or map implementation.

use serde::Serialize;
use serde_json::Value;

/// Serialises `value` canonically (compact, keys sorted at every level).
pub fn canonical_json<T: Serialize + ?Sized>(value: &T) -> Vec<u8> {
    let value = serde_json::to_value(value).expect("serialising plain data cannot fail");
    let mut out = Vec::new();
    write_sorted(&value, &mut out);
    out
}

fn write_sorted(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.push(b'{');
            for (i, (key, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                out.extend(serde_json::to_vec(key).expect("a string serialises"));
                out.push(b':');
                write_sorted(item, out);
            }
            out.push(b'}');
        }
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_sorted(item, out);
            }
            out.push(b']');
        }
        scalar => out.extend(serde_json::to_vec(scalar).expect("a scalar serialises")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_keys_at_every_level() {
        let value = serde_json::json!({"b": 1, "a": {"z": [true, null], "y": "x"}});
        assert_eq!(
            String::from_utf8(canonical_json(&value)).unwrap(),
            r#"{"a":{"y":"x","z":[true,null]},"b":1}"#
        );
    }
}
