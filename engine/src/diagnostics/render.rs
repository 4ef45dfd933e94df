//! Rendering diagnostics, and every other error the engine reports: miette's graphical
//! handler for people, its JSON handler (plus line and column) for tools; on stderr.

use std::fmt;
use std::io::Write;

use miette::{Diagnostic, GraphicalReportHandler, GraphicalTheme, JSONReportHandler};

use super::{Diag, Diagnostics, codes};

/// How diagnostics and errors are printed (`--message-format`).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub enum MessageFormat {
    #[default]
    Human,
    /// One JSON object per line.
    Json,
}

/// Line width of human output on stderr.
const WIDTH: usize = 100;

/// How many diagnostics are printed before the rest are only counted.
pub const MAX_SHOWN: usize = 100;

impl Diagnostics {
    /// The first [`MAX_SHOWN`] diagnostics rendered for people, then one note counting the
    /// rest; `width` fixes the line width, `color` enables ANSI.
    pub fn render_human(&self, width: usize, color: bool) -> String {
        let rest = self.rest_note();
        human(self.shown().chain(rest.as_ref()), width, color)
    }

    /// One JSON object per line (JSON Lines): the first [`MAX_SHOWN`] diagnostics, then the
    /// note counting the rest.
    pub fn render_json(&self) -> String {
        let rest = self.rest_note();
        json_lines(self.shown().chain(rest.as_ref()))
    }

    fn shown(&self) -> impl Iterator<Item = &Diag> {
        self.iter().take(MAX_SHOWN)
    }

    /// "and N more": rendering a diagnostic reads its file up to the label, so printing every
    /// one of 200,000 would be quadratic, and nobody reads past the first screens anyway.
    fn rest_note(&self) -> Option<Diag> {
        let hidden = self.len().checked_sub(MAX_SHOWN).filter(|n| *n > 0)?;
        let errors = self.iter().skip(MAX_SHOWN).filter(|d| d.is_error()).count();
        let warnings = hidden - errors;
        let note = Diag::advice(
            codes::LIMIT_DIAGNOSTICS,
            format!(
                "and {hidden} more not shown ({errors} error{}, {warnings} warning{})",
                if errors == 1 { "" } else { "s" },
                if warnings == 1 { "" } else { "s" },
            ),
        );
        Some(note.help(format!(
            "only the first {MAX_SHOWN} diagnostics are printed; fix those and check again"
        )))
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render_human(WIDTH, false))
    }
}

pub(crate) fn human<'a>(
    diags: impl Iterator<Item = &'a Diag>,
    width: usize,
    color: bool,
) -> String {
    let mut out = String::new();
    for (i, diag) in diags.enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&human_one(diag.printable().as_ref(), width, color, true));
    }
    out
}

fn human_one(diag: &dyn Diagnostic, width: usize, color: bool, wrap: bool) -> String {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(width)
        .with_wrap_lines(wrap);
    let mut out = String::new();
    if handler.render_report(&mut out, diag).is_err() {
        out = format!("error: {diag}\n");
    }
    out
}

pub(crate) fn json_lines<'a>(diags: impl Iterator<Item = &'a Diag>) -> String {
    let handler = JSONReportHandler::new();
    let mut out = String::new();
    for diag in diags {
        let mut raw = String::new();
        let value = match handler.render_report(&mut raw, diag) {
            Ok(()) => serde_json::from_str::<serde_json::Value>(&raw).ok(),
            Err(_) => None,
        };
        let mut value = value.unwrap_or_else(|| serde_json::json!({ "message": diag.message }));
        if let (Some(obj), Some((_, line, column))) = (value.as_object_mut(), diag.location()) {
            obj.insert("line".into(), line.into());
            obj.insert("column".into(), column.into());
        }
        out.push_str(&value.to_string());
        out.push('\n');
    }
    out
}

/// Writes diagnostics to stderr; human output is coloured as the colour choice says.
pub fn eprint(diags: &Diagnostics, format: MessageFormat) {
    if diags.is_empty() {
        return;
    }
    let text = match format {
        MessageFormat::Json => diags.render_json(),
        MessageFormat::Human => diags.render_human(WIDTH, stderr_colour()),
    };
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}

/// Writes one error of any kind (an SBPL error, a bad output directory, an interrupted run)
/// the way [`eprint()`] writes diagnostics, without wrapping its lines: they carry paths and
/// errno texts that people search for.
pub fn eprint_error(error: &dyn Diagnostic, format: MessageFormat) {
    let text = match format {
        MessageFormat::Human => human_one(error, WIDTH, stderr_colour(), false),
        MessageFormat::Json => {
            let mut raw = String::new();
            match JSONReportHandler::new().render_report(&mut raw, error) {
                Ok(()) => raw + "\n",
                Err(_) => format!("{}\n", serde_json::json!({ "message": error.to_string() })),
            }
        }
    };
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}

/// The process's colour choice for stderr (`--color`, `NO_COLOR`, `CLICOLOR_FORCE`, a
/// terminal or not), as `anstream` resolves it.
fn stderr_colour() -> bool {
    anstream::AutoStream::choice(&std::io::stderr()) != anstream::ColorChoice::Never
}
