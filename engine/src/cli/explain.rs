//! `xpr explain BUNDLE [EXPECTATION_ID]`: everything the bundle knows about one result (or
//! every mismatch), laid out for a person deciding whether it is evidence
//! ([`crate::bundle::explain`]).

use super::*;
use crate::bundle::explain::Explainer;
use crate::bundle::layout;
use crate::model::VerdictRecord;

pub fn run(args: ExplainArgs) -> u8 {
    let bundle = args.bundle.as_path();
    if !bundle.join(layout::INDEX).is_file() {
        eprintln!(
            "error: {} is not a complete run bundle (no {})",
            bundle.display(),
            layout::INDEX
        );
        return EXIT_INVALID;
    }
    let explainer = Explainer::load(bundle);
    let verdicts = &explainer.verdicts;
    let chosen: Vec<&VerdictRecord> = match &args.expectation_id {
        Some(id) => verdicts.iter().filter(|v| &v.id == id).collect(),
        None => verdicts
            .iter()
            .filter(|v| !v.mismatches.is_empty())
            .collect(),
    };
    if chosen.is_empty() {
        match &args.expectation_id {
            Some(id) => {
                eprintln!("error: no result `{id}` in {}", bundle.display());
                return EXIT_INVALID;
            }
            None => {
                println!("No mismatches in this run.");
                return EXIT_OK;
            }
        }
    }
    let mut out = String::new();
    for v in chosen {
        out.push_str(&explainer.text(v));
    }
    print!("{out}");
    EXIT_OK
}
