//! The whole run, as the page knows it.
//!
//! The page never runs the simulation. A Web Worker runs each scenario to
//! its end at full speed with a [`Runner`], in bounded slices, and streams
//! what each slice made known ([`Chunk`]: the per-second series, notable
//! events, sampled packets with their final fates, the pods' and Route 53's
//! timelines, and a track of the topology's gauges every 100 ms); the page
//! assembles them into a [`RunRecord`] and draws any moment of it. Questions
//! about one moment (its exact state, a packet's kernel step-through, an
//! export) go to the worker, which answers from its nearest checkpoint.
//!
//! Every message carries its run's [`RunId`], so nothing from a superseded
//! run is ever drawn. This module is plain Rust with native tests; the
//! browser side is `ui::worker`.

pub mod cell;
pub mod record;
pub mod runner;
pub mod sweep;
pub mod wire;

pub use record::{
    Chunk, Finish, Moment, NodeInfo, NodeMoment, RunId, RunMeta, RunRecord, WorkerStats,
};
pub use runner::Runner;

use crate::explain::kernel::{KernelWalk, Toggles};
use crate::scenario::sweep::{CellResult, Metric};
use crate::scenario::Scenario;
use crate::sim::time::SimTime;
use cell::{CellRun, CellStep};
use serde::{Deserialize, Serialize};

/// What the page asks of a worker.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Request {
    /// A message the worker could not read: the page and the worker come
    /// from two builds (one cached from before a deploy). Always the first
    /// variant, so that every build reads it the same way ([`wire::decode_or_unreadable`]).
    Unreadable,
    /// Run this scenario to its end, dropping whatever ran before.
    Start(RunId),
    /// Stop running (the page no longer needs this worker's run).
    Cancel,
    /// The exact state at a moment.
    Moment {
        /// Which run.
        gen: u32,
        /// The moment.
        at: SimTime,
    },
    /// A sampled packet's kernel step-through.
    Kernel {
        /// Which run.
        gen: u32,
        /// The packet's id.
        packet: u32,
        /// What-ifs on the node's namespace.
        toggles: Toggles,
    },
    /// An export of the run up to a moment.
    Export {
        /// Which run.
        gen: u32,
        /// `csv`, `pcapng`, `flowlog`, `klog` or `jsonl`.
        format: String,
        /// Up to this moment.
        until: SimTime,
    },
    /// Run a sweep's cell to its end and send back only its summary,
    /// dropping whatever ran before.
    Cell {
        /// The page's sweep generation: a changed or cancelled sweep counts up.
        gen: u32,
        /// The cell's index (row by row).
        index: u32,
        /// The cell's whole scenario.
        scenario: Scenario,
        /// The figure to summarise.
        metric: Metric,
    },
}

/// What a worker answers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Reply {
    /// A message could not be read, by the worker or by the page: the two
    /// come from two builds. Always the first variant, as
    /// [`Request::Unreadable`].
    Unreadable,
    /// A run started.
    Started(Box<RunMeta>),
    /// What became known of the run.
    Progress {
        /// Which run.
        gen: u32,
        /// The news.
        chunk: Box<Chunk>,
    },
    /// The exact state at a moment.
    Moment {
        /// Which run.
        gen: u32,
        /// The state.
        moment: Moment,
    },
    /// A kernel step-through.
    Kernel {
        /// Which run.
        gen: u32,
        /// The walk.
        walk: Box<KernelWalk>,
    },
    /// An export's bytes.
    Export {
        /// Which run.
        gen: u32,
        /// Its format.
        format: String,
        /// Up to this moment.
        until: SimTime,
        /// The file.
        bytes: Vec<u8>,
    },
    /// The run was stopped before its end (past its work budget).
    Stopped {
        /// Which run.
        gen: u32,
        /// One line for the reader.
        message: String,
    },
    /// A sweep's cell ran to its end (or could not: the message).
    Cell {
        /// The sweep generation it was asked with.
        gen: u32,
        /// The cell's index.
        index: u32,
        /// Its summary.
        result: Result<CellResult, String>,
    },
    /// A request could not be answered.
    Error {
        /// Which run.
        gen: u32,
        /// One line for the reader.
        message: String,
    },
}

/// What the page says when it and its worker come from two builds.
pub const UNREADABLE: &str = "this page and its background worker come from two versions of the site (one was cached): reload the page";

/// A worker's state: at most one run, and the questions waiting for it to
/// get far enough. The browser worker feeds it [`Request`]s and calls
/// [`Service::work`] in slices; natively the tests do the same.
#[derive(Default)]
pub struct Service {
    runner: Option<Runner>,
    waiting: Vec<Request>,
    /// A sweep's cell (instead of a run: a worker does one thing at a time).
    cell: Option<CellRun>,
}

/// Events per slice of work: about 30 ms in a browser's worker, so a new
/// request never waits long.
pub const EVENTS_PER_SLICE: u64 = 200_000;

impl Service {
    /// Takes a request; returns what can be answered at once.
    pub fn request(&mut self, r: Request) -> Vec<Reply> {
        match r {
            Request::Start(id) => {
                self.waiting.clear();
                self.cell = None;
                match Runner::new(id.clone()) {
                    Ok(runner) => {
                        let meta = runner.meta().clone();
                        self.runner = Some(runner);
                        vec![Reply::Started(Box::new(meta))]
                    }
                    Err(message) => {
                        self.runner = None;
                        vec![Reply::Error {
                            gen: id.gen,
                            message,
                        }]
                    }
                }
            }
            Request::Unreadable => vec![Reply::Unreadable],
            Request::Cancel => {
                self.runner = None;
                self.cell = None;
                self.waiting.clear();
                Vec::new()
            }
            Request::Cell {
                gen,
                index,
                scenario,
                metric,
            } => {
                self.runner = None;
                self.waiting.clear();
                match CellRun::new(gen, index, &scenario, metric) {
                    Ok(c) => {
                        self.cell = Some(c);
                        Vec::new()
                    }
                    Err(message) => {
                        self.cell = None;
                        vec![Reply::Cell {
                            gen,
                            index,
                            result: Err(message),
                        }]
                    }
                }
            }
            other => {
                self.waiting.push(other);
                self.answer_waiting()
            }
        }
    }

    /// True while there is running to do.
    pub fn busy(&self) -> bool {
        self.cell.is_some() || self.runner.as_ref().is_some_and(|r| !r.finished())
    }

    /// Runs one slice and returns the news and any answers it made possible.
    pub fn work(&mut self) -> Vec<Reply> {
        if let Some(c) = self.cell.as_mut() {
            return match c.work(EVENTS_PER_SLICE) {
                CellStep::Running => Vec::new(),
                CellStep::Done(result) => {
                    let (gen, index) = (c.gen, c.index);
                    self.cell = None;
                    vec![Reply::Cell { gen, index, result }]
                }
            };
        }
        let Some(r) = self.runner.as_mut() else {
            return Vec::new();
        };
        if r.finished() {
            return Vec::new();
        }
        r.advance(EVENTS_PER_SLICE);
        let gen = r.id().gen;
        if r.sim().events() > r.event_budget() {
            // The estimate was wrong by more than its stated factor: stop
            // rather than run without bound.
            let message = format!(
                "the run was stopped at {:.0} s: it passed its work budget of {} events (three times the estimate)",
                r.done_to().as_secs_f64(),
                r.event_budget()
            );
            let chunk = r.take_chunk();
            self.runner = None;
            self.waiting.clear();
            return vec![
                Reply::Progress {
                    gen,
                    chunk: Box::new(chunk),
                },
                Reply::Stopped { gen, message },
            ];
        }
        let chunk = r.take_chunk();
        let mut out = vec![Reply::Progress {
            gen,
            chunk: Box::new(chunk),
        }];
        out.extend(self.answer_waiting());
        out
    }

    /// The current run.
    pub fn runner(&self) -> Option<&Runner> {
        self.runner.as_ref()
    }

    fn answer_waiting(&mut self) -> Vec<Reply> {
        let Some(r) = self.runner.as_mut() else {
            self.waiting.clear();
            return Vec::new();
        };
        let gen_now = r.id().gen;
        let mut out = Vec::new();
        let mut keep = Vec::new();
        for q in std::mem::take(&mut self.waiting) {
            let (gen, at) = match &q {
                Request::Moment { gen, at } => (*gen, *at),
                Request::Kernel { gen, packet, .. } => (
                    *gen,
                    r.sim()
                        .trace
                        .packets
                        .get(*packet as usize)
                        .map_or(r.meta().end, |p| p.arrives),
                ),
                Request::Export { gen, until, .. } => (*gen, *until),
                _ => continue,
            };
            if gen != gen_now {
                continue;
            }
            if at > r.done_to() {
                keep.push(q);
                continue;
            }
            out.push(match q {
                Request::Moment { at, .. } => match r.moment(at) {
                    Some(moment) => Reply::Moment { gen, moment },
                    None => continue,
                },
                Request::Kernel {
                    packet, toggles, ..
                } => match r.kernel_walk(packet, toggles) {
                    Some(walk) => Reply::Kernel {
                        gen,
                        walk: Box::new(walk),
                    },
                    None => Reply::Error {
                        gen,
                        message: format!("packet #{packet} has no kernel step-through"),
                    },
                },
                Request::Export { format, until, .. } => match r.export(&format, until) {
                    Some(bytes) => Reply::Export {
                        gen,
                        format,
                        until,
                        bytes,
                    },
                    None => Reply::Error {
                        gen,
                        message: format!("no export format {format:?}"),
                    },
                },
                _ => continue,
            });
        }
        self.waiting = keep;
        out
    }
}

#[cfg(test)]
mod tests;
