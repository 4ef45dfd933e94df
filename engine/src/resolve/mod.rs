//! resolve: the decoded files of one experiment → [`model::Experiment`].
//!
//! Names are resolved across every loaded file, `extends` flattened, shims layered into runtime
//! profiles, `{param}`s substituted (`{scratch}` stays symbolic), expectations expanded over
//! profile globs and kept for one world, and destructive probes checked for host safety.
//! Every error of every file is collected before giving up.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use crate::decode::{self, syntax::FileSyntax};
use crate::diagnostics::{Diag, Diagnostics, codes};
use crate::model::{self, SourceFile as ModelSourceFile};
use crate::source::loader::{Closure, load_closure};

mod context;
mod declarations;
mod expectations;
mod header;
mod layers;
mod probe_scope;
mod probes;
mod profiles;
mod rules;
pub mod sbpl_hook;

pub(crate) use context::is_placeholder_name;
pub(crate) use header::parse_duration;

use crate::decode::vocabulary::Vocabulary;
use context::Cx;
use declarations::Declarations;

/// Options for [`load`].
#[derive(Clone, Debug)]
pub struct LoadOptions {
    /// `--param name=value` overrides, in order.
    pub params: Vec<(String, String)>,
    /// The world expectations are kept for (`linux` here).
    pub world: String,
    /// Where SBPL `(import …)`s may come from besides the importing file's directory.
    pub sbpl: SbplImports,
}

/// The user's settings for SBPL imports (`--sbpl-path`, `--sbpl-absolute-imports`).
#[derive(Clone, Debug, Default)]
pub struct SbplImports {
    /// Directories searched after the importing file's own directory.
    pub search_path: Vec<std::path::PathBuf>,
    /// Whether `(import "/abs/x.sb")` is read at all.
    pub absolute: bool,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            params: Vec::new(),
            world: "linux".to_string(),
            sbpl: SbplImports::default(),
        }
    }
}

/// A successfully resolved experiment and its warnings (e.g. obsolete operation names).
#[derive(Debug)]
pub struct Loaded {
    pub experiment: model::Experiment,
    pub warnings: Diagnostics,
    /// The root file has no `experiment` node: a library of declarations (only [`check`]
    /// accepts this; the experiment is named after the file and has no use for running).
    pub library: bool,
    /// The probe families in scope (prelude, imports and the file itself), in order, with
    /// where each is declared.
    pub families: Vec<(String, model::Origin)>,
}

/// Loads, decodes and resolves the experiment whose root file is `path`.
pub fn load(path: &Path, opts: &LoadOptions) -> Result<Loaded, Diagnostics> {
    resolve_path(path, opts, false)
}

/// Like [`load`], but a stdlib file (no `experiment` node) is accepted as a library:
/// everything in it is still checked. Any other file needs an `experiment` node, so a
/// forgotten header is caught; shared declarations are checked through an experiment.
pub fn check(path: &Path, opts: &LoadOptions) -> Result<Loaded, Diagnostics> {
    resolve_path(path, opts, is_stdlib_file(path))
}

/// Whether `path` is one of the stdlib files the binary embeds (same name, same text).
fn is_stdlib_file(path: &Path) -> bool {
    let Ok(bytes) = crate::sys::input::read_given(path, crate::source::loader::MAX_FILE_BYTES)
    else {
        return false;
    };
    let text = String::from_utf8_lossy(&bytes);
    crate::source::stdlib::FILES.iter().any(|(name, embedded)| {
        *embedded == text && path.with_extension("").ends_with(Path::new(name))
    })
}

/// Like [`load`] for an experiment given as text (`display` names it in diagnostics); its
/// relative imports resolve against the working directory. For fuzzing and tests.
pub fn load_str(display: &str, text: &str, opts: &LoadOptions) -> Result<Loaded, Diagnostics> {
    let mut diags = Diagnostics::new();
    let closure = crate::source::loader::load_closure_text(display, text, &mut diags);
    resolve_closure(&closure, opts, false, diags).map_err(|mut d| {
        d.sort();
        d
    })
}

/// Splits `name=value` (for `--param`).
pub(crate) fn parse_param(s: &str) -> Option<(String, String)> {
    let (n, v) = s.split_once('=')?;
    (!n.is_empty()).then(|| (n.to_string(), v.to_string()))
}

fn resolve_path(
    path: &Path,
    opts: &LoadOptions,
    allow_library: bool,
) -> Result<Loaded, Diagnostics> {
    let mut diags = Diagnostics::new();
    let closure = load_closure(path, &mut diags);
    let result = resolve_closure(&closure, opts, allow_library, diags);
    result.map_err(|mut d| {
        d.sort();
        d
    })
}

fn resolve_closure(
    closure: &Closure,
    opts: &LoadOptions,
    allow_library: bool,
    diags: Diagnostics,
) -> Result<Loaded, Diagnostics> {
    let files: Vec<Arc<crate::source::SourceFile>> =
        closure.files.iter().map(|p| p.file.clone()).collect();
    let lines = files.iter().map(|_| std::sync::OnceLock::new()).collect();
    let mut cx = Cx {
        files,
        diags,
        params: BTreeMap::new(),
        lines,
        expansion_left: context::EXPANSION_BUDGET,
        sbpl: opts.sbpl.clone(),
    };
    if closure.files.is_empty() {
        return Err(cx.diags);
    }
    let mut syntax: Vec<FileSyntax> = closure
        .files
        .iter()
        .filter_map(|p| {
            p.doc
                .as_ref()
                .map(|doc| decode::decode_file(&p.file, doc, &mut cx.diags))
        })
        .collect();

    // The experiment header lives in the root file only, once.
    let root_id = 0;
    let headers: Vec<(usize, Vec<decode::syntax::ExperimentDecl>)> = syntax
        .iter_mut()
        .map(|f| (f.file, std::mem::take(&mut f.experiment)))
        .collect();
    let mut experiment = None;
    for (file, decls) in &headers {
        for e in decls {
            if *file != root_id {
                let diag = cx
                    .error(codes::MISPLACED_EXPERIMENT, *file, e.keyword, "`experiment` belongs in the root file only", "in an imported file")
                    .help("imported files hold declarations; keep the header in the file given to xpr");
                cx.push(diag);
            } else if let Some(first) = &experiment {
                let first: &&decode::syntax::ExperimentDecl = first;
                let diag = cx
                    .error(
                        codes::DUPLICATE_NODE,
                        *file,
                        e.keyword,
                        "a second `experiment` node",
                        "given again here",
                    )
                    .label(first.keyword, "first given here");
                cx.push(diag);
            } else {
                experiment = Some(e);
            }
        }
    }
    for f in &syntax {
        if f.file != root_id || !allow_library {
            for (block, span) in &f.vocabularies {
                if cx.file(f.file).stdlib.is_none() {
                    let help = match *block {
                        "vocabulary" => {
                            "the operation vocabulary is std/vocabulary.kdl, embedded in xpr"
                        }
                        _ => "the sysctl name table is std/sysctl.kdl, embedded in xpr",
                    };
                    let diag = Diag::warning(
                        codes::VOCABULARY_IGNORED,
                        format!("this `{block}` block has no effect"),
                    )
                    .at(cx.file(f.file), *span, "ignored")
                    .help(help);
                    cx.push(diag);
                }
            }
        }
    }
    let root_parsed = closure.files[0].doc.is_some();
    let library = experiment.is_none();
    if library && root_parsed && !allow_library {
        let diag = Diag::error(codes::NO_EXPERIMENT, "the root file has no `experiment` node")
            .at(cx.file(root_id), miette::SourceSpan::from((0, 0)), "expected `experiment NAME { … }` in this file")
            .help("add `experiment \"name\" { lanes baseline scenario }`, or give xpr the file that imports this one");
        cx.push(diag);
    }

    header::params(&mut cx, root_id, experiment, &opts.params);
    let head = header::header(&mut cx, root_id, experiment);
    let vocab = Vocabulary::standard();
    let decls = Declarations::collect(&mut cx, &mut syntax);
    probes::check_families(&mut cx, vocab, &decls);
    let fixtures = probes::resolve_fixtures(&mut cx, &decls);
    let shims = profiles::resolve_shims(&mut cx, vocab, &decls);
    let mut sbpl_files = Vec::new();
    let mut profiles = profiles::resolve_profiles(&mut cx, vocab, &decls, &shims, &mut sbpl_files);
    let probes = probes::resolve_probes(&mut cx, vocab, &decls, &fixtures);
    let expects: Vec<_> = syntax
        .iter()
        .flat_map(|f| f.expects.iter().map(move |e| (f.file, e)))
        .collect();
    let profile_names: Vec<&str> = decls
        .profiles
        .items
        .iter()
        .map(|(_, p)| p.name.value.as_str())
        .collect();
    let probe_names: Vec<&str> = decls
        .probes
        .items
        .iter()
        .map(|(_, p)| p.name.value.as_str())
        .collect();
    let expectations = expectations::resolve_expectations(
        &mut cx,
        &expects,
        &profiles,
        &profile_names,
        &probes,
        &probe_names,
        &opts.world,
    );
    probe_scope::resolve_scopes(
        &mut cx,
        &decls,
        &expects,
        &mut profiles,
        &probes,
        &expectations,
    );

    if cx.diags.has_errors() {
        return Err(cx.diags);
    }
    let mut sources: Vec<ModelSourceFile> = cx
        .files
        .iter()
        .map(|f| ModelSourceFile {
            path: f.artifact.clone(),
            blake3: f.digest(),
        })
        .collect();
    for s in &sbpl_files {
        sources.push(ModelSourceFile {
            path: s.artifact.clone(),
            blake3: blake3::hash(s.text.as_bytes()).to_hex().to_string(),
        });
        sources.extend(s.imports.iter().map(|(path, blake3)| ModelSourceFile {
            path: path.clone(),
            blake3: blake3.clone(),
        }));
    }
    // Embedded data every experiment reads without importing it: the vocabulary (it changes
    // canonicalisation) and the sysctl name table (it changes what sysctl probes read).
    for name in crate::source::stdlib::IMPLICIT {
        let text = crate::source::stdlib::get(name).unwrap_or_default();
        sources.push(ModelSourceFile {
            path: format!("std/{name}.kdl"),
            blake3: blake3::hash(text.as_bytes()).to_hex().to_string(),
        });
    }
    sources.sort_by(|a, b| a.path.cmp(&b.path));
    sources.dedup_by(|a, b| a.path == b.path);
    let name = match experiment {
        Some(e) => e.name.value.clone(),
        None => Path::new(&cx.file(root_id).artifact)
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default(),
    };
    let description = experiment
        .and_then(|e| e.description.as_ref())
        .map(|d| cx.subst(root_id, d));
    let experiment = model::Experiment {
        name,
        description,
        lanes: head.lanes,
        isolation: head.isolation,
        timeout: head.timeout,
        params: cx.params.clone(),
        fixtures,
        profiles,
        shims,
        probes,
        expectations,
        sources,
    };
    let families = decls
        .families
        .items
        .iter()
        .map(|(f, d)| (d.name.value.clone(), cx.origin(*f, d.name.span)))
        .collect();
    let mut warnings = cx.diags.into_warnings();
    warnings.sort();
    Ok(Loaded {
        experiment,
        warnings,
        library,
        families,
    })
}
