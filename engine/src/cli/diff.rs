//! `xpr diff A B`: what changed in meaning between two bundles of any formats (xpr,
//! runtime-tools), through the one diff engine.
//!
//! Both bundles are verified first: a diff of evidence that does not hold would mislead.
//! Exit 0 identical, 1 differences, 2 a bundle that cannot be opened, verified or read.

use std::io::Write;

use super::*;
use crate::bundle;
use crate::diff;

pub fn run(args: DiffArgs) -> u8 {
    let mut views = Vec::with_capacity(2);
    for (name, path) in [("A", &args.a), ("B", &args.b)] {
        let loaded = bundle::open(path)
            .map_err(|e| e.to_string())
            .and_then(|reader| {
                reader
                    .load()
                    .map_err(|e| format!("{}: {e}", path.display()))
            });
        match loaded {
            Ok(view) => views.push(view),
            Err(e) => {
                eprintln!("error: bundle {name}: {e}");
                if let Some(latest) = bundle::reader::latest_run(path) {
                    eprintln!(
                        "hint: this directory holds runs of an experiment; the latest is {}",
                        latest.display()
                    );
                }
                return EXIT_INVALID;
            }
        }
    }
    let result = diff::diff(&views[0], &views[1]);
    let text = match args.format {
        OutputFormat::Json => {
            let mut text = serde_json::to_string_pretty(&result).expect("a diff serialises");
            text.push('\n');
            text
        }
        OutputFormat::Text => diff::table::render(&result),
    };
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(text.as_bytes()).and_then(|()| out.flush())
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        eprintln!("error: writing the diff: {e}");
        return EXIT_ENVIRONMENT;
    }
    if result.identical {
        EXIT_OK
    } else {
        EXIT_FINDINGS
    }
}
