//! `xpr check`.

use super::*;

pub fn run(_args: CheckArgs) -> u8 {
    eprintln!("xpr check: not implemented yet");
    EXIT_ENVIRONMENT
}
