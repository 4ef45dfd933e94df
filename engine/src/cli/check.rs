//! `xpr check FILE...`: decode, resolve and validate each file; a one-line summary per file,
//! or every diagnostic and exit 2. `--format json` prints one `xpr.check.v1` document.

use std::io::Write;
use std::path::Path;

use serde::Serialize;

use super::*;
use crate::diagnostics::{self, Diagnostics, MessageFormat};
use crate::resolve::{self, LoadOptions, Loaded};

use super::check_world;

/// The schema of `xpr check --format json`.
pub(crate) const CHECK_SCHEMA: &str = "xpr.check.v1";

/// One checked file, as `--format json` reports it.
#[derive(Serialize)]
struct FileReport {
    file: String,
    ok: bool,
    /// `experiment`, `library` (a stdlib file) or `sbpl`.
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    experiment: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    counts: Option<serde_json::Value>,
    errors: usize,
    warnings: usize,
    /// Every diagnostic, as `--message-format json` prints it.
    diagnostics: Vec<serde_json::Value>,
}

/// With `quiet`, a file that checks prints no `ok` line (its warnings are still printed).
pub(crate) fn run(args: CheckArgs, format: MessageFormat, quiet: bool) -> Result<Outcome, Error> {
    let opts = args.load.options();
    let world = check_world::CheckWorld::choose(
        args.world.as_deref(),
        &args.world_files,
        args.landlock_abi,
    )?;
    let mut outcome = Outcome::Clean;
    let mut reports = Vec::new();
    for file in &args.files {
        let (ok, report) = check_one(file, &opts, &args, format, quiet, &world);
        if !ok {
            outcome = Outcome::InvalidFiles;
        }
        reports.extend(report);
    }
    if args.format == OutputFormat::Json {
        let doc = serde_json::json!({"schema_version": CHECK_SCHEMA, "files": reports});
        let mut out = std::io::stdout().lock();
        let written = writeln!(out, "{doc}").and_then(|()| out.flush());
        exit::stdout_written(written, "the check report")?;
    }
    Ok(outcome)
}

/// Checks one file, printing its summary (text) or returning its report (JSON), and its
/// diagnostics on stderr; whether it is valid.
fn check_one(
    file: &Path,
    opts: &LoadOptions,
    args: &CheckArgs,
    format: MessageFormat,
    quiet: bool,
    world: &check_world::CheckWorld,
) -> (bool, Option<FileReport>) {
    let json = args.format == OutputFormat::Json;
    if check_sbpl::is_sbpl(file) {
        let ok = check_sbpl::check_file(file, opts, args.emit, format, !json, &world.facts);
        let report = json.then(|| FileReport {
            file: file.display().to_string(),
            ok,
            kind: "sbpl",
            experiment: None,
            counts: None,
            errors: usize::from(!ok),
            warnings: 0,
            diagnostics: Vec::new(),
        });
        return (ok, report);
    }
    if args.emit.is_some() {
        let diags: Diagnostics = diagnostics::Diag::error(
            diagnostics::codes::USAGE,
            format!(
                "`--emit sbpl` prints the normalised text of an SBPL file; {} is an experiment",
                file.display()
            ),
        )
        .help("give it a `.sb` file, or drop `--emit` to check the experiment")
        .into();
        diagnostics::eprint(&diags, format);
        let report = json.then(|| FileReport {
            file: file.display().to_string(),
            ok: false,
            kind: "experiment",
            experiment: None,
            counts: None,
            errors: diags.error_count(),
            warnings: 0,
            diagnostics: json_diagnostics(&diags),
        });
        return (false, report);
    }
    if crate::worlds::catalogue::is_world_file(file) {
        return check_worlds(file, format, json, quiet);
    }
    match resolve::check(file, opts) {
        Ok(loaded) => {
            diagnostics::eprint(&loaded.warnings, format);
            if !json && !quiet {
                print_ok(file, &summary(&loaded), format);
            }
            // Per-rule fidelity in the chosen world: the table with the summary, its warnings
            // (a blocked or approximate profile, with the nearest rewrite) always.
            let fidelity = (!loaded.library && !loaded.experiment.profiles.is_empty())
                .then(|| world.report(&loaded.experiment));
            if let Some(fidelity) = &fidelity {
                // The table is for people: not with -q, nor where every line is JSON.
                if !json && !quiet && format == MessageFormat::Human {
                    let mut out = std::io::stdout().lock();
                    let _ = out.write_all(fidelity.text.as_bytes());
                }
                diagnostics::eprint(&fidelity.warnings, format);
            }
            let report = json.then(|| {
                let mut diagnostics = json_diagnostics(&loaded.warnings);
                let mut warnings = loaded.warnings.len();
                if let Some(fidelity) = &fidelity {
                    diagnostics.extend(json_diagnostics(&fidelity.warnings));
                    warnings += fidelity.warnings.len();
                }
                FileReport {
                    file: file.display().to_string(),
                    ok: true,
                    kind: if loaded.library {
                        "library"
                    } else {
                        "experiment"
                    },
                    experiment: Some(loaded.experiment.name.clone()),
                    counts: Some(counts(&loaded)),
                    errors: 0,
                    warnings,
                    diagnostics,
                }
            });
            (true, report)
        }
        Err(diags) => {
            diagnostics::eprint(&diags, format);
            let errors = diags.error_count();
            let warnings = diags.len() - errors;
            if format == MessageFormat::Human {
                // With several files, say which one failed and how badly.
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
            let report = json.then(|| FileReport {
                file: file.display().to_string(),
                ok: false,
                kind: "experiment",
                experiment: None,
                counts: None,
                errors,
                warnings,
                diagnostics: json_diagnostics(&diags),
            });
            (false, report)
        }
    }
}

fn json_diagnostics(diags: &Diagnostics) -> Vec<serde_json::Value> {
    diags
        .render_json()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

/// The `ok` line of a file that checks.
fn print_ok(file: &Path, line: &str, format: MessageFormat) {
    let mut out = std::io::stdout().lock();
    let _ = match format {
        MessageFormat::Human => writeln!(out, "{line}"),
        // Every line a tool reads is JSON: the `ok` line too.
        MessageFormat::Json => writeln!(
            out,
            "{}",
            serde_json::json!({"ok": true, "file": file.display().to_string(), "message": line})
        ),
    };
}

/// A world catalogue (`std/worlds.kdl` or a `--world-file`): `ok worlds NAME: N worlds`.
fn check_worlds(
    file: &Path,
    format: MessageFormat,
    json: bool,
    quiet: bool,
) -> (bool, Option<FileReport>) {
    // The stdlib's own catalogue is loaded anyway; load a copy of it only once.
    let files = if crate::worlds::catalogue::is_stdlib_catalogue(file) {
        Vec::new()
    } else {
        vec![file.to_path_buf()]
    };
    let report = |ok: bool, worlds: Option<usize>, diags: Option<&Diagnostics>| {
        json.then(|| FileReport {
            file: file.display().to_string(),
            ok,
            kind: "worlds",
            experiment: None,
            counts: worlds.map(|n| serde_json::json!({ "worlds": n })),
            errors: diags.map_or(0, |d| d.error_count()),
            warnings: diags.map_or(0, |d| d.len() - d.error_count()),
            diagnostics: diags.map(json_diagnostics).unwrap_or_default(),
        })
    };
    match crate::worlds::Catalogue::load(&files) {
        Ok(c) => {
            let own = c
                .worlds
                .iter()
                .filter(|w| files.is_empty() || w.defined_in != "std/worlds.kdl")
                .count();
            if !json && !quiet {
                let stem = file.file_stem().unwrap_or_default().to_string_lossy();
                print_ok(file, &format!("ok worlds {stem}: {own} worlds"), format);
            }
            (true, report(true, Some(own), None))
        }
        Err(diags) => {
            diagnostics::eprint(&diags, format);
            (false, report(false, None, Some(&diags)))
        }
    }
}

fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

/// What the file declares: for a library its own families and shims, for an experiment its
/// profiles, probes, expectations and graph size.
fn counts(loaded: &Loaded) -> serde_json::Value {
    let e = &loaded.experiment;
    if loaded.library {
        let (families, shims) = library_counts(loaded);
        serde_json::json!({"families": families, "shims": shims})
    } else {
        let plan = crate::plan::Plan::build(e);
        serde_json::json!({
            "profiles": e.profiles.len(),
            "probes": e.probes.len(),
            "expectations": e.expectations.len(),
            "graph": {"nodes": plan.node_count(), "edges": plan.edge_count()},
        })
    }
}

/// A library's own families and shims, not the prelude it sees.
fn library_counts(loaded: &Loaded) -> (usize, usize) {
    let e = &loaded.experiment;
    let root = e
        .sources
        .iter()
        .map(|s| s.path.as_str())
        .find(|p| !p.starts_with("std/"));
    let root = root.unwrap_or_else(|| loaded.families.first().map_or("", |(_, o)| o.file.as_str()));
    let own = |file: &str| file == root || e.sources.len() == 1;
    let families = loaded.families.iter().filter(|(_, o)| own(&o.file)).count();
    let shims = e.shims.iter().filter(|s| own(&s.origin.file)).count();
    (families, shims)
}

/// `ok NAME: N profiles, N probes, N expectations, graph N nodes N edges`, or for a stdlib
/// file `ok library NAME: N families, N shims`.
fn summary(loaded: &Loaded) -> String {
    let e = &loaded.experiment;
    let mut line = if loaded.library {
        let (families, shims) = library_counts(loaded);
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
