//! Run ids: `YYYYMMDDTHHMMSSZ-<6 hex>[-<label>]`, sortable by start time as plain text.

use std::fmt;
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use super::time::UtcTime;

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RunId(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid run id or label {value:?}: {why}")]
pub struct InvalidRunId {
    pub value: String,
    pub why: &'static str,
}

const LABEL_MAX: usize = 64;

impl RunId {
    /// A fresh id for a run starting now; `label` (letters, digits, `.`, `_`, `-`) is appended.
    pub fn new(label: Option<&str>) -> Result<RunId, InvalidRunId> {
        Self::at(SystemTime::now(), random_suffix(), label)
    }

    /// The id for a run started at `time` with a given random part (tests, reproducible ids).
    pub fn at(time: SystemTime, random: u32, label: Option<&str>) -> Result<RunId, InvalidRunId> {
        let mut id = format!(
            "{}-{:06x}",
            UtcTime::from_system(time).compact(),
            random & 0xff_ffff
        );
        if let Some(label) = label {
            check_label(label)?;
            id.push('-');
            id.push_str(label);
        }
        Ok(RunId(id))
    }

    /// Accepts an id as written by [`RunId::new`].
    pub(crate) fn parse(s: &str) -> Result<RunId, InvalidRunId> {
        let bad = |why| InvalidRunId {
            value: s.to_string(),
            why,
        };
        let b = s.as_bytes();
        let time_ok = b.len() >= 23
            && b[..8].iter().all(u8::is_ascii_digit)
            && b[8] == b'T'
            && b[9..15].iter().all(u8::is_ascii_digit)
            && b[15] == b'Z'
            && b[16] == b'-'
            && b[17..23]
                .iter()
                .all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f'));
        if !time_ok {
            return Err(bad("expected YYYYMMDDTHHMMSSZ-xxxxxx[-label]"));
        }
        match &s[23..] {
            "" => {}
            rest => match rest.strip_prefix('-') {
                Some(label) => check_label(label).map_err(|e| bad(e.why))?,
                None => return Err(bad("expected YYYYMMDDTHHMMSSZ-xxxxxx[-label]")),
            },
        }
        Ok(RunId(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The rule for `--label`: 1 to 64 letters, digits, `.`, `_` or `-`, not starting with `.`.
pub(crate) fn check_label(label: &str) -> Result<(), InvalidRunId> {
    let bad = |why| {
        Err(InvalidRunId {
            value: label.to_string(),
            why,
        })
    };
    if label.is_empty() || label.len() > LABEL_MAX {
        return bad("a label has 1 to 64 characters");
    }
    if !label
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
    {
        return bad("a label uses only letters, digits, '.', '_' and '-'");
    }
    if label.starts_with('.') {
        return bad("a label does not start with '.'");
    }
    Ok(())
}

/// 24 random bits from the kernel; two runs in the same second still get distinct ids.
fn random_suffix() -> u32 {
    let mut buf = [0u8; 4];
    match std::fs::File::open("/dev/urandom").and_then(|mut f| {
        use std::io::Read;
        f.read_exact(&mut buf)
    }) {
        Ok(()) => u32::from_le_bytes(buf),
        // Uniqueness, not secrecy, is what matters here: fall back to clock noise.
        Err(_) => {
            let nanos = SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .map(|d| d.subsec_nanos())
                .unwrap_or(0);
            nanos ^ std::process::id()
        }
    }
}

impl fmt::Display for RunId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for RunId {
    type Error = InvalidRunId;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        RunId::parse(&s)
    }
}

impl From<RunId> for String {
    fn from(id: RunId) -> String {
        id.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn format_and_parse() {
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_000_000);
        let id = RunId::at(t, 0xabc123, Some("abi-3")).unwrap();
        assert_eq!(id.as_str(), "20261118T110640Z-abc123-abi-3");
        assert_eq!(RunId::parse(id.as_str()).unwrap(), id);
        assert!(RunId::at(t, 1, Some("a/b")).is_err());
        assert!(RunId::at(t, 1, Some("")).is_err());
        assert!(RunId::parse("20261118T110640Z").is_err());
        assert!(RunId::parse("20261118T110640Z-abc123x").is_err());
        let fresh = RunId::new(None).unwrap();
        assert_eq!(RunId::parse(fresh.as_str()).unwrap(), fresh);
    }
}
