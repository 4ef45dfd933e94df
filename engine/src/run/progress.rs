//! What `xpr run` shows while the probes run, and `--fail-fast`. Every finished unit moves the
//! bar; every scenario result is compared with its expectation as soon as its baseline is in,
//! so a failure is printed when it happens (every result with `-v`), and with `--fail-fast` no
//! further job starts after it.

use std::collections::HashMap;
use std::ops::ControlFlow;

use crate::classify;
use crate::execute::Progress;
use crate::model::{Expectation, Experiment, Lane, StageRecord};
use crate::report::progress::ProgressLine;
use crate::report::status;

/// Which status lines are printed above the bar.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Statuses {
    None,
    /// Expectations that failed.
    Failures,
    /// Every (profile, probe).
    All,
}

pub(crate) struct RunProgress<'a> {
    bar: ProgressLine,
    statuses: Statuses,
    colour: bool,
    fail_fast: bool,
    /// Whether scenario results wait for their baseline (the experiment has that lane).
    has_baseline: bool,
    baseline: HashMap<String, StageRecord>,
    /// Scenario records whose baseline has not reported yet.
    waiting: Vec<StageRecord>,
    expectations: HashMap<(&'a str, &'a str), &'a Expectation>,
    /// The first failed expectation, when `--fail-fast` stopped the run there.
    pub stopped_at: Option<String>,
}

impl<'a> RunProgress<'a> {
    pub(crate) fn new(
        exp: &'a Experiment,
        bar: bool,
        statuses: Statuses,
        colour: bool,
        fail_fast: bool,
    ) -> RunProgress<'a> {
        RunProgress {
            bar: ProgressLine::new(&exp.name, bar),
            statuses,
            colour,
            fail_fast,
            has_baseline: exp.lanes.contains(&Lane::Baseline),
            baseline: HashMap::new(),
            waiting: Vec::new(),
            expectations: exp
                .expectations
                .iter()
                .map(|e| ((e.profile.as_str(), e.probe.as_str()), e))
                .collect(),
            stopped_at: None,
        }
    }

    /// Classifies `scenario` against its baseline and expectation; `Break` when it failed and
    /// the run stops at the first failure.
    fn classify(&mut self, scenario: &StageRecord) -> ControlFlow<()> {
        let profile = scenario.profile.as_deref().unwrap_or_default();
        let expectation = self
            .expectations
            .get(&(profile, scenario.probe.as_str()))
            .copied();
        let v = classify::compare(scenario, self.baseline.get(&scenario.probe), expectation);
        let failed = !v.mismatches.is_empty() && v.known.is_none();
        let shown = match self.statuses {
            Statuses::None => false,
            Statuses::Failures => failed,
            Statuses::All => true,
        };
        if shown {
            self.bar.println(&status(&v, scenario.micros, self.colour));
        }
        if failed && self.fail_fast && self.stopped_at.is_none() {
            self.stopped_at = Some(v.id);
            return ControlFlow::Break(());
        }
        ControlFlow::Continue(())
    }
}

impl Progress for RunProgress<'_> {
    fn start(&mut self, total: u64) {
        self.bar.start(total);
    }

    fn finished(&mut self, record: &StageRecord) -> ControlFlow<()> {
        let name = match &record.profile {
            Some(p) => format!("{p}/{}", record.probe),
            None => format!("{} (baseline)", record.probe),
        };
        self.bar.advance(&name);
        let mut flow = ControlFlow::Continue(());
        match record.lane {
            Lane::Baseline => {
                self.baseline.insert(record.probe.clone(), record.clone());
                let (ready, waiting): (Vec<_>, Vec<_>) = std::mem::take(&mut self.waiting)
                    .into_iter()
                    .partition(|s| s.probe == record.probe);
                self.waiting = waiting;
                for s in ready {
                    if self.classify(&s).is_break() {
                        flow = ControlFlow::Break(());
                    }
                }
            }
            Lane::Scenario if self.has_baseline && !self.baseline.contains_key(&record.probe) => {
                self.waiting.push(record.clone());
            }
            Lane::Scenario => flow = self.classify(record),
            Lane::Oracle | Lane::Observer => {}
        }
        flow
    }

    fn tick(&mut self) {
        self.bar.tick();
    }

    fn finish(&mut self) {
        self.bar.finish();
    }
}
