//! The service's users: each pod's lookups of data-store names every tick,
//! answered from the cache or forwarded, and the stub resolver's and the
//! client's retries of a failed one.

use super::{Req, RETRY_DELAY, TICK};
use crate::sim::engine::Sim;
use crate::sim::event::Ev;
use crate::sim::metrics::{Global, PerNode};
use crate::sim::params::CorednsVersion;
use crate::sim::rng::SimRng;
use crate::sim::time::{SimDuration, SimTime};
use crate::sim::trace::Notable;
use std::cmp::Reverse;

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
                crate::sim::prefetch::prefetch(e);
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

    /// One DNS query for data-store name `name` from a service pod to
    /// node-local-dns.
    pub(super) fn lookup(&mut self, node: usize, req: Req, name: u32) {
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

    pub(super) fn request_succeeded(&mut self, node: usize, req: Req, at: SimTime) {
        let store = self.nld[node]
            .rng
            .exp_micros(self.p.datastore_latency_ms.max(1) * 1_000);
        let total = at.saturating_since(req.first).micros() + store;
        self.metrics.add(Global::Requests, 1.0);
        self.metrics.latency.record(total);
    }

    pub(super) fn lookup_failed(&mut self, node: usize, req: Req, at: SimTime) {
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
}

/// A Poisson draw with mean `mean_milli / 1000` (Knuth's method on integer
/// uniforms for small means, a normal-free split for larger ones).
pub(super) fn poisson_milli(rng: &mut SimRng, mean_milli: u64) -> u64 {
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
