//! Arbitrary text as an SBPL profile: read → evaluate (within the evaluator's budgets) →
//! emit → read again; every error rendered. Nothing may panic, hang or exhaust memory, and
//! what parsed once parses again after emitting. Run: `cargo fuzz run sbpl_read -s none`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use xpr::sbpl::{SbplOptions, emit_profile, parse};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    match parse(text, "fuzz.sb", &SbplOptions::default()) {
        Ok(profile) => {
            let emitted = emit_profile(&profile);
            if let Err(e) = parse(&emitted, "emitted.sb", &SbplOptions::default()) {
                panic!("emitted SBPL does not parse again: {e}\n{emitted}");
            }
        }
        Err(errors) => {
            let diags = xpr::resolve::sbpl_hook::error_diagnostics(
                &errors,
                std::path::Path::new("fuzz.sb"),
                "fuzz.sb",
            );
            let _ = diags.render_human(100, false);
            let _ = diags.render_json();
        }
    }
});
