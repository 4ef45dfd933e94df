//! The colour choice (`--color`, `NO_COLOR`, `CLICOLOR_FORCE`, a terminal or not), decided
//! once by `anstream` for the whole process.

use anstream::{AutoStream, ColorChoice};

use super::ColorArg;
use crate::report::Style;

/// Records `--color` as the process-wide choice; `auto` leaves it to the environment.
pub(crate) fn set(arg: ColorArg) {
    let choice = match arg {
        ColorArg::Auto => ColorChoice::Auto,
        ColorArg::Always => ColorChoice::Always,
        ColorArg::Never => ColorChoice::Never,
    };
    choice.write_global();
}

/// Whether stdout gets colour.
pub(crate) fn stdout() -> Style {
    match AutoStream::choice(&std::io::stdout()) {
        ColorChoice::Never => Style::Plain,
        _ => Style::Colour,
    }
}

/// Whether stderr gets colour.
pub(crate) fn stderr() -> bool {
    AutoStream::choice(&std::io::stderr()) != ColorChoice::Never
}
