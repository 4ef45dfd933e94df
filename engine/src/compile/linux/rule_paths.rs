//! Paths named by rules, and how two of them relate. `{scratch}` is a root of its own: the
//! compiler cannot know where the run will put it, so a literal path other than `/` is
//! *assumed* not to contain it, and the assumption is recorded for prepare to check.

pub(crate) const SCRATCH: &str = "{scratch}";

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct RulePath {
    /// As written in the plan: `/etc/hosts`, `{scratch}/a`.
    pub text: String,
    /// SBPL `literal` (the node itself) rather than `subpath` (node and descendants).
    pub literal: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Relation {
    Same,
    /// The first path lies strictly below the second.
    Inside,
    /// The second path lies strictly below the first.
    Contains,
    Disjoint,
}

/// Normalises a filter path: absolute or under `{scratch}`, no `.`/`..`, no trailing `/`.
pub(crate) fn normalise(raw: &str) -> Result<String, String> {
    let (root, rest) = if let Some(rest) = raw.strip_prefix(SCRATCH) {
        if !(rest.is_empty() || rest.starts_with('/')) {
            return Err(format!(
                "path {raw:?}: `{SCRATCH}` must be a whole component"
            ));
        }
        (SCRATCH, rest)
    } else if raw.starts_with('/') {
        ("", raw)
    } else {
        return Err(format!(
            "path {raw:?} is relative; Landlock rules need absolute paths"
        ));
    };
    let mut parts = Vec::new();
    for part in rest.split('/').filter(|p| !p.is_empty()) {
        if part == "." || part == ".." {
            return Err(format!("path {raw:?} has `{part}` components"));
        }
        if part.contains(SCRATCH) {
            return Err(format!("path {raw:?}: `{SCRATCH}` may only start a path"));
        }
        parts.push(part);
    }
    Ok(match (root, parts.is_empty()) {
        ("", true) => "/".to_string(),
        ("", false) => format!("/{}", parts.join("/")),
        (_, true) => SCRATCH.to_string(),
        (_, false) => format!("{SCRATCH}/{}", parts.join("/")),
    })
}

/// A host rule path as Landlock will see it: the node its symlinks lead to, when it exists
/// (prepare opens it following them). `Some` when that differs from the path as written, as on
/// merged-/usr hosts where `/lib` leads to `/usr/lib`. Scratch paths stay as written (nothing
/// in the run creates links there for rules), and so do `/proc` and `/dev`: their links name
/// the preparing process or a terminal, which would make the plan differ from run to run.
pub(crate) fn resolved_elsewhere(text: &str) -> Option<String> {
    let volatile = ["/proc", "/dev"]
        .iter()
        .any(|root| text == *root || text.starts_with(&format!("{root}/")));
    if text.starts_with(SCRATCH) || volatile {
        return None;
    }
    let real = std::fs::canonicalize(text).ok()?;
    let real = real.to_string_lossy().into_owned();
    (real != text).then_some(real)
}

/// The path a rule's grants and denials apply to on this host: as written, or where its
/// symlinks lead (`resolved_elsewhere`).
pub(crate) fn on_host(text: String) -> String {
    resolved_elsewhere(&text).unwrap_or(text)
}

fn components(path: &str) -> (bool, Vec<&str>) {
    match path.strip_prefix(SCRATCH) {
        Some(rest) => (true, rest.split('/').filter(|p| !p.is_empty()).collect()),
        None => (false, path.split('/').filter(|p| !p.is_empty()).collect()),
    }
}

/// How `a` relates to `b`. The second value names a literal path assumed not to contain the
/// scratch root when that assumption decided the answer.
pub(crate) fn relation(a: &str, b: &str) -> (Relation, Option<String>) {
    let (a_scratch, a_parts) = components(a);
    let (b_scratch, b_parts) = components(b);
    if a_scratch != b_scratch {
        // A literal root contains everything, the scratch root included.
        if !a_scratch && a_parts.is_empty() {
            return (Relation::Contains, None);
        }
        if !b_scratch && b_parts.is_empty() {
            return (Relation::Inside, None);
        }
        let literal = if a_scratch { b } else { a };
        return (Relation::Disjoint, Some(literal.to_string()));
    }
    let common = a_parts
        .iter()
        .zip(&b_parts)
        .take_while(|(x, y)| x == y)
        .count();
    let relation = if common == a_parts.len() && common == b_parts.len() {
        Relation::Same
    } else if common == b_parts.len() {
        Relation::Inside
    } else if common == a_parts.len() {
        Relation::Contains
    } else {
        Relation::Disjoint
    };
    (relation, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_and_rejects() {
        assert_eq!(normalise("/a//b/").unwrap(), "/a/b");
        assert_eq!(normalise("{scratch}").unwrap(), "{scratch}");
        assert_eq!(normalise("{scratch}/x/").unwrap(), "{scratch}/x");
        assert!(normalise("a/b").is_err());
        assert!(normalise("/a/../b").is_err());
        assert!(normalise("{scratch}x").is_err());
    }

    #[test]
    fn relates_paths() {
        assert_eq!(relation("/a/b", "/a").0, Relation::Inside);
        assert_eq!(relation("/a", "/a/b").0, Relation::Contains);
        assert_eq!(relation("/a", "/a").0, Relation::Same);
        assert_eq!(relation("/ab", "/a").0, Relation::Disjoint);
        assert_eq!(relation("{scratch}/x", "/").0, Relation::Inside);
        assert_eq!(
            relation("{scratch}/x", "/tmp"),
            (Relation::Disjoint, Some("/tmp".to_string()))
        );
    }
}
