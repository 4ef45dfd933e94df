//! Rendering diagnostics, and every other error the engine reports: miette's graphical
//! handler for people, its JSON handler (plus line and column) for tools; on stderr.

use std::fmt;
use std::io::{IsTerminal, Write};

use miette::{Diagnostic, GraphicalReportHandler, GraphicalTheme, JSONReportHandler};

use super::{Diag, Diagnostics};

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

impl Diagnostics {
    /// Every diagnostic rendered for people; `width` fixes the line width, `color` enables ANSI.
    pub fn render_human(&self, width: usize, color: bool) -> String {
        human(self.iter(), width, color)
    }

    /// One JSON object per line (JSON Lines), one per diagnostic.
    pub fn render_json(&self) -> String {
        json_lines(self.iter())
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render_human(WIDTH, false))
    }
}

pub fn human<'a>(diags: impl Iterator<Item = &'a Diag>, width: usize, color: bool) -> String {
    let mut out = String::new();
    for (i, diag) in diags.enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&human_one(diag, width, color, true));
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

pub fn json_lines<'a>(diags: impl Iterator<Item = &'a Diag>) -> String {
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

/// Writes diagnostics to stderr; human output is coloured on a terminal unless `NO_COLOR` is
/// set.
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

fn stderr_colour() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}
