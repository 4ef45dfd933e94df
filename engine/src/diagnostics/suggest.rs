//! "Did you mean": the closest known name to a misspelled one.

/// The candidate closest to `name`, if it is close enough to be a plausible typo.
pub(crate) fn did_you_mean<'a, I>(name: &str, candidates: I) -> Option<String>
where
    I: IntoIterator<Item = &'a str>,
{
    let mut best: Option<(f64, &str)> = None;
    for candidate in candidates {
        if candidate == name {
            continue;
        }
        let score = strsim::jaro_winkler(name, candidate);
        let distance = strsim::levenshtein(name, candidate);
        // Short names need an edit distance check; jaro-winkler alone over-matches them.
        let plausible = score >= 0.84 || distance <= name.len().max(3) / 3;
        if plausible && best.is_none_or(|(s, _)| score > s) {
            best = Some((score, candidate));
        }
    }
    best.map(|(_, c)| c.to_string())
}

/// `did you mean `x`?` help text, if a candidate is close.
pub(crate) fn help<'a, I>(name: &str, candidates: I) -> Option<String>
where
    I: IntoIterator<Item = &'a str>,
{
    did_you_mean(name, candidates).map(|c| format!("did you mean `{c}`?"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names() {
        assert_eq!(
            did_you_mean("profle", ["profile", "probe", "shim"]).as_deref(),
            Some("profile")
        );
        assert_eq!(
            did_you_mean("file-raed*", ["file-read*", "file-write*"]).as_deref(),
            Some("file-read*")
        );
        assert_eq!(did_you_mean("zzz", ["profile", "probe"]), None);
    }
}
