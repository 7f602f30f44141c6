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

use super::engine::{Ev, Sim};
use super::metrics::{Global, PerNode};
use super::params::{CorednsVersion, Params};
use super::ports::{self, EphemeralPorts};
use super::rng::SimRng;
use super::time::{SimDuration, SimTime};
use super::trace::{Fate, Notable, PacketKind, PacketRecord, Trigger};
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

impl Sim {
    fn per_pod_qps_milli(&self) -> u64 {
        // Baseline: dns_qps_per_node with replicas spread evenly over nodes.
        let pods_per_node =
            (u64::from(self.p.replicas) * 1_000 / u64::from(self.p.service_nodes.max(1))).max(1);
        u64::from(self.p.dns_qps_per_node) * 1_000_000 / pods_per_node
    }

    pub(crate) fn on_dns_tick(&mut self) {
        let now = self.now;
        let per_pod = self.per_pod_qps_milli();
        let mut serving = vec![0u64; self.nodes.len()];
        for p in &self.pods {
            if p.serving() {
                serving[p.node as usize] += 1;
            }
        }
        // New user requests on each node's pods (Poisson) and the names
        // they look up, drawn first: prefetching their cache slots now lets
        // the CPU overlap the cache misses of the whole tick's lookups (each
        // is a random slot among the node's 20,000 names) with the lookups
        // themselves. Each lookup may insert its name, evicting a random
        // entry when the cache is full: as many of those are read ahead as
        // there are lookups.
        let mut batch = std::mem::take(&mut self.dns_batch);
        batch.clear();
        let mut acc = 0u32;
        for (node, pods) in serving.iter().enumerate() {
            let mean_milli = per_pod * pods * TICK.micros() / 1_000_000;
            let d = &mut self.nld[node];
            let n = poisson_milli(&mut d.arrivals, mean_milli);
            for _ in 0..n {
                batch.push((node as u16, d.draw_name()));
            }
            acc ^= d.read_ahead_victims(n as usize);
        }
        for &(node, name) in &batch {
            if let Some(e) = self.nld[node as usize].expiry.get(name as usize) {
                super::prefetch::prefetch(e);
            }
        }
        std::hint::black_box(acc);
        let mut next = batch.iter().peekable();
        for node in 0..serving.len() {
            self.nld_housekeeping(node);
            let req = Req {
                first: now,
                attempt: 0,
                dns_try: 0,
            };
            while let Some(&(_, name)) = next.next_if(|(n, _)| usize::from(*n) == node) {
                self.lookup(node, req, name);
            }
            // Retries that are due.
            while let Some(Reverse((t, _, req))) = self.nld[node].pending.peek().copied() {
                if t > now.micros() {
                    break;
                }
                self.nld[node].pending.pop();
                let name = self.nld[node].draw_name();
                self.lookup(node, req, name);
            }
            self.health_check(node);
            self.oom_check(node);
        }
        self.dns_batch = batch;
        self.schedule(TICK, Ev::DnsTick);
    }

    fn nld_housekeeping(&mut self, node: usize) {
        let now = self.now.micros();
        let max_q = self.p.upstream_max_tcp_queries;
        let mut closed = 0;
        let d = &mut self.nld[node];
        // Those already out of `busy` first: they came out in order, and
        // before anything still in it.
        let mut next_returned = 0;
        loop {
            let (t, q, port) = if let Some(&c) = d.returned.get(next_returned) {
                next_returned += 1;
                c
            } else {
                match d.busy.peek() {
                    Some(&Reverse(c)) if c.0 <= now => {
                        d.busy.pop();
                        c
                    }
                    _ => break,
                }
            };
            if max_q > 0 && q >= max_q {
                // The upstream closes the connection after its last allowed
                // query; node-local-dns closes passively (no TIME_WAIT on
                // its side), so the port is free at once.
                closed += 1;
                d.tcp_ports.release(port, SimTime(now));
            } else {
                d.idle.push((t, q, port));
            }
        }
        d.returned.clear();
        if closed > 0 {
            self.close_upstream_conns(node, closed);
        }
    }

    /// One DNS query for data-store name `name` from a service pod to
    /// node-local-dns.
    fn lookup(&mut self, node: usize, req: Req, name: u32) {
        let now = self.now;
        self.metrics.add(Global::DnsQueries, 1.0);
        self.metrics.add_node(node, PerNode::DnsQueries, 1.0);
        self.nld[node].requests_this_second += 1;
        if now < self.nld[node].restarting_until {
            self.lookup_failed(node, req, now);
            return;
        }
        if u64::from(self.nld[node].expiry[name as usize]) > now.micros() {
            self.request_succeeded(node, req, now + SimDuration::from_micros(200));
            return;
        }
        let inflight = self.nld[node].inflight(now);
        if inflight >= self.p.nld_max_concurrent {
            // forward: over max_concurrent → SERVFAIL (1.7) / REFUSED (1.8.1+).
            let d = &mut self.nld[node];
            d.rejects += 1;
            self.metrics.add(Global::NldRejects, 1.0);
            self.metrics.add_node(node, PerNode::NldRejects, 1.0);
            if !d.rejecting {
                d.rejecting = true;
                let what = match self.p.coredns {
                    CorednsVersion::V1_7 => "SERVFAIL",
                    CorednsVersion::V1_8 => "REFUSED",
                };
                self.trace.note(
                    now,
                    Notable::DnsRejecting { node: node as u16 },
                    format!(
                        "Node {node}: node-local-dns at max_concurrent {} answers {what}",
                        self.p.nld_max_concurrent
                    ),
                );
            }
            self.lookup_failed(node, req, now);
            return;
        }
        self.forward(
            node,
            req,
            name,
            now + SimDuration::from_millis(self.p.nld_timeout_ms),
            u32::MAX,
        );
    }

    /// forward: get a connection (cached or new) and ask cluster DNS.
    fn forward(&mut self, node: usize, req: Req, name: u32, deadline: SimTime, slot: u32) {
        let now = self.now;
        let expire = self.p.nld_expire_s * 1_000_000;
        let d = &mut self.nld[node];
        let mut conn = None;
        if let Some((used, q, port)) = d.idle.pop() {
            if now.micros().saturating_sub(used) < expire {
                conn = Some((q, port));
            } else {
                // connManager: the most recent is stale, so all are: close
                // them all (node-local-dns closes first: TIME_WAIT).
                let stale = 1 + d.idle.len() as u64;
                let tw = now + TCP_TIMEWAIT_LEN;
                d.tcp_ports.release(port, tw);
                for (_, _, p) in d.idle.drain(..) {
                    d.tcp_ports.release(p, tw);
                }
                self.close_upstream_conns(node, stale);
            }
        }
        let lat = {
            let mean = self.p.upstream_latency_us.max(1);
            self.nld[node].rng.exp_micros(mean)
        };
        let handshake = 2 * self.p.network_latency_us;
        let mut dial_port = 0;
        let done = if let Some((q, port)) = conn {
            Some((now + SimDuration::from_micros(lat), q + 1, port))
        } else {
            // A new TCP connection to cluster DNS: a new socket and port
            // (with every port in use the connect fails locally), confirmed
            // by the node's own conntrack first (a full table drops it:
            // "nf_conntrack: table full, dropping packet"), then a new flow
            // for the VPC.
            let port = self.nld[node].tcp_ports.connect(now);
            let ct = &mut self.nodes[node].linux_ct;
            let ct_room = ct.count(now) < ct.max;
            if !ct_room {
                ct.drops += 1;
            }
            let vpc_refused = port.is_some() && ct_room && !self.nodes[node].vpc.admit(now);
            let admitted = port.is_some() && ct_room && !vpc_refused;
            let port = port.unwrap_or(0);
            dial_port = port;
            self.sample_dns_packet(node, PacketKind::DnsTcpSyn, admitted, port);
            if admitted {
                self.nodes[node].vpc.established += 1;
                self.nodes[node].linux_ct.established += 1;
                Some((now + SimDuration::from_micros(handshake + lat), 1, port))
            } else {
                // The dial gives up at its timeout and closes the socket
                // (a SYN_SENT socket leaves no TIME_WAIT).
                let until =
                    (now + SimDuration::from_millis(self.p.nld_dial_timeout_ms)).min(deadline);
                self.nld[node].tcp_ports.release(port, until);
                if vpc_refused {
                    self.metrics.add(Global::ConntrackAllowanceExceeded, 1.0);
                    self.metrics
                        .add_node(node, PerNode::ConntrackAllowanceExceeded, 1.0);
                }
                None
            }
        };
        match done {
            Some((at, queries, port)) => {
                self.upstream_answers(node, req, name, slot, at, queries, port)
            }
            None => {
                let slot = if slot == u32::MAX {
                    self.hold_hanging(node, req, name, deadline)
                } else {
                    slot
                };
                let h = &mut self.nld[node].hanging[slot as usize];
                h.dial_start = now;
                h.retx = 0;
                h.port = dial_port;
                self.schedule_dial_step(node, slot);
                let inflight = self.nld[node].inflight(now);
                self.nld[node].peak_inflight = self.nld[node].peak_inflight.max(inflight);
                self.metrics
                    .gauge_node(node, PerNode::NldInflight, f64::from(inflight));
            }
        }
    }

    /// Samples a packet node-local-dns sends to cluster DNS out of ens5
    /// (a TCP SYN for a new upstream connection, or a health check), and
    /// whether the VPC let its new flow in.
    fn sample_dns_packet(&mut self, node: usize, kind: PacketKind, admitted: bool, sport: u16) {
        if !self.trace.may_sample_node(self.now, node) {
            return;
        }
        let trigger = match kind {
            PacketKind::DnsHealthCheck => Trigger::DnsHealthCheck,
            _ => Trigger::DnsNewConnection,
        };
        let rec = PacketRecord {
            id: 0,
            kind,
            sent: self.now,
            arrives: self.now + SimDuration::from_micros(self.p.network_latency_us),
            src: self.nodes[node].ip,
            sport,
            dst: CLUSTER_DNS,
            dport: 53,
            node: node as u16,
            fate: if admitted {
                Fate::Delivered
            } else {
                Fate::ConntrackAllowance
            },
            client: u32::MAX,
            pod: u32::MAX,
            attempt: 0,
            syn_no: 0,
            trigger,
            resolved_at: SimTime::ZERO,
            ingress_ens6: false,
            answers: u32::MAX,
        };
        self.trace.push_node_packet(rec);
    }

    fn close_upstream_conns(&mut self, node: usize, n: u64) {
        let now = self.now;
        let closed = SimDuration::from_secs(self.p.vpc_closed_timeout_s);
        let nd = &mut self.nodes[node];
        nd.vpc.established = nd.vpc.established.saturating_sub(n);
        nd.vpc.add(now, now + closed, n as u32);
        nd.linux_ct.established = nd.linux_ct.established.saturating_sub(n);
        // Closed by FINs (either side first): TIME_WAIT in netfilter.
        nd.linux_ct
            .timed
            .add(now, now + super::node::LinuxConntrack::TIME_WAIT, n as u32);
    }

    fn hold_hanging(&mut self, node: usize, req: Req, name: u32, deadline: SimTime) -> u32 {
        let d = &mut self.nld[node];
        let h = Hanging {
            req,
            name,
            deadline,
            live: true,
            dial_start: SimTime::ZERO,
            retx: 0,
            port: 0,
        };
        d.hanging_live += 1;
        match d.free_hanging.pop() {
            Some(i) => {
                d.hanging[i as usize] = h;
                i
            }
            None => {
                d.hanging.push(h);
                (d.hanging.len() - 1) as u32
            }
        }
    }

    fn release_hanging(&mut self, node: usize, slot: u32) {
        let d = &mut self.nld[node];
        let h = &mut d.hanging[slot as usize];
        if h.live {
            h.live = false;
            d.hanging_live -= 1;
            d.free_hanging.push(slot);
        }
    }

    pub(crate) fn on_nld_retry(&mut self, node: u16, slot: u32) {
        let node = node as usize;
        let h = self.nld[node].hanging[slot as usize];
        if !h.live {
            return;
        }
        let now = self.now;
        if now >= h.deadline {
            // The forward deadline passed: SERVFAIL to the pod.
            self.release_hanging(node, slot);
            self.lookup_failed(node, h.req, now);
            return;
        }
        if now < self.dial_end(&h) {
            // The kernel retransmits the dial's SYN on the same 5-tuple: it
            // crosses the VPC's table again, and finds room or not.
            self.metrics.add_node(node, PerNode::TcpRetransmits, 1.0);
            self.nld[node].hanging[slot as usize].retx += 1;
            if self.nodes[node].vpc.admit(now) {
                self.nodes[node].vpc.established += 1;
                self.nodes[node].linux_ct.established += 1;
                self.nld[node].tcp_ports.reopen(h.port);
                let lat = {
                    let mean = self.p.upstream_latency_us.max(1);
                    self.nld[node].rng.exp_micros(mean)
                };
                let at = now + SimDuration::from_micros(2 * self.p.network_latency_us + lat);
                self.upstream_answers(node, h.req, h.name, slot, at, 1, h.port);
            } else {
                self.metrics.add(Global::ConntrackAllowanceExceeded, 1.0);
                self.metrics
                    .add_node(node, PerNode::ConntrackAllowanceExceeded, 1.0);
                self.schedule_dial_step(node, slot);
            }
            return;
        }
        // The dial timed out: a new one (new socket, new port).
        self.forward(node, h.req, h.name, h.deadline, slot);
    }

    /// When the pending dial of `h` gives up: CoreDNS's dial timeout
    /// (`nld_dial_timeout_ms`) after it started, or the query's deadline.
    fn dial_end(&self, h: &Hanging) -> SimTime {
        (h.dial_start + SimDuration::from_millis(self.p.nld_dial_timeout_ms)).min(h.deadline)
    }

    /// Schedules the next step of the pending dial of hanging query `slot`:
    /// its SYN's next retransmission by the node's kernel (the schedule of
    /// [`Sim::syn_retx_ms`], from the dial's start), if that comes strictly
    /// before the dial gives up, else the dial's end. At the 1 s floor of
    /// CoreDNS's dial timeout the first retransmission (TCP_TIMEOUT_INIT,
    /// 1 s) ties with it and is not sent: the dial is cancelled by Go's
    /// timer at the deadline, while the kernel's retransmission timer, a
    /// timer-wheel timer, never fires early (an assumption on a race the
    /// sources do not settle; a dial timeout above 1 s sends it).
    fn schedule_dial_step(&mut self, node: usize, slot: u32) {
        let h = self.nld[node].hanging[slot as usize];
        let end = self.dial_end(&h);
        let next = self
            .syn_retx_ms
            .get(usize::from(h.retx))
            .map(|ms| h.dial_start + SimDuration::from_millis(*ms))
            .filter(|t| *t < end)
            .unwrap_or(end);
        self.schedule_at(
            next,
            Ev::NldRetry {
                node: node as u16,
                slot,
            },
        );
    }

    /// Cluster DNS answers query `req` for `name` at `at` over the upstream
    /// connection (`queries` carried so far, source `port`); `slot` is its
    /// hanging slot, if it waited for a connection.
    #[allow(clippy::too_many_arguments)]
    fn upstream_answers(
        &mut self,
        node: usize,
        req: Req,
        name: u32,
        slot: u32,
        at: SimTime,
        queries: u32,
        port: u16,
    ) {
        let now = self.now;
        if slot != u32::MAX {
            self.release_hanging(node, slot);
        }
        let d = &mut self.nld[node];
        d.busy.push(Reverse((at.micros(), queries, port)));
        let ttl = self.p.datastore_ttl_s.min(CACHE_MAX_TTL_S) * 1_000_000;
        d.cache_insert(name, at.micros() + ttl);
        let inflight = d.inflight(now);
        d.peak_inflight = d.peak_inflight.max(inflight);
        self.metrics
            .gauge_node(node, PerNode::NldInflight, f64::from(inflight));
        self.request_succeeded(node, req, at);
    }

    fn request_succeeded(&mut self, node: usize, req: Req, at: SimTime) {
        let store = self.nld[node]
            .rng
            .exp_micros(self.p.datastore_latency_ms.max(1) * 1_000);
        let total = at.saturating_since(req.first).micros() + store;
        self.metrics.add(Global::Requests, 1.0);
        self.metrics.latency.record(total);
    }

    fn lookup_failed(&mut self, node: usize, req: Req, at: SimTime) {
        let d = &mut self.nld[node];
        if u32::from(req.dns_try) + 1 < self.p.resolver_attempts {
            let r = Req {
                dns_try: req.dns_try + 1,
                ..req
            };
            d.pending_seq += 1;
            d.pending.push(Reverse((at.micros(), d.pending_seq, r)));
            return;
        }
        self.metrics.add(Global::Requests, 1.0);
        self.metrics.add(Global::RequestErrors, 1.0);
        if u32::from(req.attempt) < self.p.request_retries {
            let r = Req {
                first: req.first,
                attempt: req.attempt + 1,
                dns_try: 0,
            };
            let d = &mut self.nld[node];
            d.pending_seq += 1;
            d.pending
                .push(Reverse(((at + RETRY_DELAY).micros(), d.pending_seq, r)));
        } else {
            // The user sees the error after everything that was tried.
            self.metrics
                .latency
                .record(at.saturating_since(req.first).micros());
        }
    }

    /// Health checks: a UDP `. IN NS` from a new socket (a new flow each time).
    fn health_check(&mut self, node: usize) {
        let now = self.now;
        if now < self.nld[node].next_health || now < self.nld[node].restarting_until {
            return;
        }
        let udp = SimDuration::from_secs(self.p.vpc_udp_timeout_s);
        // A new UDP socket: its port is taken until the answer or the
        // health check's 1 s read timeout (facts.md §3.2) closes it.
        let port = {
            let d = &mut self.nld[node];
            d.udp_ports.udp(now, &mut d.port_rng).unwrap_or(0)
        };
        let ok = {
            let vpc = &mut self.nodes[node].vpc;
            if vpc.admit(now) {
                vpc.add(now, now + udp, 1);
                true
            } else {
                false
            }
        };
        self.sample_dns_packet(node, PacketKind::DnsHealthCheck, ok, port);
        let closes = if ok {
            now + SimDuration::from_micros(
                2 * self.p.network_latency_us + self.p.upstream_latency_us,
            )
        } else {
            now + SimDuration::from_secs(1)
        };
        self.nld[node].udp_ports.release(port, closes);
        let interval = self.p.nld_health_interval_ms;
        let d = &mut self.nld[node];
        if ok {
            d.health_fails = 0;
            d.down = false;
            d.health_backoff_ms = interval;
        } else {
            self.metrics.add(Global::ConntrackAllowanceExceeded, 1.0);
            self.metrics
                .add_node(node, PerNode::ConntrackAllowanceExceeded, 1.0);
            self.metrics.add(Global::NldHealthcheckFailures, 1.0);
            self.metrics
                .add_node(node, PerNode::NldHealthcheckFailures, 1.0);
            let d = &mut self.nld[node];
            d.health_fails += 1;
            if d.health_fails > self.p.nld_max_fails && !d.down {
                d.down = true;
                self.trace.note(
                    now,
                    Notable::UpstreamDown { node: node as u16 },
                    format!(
                        "Node {node}: node-local-dns marks cluster DNS down after {} failed health checks (all upstreams down: it keeps trying one at random)",
                        self.nld[node].health_fails
                    ),
                );
            }
            if self.p.coredns == CorednsVersion::V1_7 {
                // v1.7.0 plugin/pkg/up: randomized exponential backoff up to 15 s.
                let d = &mut self.nld[node];
                d.health_backoff_ms = (d.health_backoff_ms * 2).min(15_000);
            }
        }
        let d = &mut self.nld[node];
        let wait = if ok || self.p.coredns == CorednsVersion::V1_8 {
            interval
        } else {
            let b = d.health_backoff_ms;
            d.rng.range_inclusive(b / 2, b)
        };
        d.next_health = now + SimDuration::from_millis(wait.max(1));
    }

    fn oom_check(&mut self, node: usize) {
        let now = self.now;
        if now < self.nld[node].restarting_until {
            return;
        }
        let mb = self.nld[node].memory_mb(now);
        if mb <= u64::from(self.p.nld_memory_mb) {
            return;
        }
        // OOM-killed: cache and connections gone, queries in flight fail.
        let conns = {
            let d = &mut self.nld[node];
            d.oom_kills += 1;
            d.restarting_until = now + RESTART;
            d.cache_clear();
            let n = d.idle.len() + d.busy.len() + d.returned.len();
            // The process's sockets close as it dies: TIME_WAIT on its side.
            let tw = now + TCP_TIMEWAIT_LEN;
            let open: Vec<u16> = d
                .idle
                .drain(..)
                .chain(d.returned.drain(..))
                .chain(d.busy.drain().map(|Reverse(c)| c))
                .map(|c| c.2)
                .collect();
            for p in open {
                d.tcp_ports.release(p, tw);
            }
            n as u64
        };
        self.close_upstream_conns(node, conns);
        let hanging: Vec<(u32, Req)> = self.nld[node]
            .hanging
            .iter()
            .enumerate()
            .filter(|(_, h)| h.live)
            .map(|(i, h)| (i as u32, h.req))
            .collect();
        for (slot, req) in hanging {
            self.release_hanging(node, slot);
            self.lookup_failed(node, req, now);
        }
        self.metrics.add_node(node, PerNode::NldOomKills, 1.0);
        self.trace.note(
            now,
            Notable::NldOomKilled { node: node as u16 },
            format!(
                "Node {node}: node-local-dns OOM-killed at ~{mb} MB (limit {} MB); restarting",
                self.p.nld_memory_mb
            ),
        );
    }

    /// Per-second bookkeeping for node-local-dns and throughput.
    pub(crate) fn nld_second(&mut self) {
        for node in 0..self.nld.len() {
            let d = &mut self.nld[node];
            let reqs = d.requests_this_second;
            d.requests_this_second = 0;
            if d.rejecting && d.inflight(self.now) < self.p.nld_max_concurrent / 2 {
                d.rejecting = false;
            }
            // What the node sends: requests × `response_kb`, an assumption
            // (the post gives no size); the chart says so.
            let mbps = reqs as f64 * f64::from(self.p.response_kb) * 8.0 / 1_000.0;
            self.metrics.gauge_node(node, PerNode::ThroughputMbps, mbps);
            let full = {
                let n = &mut self.nodes[node];
                n.vpc.count(self.now) >= n.vpc.allowance
            };
            if !full && self.nodes[node].vpc.full {
                self.nodes[node].vpc.full = false;
                self.trace.note(
                    self.now,
                    Notable::ConntrackRecovered { node: node as u16 },
                    format!("Node {node}: VPC conntrack below its allowance again"),
                );
            }
        }
    }
}

/// A Poisson draw with mean `mean_milli / 1000` (Knuth's method on integer
/// uniforms for small means, a normal-free split for larger ones).
fn poisson_milli(rng: &mut SimRng, mean_milli: u64) -> u64 {
    if mean_milli == 0 {
        return 0;
    }
    // Split large means into chunks of at most 8 so exp(-mean) stays accurate.
    let mut left = mean_milli;
    let mut total = 0;
    while left > 0 {
        let chunk = left.min(8_000);
        left -= chunk;
        let limit = libm::exp(-(chunk as f64) / 1_000.0);
        let mut prod = 1.0f64;
        loop {
            prod *= ((rng.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64;
            if prod <= limit {
                break;
            }
            total += 1;
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn poisson_draws_have_the_right_mean() {
        let mut rng = SimRng::stream(5, "poisson", 0);
        let n = 20_000;
        let sum: u64 = (0..n).map(|_| poisson_milli(&mut rng, 4_000)).sum();
        let mean = sum as f64 / n as f64;
        assert!((3.9..4.1).contains(&mean), "{mean}");
        assert_eq!(poisson_milli(&mut rng, 0), 0);
    }

    /// `NodeLocalDns::expiry` keeps expiries in 32 bits of microseconds: that holds only
    /// while the longest allowed run plus the longest cache entry (and a
    /// minute for the upstream answer's latency) ends
    /// before `u32::MAX` µs (71 minutes).
    #[test]
    fn cache_expiries_fit_in_32_bits_for_the_longest_run() {
        use crate::scenario::catalog::{spec, Kind};
        let Some(Kind::Int { max, .. }) = spec("duration_s").map(|s| s.kind) else {
            panic!("duration_s is an integer parameter");
        };
        let latest_us = (max as u64 + CACHE_MAX_TTL_S + 60) * 1_000_000;
        assert!(latest_us < u64::from(u32::MAX), "{latest_us} µs");
    }

    /// A node-local-dns with 20,000 names and an empty cache.
    fn dns_with_20k_names() -> NodeLocalDns {
        let p = Params {
            datastore_names: 20_000,
            ..Params::default()
        };
        NodeLocalDns::new(
            &p,
            SimRng::stream(1, "c", 0),
            SimRng::stream(1, "e", 0),
            SimRng::stream(1, "a", 0),
        )
    }

    #[test]
    fn cache_evicts_at_capacity() {
        let mut d = dns_with_20k_names();
        for n in 0..(CACHE_CAPACITY as u32 + 100) {
            d.cache_insert(n, 1_000_000);
        }
        assert_eq!(d.cached.len(), CACHE_CAPACITY);
        let live = d.expiry.iter().filter(|e| **e != NOT_CACHED).count();
        assert_eq!(live, CACHE_CAPACITY);
        // Exactly the names in the slots are cached, each once.
        let mut in_slots = d.cached.clone();
        in_slots.sort_unstable();
        in_slots.dedup();
        assert_eq!(in_slots.len(), CACHE_CAPACITY);
        assert!(in_slots.iter().all(|n| d.expiry[*n as usize] != NOT_CACHED));
        // A cached name's refresh takes no slot.
        let before = d.cached.clone();
        d.cache_insert(d.cached[0], 2_000_000);
        assert_eq!(d.cached, before);
    }

    #[test]
    fn victims_drawn_ahead_are_the_ones_evicted() {
        let mut now = dns_with_20k_names();
        for n in 0..CACHE_CAPACITY as u32 {
            now.cache_insert(n, 1_000_000);
        }
        let mut ahead = now.clone();
        // More read ahead than used, then fewer, across several rounds.
        let mut next = CACHE_CAPACITY as u32;
        for (read, used) in [(5, 3), (2, 6), (0, 4), (7, 7)] {
            ahead.read_ahead_victims(read);
            for _ in 0..used {
                now.cache_insert(next, 2_000_000);
                ahead.cache_insert(next, 2_000_000);
                next += 1;
            }
            assert_eq!(ahead.cached, now.cached);
        }
    }
}
