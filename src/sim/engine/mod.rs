//! The simulation: state of the whole system, the event loop and its driver API.
//!
//! `Sim::new` builds the cluster in its steady state (every client connected
//! to every replica); `step`/`run_until` pop events in `(time, seq)` order and
//! hand each, through the wiring (`sim/wiring/`: the `impl Sim` blocks
//! that find the state an event concerns and build the narrow context), to
//! the module that models it:
//! [`super::cluster`] (rollout, Cilium, external-dns, Route 53),
//! [`super::client`] (gRPC channels, backoff, resolver),
//! [`super::fabric`] (packets through the VPC and the node's kernel),
//! [`super::nodelocal`] (NodeLocal DNSCache and the service's users).
//!
//! Here too, as parts of the engine: `checkpoint.rs` (copies of the world
//! to seek back to) and [`summary`] (the world's figures at the end).

use super::client::{CachedAnswer, Client, Sub};
use super::cluster::{Pod, Route53};
use super::event::Ev;
use super::linux::KernelVersion;
use super::metrics::{Global, Metrics, PerNode};
use super::node::Node;
use super::nodelocal::NodeLocalDns;
use super::params::Params;
use super::queue::EventQueue;
use super::rng::SimRng;
use super::time::{SimDuration, SimTime};
use super::trace::Trace;

mod checkpoint;
pub mod summary;

pub use super::totals::{MeanAcc, Totals};
pub use checkpoint::Checkpoint;

/// The whole simulated system.
#[derive(Clone)]
pub struct Sim {
    /// Parameters of this run.
    pub p: Params,
    /// Root seed.
    pub seed: u64,
    pub(crate) version: KernelVersion,
    pub(crate) now: SimTime,
    pub(super) end: SimTime,
    pub(crate) queue: EventQueue<Ev>,
    pub(super) events_done: u64,
    pub(super) digest: u64,
    /// Service nodes.
    pub nodes: Vec<Node>,
    /// Every pod that ever existed.
    pub pods: Vec<Pod>,
    /// gRPC clients.
    pub clients: Vec<Client>,
    pub(crate) subs: Vec<Sub>,
    pub(crate) free_subs: Vec<u32>,
    /// Route 53 record history.
    pub route53: Route53,
    /// The client nodes' DNS caches for the service name.
    pub client_dns: Vec<CachedAnswer>,
    /// node-local-dns per node.
    pub nld: Vec<NodeLocalDns>,
    pub(crate) rng_cluster: SimRng,
    pub(crate) rng_net: SimRng,
    /// Per-second series.
    pub metrics: Metrics,
    /// Sampled packets, notable events, kernel log.
    pub trace: Trace,
    /// Run totals.
    pub totals: Totals,
    pub(crate) rollout_done: bool,
    pub(crate) ready_subs: u64,
    pub(crate) stale_subs: u64,
    /// The pod whose IP the flow-log chart follows (the first to terminate).
    pub tracked_pod: Option<u32>,
    pub(crate) syn_retx_ms: Vec<u64>,
    /// The users' new DNS lookups of the current tick, (node, name): kept
    /// between ticks so that its buffer is reused.
    pub(crate) dns_batch: Vec<(u16, u32)>,
    /// Whether the parameters let timed-out attempts' backoffs run on to
    /// the next SYN's arrival (see `Sim::reconnect_folds`).
    pub(crate) reconnects_fold: bool,
    /// The queue slot whose events' subchannels were last read ahead
    /// (see `Sim::warm_subchannels`).
    pub(super) warmed_slot: u64,
}

impl Sim {
    /// Builds the cluster in steady state. Parameters must be valid
    /// (`scenario::validate`); a bad kernel string falls back to 5.10.
    pub fn new(p: &Params, seed: u64) -> Sim {
        let version: KernelVersion = p.kernel.parse().unwrap_or(KernelVersion::V5_10);
        let nodes: Vec<Node> = (0..p.service_nodes as u16)
            .map(|i| Node::new(i, p, version))
            .collect();
        let n_nodes = nodes.len();
        let mut sim = Sim {
            p: p.clone(),
            seed,
            version,
            now: SimTime::ZERO,
            end: SimTime::from_secs(p.duration_s),
            queue: EventQueue::new(),
            events_done: 0,
            digest: 0xcbf2_9ce4_8422_2325,
            nodes,
            pods: Vec::new(),
            clients: Vec::new(),
            subs: Vec::new(),
            free_subs: Vec::new(),
            route53: Route53::default(),
            client_dns: Vec::new(),
            nld: (0..n_nodes)
                .map(|i| {
                    NodeLocalDns::with_ports(
                        p,
                        SimRng::stream(seed, "nodelocal", i as u64),
                        SimRng::stream(seed, "nodelocal-evict", i as u64),
                        SimRng::stream(seed, "nodelocal-arrivals", i as u64),
                        SimRng::stream(seed, "nodelocal-ports", i as u64),
                    )
                })
                .collect(),
            rng_cluster: SimRng::stream(seed, "cluster", 0),
            rng_net: SimRng::stream(seed, "net", 0),
            metrics: Metrics::new(n_nodes),
            trace: Trace::new(p.trace_per_second_cap),
            totals: Totals::default(),
            rollout_done: false,
            ready_subs: 0,
            stale_subs: 0,
            tracked_pod: None,
            syn_retx_ms: version.syn_retransmit_offsets_ms(),
            dns_batch: Vec::new(),
            reconnects_fold: false,
            warmed_slot: u64::MAX,
        };
        sim.reconnects_fold = sim.params_fold_reconnects();
        // Every second's tick is queued first, so it sorts before anything
        // else at its instant: an event at exactly k s then counts in
        // second k, as its trace record says, and the gauges closing
        // second k-1 see the state before it.
        for s in 1..=p.duration_s {
            sim.queue.push(SimTime::from_secs(s), Ev::Second);
        }
        sim.init_cluster();
        sim.init_clients();
        if p.rollout {
            sim.queue
                .push(SimTime::from_secs(p.rollout_start_s), Ev::RolloutBegin);
        }
        let phase = sim
            .rng_cluster
            .below(p.external_dns_interval_s.max(1) * 1_000_000);
        sim.queue.push(SimTime(phase), Ev::ExternalDnsSync);
        sim.queue.push(SimTime::from_millis(10), Ev::DnsTick);
        sim
    }

    /// Current simulated time.
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// When the run ends.
    pub fn end(&self) -> SimTime {
        self.end
    }

    /// Folds timed-out and refused attempts' reconnects into the next SYN's
    /// arrival where the parameters allow it (`on`, the default), or never.
    /// A speed-up only: it changes no figure (`tests/engine.rs` runs both
    /// ways). Set it before the run starts.
    pub fn set_folding(&mut self, on: bool) {
        debug_assert_eq!(self.events_done, 0, "folding is chosen before the run");
        self.reconnects_fold = on && self.params_fold_reconnects();
    }

    /// Events processed so far.
    pub fn events(&self) -> u64 {
        self.events_done
    }

    /// Events waiting in the queue.
    pub fn pending_events(&self) -> usize {
        self.queue.len()
    }

    /// The kernel version modelled.
    pub fn kernel(&self) -> KernelVersion {
        self.version
    }

    /// A digest of every event processed (time, sequence, kind): equal
    /// digests mean identical runs.
    pub fn digest(&self) -> u64 {
        self.digest
    }

    /// True once every event up to the end time has run.
    pub fn finished(&mut self) -> bool {
        match self.queue.peek_time() {
            Some(at) => at > self.end,
            None => true,
        }
    }

    pub(crate) fn schedule(&mut self, after: SimDuration, ev: Ev) {
        self.queue.push(self.now + after, ev);
    }

    pub(crate) fn schedule_at(&mut self, at: SimTime, ev: Ev) {
        self.queue.push(at.max(self.now), ev);
    }

    fn mix(&mut self, x: u64) {
        self.digest ^= x;
        self.digest = self.digest.wrapping_mul(0x0000_0100_0000_01b3);
    }

    /// Processes the next event if it is before the end; false when done.
    pub fn step(&mut self) -> bool {
        let Some((at, seq, ev)) = self.queue.pop_until(self.end) else {
            if self.queue.peek_time().is_some() {
                // The next event is after the end.
                self.now = self.end;
            }
            return false;
        };
        if at == self.end && !matches!(ev, Ev::Second) {
            // The run is [0, end): at the end only the last second's tick
            // runs (first at its instant), closing the last second; what
            // would happen after it would count in a second no series has.
            self.now = self.end;
            return false;
        }
        // Once per slot, whichever call loaded it (`run_until` peeks first).
        if self.queue.slot() != self.warmed_slot {
            self.warmed_slot = self.queue.slot();
            self.warm_subchannels();
        }
        self.now = at;
        self.events_done += 1;
        self.mix(at.micros() ^ (seq << 20));
        self.dispatch(ev);
        true
    }

    /// Runs every event before `t` (clamped to the end) and sets the clock to `t`.
    pub fn run_until(&mut self, t: SimTime) {
        let t = t.min(self.end);
        while let Some(at) = self.queue.peek_time() {
            if at >= t && !(t == self.end && at == t) {
                break;
            }
            if !self.step() {
                break;
            }
        }
        if t > self.now {
            self.now = t;
        }
    }

    /// Runs at most `max_events` events before `t`; returns true if `t` was reached.
    pub fn run_until_bounded(&mut self, t: SimTime, max_events: u64) -> bool {
        let t = t.min(self.end);
        for _ in 0..max_events {
            match self.queue.peek_time() {
                Some(at) if at < t => {
                    if !self.step() {
                        return true;
                    }
                }
                _ => {
                    if t > self.now {
                        self.now = t;
                    }
                    return true;
                }
            }
        }
        false
    }

    /// Runs to the end.
    pub fn run_to_end(&mut self) {
        while self.step() {}
        self.now = self.end;
    }

    /// Runs at most `max_events` more events towards the end; returns true
    /// once the run is over (the same run as [`Sim::run_to_end`], in chunks
    /// a caller can stop between, e.g. on Ctrl-C or past a budget).
    pub fn run_to_end_bounded(&mut self, max_events: u64) -> bool {
        for _ in 0..max_events {
            if !self.step() {
                self.now = self.end;
                return true;
            }
        }
        false
    }

    /// Reads the subchannel of every event in the slot just loaded, before
    /// any of them runs, and has the CPU fetch those of the events already
    /// scheduled in the next two slots. Most events touch one of tens of
    /// thousands of subchannels at random, which are rarely in cache; these
    /// reads are independent of each other, so the CPU overlaps their misses
    /// instead of taking them one by one as the events run, and the
    /// prefetches (which do not wait) make most of the next slots' reads
    /// hits.
    fn warm_subchannels(&self) {
        let mut acc = 0u32;
        for ev in self.queue.current_events() {
            if let Some(s) = ev.sub().and_then(|sub| self.subs.get(sub as usize)) {
                acc = acc.wrapping_add(s.gen);
            }
        }
        std::hint::black_box(acc);
        // Only where a prefetch does something (see `super::prefetch`).
        if cfg!(target_arch = "x86_64") {
            for ahead in 1..=2 {
                for ev in self.queue.slot_events(ahead) {
                    if let Some(s) = ev.sub().and_then(|sub| self.subs.get(sub as usize)) {
                        super::prefetch::prefetch(s);
                    }
                }
            }
        }
    }

    fn dispatch(&mut self, ev: Ev) {
        match ev {
            Ev::RolloutBegin => self.on_rollout_begin(),
            Ev::PodReady(p) => self.on_pod_ready(p),
            Ev::PodTerminate(p) => self.on_pod_terminate(p),
            Ev::PodDeleted(p) => self.on_pod_deleted(p),
            Ev::ExternalDnsSync => self.on_external_dns_sync(),
            Ev::GoAway { sub, gen } => self.on_goaway(sub, gen),
            Ev::SynArrive {
                sub,
                gen,
                n,
                sample,
            } => self.on_syn_arrive(sub, gen, n, sample),
            Ev::SynRetransmit { sub, gen, n } => self.on_syn_retransmit(sub, gen, n),
            Ev::Reply { sub, gen, kind } => self.on_reply(sub, gen, kind),
            Ev::DialDeadline { sub, gen } => self.on_dial_deadline(sub, gen),
            Ev::BackoffDone { sub, gen } => self.on_backoff_done(sub, gen),
            Ev::Reconnect { sub, gen } => self.on_reconnect(sub, gen),
            Ev::IdleRpc { sub, gen } => self.on_idle_rpc(sub, gen),
            Ev::Resolve { client } => self.on_resolve(client),
            Ev::DnsTick => self.on_dns_tick(),
            Ev::NldRetry { node, slot } => self.on_nld_retry(node, slot),
            Ev::Second => self.on_second(),
        }
    }

    fn on_second(&mut self) {
        let now = self.now;
        for (i, n) in self.nodes.iter_mut().enumerate() {
            let v = n.vpc.count(now) as f64;
            let l = n.linux_ct.count(now) as f64;
            self.metrics.gauge_node(i, PerNode::VpcConntrack, v);
            self.metrics.gauge_node(i, PerNode::LinuxConntrack, l);
        }
        self.metrics
            .gauge(Global::ReadySubchannels, self.ready_subs as f64);
        self.metrics
            .gauge(Global::StaleSubchannels, self.stale_subs as f64);
        let ready = self.pods.iter().filter(|p| p.serving()).count();
        self.metrics.gauge(Global::ReadyPods, ready as f64);
        match self.tracked_pod {
            Some(tp) => {
                let est = f64::from(self.pods[tp as usize].ready_subs);
                self.metrics.gauge(Global::FlowLogEstablished, est);
            }
            None => self.record_established_per_old_pod(),
        }
        self.nld_second();
        self.metrics.roll();
    }

    /// Channels currently pointing at a deleted pod's IP.
    pub fn stale_subs_now(&self) -> u64 {
        self.stale_subs
    }

    /// Subchannel slots in use (including free ones awaiting reuse).
    pub fn subs_len(&self) -> usize {
        self.subs.len() - self.free_subs.len()
    }

    /// Before any pod terminates, which old pod the flow-log chart will
    /// follow is not known yet: every old pod keeps its own count.
    fn record_established_per_old_pod(&mut self) {
        for p in &mut self.pods {
            if p.revision == 0 {
                p.established_per_sec.push(p.ready_subs);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario;

    /// The per-pod count of READY subchannels (what the flow-log chart
    /// plots each second) is kept up to date at every change, so it must
    /// equal a count over every client's subchannels at any time.
    #[test]
    fn ready_counts_per_pod_match_the_subchannels() {
        let p = scenario::Scenario::preset("incident")
            .params()
            .expect("the incident preset is valid");
        let mut sim = Sim::new(&p, 3);
        for t in [1, 90, 150, 200, 260, 400] {
            sim.run_until(SimTime::from_secs(t));
            let mut counts = vec![0u32; sim.pods.len()];
            for c in &sim.clients {
                for &(pod, sub) in &c.subs {
                    if sim.subs[sub as usize].is_ready() {
                        counts[pod as usize] += 1;
                    }
                }
            }
            let kept: Vec<u32> = sim.pods.iter().map(|p| p.ready_subs).collect();
            assert_eq!(kept, counts, "at {t} s");
            assert_eq!(u64::from(counts.iter().sum::<u32>()), sim.ready_subs);
        }
    }

    /// One pick_first channel over every address holds one subchannel,
    /// from the start (it once began with one to every pod, as round robin
    /// does, and the rollout's GOAWAYs then woke them all) and through the
    /// rollout.
    #[test]
    fn one_pick_first_channel_holds_one_subchannel() {
        let sc = scenario::Scenario {
            set: vec![
                ("lb_policy".into(), "pick_first".into()),
                ("channel_per_backend".into(), "false".into()),
            ],
            ..scenario::Scenario::preset("incident")
        };
        let p = sc.params().expect("valid");
        let mut sim = Sim::new(&p, 3);
        for t in [0, 1, 150, 200, 400, 900] {
            sim.run_until(SimTime::from_secs(t));
            let most = sim.clients.iter().map(|c| c.subs.len()).max();
            assert_eq!(most, Some(1), "at {t} s");
        }
        assert_eq!(sim.ready_subs, u64::from(p.clients), "all reconnected");
    }
}
