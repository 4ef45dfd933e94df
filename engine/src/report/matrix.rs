//! The matrix: profiles × probes, one line per pair, grouped by profile.

use crate::model::{MismatchReason, VerdictRecord};

/// Colour or plain text (colour only when stdout is a terminal).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    Plain,
    Colour,
}

fn paint(style: Style, code: &str, text: &str) -> String {
    match style {
        Style::Plain => text.to_string(),
        Style::Colour => format!("\x1b[{code}m{text}\x1b[0m"),
    }
}

fn reason_name(r: MismatchReason) -> String {
    serde_json::to_value(r)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// Renders the matrix; rows follow `verdicts`' order (profile, then probe declaration order).
pub fn matrix(verdicts: &[VerdictRecord], style: Style) -> String {
    let head = [
        "profile", "probe", "expected", "actual", "stage", "errno", "baseline", "",
    ];
    let rows: Vec<[String; 8]> = verdicts
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let same_profile = i > 0 && verdicts[i - 1].profile == v.profile;
            let expected = match (&v.expected, &v.expected_errno) {
                (Some(a), Some(e)) => format!("{} {e}", a.as_str()),
                (Some(a), None) => a.as_str().to_string(),
                (None, _) => "-".into(),
            };
            let mark = if v.expected.is_none() {
                String::new()
            } else if v.mismatches.is_empty() {
                "ok".into()
            } else {
                let reasons: Vec<String> = v.mismatches.iter().map(|r| reason_name(*r)).collect();
                let tag = if v.known.is_some() {
                    "known"
                } else {
                    "MISMATCH"
                };
                format!("{tag} {}", reasons.join(","))
            };
            [
                if same_profile {
                    String::new()
                } else {
                    v.profile.clone()
                },
                v.probe.clone(),
                expected,
                v.verdict.as_str().to_string(),
                v.stage
                    .map(|s| s.as_str().to_string())
                    .unwrap_or_else(|| "-".into()),
                v.errno
                    .as_ref()
                    .map(|e| e.name.clone())
                    .unwrap_or_else(|| "-".into()),
                v.baseline
                    .map(|b| b.as_str().to_string())
                    .unwrap_or_else(|| "-".into()),
                mark,
            ]
        })
        .collect();
    let mut widths = head.map(str::len);
    for r in &rows {
        for (w, c) in widths.iter_mut().zip(r.iter()) {
            *w = (*w).max(c.chars().count());
        }
    }
    let mut out = String::new();
    let line = |cells: &[String], out: &mut String, colour: Option<&str>| {
        let mut text = String::new();
        for (k, c) in cells.iter().enumerate() {
            if k + 1 == cells.len() {
                match colour {
                    Some(code) if !c.is_empty() => text.push_str(&paint(style, code, c)),
                    _ => text.push_str(c),
                }
            } else {
                text.push_str(&format!("{c:<w$}  ", w = widths[k]));
            }
        }
        out.push_str(text.trim_end());
        out.push('\n');
    };
    line(&head.map(str::to_string), &mut out, None);
    for (r, v) in rows.iter().zip(verdicts) {
        let colour = if v.mismatches.is_empty() {
            "32"
        } else if v.known.is_some() {
            "33"
        } else {
            "31"
        };
        line(r, &mut out, Some(colour));
    }
    out
}
