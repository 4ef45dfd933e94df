//! How wide text output may be: `COLUMNS` when it is set (shells export it, CI sets it), else
//! the terminal's width when stdout is one. A pipe or a file without `COLUMNS` keeps whole
//! lines, so `grep` and snapshots see each record on one line.

use std::io::IsTerminal;

/// Never narrower than this, however small the terminal claims to be.
const MIN: usize = 40;

/// The width stdout's text should fit, or `None` for no limit.
pub(crate) fn stdout_width() -> Option<usize> {
    let columns = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|c| *c > 0);
    let terminal = || {
        std::io::stdout()
            .is_terminal()
            .then(|| terminal_size::terminal_size().map(|(w, _)| usize::from(w.0)))
            .flatten()
    };
    columns.or_else(terminal).map(|w| w.max(MIN))
}

/// Wraps `text` to `width` (no limit: unchanged); continuation lines are indented by `indent`
/// spaces, so a wrapped field stays under its label.
pub(crate) fn wrap(text: &str, width: Option<usize>, indent: usize) -> String {
    let Some(width) = width else {
        return text.to_string();
    };
    let pad = " ".repeat(indent);
    let options = textwrap::Options::new(width.max(indent + 20))
        .subsequent_indent(&pad)
        .break_words(true)
        .word_splitter(textwrap::WordSplitter::NoHyphenation);
    textwrap::fill(text, options)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_under_the_label_and_never_exceeds_the_width() {
        let long = format!("  scenario:   apply ok · exec ok · {}", "x".repeat(120));
        let text = wrap(&long, Some(60), 14);
        assert!(text.lines().count() > 2, "{text}");
        for line in text.lines() {
            assert!(line.chars().count() <= 60, "{line:?}");
        }
        assert!(text.lines().skip(1).all(|l| l.starts_with(&" ".repeat(14))));
        assert_eq!(wrap(&long, None, 14), long);
    }
}
