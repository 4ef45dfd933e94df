//! `xpr check`.

use super::*;

pub fn run(args: CheckArgs) -> u8 {
    // `.sb` files are checked on their own (issue 5); experiments go through the language.
    if args.files.iter().all(|f| check_sbpl::is_sbpl(f)) {
        return check_sbpl::run(&args);
    }
    eprintln!("xpr check: not implemented yet");
    EXIT_ENVIRONMENT
}
