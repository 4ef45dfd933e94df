//! What `xpr run` prints on stdout once the bundle is written: the matrix, shim divergence,
//! summary line, side lanes and the bundle path; or the same as one JSON document.

use std::path::Path;

use crate::lanes;
use crate::model::Experiment;
use crate::report::{self, Style};

use super::{ReportFormat, RunResult};

pub fn render(
    exp: &Experiment,
    result: &RunResult,
    bundle: &Path,
    format: ReportFormat,
    style: Style,
) -> String {
    let divergence = report::shim_divergence(exp, &result.verdicts);
    match format {
        ReportFormat::Json => {
            let doc = serde_json::json!({
                "summary": result.summary,
                "shim_divergence": divergence,
                "verdicts": result.verdicts,
                "bundle": bundle.display().to_string(),
            });
            format!(
                "{}\n",
                serde_json::to_string_pretty(&doc).expect("run report serialises")
            )
        }
        ReportFormat::Text => format!(
            "{}\n{}{}\n{}bundle: {}\n",
            report::matrix(&result.verdicts, style),
            report::divergence_text(&divergence),
            result.summary.line(),
            lanes::summary_lines(&result.lanes, &result.verdicts),
            bundle.display()
        ),
    }
}
