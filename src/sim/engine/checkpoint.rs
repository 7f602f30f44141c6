//! Checkpoints: a copy of the simulation to seek back to, without the trace
//! (which only grows: a checkpoint keeps its lengths and cuts a later trace
//! back to them), and what a copy costs in bytes (the page keeps its
//! checkpoints within a byte budget: `run::runner`). The subchannels, the
//! largest part, are kept packed ([`PackedSubs`]).

use super::Sim;
use crate::sim::client::{CachedAnswer, Client, Sub};
use crate::sim::cluster::Pod;
use crate::sim::metrics::{Global, PerNode};
use crate::sim::time::SimTime;
use crate::sim::trace::Trace;

/// A saved state to seek back to (see [`Sim::checkpoint`]).
#[derive(Clone)]
pub struct Checkpoint {
    /// When it was taken.
    pub at: SimTime,
    packets: usize,
    events: usize,
    klog: usize,
    sampled_state: crate::sim::trace::SampleState,
    subs: PackedSubs,
    /// The state, but for the trace and the subchannels.
    sim: Sim,
}

/// Subchannels as bytes, every integer of variable length (bincode's varint
/// encoding): a subchannel's times and counters are mostly small or zero, so
/// at the incident's busiest one takes about 28 bytes instead of its 64 (a
/// cache line, for the run's speed), and the incident's checkpoints about
/// 1.6 MB less each.
#[derive(Clone)]
struct PackedSubs {
    bytes: Vec<u8>,
    len: usize,
}

impl PackedSubs {
    fn codec() -> impl bincode::Options {
        bincode::DefaultOptions::new()
    }

    fn pack(subs: &[Sub]) -> PackedSubs {
        use bincode::Options;
        let mut bytes = Vec::new();
        for s in subs {
            // Writing plain fields into a vector cannot fail.
            let _ = Self::codec().serialize_into(&mut bytes, s);
        }
        bytes.shrink_to_fit();
        PackedSubs {
            bytes,
            len: subs.len(),
        }
    }

    /// Makes `subs` hold the packed subchannels, in its own buffer.
    fn unpack_into(&self, subs: &mut Vec<Sub>) {
        use bincode::Options;
        subs.clear();
        subs.reserve(self.len);
        let mut rest = &self.bytes[..];
        while let Ok(s) = Self::codec().deserialize_from::<_, Sub>(&mut rest) {
            subs.push(s);
        }
        debug_assert_eq!(subs.len(), self.len, "every packed subchannel read back");
    }
}

impl Checkpoint {
    /// Events the run had done when it was taken.
    pub fn events(&self) -> u64 {
        self.sim.events_done
    }

    /// Heap bytes it holds, roughly.
    pub fn bytes(&self) -> usize {
        self.sim.approx_bytes() + self.subs.bytes.len()
    }

    /// Makes `trace` (a copy's, of any length) hold exactly the records the
    /// run's had here, copying from `full`, the run's whole trace, only
    /// those it lacks.
    pub fn fill_trace(&self, full: &Trace, trace: &mut Trace) {
        trace.fill_from(full, self.packets, self.events, self.klog);
    }

    /// Cuts a later trace of the same run back to what it held here.
    fn cut(&self, trace: &mut Trace) {
        trace.packets.truncate(self.packets);
        trace.events.truncate(self.events);
        trace.kernel_log.truncate(self.klog);
        trace.recount();
        trace.set_sample_state(self.sampled_state.clone());
    }
}

impl Sim {
    /// Heap bytes the state holds, roughly, without the trace: at most what
    /// a [`Checkpoint`] costs (the page keeps its checkpoints within a byte
    /// budget).
    pub fn approx_bytes(&self) -> usize {
        use std::mem::size_of;
        let clients: usize = self
            .clients
            .iter()
            .map(|c| size_of::<Client>() + c.subs.capacity() * 8)
            .sum();
        let pods: usize = self
            .pods
            .iter()
            .map(|p| {
                size_of::<Pod>() + (p.syn_per_sec.capacity() + p.established_per_sec.capacity()) * 4
            })
            .sum();
        let nodes: usize = self.nodes.iter().map(|n| n.approx_bytes()).sum();
        let nld: usize = self.nld.iter().map(|d| d.approx_bytes()).sum();
        let series = (self.metrics.seconds() + 1)
            * (Global::ALL.len() + self.metrics.nodes() * PerNode::ALL.len())
            * 8;
        let dns: usize = self
            .route53
            .versions
            .iter()
            .map(|v| 48 + v.pods.capacity() * 4)
            .sum();
        size_of::<Sim>()
            + self.subs.capacity() * size_of::<Sub>()
            + self.free_subs.capacity() * 4
            + clients
            + pods
            + nodes
            + nld
            + series
            + dns
            + self.client_dns.capacity() * size_of::<CachedAnswer>()
            + self.queue.approx_bytes()
    }

    /// A copy of the state at this instant for seeking back later. The trace
    /// only grows and the run is deterministic, so the copy leaves the trace's
    /// contents out and remembers their lengths.
    pub fn checkpoint(&self) -> Checkpoint {
        Checkpoint {
            at: self.now,
            packets: self.trace.packets.len(),
            events: self.trace.events.len(),
            klog: self.trace.kernel_log.len(),
            sampled_state: self.trace.sample_state(),
            subs: PackedSubs::pack(&self.subs),
            sim: self.clone_with(Vec::new()),
        }
    }

    /// A copy of the state without the trace, with `subs` for subchannels.
    fn clone_with(&self, subs: Vec<Sub>) -> Sim {
        let trace = self.trace.empty_like();
        Sim {
            p: self.p.clone(),
            seed: self.seed,
            version: self.version,
            now: self.now,
            end: self.end,
            queue: self.queue.clone(),
            events_done: self.events_done,
            digest: self.digest,
            nodes: self.nodes.clone(),
            pods: self.pods.clone(),
            clients: self.clients.clone(),
            subs,
            free_subs: self.free_subs.clone(),
            route53: self.route53.clone(),
            client_dns: self.client_dns.clone(),
            nld: self.nld.clone(),
            rng_cluster: self.rng_cluster.clone(),
            rng_net: self.rng_net.clone(),
            metrics: self.metrics.clone(),
            trace,
            totals: self.totals.clone(),
            rollout_done: self.rollout_done,
            ready_subs: self.ready_subs,
            stale_subs: self.stale_subs,
            tracked_pod: self.tracked_pod,
            syn_retx_ms: self.syn_retx_ms.clone(),
            dns_batch: Vec::new(),
            reconnects_fold: self.reconnects_fold,
            warmed_slot: self.warmed_slot,
        }
    }

    /// Goes back to a checkpoint taken from this run (same scenario and
    /// seed): the state is the checkpoint's, the trace is cut back to what it
    /// held then; running forward regenerates the rest identically.
    ///
    /// Field by field into this copy's own buffers: a new copy beside the
    /// old one would double the state for a moment, and a browser's wasm
    /// memory never shrinks back from a peak.
    pub fn restore(&mut self, cp: &Checkpoint) {
        cp.cut(&mut self.trace);
        // Every field named, so that a new one cannot be forgotten here.
        let Sim {
            p,
            seed,
            version,
            now,
            end,
            queue,
            events_done,
            digest,
            nodes,
            pods,
            clients,
            subs: _,
            free_subs,
            route53,
            client_dns,
            nld,
            rng_cluster,
            rng_net,
            metrics,
            trace: _,
            totals,
            rollout_done,
            ready_subs,
            stale_subs,
            tracked_pod,
            syn_retx_ms,
            dns_batch: _,
            reconnects_fold,
            warmed_slot,
        } = &cp.sim;
        self.p.clone_from(p);
        self.seed = *seed;
        self.version = *version;
        self.now = *now;
        self.end = *end;
        self.queue.clone_from(queue);
        self.events_done = *events_done;
        self.digest = *digest;
        self.nodes.clone_from(nodes);
        self.pods.clone_from(pods);
        self.clients.clone_from(clients);
        cp.subs.unpack_into(&mut self.subs);
        self.free_subs.clone_from(free_subs);
        self.route53.clone_from(route53);
        self.client_dns.clone_from(client_dns);
        self.nld.clone_from(nld);
        self.rng_cluster.clone_from(rng_cluster);
        self.rng_net.clone_from(rng_net);
        self.metrics.clone_from(metrics);
        self.totals.clone_from(totals);
        self.rollout_done = *rollout_done;
        self.ready_subs = *ready_subs;
        self.stale_subs = *stale_subs;
        self.tracked_pod = *tracked_pod;
        self.syn_retx_ms.clone_from(syn_retx_ms);
        self.dns_batch.clear();
        self.reconnects_fold = *reconnects_fold;
        self.warmed_slot = *warmed_slot;
    }

    /// Moves this finished run's state out into a simulation of its own,
    /// leaving here only the trace, the clock and the counts: the runner's
    /// copy for questions about the past, made without copying the state
    /// (see `run::Runner`). The copy's trace is empty, with the same caps:
    /// whoever needs it fills it from this one ([`Checkpoint::fill_trace`],
    /// or the whole of it for an export at the end), so that a question
    /// about a moment does not copy every record first.
    pub fn split_off_state(&mut self) -> Sim {
        let trace = self.trace.empty_like();
        use std::mem::take;
        Sim {
            p: self.p.clone(),
            seed: self.seed,
            version: self.version,
            now: self.now,
            end: self.end,
            queue: take(&mut self.queue),
            events_done: self.events_done,
            digest: self.digest,
            nodes: take(&mut self.nodes),
            pods: take(&mut self.pods),
            clients: take(&mut self.clients),
            subs: take(&mut self.subs),
            free_subs: take(&mut self.free_subs),
            route53: self.route53.clone(),
            client_dns: take(&mut self.client_dns),
            nld: take(&mut self.nld),
            rng_cluster: self.rng_cluster.clone(),
            rng_net: self.rng_net.clone(),
            metrics: take(&mut self.metrics),
            trace,
            totals: self.totals.clone(),
            rollout_done: self.rollout_done,
            ready_subs: self.ready_subs,
            stale_subs: self.stale_subs,
            tracked_pod: self.tracked_pod,
            syn_retx_ms: take(&mut self.syn_retx_ms),
            dns_batch: Vec::new(),
            reconnects_fold: self.reconnects_fold,
            warmed_slot: self.warmed_slot,
        }
    }

    /// The run as it was at `cp`, its trace the part of `trace` (the run's
    /// own, from later) recorded by then: [`Sim::restore`] without first
    /// copying the whole later run.
    pub fn from_checkpoint(cp: &Checkpoint, trace: &Trace) -> Sim {
        let mut trace = trace.prefix(cp.packets, cp.events, cp.klog);
        cp.cut(&mut trace);
        let mut subs = Vec::new();
        cp.subs.unpack_into(&mut subs);
        let mut s = cp.sim.clone_with(subs);
        s.trace = trace;
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// In the storm, packed subchannels read back field for field, and
    /// take well under half their size in memory.
    #[test]
    fn packed_subchannels_read_back_unchanged_and_smaller() {
        let p = crate::scenario::Scenario::preset("incident")
            .params()
            .expect("the incident preset is valid");
        let mut sim = Sim::new(&p, 1);
        sim.run_until(SimTime::from_secs(200));
        let packed = PackedSubs::pack(&sim.subs);
        let mut back = vec![sim.subs[0].clone()];
        packed.unpack_into(&mut back);
        assert_eq!(back.len(), sim.subs.len());
        for (a, b) in sim.subs.iter().zip(&back) {
            assert_eq!(format!("{a:?}"), format!("{b:?}"));
        }
        let unpacked = sim.subs.len() * std::mem::size_of::<Sub>();
        assert!(
            packed.bytes.len() * 2 < unpacked,
            "{} bytes packed, {unpacked} unpacked",
            packed.bytes.len()
        );
    }
}
