//! Rendering diagnostics: miette's graphical handler for people, its JSON handler (plus line
//! and column) for tools.

use miette::{GraphicalReportHandler, GraphicalTheme, JSONReportHandler};

use super::Diag;

pub fn human<'a>(diags: impl Iterator<Item = &'a Diag>, width: usize, color: bool) -> String {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme).with_width(width);
    let mut out = String::new();
    for (i, diag) in diags.enumerate() {
        if i > 0 {
            out.push('\n');
        }
        if handler.render_report(&mut out, diag).is_err() {
            out.push_str(&format!("{}: {}\n", diag.code, diag.message));
        }
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
