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

/// Checks one SBPL file: its fidelity table (or, with `--emit sbpl`, its normalised SBPL) on
/// stdout; diagnostics on stderr and exit 2 for a bad file.
pub fn check_file(
    file: &Path,
    params: &[(String, String)],
    emit: Option<&str>,
    format: MessageFormat,
) -> u8 {
    if let Some(other) = emit.filter(|e| *e != "sbpl") {
        eprintln!("error: unknown --emit format `{other}` (expected `sbpl`)");
        return EXIT_INVALID;
    }
    let opts = SbplOptions {
        params: params.iter().cloned().collect::<BTreeMap<_, _>>(),
        ..SbplOptions::default()
    };
    let name = file.display().to_string();
    let text = match std::fs::read_to_string(file) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: cannot read {name}: {e}");
            return EXIT_INVALID;
        }
    };
    let out = match parse(&text, &name, &opts) {
        Ok(profile) if emit.is_some() => emit_profile(&profile),
        Ok(profile) => render_fidelity(&profile, &world_fidelity(&profile.ir)),
        Err(errors) => {
            report(errors, format);
            return EXIT_INVALID;
        }
    };
    use std::io::Write;
    let _ = std::io::stdout().write_all(out.as_bytes());
    EXIT_OK
}

/// Fidelity in the world this binary runs in.
#[cfg(not(target_os = "macos"))]
fn world_fidelity(ir: &crate::model::ProfileIr) -> Vec<crate::model::RuleFidelity> {
    let world = crate::world::WorldFacts::detect(&crate::world::WorldOptions::default());
    crate::compile::linux::compile("check", ir, &world).fidelity
}

#[cfg(target_os = "macos")]
fn world_fidelity(ir: &crate::model::ProfileIr) -> Vec<crate::model::RuleFidelity> {
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
