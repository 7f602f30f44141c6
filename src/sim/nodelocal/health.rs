//! The upstream's UDP health checks (down after `max_fails`), the memory
//! estimate's OOM kills and restarts, and the per-second bookkeeping.

use super::upstream::{close_upstream_conns, sample_dns_packet};
use super::{NodeLocalDns, Req, RESTART, TCP_TIMEWAIT_LEN};
use crate::sim::ctx::Ctx;
use crate::sim::metrics::{Global, PerNode};
use crate::sim::node::Node;
use crate::sim::params::CorednsVersion;
use crate::sim::time::SimDuration;
use crate::sim::trace::{Notable, PacketKind};
use std::cmp::Reverse;

impl NodeLocalDns {
    /// Health checks: a UDP `. IN NS` from a new socket (a new flow each time).
    pub(super) fn health_check(&mut self, cx: &mut Ctx, nd: &mut Node) {
        let now = cx.now;
        let node = usize::from(nd.index);
        if now < self.next_health || now < self.restarting_until {
            return;
        }
        let udp = SimDuration::from_secs(cx.p.vpc_udp_timeout_s);
        // A new UDP socket: its port is taken until the answer or the
        // health check's 1 s read timeout (facts.md §3.2) closes it.
        let port = self.udp_ports.udp(now, &mut self.port_rng).unwrap_or(0);
        let ok = {
            let vpc = &mut nd.vpc;
            if vpc.admit(now) {
                vpc.add(now, now + udp, 1);
                true
            } else {
                false
            }
        };
        sample_dns_packet(cx, nd, PacketKind::DnsHealthCheck, ok, port);
        let closes = if ok {
            now + SimDuration::from_micros(2 * cx.p.network_latency_us + cx.p.upstream_latency_us)
        } else {
            now + SimDuration::from_secs(1)
        };
        self.udp_ports.release(port, closes);
        let interval = cx.p.nld_health_interval_ms;
        if ok {
            self.health_fails = 0;
            self.down = false;
            self.health_backoff_ms = interval;
        } else {
            cx.metrics.add(Global::ConntrackAllowanceExceeded, 1.0);
            cx.metrics
                .add_node(node, PerNode::ConntrackAllowanceExceeded, 1.0);
            cx.metrics.add(Global::NldHealthcheckFailures, 1.0);
            cx.metrics
                .add_node(node, PerNode::NldHealthcheckFailures, 1.0);
            self.health_fails += 1;
            if self.health_fails > cx.p.nld_max_fails && !self.down {
                self.down = true;
                let text = format!(
                    "Node {node}: node-local-dns marks cluster DNS down after {} failed health checks (all upstreams down: it keeps trying one at random)",
                    self.health_fails
                );
                cx.note(Notable::UpstreamDown { node: node as u16 }, text);
            }
            if cx.p.coredns == CorednsVersion::V1_7 {
                // v1.7.0 plugin/pkg/up: randomized exponential backoff up to 15 s.
                self.health_backoff_ms = (self.health_backoff_ms * 2).min(15_000);
            }
        }
        let wait = if ok || cx.p.coredns == CorednsVersion::V1_8 {
            interval
        } else {
            let b = self.health_backoff_ms;
            self.rng.range_inclusive(b / 2, b)
        };
        self.next_health = now + SimDuration::from_millis(wait.max(1));
    }

    /// The memory estimate over the limit: OOM-killed, restarting.
    pub(super) fn oom_check(&mut self, cx: &mut Ctx, nd: &mut Node) {
        let now = cx.now;
        let node = usize::from(nd.index);
        if now < self.restarting_until {
            return;
        }
        let mb = self.memory_mb(now);
        if mb <= u64::from(cx.p.nld_memory_mb) {
            return;
        }
        // OOM-killed: cache and connections gone, queries in flight fail.
        self.oom_kills += 1;
        self.restarting_until = now + RESTART;
        self.cache_clear();
        let conns = self.idle.len() + self.busy.len() + self.returned.len();
        // The process's sockets close as it dies: TIME_WAIT on its side.
        let tw = now + TCP_TIMEWAIT_LEN;
        let open: Vec<u16> = self
            .idle
            .drain(..)
            .chain(self.returned.drain(..))
            .chain(self.busy.drain().map(|Reverse(c)| c))
            .map(|c| c.2)
            .collect();
        for p in open {
            self.tcp_ports.release(p, tw);
        }
        close_upstream_conns(cx, nd, conns as u64);
        let hanging: Vec<(u32, Req)> = self
            .hanging
            .iter()
            .enumerate()
            .filter(|(_, h)| h.live)
            .map(|(i, h)| (i as u32, h.req))
            .collect();
        for (slot, req) in hanging {
            self.release_hanging(slot);
            self.lookup_failed(cx, req, now);
        }
        cx.metrics.add_node(node, PerNode::NldOomKills, 1.0);
        let text = format!(
            "Node {node}: node-local-dns OOM-killed at ~{mb} MB (limit {} MB); restarting",
            cx.p.nld_memory_mb
        );
        cx.note(Notable::NldOomKilled { node: node as u16 }, text);
    }

    /// Per-second bookkeeping for node-local-dns on node `nd` and its
    /// throughput.
    pub(crate) fn second(&mut self, cx: &mut Ctx, nd: &mut Node) {
        let node = usize::from(nd.index);
        let reqs = self.requests_this_second;
        self.requests_this_second = 0;
        if self.rejecting && self.inflight(cx.now) < cx.p.nld_max_concurrent / 2 {
            self.rejecting = false;
        }
        // What the node sends: requests × `response_kb`, an assumption
        // (the post gives no size); the chart says so.
        let mbps = reqs as f64 * f64::from(cx.p.response_kb) * 8.0 / 1_000.0;
        cx.metrics.gauge_node(node, PerNode::ThroughputMbps, mbps);
        let full = nd.vpc.count(cx.now) >= nd.vpc.allowance;
        if !full && nd.vpc.full {
            nd.vpc.full = false;
            cx.note(
                Notable::ConntrackRecovered { node: node as u16 },
                format!("Node {node}: VPC conntrack below its allowance again"),
            );
        }
    }
}
