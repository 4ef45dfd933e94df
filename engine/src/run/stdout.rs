//! What `xpr run` prints on stdout once the bundle is written: the matrix, shim divergence,
//! summary line, side lanes and the bundle path; or one JSON line (`xpr.run_report.v1`,
//! spec §10.3).

use std::path::Path;

use crate::lanes;
use crate::model::Experiment;
use crate::report::{self, Style};

use super::select::Selected;
use super::{Finished, ReportFormat, RunError, RunResult, Verbosity};

/// The schema of `xpr run --format json` (one object per experiment, one per line).
pub(crate) const RUN_REPORT_SCHEMA: &str = "xpr.run_report.v1";

/// What the report shows besides the results.
pub(crate) struct Shown<'a> {
    /// The selection, when the run was a subset.
    pub selected: Option<&'a Selected>,
    /// `Quiet`: the matrix keeps only the rows that did not hold.
    pub verbosity: Verbosity,
}

pub(crate) fn render(
    exp: &Experiment,
    result: &RunResult,
    bundle: &Path,
    format: ReportFormat,
    style: Style,
    shown: &Shown,
) -> String {
    let divergence = report::shim_divergence(exp, &result.verdicts);
    match format {
        ReportFormat::Json => {
            let mut doc = serde_json::json!({
                "schema_version": RUN_REPORT_SCHEMA,
                "experiment": exp.name,
                "summary": result.summary,
                "shim_divergence": divergence,
                "verdicts": result.verdicts,
                "bundle": bundle.display().to_string(),
            });
            if let Some(selected) = shown.selected {
                doc["selection"] = serde_json::to_value(selected).expect("selection serialises");
            }
            format!(
                "{}\n",
                serde_json::to_string(&doc).expect("run report serialises")
            )
        }
        ReportFormat::Text => {
            let rows: Vec<_> = match shown.verbosity {
                Verbosity::Quiet => result
                    .verdicts
                    .iter()
                    .filter(|v| !v.mismatches.is_empty())
                    .cloned()
                    .collect(),
                _ => result.verdicts.clone(),
            };
            let width = report::width::stdout_width();
            let matrix = if rows.is_empty() {
                String::new()
            } else {
                format!("{}\n", report::matrix(&rows, style, width))
            };
            let selection = shown.selected.map_or(String::new(), |s| {
                format!(
                    "selection: {} ({} of {} pairs)\n",
                    s.expression, s.pairs, s.total
                )
            });
            let rest = format!(
                "{}{selection}{}\n{}bundle: {}\n",
                report::divergence_text(&divergence),
                result.summary.line(),
                lanes::summary_lines(&result.lanes, &result.verdicts),
                bundle.display()
            );
            let rest: String = rest
                .lines()
                .map(|l| report::width::wrap(l, width, 4) + "\n")
                .collect();
            format!("{matrix}{rest}")
        }
    }
}

/// The last line of a run of several experiments: how each ended, and how many did not run.
pub(crate) fn overall(ended: &[Result<Finished, RunError>], files: usize) -> String {
    let passed = ended
        .iter()
        .filter(|e| matches!(e, Ok(f) if f.passed))
        .count();
    let failed: Vec<String> = ended
        .iter()
        .filter_map(|e| match e {
            Ok(f) if !f.passed => Some(format!("{} ({} mismatched)", f.experiment, f.mismatched)),
            _ => None,
        })
        .collect();
    let errors = ended.iter().filter(|e| e.is_err()).count();
    let mut line = format!("\n{files} experiments: {passed} passed");
    if !failed.is_empty() {
        line.push_str(&format!(", {} failed: {}", failed.len(), failed.join(", ")));
    }
    if errors > 0 {
        line.push_str(&format!(", {errors} stopped with an error"));
    }
    let not_run = files.saturating_sub(
        ended
            .iter()
            .filter(|e| !matches!(e, Err(RunError::Junit { .. })))
            .count(),
    );
    if not_run > 0 {
        line.push_str(&format!(", {not_run} not run"));
    }
    line.push('\n');
    line
}
