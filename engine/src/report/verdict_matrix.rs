//! The matrix: profiles × probes, one line per pair, grouped by profile; laid out by
//! `comfy-table` to fit the width (long cells wrap within their column), and as a Markdown
//! table for `summary.md`.

use comfy_table::{Cell, Color, ContentArrangement, Table, presets};

use crate::model::{MismatchReason, VerdictRecord};

/// Colour or plain text (colour only where the colour choice allows it, spec §10).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Style {
    Plain,
    Colour,
}

const HEAD: [&str; 8] = [
    "profile", "probe", "expected", "actual", "stage", "errno", "baseline", "",
];

fn reason_name(r: MismatchReason) -> String {
    serde_json::to_value(r)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// The cells of one row, the profile cell blank when it repeats the row above.
fn cells(v: &VerdictRecord, same_profile: bool) -> [String; 8] {
    let expected = match (&v.expected, &v.expected_errno) {
        (Some(a), Some(e)) => format!("{} {e}", a.as_str()),
        (Some(a), None) => a.as_str().to_string(),
        (None, _) => "-".into(),
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
        mark(v),
    ]
}

/// `ok`, `MISMATCH reasons` or `known reasons`; empty without an expectation.
fn mark(v: &VerdictRecord) -> String {
    if v.expected.is_none() {
        return String::new();
    }
    if v.mismatches.is_empty() {
        return "ok".into();
    }
    let reasons: Vec<String> = v.mismatches.iter().map(|r| reason_name(*r)).collect();
    let tag = if v.known.is_some() {
        "known"
    } else {
        "MISMATCH"
    };
    format!("{tag} {}", reasons.join(","))
}

/// Renders the matrix; rows follow `verdicts`' order (profile, then probe declaration order).
/// `width` bounds every line (`None`: no limit).
pub(crate) fn matrix(verdicts: &[VerdictRecord], style: Style, width: Option<usize>) -> String {
    let mut table = Table::new();
    table
        .load_style(presets::NOTHING)
        .set_header(HEAD.to_vec())
        .set_truncation_indicator("…");
    match style {
        Style::Colour => table.enforce_styling(),
        Style::Plain => table.force_no_tty(),
    };
    if let Some(w) = width {
        table
            .set_width(u16::try_from(w).unwrap_or(u16::MAX))
            .set_content_arrangement(ContentArrangement::Dynamic);
    }
    for (i, v) in verdicts.iter().enumerate() {
        let same_profile = i > 0 && verdicts[i - 1].profile == v.profile;
        let colour = if v.mismatches.is_empty() {
            Color::Green
        } else if v.known.is_some() {
            Color::Yellow
        } else {
            Color::Red
        };
        let row = cells(v, same_profile);
        let last = row.len() - 1;
        table.add_row(row.into_iter().enumerate().map(|(k, text)| match k {
            k if k == last && !text.is_empty() => Cell::new(text).fg(colour),
            _ => Cell::new(text),
        }));
    }
    let columns = table.column_count();
    for (k, column) in table.column_iter_mut().enumerate() {
        column.set_padding((0, if k + 1 == columns { 0 } else { 2 }));
    }
    let mut out: String = table
        .lines()
        .map(|l| l.trim_end().to_string() + "\n")
        .collect();
    if verdicts.is_empty() {
        out.push_str("(no results)\n");
    }
    out
}

/// The matrix as a Markdown table (`summary.md`): every cell escaped, the mark in its column.
pub(crate) fn markdown_matrix(verdicts: &[VerdictRecord]) -> String {
    let escape = |s: &str| s.replace('\\', "\\\\").replace('|', "\\|");
    let mut md = String::new();
    md.push_str("| profile | probe | expected | actual | stage | errno | baseline | result |\n");
    md.push_str("|---|---|---|---|---|---|---|---|\n");
    for v in verdicts {
        let row: Vec<String> = cells(v, false).iter().map(|c| escape(c)).collect();
        md.push_str(&format!("| {} |\n", row.join(" | ")));
    }
    md
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Action, Evidence, Verdict};

    fn verdict(profile: &str, probe: &str, mismatches: Vec<MismatchReason>) -> VerdictRecord {
        VerdictRecord {
            id: format!("{profile}/{probe}"),
            profile: profile.into(),
            probe: probe.into(),
            verdict: Verdict::Deny,
            stage: None,
            errno: None,
            baseline: Some(Verdict::Allow),
            expected: Some(Action::Allow.into()),
            expected_errno: None,
            mismatches,
            known: None,
            evidence: Evidence::Syscall,
            reason: None,
            witness: None,
            shim_divergence: None,
            mount: None,
        }
    }

    #[test]
    fn fits_the_width_and_keeps_every_row() {
        let rows: Vec<VerdictRecord> = (0..3)
            .map(|i| {
                verdict(
                    &format!("a_rather_long_profile_name_{i}"),
                    &format!("a-probe-with-a-long-descriptive-name-{i}"),
                    vec![
                        MismatchReason::UnexpectedDeny,
                        MismatchReason::BaselineDenied,
                    ],
                )
            })
            .collect();
        let wide = matrix(&rows, Style::Plain, None);
        assert!(wide.lines().any(|l| l.chars().count() > 80), "{wide}");
        let narrow = matrix(&rows, Style::Plain, Some(80));
        for line in narrow.lines() {
            assert!(line.chars().count() <= 80, "{line:?}\n{narrow}");
        }
        for i in 0..3 {
            assert!(narrow.contains(&format!("_{i}")), "{narrow}");
        }
    }

    #[test]
    fn markdown_is_a_table_with_escaped_cells() {
        let md = markdown_matrix(&[verdict("p|q", "x", vec![])]);
        let lines: Vec<&str> = md.lines().collect();
        assert!(lines[0].starts_with("| profile |"));
        assert_eq!(lines[1], "|---|---|---|---|---|---|---|---|");
        assert!(lines[2].starts_with("| p\\|q | x | allow | deny |"), "{md}");
        assert!(lines[2].ends_with("| ok |"));
    }
}
