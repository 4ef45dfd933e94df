//! SBPL in and out: Seatbelt profile language (`.sb`) → the profile IR, and the IR → SBPL.
//!
//! Pipeline: `lexer` (tokens with byte spans) → `reader` (S-expressions) → `eval` (runs the
//! forms, expands `define`d helpers, resolves imports, collects rules) → [`SbplProfile`].
//! [`emit`] writes normalised SBPL; parse → emit → parse is a fixed point.
//!
//! Nothing is dropped: a form the parser cannot model (an `if` on a parameter that was not
//! given, an undefined helper, a message filter, an import not found) is kept as an opaque rule
//! or [`Filter::Opaque`](crate::model::Filter::Opaque) with its text and origin, and listed in
//! [`SbplProfile::opaque`] with the reason, so backends can mark it unsupported.
//!
//! Decisions:
//! - Operation names stay as written (wildcards included); [`SbplProfile::map_operations`] is
//!   the hook for the vocabulary. `path` is read as `literal` (its older spelling).
//! - Several values of one filter (`(sysctl-name "a" "b")`) are alternatives: directly on a
//!   rule they become several filters, inside `require-all` one `require-any`. Named filters
//!   (`iokit-property`, `syscall-number`, …) keep all their arguments in one `Filter::Named`.
//! - `(with-filter W rule…)` adds `W` to each rule with `require-all`.
//! - A parameter not given stays `{NAME}` inside strings (the experiment language's
//!   placeholder; inside regexes it stands for the regex-quoted value). Conditions on it are
//!   unknown, unless [`SbplOptions::params_complete`] says it is unset (`#f`).
//! - `(defined? 'x)` is answered from [`SbplOptions::defined_symbols`] (the target world's
//!   libsandbox names) or left unknown.
//! - Strings follow TinyScheme: an unknown escape (`"\."`) drops the backslash, with a warning.
//! - `(debug …)` and default modifiers are kept on [`SbplProfile`], not in the IR.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use serde::Serialize;

use crate::model::{Action, Modifiers, Origin, ProfileIr};

mod census;
mod check_report;
mod emit;
mod env;
mod error;
mod eval;
mod filters;
mod lexer;
mod printer;
mod sexpr;
mod source;
mod value;
pub(crate) use value::{Segment, segments};

pub use census::{FidelityCounts, RuleCensus, census, count_fidelity};
pub(crate) use check_report::render_fidelity;
pub use emit::{emit, emit_profile, filter_text, rule_text};
pub use error::{ErrorKind, SbplError, SbplErrors};
pub(crate) use source::SbplSource;

/// How to parse: parameter values, where imports are found, and what the target world defines.
#[derive(Clone, Debug, Default)]
pub struct SbplOptions {
    /// Values for `(param "NAME")`. A parameter not given stays symbolic as `{NAME}` in strings
    /// (and any condition on it makes its form opaque).
    pub params: BTreeMap<String, String>,
    /// `params` is every parameter the sandbox will receive: one not given is `#f`, as in
    /// libsandbox, instead of staying symbolic. Set it when compiling for a known run.
    pub params_complete: bool,
    /// Directories searched for `(import "x.sb")` after the importing file's own directory
    /// (`--sbpl-path`).
    pub search_path: Vec<PathBuf>,
    /// `(import "/abs/x.sb")` is read only when this is set (`--sbpl-absolute-imports`).
    pub absolute_imports: bool,
    /// The file was named by another untrusted input (an experiment's `sbpl=`) rather than
    /// given on the command line: like an import, it must read as SBPL before any of its
    /// text is shown in a diagnostic.
    pub named_by_input: bool,
    /// Where the file is, when it was found beneath a directory (an experiment's `sbpl=`):
    /// its imports resolve beneath that same directory. `None`: the `file` argument of
    /// [`parse`] is the path.
    pub location: Option<SbplLocation>,
    /// Import name → text, searched last (the embedded standard library).
    pub embedded: BTreeMap<String, String>,
    /// The symbols the target world's libsandbox defines (operations and filters), answering
    /// `(defined? 'name)`. `None`: such conditions are opaque.
    pub defined_symbols: Option<BTreeSet<String>>,
}

/// A file's place: a directory (followed as given) and the file's path inside it.
#[derive(Clone, Debug)]
pub struct SbplLocation {
    pub dir: PathBuf,
    pub file: PathBuf,
}

/// A parsed `.sb` file.
#[derive(Clone, Debug)]
pub struct SbplProfile {
    /// The rules in order. `ir.default` is the file's `(allow|deny default)`; a file without
    /// one (a fragment) gets **deny**, Seatbelt's own behaviour.
    pub ir: ProfileIr,
    /// Where `(… default)` was written, `None` if the file has none.
    pub default_origin: Option<Origin>,
    /// Modifiers on the default rule (`(deny default (with no-callout))`).
    pub default_modifiers: Modifiers,
    /// `(version N)`, if written.
    pub version: Option<u32>,
    /// `(debug deny)` → `Some("deny")`.
    pub debug: Option<String>,
    /// Every `(param "NAME")` the evaluation used, given or not.
    pub params: BTreeSet<String>,
    /// The used parameters that were not given: they stay `{NAME}` in strings.
    pub params_unbound: BTreeSet<String>,
    pub imports: Vec<SbplImport>,
    /// What could not be modelled, in source order of evaluation.
    pub opaque: Vec<OpaqueItem>,
    /// The file and every import read, for digesting the closure.
    pub files: Vec<SbplSource>,
    /// Legal SBPL that probably does not mean what was intended.
    pub warnings: Vec<SbplWarning>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SbplWarning {
    pub origin: Origin,
    pub message: String,
    pub help: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SbplImport {
    /// As written in `(import "…")`.
    pub name: String,
    /// The file it resolved to; `None` = not found (the import is then an opaque rule).
    pub resolved: Option<String>,
    pub origin: Origin,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OpaqueKind {
    /// A whole form kept as an opaque rule.
    Rule,
    /// One filter of a rule kept as `Filter::Opaque`.
    Filter,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OpaqueItem {
    pub kind: OpaqueKind,
    /// The form's canonical text (what emitting writes back).
    pub text: String,
    pub origin: Origin,
    /// Why it is not modelled, for people.
    pub reason: String,
}

impl SbplProfile {
    /// Hook for operation canonicalisation: the parser keeps operation names as written;
    /// the vocabulary (aliases, obsolete names) is applied here by the caller.
    pub(crate) fn map_operations(&mut self, mut f: impl FnMut(&str, &Origin) -> String) {
        for rule in &mut self.ir.rules {
            let origin = rule.origin.clone();
            for op in &mut rule.operations {
                *op = f(op, &origin);
            }
        }
    }
}

/// Parses SBPL `text`; `file` names it in origins and diagnostics (and, if it is a path, imports
/// are looked up next to it first). All errors are returned at once.
pub fn parse(text: &str, file: &str, opts: &SbplOptions) -> Result<SbplProfile, SbplErrors> {
    // Helpers recurse (a named `let` loops by recursion); a thread with a large stack lets
    // them run to `eval`'s depth limit wherever `parse` is called from. It ends before return.
    std::thread::scope(|scope| {
        std::thread::Builder::new()
            .name("sbpl-parse".into())
            .stack_size(PARSE_STACK)
            .spawn_scoped(scope, || parse_here(text, file, opts))
            .map(|h| h.join())
    })
    .unwrap_or_else(|_| Ok(parse_here(text, file, opts)))
    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

/// Stack for the parse thread: room for `eval::MAX_DEPTH` nested helper calls.
const PARSE_STACK: usize = 256 * 1024 * 1024;

fn parse_here(text: &str, file: &str, opts: &SbplOptions) -> Result<SbplProfile, SbplErrors> {
    let mut ev = eval::Evaluator::new(opts);
    let env = env::Env::root();
    ev.run_root(file, text, &env);
    if !ev.errors.is_empty() {
        return Err(SbplErrors {
            file: file.to_string(),
            errors: ev.errors,
        });
    }
    let (default, default_modifiers, default_origin) = match ev.default {
        Some((a, m, o)) => (a, m, Some(o)),
        None => (Action::Deny, Modifiers::default(), None),
    };
    Ok(SbplProfile {
        ir: ProfileIr::new(default, ev.rules)
            .with_default_origin(default_origin.clone().unwrap_or_default()),
        default_origin,
        default_modifiers,
        version: ev.version,
        debug: ev.debug,
        params: ev.params,
        params_unbound: ev.params_unbound,
        imports: ev.imports,
        opaque: ev.opaque,
        files: ev.files,
        warnings: ev.warnings,
    })
}
