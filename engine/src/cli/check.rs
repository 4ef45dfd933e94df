//! `xpr check FILE...`: decode, resolve and validate each file; a one-line summary per file,
//! or every diagnostic and exit 2.

use std::io::Write;
use std::path::Path;

use super::*;
use crate::diagnostics::{self, MessageFormat};
use crate::resolve::{self, LoadOptions, Loaded};

pub fn run(args: CheckArgs) -> Result<Outcome, Error> {
    let opts = args.load.options();
    let format = args.load.message_format.into();
    let mut outcome = Outcome::Clean;
    for file in &args.files {
        if !check_one(file, &opts, args.emit, format) {
            outcome = Outcome::InvalidFiles;
        }
    }
    Ok(outcome)
}

/// Checks one file, printing its summary or its diagnostics; whether it is valid.
fn check_one(
    file: &Path,
    opts: &LoadOptions,
    emit: Option<EmitFormat>,
    format: MessageFormat,
) -> bool {
    if check_sbpl::is_sbpl(file) {
        return check_sbpl::check_file(file, &opts.params, emit, format);
    }
    if crate::worlds::catalogue::is_world_file(file) {
        return check_worlds(file, format);
    }
    match resolve::check(file, opts) {
        Ok(loaded) => {
            diagnostics::eprint(&loaded.warnings, format);
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{}", summary(&loaded));
            true
        }
        Err(diags) => {
            diagnostics::eprint(&diags, format);
            if format == MessageFormat::Human {
                // With several files, say which one failed and how badly.
                let errors = diags.error_count();
                let warnings = diags.len() - errors;
                let mut tail = format!(
                    "error: {} failed the check: {}",
                    file.display(),
                    plural(errors, "error")
                );
                if warnings > 0 {
                    tail.push_str(&format!(", {}", plural(warnings, "warning")));
                }
                eprintln!("\n{tail}");
            }
            false
        }
    }
}

/// A world catalogue (`std/worlds.kdl` or a `--world-file`): `ok worlds NAME: N worlds`.
fn check_worlds(file: &Path, format: MessageFormat) -> bool {
    // The stdlib's own catalogue is loaded anyway; load a copy of it only once.
    let files = if crate::worlds::catalogue::is_stdlib_catalogue(file) {
        Vec::new()
    } else {
        vec![file.to_path_buf()]
    };
    match crate::worlds::Catalogue::load(&files) {
        Ok(c) => {
            let own = c
                .worlds
                .iter()
                .filter(|w| files.is_empty() || w.defined_in != "std/worlds.kdl");
            let stem = file.file_stem().unwrap_or_default().to_string_lossy();
            println!("ok worlds {stem}: {} worlds", own.count());
            true
        }
        Err(diags) => {
            diagnostics::eprint(&diags, format);
            false
        }
    }
}

fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

/// `ok NAME: N profiles, N probes, N expectations, graph N nodes N edges`, or for a stdlib
/// file `ok library NAME: N families, N shims`.
fn summary(loaded: &Loaded) -> String {
    let e = &loaded.experiment;
    let mut line = if loaded.library {
        // Count what the file itself declares, not the prelude it sees.
        let root = e
            .sources
            .iter()
            .map(|s| s.path.as_str())
            .find(|p| !p.starts_with("std/"));
        let root =
            root.unwrap_or_else(|| loaded.families.first().map_or("", |(_, o)| o.file.as_str()));
        let own = |file: &str| file == root || e.sources.len() == 1;
        let families = loaded.families.iter().filter(|(_, o)| own(&o.file)).count();
        let shims = e.shims.iter().filter(|s| own(&s.origin.file)).count();
        format!(
            "ok library {}: {}, {}",
            e.name,
            plural(families, "family").replace("familys", "families"),
            plural(shims, "shim"),
        )
    } else {
        let plan = crate::plan::Plan::build(e);
        format!(
            "ok {}: {}, {}, {}, graph {} nodes {} edges",
            e.name,
            plural(e.profiles.len(), "profile"),
            plural(e.probes.len(), "probe"),
            plural(e.expectations.len(), "expectation"),
            plan.node_count(),
            plan.edge_count()
        )
    };
    if !loaded.warnings.is_empty() {
        line.push_str(&format!(", {}", plural(loaded.warnings.len(), "warning")));
    }
    line
}
