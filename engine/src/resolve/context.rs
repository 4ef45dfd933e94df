//! Shared state of one resolution: the files (for spans → origins), diagnostics, parameters.

use std::collections::BTreeMap;
use std::sync::Arc;

use miette::SourceSpan;

use crate::decode::syntax::Text;
use crate::diagnostics::{Diag, Diagnostics, codes, suggest};
use crate::model::Origin;
use crate::source::{FileId, LineIndex, SourceFile};

pub struct Cx {
    pub files: Vec<Arc<SourceFile>>,
    pub diags: Diagnostics,
    /// Parameter values, already substituted (`{scratch}` stays symbolic).
    pub params: BTreeMap<String, String>,
    /// Line starts per file, built on first use: every rule, probe and expectation asks.
    pub lines: Vec<std::sync::OnceLock<LineIndex>>,
}

/// The reserved parameter that stays symbolic until a run creates the scratch root.
pub const SCRATCH: &str = "scratch";

impl Cx {
    pub fn file(&self, id: FileId) -> &Arc<SourceFile> {
        &self.files[id]
    }

    pub fn origin(&self, id: FileId, span: SourceSpan) -> Origin {
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
    pub fn error(
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
    pub fn error_at_origin(
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

    pub fn push(&mut self, diag: Diag) {
        self.diags.push(diag);
    }

    /// Substitutes `{name}` parameters in a string; `{scratch}` stays; an unknown one is an error.
    pub fn subst(&mut self, id: FileId, text: &Text) -> String {
        match substitute(&text.value, &self.params) {
            Ok(s) => s,
            Err(unknown) => {
                let help = suggest::help(
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
    pub fn unresolved(&self, value: &str) -> bool {
        substitute(value, &self.params).is_err()
    }

    /// A reference to a name that does not exist, with "did you mean".
    pub fn unknown_ref<'a>(
        &mut self,
        code: &'static str,
        what: &str,
        id: FileId,
        name: &Text,
        known: impl Iterator<Item = &'a str>,
    ) {
        let help = suggest::help(&name.value, known);
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

/// `{name}` → value for every known name; `{scratch}` and `{{`-free text are left as is.
/// Returns the first unknown name on failure.
pub fn substitute(s: &str, params: &BTreeMap<String, String>) -> Result<String, String> {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            out.push_str(&rest[open..]);
            return Ok(out);
        };
        let name = &after[..close];
        let is_name = name.starts_with(|c: char| c.is_ascii_alphabetic())
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if !is_name {
            out.push('{');
            rest = after;
            continue;
        }
        if name == SCRATCH {
            out.push_str("{scratch}");
        } else if let Some(v) = params.get(name) {
            out.push_str(v);
        } else {
            return Err(name.to_string());
        }
        rest = &after[close + 1..];
    }
    out.push_str(rest);
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

/// A path that a probe may mutate: `{scratch}` itself or below it, without `..`.
pub fn under_scratch(path: &str) -> bool {
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
            substitute("{foo}/bar", &params).unwrap(),
            "{scratch}/foo/bar"
        );
        assert_eq!(
            substitute("^/a{2}$ {x y}", &params).unwrap(),
            "^/a{2}$ {x y}"
        );
        assert_eq!(substitute("{nope}", &params).unwrap_err(), "nope");
        assert!(under_scratch("{scratch}/a/b"));
        assert!(!under_scratch("{scratch}/../etc"));
        assert!(!under_scratch("/etc/hosts"));
        assert!(!under_scratch("{scratch}x"));
    }
}
