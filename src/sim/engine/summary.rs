//! The figures of a finished run (the CLI's `run --json` and the calibration).

use super::Sim;
use crate::sim::cluster::Phase;
use crate::sim::metrics::{Global, PerNode};
use serde::{Deserialize, Serialize};

/// Headline figures of a run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Events processed.
    pub events: u64,
    /// Simulated seconds.
    pub sim_seconds: u64,
    /// Highest SYN rate from all clients in one second.
    pub peak_syn_per_s: f64,
    /// Max over old pod IPs of SYNs arriving in any 90 s window.
    pub syn_to_one_old_ip_90s: f64,
    /// Highest VPC conntrack entry count on any node.
    pub vpc_conntrack_peak: f64,
    /// The allowance per instance.
    pub vpc_conntrack_allowance: f64,
    /// Packets dropped for the allowance, all nodes.
    pub conntrack_allowance_exceeded: f64,
    /// Highest Linux conntrack count on any node.
    pub linux_conntrack_peak: f64,
    /// SYNs dropped by rp_filter.
    pub martian_drops: f64,
    /// ICMP host unreachable sent.
    pub icmp_unreachable_sent: f64,
    /// Mean DNS queries per second per node before the rollout.
    pub dns_qps_baseline: f64,
    /// Highest DNS queries per second on one node.
    pub dns_qps_peak: f64,
    /// node-local-dns max_concurrent rejections, all nodes.
    pub nodelocaldns_rejects: f64,
    /// Failed node-local-dns health checks, all nodes.
    pub nodelocaldns_healthcheck_failures: f64,
    /// Highest error rate over 10 s windows (fraction).
    pub error_rate_peak: f64,
    /// Error rate over 10 s windows before the rollout (highest).
    pub error_rate_baseline: f64,
    /// Highest per-second p99 latency, ms.
    pub p99_latency_ms_peak: f64,
    /// Highest per-second p90 latency, ms.
    pub p90_latency_ms_peak: f64,
    /// p99 before the rollout (highest second), ms.
    pub p99_latency_ms_baseline: f64,
    /// Mean over deleted pods of (last SYN to its IP − deletion), seconds.
    pub stale_ip_seconds_mean: f64,
    /// Max of the same.
    pub stale_ip_seconds_max: f64,
    /// Mean interval from an attempt the pod refused (RST) to the next, ms.
    pub reconnect_interval_refused_ms: f64,
    /// Mean interval from an attempt whose SYN reached the node unanswered to the next, ms.
    pub reconnect_interval_silent_ms: f64,
    /// Mean interval from an attempt whose SYN the VPC dropped to the next, ms.
    pub reconnect_interval_vpc_dropped_ms: f64,
    /// SYNs sent in total.
    pub syn_sent: f64,
    /// node-local-dns OOM kills.
    pub nodelocaldns_oom_kills: f64,
    /// SYNs answered with RST.
    pub syn_rst: f64,
    /// SYNs dropped by the ENI source/destination check.
    pub src_dst_check_drops: f64,
}

fn max(v: &[f64]) -> f64 {
    v.iter().copied().fold(0.0, f64::max)
}

impl Summary {
    /// Computes the summary of `sim` (normally after `run_to_end`).
    pub fn of(sim: &Sim) -> Summary {
        let m = &sim.metrics;
        let secs = m.seconds();
        let rollout_at = if sim.p.rollout {
            sim.p.rollout_start_s as usize
        } else {
            secs
        };
        let syn = m.global(Global::SynSent);
        let dns_nodes: Vec<Vec<f64>> = (0..m.nodes())
            .map(|n| m.node(n, PerNode::DnsQueries).to_vec())
            .collect();
        let base_end = rollout_at.min(secs);
        let base_start = 10.min(base_end);
        let mut base_sum = 0.0;
        let mut base_n = 0.0;
        let mut dns_peak: f64 = 0.0;
        for s in &dns_nodes {
            for (i, v) in s.iter().enumerate() {
                if i >= base_start && i < base_end {
                    base_sum += v;
                    base_n += 1.0;
                }
                dns_peak = dns_peak.max(*v);
            }
        }
        let req = m.global(Global::Requests);
        let err = m.global(Global::RequestErrors);
        let window_rate = |from: usize, to: usize| -> f64 {
            let mut best: f64 = 0.0;
            let mut i = from;
            while i + 10 <= to {
                let r: f64 = req[i..i + 10].iter().sum();
                let e: f64 = err[i..i + 10].iter().sum();
                if r > 0.0 {
                    best = best.max(e / r);
                }
                i += 1;
            }
            best
        };
        let mut syn90: f64 = 0.0;
        let mut stale = Vec::new();
        for p in &sim.pods {
            if !p.syn_per_sec.is_empty() {
                let mut acc: u64 = 0;
                for i in 0..p.syn_per_sec.len() {
                    acc += u64::from(p.syn_per_sec[i]);
                    if i >= 90 {
                        acc -= u64::from(p.syn_per_sec[i - 90]);
                    }
                    syn90 = syn90.max(acc as f64);
                }
            }
            if p.phase == Phase::Deleted && p.revision == 0 {
                if let Some(d) = p.deleted_at {
                    let last = p.last_syn_after_delete.unwrap_or(d);
                    stale.push(last.saturating_since(d).as_secs_f64());
                }
            }
        }
        let stale_mean = if stale.is_empty() {
            0.0
        } else {
            stale.iter().sum::<f64>() / stale.len() as f64
        };
        let p99 = m.global(Global::P99LatencyMs);
        let p90 = m.global(Global::P90LatencyMs);
        Summary {
            events: sim.events(),
            sim_seconds: sim.p.duration_s,
            peak_syn_per_s: max(syn),
            syn_to_one_old_ip_90s: syn90,
            vpc_conntrack_peak: sim
                .nodes
                .iter()
                .map(|n| n.vpc.peak as f64)
                .fold(0.0, f64::max),
            vpc_conntrack_allowance: sim.p.conntrack_allowance as f64,
            conntrack_allowance_exceeded: m.global(Global::ConntrackAllowanceExceeded).iter().sum(),
            linux_conntrack_peak: max(&m.node_aggregate(PerNode::LinuxConntrack)),
            martian_drops: m.global(Global::MartianDrops).iter().sum(),
            icmp_unreachable_sent: m.global(Global::IcmpSent).iter().sum(),
            dns_qps_baseline: if base_n > 0.0 { base_sum / base_n } else { 0.0 },
            dns_qps_peak: dns_peak,
            nodelocaldns_rejects: m.global(Global::NldRejects).iter().sum(),
            nodelocaldns_healthcheck_failures: m
                .global(Global::NldHealthcheckFailures)
                .iter()
                .sum(),
            error_rate_peak: window_rate(0, secs),
            error_rate_baseline: window_rate(base_start, base_end),
            p99_latency_ms_peak: max(p99),
            p90_latency_ms_peak: max(p90),
            p99_latency_ms_baseline: max(&p99[base_start..base_end]),
            stale_ip_seconds_mean: stale_mean,
            stale_ip_seconds_max: stale.iter().copied().fold(0.0, f64::max),
            reconnect_interval_refused_ms: sim.totals.gap_refused.mean_ms(),
            reconnect_interval_silent_ms: sim.totals.gap_silent.mean_ms(),
            reconnect_interval_vpc_dropped_ms: sim.totals.gap_vpc_dropped.mean_ms(),
            syn_sent: sim.totals.syn_sent as f64,
            nodelocaldns_oom_kills: sim.nld.iter().map(|d| d.oom_kills as f64).sum(),
            syn_rst: sim.totals.syn_rst as f64,
            src_dst_check_drops: sim.totals.syn_src_dst as f64,
        }
    }
}
