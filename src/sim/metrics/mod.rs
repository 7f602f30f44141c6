//! Per-second time series: the charts the responders looked at.
//!
//! Counters accumulate within the current second; gauges keep the maximum
//! seen in it. At each second boundary the values are appended to their
//! series, so memory grows with simulated seconds only, never with traffic.

use super::time::SimTime;
use serde::{Deserialize, Serialize};

mod compact;

/// A series that exists once for the whole run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Global {
    /// SYNs sent by clients (first SYNs and retransmissions).
    SynSent,
    /// SYNs that reached a node for the IP of a deleted pod.
    SynToDeletedIp,
    /// SYNs dropped by the reverse-path filter (all nodes).
    MartianDrops,
    /// SYN-ACKs returned to clients.
    SynAcks,
    /// RSTs returned to clients (connection refused).
    Rsts,
    /// ICMP host unreachable sent to clients.
    IcmpSent,
    /// ICMP errors suppressed by the kernel's rate limits.
    IcmpRateLimited,
    /// Packets dropped by the ENI source/destination check.
    SrcDstDrops,
    /// Packets dropped for the VPC conntrack allowance (all nodes).
    ConntrackAllowanceExceeded,
    /// Queries received by node-local-dns (all nodes).
    DnsQueries,
    /// Queries node-local-dns refused at max_concurrent.
    NldRejects,
    /// Failed health checks node-local-dns → cluster DNS.
    NldHealthcheckFailures,
    /// Service request attempts (including client retries).
    Requests,
    /// Failed request attempts.
    RequestErrors,
    /// p90 latency of user requests completed this second, ms.
    P90LatencyMs,
    /// p99 latency, ms.
    P99LatencyMs,
    /// Subchannels pointing at the IP of a deleted pod.
    StaleSubchannels,
    /// Subchannels READY.
    ReadySubchannels,
    /// DNS resolutions done by clients.
    ClientResolutions,
    /// Flow-log records to the tracked old IP with tcp-flags SYN.
    FlowLogSyn,
    /// Flow-log records to the tracked old IP with FIN.
    FlowLogFin,
    /// Established flows to the tracked old IP.
    FlowLogEstablished,
    /// Service pods Ready.
    ReadyPods,
}

/// A series kept for each service node.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum PerNode {
    /// VPC (hypervisor) conntrack entries.
    VpcConntrack,
    /// Packets dropped for the allowance.
    ConntrackAllowanceExceeded,
    /// Linux conntrack entries.
    LinuxConntrack,
    /// Queries to node-local-dns.
    DnsQueries,
    /// max_concurrent rejections.
    NldRejects,
    /// Failed health checks.
    NldHealthcheckFailures,
    /// Queries in flight upstream.
    NldInflight,
    /// node-local-dns OOM kills.
    NldOomKills,
    /// TCP segments the node retransmitted.
    TcpRetransmits,
    /// Throughput, Mbit/s.
    ThroughputMbps,
    /// rp_filter drops.
    MartianDrops,
    /// Client SYNs that reached the node's ENI (before the VPC's check).
    SynArrivals,
    /// nf_conntrack entries of refused flows deleted at once by the pod's
    /// RST (`nf_conntrack_tcp_packet`: no reply but the RST was seen).
    LinuxCtRstKilled,
}

impl Global {
    /// Every global series, in display order.
    pub const ALL: [Global; 23] = [
        Global::SynSent,
        Global::SynToDeletedIp,
        Global::MartianDrops,
        Global::SynAcks,
        Global::Rsts,
        Global::IcmpSent,
        Global::IcmpRateLimited,
        Global::SrcDstDrops,
        Global::ConntrackAllowanceExceeded,
        Global::DnsQueries,
        Global::NldRejects,
        Global::NldHealthcheckFailures,
        Global::Requests,
        Global::RequestErrors,
        Global::P90LatencyMs,
        Global::P99LatencyMs,
        Global::StaleSubchannels,
        Global::ReadySubchannels,
        Global::ClientResolutions,
        Global::FlowLogSyn,
        Global::FlowLogFin,
        Global::FlowLogEstablished,
        Global::ReadyPods,
    ];

    /// True for gauges (maximum within the second), false for counters.
    pub fn is_gauge(self) -> bool {
        matches!(
            self,
            Global::P90LatencyMs
                | Global::P99LatencyMs
                | Global::StaleSubchannels
                | Global::ReadySubchannels
                | Global::FlowLogEstablished
                | Global::ReadyPods
        )
    }

    /// The CLI name.
    pub fn name(self) -> &'static str {
        match self {
            Global::SynSent => "syn_sent",
            Global::SynToDeletedIp => "syn_to_deleted_ip",
            Global::MartianDrops => "martian_drops",
            Global::SynAcks => "syn_acks",
            Global::Rsts => "rsts",
            Global::IcmpSent => "icmp_unreachable_sent",
            Global::IcmpRateLimited => "icmp_rate_limited",
            Global::SrcDstDrops => "src_dst_check_drops",
            Global::ConntrackAllowanceExceeded => "conntrack_allowance_exceeded",
            Global::DnsQueries => "dns_queries",
            Global::NldRejects => "nodelocaldns_rejects",
            Global::NldHealthcheckFailures => "nodelocaldns_healthcheck_failures",
            Global::Requests => "requests",
            Global::RequestErrors => "request_errors",
            Global::P90LatencyMs => "p90_latency_ms",
            Global::P99LatencyMs => "p99_latency_ms",
            Global::StaleSubchannels => "stale_subchannels",
            Global::ReadySubchannels => "ready_subchannels",
            Global::ClientResolutions => "client_resolutions",
            Global::FlowLogSyn => "flowlog_syn",
            Global::FlowLogFin => "flowlog_fin",
            Global::FlowLogEstablished => "flowlog_established",
            Global::ReadyPods => "ready_pods",
        }
    }
}

impl PerNode {
    /// Every per-node series.
    pub const ALL: [PerNode; 13] = [
        PerNode::VpcConntrack,
        PerNode::ConntrackAllowanceExceeded,
        PerNode::LinuxConntrack,
        PerNode::DnsQueries,
        PerNode::NldRejects,
        PerNode::NldHealthcheckFailures,
        PerNode::NldInflight,
        PerNode::NldOomKills,
        PerNode::TcpRetransmits,
        PerNode::ThroughputMbps,
        PerNode::MartianDrops,
        PerNode::SynArrivals,
        PerNode::LinuxCtRstKilled,
    ];

    /// True for gauges.
    pub fn is_gauge(self) -> bool {
        matches!(
            self,
            PerNode::VpcConntrack
                | PerNode::LinuxConntrack
                | PerNode::NldInflight
                | PerNode::ThroughputMbps
        )
    }

    /// The CLI name (prefixed `node_` to keep it apart from global names).
    pub fn name(self) -> &'static str {
        match self {
            PerNode::VpcConntrack => "node_vpc_conntrack_entries",
            PerNode::ConntrackAllowanceExceeded => "node_conntrack_allowance_exceeded",
            PerNode::LinuxConntrack => "node_linux_conntrack_entries",
            PerNode::DnsQueries => "node_dns_queries",
            PerNode::NldRejects => "node_nodelocaldns_rejects",
            PerNode::NldHealthcheckFailures => "node_nodelocaldns_healthcheck_failures",
            PerNode::NldInflight => "node_nodelocaldns_inflight",
            PerNode::NldOomKills => "node_nodelocaldns_oom_kills",
            PerNode::TcpRetransmits => "node_tcp_retransmits",
            PerNode::ThroughputMbps => "node_throughput_mbps",
            PerNode::MartianDrops => "node_martian_drops",
            PerNode::SynArrivals => "node_syn_arrivals",
            PerNode::LinuxCtRstKilled => "node_linux_conntrack_rst_deleted",
        }
    }
}

/// Log-spaced latency histogram (10 buckets per decade from 0.1 ms to 100 s).
#[derive(Clone, Debug)]
pub struct LatencyHistogram {
    counts: [u32; 61],
    n: u64,
}

impl Default for LatencyHistogram {
    fn default() -> Self {
        LatencyHistogram {
            counts: [0; 61],
            n: 0,
        }
    }
}

impl LatencyHistogram {
    /// Upper edges of the buckets in µs: 100 µs · 10^((i+1)/10).
    const EDGES: [u64; 61] = {
        // 10^(k/10) for k = 1..=10, scaled by 1e6 (exact to the µs here).
        const DECADE: [u64; 10] = [
            1_258_925, 1_584_893, 1_995_262, 2_511_886, 3_162_278, 3_981_072, 5_011_872, 6_309_573,
            7_943_282, 10_000_000,
        ];
        let mut e = [0u64; 61];
        let mut i = 0;
        while i < 61 {
            let mut scale = 100u64; // 100 µs · 10^(i/10 decades)
            let mut d = 0;
            while d < i / 10 {
                scale *= 10;
                d += 1;
            }
            e[i] = scale * DECADE[i % 10] / 1_000_000;
            i += 1;
        }
        e
    };

    /// [`LatencyHistogram::EDGES`] and four more that no latency exceeds,
    /// so that four edges can be read from any first candidate.
    const EDGES_PADDED: [u64; 65] = {
        let mut e = [u64::MAX; 65];
        let mut i = 0;
        while i < 61 {
            e[i] = Self::EDGES[i];
            i += 1;
        }
        e
    };

    /// For latencies in `[2^k, 2^(k+1))`: the first bucket that can hold
    /// them (the number of edges below `2^k`).
    const FIRST: [u8; 64] = {
        let mut f = [0u8; 64];
        let mut k = 0;
        while k < 64 {
            let low = 1u64 << k;
            let mut i = 0;
            while i < 61 && Self::EDGES[i] < low {
                i += 1;
            }
            f[k] = i as u8;
            k += 1;
        }
        f
    };

    /// Bucket i covers (EDGES[i-1], EDGES[i]] µs; bucket 0 everything ≤ 125 µs.
    ///
    /// The number of edges below `us`, found from its power of two: a
    /// binary search over 61 edges is a chain of six dependent loads on the
    /// users' DNS path (millions of requests a run), while edges are 10^0.1
    /// apart, so at most four of them lie within a factor of two, and the
    /// four comparisons are independent.
    fn bucket(us: u64) -> usize {
        let k = 63 - (us | 1).leading_zeros() as usize;
        let i = usize::from(Self::FIRST[k]);
        let e = &Self::EDGES_PADDED[i..i + 4];
        let above = usize::from(e[0] < us)
            + usize::from(e[1] < us)
            + usize::from(e[2] < us)
            + usize::from(e[3] < us);
        (i + above).min(60)
    }

    fn upper_ms(i: usize) -> f64 {
        Self::EDGES[i.min(60)] as f64 / 1_000.0
    }

    /// Records one latency.
    pub fn record(&mut self, us: u64) {
        self.counts[Self::bucket(us)] += 1;
        self.n += 1;
    }

    /// The q-quantile's bucket upper edge, ms (0 when empty).
    pub fn quantile_ms(&self, q: f64) -> f64 {
        if self.n == 0 {
            return 0.0;
        }
        let target = (q * self.n as f64).ceil().max(1.0) as u64;
        let mut acc = 0u64;
        for (i, c) in self.counts.iter().enumerate() {
            acc += u64::from(*c);
            if acc >= target {
                return Self::upper_ms(i);
            }
        }
        Self::upper_ms(60)
    }

    /// Clears the histogram.
    pub fn clear(&mut self) {
        *self = Self::default();
    }
}

/// The completed seconds of every series from one second on (see
/// [`Metrics::tail`]). It crosses to the page with whole values as integers
/// (`metrics/compact.rs`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SeriesTail {
    /// The first second held.
    pub from: usize,
    /// Global series, in [`Global::ALL`] order.
    #[serde(with = "compact::series")]
    pub global: Vec<Vec<f64>>,
    /// Per node, its series in [`PerNode::ALL`] order.
    #[serde(with = "compact::per_node")]
    pub node: Vec<Vec<Vec<f64>>>,
}

/// All series of a run.
#[derive(Clone, Debug, Default)]
pub struct Metrics {
    global: Vec<Vec<f64>>,
    node: Vec<Vec<Vec<f64>>>,
    /// The current second's values: fixed-size rows, so that an addition
    /// on the hot path is one bounds check and one add.
    cur_global: [f64; Global::ALL.len()],
    cur_node: Vec<[f64; PerNode::ALL.len()]>,
    /// Latencies of requests completed in the current second.
    pub latency: LatencyHistogram,
    /// The earliest closed second changed since [`Metrics::take_changed_from`]
    /// was last called (`usize::MAX`: none), so that the page's copy is sent
    /// exactly the seconds it lacks or holds stale.
    changed_from: usize,
}

impl Metrics {
    /// Bytes the per-second series may take: at the parameters' ceilings (64
    /// nodes, 3,600 s) they take about 25 MiB (a test checks), so the ranges keep
    /// them within it (issue 21: memory bounded by bytes).
    pub const SERIES_BYTES: usize = 32 << 20;

    /// Empty series for `nodes` nodes.
    pub fn new(nodes: usize) -> Metrics {
        Metrics {
            global: vec![Vec::new(); Global::ALL.len()],
            node: vec![vec![Vec::new(); PerNode::ALL.len()]; nodes],
            cur_global: [0.0; Global::ALL.len()],
            cur_node: vec![[0.0; PerNode::ALL.len()]; nodes],
            latency: LatencyHistogram::default(),
            changed_from: usize::MAX,
        }
    }

    /// Adds to a global counter.
    #[inline]
    pub fn add(&mut self, m: Global, v: f64) {
        self.cur_global[m as usize] += v;
    }

    /// Adds to a global counter in the second of `at`, which may be one
    /// already closed (an event that happened before the last roll but is
    /// accounted for after it).
    #[inline]
    pub fn add_at(&mut self, at: SimTime, m: Global, v: f64) {
        let sec = at.secs() as usize;
        match self.global[m as usize].get_mut(sec) {
            Some(closed) => {
                *closed += v;
                self.changed_from = self.changed_from.min(sec);
            }
            None => self.cur_global[m as usize] += v,
        }
    }

    /// Raises a global gauge.
    #[inline]
    pub fn gauge(&mut self, m: Global, v: f64) {
        let c = &mut self.cur_global[m as usize];
        if v > *c {
            *c = v;
        }
    }

    /// Adds to a node counter.
    #[inline]
    pub fn add_node(&mut self, node: usize, m: PerNode, v: f64) {
        self.cur_node[node][m as usize] += v;
    }

    /// Raises a node gauge.
    #[inline]
    pub fn gauge_node(&mut self, node: usize, m: PerNode, v: f64) {
        let c = &mut self.cur_node[node][m as usize];
        if v > *c {
            *c = v;
        }
    }

    /// Raises a global gauge's completed seconds, oldest first, to `values`
    /// (for a series whose subject is only known later).
    pub fn backfill_gauge(&mut self, m: Global, values: impl IntoIterator<Item = f64>) {
        for (sec, (c, v)) in self.global[m as usize].iter_mut().zip(values).enumerate() {
            if v > *c {
                *c = v;
                self.changed_from = self.changed_from.min(sec);
            }
        }
    }

    /// The earliest closed second changed (by [`Metrics::add_at`] or
    /// [`Metrics::backfill_gauge`]) since the last call, if any; starts
    /// counting afresh.
    pub fn take_changed_from(&mut self) -> Option<usize> {
        let from = std::mem::replace(&mut self.changed_from, usize::MAX);
        (from != usize::MAX).then_some(from)
    }

    /// Closes the current second.
    pub fn roll(&mut self) {
        self.gauge(Global::P90LatencyMs, self.latency.quantile_ms(0.90));
        self.gauge(Global::P99LatencyMs, self.latency.quantile_ms(0.99));
        self.latency.clear();
        for (i, v) in self.cur_global.iter_mut().enumerate() {
            self.global[i].push(*v);
            *v = 0.0;
        }
        for (n, cur) in self.cur_node.iter_mut().enumerate() {
            for (i, v) in cur.iter_mut().enumerate() {
                self.node[n][i].push(*v);
                *v = 0.0;
            }
        }
    }

    /// Bytes the series hold (their vectors' capacity).
    pub fn bytes(&self) -> usize {
        let cap = |v: &Vec<f64>| v.capacity() * std::mem::size_of::<f64>();
        self.global.iter().map(cap).sum::<usize>()
            + self.node.iter().flatten().map(cap).sum::<usize>()
    }

    /// Completed seconds.
    pub fn seconds(&self) -> usize {
        self.global.first().map(|s| s.len()).unwrap_or(0)
    }

    /// A global series.
    pub fn global(&self, m: Global) -> &[f64] {
        &self.global[m as usize]
    }

    /// A node series.
    pub fn node(&self, node: usize, m: PerNode) -> &[f64] {
        &self.node[node][m as usize]
    }

    /// Number of nodes.
    pub fn nodes(&self) -> usize {
        self.node.len()
    }

    /// The completed seconds of every series from second `from` on: what the
    /// page's worker sends as a run goes (see `crate::run`): the seconds
    /// closed since the last chunk and any earlier one that changed since
    /// ([`Metrics::take_changed_from`]).
    pub fn tail(&self, from: usize) -> SeriesTail {
        let from = from.min(self.seconds());
        SeriesTail {
            from,
            global: self.global.iter().map(|s| s[from..].to_vec()).collect(),
            node: self
                .node
                .iter()
                .map(|n| n.iter().map(|s| s[from..].to_vec()).collect())
                .collect(),
        }
    }

    /// Replaces the seconds from `t.from` on with `t`'s (the page's copy of
    /// a run's series). A tail for other series or nodes is ignored.
    pub fn apply_tail(&mut self, t: &SeriesTail) {
        if t.global.len() != self.global.len() || t.node.len() != self.node.len() {
            return;
        }
        if t.node.iter().any(|n| n.len() != PerNode::ALL.len()) {
            return;
        }
        let from = t.from.min(self.seconds());
        for (s, add) in self.global.iter_mut().zip(&t.global) {
            s.truncate(from);
            s.extend_from_slice(add);
        }
        for (n, add) in self.node.iter_mut().zip(&t.node) {
            for (s, add) in n.iter_mut().zip(add) {
                s.truncate(from);
                s.extend_from_slice(add);
            }
        }
    }

    /// A node series aggregated over nodes: max for gauges, sum for counters.
    pub fn node_aggregate(&self, m: PerNode) -> Vec<f64> {
        let len = self.seconds();
        let mut out = vec![0.0f64; len];
        for n in 0..self.nodes() {
            for (i, v) in self.node[n][m as usize].iter().enumerate() {
                if m.is_gauge() {
                    out[i] = out[i].max(*v);
                } else {
                    out[i] += *v;
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests;
