//! `xpr explain BUNDLE [EXPECTATION_ID]`: everything the bundle knows about one result (or
//! every mismatch), laid out for a person deciding whether it is evidence (lines wrapped to
//! the terminal's width; the text is [`crate::bundle::explain`]'s), or as one
//! `xpr.explain.v1` document (`--format json`).

use super::*;
use crate::bundle::explain::Explainer;
use crate::bundle::printable::printable;
use crate::bundle::{self, BundleFormat, BundleReader, Finding};
use crate::model::VerdictRecord;

/// Opens and verifies the bundle (a bundle that does not verify is refused unless
/// `--allow-unverified`, then explained with a warning).
fn open_verified(args: &ExplainArgs) -> Result<Box<dyn BundleReader>, Error> {
    let path = args.bundle.clone();
    let reader = bundle::open(&args.bundle)?;
    if reader.format() != BundleFormat::Xpr {
        return Err(Error::NotXprBundle {
            path,
            format: reader.format().as_str(),
        });
    }
    let verification = reader.verify();
    if verification.findings == [Finding::IndexMissing] {
        return Err(Error::OpenBundle(crate::bundle::OpenError::NotABundle(
            path,
        )));
    }
    if !verification.ok() {
        let findings: Vec<String> = verification
            .findings
            .iter()
            .map(|f| f.to_string())
            .collect();
        if !args.allow_unverified {
            return Err(Error::Unverified { path, findings });
        }
        eprintln!(
            "warning: {} does not verify ({} finding(s)); its records may not be what the run wrote",
            path.display(),
            findings.len()
        );
        for finding in findings.iter().take(5) {
            eprintln!("  {finding}");
        }
    }
    Ok(reader)
}

/// The schema of `xpr explain --format json`.
pub(crate) const EXPLAIN_SCHEMA: &str = "xpr.explain.v1";

pub(crate) fn run(args: ExplainArgs) -> Result<Outcome, Error> {
    if let Some(hint) = super::verify::runs_directory_hint(&args.bundle) {
        return Err(Error::RunsDirectory {
            path: args.bundle.clone(),
            hint,
        });
    }
    let reader = open_verified(&args)?;
    let bundle = reader.dir();
    let explainer = Explainer::load(bundle);
    let verdicts = &explainer.verdicts;
    let chosen: Vec<&VerdictRecord> = match &args.expectation_id {
        Some(id) => verdicts.iter().filter(|v| &v.id == id).collect(),
        None => verdicts
            .iter()
            .filter(|v| !v.mismatches.is_empty())
            .collect(),
    };
    if let (Some(id), true) = (&args.expectation_id, chosen.is_empty()) {
        return Err(Error::NoSuchResult {
            id: id.clone(),
            bundle: args.bundle.clone(),
            hint: Some(
                match crate::diagnostics::suggest::help(id, verdicts.iter().map(|v| v.id.as_str()))
                {
                    Some(hint) => hint,
                    None if !id.contains('/') => "a result id is `<profile>/<probe>`".to_string(),
                    None => format!(
                        "`xpr explain {}` lists every mismatch; the ids are in verdicts.jsonl",
                        args.bundle.display()
                    ),
                },
            ),
        });
    }
    let text = match args.format {
        OutputFormat::Json => {
            let results: Vec<serde_json::Value> =
                chosen.iter().map(|v| explainer.json(bundle, v)).collect();
            let doc = serde_json::json!({
                "schema_version": EXPLAIN_SCHEMA,
                "bundle": args.bundle.display().to_string(),
                "results": results,
            });
            format!("{doc}\n")
        }
        OutputFormat::Text if chosen.is_empty() => "No mismatches in this run.\n".to_string(),
        OutputFormat::Text => {
            let width = crate::report::width::stdout_width();
            let text: String = chosen.iter().map(|v| explainer.text(bundle, v)).collect();
            // Record fields are untrusted text: controls and bidi marks are shown escaped.
            printable(&text, true)
                .lines()
                .map(|l| crate::report::width::wrap(l, width, 14) + "\n")
                .collect()
        }
    };
    let mut out = std::io::stdout().lock();
    exit::stdout_written(
        std::io::Write::write_all(&mut out, text.as_bytes()),
        "the explanation",
    )?;
    Ok(Outcome::Clean)
}
