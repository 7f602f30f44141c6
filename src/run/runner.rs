//! Runs one scenario to its end in bounded slices, hands out what each slice
//! made known as a [`Chunk`], keeps checkpoints (within a byte budget) and
//! answers questions about any moment already run: the exact state at a
//! time, a packet's kernel step-through, an export up to a time.
//!
//! The page's worker drives it; the native tests drive it the same way and
//! check that the assembled record is the plain run's.

use super::record::{Chunk, Finish, Moment, NodeInfo, NodeMoment, RunId, RunMeta};
use crate::explain::kernel::{self, KernelWalk, Toggles};
use crate::sim::engine::Checkpoint;
use crate::sim::summary::Summary;
use crate::sim::time::{SimDuration, SimTime};
use crate::sim::Sim;

/// Events between checkpoints: re-running this many from the nearest
/// checkpoint answers a seek (about 0.1 s in a browser's worker).
pub const EVENTS_PER_CHECKPOINT: u64 = 600_000;
/// Bytes all checkpoints of a run may hold; a checkpoint that would pass it
/// first drops every other one and doubles the interval (before the copy is
/// made: a browser's memory never shrinks back from a passing peak). The
/// run's start needs none: `Sim::new` makes it again.
pub const CHECKPOINT_BUDGET_BYTES: usize = 96 << 20;
/// A checkpoint that would take more than this share of the budget is not
/// made: one or two copies spread over a run (a state of 64 MB at the
/// ranges' extremes) save a reader little re-running and cost a whole copy
/// of the state each; questions then re-run from the start.
const FEWEST_CHECKPOINTS: usize = 3;
/// Bytes the moment track may hold; the step grows past 100 ms to stay in it.
pub const TRACK_BUDGET_BYTES: usize = 8 << 20;
/// The moment track's finest step.
pub const TRACK_STEP_MIN: SimDuration = SimDuration::from_millis(100);
/// Packets are handed out once this much older than the run's clock: their
/// fate is settled by then (a SYN's is set on arrival, microseconds later).
const PACKET_SETTLE: SimDuration = SimDuration::from_secs(2);

/// The most simulated time one slice runs: where events are sparse (before
/// the rollout, the quiet hours after it) a slice of events would span
/// minutes to hours, and its chunk would carry all their series and packets
/// at once (70 MB more held for an instant at the ranges' extremes over an
/// hour, in both the worker and the page, which a wasm memory keeps).
pub const SLICE_SPAN: SimDuration = SimDuration::from_secs(30);

/// The exact state of `sim` at its clock, read without changing it.
pub fn moment_of(sim: &Sim) -> Moment {
    let at = sim.now();
    Moment {
        at,
        nodes: sim
            .nodes
            .iter()
            .zip(&sim.nld)
            .map(|(n, d)| NodeMoment {
                vpc: n.vpc.count_at(at),
                linux: n.linux_ct.count_at(at),
                nld_inflight: d.inflight_at(at),
                nld_down: d.down,
            })
            .collect(),
        stale_subs: sim.stale_subs_now(),
        subs: sim.subs_len() as u64,
    }
}

/// The moment track's step for these parameters: 100 ms unless the run is
/// so long or wide that the track would pass [`TRACK_BUDGET_BYTES`].
pub fn track_step(duration_s: u64, nodes: usize) -> SimDuration {
    let per_moment = 48 + nodes * std::mem::size_of::<NodeMoment>();
    let min_us = TRACK_STEP_MIN.micros();
    let need = (duration_s as u128 * 1_000_000 * per_moment as u128)
        .div_ceil(TRACK_BUDGET_BYTES as u128) as u64;
    SimDuration::from_micros(need.max(min_us).div_ceil(min_us) * min_us)
}

/// How far the page's record has been sent.
#[derive(Default)]
struct Sent {
    seconds: usize,
    events: usize,
    packets: usize,
    klog: usize,
    track: usize,
}

/// A scenario being run for the page.
pub struct Runner {
    meta: RunMeta,
    sim: Sim,
    /// After the start, oldest first.
    checkpoints: Vec<Checkpoint>,
    checkpoint_bytes: Vec<usize>,
    checkpoint_budget: usize,
    checkpoint_every: u64,
    /// Track moments made and not sent yet (the page keeps the track).
    track: Vec<Moment>,
    next_sample: SimTime,
    sent: Sent,
    finish: Option<Finish>,
    /// A copy for questions about the past, restored from checkpoints.
    scratch: Option<Sim>,
    /// The finished run's state has moved to `scratch` (`sim` keeps its
    /// trace and counts): one copy of the state, not two.
    split: bool,
    /// The most events the run may take (`scenario::cost`).
    budget: u64,
}

impl Runner {
    /// A runner for `id` (whose scenario must be valid).
    pub fn new(id: RunId) -> Result<Runner, String> {
        let params = id.scenario.params().map_err(|e| e.to_string())?;
        let sim = Sim::new(&params, id.scenario.seed);
        let nodes = sim
            .nodes
            .iter()
            .map(|n| {
                let ens6 = n.ns.dev(n.ens6);
                NodeInfo {
                    ip: n.ip,
                    ens6_addr: ens6.and_then(|d| d.addrs.first().map(|a| a.addr)),
                    rp_filter: ens6.map(|d| n.ns.sysctl.rp_filter(d)).unwrap_or(0),
                    allowance: n.vpc.allowance,
                    linux_max: n.linux_ct.max,
                }
            })
            .collect::<Vec<_>>();
        let step = track_step(params.duration_s, nodes.len());
        let budget = crate::scenario::cost::estimate(&params).event_budget();
        let meta = RunMeta {
            id,
            end: sim.end(),
            params,
            nodes,
            track_step: step,
        };
        Ok(Runner {
            meta,
            checkpoints: Vec::new(),
            checkpoint_bytes: Vec::new(),
            checkpoint_budget: CHECKPOINT_BUDGET_BYTES,
            checkpoint_every: EVENTS_PER_CHECKPOINT,
            sim,
            track: Vec::new(),
            next_sample: SimTime::ZERO,
            sent: Sent::default(),
            finish: None,
            scratch: None,
            split: false,
            budget,
        })
    }

    /// What is known before the run.
    pub fn meta(&self) -> &RunMeta {
        &self.meta
    }

    /// The id.
    pub fn id(&self) -> &RunId {
        &self.meta.id
    }

    /// True once the run has ended.
    pub fn finished(&self) -> bool {
        self.finish.is_some()
    }

    /// How far the run has got.
    pub fn done_to(&self) -> SimTime {
        if self.finished() {
            self.sim.end()
        } else {
            self.sim.now()
        }
    }

    /// Bytes the checkpoints hold (estimated).
    pub fn checkpoint_bytes(&self) -> usize {
        self.checkpoint_bytes.iter().sum()
    }

    /// The most events the run may take: three times the estimate before
    /// it started (`scenario::cost::Cost::event_budget`).
    pub fn event_budget(&self) -> u64 {
        self.budget
    }

    /// A smaller checkpoint budget, for tests of the thinning.
    #[cfg(test)]
    pub(crate) fn set_checkpoint_budget(&mut self, bytes: usize) {
        self.checkpoint_budget = bytes;
    }

    /// Events done at each checkpoint held, oldest first.
    pub fn checkpoint_events(&self) -> Vec<u64> {
        self.checkpoints.iter().map(Checkpoint::events).collect()
    }

    /// Number of checkpoints held (the start's, made again when needed, not
    /// counted).
    pub fn checkpoints(&self) -> usize {
        self.checkpoints.len()
    }

    /// The run's simulation: its trace and counts (once the run has ended
    /// and been asked about, its state has moved to the copy for questions).
    pub fn sim(&self) -> &Sim {
        &self.sim
    }

    /// Runs up to about `max_events` events and [`SLICE_SPAN`] of simulated
    /// time; true once the run has ended.
    pub fn advance(&mut self, max_events: u64) -> bool {
        let start = self.sim.events();
        let end = self.sim.end();
        let until = SimTime(self.sim.now().micros().saturating_add(SLICE_SPAN.micros()));
        while !self.finished() && self.sim.events() - start < max_events && self.sim.now() < until {
            let target = self.next_sample.min(end);
            let left = max_events - (self.sim.events() - start);
            let reached = self.sim.run_until_bounded(target, left.min(20_000));
            if reached && target == end {
                // Events at exactly the end run too, as in `run_to_end`
                // (and `Sim::run_until` of the end, which `moment` uses).
                self.sim.run_to_end();
                if self.next_sample == end {
                    self.track.push(moment_of(&self.sim));
                }
                self.finish = Some(Finish {
                    summary: Summary::of(&self.sim),
                    digest: self.sim.digest(),
                    events: self.sim.events(),
                    worker: None,
                });
            } else if reached && self.sim.now() >= self.next_sample {
                self.track.push(moment_of(&self.sim));
                self.next_sample += self.meta.track_step;
            }
            self.maybe_checkpoint();
        }
        self.finished()
    }

    /// Events done at the last checkpoint (0: the start).
    fn last_checkpoint(&self) -> u64 {
        self.checkpoints.last().map_or(0, Checkpoint::events)
    }

    fn maybe_checkpoint(&mut self) {
        if self.finished() || self.sim.events() < self.last_checkpoint() + self.checkpoint_every {
            return;
        }
        let bytes = self.sim.approx_bytes();
        if bytes.saturating_mul(FEWEST_CHECKPOINTS) > self.checkpoint_budget {
            return; // questions re-run from the start
        }
        while self.checkpoint_bytes() + bytes > self.checkpoint_budget {
            // Keep every other one (the 2nd, 4th, …: evenly spaced from
            // the start at twice the interval).
            let mut k = 0;
            self.checkpoints.retain(|_| {
                k += 1;
                k % 2 == 0
            });
            let mut k = 0;
            self.checkpoint_bytes.retain(|_| {
                k += 1;
                k % 2 == 0
            });
            self.checkpoint_every *= 2;
        }
        if self.sim.events() >= self.last_checkpoint() + self.checkpoint_every {
            // Admitted by the state's unpacked size (an upper bound); kept
            // at what it holds.
            let cp = self.sim.checkpoint();
            self.checkpoint_bytes.push(cp.bytes());
            self.checkpoints.push(cp);
        }
    }

    /// Everything that became known since the last call.
    pub fn take_chunk(&mut self) -> Chunk {
        let finished = self.finished();
        let trace = &self.sim.trace;
        let settled = if finished {
            trace.packets.len()
        } else {
            let before = SimTime(
                self.sim
                    .now()
                    .micros()
                    .saturating_sub(PACKET_SETTLE.micros()),
            );
            trace.packets.partition_point(|p| p.sent < before)
        }
        .max(self.sent.packets);
        // The seconds closed since the last chunk, from the earliest closed
        // second changed since (a SYN counted in the second it was sent, a
        // gauge filled in from the start).
        let series_from = self
            .sim
            .metrics
            .take_changed_from()
            .map_or(self.sent.seconds, |c| c.min(self.sent.seconds));
        let c = Chunk {
            done_to: self.done_to(),
            events_done: self.sim.events(),
            series: self.sim.metrics.tail(series_from),
            events_from: self.sent.events,
            events: trace.events[self.sent.events..].to_vec(),
            packets_from: self.sent.packets,
            packets: trace.packets[self.sent.packets..settled].to_vec(),
            klog_from: self.sent.klog,
            klog: trace.kernel_log[self.sent.klog..].to_vec(),
            pods: self.sim.pods.iter().map(|p| p.info()).collect(),
            route53: self.sim.route53.versions.clone(),
            tracked_pod: self.sim.tracked_pod,
            track_from: self.sent.track,
            // The page keeps the track; here it is only waiting to be sent.
            track: std::mem::take(&mut self.track),
            finish: self.finish.clone(),
        };
        self.sent = Sent {
            seconds: self.sim.metrics.seconds(),
            events: trace.events.len(),
            packets: settled,
            klog: trace.kernel_log.len(),
            track: self.sent.track + c.track.len(),
        };
        c
    }

    /// A copy of the simulation at `t` (which must be known), restored from
    /// the nearest checkpoint at or before it (or made again from the start)
    /// and run forward; reused while questions move forward in time.
    fn scratch_at(&mut self, t: SimTime) -> &mut Sim {
        let t = t.min(self.sim.end());
        if self.finished() && !self.split {
            // The finished run's own state becomes the copy: nothing more is
            // run on it, and keeping both would hold the state twice.
            self.scratch = None;
            self.scratch = Some(self.sim.split_off_state());
            self.split = true;
        }
        let cp = self.checkpoints.iter().rev().find(|c| c.at <= t);
        let from = cp.map_or(SimTime::ZERO, |c| c.at);
        let reusable = self
            .scratch
            .as_ref()
            .is_some_and(|s| s.now() <= t && s.now() >= from);
        if !reusable {
            match (&mut self.scratch, cp) {
                (_, None) => {
                    // Drop the old copy before making the new one.
                    self.scratch = None;
                    let seed = self.meta.id.scenario.seed;
                    self.scratch = Some(Sim::new(&self.meta.params, seed));
                }
                (Some(s), Some(cp)) => {
                    // The copy's trace may be shorter or longer than the
                    // checkpoint's: make it exactly that.
                    cp.fill_trace(&self.sim.trace, &mut s.trace);
                    s.restore(cp);
                }
                (None, Some(cp)) => {
                    self.scratch = Some(Sim::from_checkpoint(cp, &self.sim.trace));
                }
            }
        }
        let s = self.scratch.as_mut().expect("set above");
        s.run_until(t);
        s
    }

    /// The exact state at `t` (`None` if the run has not got there yet).
    pub fn moment(&mut self, t: SimTime) -> Option<Moment> {
        if t > self.done_to() {
            return None;
        }
        Some(moment_of(self.scratch_at(t)))
    }

    /// The kernel step-through of sampled packet `id` on its node's
    /// namespace as it was when the packet arrived (`None` if the packet is
    /// not known yet or never reached a node's kernel).
    pub fn kernel_walk(&mut self, id: u32, toggles: Toggles) -> Option<KernelWalk> {
        let p = *self.sim.trace.packets.get(id as usize)?;
        if !kernel::reached_kernel(&p) || p.arrives > self.done_to() {
            return None;
        }
        let params = self.meta.params.clone();
        let s = self.scratch_at(p.arrives);
        let node = s.nodes.get(p.node as usize)?;
        let pod = s.pods.get(p.pod as usize).map(|q| q.info());
        Some(kernel::walk(
            &node.ns,
            node.ens6,
            &p,
            pod.as_ref(),
            &params,
            toggles,
        ))
    }

    /// The bytes of export `format` of the run up to `until`, as
    /// `incident-sim export --until` writes them (`None`: unknown format or
    /// not run that far yet).
    pub fn export(&mut self, format: &str, until: SimTime) -> Option<Vec<u8>> {
        if until > self.done_to() {
            return None;
        }
        let preset = self.meta.id.scenario.preset.clone();
        // Also at the end: the finished run's state is the copy's.
        self.scratch_at(until);
        let full = &self.sim.trace;
        let s = self.scratch.as_mut().expect("scratch_at makes it");
        if s.now() >= self.sim.end() {
            // At the end the copy's trace is the run's whole trace (the
            // split leaves it empty, a copy run to the end has it all).
            let to = &mut s.trace;
            to.fill_from(
                full,
                full.packets.len(),
                full.events.len(),
                full.kernel_log.len(),
            );
            to.recount();
            to.set_sample_state(full.sample_state());
        }
        crate::export::render(s, format, &preset)
    }
}
