//! `xpr compile FILE --profile P --emit landlock-json|sbpl|bwrap-args [--scratch DIR]`: what a
//! profile compiles to in this world, in another tool's format, on stdout; what the format
//! cannot carry is listed on stderr. `{scratch}` stays symbolic unless `--scratch` puts a
//! directory in its place.

use super::*;
use crate::compile::linux::{self, export};
use crate::model::{Filter, ProfileIr};
use crate::oracle::{DeclaredView, FsView, Kind};
use crate::resolve;
use crate::run::RunError;
use crate::world::{WorldFacts, WorldOptions};

pub(crate) fn run(args: CompileArgs, message_format: MessageFormat) -> Result<Outcome, Error> {
    let loaded = resolve::load(&args.file, &args.load.options()).map_err(Error::Invalid)?;
    crate::diagnostics::eprint(&loaded.warnings, message_format);
    let exp = loaded.experiment;
    let Some(profile) = exp.profiles.iter().find(|p| p.id == args.profile) else {
        let known: Vec<&str> = exp.profiles.iter().map(|p| p.id.as_str()).collect();
        return Err(RunError::UnknownProfile {
            name: args.profile,
            known: known.join(", "),
        }
        .into());
    };
    let world = WorldFacts::detect(&WorldOptions {
        landlock_abi_cap: args.landlock_abi,
        landlock_only: args.mechanism == Some(MechanismArg::Landlock),
    });
    if let Some(message) = world.abi_cap_error() {
        return Err(Error::AbiCap(message));
    }
    let scratch = args
        .scratch
        .as_ref()
        .map(|d| d.to_string_lossy().into_owned());
    let ir = match &scratch {
        Some(dir) => with_scratch(&profile.runtime, dir),
        None => profile.runtime.clone(),
    };
    let (text, notes) = match args.emit {
        CompileFormat::Sbpl => (crate::compile::seatbelt::compile(&ir).sbpl, Vec::new()),
        CompileFormat::LandlockJson => {
            let compiled = linux::compile(&profile.id, &ir, &world);
            let e = export::landlock_config(&compiled).map_err(Error::Export)?;
            (e.text, e.notes)
        }
        CompileFormat::BwrapArgs => {
            let compiled = linux::compile(&profile.id, &ir, &world);
            // The experiment's fixtures say what its scratch paths are.
            let declared = DeclaredView::new(&exp);
            let symbolic = |path: &str| match scratch.as_deref().and_then(|d| path.strip_prefix(d))
            {
                Some(rest) if rest.is_empty() || rest.starts_with('/') => {
                    format!("{{scratch}}{rest}")
                }
                _ => path.to_string(),
            };
            let is_dir = |path: &str| declared.kind(&symbolic(path)).map(|k| k == Kind::Dir);
            let e = export::bwrap_args(&compiled, &is_dir);
            (e.text, e.notes)
        }
    };
    for note in notes {
        eprintln!("note: {note}");
    }
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    exit::stdout_written(
        out.write_all(text.as_bytes()).and_then(|()| out.flush()),
        "the compiled profile",
    )?;
    Ok(Outcome::Clean)
}

/// The IR with `dir` for `{scratch}` in every path filter.
fn with_scratch(ir: &ProfileIr, dir: &str) -> ProfileIr {
    fn filter(f: &Filter, dir: &str) -> Filter {
        let put = |p: &String| p.replace("{scratch}", dir);
        match f {
            Filter::Literal(p) => Filter::Literal(put(p)),
            Filter::Subpath(p) => Filter::Subpath(put(p)),
            Filter::Prefix(p) => Filter::Prefix(put(p)),
            Filter::RequireAll(fs) => {
                Filter::RequireAll(fs.iter().map(|f| filter(f, dir)).collect())
            }
            Filter::RequireAny(fs) => {
                Filter::RequireAny(fs.iter().map(|f| filter(f, dir)).collect())
            }
            Filter::RequireNot(f) => Filter::RequireNot(Box::new(filter(f, dir))),
            other => other.clone(),
        }
    }
    let mut out = ir.clone();
    for rule in &mut out.rules {
        rule.filters = rule.filters.iter().map(|f| filter(f, dir)).collect();
    }
    out
}
