//! `xpr diff`.

use super::*;

pub fn run(_args: DiffArgs) -> u8 {
    eprintln!("xpr diff: not implemented yet");
    EXIT_ENVIRONMENT
}
