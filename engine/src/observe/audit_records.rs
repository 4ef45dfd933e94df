//! Landlock audit records as text → [`AuditRecord`]: `audit(<sec>.<ms>:<serial>): domain=...
//! blockers=fs.read_file path="/etc/hosts" dev="vda1" ino=1234`.

use crate::model::AuditRecord;

pub(crate) const AUDIT_LANDLOCK_ACCESS: u16 = 1423;
pub(crate) const AUDIT_LANDLOCK_DOMAIN: u16 = 1424;

/// Audit prints a string with spaces or quotes as bare hex.
fn unhex(value: &str) -> Option<String> {
    if !value.len().is_multiple_of(2) || !value.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let bytes: Option<Vec<u8>> = (0..value.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&value[i..i + 2], 16).ok())
        .collect();
    bytes.map(|b| String::from_utf8_lossy(&b).into_owned())
}

/// `key=value` pairs, values unquoted.
pub(crate) fn fields(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = text.trim();
    while !rest.is_empty() {
        let Some(eq) = rest.find('=') else { break };
        let key = rest[..eq].trim().to_string();
        let after = &rest[eq + 1..];
        let (value, next) = if let Some(quoted) = after.strip_prefix('"') {
            match quoted.find('"') {
                Some(end) => (quoted[..end].to_string(), &quoted[end + 1..]),
                None => (quoted.to_string(), ""),
            }
        } else {
            let end = after.find(' ').unwrap_or(after.len());
            let raw = &after[..end];
            let value = if matches!(key.as_str(), "path" | "exe" | "comm" | "ocomm") {
                unhex(raw).unwrap_or_else(|| raw.to_string())
            } else {
                raw.to_string()
            };
            (value, &after[end..])
        };
        out.push((key, value));
        rest = next.trim_start();
    }
    out
}

/// Parses one record; `symbolic` makes host scratch paths `{scratch}`.
pub(crate) fn parse(
    kind: u16,
    payload: &[u8],
    symbolic: &dyn Fn(&str) -> String,
) -> Option<AuditRecord> {
    if kind != AUDIT_LANDLOCK_ACCESS && kind != AUDIT_LANDLOCK_DOMAIN {
        return None;
    }
    let text = String::from_utf8_lossy(payload);
    let text = text.trim_end_matches('\0').trim();
    let (header, body) = text.split_once("): ")?;
    let serial = header.rsplit_once(':')?.1.parse().ok()?;
    let fields = fields(body);
    let get = |k: &str| {
        fields
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
    };
    Some(AuditRecord {
        record_type: kind,
        serial,
        domain: get("domain"),
        blockers: get("blockers")
            .map(|b| b.split(',').map(str::to_string).collect())
            .unwrap_or_default(),
        path: get("path").map(|p| symbolic(&p)),
        pid: get("pid").and_then(|p| p.parse().ok()),
        text: symbolic(body),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_access_and_domain_records() {
        let id = |s: &str| s.to_string();
        let a = parse(
            AUDIT_LANDLOCK_ACCESS,
            b"audit(1732180000.123:456): domain=1a2b3c blockers=fs.read_file path=\"/etc/hosts\" dev=\"vda1\" ino=12",
            &id,
        )
        .unwrap();
        assert_eq!(a.serial, 456);
        assert_eq!(a.domain.as_deref(), Some("1a2b3c"));
        assert_eq!(a.blockers, vec!["fs.read_file"]);
        assert_eq!(a.path.as_deref(), Some("/etc/hosts"));
        let d = parse(
            AUDIT_LANDLOCK_DOMAIN,
            b"audit(1732180000.123:456): domain=1a2b3c status=allocated mode=enforcing pid=4242 uid=0 exe=2F7573722F62696E2F6361742078 comm=\"cat\"",
            &id,
        )
        .unwrap();
        assert_eq!(d.pid, Some(4242));
        assert!(parse(1300, b"audit(1.2:3): pid=1", &id).is_none());
    }
}
