//! `xpr run`.

use super::*;

pub fn run(_args: RunArgs) -> u8 {
    eprintln!("xpr run: not implemented yet");
    EXIT_ENVIRONMENT
}
