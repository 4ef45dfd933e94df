//! The `xpr check FILE.sb` report: per rule its fidelity in a world, then what stays opaque and
//! the warnings. The world's backend supplies the fidelity; this file only lays it out.

use std::fmt::Write;

use crate::model::{Fidelity, RuleFidelity};

use super::SbplProfile;

/// Rule text in the table is cut here; the opaque section below keeps full texts.
const TABLE_TEXT_WIDTH: usize = 160;

fn shorten(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        s.to_string()
    } else {
        s.chars().take(width - 1).collect::<String>() + "…"
    }
}

/// Renders the fidelity table for a parsed profile. `fidelity` is the backend's list for
/// `profile.ir` (entry `rule: None` is the default action).
pub(crate) fn render_fidelity(profile: &SbplProfile, fidelity: &[RuleFidelity]) -> String {
    let mut out = String::new();
    let count = |f: Fidelity| {
        fidelity
            .iter()
            .filter(|r| r.rule.is_some() && r.fidelity == f)
            .count()
    };
    let file = profile.files.first().map_or("", |f| f.name.as_str());
    let _ = writeln!(
        out,
        "{file}: {} rules: {} exact, {} approximate, {} unsupported; default {}{}",
        profile.ir.rules.len(),
        count(Fidelity::Exact),
        count(Fidelity::Approximate),
        count(Fidelity::Unsupported),
        profile.ir.default.as_str(),
        if profile.default_origin.is_none() {
            " (not written: Seatbelt's deny)"
        } else {
            ""
        },
    );
    for r in fidelity {
        let at = match r.rule {
            Some(_) => format!("{}:{}:{}", r.origin.file, r.origin.line, r.origin.column),
            None => "default".to_string(),
        };
        let class = match r.fidelity {
            Fidelity::Exact => "exact",
            Fidelity::Approximate => "approximate",
            Fidelity::Unsupported => "unsupported",
        };
        // The IR rule in this module's notation (opaque forms verbatim), else the backend's.
        let text = match r.rule.and_then(|i| profile.ir.rules.get(i)) {
            Some(rule) => super::rule_text(rule),
            None => r.text.clone(),
        }
        .replace('\n', " ");
        let text = shorten(&text, TABLE_TEXT_WIDTH);
        let _ = write!(out, "  {at}  {class:<11}  {text}");
        // Which mechanism enforces it here (Landlock, seccomp, the mount namespace).
        if !r.mechanisms.is_empty() {
            let names: Vec<&str> = r.mechanisms.iter().map(|m| m.as_str()).collect();
            let _ = write!(out, "  [{}]", names.join(" "));
        }
        if let Some(note) = &r.note {
            let _ = write!(out, "  — {note}");
        }
        out.push('\n');
    }
    if !profile.opaque.is_empty() {
        let _ = writeln!(out, "not modelled ({}):", profile.opaque.len());
        for o in &profile.opaque {
            let _ = writeln!(out, "  {}  {}  — {}", o.origin, o.text, o.reason);
        }
    }
    if !profile.params_unbound.is_empty() {
        let names: Vec<&str> = profile.params_unbound.iter().map(String::as_str).collect();
        let _ = writeln!(
            out,
            "parameters not given (kept as {{NAME}}): {}",
            names.join(", ")
        );
    }
    for w in &profile.warnings {
        let _ = writeln!(out, "warning: {}: {} ({})", w.origin, w.message, w.help);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compile::seatbelt::compile;
    use crate::sbpl::{SbplOptions, parse};

    #[test]
    fn table_lists_rules_opaque_items_and_warnings() {
        let p = parse(
            "(version 1)\n(allow file-read* (subpath \"/usr\"))\n(helper)\n(allow file-read* (regex \"a\\.b\"))\n",
            "p.sb",
            &SbplOptions::default(),
        )
        .unwrap();
        let table = render_fidelity(&p, &compile(&p.ir).fidelity);
        let expected = "\
p.sb: 3 rules: 2 exact, 1 approximate, 0 unsupported; default deny (not written: Seatbelt's deny)
  default  exact        (deny default)  [seatbelt]
  p.sb:2:1  exact        (allow file-read* (subpath \"/usr\"))  [seatbelt]
  p.sb:3:1  approximate  (helper)  [seatbelt]  — SBPL kept verbatim from the source; libsandbox evaluates it, xpr does not model it
  p.sb:4:1  exact        (allow file-read* (regex #\"a.b\"))  [seatbelt]
not modelled (1):
  p.sb:3:1  (helper)  — `helper` is not defined (a helper from a prelude that was not imported?)
warning: p.sb:4:28: `\\.` in a \"…\" string reads as `.` (the backslash is dropped) (write regexes as #\"…\" literals, which keep backslashes)
";
        assert_eq!(table, expected);
    }
}
