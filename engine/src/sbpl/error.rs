//! SBPL diagnostics: every error names the `.sb` file, line and column, labels the exact span
//! and says how to fix it.

use std::fmt;
use std::sync::Arc;

use miette::{Diagnostic, LabeledSpan, NamedSource, SourceCode};

use super::source::SbplSource;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// The text is not well-formed S-expressions.
    Syntax,
    /// A C preprocessor line (`#if`, `#include`) in a template that was not preprocessed.
    Preprocessor,
    /// Well-formed, but not a valid SBPL form (`(allow)` without an operation, …).
    Form,
    /// An `(import …)` cycle or an unreadable import.
    Import,
    /// Evaluation went too deep (a runaway recursive `define`).
    Limit,
}

impl ErrorKind {
    pub(crate) fn code(self) -> &'static str {
        use crate::diagnostics::codes;
        match self {
            ErrorKind::Syntax => codes::SBPL_SYNTAX,
            ErrorKind::Preprocessor => codes::SBPL_PREPROCESSOR,
            ErrorKind::Form => codes::SBPL_FORM,
            ErrorKind::Import => codes::SBPL_IMPORT,
            ErrorKind::Limit => codes::SBPL_LIMIT,
        }
    }
}

/// One error in one `.sb` file.
#[derive(Debug)]
pub struct SbplError {
    pub kind: ErrorKind,
    pub message: String,
    pub label: String,
    pub help: Option<String>,
    /// Byte offset and length in the file.
    pub span: (usize, usize),
    pub file: String,
    pub line: u32,
    pub column: u32,
    source: Option<NamedSource<Arc<String>>>,
    /// Whether diagnostics may show the file's text around the span.
    excerpt: bool,
}

impl SbplError {
    /// An error not yet tied to a file; [`SbplError::in_file`] adds the file. Boxed because
    /// it travels through `Result`s of the lexer and reader.
    pub(crate) fn at(
        kind: ErrorKind,
        span: (usize, usize),
        message: impl Into<String>,
        label: impl Into<String>,
        help: Option<&str>,
    ) -> Box<SbplError> {
        Box::new(SbplError {
            kind,
            message: message.into(),
            label: label.into(),
            help: help.map(str::to_string),
            span,
            file: String::new(),
            line: 0,
            column: 0,
            source: None,
            excerpt: true,
        })
    }

    /// The text of the file the error is in (set once [`SbplError::in_file`] ran).
    pub(crate) fn source_text(&self) -> Option<&str> {
        self.source.as_ref().map(|s| s.inner().as_str())
    }

    /// Keeps the location (file, line, column) but shows none of the file's text: for files
    /// that turned out not to be SBPL.
    pub(crate) fn without_excerpt(mut self) -> SbplError {
        self.excerpt = false;
        self
    }

    /// Whether diagnostics may show the file's text.
    pub(crate) fn has_excerpt(&self) -> bool {
        self.excerpt
    }

    pub(crate) fn in_file(mut self, source: &SbplSource) -> SbplError {
        let (line, column) = source.line_col(self.span.0);
        self.file = source.name.clone();
        self.line = line;
        self.column = column;
        self.source = Some(NamedSource::new(&source.name, source.text.clone()));
        self
    }
}

impl fmt::Display for SbplError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.message)
    }
}

impl std::error::Error for SbplError {}

impl Diagnostic for SbplError {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.kind.code()))
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.source
            .as_ref()
            .filter(|_| self.excerpt)
            .map(|s| s as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(std::iter::once(LabeledSpan::new(
            Some(self.label.clone()),
            self.span.0,
            self.span.1,
        ))))
    }
}

/// All errors of one parse, reported at once.
#[derive(Debug)]
pub struct SbplErrors {
    pub file: String,
    pub errors: Vec<SbplError>,
}

impl fmt::Display for SbplErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.errors.len();
        write!(
            f,
            "{n} error{} in {}",
            if n == 1 { "" } else { "s" },
            self.file
        )?;
        if let Some(first) = self.errors.first() {
            write!(
                f,
                " (first at {}:{}:{}: {})",
                first.file, first.line, first.column, first.message
            )?;
        }
        Ok(())
    }
}

impl std::error::Error for SbplErrors {}

impl Diagnostic for SbplErrors {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new("xpr::sbpl"))
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn Diagnostic> + 'a>> {
        Some(Box::new(self.errors.iter().map(|e| e as &dyn Diagnostic)))
    }
}
