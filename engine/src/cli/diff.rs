//! `xpr diff A B`: what changed in meaning between two bundles of any formats (xpr,
//! runtime-tools), through the one diff engine.
//!
//! Both bundles are verified first: a diff of evidence that does not hold would mislead.
//! Exit 0 identical, 1 differences, 2 a bundle that cannot be opened, verified or read.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::exit::BundleInput;
use super::verify::runs_directory_hint;
use super::*;
use crate::bundle::{self, BundleView};
use crate::diff;

pub(crate) fn run(args: DiffArgs) -> Result<Outcome, Error> {
    let [a, b] = two(&args.bundles)?;
    let a = view("A", a)?;
    let b = view("B", b)?;
    let result = diff::diff(&a, &b);
    let text = match args.format {
        OutputFormat::Json => {
            let mut text = serde_json::to_string_pretty(&result).expect("a diff serialises");
            text.push('\n');
            text
        }
        OutputFormat::Text => diff::table::render(&result, crate::report::width::stdout_width()),
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

/// Exactly two bundles; for more (a glob over `out/<experiment>/*`), say what to give instead.
fn two(bundles: &[PathBuf]) -> Result<[&Path; 2], Error> {
    if let [a, b] = bundles {
        return Ok([a, b]);
    }
    let runs: Vec<&PathBuf> = bundles
        .iter()
        .filter(|p| !p.ends_with(crate::bundle::layout::LATEST))
        .collect();
    let hint = match runs.as_slice() {
        [.., a, b] => format!(
            "to compare the last two of these runs: xpr diff {} {}",
            a.display(),
            b.display()
        ),
        [one] => match bundle::open::latest_run(one) {
            Some(latest) => format!(
                "{} holds runs; name two of them, e.g. its latest: {}",
                one.display(),
                latest.display()
            ),
            None => "name a second bundle to compare it with".to_string(),
        },
        [] => "name two bundles".to_string(),
    };
    Err(Error::DiffArity {
        given: bundles.len(),
        hint,
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
        hint: runs_directory_hint(path),
    })
}
