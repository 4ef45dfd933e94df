//! Keeps absolute host paths out of artifacts.
//!
//! Two lists, both of absolute path prefixes:
//! - **substitutions** (`/tmp/xpr-scratch-1a2b` → `{scratch}`): rewritten in every string of a
//!   JSON or JSON Lines artifact and in text artifacts, so per-run paths never reach a digest;
//! - **forbidden** prefixes (the repository, the temp root, the home directory): any artifact
//!   that still contains one after rewriting is refused with an error naming the artifact.
//!   Substituted prefixes are forbidden too, so binary artifacts (never rewritten) cannot leak
//!   them either.
//!
//! A prefix matches only as a whole path: `/tmp` matches `/tmp`, `/tmp/x` and `"/tmp"`, but
//! not `/tmpfoo`, `/var/tmp` or `{scratch}/tmp`.

use std::borrow::Cow;

use serde_json::Value;

#[derive(Clone, Debug, Default)]
pub struct PathGuard {
    /// (prefix, placeholder), longest prefix first.
    substitutions: Vec<(String, String)>,
    forbidden: Vec<String>,
}

/// An artifact would contain a forbidden host path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ForbiddenPath {
    pub prefix: String,
    /// 1-based line of the first occurrence.
    pub line: usize,
}

impl PathGuard {
    pub fn new() -> PathGuard {
        PathGuard::default()
    }

    /// Rewrite `prefix` to `placeholder` (e.g. the scratch root to `{scratch}`).
    pub fn substitute(mut self, prefix: &str, placeholder: &str) -> PathGuard {
        if let Some(prefix) = normalise(prefix) {
            self.forbidden.push(prefix.clone());
            self.substitutions.push((prefix, placeholder.to_string()));
            self.substitutions
                .sort_by(|a, b| b.0.len().cmp(&a.0.len()).then(a.0.cmp(&b.0)));
        }
        self
    }

    /// Refuse any artifact containing `prefix`. `/` and relative prefixes are ignored: they
    /// would forbid every path rather than a host-specific one.
    pub fn forbid(mut self, prefix: &str) -> PathGuard {
        if let Some(prefix) = normalise(prefix) {
            self.forbidden.push(prefix);
        }
        self
    }

    #[cfg(test)]
    fn is_empty(&self) -> bool {
        self.forbidden.is_empty()
    }

    /// Applies the substitutions to every string (keys included) of a JSON value.
    pub(crate) fn rewrite_value(&self, value: &mut Value) {
        if self.substitutions.is_empty() {
            return;
        }
        match value {
            Value::String(s) => {
                if let Cow::Owned(new) = self.rewrite_text(s) {
                    *s = new;
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|v| self.rewrite_value(v)),
            Value::Object(map) => {
                let old = std::mem::take(map);
                for (key, mut v) in old {
                    self.rewrite_value(&mut v);
                    map.insert(self.rewrite_text(&key).into_owned(), v);
                }
            }
            _ => {}
        }
    }

    /// Applies the substitutions to text.
    pub(crate) fn rewrite_text<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let mut out = Cow::Borrowed(text);
        for (prefix, placeholder) in &self.substitutions {
            let positions = find_paths(out.as_bytes(), prefix.as_bytes());
            if positions.is_empty() {
                continue;
            }
            let mut rewritten = String::with_capacity(out.len());
            let mut last = 0;
            for at in positions {
                rewritten.push_str(&out[last..at]);
                rewritten.push_str(placeholder);
                last = at + prefix.len();
            }
            rewritten.push_str(&out[last..]);
            out = Cow::Owned(rewritten);
        }
        out
    }

    /// The first forbidden prefix found in `bytes`, if any.
    pub(crate) fn check(&self, bytes: &[u8]) -> Result<(), ForbiddenPath> {
        for prefix in &self.forbidden {
            if let Some(&at) = find_paths(bytes, prefix.as_bytes()).first() {
                let line = 1 + bytes[..at].iter().filter(|&&b| b == b'\n').count();
                return Err(ForbiddenPath {
                    prefix: prefix.clone(),
                    line,
                });
            }
        }
        Ok(())
    }
}

fn normalise(prefix: &str) -> Option<String> {
    let trimmed = prefix.trim_end_matches('/');
    (trimmed.starts_with('/') && trimmed.len() > 1).then(|| trimmed.to_string())
}

/// Bytes that continue a path component or a placeholder: a match must not touch them.
fn is_path_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'~' | b'}' | b'+' | b'@')
}

/// Start offsets of whole-path occurrences of `prefix` in `hay`.
fn find_paths(hay: &[u8], prefix: &[u8]) -> Vec<usize> {
    let mut found = Vec::new();
    if prefix.is_empty() || hay.len() < prefix.len() {
        return found;
    }
    let mut i = 0;
    while i + prefix.len() <= hay.len() {
        if hay[i] == prefix[0] && &hay[i..i + prefix.len()] == prefix {
            let before_ok = i == 0 || !(is_path_byte(hay[i - 1]) || hay[i - 1] == b'/');
            let after = hay.get(i + prefix.len()).copied();
            let after_ok = after.is_none_or(|b| !is_path_byte(b));
            if before_ok && after_ok {
                found.push(i);
                i += prefix.len();
                continue;
            }
        }
        i += 1;
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewrites_and_refuses_whole_paths() {
        let guard = PathGuard::new()
            .substitute("/tmp/xpr-scratch-1/", "{scratch}")
            .forbid("/tmp")
            .forbid("/home/someone/repo");
        assert_eq!(
            guard.rewrite_text("open /tmp/xpr-scratch-1/foo: EACCES"),
            "open {scratch}/foo: EACCES"
        );
        assert_eq!(
            guard.rewrite_text("/tmp/xpr-scratch-10/a"),
            "/tmp/xpr-scratch-10/a"
        );
        assert!(guard.check(b"{scratch}/tmp/x /var/tmp/y /tmpfoo").is_ok());
        let err = guard.check(b"ok\n\"/tmp/x\"").unwrap_err();
        assert_eq!((err.prefix.as_str(), err.line), ("/tmp", 2));
        assert!(guard.check(b"cwd=/home/someone/repo").is_err());
        let mut v = serde_json::json!({"/tmp/xpr-scratch-1/k": ["/tmp/xpr-scratch-1"]});
        guard.rewrite_value(&mut v);
        assert_eq!(v, serde_json::json!({"{scratch}/k": ["{scratch}"]}));
        assert!(PathGuard::new().forbid("/").is_empty());
    }
}
