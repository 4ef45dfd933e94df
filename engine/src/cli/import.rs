//! Foreign bundles on the command line: `xpr import`, and the view diff `xpr diff` uses when
//! one side is a runtime-tools bundle (xpr-vs-xpr diffs live in diff.rs).

use std::path::Path;

use crate::bundle::runtime_tools::xpr_view::LoadedView;
use crate::bundle::runtime_tools::{self, RuntimeToolsBundle, compare, to_kdl};
use crate::model::RunView;

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

/// Opens any bundle as a [`RunView`]: runtime-tools bundles with their full records, other
/// formats through the bundle readers. Either way the bundle must verify first.
pub fn open_run_view(path: &Path) -> Result<Box<dyn RunView>, String> {
    let reader = crate::bundle::open(path).map_err(|e| e.to_string())?;
    if runtime_tools::is_runtime_tools(path) {
        let verification = reader.verify();
        if let Some(first) = verification.findings.first() {
            return Err(format!(
                "{}: the bundle does not verify ({} finding(s), first: {first}); run `xpr verify` on it",
                path.display(),
                verification.findings.len()
            ));
        }
        let bundle = RuntimeToolsBundle::open(path).map_err(|e| e.to_string())?;
        return Ok(Box::new(bundle));
    }
    let view = reader
        .load()
        .map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(Box::new(LoadedView { view }))
}

/// `xpr diff A B` when a side is a runtime-tools bundle: 0 identical, 1 differences, 2 a
/// bundle that cannot be opened, verified or read.
pub fn diff_runtime_tools(args: &DiffArgs) -> u8 {
    match (open_run_view(&args.a), open_run_view(&args.b)) {
        (Ok(a), Ok(b)) => diff_views(a.as_ref(), b.as_ref(), args.format),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("xpr diff: {e}");
            EXIT_INVALID
        }
    }
}

/// `xpr diff A B` over two views: 0 identical, 1 differences.
pub fn diff_views(a: &dyn RunView, b: &dyn RunView, format: OutputFormat) -> u8 {
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
