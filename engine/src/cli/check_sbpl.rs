//! `xpr check FILE.sb`: parse an SBPL file, print each rule's fidelity in this world (or, with
//! `--emit sbpl`, the normalised SBPL). Bad input prints diagnostics at the file's line and
//! column and exits 2.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use super::*;
use crate::diagnostics::{self, Diag, MessageFormat, codes};
use crate::sbpl::{SbplOptions, emit_profile, parse, render_fidelity};
use crate::source::loader::MAX_FILE_BYTES;

/// Files checked as SBPL rather than as experiments.
pub(crate) fn is_sbpl(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("sb" | "sbpl")
    )
}

/// Checks one SBPL file: its fidelity table (or, with `--emit sbpl`, its normalised SBPL) on
/// stdout when `print`; diagnostics on stderr for a bad file. Whether the file is valid.
pub(crate) fn check_file(
    file: &Path,
    load: &crate::resolve::LoadOptions,
    emit: Option<EmitFormat>,
    format: MessageFormat,
    print: bool,
    world: &crate::world::WorldFacts,
) -> bool {
    let opts = SbplOptions {
        params: load.params.iter().cloned().collect::<BTreeMap<_, _>>(),
        search_path: load.sbpl.search_path.clone(),
        absolute_imports: load.sbpl.absolute,
        ..SbplOptions::default()
    };
    let name = file.display().to_string();
    let text = match crate::sys::input::read_given(file, MAX_FILE_BYTES)
        .map_err(|e| e.to_string())
        .and_then(|b| String::from_utf8(b).map_err(|_| "not UTF-8 text".to_string()))
    {
        Ok(t) => t,
        Err(e) => {
            let unreadable = Diag::error(codes::IO, format!("cannot read {name}: {e}"));
            diagnostics::eprint(&unreadable.into(), format);
            return false;
        }
    };
    let out = match (parse(&text, &name, &opts), emit) {
        (Ok(profile), Some(EmitFormat::Sbpl)) => emit_profile(&profile),
        (Ok(profile), None) => render_fidelity(&profile, &world_fidelity(&profile.ir, world)),
        (Err(errors), _) => {
            let diags = crate::resolve::sbpl_hook::error_diagnostics(&errors, file, &name);
            diagnostics::eprint(&diags, format);
            return false;
        }
    };
    if print {
        let _ = std::io::stdout().write_all(out.as_bytes());
    }
    true
}

/// Fidelity in the world `check` was asked about (this host by default).
#[cfg(not(target_os = "macos"))]
fn world_fidelity(
    ir: &crate::model::ProfileIr,
    world: &crate::world::WorldFacts,
) -> Vec<crate::model::RuleFidelity> {
    crate::compile::linux::compile("check", ir, world).fidelity
}

#[cfg(target_os = "macos")]
fn world_fidelity(
    ir: &crate::model::ProfileIr,
    _world: &crate::world::WorldFacts,
) -> Vec<crate::model::RuleFidelity> {
    crate::compile::seatbelt::compile(ir).fidelity
}
