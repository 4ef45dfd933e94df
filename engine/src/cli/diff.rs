//! `xpr diff A B`: what changed in meaning between two bundles of any formats (xpr,
//! runtime-tools), through the one diff engine.
//!
//! Both bundles are verified first: a diff of evidence that does not hold would mislead.
//! Exit 0 identical, 1 differences, 2 a bundle that cannot be opened, verified or read.

use std::io::Write;
use std::path::Path;

use super::exit::BundleInput;
use super::verify::latest_run_hint;
use super::*;
use crate::bundle::{self, BundleView};
use crate::diff;

pub fn run(args: DiffArgs) -> Result<Outcome, Error> {
    let a = view("A", &args.a)?;
    let b = view("B", &args.b)?;
    let result = diff::diff(&a, &b);
    let text = match args.format {
        OutputFormat::Json => {
            let mut text = serde_json::to_string_pretty(&result).expect("a diff serialises");
            text.push('\n');
            text
        }
        OutputFormat::Text => diff::table::render(&result),
    };
    let mut out = std::io::stdout().lock();
    let written = out.write_all(text.as_bytes()).and_then(|()| out.flush());
    exit::stdout_written(written, "the diff")?;
    Ok(if result.identical {
        Outcome::Clean
    } else {
        Outcome::Findings
    })
}

/// Opens, verifies and reads one side of the diff.
fn view(side: &'static str, path: &Path) -> Result<BundleView, Error> {
    let loaded = bundle::open(path)
        .map_err(BundleInput::Open)
        .and_then(|reader| {
            reader.load().map_err(|source| BundleInput::Load {
                path: path.to_path_buf(),
                source,
            })
        });
    loaded.map_err(|source| Error::DiffInput {
        side,
        source,
        hint: latest_run_hint(path),
    })
}
