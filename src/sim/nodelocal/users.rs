//! The service's users: each pod's lookups of data-store names every tick,
//! answered from the cache or forwarded, and the stub resolver's and the
//! client's retries of a failed one.

use super::{Host, NodeLocalDns, Req, RETRY_DELAY, TICK};
use crate::sim::ctx::Ctx;
use crate::sim::event::Ev;
use crate::sim::metrics::{Global, PerNode};
use crate::sim::node::Node;
use crate::sim::params::CorednsVersion;
use crate::sim::params::Params;
use crate::sim::rng::SimRng;
use crate::sim::time::{SimDuration, SimTime};
use crate::sim::trace::Notable;
use std::cmp::Reverse;

/// Per pod, the users' lookups per second × 1000 at baseline:
/// `dns_qps_per_node` with the replicas spread evenly over the nodes.
fn per_pod_qps_milli(p: &Params) -> u64 {
    let pods_per_node = (u64::from(p.replicas) * 1_000 / u64::from(p.service_nodes.max(1))).max(1);
    u64::from(p.dns_qps_per_node) * 1_000_000 / pods_per_node
}

/// One tick of the users on every node: node `i`'s `serving[i]` pods'
/// new lookups (Poisson), the retries that are due, health checks and the
/// OOM check; then the next tick. `batch` is a buffer kept between ticks.
pub(crate) fn tick(
    cx: &mut Ctx,
    nld: &mut [NodeLocalDns],
    nodes: &mut [Node],
    syn_retx_ms: &[u64],
    serving: &[u64],
    batch: &mut Vec<(u16, u32)>,
) {
    let now = cx.now;
    let per_pod = per_pod_qps_milli(cx.p);
    // New user requests on each node's pods (Poisson) and the names
    // they look up, drawn first: prefetching their cache slots now lets
    // the CPU overlap the cache misses of the whole tick's lookups (each
    // is a random slot among the node's 20,000 names) with the lookups
    // themselves. Each lookup may insert its name, evicting a random
    // entry when the cache is full: as many of those are read ahead as
    // there are lookups.
    batch.clear();
    let mut acc = 0u32;
    for (node, pods) in serving.iter().enumerate() {
        let mean_milli = per_pod * pods * TICK.micros() / 1_000_000;
        let d = &mut nld[node];
        let n = poisson_milli(&mut d.arrivals, mean_milli);
        for _ in 0..n {
            batch.push((node as u16, d.draw_name()));
        }
        acc ^= d.read_ahead_victims(n as usize);
    }
    for &(node, name) in batch.iter() {
        if let Some(e) = nld[node as usize].expiry.get(name as usize) {
            crate::sim::prefetch::prefetch(e);
        }
    }
    std::hint::black_box(acc);
    let mut next = batch.iter().peekable();
    for node in 0..serving.len() {
        let d = &mut nld[node];
        let host = &mut Host {
            node: &mut nodes[node],
            syn_retx_ms,
        };
        d.housekeeping(cx, host.node);
        let req = Req {
            first: now,
            attempt: 0,
            dns_try: 0,
        };
        while let Some(&(_, name)) = next.next_if(|(n, _)| usize::from(*n) == node) {
            d.lookup(cx, host, req, name);
        }
        // Retries that are due.
        while let Some(Reverse((t, _, req))) = d.pending.peek().copied() {
            if t > now.micros() {
                break;
            }
            d.pending.pop();
            let name = d.draw_name();
            d.lookup(cx, host, req, name);
        }
        d.health_check(cx, host.node);
        d.oom_check(cx, host.node);
    }
    cx.schedule(TICK, Ev::DnsTick);
}

impl NodeLocalDns {
    /// One DNS query for data-store name `name` from a service pod to
    /// node-local-dns.
    pub(super) fn lookup(&mut self, cx: &mut Ctx, host: &mut Host, req: Req, name: u32) {
        let now = cx.now;
        let node = usize::from(host.node.index);
        cx.metrics.add(Global::DnsQueries, 1.0);
        cx.metrics.add_node(node, PerNode::DnsQueries, 1.0);
        self.requests_this_second += 1;
        if now < self.restarting_until {
            self.lookup_failed(cx, req, now);
            return;
        }
        if u64::from(self.expiry[name as usize]) > now.micros() {
            self.request_succeeded(cx, req, now + SimDuration::from_micros(200));
            return;
        }
        let inflight = self.inflight(now);
        if inflight >= cx.p.nld_max_concurrent {
            // forward: over max_concurrent → SERVFAIL (1.7) / REFUSED (1.8.1+).
            self.rejects += 1;
            cx.metrics.add(Global::NldRejects, 1.0);
            cx.metrics.add_node(node, PerNode::NldRejects, 1.0);
            if !self.rejecting {
                self.rejecting = true;
                let what = match cx.p.coredns {
                    CorednsVersion::V1_7 => "SERVFAIL",
                    CorednsVersion::V1_8 => "REFUSED",
                };
                let text = format!(
                    "Node {node}: node-local-dns at max_concurrent {} answers {what}",
                    cx.p.nld_max_concurrent
                );
                cx.note(Notable::DnsRejecting { node: node as u16 }, text);
            }
            self.lookup_failed(cx, req, now);
            return;
        }
        let deadline = now + SimDuration::from_millis(cx.p.nld_timeout_ms);
        self.forward(cx, host, req, name, deadline, u32::MAX);
    }

    pub(super) fn request_succeeded(&mut self, cx: &mut Ctx, req: Req, at: SimTime) {
        let store = self
            .rng
            .exp_micros(cx.p.datastore_latency_ms.max(1) * 1_000);
        let total = at.saturating_since(req.first).micros() + store;
        cx.metrics.add(Global::Requests, 1.0);
        cx.metrics.latency.record(total);
    }

    pub(super) fn lookup_failed(&mut self, cx: &mut Ctx, req: Req, at: SimTime) {
        if u32::from(req.dns_try) + 1 < cx.p.resolver_attempts {
            let r = Req {
                dns_try: req.dns_try + 1,
                ..req
            };
            self.pending_seq += 1;
            self.pending
                .push(Reverse((at.micros(), self.pending_seq, r)));
            return;
        }
        cx.metrics.add(Global::Requests, 1.0);
        cx.metrics.add(Global::RequestErrors, 1.0);
        if u32::from(req.attempt) < cx.p.request_retries {
            let r = Req {
                first: req.first,
                attempt: req.attempt + 1,
                dns_try: 0,
            };
            self.pending_seq += 1;
            self.pending
                .push(Reverse(((at + RETRY_DELAY).micros(), self.pending_seq, r)));
        } else {
            // The user sees the error after everything that was tried.
            cx.metrics
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
