//! diagnostics: every error and warning the language front end reports, with `file:line:col`,
//! labels on the exact node/argument/property, "did you mean" help, and human or JSON rendering.

use std::fmt;
use std::sync::Arc;

use miette::{LabeledSpan, NamedSource, Severity, SourceSpan};

pub mod codes;
pub(crate) mod kdl_syntax;
pub(crate) mod render;
pub(crate) mod source_file;
pub(crate) mod suggest;

pub use render::{MAX_SHOWN, MessageFormat, eprint, eprint_error};
pub(crate) use source_file::SourceFile;
pub(crate) use suggest::did_you_mean;

/// One diagnostic: a code from [`codes`], a message, labels in one file, optional help, and
/// related notes (e.g. "first defined here" in another file).
#[derive(Debug, Clone)]
pub struct Diag {
    pub code: &'static str,
    pub severity: Severity,
    pub message: String,
    file: Option<Arc<SourceFile>>,
    named: Option<NamedSource<Arc<String>>>,
    labels: Vec<LabeledSpan>,
    pub help: Option<String>,
    related: Vec<Diag>,
}

impl Diag {
    pub(crate) fn error(code: &'static str, message: impl Into<String>) -> Diag {
        Diag::new(code, Severity::Error, message)
    }

    pub(crate) fn warning(code: &'static str, message: impl Into<String>) -> Diag {
        Diag::new(code, Severity::Warning, message)
    }

    /// A note that is neither an error nor a warning.
    pub(crate) fn advice(code: &'static str, message: impl Into<String>) -> Diag {
        Diag::new(code, Severity::Advice, message)
    }

    fn new(code: &'static str, severity: Severity, message: impl Into<String>) -> Diag {
        Diag {
            code,
            severity,
            message: message.into(),
            file: None,
            named: None,
            labels: Vec::new(),
            help: None,
            related: Vec::new(),
        }
    }

    /// Sets the file and the primary label.
    pub(crate) fn at(
        mut self,
        file: &Arc<SourceFile>,
        span: SourceSpan,
        label: impl Into<String>,
    ) -> Diag {
        self.named = Some(file.named_source());
        self.file = Some(file.clone());
        self.labels.insert(
            0,
            LabeledSpan::new_primary_with_span(Some(label.into()), span),
        );
        self
    }

    /// Locates the diagnostic (for sorting, `line`/`column` in JSON) without showing any of the
    /// file's text: for files an input named that turned out not to be of the language.
    pub(crate) fn at_without_excerpt(mut self, file: &Arc<SourceFile>, span: SourceSpan) -> Diag {
        self.file = Some(file.clone());
        self.named = None;
        self.labels
            .insert(0, LabeledSpan::new_primary_with_span(None, span));
        self
    }

    /// This diagnostic as it can be printed: unchanged, or — when a label sits on a line longer
    /// than [`MAX_SHOWN_LINE`] bytes (one 16 MiB line would otherwise be printed whole under
    /// each of its diagnostics) — without the excerpt, its location in the message instead.
    pub(crate) fn printable(&self) -> std::borrow::Cow<'_, Diag> {
        let long = self.file.as_ref().is_some_and(|file| {
            let text = file.text.as_bytes();
            self.labels.iter().any(|label| {
                let at = label.offset().min(text.len());
                let start = text[..at]
                    .iter()
                    .rposition(|b| *b == b'\n')
                    .map_or(0, |i| i + 1);
                let end = label.offset().saturating_add(label.len()).min(text.len());
                let stop = text[end..]
                    .iter()
                    .position(|b| *b == b'\n')
                    .map_or(text.len(), |i| end + i);
                stop - start > MAX_SHOWN_LINE
            })
        });
        if !long || self.named.is_none() {
            return std::borrow::Cow::Borrowed(self);
        }
        let mut plain = self.clone();
        if let Some((file, line, column)) = self.location() {
            plain.message = format!("{file}:{line}:{column}: {}", self.message);
        }
        plain.named = None;
        std::borrow::Cow::Owned(plain)
    }

    /// Adds a secondary label in the same file as the primary one.
    pub(crate) fn label(mut self, span: SourceSpan, label: impl Into<String>) -> Diag {
        self.labels
            .push(LabeledSpan::new_with_span(Some(label.into()), span));
        self
    }

    pub(crate) fn help(mut self, help: impl Into<String>) -> Diag {
        self.help = Some(help.into());
        self
    }

    pub(crate) fn help_opt(mut self, help: Option<String>) -> Diag {
        if help.is_some() {
            self.help = help;
        }
        self
    }

    /// A location elsewhere (maybe another file) that explains this one.
    pub(crate) fn note_at(
        mut self,
        file: &Arc<SourceFile>,
        span: SourceSpan,
        label: impl Into<String>,
    ) -> Diag {
        let label = label.into();
        let same_file = self.file.as_ref().is_some_and(|f| f.id == file.id);
        if same_file {
            return self.label(span, label);
        }
        let (line, col) = file.line_col(span.offset());
        let note = Diag::new(
            self.code,
            Severity::Advice,
            format!("{label} ({}:{line}:{col})", file.display),
        )
        .at(file, span, label);
        self.related.push(note);
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// The primary label's offset.
    pub(crate) fn offset(&self) -> Option<usize> {
        self.labels.first().map(|l| l.offset())
    }

    /// `(file, line, column)` of the primary label, as diagnostics show them.
    pub fn location(&self) -> Option<(String, u32, u32)> {
        let file = self.file.as_ref()?;
        let (line, col) = file.line_col(self.offset()?);
        Some((file.display.clone(), line, col))
    }
}

impl fmt::Display for Diag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Diag {}

impl miette::Diagnostic for Diag {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.code))
    }
    fn severity(&self) -> Option<Severity> {
        Some(self.severity)
    }
    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.named.as_ref().map(|n| n as &dyn miette::SourceCode)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if self.labels.is_empty() {
            return None;
        }
        Some(Box::new(self.labels.iter().cloned()))
    }
    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn miette::Diagnostic> + 'a>> {
        if self.related.is_empty() {
            return None;
        }
        Some(Box::new(
            self.related.iter().map(|d| d as &dyn miette::Diagnostic),
        ))
    }
}

/// The longest source line a diagnostic shows as an excerpt.
pub(crate) const MAX_SHOWN_LINE: usize = 1000;

/// All diagnostics of one load, errors and warnings, in a stable order.
#[derive(Debug, Clone, Default)]
pub struct Diagnostics {
    items: Vec<Diag>,
    /// Names compared by "did you mean" so far (see [`Diagnostics::did_you_mean`]).
    suggested: usize,
}

/// How many names all "did you mean" searches of one load compare with. Each search compares
/// a name with every candidate, so 20,000 unknown references to 20,000 probes would be 400
/// million comparisons; the first diagnostics (the ones printed) get their suggestions.
const SUGGESTION_BUDGET: usize = 100_000;

impl Diagnostics {
    pub(crate) fn new() -> Diagnostics {
        Diagnostics::default()
    }

    pub(crate) fn push(&mut self, diag: Diag) {
        self.items.push(diag);
    }

    /// The candidate closest to `name` (see [`suggest::did_you_mean`]) among as many
    /// candidates as this load's comparison budget has left; `None` once it is spent.
    pub(crate) fn did_you_mean<'a>(
        &mut self,
        name: &str,
        candidates: impl IntoIterator<Item = &'a str>,
    ) -> Option<String> {
        let left = SUGGESTION_BUDGET.saturating_sub(self.suggested);
        if left == 0 {
            return None;
        }
        let mut compared = 0;
        let counted = candidates.into_iter().take(left).inspect(|_| compared += 1);
        let found = suggest::did_you_mean(name, counted);
        self.suggested += compared;
        found
    }

    /// `did you mean `x`?`, within the budget of [`Diagnostics::did_you_mean`].
    pub(crate) fn suggest<'a>(
        &mut self,
        name: &str,
        candidates: impl IntoIterator<Item = &'a str>,
    ) -> Option<String> {
        self.did_you_mean(name, candidates)
            .map(|c| format!("did you mean `{c}`?"))
    }

    pub(crate) fn extend(&mut self, other: Diagnostics) {
        self.items.extend(other.items);
        self.suggested += other.suggested;
    }

    pub fn has_errors(&self) -> bool {
        self.items.iter().any(Diag::is_error)
    }

    pub fn error_count(&self) -> usize {
        self.items.iter().filter(|d| d.is_error()).count()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub(crate) fn len(&self) -> usize {
        self.items.len()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Diag> {
        self.items.iter()
    }

    /// Keeps only the warnings (what a successful load hands back).
    pub(crate) fn into_warnings(mut self) -> Diagnostics {
        self.items.retain(|d| !d.is_error());
        self
    }

    /// Sorts by file load order, then position; diagnostics without a file come first.
    pub(crate) fn sort(&mut self) {
        self.items
            .sort_by_key(|d| (d.file.as_ref().map(|f| f.id), d.offset().unwrap_or(0)));
    }
}

impl std::error::Error for Diagnostics {}

impl From<Diag> for Diagnostics {
    fn from(d: Diag) -> Diagnostics {
        Diagnostics {
            items: vec![d],
            suggested: 0,
        }
    }
}
