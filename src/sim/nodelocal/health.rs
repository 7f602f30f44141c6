//! The upstream's UDP health checks (down after `max_fails`), the memory
//! estimate's OOM kills and restarts, and the per-second bookkeeping.

use super::{Req, RESTART, TCP_TIMEWAIT_LEN};
use crate::sim::engine::Sim;
use crate::sim::metrics::{Global, PerNode};
use crate::sim::params::CorednsVersion;
use crate::sim::time::SimDuration;
use crate::sim::trace::{Notable, PacketKind};
use std::cmp::Reverse;

impl Sim {
    /// Health checks: a UDP `. IN NS` from a new socket (a new flow each time).
    pub(super) fn health_check(&mut self, node: usize) {
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

    pub(super) fn oom_check(&mut self, node: usize) {
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
