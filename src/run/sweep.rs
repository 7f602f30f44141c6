//! A sweep spread over the page's workers: which cell each worker runs,
//! which wait, and what came back. Plain Rust (the page's `ui::sweep` sends
//! the requests it returns; the native tests feed it [`Service`]s, as the
//! workers do), so the bookkeeping that keeps a superseded sweep's results
//! out of the grid is tested without a browser.
//!
//! Cells are handed out costliest first ([`Sweep::run_order`], as the
//! command line does) to whichever worker is free; each result goes to its
//! cell's slot, so the grid is the same whatever order runs finish in.
//!
//! [`Service`]: super::Service

use super::{Reply, Request};
use crate::scenario::sweep::{Cell, CellResult, Metric, Sweep};
use std::collections::VecDeque;

/// One sweep's runs over `workers` workers.
pub struct SweepJob {
    /// Its generation: replies of any other are dropped.
    pub gen: u32,
    cells: Vec<Cell>,
    metric: Metric,
    queue: VecDeque<usize>,
    /// The cell each worker runs.
    running: Vec<Option<usize>>,
    results: Vec<Option<Result<CellResult, String>>>,
    cancelled: bool,
}

impl SweepJob {
    /// A job for `sweep` as generation `gen` over `workers` workers (at least one).
    pub fn new(gen: u32, sweep: &Sweep, workers: usize) -> SweepJob {
        let cells = sweep.cells();
        SweepJob {
            gen,
            results: vec![None; cells.len()],
            queue: sweep.run_order().into(),
            running: vec![None; workers.max(1)],
            metric: sweep.metric,
            cancelled: false,
            cells,
        }
    }

    /// Requests that give every idle worker its next cell, as
    /// `(worker, request)`.
    pub fn fill(&mut self) -> Vec<(usize, Request)> {
        let mut out = Vec::new();
        if self.cancelled {
            return out;
        }
        for w in 0..self.running.len() {
            if self.running[w].is_some() {
                continue;
            }
            let Some(i) = self.queue.pop_front() else {
                break;
            };
            self.running[w] = Some(i);
            out.push((
                w,
                Request::Cell {
                    gen: self.gen,
                    index: i as u32,
                    scenario: self.cells[i].scenario.clone(),
                    metric: self.metric,
                },
            ));
        }
        out
    }

    /// A reply from worker `w`: kept if it is this job's answer for the
    /// cell `w` runs (anything of another generation, or not a cell, is
    /// dropped). True if kept; then [`SweepJob::fill`] has work for `w`.
    pub fn on_reply(&mut self, w: usize, reply: Reply) -> bool {
        if reply == Reply::Unreadable {
            // The worker is from another build: its cell fails with a
            // message instead of never finishing.
            let Some(i) = self.running.get_mut(w).and_then(Option::take) else {
                return false;
            };
            self.results[i] = Some(Err(super::UNREADABLE.to_string()));
            return true;
        }
        let Reply::Cell { gen, index, result } = reply else {
            return false;
        };
        let i = index as usize;
        if gen != self.gen || self.running.get(w).copied().flatten() != Some(i) {
            return false;
        }
        self.running[w] = None;
        self.results[i] = Some(result);
        true
    }

    /// Stops the sweep: nothing more is handed out; returns a `Cancel` for
    /// every busy worker. What finished stays.
    pub fn cancel(&mut self) -> Vec<(usize, Request)> {
        self.cancelled = true;
        self.queue.clear();
        let mut out = Vec::new();
        for (w, r) in self.running.iter_mut().enumerate() {
            if r.take().is_some() {
                out.push((w, Request::Cancel));
            }
        }
        out
    }

    /// True once cancelled.
    pub fn cancelled(&self) -> bool {
        self.cancelled
    }

    /// The cells, row by row.
    pub fn cells(&self) -> &[Cell] {
        &self.cells
    }

    /// Each cell's result so far, row by row.
    pub fn results(&self) -> &[Option<Result<CellResult, String>>] {
        &self.results
    }

    /// Cells with a result.
    pub fn done(&self) -> usize {
        self.results.iter().filter(|r| r.is_some()).count()
    }

    /// True when every cell has a result, or the sweep was cancelled and
    /// no worker runs any more.
    pub fn finished(&self) -> bool {
        self.done() == self.cells.len()
            || (self.cancelled && self.running.iter().all(Option::is_none))
    }

    /// How many workers it spreads over.
    pub fn workers(&self) -> usize {
        self.running.len()
    }

    /// True if cell `i` is running now.
    pub fn is_running(&self, i: usize) -> bool {
        self.running.contains(&Some(i))
    }
}
