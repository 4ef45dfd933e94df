//! `xpr verify BUNDLE`: recompute every digest of a bundle and report what does not hold.
//!
//! Exit 0 when everything holds, 1 when there is any finding (changed, missing or extra file,
//! unknown schema major, absent or malformed index, uncommitted `.partial` directory), 2 when
//! the path is not a bundle at all (a directory of runs is not: the hint names its latest run).
//! Several bundles: each is reported, the status is the worst.

use std::io::Write;
use std::path::Path;

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

pub(crate) fn run(args: VerifyArgs, format: MessageFormat) -> Result<Outcome, Error> {
    let endings: Vec<Result<Outcome, Error>> = args
        .bundles
        .iter()
        .map(|bundle| exit::report(verify_one(bundle, args.format), format))
        .collect();
    Ok(exit::worst(endings))
}

/// Verifies one bundle and prints its report; a directory of runs is refused with a hint.
fn verify_one(bundle: &Path, format: OutputFormat) -> Result<Outcome, Error> {
    if let Some(hint) = runs_directory_hint(bundle) {
        return Err(Error::RunsDirectory {
            path: bundle.to_path_buf(),
            hint,
        });
    }
    let reader = bundle::open(bundle)?;
    let verification = reader.verify();
    let shown = reader.root().display().to_string();
    let mut out = std::io::stdout().lock();
    let written = match format {
        OutputFormat::Json => {
            let report = VerifyReport {
                schema_version: "xpr.verify_report.v1",
                bundle: shown,
                ok: verification.ok(),
                verification: &verification,
            };
            let text = serde_json::to_string(&report).expect("report serialises");
            writeln!(out, "{text}")
        }
        OutputFormat::Text => out.write_all(render_text(&shown, &verification).as_bytes()),
    };
    exit::stdout_written(written.and_then(|()| out.flush()), "the report")?;
    Ok(if verification.ok() {
        Outcome::Clean
    } else {
        Outcome::Findings
    })
}

/// For a directory of runs (`out/<experiment>`, no index of its own) given where one run was
/// meant: what to give instead.
pub(crate) fn runs_directory_hint(dir: &Path) -> Option<String> {
    if dir.join(crate::bundle::layout::INDEX).exists() {
        return None;
    }
    bundle::open::latest_run(dir).map(|latest| {
        format!(
            "name one run, e.g. the latest: {} (also {}), or every run: {}/*",
            latest.display(),
            dir.join(crate::bundle::layout::LATEST).display(),
            dir.display()
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
