//! Shared state of one resolution: the files (for spans → origins), diagnostics, parameters.

use std::collections::BTreeMap;
use std::sync::Arc;

use miette::SourceSpan;

use crate::decode::syntax::Text;
use crate::diagnostics::{Diag, Diagnostics, codes};
use crate::model::Origin;
use crate::source::{FileId, LineIndex, SourceFile};

pub(crate) struct Cx {
    pub files: Vec<Arc<SourceFile>>,
    pub diags: Diagnostics,
    /// Parameter values, already substituted (`{scratch}` stays symbolic).
    pub params: BTreeMap<String, String>,
    /// Line starts per file, built on first use: every rule, probe and expectation asks.
    pub lines: Vec<std::sync::OnceLock<LineIndex>>,
    /// How many more bytes `{param}` substitution may add to this load's strings.
    pub expansion_left: usize,
    /// Where SBPL files' imports may come from.
    pub sbpl: super::SbplImports,
}

/// Longest string `{param}` substitution may produce (a path is at most 4 KiB; fixture
/// contents stay far below this).
pub(crate) const MAX_SUBSTITUTED: usize = 1 << 20;

/// How much all substitutions of one load may add in total: parameters that each double
/// the previous one, used in every probe, must not reach gigabytes.
pub(crate) const EXPANSION_BUDGET: usize = 16 << 20;

/// The reserved parameter that stays symbolic until a run creates the scratch root.
pub(crate) const SCRATCH: &str = "scratch";

impl Cx {
    pub(crate) fn file(&self, id: FileId) -> &Arc<SourceFile> {
        &self.files[id]
    }

    /// The directory of the root file, which every artifact name (and so every file an
    /// experiment names) is relative to; the working directory for a root given as text.
    pub(crate) fn root_dir(&self) -> std::path::PathBuf {
        self.files
            .first()
            .and_then(|f| f.path.as_deref())
            .and_then(std::path::Path::parent)
            .filter(|dir| !dir.as_os_str().is_empty())
            .map_or_else(|| ".".into(), std::path::Path::to_path_buf)
    }

    pub(crate) fn origin(&self, id: FileId, span: SourceSpan) -> Origin {
        let file = &self.files[id];
        let index = self.lines[id].get_or_init(|| file.line_index());
        let (line, column) = index.line_col(&file.text, span.offset());
        Origin {
            file: file.artifact.clone(),
            line,
            column,
            span: (span.offset(), span.len()),
            shim: None,
        }
    }

    /// An error located at `span` in file `id`.
    pub(crate) fn error(
        &self,
        code: &'static str,
        id: FileId,
        span: SourceSpan,
        message: impl Into<String>,
        label: impl Into<String>,
    ) -> Diag {
        Diag::error(code, message).at(&self.files[id], span, label)
    }

    /// An error at a place already resolved to an [`Origin`] (a file of this experiment).
    pub(crate) fn error_at_origin(
        &self,
        code: &'static str,
        origin: &Origin,
        message: impl Into<String>,
        label: impl Into<String>,
    ) -> Diag {
        match self.files.iter().position(|f| f.artifact == origin.file) {
            Some(id) => self.error(code, id, SourceSpan::from(origin.span), message, label),
            None => Diag::error(code, message),
        }
    }

    pub(crate) fn push(&mut self, diag: Diag) {
        self.diags.push(diag);
    }

    /// Substitutes `{name}` parameters in a string; `{scratch}` stays; an unknown one, or a
    /// result past the limits, is an error (and the text stays as written).
    pub(crate) fn subst(&mut self, id: FileId, text: &Text) -> String {
        let limit = MAX_SUBSTITUTED.min(text.value.len().saturating_add(self.expansion_left));
        match substitute(&text.value, &self.params, limit) {
            Ok(s) => {
                self.expansion_left -= s.len().saturating_sub(text.value.len());
                s
            }
            Err(SubstError::TooLong) => {
                let (message, help) = if limit == MAX_SUBSTITUTED {
                    (
                        format!(
                            "parameters make this string longer than {} MiB",
                            MAX_SUBSTITUTED >> 20
                        ),
                        "a parameter used here expands to something huge (parameters that double each other?)",
                    )
                } else {
                    (
                        format!(
                            "parameter substitution has made this experiment's strings {} MiB longer; this one goes past that",
                            EXPANSION_BUDGET >> 20
                        ),
                        "long parameters are used in too many strings; shorten them",
                    )
                };
                let diag = self
                    .error(
                        codes::LIMIT_EXPANSION,
                        id,
                        text.span,
                        message,
                        "expands too far",
                    )
                    .help(help);
                self.push(diag);
                text.value.clone()
            }
            Err(SubstError::Unknown(unknown)) => {
                let help = self
                    .diags
                    .suggest(
                        &unknown,
                        self.params.keys().map(String::as_str).chain([SCRATCH]),
                    )
                    .unwrap_or_else(|| {
                        "declare it in the experiment header: `param NAME VALUE`".to_string()
                    });
                let span = placeholder_span(text, &unknown);
                let diag = self
                    .error(
                        codes::UNKNOWN_PARAM,
                        id,
                        span,
                        format!("unknown parameter `{{{unknown}}}`"),
                        "not a parameter",
                    )
                    .help(help);
                self.push(diag);
                text.value.clone()
            }
        }
    }

    /// Whether a substituted value still holds an unknown `{name}` (already reported by
    /// [`Cx::subst`]): checks of what the value means are skipped, so one typo is one error.
    pub(crate) fn unresolved(&self, value: &str) -> bool {
        matches!(
            substitute(value, &self.params, MAX_SUBSTITUTED),
            Err(SubstError::Unknown(_))
        )
    }

    /// A reference to a name that does not exist, with "did you mean".
    pub(crate) fn unknown_ref<'a>(
        &mut self,
        code: &'static str,
        what: &str,
        id: FileId,
        name: &Text,
        known: impl Iterator<Item = &'a str>,
    ) {
        let help = self.diags.suggest(&name.value, known);
        let diag = self
            .error(
                code,
                id,
                name.span,
                format!("unknown {what} `{}`", name.value),
                format!("no such {what}"),
            )
            .help_opt(help);
        self.push(diag);
    }
}

/// Why a string could not be substituted.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum SubstError {
    /// The first `{name}` that names no parameter.
    Unknown(String),
    /// The result would be longer than the limit.
    TooLong,
}

/// `{name}` → value for every known name; `{scratch}` and `{{`-free text are left as is. The
/// result is never longer than `limit` bytes (checked before each piece is appended).
pub(crate) fn substitute(
    s: &str,
    params: &BTreeMap<String, String>,
    limit: usize,
) -> Result<String, SubstError> {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            rest = &rest[open..];
            break;
        };
        let name = &after[..close];
        if !is_placeholder_name(name) {
            out.push('{');
            rest = after;
            continue;
        }
        let value = match params.get(name) {
            _ if name == SCRATCH => "{scratch}",
            Some(v) => v.as_str(),
            None => return Err(SubstError::Unknown(name.to_string())),
        };
        if out.len() + value.len() > limit {
            return Err(SubstError::TooLong);
        }
        out.push_str(value);
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    if out.len() > limit {
        return Err(SubstError::TooLong);
    }
    Ok(out)
}

/// The span of `{name}` inside a string, when the source text is the value as written (a
/// bare word, or a quoted string without escapes); otherwise the whole string.
fn placeholder_span(text: &Text, name: &str) -> SourceSpan {
    let needle = format!("{{{name}}}");
    let Some(at) = text.value.find(&needle) else {
        return text.span;
    };
    let quote = match text.span.len().checked_sub(text.value.len()) {
        Some(0) => 0,
        Some(2) => 1,
        _ => return text.span,
    };
    SourceSpan::from((text.span.offset() + quote + at, needle.len()))
}

/// Whether `{name}` is a placeholder (spec §2.1): a letter, then letters, digits, `-` or `_`.
pub(crate) fn is_placeholder_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// A path strictly below `{scratch}`, without `..`: what a destructive probe or a fixture may
/// act on (`{scratch}` itself, `{scratch}/` and `{scratch}/.` are the run's root, not theirs).
pub(crate) fn below_scratch(path: &str) -> bool {
    under_scratch(path)
        && path
            .strip_prefix("{scratch}")
            .is_some_and(|rest| rest.split('/').any(|c| !c.is_empty() && c != "."))
}

/// A path at or below `{scratch}`, without `..`.
pub(crate) fn under_scratch(path: &str) -> bool {
    let Some(rest) = path.strip_prefix("{scratch}") else {
        return false;
    };
    (rest.is_empty() || rest.starts_with('/')) && !rest.split('/').any(|c| c == "..")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn substitutes_and_keeps_scratch() {
        let params = BTreeMap::from([("foo".to_string(), "{scratch}/foo".to_string())]);
        assert_eq!(
            substitute("{foo}/bar", &params, 100).unwrap(),
            "{scratch}/foo/bar"
        );
        assert_eq!(
            substitute("^/a{2}$ {x y}", &params, 100).unwrap(),
            "^/a{2}$ {x y}"
        );
        assert_eq!(
            substitute("{nope}", &params, 100).unwrap_err(),
            SubstError::Unknown("nope".into())
        );
        assert_eq!(substitute("{foo}/bar", &params, 17).unwrap().len(), 17);
        assert_eq!(
            substitute("{foo}/bar", &params, 16).unwrap_err(),
            SubstError::TooLong
        );
        assert_eq!(
            substitute("{foo}{foo}", &params, 20).unwrap_err(),
            SubstError::TooLong
        );
        assert!(under_scratch("{scratch}/a/b"));
        assert!(!under_scratch("{scratch}/../etc"));
        assert!(!under_scratch("/etc/hosts"));
        assert!(!under_scratch("{scratch}x"));
        assert!(below_scratch("{scratch}/a") && below_scratch("{scratch}/./a"));
        for root in [
            "{scratch}",
            "{scratch}/",
            "{scratch}/.",
            "{scratch}//./",
            "/etc",
        ] {
            assert!(!below_scratch(root), "{root}");
        }
    }
}
