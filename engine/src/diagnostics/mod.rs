//! diagnostics: every error and warning the language front end reports, with `file:line:col`,
//! labels on the exact node/argument/property, "did you mean" help, and human or JSON rendering.

use std::fmt;
use std::sync::Arc;

use miette::{LabeledSpan, NamedSource, Severity, SourceSpan};

pub mod codes;
pub mod kdl_syntax;
pub mod render;
pub mod source_file;
pub mod suggest;

pub use render::{MessageFormat, eprint, eprint_error};
pub use source_file::SourceFile;
pub use suggest::did_you_mean;

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
    pub fn error(code: &'static str, message: impl Into<String>) -> Diag {
        Diag::new(code, Severity::Error, message)
    }

    pub fn warning(code: &'static str, message: impl Into<String>) -> Diag {
        Diag::new(code, Severity::Warning, message)
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
    pub fn at(
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

    /// Adds a secondary label in the same file as the primary one.
    pub fn label(mut self, span: SourceSpan, label: impl Into<String>) -> Diag {
        self.labels
            .push(LabeledSpan::new_with_span(Some(label.into()), span));
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Diag {
        self.help = Some(help.into());
        self
    }

    pub fn help_opt(mut self, help: Option<String>) -> Diag {
        if help.is_some() {
            self.help = help;
        }
        self
    }

    /// A location elsewhere (maybe another file) that explains this one.
    pub fn note_at(
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

    pub fn file(&self) -> Option<&Arc<SourceFile>> {
        self.file.as_ref()
    }

    /// The primary label's offset.
    pub fn offset(&self) -> Option<usize> {
        self.labels.first().map(|l| l.offset())
    }

    /// `(file, line, column)` of the primary label, as diagnostics show them.
    pub fn location(&self) -> Option<(String, u32, u32)> {
        let file = self.file.as_ref()?;
        let (line, col) = file.line_col(self.offset()?);
        Some((file.display.clone(), line, col))
    }

    pub fn labels_iter(&self) -> impl Iterator<Item = &LabeledSpan> {
        self.labels.iter()
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

/// All diagnostics of one load, errors and warnings, in a stable order.
#[derive(Debug, Clone, Default)]
pub struct Diagnostics {
    items: Vec<Diag>,
}

impl Diagnostics {
    pub fn new() -> Diagnostics {
        Diagnostics::default()
    }

    pub fn push(&mut self, diag: Diag) {
        self.items.push(diag);
    }

    pub fn extend(&mut self, other: Diagnostics) {
        self.items.extend(other.items);
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

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Diag> {
        self.items.iter()
    }

    /// Keeps only the warnings (what a successful load hands back).
    pub fn into_warnings(mut self) -> Diagnostics {
        self.items.retain(|d| !d.is_error());
        self
    }

    /// Sorts by file load order, then position; diagnostics without a file come first.
    pub fn sort(&mut self) {
        self.items
            .sort_by_key(|d| (d.file.as_ref().map(|f| f.id), d.offset().unwrap_or(0)));
    }
}

impl std::error::Error for Diagnostics {}

impl From<Diag> for Diagnostics {
    fn from(d: Diag) -> Diagnostics {
        Diagnostics { items: vec![d] }
    }
}
