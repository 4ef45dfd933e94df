//! `xpr shim suggest FILE --profile P`.

use super::*;
use crate::execute::ExecuteOptions;
use crate::resolve;
use crate::shim_suggest::{kdl, suggest as find};
use crate::world::{WorldFacts, WorldOptions};

pub fn suggest(args: ShimSuggestArgs) -> u8 {
    crate::execute::interrupt::install();
    let loaded = match resolve::load(&args.file, &args.load.options()) {
        Ok(l) => l,
        Err(diags) => {
            crate::diagnostics::eprint(&diags, args.load.message_format.into());
            return EXIT_INVALID;
        }
    };
    let world = WorldFacts::detect(&WorldOptions::default());
    let options = ExecuteOptions {
        helper_exe: std::env::current_exe().unwrap_or_else(|_| "xpr".into()),
        ..ExecuteOptions::default()
    };
    match find(
        &loaded.experiment,
        &args.profile,
        &world,
        &options,
        args.without_audit,
    ) {
        Ok(s) => {
            print!("{}", kdl(&s));
            if s.verified { EXIT_OK } else { EXIT_FINDINGS }
        }
        Err(e) => {
            eprintln!("error: {e}");
            EXIT_INVALID
        }
    }
}
