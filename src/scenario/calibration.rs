//! The calibration table: the post's figures against the model's.
//!
//! Every row is computed from runs of the presets, each figure the median
//! over [`SEEDS`] seeds from the given one: some (the DNS peak, the rejects,
//! the error rate, whether twice the allowance is enough) hinge on how the
//! storm and node-local-dns's failures happen to fall and vary markedly from
//! seed to seed, so no single seed is trusted. Tolerances are
//! stated per row: order-of-magnitude for figures the post gives loosely
//! ("up to", "~"), tighter where it is specific. A row the model does not
//! reproduce stays in the table, marked, with the reason in `note` (see the
//! README); none is widened to pass.

use super::Scenario;
use crate::sim::summary::Summary;
use crate::sim::Sim;
use serde::Serialize;

/// One row.
#[derive(Clone, Debug, Serialize)]
pub struct Row {
    /// What is compared.
    pub figure: &'static str,
    /// The post's value, as it states it.
    pub post: &'static str,
    /// The simulated value.
    pub simulated: f64,
    /// Unit of the simulated value.
    pub unit: &'static str,
    /// The tolerance, as text.
    pub tolerance: &'static str,
    /// Whether the simulated value is within tolerance.
    pub holds: bool,
    /// Why the model disagrees, for rows known not to hold.
    pub note: &'static str,
}

/// Runs a preset with extra overrides to the end and summarises it.
pub fn run_with(preset: &str, seed: u64, set: &[(&str, &str)]) -> Summary {
    let sc = Scenario {
        seed,
        set: set
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        ..Scenario::preset(preset)
    };
    let p = sc.params().expect("presets are valid");
    let mut sim = Sim::new(&p, seed);
    sim.run_to_end();
    Summary::of(&sim)
}

fn row(
    figure: &'static str,
    post: &'static str,
    simulated: f64,
    unit: &'static str,
    tolerance: &'static str,
    holds: bool,
    note: &'static str,
) -> Row {
    Row {
        figure,
        post,
        simulated,
        unit,
        tolerance,
        holds,
        note,
    }
}

/// How many seeds each figure is the median of.
pub const SEEDS: u64 = 5;

/// The median of `values` (the mean of the middle two for an even count).
fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(|a, b| a.total_cmp(b));
    let n = values.len();
    match n {
        0 => 0.0,
        _ if n % 2 == 1 => values[n / 2],
        _ => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}

/// Runs a preset (with overrides) with [`SEEDS`] seeds from `seed` on.
fn runs(preset: &str, seed: u64, set: &[(&str, &str)]) -> Vec<Summary> {
    (0..SEEDS)
        .map(|k| run_with(preset, seed.wrapping_add(k), set))
        .collect()
}

/// Every figure of `runs` as its median over them (counts of events and
/// simulated seconds from the first).
fn medians(runs: &[Summary]) -> Summary {
    let med = |f: fn(&Summary) -> f64| median(runs.iter().map(f).collect());
    Summary {
        peak_syn_per_s: med(|s| s.peak_syn_per_s),
        syn_to_one_old_ip_90s: med(|s| s.syn_to_one_old_ip_90s),
        vpc_conntrack_peak: med(|s| s.vpc_conntrack_peak),
        vpc_conntrack_allowance: med(|s| s.vpc_conntrack_allowance),
        conntrack_allowance_exceeded: med(|s| s.conntrack_allowance_exceeded),
        linux_conntrack_peak: med(|s| s.linux_conntrack_peak),
        martian_drops: med(|s| s.martian_drops),
        icmp_unreachable_sent: med(|s| s.icmp_unreachable_sent),
        dns_qps_baseline: med(|s| s.dns_qps_baseline),
        dns_qps_peak: med(|s| s.dns_qps_peak),
        nodelocaldns_rejects: med(|s| s.nodelocaldns_rejects),
        nodelocaldns_healthcheck_failures: med(|s| s.nodelocaldns_healthcheck_failures),
        error_rate_peak: med(|s| s.error_rate_peak),
        error_rate_baseline: med(|s| s.error_rate_baseline),
        p99_latency_ms_peak: med(|s| s.p99_latency_ms_peak),
        p90_latency_ms_peak: med(|s| s.p90_latency_ms_peak),
        p99_latency_ms_baseline: med(|s| s.p99_latency_ms_baseline),
        stale_ip_seconds_mean: med(|s| s.stale_ip_seconds_mean),
        stale_ip_seconds_max: med(|s| s.stale_ip_seconds_max),
        reconnect_interval_refused_ms: med(|s| s.reconnect_interval_refused_ms),
        reconnect_interval_silent_ms: med(|s| s.reconnect_interval_silent_ms),
        syn_sent: med(|s| s.syn_sent),
        nodelocaldns_oom_kills: med(|s| s.nodelocaldns_oom_kills),
        syn_rst: med(|s| s.syn_rst),
        src_dst_check_drops: med(|s| s.src_dst_check_drops),
        ..runs[0].clone()
    }
}

/// Computes every row.
pub fn table(seed: u64) -> Vec<Row> {
    let inc_runs = runs("incident", seed, &[]);
    let p99_ratio = median(
        inc_runs
            .iter()
            .map(|s| s.p99_latency_ms_peak / s.p99_latency_ms_baseline.max(1.0))
            .collect(),
    );
    let inc = medians(&inc_runs);
    let inc64 = medians(&runs("incident", seed, &[("nld_memory_mb", "64")]));
    let fix = medians(&runs("fix-default-backoff", seed, &[]));
    let big = medians(&runs("larger-instance", seed, &[]));
    let pf = medians(&runs("pick-first", seed, &[]));
    let quiet = medians(&runs("no-rollout", seed, &[]));
    let within = |v: f64, lo: f64, hi: f64| v >= lo && v <= hi;
    vec![
        row("Reconnect interval to a refusing (terminating) pod", "about every 300 ms", inc.reconnect_interval_refused_ms, "ms", "225-375 ms", within(inc.reconnect_interval_refused_ms, 225.0, 375.0), ""),
        row("Reconnect interval to a deleted pod's IP (no answer)", "about every 300 ms", inc.reconnect_interval_silent_ms, "ms", "225-375 ms", within(inc.reconnect_interval_silent_ms, 225.0, 375.0),
            "grpc-go waits the dial deadline (= the backoff when MinConnectTimeout is 0) before sleeping the backoff, so an unanswered attempt repeats every 2 x 300 ms"),
        row("Peak SYN rate, all clients", "up to ~30,000/s", inc.peak_syn_per_s, "SYN/s", "10,000-100,000 (order of magnitude)", within(inc.peak_syn_per_s, 10_000.0, 100_000.0), ""),
        row("SYNs to one old IP in 90 s", "~90,000", inc.syn_to_one_old_ip_90s, "SYNs", "45,000-180,000 (x0.5-x2)", within(inc.syn_to_one_old_ip_90s, 45_000.0, 180_000.0), ""),
        row("Deleted IP still used by clients (mean)", "30-60 s", inc.stale_ip_seconds_mean, "s", "30-60 s", within(inc.stale_ip_seconds_mean, 30.0, 60.0), ""),
        row("Linux conntrack peak on a node", "below 60,000", inc.linux_conntrack_peak, "entries", "< 60,000", inc.linux_conntrack_peak < 60_000.0,
            "the RST phase (GracefulStop closes the listener) leaves CLOSE entries for 10 s; two terminating pods on a node add ~60,000"),
        row("VPC conntrack saturates", "conntrack_allowance_exceeded rises", inc.conntrack_allowance_exceeded, "packets", "> 0", inc.conntrack_allowance_exceeded > 0.0, ""),
        row("node-local-dns OOM-killed with its first 64 MB limit", "OOM errors", inc64.nodelocaldns_oom_kills, "kills", "> 0", inc64.nodelocaldns_oom_kills > 0.0, ""),
        row("No OOM kills at 256 MB", "256 MB stopped the OOM errors", inc.nodelocaldns_oom_kills, "kills", "= 0", inc.nodelocaldns_oom_kills == 0.0, ""),
        row("node-local-dns health checks fail", "failed health checks to cluster DNS", inc.nodelocaldns_healthcheck_failures, "checks", "> 0", inc.nodelocaldns_healthcheck_failures > 0.0, ""),
        row("node-local-dns rejects at max_concurrent 1,000", "rejecting requests above the limit", inc.nodelocaldns_rejects, "queries", "> 0", inc.nodelocaldns_rejects > 0.0,
            "with the 64 MB limit the model's node-local-dns is OOM-killed before 1,000 queries are in flight; with 256 MB (--set nld_memory_mb=256) it rejects"),
        row("DNS queries per node, baseline", "about 400/s", inc.dns_qps_baseline, "qps", "360-440 (input)", within(inc.dns_qps_baseline, 360.0, 440.0), ""),
        row("DNS queries per node, rollout peak", "nearly 2,000/s", inc.dns_qps_peak, "qps", "1,000-4,000 (x0.5-x2)", within(inc.dns_qps_peak, 1_000.0, 4_000.0),
            "every failed lookup is retried by the resolver (2 attempts) and every failed request by the client (2 retries): up to 6x the lookups, on top of an emptied cache after OOM kills"),
        row("Error rate during the rollout (10 s windows)", "above 1%", inc.error_rate_peak, "fraction", "> 0.01", inc.error_rate_peak > 0.01, ""),
        row("p99 latency during the rollout vs before", "p90/p99 up", p99_ratio, "x", "> 2x", p99_ratio > 2.0, ""),
        row("fix-default-backoff: conntrack_allowance_exceeded", "errors gone", fix.conntrack_allowance_exceeded, "packets", "= 0", fix.conntrack_allowance_exceeded == 0.0, ""),
        row("fix-default-backoff: error rate", "back to baseline", fix.error_rate_peak, "fraction", "<= baseline", fix.error_rate_peak <= fix.error_rate_baseline + 1e-9, ""),
        row("larger-instance: conntrack_allowance_exceeded", "resolved by scaling up", big.conntrack_allowance_exceeded, "packets", "= 0", big.conntrack_allowance_exceeded == 0.0,
            "twice the allowance (the preset's assumption: AWS publishes none per type) is still exceeded with seeds 2-5 (seed 1 alone stays under it): each stale IP draws about 1,500 unanswered SYNs a second, each holding an entry for 60 s, and a node with several stale IPs at once fills even the doubled table"),
        row("larger-instance: error rate", "back to baseline", big.error_rate_peak, "fraction", "<= baseline", big.error_rate_peak <= big.error_rate_baseline + 1e-9, ""),
        row("pick-first: SYNs sent vs incident", "far fewer reconnects", pf.syn_sent / inc.syn_sent.max(1.0), "x", "< 0.1x", pf.syn_sent < 0.1 * inc.syn_sent, ""),
        row("no-rollout: SYNs to deleted IPs / allowance drops", "quiet", quiet.martian_drops + quiet.conntrack_allowance_exceeded, "packets", "= 0", quiet.martian_drops + quiet.conntrack_allowance_exceeded == 0.0, ""),
    ]
}

/// Formats the table as Markdown (the README's calibration section).
pub fn markdown(rows: &[Row]) -> String {
    let mut s = String::from(
        "| figure | the post | simulated | tolerance | holds |\n|---|---|---|---|---|\n",
    );
    for r in rows {
        // Counts print as counts; fractions and small means with decimals.
        let v = if r.simulated.abs() >= 100.0 || r.simulated.fract() == 0.0 {
            format!("{:.0} {}", r.simulated, r.unit)
        } else {
            format!("{:.3} {}", r.simulated, r.unit)
        };
        let holds = if r.holds {
            "yes".to_string()
        } else {
            format!("**no**: {}", r.note)
        };
        s.push_str(&format!(
            "| {} | {} | {} | {} | {} |\n",
            r.figure, r.post, v, r.tolerance, holds
        ));
    }
    s
}
