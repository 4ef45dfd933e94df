//! `xpr shim suggest FILE --profile P`.

use super::*;
use crate::execute::ExecuteOptions;
use crate::resolve;
use crate::shim_suggest::{kdl, suggest as find};
use crate::world::{WorldFacts, WorldOptions};

pub(crate) fn suggest(args: ShimSuggestArgs, format: MessageFormat) -> Result<Outcome, Error> {
    crate::execute::interrupt::install();
    let loaded = resolve::load(&args.file, &args.load.options()).map_err(Error::Invalid)?;
    crate::diagnostics::eprint(&loaded.warnings, format);
    let world = WorldFacts::detect(&WorldOptions::default());
    let options = ExecuteOptions {
        helper_exe: std::env::current_exe().unwrap_or_else(|_| "xpr".into()),
        ..ExecuteOptions::default()
    };
    let s = find(
        &loaded.experiment,
        &args.profile,
        &world,
        &options,
        args.without_audit,
    )?;
    print!("{}", kdl(&s));
    Ok(if s.verified {
        Outcome::Clean
    } else {
        Outcome::Findings
    })
}
