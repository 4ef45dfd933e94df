//! `xpr check FILE...`: decode, resolve and validate each file; a one-line summary per file,
//! or every diagnostic and exit 2.

use std::io::{IsTerminal, Write};
use std::path::Path;

use super::*;
use crate::diagnostics::{Diag, Diagnostics};
use crate::resolve::{self, LoadOptions, Loaded};

pub fn run(args: CheckArgs) -> u8 {
    let mut params = Vec::new();
    let mut usage = Diagnostics::new();
    for p in &args.load.params {
        match resolve::parse_param(p) {
            Some(kv) => params.push(kv),
            None => usage.push(Diag::error(
                crate::diagnostics::codes::INVALID_VALUE,
                format!("--param `{p}` must be NAME=VALUE"),
            )),
        }
    }
    if !usage.is_empty() {
        print_diagnostics(&usage, args.load.message_format);
        return EXIT_INVALID;
    }
    let opts = LoadOptions {
        params,
        world: "linux".to_string(),
    };
    let mut code = EXIT_OK;
    for file in &args.files {
        let outcome = check_one(file, &opts, args.emit.as_deref(), args.load.message_format);
        code = code.max(outcome);
    }
    code
}

fn check_one(file: &Path, opts: &LoadOptions, emit: Option<&str>, format: MessageFormat) -> u8 {
    if check_sbpl::is_sbpl(file) {
        return check_sbpl::check_file(file, &opts.params, emit, format);
    }
    if crate::worlds::catalogue::is_world_file(file) {
        return check_worlds(file, format);
    }
    match resolve::check(file, opts) {
        Ok(loaded) => {
            print_diagnostics(&loaded.warnings, format);
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{}", summary(&loaded));
            EXIT_OK
        }
        Err(diags) => {
            print_diagnostics(&diags, format);
            if format == MessageFormat::Human {
                // With several files, say which one failed and how badly.
                let errors = diags.error_count();
                let warnings = diags.len() - errors;
                let plural =
                    |n: usize, w: &str| format!("{n} {w}{}", if n == 1 { "" } else { "s" });
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
            EXIT_INVALID
        }
    }
}

/// A world catalogue (`std/worlds.kdl` or a `--world-file`): `ok worlds NAME: N worlds`.
fn check_worlds(file: &Path, format: MessageFormat) -> u8 {
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
            EXIT_OK
        }
        Err(diags) => {
            print_diagnostics(&diags, format);
            EXIT_INVALID
        }
    }
}

/// `ok NAME: N profiles, N probes, N expectations, graph N nodes N edges`, or for a stdlib
/// file `ok library NAME: N families, N shims`.
pub fn summary(loaded: &Loaded) -> String {
    let e = &loaded.experiment;
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
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

pub(super) fn print_diagnostics(diags: &Diagnostics, format: MessageFormat) {
    if diags.is_empty() {
        return;
    }
    let text = match format {
        MessageFormat::Json => diags.render_json(),
        MessageFormat::Human => {
            let stderr = std::io::stderr();
            let color = stderr.is_terminal() && std::env::var_os("NO_COLOR").is_none();
            diags.render_human(100, color)
        }
    };
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(text.as_bytes());
}
