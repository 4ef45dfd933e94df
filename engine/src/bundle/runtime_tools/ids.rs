//! Expectation ids for runtime-tools records.
//!
//! xpr's id is `<profile>/<probe>` with runtime-tools' `profile_id` and probe `name` as the two
//! parts (their own `expectation_id`, e.g. `mach-name-equivalence:lookup:allow-aa`, is kept as
//! `source_id`). Neither part ever contains the world id, and `xpr import --to-kdl` declares
//! profiles and probes under exactly these names, so a re-run under xpr shares the ids.

/// A profile or probe name usable in a KDL experiment and in an id: characters outside
/// `[A-Za-z0-9._:-]` (notably the id separator `/` and glob characters) become `_`.
pub(crate) fn name(raw: &str) -> String {
    let cleaned: String = raw
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | ':' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if cleaned.is_empty() {
        "_".to_owned()
    } else {
        cleaned
    }
}

/// The stable id `<profile>/<probe>`.
pub(crate) fn expectation_id(profile_id: &str, probe_name: &str) -> String {
    format!("{}/{}", name(profile_id), name(probe_name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_keep_their_names_and_drop_separators() {
        assert_eq!(
            expectation_id("mach-name-equivalence", "lookup-allow-aa"),
            "mach-name-equivalence/lookup-allow-aa"
        );
        assert_eq!(
            expectation_id("anchor-filter-map:cfprefsd:S0_allow_any", "S0_allow_any"),
            "anchor-filter-map:cfprefsd:S0_allow_any/S0_allow_any"
        );
        assert_eq!(expectation_id("a/b", "read /etc/*"), "a_b/read__etc__");
        assert_eq!(name(""), "_");
    }
}
