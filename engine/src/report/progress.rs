//! The progress bar on stderr, like nextest's: elapsed time, a bar, done/total, an estimate of
//! the time left and the last unit that finished; status lines printed above it. Drawn only
//! when enabled (stderr is a terminal and `-q` was not given) and once the run has lasted more
//! than a second, so pipes, CI logs and short runs stay clean.

use std::io::Write;
use std::time::{Duration, Instant};

const SHOW_AFTER: Duration = Duration::from_secs(1);
const REDRAW_EVERY: Duration = Duration::from_millis(100);
const WIDTH: usize = 25;

pub(crate) struct ProgressLine {
    label: String,
    total: u64,
    done: u64,
    started: Instant,
    last: String,
    last_draw: Option<Instant>,
    enabled: bool,
}

impl ProgressLine {
    /// A bar labelled `label` (the experiment); nothing is drawn unless `enabled`.
    pub(crate) fn new(label: &str, enabled: bool) -> ProgressLine {
        ProgressLine {
            label: label.to_string(),
            total: 0,
            done: 0,
            started: Instant::now(),
            last: String::new(),
            last_draw: None,
            enabled,
        }
    }

    /// Restarts the clock: the bar shows once the probes have run for a second.
    pub(crate) fn start(&mut self, total: u64) {
        self.total = total;
        self.done = 0;
        self.started = Instant::now();
    }

    /// One more unit finished, `name` (its id); redraws when due.
    pub(crate) fn advance(&mut self, name: &str) {
        self.done = (self.done + 1).min(self.total);
        self.last.clear();
        self.last.push_str(name);
        self.draw(self.done == self.total);
    }

    /// Redraws when due, so the elapsed time moves while slow probes run.
    pub(crate) fn tick(&mut self) {
        self.draw(false);
    }

    /// Prints `line` above the bar.
    pub(crate) fn println(&mut self, line: &str) {
        self.clear();
        let _ = writeln!(std::io::stderr(), "{line}");
        self.draw(true);
    }

    /// Clears the bar (the results that follow go to stdout).
    pub(crate) fn finish(&mut self) {
        self.clear();
        self.enabled = false;
    }

    fn draw(&mut self, now: bool) {
        if !self.enabled || self.started.elapsed() < SHOW_AFTER {
            return;
        }
        if !now && self.last_draw.is_some_and(|t| t.elapsed() < REDRAW_EVERY) {
            return;
        }
        self.last_draw = Some(Instant::now());
        let _ = write!(std::io::stderr(), "\r\x1b[2K{}", self.line());
    }

    fn clear(&mut self) {
        if self.last_draw.take().is_some() {
            let _ = write!(std::io::stderr(), "\r\x1b[2K");
        }
    }

    /// `label [00:00:03] [#######        ] 12/40 ETA 00:00:07 v1_read/read-hosts`.
    pub(crate) fn line(&self) -> String {
        self.line_at(self.started.elapsed())
    }

    fn line_at(&self, elapsed: Duration) -> String {
        let filled = match self.total {
            0 => WIDTH,
            t => (self.done as usize * WIDTH) / t as usize,
        };
        let eta = match self.done {
            0 => "-".to_string(),
            done => clock(elapsed.mul_f64((self.total - done) as f64 / done as f64)),
        };
        format!(
            "{} [{}] [{}{}] {}/{} ETA {eta} {}",
            self.label,
            clock(elapsed),
            "#".repeat(filled),
            " ".repeat(WIDTH - filled),
            self.done,
            self.total,
            self.last
        )
    }
}

/// `HH:MM:SS`.
fn clock(d: Duration) -> String {
    let s = d.as_secs();
    format!("{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
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
    fn draws_elapsed_a_bounded_bar_and_an_estimate() {
        let mut p = ProgressLine::new("probes", false);
        p.start(4);
        assert_eq!(
            p.line_at(Duration::from_secs(2)),
            format!("probes [00:00:02] [{}] 0/4 ETA - ", " ".repeat(25))
        );
        p.advance("a/x");
        assert_eq!(
            p.line_at(Duration::from_secs(3)),
            format!(
                "probes [00:00:03] [{}{}] 1/4 ETA 00:00:09 a/x",
                "#".repeat(6),
                " ".repeat(19)
            )
        );
        for _ in 0..10 {
            p.advance("b/y");
        }
        assert_eq!(
            p.line_at(Duration::from_secs(3725)),
            format!(
                "probes [01:02:05] [{}] 4/4 ETA 00:00:00 b/y",
                "#".repeat(25)
            )
        );
    }
}
