//! The page's record of a run: everything it draws, as plain data, built up
//! from the worker's [`Chunk`]s as the run goes and complete once it ends.

use crate::scenario::Scenario;
use crate::sim::cluster::{DnsVersion, PodInfo};
use crate::sim::metrics::{Metrics, SeriesTail};
use crate::sim::params::Params;
use crate::sim::summary::Summary;
use crate::sim::time::{SimDuration, SimTime};
use crate::sim::trace::{EventRecord, KernelLogLine, PacketRecord};
use serde::{Deserialize, Serialize};
use std::net::Ipv4Addr;

/// Which run a message belongs to: a generation the page counts up on every
/// change, and the scenario itself. A message whose id is not the page's
/// current one is dropped unread, so nothing of a superseded run is drawn.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunId {
    /// Counts up with every run the page starts.
    pub gen: u32,
    /// The scenario run.
    pub scenario: Scenario,
}

/// A node as the page draws it: what does not change during a run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeInfo {
    /// ens5's address.
    pub ip: Ipv4Addr,
    /// ens6's address, if the scenario gives it one.
    pub ens6_addr: Option<Ipv4Addr>,
    /// Effective rp_filter on ens6 (max of `all` and `ens6`).
    pub rp_filter: i32,
    /// The VPC conntrack allowance.
    pub allowance: u64,
    /// `nf_conntrack_max`.
    pub linux_max: u64,
}

/// One node at one moment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeMoment {
    /// VPC conntrack entries.
    pub vpc: u64,
    /// Linux conntrack entries.
    pub linux: u64,
    /// node-local-dns queries in flight upstream.
    pub nld_inflight: u32,
    /// node-local-dns has marked its upstream down.
    pub nld_down: bool,
}

/// The state the topology shows at one moment (the rest of a moment, the
/// pods' phases and Route 53, follows from the record's timelines).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Moment {
    /// The moment: the state after every event before it.
    pub at: SimTime,
    /// Per node.
    pub nodes: Vec<NodeMoment>,
    /// Subchannels pointing at a deleted pod's IP.
    pub stale_subs: u64,
    /// Subchannels in use.
    pub subs: u64,
}

/// What is known of a run before it runs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunMeta {
    /// Its id.
    pub id: RunId,
    /// Its parameters.
    pub params: Params,
    /// When it ends.
    pub end: SimTime,
    /// The nodes.
    pub nodes: Vec<NodeInfo>,
    /// The moment track's step.
    pub track_step: SimDuration,
}

/// The end of a run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Finish {
    /// The run's figures.
    pub summary: Summary,
    /// The trace digest (equal digests: identical runs).
    pub digest: u64,
    /// Events processed.
    pub events: u64,
    /// How the browser's worker did (filled in by `ui::worker`; `None`
    /// natively): for the page's benchmarks.
    #[serde(default)]
    pub worker: Option<WorkerStats>,
}

/// A browser worker's own figures for one run, measured in the worker.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct WorkerStats {
    /// From the worker reading the run's request to its last slice, ms.
    pub run_ms: f64,
    /// The worker's wasm memory when the run ended, bytes (a wasm memory
    /// never shrinks: this is its peak so far).
    pub wasm_bytes: u64,
}

/// What became known of a run since the last chunk. Lists carry the index
/// of their first element (`*_from`): the page truncates its copy there and
/// appends, so a resent overlap (series seconds that can still change)
/// replaces what it had.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Chunk {
    /// The run is known up to here.
    pub done_to: SimTime,
    /// Events processed so far.
    pub events_done: u64,
    /// Per-second series.
    pub series: SeriesTail,
    /// Index of `events[0]`.
    pub events_from: usize,
    /// Notable events.
    pub events: Vec<EventRecord>,
    /// Index of `packets[0]`.
    pub packets_from: usize,
    /// Sampled packets, with their final fates.
    pub packets: Vec<PacketRecord>,
    /// Index of `klog[0]`.
    pub klog_from: usize,
    /// Kernel log lines.
    pub klog: Vec<KernelLogLine>,
    /// Every pod so far.
    pub pods: Vec<PodInfo>,
    /// Route 53's versions so far.
    pub route53: Vec<DnsVersion>,
    /// The pod the flow-log chart follows.
    pub tracked_pod: Option<u32>,
    /// Index of `track[0]`.
    pub track_from: usize,
    /// Moments, one per track step.
    pub track: Vec<Moment>,
    /// Set on the last chunk.
    pub finish: Option<Finish>,
}

/// The page's record of one run.
#[derive(Clone, Debug)]
pub struct RunRecord {
    /// What was known before it ran.
    pub meta: RunMeta,
    /// How far the run is known.
    pub done_to: SimTime,
    /// Events processed so far.
    pub events_done: u64,
    /// Per-second series.
    pub series: Metrics,
    /// Notable events.
    pub events: Vec<EventRecord>,
    /// Sampled packets (final fates).
    pub packets: Vec<PacketRecord>,
    /// Kernel log lines.
    pub klog: Vec<KernelLogLine>,
    /// Every pod.
    pub pods: Vec<PodInfo>,
    /// Route 53's versions.
    pub route53: Vec<DnsVersion>,
    /// The pod the flow-log chart follows.
    pub tracked_pod: Option<u32>,
    /// Moments every `meta.track_step`, from 0.
    pub track: Vec<Moment>,
    /// Set once the run has ended.
    pub finish: Option<Finish>,
}

fn splice<T>(v: &mut Vec<T>, from: usize, add: Vec<T>) {
    v.truncate(from);
    crate::sim::growth::reserve_by_half(v, add.len());
    v.extend(add);
}

impl RunRecord {
    /// An empty record of the run `meta` describes.
    pub fn new(meta: RunMeta) -> RunRecord {
        let nodes = meta.nodes.len();
        RunRecord {
            meta,
            done_to: SimTime::ZERO,
            events_done: 0,
            series: Metrics::new(nodes),
            events: Vec::new(),
            packets: Vec::new(),
            klog: Vec::new(),
            pods: Vec::new(),
            route53: Vec::new(),
            tracked_pod: None,
            track: Vec::new(),
            finish: None,
        }
    }

    /// Adds what a chunk brings.
    pub fn apply(&mut self, c: Chunk) {
        self.done_to = self.done_to.max(c.done_to);
        self.events_done = c.events_done;
        self.series.apply_tail(&c.series);
        splice(&mut self.events, c.events_from, c.events);
        if self.packets.capacity() == 0 && !c.packets.is_empty() {
            // As the trace does (`Trace::store`): room for the cap at once,
            // memory only as packets arrive, and no copy as they do.
            self.packets.reserve_exact(crate::sim::trace::MAX_PACKETS);
        }
        splice(&mut self.packets, c.packets_from, c.packets);
        splice(&mut self.klog, c.klog_from, c.klog);
        splice(&mut self.track, c.track_from, c.track);
        self.pods = c.pods;
        self.route53 = c.route53;
        self.tracked_pod = c.tracked_pod;
        if c.finish.is_some() {
            self.finish = c.finish;
        }
    }

    /// The run's id.
    pub fn id(&self) -> &RunId {
        &self.meta.id
    }

    /// Its parameters.
    pub fn params(&self) -> &Params {
        &self.meta.params
    }

    /// When it ends.
    pub fn end(&self) -> SimTime {
        self.meta.end
    }

    /// True once the whole run is known.
    pub fn finished(&self) -> bool {
        self.finish.is_some()
    }

    /// How much of the run is known, 0..=1.
    pub fn progress(&self) -> f64 {
        if self.finished() {
            1.0
        } else {
            self.done_to.as_secs_f64() / self.end().as_secs_f64().max(1e-9)
        }
    }

    /// The track's moment at or before `t`, if known.
    pub fn tracked_moment(&self, t: SimTime) -> Option<&Moment> {
        let step = self.meta.track_step.micros().max(1);
        let k = (t.micros() / step) as usize;
        self.track
            .get(k)
            .or_else(|| self.track.last().filter(|m| m.at <= t))
    }

    /// The explanations' view of the run.
    pub fn facts(&self) -> crate::explain::RunFacts<'_> {
        crate::explain::RunFacts {
            params: &self.meta.params,
            pods: &self.pods,
            route53: &self.route53,
            events: &self.events,
        }
    }

    /// A sampled packet.
    pub fn packet(&self, id: u32) -> Option<&PacketRecord> {
        self.packets.get(id as usize)
    }

    /// Index of the first packet sent at or after `t` (packets are in
    /// order of sending).
    pub fn first_packet_at_or_after(&self, t: SimTime) -> usize {
        self.packets.partition_point(|p| p.sent < t)
    }

    /// The Route 53 version resolvers get at `t` (its index), and how many
    /// newer ones are still propagating.
    pub fn route53_at(&self, t: SimTime) -> (Option<&DnsVersion>, usize) {
        let visible = self.route53.iter().rposition(|v| v.visible <= t);
        let written = self.route53.iter().filter(|v| v.at <= t).count();
        let pending = written.saturating_sub(visible.map_or(0, |i| i + 1));
        (visible.and_then(|i| self.route53.get(i)), pending)
    }

    /// The latest sampled SYN sent before `before` to a pod's IP after the
    /// pod was deleted that the node's reverse-path filter dropped: the
    /// moment the story header shows ("Show me the moment").
    pub fn rp_filter_drop_to_deleted_pod(&self, before: SimTime) -> Option<&PacketRecord> {
        let upto = self.first_packet_at_or_after(before);
        self.packets[..upto].iter().rev().find(|p| {
            matches!(p.fate, crate::sim::trace::Fate::RpFilter { .. })
                && crate::explain::kernel::reached_kernel(p)
                && self.to_deleted_pod(p)
        })
    }

    /// True if `p` reached its node after its pod was deleted.
    fn to_deleted_pod(&self, p: &PacketRecord) -> bool {
        self.pods
            .get(p.pod as usize)
            .and_then(|q| q.deleted_at)
            .is_some_and(|d| d <= p.arrives)
    }

    /// The latest sampled SYN sent at or before `t` to a pod's IP after the
    /// pod was deleted, among those that reached the node's kernel (not
    /// dropped by the VPC first); failing that, the first such SYN of the
    /// run. Where the kernel step-through starts when nothing is selected.
    pub fn syn_to_deleted_pod(&self, t: SimTime) -> Option<&PacketRecord> {
        let wanted =
            |p: &&PacketRecord| crate::explain::kernel::reached_kernel(p) && self.to_deleted_pod(p);
        let upto = self.first_packet_at_or_after(SimTime(t.micros() + 1));
        self.packets[..upto]
            .iter()
            .rev()
            .find(wanted)
            .or_else(|| self.packets[upto..].iter().find(wanted))
    }
}
