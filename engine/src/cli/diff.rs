//! `xpr diff`.

use super::*;

pub fn run(_args: DiffArgs) -> u8 {
    // A runtime-tools bundle on either side: the format-neutral view diff.
    let foreign = |p: &std::path::Path| crate::bundle::runtime_tools::is_runtime_tools(p);
    if foreign(&_args.a) || foreign(&_args.b) {
        return match (
            super::import::open_run_view(&_args.a),
            super::import::open_run_view(&_args.b),
        ) {
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
