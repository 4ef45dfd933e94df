//! `xpr diff`.

use super::*;

pub fn run(_args: DiffArgs) -> u8 {
    // Foreign bundles (runtime-tools) go through the format-neutral view diff.
    let (fa, fb) = (
        super::import::open_foreign_view(&_args.a),
        super::import::open_foreign_view(&_args.b),
    );
    if let (Some(a), Some(b)) = (fa, fb) {
        return match (a, b) {
            (Ok(a), Ok(b)) => super::import::diff_views(a.as_ref(), b.as_ref(), _args.format),
            (Err(e), _) | (_, Err(e)) => {
                eprintln!("xpr diff: {e}");
                EXIT_INVALID
            }
        };
    }
    eprintln!("xpr diff: not implemented yet");
    EXIT_ENVIRONMENT
}
