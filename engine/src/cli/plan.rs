//! `xpr plan`.

use super::*;

pub fn run(_args: PlanArgs) -> u8 {
    eprintln!("xpr plan: not implemented yet");
    EXIT_ENVIRONMENT
}
