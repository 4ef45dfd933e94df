//! `xpr import`: a starting experiment from a foreign (runtime-tools) bundle. Diffs of any
//! formats live in diff.rs.

use std::path::Path;

use crate::bundle::printable::printable;
use crate::bundle::runtime_tools::{self, RuntimeToolsBundle, to_kdl};
use crate::sys::fs::replace_file;

use super::*;

/// `xpr import BUNDLE --to-kdl [-o FILE] [--sbpl-dir DIR]`.
pub(crate) fn run(args: ImportArgs) -> u8 {
    if !args.to_kdl {
        eprintln!("xpr import: say what to produce: --to-kdl");
        return EXIT_INVALID;
    }
    if !runtime_tools::is_runtime_tools(&args.bundle) {
        eprintln!(
            "xpr import: {}: not a runtime-tools bundle (no artifact_index.json with a runtime-tools schema)",
            args.bundle.display()
        );
        return EXIT_INVALID;
    }
    let bundle = match RuntimeToolsBundle::open(&args.bundle) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("xpr import: {e}");
            return EXIT_INVALID;
        }
    };
    let out_dir = args
        .output
        .as_deref()
        .and_then(Path::parent)
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    let options = to_kdl::Options {
        sbpl_dir: args.sbpl_dir.clone(),
        output_dir: out_dir,
    };
    let imported = to_kdl::to_kdl(&bundle, &options);
    for warning in &imported.warnings {
        // Warnings quote the bundle: escaped, so they cannot drive the terminal.
        eprintln!("xpr import: warning: {}", printable(warning, false));
    }
    match &args.output {
        Some(path) => {
            if let Err(e) = replace_file(path, imported.text.as_bytes(), 0o644) {
                eprintln!("xpr import: {}: cannot write: {e}", path.display());
                return EXIT_ENVIRONMENT;
            }
            eprintln!("xpr import: wrote {}", path.display());
        }
        None => print!("{}", imported.text),
    }
    EXIT_OK
}
