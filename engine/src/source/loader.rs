//! Loading an experiment's closure: the root file, its imports (relative to the importer, or
//! `std/<name>` from the embedded stdlib), and the prelude; each file parsed once as KDL.

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use kdl::KdlDocument;
use miette::SourceSpan;

use super::kdl_fast;
use super::nesting::{self, MAX_NESTING};
use super::{FileId, SourceFile, stdlib};
use crate::diagnostics::{Diag, Diagnostics, codes, kdl_syntax, suggest};
use crate::sys::input::{self, Climb, InputDir, InputError};

/// A file and its KDL document (`None` when it did not parse; its errors are reported).
pub(crate) struct Parsed {
    pub file: Arc<SourceFile>,
    pub doc: Option<KdlDocument>,
}

/// Every file of one experiment, root first, in load order (`files[i].file.id == i`).
pub(crate) struct Closure {
    pub files: Vec<Parsed>,
}

impl Closure {}

/// Where a file comes from: disk (key = canonical path) or the stdlib (key = `std/<name>`).
enum Location {
    Disk {
        path: PathBuf,
        display: String,
        artifact: String,
    },
    Std {
        name: String,
    },
    /// A root given as text (fuzzing, tests); its relative imports resolve against the cwd.
    Memory {
        display: String,
        text: String,
    },
}

impl Location {
    fn key(&self) -> String {
        match self {
            Location::Disk { path, .. } => std::fs::canonicalize(path)
                .unwrap_or_else(|_| path.clone())
                .display()
                .to_string(),
            Location::Std { name } => format!("std/{name}"),
            Location::Memory { display, .. } => format!("memory:{display}"),
        }
    }
    fn display(&self) -> String {
        match self {
            Location::Disk { display, .. } => display.clone(),
            Location::Std { name } => format!("std/{name}.kdl"),
            Location::Memory { display, .. } => display.clone(),
        }
    }
}

struct Loader<'d> {
    files: Vec<Parsed>,
    by_key: HashMap<String, FileId>,
    /// Keys of the files being loaded, outermost first, with the display name of each.
    stack: Vec<(String, String)>,
    /// The root file's directory: every import is read beneath it.
    root_dir: Option<InputDir>,
    diags: &'d mut Diagnostics,
}

/// Files larger than this are refused: experiments are small, and a typo like
/// `import "/dev/zero"` must not hang the checker.
pub(crate) const MAX_FILE_BYTES: u64 = 16 << 20;

/// Reads a regular file of bounded size as UTF-8: the root as the user gave it, an import
/// beneath the root's directory without following any symlink (`rel` is its path relative to
/// that directory, `..` allowed).
fn read_source(path: &Path, beneath: Option<(&InputDir, &Path)>) -> Result<String, InputError> {
    let bytes = match beneath {
        None => input::read_given(path, MAX_FILE_BYTES)?,
        Some((dir, rel)) => dir.read(rel, Climb::Allowed, MAX_FILE_BYTES)?,
    };
    String::from_utf8(bytes).map_err(|_| {
        InputError::Io(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "not UTF-8 text",
        ))
    })
}

/// Like [`load_closure`] for a root given as text, named `display` in diagnostics.
pub(crate) fn load_closure_text(display: &str, text: &str, diags: &mut Diagnostics) -> Closure {
    let location = Location::Memory {
        display: display.to_string(),
        text: text.to_string(),
    };
    load_root(location, diags)
}

pub(crate) fn load_closure(root: &Path, diags: &mut Diagnostics) -> Closure {
    let artifact = root
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let location = Location::Disk {
        path: root.to_path_buf(),
        display: root.display().to_string(),
        artifact,
    };
    load_root(location, diags)
}

fn load_root(location: Location, diags: &mut Diagnostics) -> Closure {
    let mut loader = Loader {
        files: Vec::new(),
        by_key: HashMap::new(),
        stack: Vec::new(),
        root_dir: None,
        diags,
    };
    loader.root_dir = match &location {
        Location::Disk { path, .. } => InputDir::open(path.parent().unwrap_or(Path::new(""))).ok(),
        // A root given as text imports relative to the working directory.
        _ => InputDir::open(Path::new(".")).ok(),
    };
    loader.load(location, None);
    if !loader.files.is_empty() {
        for name in stdlib::PRELUDE {
            // `xpr check stdlib/families.kdl` must not see every family twice.
            let text = stdlib::get(name).unwrap_or_default();
            if loader.files.iter().any(|p| p.file.text.as_str() == text) {
                continue;
            }
            loader.load(
                Location::Std {
                    name: (*name).to_string(),
                },
                None,
            );
        }
    }
    Closure {
        files: loader.files,
    }
}

impl Loader<'_> {
    /// The root as the user gave it; an import beneath the root's directory.
    fn read_disk(
        &self,
        path: &Path,
        artifact: &str,
        from: Option<(&Arc<SourceFile>, SourceSpan)>,
    ) -> Result<String, InputError> {
        match (from, &self.root_dir) {
            (None, _) => read_source(path, None),
            (Some(_), Some(dir)) => read_source(path, Some((dir, Path::new(artifact)))),
            (Some(_), None) => Err(InputError::NotFound),
        }
    }

    /// `from`: the importing file and the span of the import's argument, for error labels.
    fn load(&mut self, location: Location, from: Option<(&Arc<SourceFile>, SourceSpan)>) {
        let key = location.key();
        if let Some(pos) = self.stack.iter().position(|(k, _)| *k == key) {
            let mut chain: Vec<&str> = self.stack[pos..].iter().map(|(_, d)| d.as_str()).collect();
            chain.push(&self.stack[pos].1);
            let diag = Diag::error(
                codes::IMPORT_CYCLE,
                format!("import cycle: {}", chain.join(" → ")),
            );
            let diag = match from {
                Some((file, span)) => diag.at(file, span, "this import closes the cycle"),
                None => diag,
            };
            self.diags.push(
                diag.help(
                    "remove one of the imports; declarations are shared by every file anyway",
                ),
            );
            return;
        }
        if self.by_key.contains_key(&key) {
            return;
        }
        let text = match &location {
            Location::Memory { text, .. } => text.clone(),
            Location::Disk { path, artifact, .. } => match self.read_disk(path, artifact, from) {
                Ok(t) => t,
                Err(e) => {
                    let message = format!("cannot read {}: {e}", location.display());
                    let diag = match from {
                        Some((file, span)) => Diag::error(codes::IMPORT_NOT_FOUND, message)
                            .at(file, span, "imported here")
                            .help("imports are relative to the importing file; use `std/<name>` for the stdlib"),
                        None => Diag::error(codes::IO, message),
                    };
                    self.diags.push(diag);
                    return;
                }
            },
            Location::Std { name } => match stdlib::get(name) {
                Some(t) => t.to_string(),
                None => {
                    let message = format!("no stdlib file `std/{name}`");
                    let help = suggest::did_you_mean(name, stdlib::names())
                        .map(|c| format!("did you mean `std/{c}`?"));
                    let diag = Diag::error(codes::IMPORT_NOT_FOUND, message);
                    let diag = match from {
                        Some((file, span)) => diag.at(file, span, "imported here"),
                        None => diag,
                    };
                    let listing = stdlib::names()
                        .map(|n| format!("std/{n}"))
                        .collect::<Vec<_>>()
                        .join(", ");
                    let help = help.unwrap_or_else(|| format!("the stdlib has {listing}"));
                    self.diags.push(diag.help(help));
                    return;
                }
            },
        };
        let id = self.files.len();
        let (display, artifact, path, std_name) = match &location {
            Location::Disk {
                path,
                display,
                artifact,
            } => (display.clone(), artifact.clone(), Some(path.clone()), None),
            Location::Std { name } => (
                location.display(),
                location.display(),
                None,
                Some(name.clone()),
            ),
            Location::Memory { display, .. } => (display.clone(), display.clone(), None, None),
        };
        let file = Arc::new(SourceFile {
            id,
            display,
            artifact,
            path,
            stdlib: std_name,
            text: Arc::new(text),
        });
        let doc = match parse(&file) {
            Ok(doc) => Some(doc),
            Err(diags) if from.is_some() && !matches!(location, Location::Std { .. }) => {
                // A file an input named that is not KDL: say where, show none of its text.
                self.diags.push(not_kdl(&file, &diags, from));
                None
            }
            Err(diags) => {
                for diag in diags {
                    self.diags.push(diag);
                }
                None
            }
        };
        let imports = doc.as_ref().map(import_targets).unwrap_or_default();
        self.by_key.insert(key.clone(), id);
        self.files.push(Parsed {
            file: file.clone(),
            doc,
        });
        self.stack.push((key, file.display.clone()));
        for (target, span) in imports {
            if Path::new(&target).is_absolute() {
                let diag = Diag::error(codes::IMPORT_ABSOLUTE, format!("import of an absolute path `{target}`"))
                    .at(&file, span, "absolute path")
                    .help("write the path relative to this file; run artifacts never contain absolute host paths");
                self.diags.push(diag);
                continue;
            }
            let location = resolve_import(&file, &target);
            self.load(location, Some((&file, span)));
        }
        self.stack.pop();
    }
}

/// Parses one file as KDL, after checking that it nests no deeper than the parser can take.
/// Every KDL file xpr reads (experiments, imports, world catalogues) is parsed through here.
pub(crate) fn parse(file: &Arc<SourceFile>) -> Result<KdlDocument, Vec<Diag>> {
    if let Err(deep) = nesting::check(&file.text) {
        let diag = Diag::error(
            codes::LIMIT_NESTING,
            format!("{} nest deeper than {MAX_NESTING} levels", deep.what),
        )
        .at(file, SourceSpan::from((deep.offset, 1)), "too deep")
        .help("flatten the file; experiments nest a few levels");
        return Err(vec![diag]);
    }
    let declined = match kdl_fast::parse(&file.text) {
        Ok(doc) => return Ok(doc),
        Err(declined) => declined,
    };
    // Only the text after the last complete top-level node needs `kdl`'s report, and that
    // only while its cost stays bounded (see `REPORT_BUDGET`).
    let rest = &file.text[declined.settled..];
    let cost = rest
        .len()
        .saturating_mul(1 << nesting::slashdash_depth(rest).min(40));
    if cost > REPORT_BUDGET {
        let diag = Diag::error(codes::KDL_SYNTAX, "invalid KDL in or after this node")
            .at(
                file,
                SourceSpan::from((declined.settled, 0)),
                "the text is valid up to here",
            )
            .help(
                "the detailed syntax report is skipped for this much text after the error \
                 (or this many nested `/-` blocks); split the file or fix the node here",
            );
        return Err(vec![diag]);
    }
    let shifted = match reference_parse(rest) {
        Err(mut err) => {
            for d in &mut err.diagnostics {
                d.span = SourceSpan::from((d.span.offset() + declined.settled, d.span.len()));
            }
            err
        }
        // Not expected (the fast parser declines only what `kdl` rejects): the whole text.
        Ok(_) => match reference_parse(&file.text) {
            Err(err) => err,
            Ok(doc) => return Ok(doc),
        },
    };
    Err(kdl_syntax::remap(file, &shifted))
}

/// How much text `kdl` may be asked to report on, weighted by 2 per level of nested `/-`
/// blocks (`kdl` reads those again at every level): it reads about 1 MiB a second, so a
/// syntax report takes at most a couple of seconds however hostile the file.
const REPORT_BUDGET: usize = 2 << 20;

/// Stack for the parser: it takes about 40 KiB per nesting level in a debug build, so the 64
/// levels the scan lets through need more than a test thread's 2 MiB. Reserved, not touched.
const PARSE_STACK: usize = 64 << 20;

/// `KdlDocument::parse` on a thread with [`PARSE_STACK`], wherever it is called from: the
/// reference parser, for the syntax errors of text the fast parser declined.
fn reference_parse(text: &str) -> Result<KdlDocument, kdl::KdlError> {
    std::thread::scope(|scope| {
        std::thread::Builder::new()
            .name("kdl-parse".into())
            .stack_size(PARSE_STACK)
            .spawn_scoped(scope, || KdlDocument::parse(text))
            .map(|h| h.join())
    })
    .unwrap_or_else(|_| Ok(KdlDocument::parse(text)))
    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

/// One diagnostic, without any excerpt, for an imported file that is not KDL: its location and
/// the parser's message are enough to find a typo, and nothing of a file that is not an
/// experiment (a key, a password file) reaches the output.
fn not_kdl(
    file: &Arc<SourceFile>,
    diags: &[Diag],
    from: Option<(&Arc<SourceFile>, SourceSpan)>,
) -> Diag {
    let first = diags.first();
    let (line, column) = first
        .and_then(Diag::offset)
        .map_or((1, 1), |o| file.line_col(o));
    let why = first.map_or("invalid KDL", |d| d.message.as_str());
    let diag = Diag::error(
        codes::IMPORT_NOT_XPR,
        format!(
            "{}:{line}:{column}: the imported file is not a KDL document ({why})",
            file.display
        ),
    )
    .help("imports name xpr files (KDL 2.0); nothing of a file that is not one is shown");
    match from {
        Some((importer, span)) => diag.at(importer, span, "imported here"),
        None => diag,
    }
}

/// The string argument of every top-level `import` node (malformed ones are the decoder's to report).
fn import_targets(doc: &KdlDocument) -> Vec<(String, SourceSpan)> {
    doc.nodes()
        .iter()
        .filter(|n| n.name().value() == "import")
        .filter_map(|n| {
            let entry = n.entries().iter().find(|e| e.name().is_none())?;
            Some((entry.value().as_string()?.to_string(), entry.span()))
        })
        .collect()
}

fn resolve_import(importer: &SourceFile, target: &str) -> Location {
    if let Some(name) = target.strip_prefix("std/") {
        return Location::Std {
            name: name.strip_suffix(".kdl").unwrap_or(name).to_string(),
        };
    }
    if let Some(importer_std) = &importer.stdlib {
        // A relative import inside the stdlib stays inside the stdlib.
        let joined = normalize(&Path::new(importer_std).with_file_name("").join(target));
        let name = joined.display().to_string();
        return Location::Std {
            name: name.strip_suffix(".kdl").unwrap_or(&name).to_string(),
        };
    }
    let join = |base: &str| {
        normalize(&Path::new(base).with_file_name("").join(target))
            .display()
            .to_string()
    };
    let disk = importer.path.as_deref().unwrap_or(Path::new("."));
    Location::Disk {
        path: disk.with_file_name("").join(target),
        display: join(&importer.display),
        artifact: join(&importer.artifact),
    }
}

/// Lexically removes `.` and `a/..` so names in diagnostics and artifacts stay short and stable.
pub(crate) fn normalize(path: &Path) -> PathBuf {
    let mut out: Vec<Component> = Vec::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir if matches!(out.last(), Some(Component::Normal(_))) => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out.iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(text: String) -> Arc<SourceFile> {
        Arc::new(SourceFile {
            id: 0,
            display: "t.kdl".into(),
            artifact: "t.kdl".into(),
            path: None,
            stdlib: None,
            text: Arc::new(text),
        })
    }

    /// What a diagnostic says and where: its code, message, first offset and help.
    fn said(diags: &[Diag]) -> Vec<(&'static str, String, Option<usize>, Option<String>)> {
        diags
            .iter()
            .map(|d| (d.code, d.message.clone(), d.offset(), d.help.clone()))
            .collect()
    }

    /// `kdl` reads only the text after the last complete top-level node, and reports the same
    /// errors at the same places as when it reads the whole file.
    #[test]
    fn a_syntax_report_from_the_settled_rest_equals_the_whole_files() {
        let prefix = "experiment \"x\" {\n    lanes baseline scenario\n}\nprobe p family=file-read target=\"/a\" { x 1; }\n";
        for broken in [
            "a =",
            "a {",
            "node 1 2 3 }",
            "a \"unterminated",
            "b; c (x) =1\n d",
            "/-a; b",
            "x 0x",
            "k { \n a\n b }}",
            "y #maybe",
            "{ a }",
        ] {
            let file = source(format!("{prefix}{broken}\n"));
            let fast = parse(&file).expect_err("invalid");
            let whole = kdl_syntax::remap(&file, &KdlDocument::parse(&file.text).unwrap_err());
            assert_eq!(said(&fast), said(&whole), "{broken}");
        }
    }

    /// Nested slashdashed blocks make `kdl`'s report exponential: past the budget the error is
    /// located at the node where valid text ends, and no report is attempted (30 levels would
    /// take `kdl` days).
    #[test]
    fn a_syntax_report_that_would_cost_too_much_is_one_located_error() {
        let hostile = format!("ok 1\n{}{} =", "x; /-y {".repeat(30), "}".repeat(30));
        let file = source(hostile);
        let diags = parse(&file).expect_err("invalid");
        assert_eq!(diags.len(), 1);
        assert_eq!(diags[0].code, codes::KDL_SYNTAX);
        // Valid up to the last complete top-level node, `x;`.
        assert_eq!(diags[0].offset(), Some("ok 1\nx;".len()));
        // A large file with its error at the end is reported by `kdl`, from the error's node.
        let mut big = String::new();
        for i in 0..100_000 {
            big.push_str(&format!("zork{i} \"value\"\n"));
        }
        let at = big.len();
        big.push_str("last =\n");
        let diags = parse(&source(big)).expect_err("invalid");
        assert!(
            diags.iter().all(|d| d.offset() >= Some(at)),
            "{:?}",
            said(&diags)
        );
        assert_ne!(diags[0].message, "invalid KDL in or after this node");
    }
}
