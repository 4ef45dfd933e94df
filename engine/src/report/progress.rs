//! A progress line on stderr for long runs: drawn only when stderr is a terminal and the run
//! has lasted more than a second, so pipes, CI logs and short runs stay clean.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

use crate::execute::Progress;

const SHOW_AFTER: Duration = Duration::from_secs(1);
const REDRAW_EVERY: Duration = Duration::from_millis(100);
const WIDTH: usize = 30;

pub struct ProgressLine {
    label: String,
    total: u64,
    done: u64,
    started: Instant,
    last_draw: Option<Instant>,
    enabled: bool,
}

impl ProgressLine {
    /// A bar labelled `label` (the experiment), shown as `label [####    ] done/total`.
    pub fn new(label: &str) -> ProgressLine {
        ProgressLine {
            label: label.to_string(),
            total: 0,
            done: 0,
            started: Instant::now(),
            last_draw: None,
            enabled: std::io::stderr().is_terminal(),
        }
    }

    fn clear(&mut self) {
        if self.last_draw.take().is_some() {
            let _ = write!(std::io::stderr(), "\r\x1b[2K");
        }
    }

    /// `label [#######       ] 12/40`.
    pub fn line(&self) -> String {
        let filled = match self.total {
            0 => WIDTH,
            t => (self.done as usize * WIDTH) / t as usize,
        };
        format!(
            "{} [{}{}] {}/{}",
            self.label,
            "#".repeat(filled),
            " ".repeat(WIDTH - filled),
            self.done,
            self.total
        )
    }
}

impl Progress for ProgressLine {
    /// Restarts the clock: the line shows once the pool has run for a second.
    fn start(&mut self, total: u64) {
        self.total = total;
        self.done = 0;
        self.started = Instant::now();
    }

    /// Redraws when due.
    fn advance(&mut self, n: u64) {
        self.done = (self.done + n).min(self.total);
        if !self.enabled || self.started.elapsed() < SHOW_AFTER {
            return;
        }
        if self.last_draw.is_some_and(|t| t.elapsed() < REDRAW_EVERY) && self.done < self.total {
            return;
        }
        self.last_draw = Some(Instant::now());
        let _ = write!(std::io::stderr(), "\r{}", self.line());
    }

    /// Clears the line (the results that follow go to stdout).
    fn finish(&mut self) {
        self.clear();
    }
}

impl Drop for ProgressLine {
    fn drop(&mut self) {
        self.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_a_bounded_bar() {
        let mut p = ProgressLine::new("probes");
        p.start(4);
        p.advance(1);
        assert_eq!(
            p.line(),
            format!("probes [{}{}] 1/4", "#".repeat(7), " ".repeat(23))
        );
        p.advance(10);
        assert_eq!(p.line(), format!("probes [{}] 4/4", "#".repeat(30)));
    }
}
