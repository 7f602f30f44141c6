//! NodeLocal DNSCache on each service node, and the service's users.
//!
//! node-local-dns is CoreDNS (facts.md §3): a cache (success entries capped
//! at 9984, evicted at random when full), and `forward` to cluster DNS over
//! TCP (`force_tcp`) with `max_concurrent`, a 5 s overall deadline per query,
//! cached upstream connections reused last-in-first-out and dropped after
//! `expire` (10 s) of idleness, and UDP health checks whose failures mark the
//! upstream down after `max_fails`. A query that needs a new upstream
//! connection when the instance's VPC conntrack is full cannot connect: it
//! dials again every dial timeout until its deadline, holding its
//! `max_concurrent` slot (the post's "we reach the limit with only 200
//! queries per second").
//!
//! Cluster DNS (CoreDNS before 1.10.1) closes each TCP connection after 128
//! queries, miekg/dns's default `MaxTCPQueries` (CoreDNS PR #5784 lifted it in
//! 1.10.1), so node-local-dns opens a new upstream connection — a new flow
//! for the VPC — every 128 forwarded queries, about twice a second per node.
//!
//! The service's pods resolve a data-store name for each user request
//! (`dns_qps_per_node` at baseline). A failed lookup is retried by the stub
//! resolver (`attempts`), a failed request by the client (`request_retries`);
//! the users' latency is the whole span, retries included.
//!
//! Memory (for the OOM kills the post saw at 64 MB) is an estimate, an
//! assumption stated here: 20 MB baseline, 1 KB per cache entry, 40 KB per
//! query in flight upstream (goroutine, buffers, TCP connection state).
//!
//! Here the instance and its cache; the users' lookups in `users.rs`, the
//! forwarding to cluster DNS in `upstream.rs`, health checks, OOM kills and
//! the per-second bookkeeping in `health.rs`.
//!
//! The handlers are methods on [`NodeLocalDns`] that take the narrow
//! context (`Ctx`) and the node it runs on (`Host`), not the world:
//! node-local-dns touches nothing else (it draws from its own streams,
//! never from the context's). The engine's wiring (`sim/wiring/nodelocal.rs`)
//! only dispatches its events to them.

mod health;
#[cfg(test)]
mod tests;
mod upstream;
mod users;

pub(in crate::sim) use users::tick as users_tick;

use super::node::Node;
use super::params::Params;
use super::ports::{self, EphemeralPorts};
use super::rng::SimRng;
use super::time::{SimDuration, SimTime};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::net::Ipv4Addr;

/// The cluster DNS service address node-local-dns forwards to (the
/// `kube-dns-upstream` ClusterIP; the value itself is illustrative).
pub const CLUSTER_DNS: Ipv4Addr = Ipv4Addr::new(172, 20, 0, 10);

/// CoreDNS cache capacity for success answers (nodelocaldns.yaml `success 9984`).
pub const CACHE_CAPACITY: usize = 9_984;
/// node-local-dns caps success caching at 30 s.
pub const CACHE_MAX_TTL_S: u64 = 30;
/// Tick of the service-load model.
pub const TICK: SimDuration = SimDuration::from_millis(10);
const BASE_MB: u64 = 20;
const KB_PER_ENTRY: u64 = 1;
const KB_PER_INFLIGHT: u64 = 40;
/// Time for node-local-dns to come back after an OOM kill.
const RESTART: SimDuration = SimDuration::from_secs(5);
/// `TCP_TIMEWAIT_LEN` (include/net/tcp.h): how long the side that closed
/// first keeps the 4-tuple, so its port, in TIME_WAIT.
const TCP_TIMEWAIT_LEN: SimDuration = SimDuration::from_secs(60);
/// A client waits this long before retrying a failed request.
const RETRY_DELAY: SimDuration = SimDuration::from_millis(50);

/// What node-local-dns uses of the node it runs on: the node itself (its
/// VPC and Linux conntrack tables, which its upstream connections and
/// health checks fill, and its address) and the node kernel's SYN
/// retransmission schedule (its dials' retransmissions).
pub(crate) struct Host<'a> {
    /// The node.
    pub node: &'a mut Node,
    /// `Sim::syn_retx_ms`: the kernel's SYN retransmissions, ms after the
    /// first SYN.
    pub syn_retx_ms: &'a [u64],
}

/// One user request attempt's progress.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Req {
    first: SimTime,
    attempt: u8,
    dns_try: u8,
}

#[derive(Clone, Copy, Debug)]
struct Hanging {
    req: Req,
    name: u32,
    deadline: SimTime,
    live: bool,
    /// When its pending dial started.
    dial_start: SimTime,
    /// SYN retransmissions of that dial so far.
    retx: u8,
    /// The dial's source port.
    port: u16,
}

/// A data-store name not in the cache (see [`NodeLocalDns::expiry`]).
const NOT_CACHED: u32 = 0;

/// node-local-dns on one node.
#[derive(Clone, Debug)]
pub struct NodeLocalDns {
    /// Per data-store name: its cache entry's expiry, µs, or
    /// [`NOT_CACHED`]. Four bytes, so that a node's 20,000 names take 80 KB
    /// (a lookup reads one at random): the expiry fits in 32 bits of
    /// microseconds (71 minutes) because runs last at most an hour and
    /// entries at most 30 s ([`CACHE_MAX_TTL_S`]); a later expiry is stored
    /// as `u32::MAX`, which is after the end of any run. An entry is never
    /// due at 0, so 0 can mean "not cached".
    expiry: Vec<u32>,
    /// The cache's slots: the name in each. A full cache evicts the entry
    /// in a random slot and puts the new one there.
    cached: Vec<u32>,
    /// Idle upstream connections: (last used µs, queries carried, source
    /// port), LIFO.
    idle: Vec<(u64, u32, u16)>,
    /// Connections carrying a query: (free at µs, queries carried, source
    /// port). Their number is the count of successful queries in flight.
    busy: BinaryHeap<Reverse<(u64, u32, u16)>>,
    /// Connections whose query has completed, in the order they came out
    /// of `busy`, not yet handed back (that happens at the next tick's
    /// housekeeping, before any later connection).
    returned: Vec<(u64, u32, u16)>,
    /// Source ports of the TCP connections to cluster DNS.
    tcp_ports: EphemeralPorts,
    /// Source ports of the health checks' UDP sockets.
    udp_ports: EphemeralPorts,
    /// UDP's random starting points: a stream of its own, so that ports
    /// shift no other draw.
    port_rng: SimRng,
    hanging: Vec<Hanging>,
    free_hanging: Vec<u32>,
    hanging_live: u32,
    pending: BinaryHeap<Reverse<(u64, u64, Req)>>,
    pending_seq: u64,
    health_fails: u32,
    /// Upstream marked down by health checks.
    pub down: bool,
    next_health: SimTime,
    health_backoff_ms: u64,
    restarting_until: SimTime,
    rejecting: bool,
    requests_this_second: u64,
    /// Total OOM kills.
    pub oom_kills: u64,
    /// Total max_concurrent rejections.
    pub rejects: u64,
    /// Peak queries in flight upstream.
    pub peak_inflight: u32,
    rng: SimRng,
    /// Which cached entry a full cache evicts: a stream of its own, so that
    /// the slots a tick's lookups will evict can be drawn (and read) before
    /// any of them runs, like their names.
    evict: SimRng,
    /// Slots drawn from `evict` and not used yet, oldest first.
    victims: VecDeque<u32>,
    /// The users' arrivals and the names they look up: a stream of its own,
    /// so that a tick's lookups can be drawn (and their cache slots read)
    /// before any of them runs.
    arrivals: SimRng,
}

impl NodeLocalDns {
    /// A node-local-dns with an empty cache.
    pub fn new(p: &Params, rng: SimRng, evict: SimRng, arrivals: SimRng) -> Self {
        Self::with_ports(p, rng, evict, arrivals, SimRng::stream(0, "nld-ports", 0))
    }

    /// [`NodeLocalDns::new`] with the stream its UDP ports and its TCP
    /// ports' starting offset are drawn from.
    pub fn with_ports(
        p: &Params,
        rng: SimRng,
        evict: SimRng,
        arrivals: SimRng,
        mut port_rng: SimRng,
    ) -> Self {
        let offset = port_rng.below(u64::from(ports::HIGH - ports::LOW) + 1) as u32;
        NodeLocalDns {
            tcp_ports: EphemeralPorts::new(offset),
            udp_ports: EphemeralPorts::default(),
            port_rng,
            expiry: vec![NOT_CACHED; p.datastore_names.max(1) as usize],
            cached: Vec::new(),
            idle: Vec::new(),
            busy: BinaryHeap::new(),
            returned: Vec::new(),
            hanging: Vec::new(),
            free_hanging: Vec::new(),
            hanging_live: 0,
            pending: BinaryHeap::new(),
            pending_seq: 0,
            health_fails: 0,
            down: false,
            next_health: SimTime::ZERO,
            health_backoff_ms: p.nld_health_interval_ms,
            restarting_until: SimTime::ZERO,
            rejecting: false,
            requests_this_second: 0,
            oom_kills: 0,
            rejects: 0,
            peak_inflight: 0,
            rng,
            evict,
            victims: VecDeque::new(),
            arrivals,
        }
    }

    /// Queries in flight upstream at `now`.
    pub fn inflight(&mut self, now: SimTime) -> u32 {
        while let Some(&Reverse(c)) = self.busy.peek() {
            if c.0 > now.micros() {
                break;
            }
            self.busy.pop();
            self.returned.push(c);
        }
        self.busy.len() as u32 + self.hanging_live
    }

    /// Heap bytes held (for the page's checkpoint budget).
    pub fn approx_bytes(&self) -> usize {
        (self.expiry.capacity() + self.cached.capacity() + self.victims.capacity()) * 4
            + (self.busy.capacity() + self.returned.capacity()) * 16
    }

    /// Queries in flight at `now`, without touching the state (for the
    /// page's gauges: reading must not reorder the connections' return).
    pub fn inflight_at(&self, now: SimTime) -> u32 {
        let busy = self.busy.iter().filter(|c| c.0 .0 > now.micros()).count();
        busy as u32 + self.hanging_live
    }

    /// A data-store name drawn uniformly.
    fn draw_name(&mut self) -> u32 {
        self.arrivals.below(self.expiry.len() as u64) as u32
    }

    fn cache_insert(&mut self, name: u32, until_us: u64) {
        let i = name as usize;
        if self.expiry[i] == NOT_CACHED {
            if self.cached.len() < CACHE_CAPACITY {
                self.cached.push(name);
            } else {
                // CoreDNS's cache evicts a random entry when full.
                let slot = self.next_victim();
                let victim = std::mem::replace(&mut self.cached[slot], name);
                self.expiry[victim as usize] = NOT_CACHED;
            }
        }
        // At least 1 µs: an entry is never due at 0 (NOT_CACHED).
        self.expiry[i] = u32::try_from(until_us).unwrap_or(u32::MAX).max(1);
    }

    /// The slot the next eviction empties: uniform over a full cache's
    /// slots, in the order `evict` draws them, whether drawn ahead or now.
    fn next_victim(&mut self) -> usize {
        match self.victims.pop_front() {
            Some(v) => v as usize,
            None => self.evict.below(CACHE_CAPACITY as u64) as usize,
        }
    }

    /// With a full cache, draws the slots of the next `n` evictions ahead
    /// (those not drawn yet), reads the names in them and has the CPU fetch
    /// those names' expiries (which the evictions clear); returns what it
    /// read (for `black_box`). Slots drawn and not used wait for later
    /// evictions, so at most one tick's lookups' worth is ever held.
    fn read_ahead_victims(&mut self, n: usize) -> u32 {
        if self.cached.len() < CACHE_CAPACITY {
            return 0;
        }
        while self.victims.len() < n {
            let v = self.evict.below(CACHE_CAPACITY as u64) as u32;
            self.victims.push_back(v);
        }
        let mut acc = 0;
        for &v in self.victims.iter().take(n) {
            let name = self.cached[v as usize];
            acc ^= name;
            if let Some(e) = self.expiry.get(name as usize) {
                super::prefetch::prefetch(e);
            }
        }
        acc
    }

    fn cache_clear(&mut self) {
        for n in self.cached.drain(..) {
            self.expiry[n as usize] = NOT_CACHED;
        }
    }

    fn memory_mb(&mut self, now: SimTime) -> u64 {
        let inflight = u64::from(self.inflight(now));
        BASE_MB + (self.cached.len() as u64 * KB_PER_ENTRY + inflight * KB_PER_INFLIGHT) / 1_024
    }
}
