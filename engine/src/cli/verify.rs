//! `xpr verify BUNDLE`: recompute every digest of a bundle and report what does not hold.
//!
//! Exit 0 when everything holds, 1 when there is any finding (changed, missing or extra file,
//! unknown schema major, absent or malformed index, uncommitted `.partial` directory), 2 when
//! the path is not a bundle at all.

use std::io::Write;

use serde::Serialize;

use super::*;
use crate::bundle::{self, Verification};

#[derive(Serialize)]
struct VerifyReport<'a> {
    schema_version: &'static str,
    bundle: String,
    ok: bool,
    #[serde(flatten)]
    verification: &'a Verification,
}

pub fn run(args: VerifyArgs) -> Result<Outcome, Error> {
    let reader = bundle::open(&args.bundle)?;
    let verification = reader.verify();
    let shown = reader.root().display().to_string();
    let mut out = std::io::stdout().lock();
    let written = match args.format {
        OutputFormat::Json => {
            let report = VerifyReport {
                schema_version: "xpr.verify_report.v1",
                bundle: shown,
                ok: verification.ok(),
                verification: &verification,
            };
            let mut text = serde_json::to_string_pretty(&report).expect("report serialises");
            text.push('\n');
            out.write_all(text.as_bytes())
        }
        OutputFormat::Text => out.write_all(render_text(&shown, &verification).as_bytes()),
    };
    exit::stdout_written(written.and_then(|()| out.flush()), "the report")?;
    if verification.findings == [bundle::Finding::IndexMissing]
        && let Some(hint) = latest_run_hint(reader.root())
    {
        eprintln!("hint: {hint}");
    }
    Ok(if verification.ok() {
        Outcome::Clean
    } else {
        Outcome::Findings
    })
}

/// For a directory of runs given where one run was meant: the run to look at instead.
pub fn latest_run_hint(dir: &std::path::Path) -> Option<String> {
    bundle::reader::latest_run(dir).map(|latest| {
        format!(
            "this directory holds runs of an experiment; the latest is {}",
            latest.display()
        )
    })
}

fn render_text(shown: &str, v: &Verification) -> String {
    let mut text = String::new();
    let identity = match (&v.run_id, &v.world_id) {
        (Some(run), Some(world)) => format!(" (run {run}, world {world})"),
        _ => String::new(),
    };
    if v.ok() {
        text.push_str(&format!(
            "ok: {shown}: {} bundle{identity}, {} files verified\n",
            v.format.as_str(),
            v.checked
        ));
        if let Some(digest) = &v.index_blake3 {
            text.push_str(&format!("index blake3 {digest}\n"));
        }
    } else {
        text.push_str(&format!(
            "FAILED: {shown}: {} bundle{identity}: {} finding(s), {} files verified\n",
            v.format.as_str(),
            v.findings.len(),
            v.checked
        ));
        for finding in &v.findings {
            text.push_str(&format!("  {finding}\n"));
        }
    }
    text
}
