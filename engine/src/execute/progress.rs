//! How far the pool is, for whoever shows it: the engine reports, the caller draws (the run
//! module's progress), so executing never depends on presenting.

use std::ops::ControlFlow;

use crate::model::StageRecord;

/// Told as units (one probe in one lane under one profile) report back to the engine.
pub trait Progress {
    /// The pool has `total` units to run.
    fn start(&mut self, total: u64);
    /// One unit has reported. `Break`: start no further job (the jobs running finish, and the
    /// units never started get no record).
    fn finished(&mut self, record: &StageRecord) -> ControlFlow<()>;
    /// Time passes without a report (called about twice a second while the pool waits).
    fn tick(&mut self) {}
    /// The pool has stopped, finished or interrupted.
    fn finish(&mut self);
}

/// No progress shown (library callers and tests).
impl Progress for () {
    fn start(&mut self, _: u64) {}
    fn finished(&mut self, _: &StageRecord) -> ControlFlow<()> {
        ControlFlow::Continue(())
    }
    fn finish(&mut self) {}
}
