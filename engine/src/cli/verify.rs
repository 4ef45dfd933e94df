//! `xpr verify`.

use super::*;

pub fn run(_args: VerifyArgs) -> u8 {
    eprintln!("xpr verify: not implemented yet");
    EXIT_ENVIRONMENT
}
