//! The responders' charts: each one's series, thresholds and markers from a run.

use super::*;
use crate::sim::metrics::{Global, PerNode};
use crate::sim::trace::Notable;

/// Ids of the charts [`chart_specs`] returns, in its order.
pub const CHART_IDS: [&str; 12] = [
    "error-rate",
    "latency",
    "nodelocaldns-rejects",
    "dns-queries",
    "nodelocaldns-healthcheck-failures",
    "throughput",
    "tcp-retransmits",
    "conntrack-allowance-exceeded",
    "vpc-conntrack",
    "linux-conntrack",
    "flowlog-old-ip",
    "syn-rate",
];

/// Pod deletions less than this apart belong to one wave (one marker).
pub(super) const WAVE_GAP_S: f64 = 10.0;

/// Every chart the responders saw, in the order of [`CHART_IDS`], over the
/// whole run (`0..duration_s`), no cursor.
pub fn chart_specs<'a>(run: impl Into<RunView<'a>>) -> Vec<ChartSpec> {
    let v = &run.into();
    let m = v.metrics;
    let window = (0.0, (v.params.duration_s as f64).max(m.seconds() as f64));
    let markers = run_markers(v);
    let pick = |kinds: &[MarkerKind]| -> Vec<Marker> {
        markers
            .iter()
            .filter(|mk| kinds.contains(&mk.kind))
            .cloned()
            .collect()
    };
    use MarkerKind as K;
    use SeriesStyle::{Area, Bars, Line};

    let mut out = Vec::new();

    // Error rate.
    let req = m.global(Global::Requests);
    let err = m.global(Global::RequestErrors);
    let rate: Vec<f64> = req
        .iter()
        .zip(err)
        .map(|(r, e)| if *r > 0.0 { 100.0 * e / r } else { 0.0 })
        .collect();
    let mut c = ChartSpec::new(
        "error-rate",
        "Request error rate",
        "errors / requests, %",
        "%",
    );
    c.series
        .push(Series::new("error rate", Hue::Vermillion, Line, rate));
    c.thresholds.push(Threshold {
        value: 1.0,
        label: "1 %".into(),
        fit: true,
    });
    c.markers = pick(&[K::Rollout, K::Pods, K::Conntrack, K::Dns]);
    out.push(c);

    // Latency.
    let mut c = ChartSpec::new("latency", "Request latency", "ms (log scale)", "ms");
    c.series.push(Series::new(
        "p90",
        Hue::Blue,
        Line,
        m.global(Global::P90LatencyMs).to_vec(),
    ));
    c.series.push(Series::new(
        "p99",
        Hue::Vermillion,
        Line,
        m.global(Global::P99LatencyMs).to_vec(),
    ));
    c.log_y = true;
    c.markers = pick(&[K::Rollout, K::Pods, K::Conntrack, K::Dns]);
    out.push(c);

    // node-local-dns rejects.
    let mut c = ChartSpec::new(
        "nodelocaldns-rejects",
        "node-local-dns rejected queries (max_concurrent)",
        "queries/s, all nodes",
        "queries/s",
    );
    c.series.push(Series::new(
        "rejected",
        Hue::Vermillion,
        Bars,
        m.global(Global::NldRejects).to_vec(),
    ));
    c.markers = pick(&[K::Rollout, K::Conntrack, K::Dns]);
    out.push(c);

    // DNS queries per node.
    let mut c = per_node_chart(
        v,
        (
            "dns-queries",
            "DNS queries per node",
            "queries/s",
            "queries/s",
        ),
        PerNode::DnsQueries,
        (Hue::Blue, Line),
    );
    c.markers = pick(&[K::Rollout, K::Pods, K::Dns]);
    out.push(c);

    // Health-check failures.
    let mut c = ChartSpec::new(
        "nodelocaldns-healthcheck-failures",
        "node-local-dns health checks failed",
        "failures/s, all nodes",
        "failures/s",
    );
    c.series.push(Series::new(
        "failed health checks",
        Hue::Purple,
        Bars,
        m.global(Global::NldHealthcheckFailures).to_vec(),
    ));
    c.markers = pick(&[K::Rollout, K::Conntrack, K::Dns]);
    out.push(c);

    // Throughput per node.
    let throughput_title = format!(
        "Throughput per node (requests x {} KB, an assumed size: response_kb)",
        v.params.response_kb
    );
    let mut c = per_node_chart(
        v,
        ("throughput", &throughput_title, "Mbit/s", "Mbit/s"),
        PerNode::ThroughputMbps,
        (Hue::Blue, Line),
    );
    c.markers = pick(&[K::Rollout, K::Pods]);
    out.push(c);

    // TCP retransmits per node.
    let mut c = per_node_chart(
        v,
        (
            "tcp-retransmits",
            "TCP retransmits per node (node-local-dns's dial SYNs, simulated)",
            "segments/s",
            "segments/s",
        ),
        PerNode::TcpRetransmits,
        (Hue::Orange, Line),
    );
    c.markers = pick(&[K::Rollout, K::Pods, K::Conntrack]);
    out.push(c);

    // conntrack_allowance_exceeded.
    let mut c = ChartSpec::new(
        "conntrack-allowance-exceeded",
        "conntrack_allowance_exceeded",
        "packets dropped/s, all nodes",
        "packets/s",
    );
    c.series.push(Series::new(
        "allowance exceeded",
        Hue::Vermillion,
        Area,
        m.global(Global::ConntrackAllowanceExceeded).to_vec(),
    ));
    c.markers = pick(&[K::Rollout, K::Pods, K::Martian, K::Conntrack]);
    out.push(c);

    // VPC conntrack vs the allowance.
    let mut c = per_node_chart(
        v,
        (
            "vpc-conntrack",
            "VPC conntrack entries vs the allowance",
            "entries per instance",
            "entries",
        ),
        PerNode::VpcConntrack,
        (Hue::Blue, Area),
    );
    c.thresholds.push(Threshold {
        value: v.params.conntrack_allowance as f64,
        label: "allowance".into(),
        fit: true,
    });
    c.markers = pick(&[K::Rollout, K::Pods, K::Martian, K::Conntrack]);
    out.push(c);

    // Linux conntrack.
    let mut c = per_node_chart(
        v,
        (
            "linux-conntrack",
            "Linux conntrack entries (nf_conntrack)",
            "entries per node",
            "entries",
        ),
        PerNode::LinuxConntrack,
        (Hue::Purple, Line),
    );
    c.thresholds.push(Threshold {
        value: v.params.nf_conntrack_max as f64,
        label: "nf_conntrack_max".into(),
        fit: false,
    });
    c.series.push(Series::new(
        RST_DELETED_SERIES,
        Hue::Vermillion,
        SeriesStyle::Line,
        rst_deleted_in_close(v),
    ));
    c.markers = pick(&[K::Rollout, K::Pods]);
    out.push(c);

    // Flow logs to the tracked old IP.
    out.push(flowlog_spec(v));

    // SYN rate and SYNs to deleted IPs.
    let mut c = ChartSpec::new(
        "syn-rate",
        "SYNs sent by the clients",
        "SYN/s, all clients",
        "SYN/s",
    );
    c.series.push(Series::new(
        "SYNs sent",
        Hue::Blue,
        Line,
        m.global(Global::SynSent).to_vec(),
    ));
    c.series.push(Series::new(
        "to deleted pods' IPs",
        Hue::Vermillion,
        Area,
        m.global(Global::SynToDeletedIp).to_vec(),
    ));
    c.markers = pick(&[K::Rollout, K::Pods, K::Martian, K::Conntrack]);
    out.push(c);

    for c in &mut out {
        c.window = window;
    }
    debug_assert_eq!(
        out.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(),
        CHART_IDS
    );
    out
}

/// The chart with this id (see [`CHART_IDS`], and `dns-queries-node-<n>` for
/// [`dns_per_node_specs`]).
pub fn chart_spec<'a>(run: impl Into<RunView<'a>>, id: &str) -> Option<ChartSpec> {
    let v = run.into();
    if id.starts_with("dns-queries-node-") {
        return dns_per_node_specs(v).into_iter().find(|c| c.id == id);
    }
    chart_specs(v).into_iter().find(|c| c.id == id)
}

/// Small multiples: DNS queries of each node (`dns-queries-node-<n>`), all on
/// one y range so the nodes compare at a glance.
pub fn dns_per_node_specs<'a>(run: impl Into<RunView<'a>>) -> Vec<ChartSpec> {
    let v = &run.into();
    let m = v.metrics;
    let window = (0.0, (v.params.duration_s as f64).max(m.seconds() as f64));
    let markers: Vec<Marker> = run_markers(v)
        .into_iter()
        .filter(|mk| matches!(mk.kind, MarkerKind::Rollout | MarkerKind::Dns))
        .collect();
    let top = (0..m.nodes())
        .flat_map(|n| m.node(n, PerNode::DnsQueries).iter().copied())
        .fold(0.0, f64::max);
    let (lo, hi) = nice_linear_range(0.0, top.max(1.0) * 1.05, 4);
    (0..m.nodes())
        .map(|n| {
            let mut c = ChartSpec::new(
                &format!("dns-queries-node-{n}"),
                &format!("DNS queries, node {n}"),
                "queries/s",
                "queries/s",
            );
            c.series.push(Series::new(
                "queries",
                Hue::Blue,
                SeriesStyle::Line,
                m.node(n, PerNode::DnsQueries).to_vec(),
            ));
            c.series.push(Series::new(
                "rejected",
                Hue::Vermillion,
                SeriesStyle::Bars,
                m.node(n, PerNode::NldRejects).to_vec(),
            ));
            c.markers = markers.clone();
            c.window = window;
            c.y_range = Some((lo, hi));
            c
        })
        .collect()
}

/// The Linux conntrack chart's explanation, as a series: on the busiest
/// node, the refused flows of the last 10 s, which a CLOSE state of
/// `nf_conntrack_tcp_timeout_close` (10 s) would still hold, had the pod's
/// RST not deleted them at once (`nf_conntrack_tcp_packet`: a flow whose only
/// reply is an RST is killed). Computed from the run's per-node count of
/// such deletions; it is not part of the table's count.
pub const RST_DELETED_SERIES: &str =
    "refused flows of the last 10 s (deleted at once by the RST; CLOSE would hold them)";

pub(super) fn rst_deleted_in_close(v: &RunView<'_>) -> Vec<f64> {
    let m = v.metrics;
    let len = m.seconds();
    let mut max = vec![0.0f64; len];
    for n in 0..m.nodes() {
        let v = m.node(n, PerNode::LinuxCtRstKilled);
        let mut acc = 0.0;
        for i in 0..len.min(v.len()) {
            acc += v[i];
            if i >= 10 {
                acc -= v[i - 10];
            }
            max[i] = max[i].max(acc);
        }
    }
    max
}

/// Per-second maximum and mean over the nodes of a node series.
/// A per-node metric as its maximum over the nodes (drawn `max_style`) and
/// its mean (a green line): one node in trouble shows, and so does the fleet.
/// `names` are the chart's id, title, y label and unit.
pub(super) fn per_node_chart(
    v: &RunView<'_>,
    (id, title, y_label, unit): (&str, &str, &str, &str),
    metric: PerNode,
    max_style: (Hue, SeriesStyle),
) -> ChartSpec {
    let (max, mean) = max_mean(v, metric);
    let mut c = ChartSpec::new(id, title, y_label, unit);
    c.series
        .push(Series::new("max over nodes", max_style.0, max_style.1, max));
    c.series.push(Series::new(
        "mean over nodes",
        Hue::Green,
        SeriesStyle::Line,
        mean,
    ));
    c
}

pub(super) fn max_mean(v: &RunView<'_>, metric: PerNode) -> (Vec<f64>, Vec<f64>) {
    let m = v.metrics;
    let len = m.seconds();
    let mut max = vec![0.0f64; len];
    let mut sum = vec![0.0f64; len];
    for n in 0..m.nodes() {
        for (i, v) in m.node(n, metric).iter().enumerate().take(len) {
            max[i] = max[i].max(*v);
            sum[i] += *v;
        }
    }
    let k = m.nodes().max(1) as f64;
    (max, sum.into_iter().map(|s| s / k).collect())
}

/// The run's milestones, few enough to label: rollout start and end, one
/// marker per wave of pod deletions, and the first of each kind of trouble.
pub(super) fn run_markers(v: &RunView<'_>) -> Vec<Marker> {
    let mut out: Vec<Marker> = Vec::new();
    let mut wave: Option<(f64, f64, u32)> = None; // (first, last, count)
    let mut seen_martian = false;
    let mut seen_full = false;
    let mut seen_reject = false;
    let mut seen_down = false;
    let mut seen_oom = false;
    let flush = |wave: &mut Option<(f64, f64, u32)>, out: &mut Vec<Marker>| {
        if let Some((at, _, n)) = wave.take() {
            out.push(Marker {
                at,
                label: if n == 1 {
                    "pod deleted".into()
                } else {
                    format!("{n} pods deleted")
                },
                kind: MarkerKind::Pods,
            });
        }
    };
    for ev in v.events {
        let at = ev.at.as_secs_f64();
        let mut mark = |label: &str, kind: MarkerKind| {
            out.push(Marker {
                at,
                label: label.into(),
                kind,
            })
        };
        match ev.what {
            Notable::RolloutStarted => mark("rollout", MarkerKind::Rollout),
            Notable::RolloutFinished => mark("rollout done", MarkerKind::Rollout),
            Notable::PodDeleted { .. } => match &mut wave {
                Some((_, last, n)) if at - *last <= WAVE_GAP_S => {
                    *last = at;
                    *n += 1;
                }
                _ => {
                    flush(&mut wave, &mut out);
                    wave = Some((at, at, 1));
                }
            },
            Notable::FirstMartian { .. } if !seen_martian => {
                seen_martian = true;
                mark("first martian", MarkerKind::Martian);
            }
            Notable::ConntrackFull { .. } if !seen_full => {
                seen_full = true;
                mark("conntrack full", MarkerKind::Conntrack);
            }
            Notable::DnsRejecting { .. } if !seen_reject => {
                seen_reject = true;
                mark("DNS rejects", MarkerKind::Dns);
            }
            Notable::UpstreamDown { .. } if !seen_down => {
                seen_down = true;
                mark("upstream down", MarkerKind::Dns);
            }
            Notable::NldOomKilled { .. } if !seen_oom => {
                seen_oom = true;
                mark("OOM kill", MarkerKind::Dns);
            }
            _ => {}
        }
    }
    flush(&mut wave, &mut out);
    out.sort_by(|a, b| a.at.total_cmp(&b.at));
    out
}

/// VPC flow-log records to the old IP of the first pod to terminate, with
/// that pod's own milestones as markers.
pub(super) fn flowlog_spec(v: &RunView<'_>) -> ChartSpec {
    let m = v.metrics;
    let pod = v.tracked.as_ref();
    let title = match pod {
        Some(p) => format!("VPC flow logs to the old IP {}", p.ip),
        None => "VPC flow logs to a terminated pod's IP (none in this run)".to_string(),
    };
    let mut c = ChartSpec::new("flowlog-old-ip", &title, "records/s, flows", "records/s");
    c.series.push(Series::new(
        "SYN",
        Hue::Vermillion,
        SeriesStyle::Line,
        m.global(Global::FlowLogSyn).to_vec(),
    ));
    c.series.push(Series::new(
        "FIN",
        Hue::Orange,
        SeriesStyle::Line,
        m.global(Global::FlowLogFin).to_vec(),
    ));
    c.series.push(Series::new(
        "established",
        Hue::Blue,
        SeriesStyle::Area,
        m.global(Global::FlowLogEstablished).to_vec(),
    ));
    if let Some(p) = pod {
        let mut push = |at: Option<crate::sim::time::SimTime>, label: &str| {
            if let Some(at) = at {
                c.markers.push(Marker {
                    at: at.as_secs_f64(),
                    label: label.into(),
                    kind: MarkerKind::Pods,
                });
            }
        };
        push(p.terminated_at, "SIGTERM");
        push(p.deleted_at, "deleted");
        if let Some(first) = v
            .events
            .iter()
            .find(|e| matches!(e.what, Notable::FirstMartian { pod } if pod == p.index))
        {
            push(Some(first.at), "first martian");
        }
        push(p.last_syn_after_delete, "last SYN");
        c.markers.sort_by(|a, b| a.at.total_cmp(&b.at));
    }
    c
}
