//! A crafted xpr bundle (see `bundle_files.rs` for the input format): open, verify, load —
//! what `xpr verify`, `xpr diff` and `xpr explain` do first. Nothing may panic, block on a
//! special file or follow a link out. Run: `cargo fuzz run bundle_xpr -s none`.
#![no_main]

use libfuzzer_sys::fuzz_target;

mod bundle_files;

fuzz_target!(|data: &[u8]| {
    let Ok(tmp) = tempfile::tempdir() else { return };
    let dir = tmp.path().join("bundle");
    let _ = std::fs::create_dir(&dir);
    bundle_files::materialise(data, &dir);
    if let Ok(reader) = xpr::bundle::open(&dir) {
        let verification = reader.verify();
        for finding in &verification.findings {
            let _ = finding.to_string();
        }
        if let Ok(view) = reader.load() {
            let _ = xpr::diff::diff(&view, &view);
        }
    }
});
