//! Recognising the runtime-tools format by its schema strings.
//!
//! Their strings look like `runtime-tools.<artifact>.v0.<minor>`; a few older suite-private
//! strings (`hardened-runtime.*`) appear in real bundles too. Only major 0 exists; a reader
//! must refuse a major it does not know.

/// The format name reported by `xpr verify` and `xpr diff`.
pub(crate) const FORMAT: &str = "runtime-tools";

/// The schema the artifact index must carry for the bundle to be read at all.
pub(crate) const INDEX_SCHEMA_PREFIX: &str = "runtime-tools.artifact_index.v";

const FAMILIES: [&str; 2] = ["runtime-tools.", "hardened-runtime"];

/// The major version of a runtime-tools schema string, or `None` if it is not one.
pub(crate) fn major(schema: &str) -> Option<u32> {
    if !FAMILIES.iter().any(|f| schema.starts_with(f)) {
        return None;
    }
    // The version starts at the first `.v` followed by a digit: `.v0.1` → major 0.
    let version = schema
        .match_indices(".v")
        .map(|(i, _)| &schema[i + 2..])
        .find(|rest| rest.starts_with(|c: char| c.is_ascii_digit()))?;
    version.split('.').next()?.parse().ok()
}

/// True when the string is a runtime-tools schema of a major this reader understands.
pub(crate) fn is_known(schema: &str) -> bool {
    major(schema) == Some(0)
}

/// True when the string names the runtime-tools artifact index (any major).
pub(crate) fn is_index_schema(schema: &str) -> bool {
    schema.starts_with(INDEX_SCHEMA_PREFIX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn majors() {
        assert_eq!(major("runtime-tools.artifact_index.v0.1"), Some(0));
        assert_eq!(major("runtime-tools.promotion_packet.v0.2"), Some(0));
        assert_eq!(major("hardened-runtime.run_manifest.v0.2"), Some(0));
        assert_eq!(major("runtime-tools.summary.v1.0"), Some(1));
        assert_eq!(major("xpr.verdicts.v1"), None);
        assert!(is_known("runtime-tools.run_status.v0.1"));
        assert!(!is_known("runtime-tools.run_status.v2.0"));
    }
}
