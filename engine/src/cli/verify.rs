//! `xpr verify`.

use super::*;

pub fn run(_args: VerifyArgs) -> u8 {
    if crate::bundle::runtime_tools::is_runtime_tools(&_args.bundle) {
        return super::import::verify_runtime_tools(&_args);
    }
    eprintln!("xpr verify: not implemented yet");
    EXIT_ENVIRONMENT
}
