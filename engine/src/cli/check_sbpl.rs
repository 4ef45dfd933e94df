//! `xpr check FILE.sb`: parse an SBPL file, print each rule's fidelity in this world (or, with
//! `--emit sbpl`, the normalised SBPL). Bad input prints diagnostics at the file's line and
//! column and exits 2.

use std::collections::BTreeMap;
use std::path::Path;

use super::*;
use crate::sbpl::{SbplOptions, emit_profile, parse, render_fidelity};

/// Files checked as SBPL rather than as experiments.
pub fn is_sbpl(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("sb" | "sbpl")
    )
}

pub fn run(args: &CheckArgs) -> u8 {
    let params = match parse_params(&args.load.params) {
        Ok(p) => p,
        Err(message) => {
            eprintln!("error: {message}");
            return EXIT_INVALID;
        }
    };
    match args.emit.as_deref() {
        None | Some("sbpl") => {}
        Some(other) => {
            eprintln!("error: unknown --emit format `{other}` (expected `sbpl`)");
            return EXIT_INVALID;
        }
    }
    let opts = SbplOptions {
        params,
        ..SbplOptions::default()
    };
    let mut status = EXIT_OK;
    let mut out = String::new();
    for file in &args.files {
        let name = file.display().to_string();
        let text = match std::fs::read_to_string(file) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("error: cannot read {name}: {e}");
                status = EXIT_INVALID;
                continue;
            }
        };
        match parse(&text, &name, &opts) {
            Ok(profile) if args.emit.is_some() => out.push_str(&emit_profile(&profile)),
            Ok(profile) => out.push_str(&render_fidelity(&profile, &world_fidelity(&profile.ir))),
            Err(errors) => {
                report(errors, args.load.message_format);
                status = EXIT_INVALID;
            }
        }
    }
    use std::io::Write;
    let _ = std::io::stdout().write_all(out.as_bytes());
    status
}

/// Fidelity in the world this binary runs in.
#[cfg(not(target_os = "macos"))]
fn world_fidelity(ir: &crate::model::ProfileIr) -> Vec<crate::compile::RuleFidelity> {
    let world = crate::world::WorldFacts::detect(&crate::world::WorldOptions::default());
    crate::compile::linux::compile("check", ir, &world).fidelity
}

#[cfg(target_os = "macos")]
fn world_fidelity(ir: &crate::model::ProfileIr) -> Vec<crate::compile::RuleFidelity> {
    crate::compile::seatbelt::compile(ir).fidelity
}

fn report(errors: crate::sbpl::SbplErrors, format: MessageFormat) {
    for e in errors.errors {
        match format {
            MessageFormat::Human => eprintln!("{:?}", miette::Report::new(e)),
            MessageFormat::Json => {
                let mut s = String::new();
                let _ = miette::JSONReportHandler::new().render_report(&mut s, &e);
                eprintln!("{s}");
            }
        }
    }
}

fn parse_params(raw: &[String]) -> Result<BTreeMap<String, String>, String> {
    raw.iter()
        .map(|p| match p.split_once('=') {
            Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
            _ => Err(format!("--param expects NAME=VALUE, got `{p}`")),
        })
        .collect()
}
