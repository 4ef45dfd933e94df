//! `xpr world`.

use super::*;

pub fn run(_args: WorldArgs) -> u8 {
    eprintln!("xpr world: not implemented yet");
    EXIT_ENVIRONMENT
}
