//! The responders' charts: each one's series, thresholds and markers from a run.

use super::*;
use crate::sim::metrics::{Global, PerNode};
use crate::sim::trace::Notable;

/// Where a chart's lines come from.
enum Source {
    /// Run-wide series, one line each: (name, hue, style, metric).
    Global(&'static [(&'static str, Hue, SeriesStyle, Global)]),
    /// A per-node metric as its maximum over the nodes (drawn with this hue
    /// and style) and its mean (see [`per_node_chart`]).
    PerNode(PerNode, Hue, SeriesStyle),
    /// The users' error rate: errors / requests, in %.
    ErrorRate,
}

/// A horizontal line: a limit from the parameters or a fixed figure.
enum Limit {
    /// This value.
    Fixed(f64),
    /// The instance's conntrack allowance (`conntrack_allowance`).
    Allowance,
    /// `nf_conntrack_max`.
    NfConntrackMax,
}

/// One of the responders' charts, as data.
struct Entry {
    id: &'static str,
    title: &'static str,
    y_label: &'static str,
    unit: &'static str,
    source: Source,
    log_y: bool,
    /// A limit, its label, and whether the y range must include it.
    threshold: Option<(Limit, &'static str, bool)>,
    /// Which of the run's milestones it marks ([`run_markers`]).
    markers: &'static [MarkerKind],
    /// What the table cannot say: a title from the parameters, a series
    /// computed from others, markers of its own.
    finish: Option<fn(&RunView<'_>, &mut ChartSpec)>,
}

use MarkerKind::{Conntrack as MC, Dns as MD, Martian as MM, Pods as MP, Rollout as MR};
use SeriesStyle::{Area, Bars, Line};

/// Every chart the responders saw, in the page's order.
const CATALOG: [Entry; 12] = [
    Entry {
        id: "error-rate",
        title: "Request error rate",
        y_label: "errors / requests, %",
        unit: "%",
        source: Source::ErrorRate,
        log_y: false,
        threshold: Some((Limit::Fixed(1.0), "1 %", true)),
        markers: &[MR, MP, MC, MD],
        finish: None,
    },
    Entry {
        id: "latency",
        title: "Request latency",
        y_label: "ms (log scale)",
        unit: "ms",
        source: Source::Global(&[
            ("p90", Hue::Blue, Line, Global::P90LatencyMs),
            ("p99", Hue::Vermillion, Line, Global::P99LatencyMs),
        ]),
        log_y: true,
        threshold: None,
        markers: &[MR, MP, MC, MD],
        finish: None,
    },
    Entry {
        id: "nodelocaldns-rejects",
        title: "node-local-dns rejected queries (max_concurrent)",
        y_label: "queries/s, all nodes",
        unit: "queries/s",
        source: Source::Global(&[("rejected", Hue::Vermillion, Bars, Global::NldRejects)]),
        log_y: false,
        threshold: None,
        markers: &[MR, MC, MD],
        finish: None,
    },
    Entry {
        id: "dns-queries",
        title: "DNS queries per node",
        y_label: "queries/s",
        unit: "queries/s",
        source: Source::PerNode(PerNode::DnsQueries, Hue::Blue, Line),
        log_y: false,
        threshold: None,
        markers: &[MR, MP, MD],
        finish: None,
    },
    Entry {
        id: "nodelocaldns-healthcheck-failures",
        title: "node-local-dns health checks failed",
        y_label: "failures/s, all nodes",
        unit: "failures/s",
        source: Source::Global(&[(
            "failed health checks",
            Hue::Purple,
            Bars,
            Global::NldHealthcheckFailures,
        )]),
        log_y: false,
        threshold: None,
        markers: &[MR, MC, MD],
        finish: None,
    },
    Entry {
        id: "throughput",
        title: "Throughput per node",
        y_label: "Mbit/s",
        unit: "Mbit/s",
        source: Source::PerNode(PerNode::ThroughputMbps, Hue::Blue, Line),
        log_y: false,
        threshold: None,
        markers: &[MR, MP],
        finish: Some(|v, c| {
            c.title = format!(
                "Throughput per node (requests x {} KB, an assumed size: response_kb)",
                v.params.response_kb
            );
        }),
    },
    Entry {
        id: "tcp-retransmits",
        title: "TCP retransmits per node (node-local-dns's dial SYNs, simulated)",
        y_label: "segments/s",
        unit: "segments/s",
        source: Source::PerNode(PerNode::TcpRetransmits, Hue::Orange, Line),
        log_y: false,
        threshold: None,
        markers: &[MR, MP, MC],
        finish: None,
    },
    Entry {
        id: "conntrack-allowance-exceeded",
        title: "conntrack_allowance_exceeded",
        y_label: "packets dropped/s, all nodes",
        unit: "packets/s",
        source: Source::Global(&[(
            "allowance exceeded",
            Hue::Vermillion,
            Area,
            Global::ConntrackAllowanceExceeded,
        )]),
        log_y: false,
        threshold: None,
        markers: &[MR, MP, MM, MC],
        finish: None,
    },
    Entry {
        id: "vpc-conntrack",
        title: "VPC conntrack entries vs the allowance",
        y_label: "entries per instance",
        unit: "entries",
        source: Source::PerNode(PerNode::VpcConntrack, Hue::Blue, Area),
        log_y: false,
        threshold: Some((Limit::Allowance, "allowance", true)),
        markers: &[MR, MP, MM, MC],
        finish: None,
    },
    Entry {
        id: "linux-conntrack",
        title: "Linux conntrack entries (nf_conntrack)",
        y_label: "entries per node",
        unit: "entries",
        source: Source::PerNode(PerNode::LinuxConntrack, Hue::Purple, Line),
        log_y: false,
        threshold: Some((Limit::NfConntrackMax, "nf_conntrack_max", false)),
        markers: &[MR, MP],
        finish: Some(|v, c| {
            c.series.push(Series::new(
                RST_DELETED_SERIES,
                Hue::Vermillion,
                Line,
                rst_deleted_in_close(v),
            ));
        }),
    },
    Entry {
        id: "flowlog-old-ip",
        title: "VPC flow logs to a terminated pod's IP (none in this run)",
        y_label: "records/s, flows",
        unit: "records/s",
        source: Source::Global(&[
            ("SYN", Hue::Vermillion, Line, Global::FlowLogSyn),
            ("FIN", Hue::Orange, Line, Global::FlowLogFin),
            ("established", Hue::Blue, Area, Global::FlowLogEstablished),
        ]),
        log_y: false,
        threshold: None,
        markers: &[],
        finish: Some(flowlog_pod),
    },
    Entry {
        id: "syn-rate",
        title: "SYNs sent by the clients",
        y_label: "SYN/s, all clients",
        unit: "SYN/s",
        source: Source::Global(&[
            ("SYNs sent", Hue::Blue, Line, Global::SynSent),
            (
                "to deleted pods' IPs",
                Hue::Vermillion,
                Area,
                Global::SynToDeletedIp,
            ),
        ]),
        log_y: false,
        threshold: None,
        markers: &[MR, MP, MM, MC],
        finish: None,
    },
];

/// Ids of the charts [`chart_specs`] returns, in its order.
pub const CHART_IDS: [&str; CATALOG.len()] = {
    let mut ids = [""; CATALOG.len()];
    let mut i = 0;
    while i < CATALOG.len() {
        ids[i] = CATALOG[i].id;
        i += 1;
    }
    ids
};

/// Pod deletions less than this apart belong to one wave (one marker).
pub(super) const WAVE_GAP_S: f64 = 10.0;

/// Every chart the responders saw, in the order of [`CHART_IDS`], over the
/// whole run (`0..duration_s`), no cursor.
pub fn chart_specs<'a>(run: impl Into<RunView<'a>>) -> Vec<ChartSpec> {
    let v = &run.into();
    let markers = run_markers(v);
    CATALOG.iter().map(|e| build(v, e, &markers)).collect()
}

/// One catalogue entry drawn from a run whose milestones are `markers`.
fn build(v: &RunView<'_>, e: &Entry, markers: &[Marker]) -> ChartSpec {
    let m = v.metrics;
    let mut c = match &e.source {
        Source::PerNode(metric, hue, style) => per_node_chart(
            v,
            (e.id, e.title, e.y_label, e.unit),
            *metric,
            (*hue, *style),
        ),
        Source::Global(lines) => {
            let mut c = ChartSpec::new(e.id, e.title, e.y_label, e.unit);
            for (name, hue, style, metric) in lines.iter() {
                c.series
                    .push(Series::new(name, *hue, *style, m.global(*metric).to_vec()));
            }
            c
        }
        Source::ErrorRate => {
            let rate = m
                .global(Global::Requests)
                .iter()
                .zip(m.global(Global::RequestErrors))
                .map(|(r, e)| if *r > 0.0 { 100.0 * e / r } else { 0.0 })
                .collect();
            let mut c = ChartSpec::new(e.id, e.title, e.y_label, e.unit);
            c.series
                .push(Series::new("error rate", Hue::Vermillion, Line, rate));
            c
        }
    };
    c.log_y = e.log_y;
    if let Some((limit, label, fit)) = &e.threshold {
        let value = match limit {
            Limit::Fixed(x) => *x,
            Limit::Allowance => v.params.conntrack_allowance as f64,
            Limit::NfConntrackMax => v.params.nf_conntrack_max as f64,
        };
        c.thresholds.push(Threshold {
            value,
            label: (*label).into(),
            fit: *fit,
        });
    }
    c.markers = markers
        .iter()
        .filter(|mk| e.markers.contains(&mk.kind))
        .cloned()
        .collect();
    if let Some(finish) = e.finish {
        finish(v, &mut c);
    }
    c.window = (0.0, (v.params.duration_s as f64).max(m.seconds() as f64));
    c
}

/// The chart with this id (see [`CHART_IDS`], and `dns-queries-node-<n>` for
/// [`dns_per_node_specs`]).
pub fn chart_spec<'a>(run: impl Into<RunView<'a>>, id: &str) -> Option<ChartSpec> {
    let v = run.into();
    if id.starts_with("dns-queries-node-") {
        return dns_per_node_specs(v).into_iter().find(|c| c.id == id);
    }
    let e = CATALOG.iter().find(|e| e.id == id)?;
    Some(build(&v, e, &run_markers(&v)))
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

/// The flow-log chart follows the old IP of the first pod to terminate:
/// its title names the IP, its markers are that pod's own milestones.
fn flowlog_pod(v: &RunView<'_>, c: &mut ChartSpec) {
    let Some(p) = v.tracked.as_ref() else {
        return;
    };
    c.title = format!("VPC flow logs to the old IP {}", p.ip);
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
