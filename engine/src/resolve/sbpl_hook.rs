//! The seam where SBPL profiles (`profile NAME sbpl="file.sb"`) get their IR.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use miette::SourceSpan;

use super::SbplImports;
use crate::decode::vocabulary::{Lookup, Vocabulary};
use crate::diagnostics::{Diag, Diagnostics, codes};
use crate::model::{Origin, ProfileIr};
use crate::sbpl::{SbplError, SbplErrors, SbplLocation, SbplOptions, SbplProfile, parse};
use crate::source::SourceFile;

/// (artifact name, blake3 of the text) of each file an SBPL profile imported.
pub(crate) type Imported = Vec<(String, String)>;

/// Where an experiment's SBPL file is.
pub(crate) struct SbplPlace<'a> {
    /// As diagnostics show it.
    pub path: &'a Path,
    /// How artifacts name it: relative to the experiment's directory.
    pub artifact: &'a str,
    /// The experiment's directory, beneath which the file and its imports are read.
    pub root_dir: PathBuf,
}

/// Parses an SBPL file into the profile IR, with the experiment's parameters bound, operation
/// names looked up in `Vocabulary::standard()` (aliases and obsolete names resolved), origins
/// named as artifacts name the file, and warnings for what the parser kept opaque. The file
/// was named by the experiment, so it must read as SBPL before any of its text is shown, and
/// its imports resolve beneath the experiment's directory. Also returns every file the
/// profile `(import …)`ed, as (artifact name, blake3 of its text): they change the result, so
/// they belong in the run's closure.
pub(crate) fn sbpl_hook(
    place: &SbplPlace,
    text: &str,
    params: &BTreeMap<String, String>,
    imports: &SbplImports,
) -> Result<(ProfileIr, Diagnostics, Imported), Diagnostics> {
    let (path, artifact) = (place.path, place.artifact);
    let display = path.display().to_string();
    let opts = SbplOptions {
        params: params.clone(),
        search_path: imports.search_path.clone(),
        absolute_imports: imports.absolute,
        named_by_input: true,
        location: Some(SbplLocation {
            dir: place.root_dir.clone(),
            file: PathBuf::from(artifact),
        }),
        ..SbplOptions::default()
    };
    let mut diags = Diagnostics::new();
    let mut profile = match parse(text, &display, &opts) {
        Ok(p) => p,
        Err(errors) => return Err(error_diagnostics(&errors, path, artifact)),
    };
    let files = source_files(&profile, path, &display, artifact);
    let vocab = Vocabulary::standard();
    let mut unknown = false;
    profile.map_operations(|op, origin| match vocab.canonical(op) {
        Lookup::Known(n) | Lookup::Alias(n) => n.to_string(),
        Lookup::Obsolete { replacement } => {
            diags.push(
                Diag::warning(
                    codes::OBSOLETE_OPERATION,
                    format!("operation `{op}` is obsolete"),
                )
                .at(
                    file_for(&files, &origin.file),
                    span(origin),
                    format!("now `{replacement}`"),
                )
                .help(format!(
                    "write `{replacement}`; it is used in place of `{op}`"
                )),
            );
            replacement.to_string()
        }
        Lookup::Unknown => {
            unknown = true;
            let help = diags
                .suggest(op, vocab.operation_names())
                .unwrap_or_else(|| {
                    "operation names are Seatbelt's, listed in std/vocabulary.kdl".into()
                });
            diags.push(
                Diag::error(
                    codes::UNKNOWN_OPERATION,
                    format!("unknown operation `{op}`"),
                )
                .at(
                    file_for(&files, &origin.file),
                    span(origin),
                    "not in the vocabulary",
                )
                .help(help),
            );
            op.to_string()
        }
    });
    for o in &profile.opaque {
        diags.push(
            Diag::warning(codes::SBPL_OPAQUE, format!("not modelled: {}", o.reason))
                .at(file_for(&files, &o.origin.file), span(&o.origin), "kept as written")
                .help("the rule is unsupported on Linux; bind the parameter or import the helper it needs"),
        );
    }
    for w in &profile.warnings {
        diags.push(
            Diag::warning(codes::SBPL_LOSSY_STRING, w.message.clone())
                .at(file_for(&files, &w.origin.file), span(&w.origin), "here")
                .help(w.help.clone()),
        );
    }
    if unknown {
        return Err(diags);
    }
    // Origins name files the way artifacts do (relative to the experiment), wherever xpr
    // was started from.
    profile
        .ir
        .rename_origin_files(|file| portable(&artifact_name(file, &display, artifact)));
    let imported = profile
        .files
        .iter()
        .filter(|f| f.name != display)
        .map(|f| {
            (
                portable(&artifact_name(&f.name, &display, artifact)),
                blake3::hash(f.text.as_bytes()).to_hex().to_string(),
            )
        })
        .collect();
    Ok((profile.ir, diags, imported))
}

/// An import found by absolute path (a search-path directory) is named `{abs}/<file name>`,
/// as the manifest names absolute CLI arguments: artifacts never carry host paths.
pub(crate) fn portable(name: &str) -> String {
    let path = Path::new(name);
    match (path.is_absolute(), path.file_name()) {
        (true, Some(file)) => format!("{{abs}}/{}", file.to_string_lossy()),
        _ => name.to_string(),
    }
}

/// The file an origin names (every origin names a file the parse read; the first file is a
/// fallback that keeps a diagnostic located rather than a panic).
fn file_for<'f>(files: &'f BTreeMap<String, Arc<SourceFile>>, name: &str) -> &'f Arc<SourceFile> {
    files
        .get(name)
        .or_else(|| files.values().next())
        .expect("a parsed profile has read at least its own file")
}

fn span(origin: &Origin) -> SourceSpan {
    SourceSpan::from(origin.span)
}

/// `dir/of/file.sb` → the artifact's directory; an import next to the file keeps its
/// relative place.
fn artifact_name(file: &str, display: &str, artifact: &str) -> String {
    if file == display {
        return artifact.to_string();
    }
    let dir = Path::new(display).parent().unwrap_or(Path::new(""));
    let artifact_dir = Path::new(artifact).parent().unwrap_or(Path::new(""));
    match Path::new(file).strip_prefix(dir) {
        Ok(rest) => artifact_dir.join(rest).display().to_string(),
        Err(_) => file.to_string(),
    }
}

/// One `SourceFile` per file the parse read, keyed by the name origins carry.
fn source_files(
    profile: &SbplProfile,
    path: &Path,
    display: &str,
    artifact: &str,
) -> BTreeMap<String, Arc<SourceFile>> {
    profile
        .files
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let file = source_file(i, &f.name, &f.text, path, display, artifact);
            (f.name.clone(), file)
        })
        .collect()
}

fn source_file(
    index: usize,
    name: &str,
    text: &str,
    path: &Path,
    display: &str,
    artifact: &str,
) -> Arc<SourceFile> {
    Arc::new(SourceFile {
        // After every KDL file, so diagnostics keep their order.
        id: usize::MAX / 2 + index,
        display: name.to_string(),
        artifact: artifact_name(name, display, artifact),
        path: Some(if name == display {
            path.to_path_buf()
        } else {
            Path::new(name).to_path_buf()
        }),
        stdlib: None,
        text: Arc::new(text.to_string()),
    })
}

/// The parser's errors as diagnostics (located, with or without an excerpt as each says).
pub fn error_diagnostics(errors: &SbplErrors, path: &Path, artifact: &str) -> Diagnostics {
    let display = path.display().to_string();
    let mut diags = Diagnostics::new();
    for e in &errors.errors {
        diags.push(error_diag(e, path, &display, artifact));
    }
    diags
}

fn error_diag(e: &SbplError, path: &Path, display: &str, artifact: &str) -> Diag {
    let file = source_file(
        0,
        &e.file,
        e.source_text().unwrap_or(""),
        path,
        display,
        artifact,
    );
    let diag = Diag::error(e.kind.code(), e.message.clone());
    let diag = if e.has_excerpt() {
        diag.at(&file, SourceSpan::from(e.span), e.label.clone())
    } else {
        diag.at_without_excerpt(&file, SourceSpan::from(e.span))
    };
    diag.help_opt(e.help.clone())
}
