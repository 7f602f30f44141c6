//! A sweep's cell run in a worker: the scenario to its end in slices (so a
//! Cancel or a new request is read between two), then only its summary
//! ([`CellResult`]: the figure, the outcome, the digest, a sparkline of at
//! most [`crate::scenario::sweep::metric::SPARK_POINTS`] points). Nothing
//! per packet is kept or sent: a sweep of 24 runs crosses a few kilobytes.

use crate::scenario::cost::estimate;
use crate::scenario::sweep::{CellResult, Metric};
use crate::scenario::Scenario;
use crate::sim::Sim;

/// One cell being run.
pub struct CellRun {
    /// The page's sweep generation.
    pub gen: u32,
    /// The cell's index in the sweep (row by row).
    pub index: u32,
    metric: Metric,
    sim: Sim,
    /// The most events the run may take, as `incident-sim sweep` allows.
    budget: u64,
}

/// How a slice of work left a cell.
pub enum CellStep {
    /// Still running.
    Running,
    /// Finished (or stopped past its budget, with a message).
    Done(Result<CellResult, String>),
}

impl CellRun {
    /// A cell for `sc`, or why it cannot run.
    pub fn new(gen: u32, index: u32, sc: &Scenario, metric: Metric) -> Result<CellRun, String> {
        let p = sc.params().map_err(|e| e.to_string())?;
        Ok(CellRun {
            gen,
            index,
            metric,
            budget: estimate(&p).event_budget(),
            sim: Sim::new(&p, sc.seed),
        })
    }

    /// Runs at most `events` more events; the same run as `run_to_end`,
    /// hence the same digest as the command line's cell.
    pub fn work(&mut self, events: u64) -> CellStep {
        if self.sim.run_to_end_bounded(events) {
            return CellStep::Done(Ok(CellResult::of(&self.sim, self.metric)));
        }
        if self.sim.events() > self.budget {
            return CellStep::Done(Err(format!(
                "stopped at {:.0} s: past its work budget of {} events (three times the estimate)",
                self.sim.now().as_secs_f64(),
                self.budget
            )));
        }
        CellStep::Running
    }
}
