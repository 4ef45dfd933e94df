//! How far the pool is, for whoever shows it: the engine reports, the caller draws (the run
//! module's progress line), so executing never depends on presenting.

/// Told as units (one probe in one lane under one profile) report back to the engine.
pub trait Progress {
    /// The pool has `total` units to run.
    fn start(&mut self, total: u64);
    /// `n` more units have reported.
    fn advance(&mut self, n: u64);
    /// The pool has stopped, finished or interrupted.
    fn finish(&mut self);
}

/// No progress shown (library callers and tests).
impl Progress for () {
    fn start(&mut self, _: u64) {}
    fn advance(&mut self, _: u64) {}
    fn finish(&mut self) {}
}
