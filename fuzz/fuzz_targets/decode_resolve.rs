//! Arbitrary text as an experiment: decode → resolve → plan, and render every diagnostic.
//! Nothing may panic. Run: `cargo fuzz run decode_resolve -s none` (from the repo root).
#![no_main]

use libfuzzer_sys::fuzz_target;
use xpr::resolve::{LoadOptions, load_str};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    match load_str("fuzz.kdl", text, &LoadOptions::default()) {
        Ok(loaded) => {
            let plan = xpr::plan::Plan::build(&loaded.experiment);
            let _ = (plan.node_count(), plan.edge_count());
            let _ = loaded.warnings.render_human(100, false);
        }
        Err(diags) => {
            let _ = diags.render_human(100, false);
            let _ = diags.render_json();
        }
    }
});
