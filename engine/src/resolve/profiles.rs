//! Profiles: `extends` flattened (cycles reported with the whole cycle), SBPL sources checked,
//! shims layered into the runtime profile with `Origin.shim` set; stacks built by `layers`.

use std::path::{Path, PathBuf};

use crate::decode::syntax::Text;
use crate::diagnostics::codes;
use crate::model::{Action, Origin, Profile, ProfileIr, Rule, Shim};
use crate::source::FileId;

use super::context::Cx;
use super::declarations::Declarations;
use super::layers;
use super::rules::resolve_rules;
use super::sbpl_hook::SbplPlace;
use crate::decode::vocabulary::Vocabulary;
use crate::source::loader::MAX_FILE_BYTES;
use crate::sys::input::{Climb, InputDir, InputError, read_given};

pub(crate) fn resolve_shims(cx: &mut Cx, vocab: &Vocabulary, decls: &Declarations) -> Vec<Shim> {
    let mut out = Vec::new();
    for (file, shim) in &decls.shims.items {
        let name = shim.name.value.clone();
        let rules = resolve_rules(cx, vocab, *file, &shim.rules, Some(&name));
        let description = shim.description.as_ref().map(|d| cx.subst(*file, d));
        out.push(Shim {
            name,
            description,
            origin: cx.origin(*file, shim.name.span),
            // A shim only adds rules; its default never applies.
            rules: ProfileIr::new(Action::Allow, rules),
        });
    }
    out
}

/// The flattened source of one profile, before shims.
#[derive(Clone)]
struct Flat {
    default: Action,
    default_origin: Origin,
    rules: Vec<Rule>,
    shims: Vec<String>,
    sbpl: Option<String>,
}

enum State {
    Todo,
    Visiting,
    Done(Option<Flat>),
}

pub(crate) struct SbplFile {
    /// Relative to the experiment's directory, as artifacts show it.
    pub artifact: String,
    /// As diagnostics show it (joined onto the declaring file's path).
    pub path: PathBuf,
    /// The text, read once: the IR and the closure digest come from the same bytes.
    pub text: String,
    /// Every file the profile `(import …)`ed: (artifact name, blake3), for the closure.
    pub imports: super::sbpl_hook::Imported,
}

pub(crate) fn resolve_profiles(
    cx: &mut Cx,
    vocab: &Vocabulary,
    decls: &Declarations,
    shims: &[Shim],
    sbpl_files: &mut Vec<SbplFile>,
) -> Vec<Profile> {
    let n = decls.profiles.items.len();
    let mut states: Vec<State> = (0..n).map(|_| State::Todo).collect();
    let mut stack = Vec::new();
    for i in 0..n {
        flatten(cx, vocab, decls, i, &mut states, &mut stack, sbpl_files);
    }
    let mut plain = Vec::new();
    for (i, state) in states.into_iter().enumerate() {
        let (file, decl) = &decls.profiles.items[i];
        let State::Done(Some(flat)) = state else {
            plain.push(None);
            continue;
        };
        if !decl.layers.is_empty() {
            plain.push(None);
            continue;
        }
        let mut runtime = flat.rules.clone();
        for shim_name in &flat.shims {
            if let Some(shim) = shims.iter().find(|s| s.name == *shim_name) {
                runtime.extend(shim.rules.rules.iter().cloned());
            }
        }
        plain.push(Some(Profile {
            id: decl.name.value.clone(),
            origin: cx.origin(*file, decl.name.span),
            source: ProfileIr::new(flat.default, flat.rules)
                .with_default_origin(flat.default_origin.clone()),
            shims: flat.shims,
            runtime: ProfileIr::new(flat.default, runtime).with_default_origin(flat.default_origin),
            sbpl_source: flat.sbpl,
            extends: decl.extends.as_ref().map(|e| e.value.clone()),
            layers: Vec::new(),
            probes: None, // set by `scope` once probes and expectations are known
        }));
    }
    // Declaration order, stacks in place.
    let stacked = layers::stack_profiles(cx, decls, &plain);
    plain
        .into_iter()
        .zip(stacked)
        .filter_map(|(p, s)| p.or(s))
        .collect()
}

fn flatten(
    cx: &mut Cx,
    vocab: &Vocabulary,
    decls: &Declarations,
    i: usize,
    states: &mut Vec<State>,
    stack: &mut Vec<usize>,
    sbpl_files: &mut Vec<SbplFile>,
) -> Option<Flat> {
    match &states[i] {
        State::Done(flat) => return flat.clone(),
        State::Visiting => {
            // A cycle: report it once, at the `extends` that closes it, naming every member.
            let pos = stack.iter().position(|&j| j == i).unwrap_or(0);
            let mut names: Vec<&str> = stack[pos..]
                .iter()
                .map(|&j| decls.profiles.items[j].1.name.value.as_str())
                .collect();
            names.push(&decls.profiles.items[i].1.name.value);
            let closing = *stack.last().unwrap_or(&i);
            let (file, decl) = &decls.profiles.items[closing];
            if let Some(ext) = &decl.extends {
                let mut diag = cx
                    .error(
                        codes::EXTENDS_CYCLE,
                        *file,
                        ext.span,
                        format!(
                            "profiles extend each other in a cycle: {}",
                            names.join(" → ")
                        ),
                        "closes the cycle",
                    )
                    .help("a profile may extend another only if that one does not extend it back");
                for &j in &stack[pos..stack.len() - 1] {
                    let (f, d) = &decls.profiles.items[j];
                    if let Some(e) = &d.extends {
                        diag = diag.note_at(
                            cx.file(*f),
                            e.span,
                            format!("`{}` extends `{}`", d.name.value, e.value),
                        );
                    }
                }
                cx.push(diag);
            }
            for &j in &stack[pos..] {
                states[j] = State::Done(None);
            }
            return None;
        }
        State::Todo => {}
    }
    let (file, decl) = &decls.profiles.items[i];
    let file = *file;
    if !decl.layers.is_empty() {
        // A stack has no rules of its own; `layers` builds it from the flattened layers.
        layers::check_stack_decl(cx, file, decl);
        let flat = Flat {
            default: Action::Deny,
            default_origin: Origin::default(),
            rules: Vec::new(),
            shims: Vec::new(),
            sbpl: None,
        };
        states[i] = State::Done(Some(flat.clone()));
        return Some(flat);
    }
    states[i] = State::Visiting;
    stack.push(i);
    let base = match &decl.extends {
        None => None,
        Some(ext)
            if decls
                .profiles
                .get(&ext.value)
                .is_some_and(|j| !decls.profiles.items[j].1.layers.is_empty()) =>
        {
            layers::extends_stack(cx, file, ext);
            None
        }
        Some(ext) => match decls.profiles.get(&ext.value) {
            Some(j) => {
                let flat = flatten(cx, vocab, decls, j, states, stack, sbpl_files);
                if flat.is_none() && matches!(states[i], State::Done(None)) {
                    stack.pop();
                    return None;
                }
                flat
            }
            None => {
                let names: Vec<&str> = decls.profiles.names().collect();
                cx.unknown_ref(
                    codes::UNKNOWN_PROFILE,
                    "profile",
                    file,
                    ext,
                    names.into_iter(),
                );
                None
            }
        },
    };
    stack.pop();
    let mut flat = base.unwrap_or(Flat {
        default: Action::Deny,
        default_origin: Origin::default(),
        rules: Vec::new(),
        shims: Vec::new(),
        sbpl: None,
    });
    let mut sbpl_ok = true;
    if let Some(sbpl) = &decl.sbpl {
        if !decl.rules.is_empty() || decl.default.is_some() {
            let diag = cx
                .error(
                    codes::SBPL_WITH_RULES,
                    file,
                    sbpl.span,
                    "a profile with `sbpl=` takes its rules from the SBPL file",
                    "rules come from here",
                )
                .help("move the inline rules into a profile that `extends` this one");
            cx.push(diag);
        }
        match sbpl_source(cx, file, sbpl) {
            Some(mut found) => {
                flat.sbpl = Some(found.artifact.clone());
                let place = SbplPlace {
                    path: &found.path,
                    artifact: &found.artifact,
                    root_dir: cx.root_dir(),
                };
                match super::sbpl_hook::sbpl_hook(&place, &found.text, &cx.params, &cx.sbpl) {
                    Ok((ir, warnings, imports)) => {
                        cx.diags.extend(warnings);
                        found.imports = imports;
                        flat.default = ir.default;
                        flat.default_origin = ir.default_origin.clone();
                        flat.rules = ir.rules;
                    }
                    Err(diags) => {
                        cx.diags.extend(diags);
                        sbpl_ok = false;
                    }
                }
                sbpl_files.push(found);
            }
            None => sbpl_ok = false,
        }
    } else if decl.extends.is_none() && decl.default.is_none() {
        let diag = cx
            .error(
                codes::MISSING_DEFAULT,
                file,
                decl.name.span,
                format!("profile `{}` has no `default`", decl.name.value),
                "no default action",
            )
            .help("add `default deny` (or `default allow`) as the first line of the profile");
        cx.push(diag);
    }
    if let Some(d) = &decl.default {
        flat.default = d.value;
        flat.default_origin = cx.origin(file, d.span);
    }
    flat.rules
        .extend(resolve_rules(cx, vocab, file, &decl.rules, None));
    for shim in &decl.shims {
        if decls.shims.get(&shim.value).is_none() {
            unknown_shim(cx, decls, file, shim);
        } else if !flat.shims.contains(&shim.value) {
            flat.shims.push(shim.value.clone());
        }
    }
    let flat = sbpl_ok.then_some(flat);
    states[i] = State::Done(flat.clone());
    flat
}

/// Where an `sbpl=` file is read from.
enum SbplAt {
    /// Beneath the experiment's directory, by this relative path: read without following
    /// symlinks.
    Beneath(PathBuf),
    /// Elsewhere, by absolute path: only with `--sbpl-absolute-imports`.
    Absolute(PathBuf),
}

/// The path of `path` relative to the experiment's directory when it lies beneath it, so the
/// same file has the same name however it was spelled.
fn beneath_experiment(cx: &Cx, path: &Path) -> Option<PathBuf> {
    let root = cx.root_dir().canonicalize().ok()?;
    let file = path.canonicalize().ok()?;
    file.strip_prefix(&root).ok().map(Path::to_path_buf)
}

/// Reads an `sbpl=` file (a file an untrusted input names). Parameters apply as in every other
/// string (`sbpl="{dir}/p.sb"`, `--param`). A relative path is relative to the declaring file
/// and read beneath the experiment's directory without following symlinks; an absolute one is
/// read there too when it lies beneath it, and elsewhere only with `--sbpl-absolute-imports`,
/// like an SBPL `(import "/abs")`. A missing or unreadable file is an error.
fn sbpl_source(cx: &mut Cx, file: usize, sbpl: &crate::decode::syntax::Text) -> Option<SbplFile> {
    let source = cx.file(file).clone();
    let value = cx.subst(file, sbpl);
    let at = if Path::new(&value).is_absolute() {
        match beneath_experiment(cx, Path::new(&value)) {
            Some(rel) => SbplAt::Beneath(rel),
            None if cx.sbpl.absolute => SbplAt::Absolute(PathBuf::from(&value)),
            None => {
                let diag = cx
                    .error(
                        codes::IMPORT_ABSOLUTE,
                        file,
                        sbpl.span,
                        format!("`sbpl=` names `{value}`, outside the experiment's directory"),
                        "absolute path",
                    )
                    .help("write the path relative to this file, or pass --sbpl-absolute-imports to read SBPL files anywhere");
                cx.push(diag);
                return None;
            }
        }
    } else {
        SbplAt::Beneath(crate::source::loader::normalize(
            &Path::new(&source.artifact).with_file_name("").join(&value),
        ))
    };
    let read = match (&source.path, at) {
        (None, _) => Err(InputError::NotFound),
        (Some(_), SbplAt::Beneath(rel)) => InputDir::open(&cx.root_dir())
            .and_then(|dir| dir.read(&rel, Climb::Allowed, MAX_FILE_BYTES))
            .map(|bytes| (cx.root_dir().join(&rel), rel.display().to_string(), bytes)),
        (Some(_), SbplAt::Absolute(path)) => read_given(&path, MAX_FILE_BYTES).map(|bytes| {
            let artifact = super::sbpl_hook::portable(&value);
            (path, artifact, bytes)
        }),
    }
    .and_then(|(path, artifact, bytes)| match String::from_utf8(bytes) {
        Ok(text) => Ok((path, artifact, text)),
        Err(_) => Err(InputError::Io(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "not UTF-8 text",
        ))),
    });
    match read {
        Ok((path, artifact, text)) => Some(SbplFile {
            artifact,
            path,
            text,
            imports: Vec::new(),
        }),
        Err(e) => {
            let where_ = match &source.path {
                Some(_) => "next to this file",
                None => "(the stdlib cannot name SBPL files)",
            };
            let (message, label, help) = match &e {
                InputError::NotFound => (
                    format!("SBPL file `{value}` not found"),
                    "no such file",
                    format!("the path is relative to the file that declares the profile; looked {where_}"),
                ),
                e => (
                    format!("cannot read SBPL file `{value}`: {e}"),
                    "not readable",
                    "an SBPL file must be a regular file of at most 16 MiB, reached without symlinks".to_string(),
                ),
            };
            let diag = cx
                .error(codes::SBPL_NOT_FOUND, file, sbpl.span, message, label)
                .help(help);
            cx.push(diag);
            None
        }
    }
}

/// A shim that is not declared: when the stdlib declares it, the fix is an import; otherwise
/// "did you mean" over the shims in scope and those an import would bring.
fn unknown_shim(cx: &mut Cx, decls: &Declarations, file: FileId, shim: &Text) {
    let homes = crate::source::stdlib::declaring("shim", &shim.value);
    let help = match homes.first() {
        Some(home) => format!(
            "shim `{}` is declared in std/{home}.kdl, which this experiment does not import: add `import \"std/{home}\"`",
            shim.value
        ),
        None => {
            let in_scope: Vec<&str> = decls.shims.names().collect();
            let mut everywhere: Vec<String> = in_scope.iter().map(|s| s.to_string()).collect();
            everywhere.extend(crate::source::stdlib::declared("shim").map(str::to_string));
            match crate::diagnostics::suggest::did_you_mean(
                &shim.value,
                everywhere.iter().map(String::as_str),
            ) {
                Some(close) => {
                    let import = crate::source::stdlib::declaring("shim", &close)
                        .first()
                        .filter(|_| !in_scope.contains(&close.as_str()))
                        .map(|home| format!(" (from `import \"std/{home}\"`)"))
                        .unwrap_or_default();
                    format!("did you mean `{close}`?{import}")
                }
                None => format!("shims in scope: {}", in_scope.join(", ")),
            }
        }
    };
    let diag = cx
        .error(
            codes::UNKNOWN_SHIM,
            file,
            shim.span,
            format!("unknown shim `{}`", shim.value),
            "no such shim",
        )
        .help(help);
    cx.push(diag);
}
