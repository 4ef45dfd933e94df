//! Foreign bundles on the command line: `xpr import`, and the runtime-tools branches of
//! `xpr verify` and `xpr diff` (the xpr-bundle paths live in verify.rs and diff.rs).

use std::path::Path;

use crate::bundle::runtime_tools::{self, RuntimeToolsBundle, compare, to_kdl};
use crate::model::BundleView;

use super::*;

/// `xpr import BUNDLE --to-kdl [-o FILE] [--sbpl-dir DIR]`.
pub fn run(args: ImportArgs) -> u8 {
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
        eprintln!("xpr import: warning: {warning}");
    }
    match &args.output {
        Some(path) => {
            if let Err(e) = std::fs::write(path, &imported.text) {
                eprintln!("xpr import: {}: cannot write: {e}", path.display());
                return EXIT_ENVIRONMENT;
            }
            eprintln!("xpr import: wrote {}", path.display());
        }
        None => print!("{}", imported.text),
    }
    EXIT_OK
}

/// `xpr verify` on a runtime-tools bundle: 0 when everything holds, 1 when not, 2 when the
/// index is unreadable.
pub fn verify_runtime_tools(args: &VerifyArgs) -> u8 {
    let report = match runtime_tools::verify(&args.bundle) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("xpr verify: {e}");
            return EXIT_INVALID;
        }
    };
    match args.format {
        OutputFormat::Text => print!("{}", report.render_text(&args.bundle.display().to_string())),
        OutputFormat::Json => match serde_json::to_string_pretty(&report) {
            Ok(s) => println!("{s}"),
            Err(e) => {
                eprintln!("xpr verify: {e}");
                return EXIT_ENVIRONMENT;
            }
        },
    }
    if report.ok() { EXIT_OK } else { EXIT_FINDINGS }
}

/// Opens a bundle of a foreign format as a view; `None` when it is not one (an xpr bundle).
pub fn open_foreign_view(path: &Path) -> Option<Result<Box<dyn BundleView>, String>> {
    if runtime_tools::is_runtime_tools(path) {
        return Some(
            RuntimeToolsBundle::open(path)
                .map(|b| Box::new(b) as Box<dyn BundleView>)
                .map_err(|e| e.to_string()),
        );
    }
    None
}

/// `xpr diff A B` over two views: 0 identical, 1 differences.
pub fn diff_views(a: &dyn BundleView, b: &dyn BundleView, format: OutputFormat) -> u8 {
    let diff = compare::compare(a, b);
    match format {
        OutputFormat::Text => print!("{}", diff.render_text()),
        OutputFormat::Json => match serde_json::to_string_pretty(&diff) {
            Ok(s) => println!("{s}"),
            Err(e) => {
                eprintln!("xpr diff: {e}");
                return EXIT_ENVIRONMENT;
            }
        },
    }
    if diff.is_empty() {
        EXIT_OK
    } else {
        EXIT_FINDINGS
    }
}
