//! The charts the incident responders looked at, drawn from the simulation's
//! per-second metrics.
//!
//! Two steps, kept apart on purpose:
//!
//! 1. [`chart_specs`] turns a [`Sim`] into [`ChartSpec`]s: plain data (series
//!    of one value per simulated second, threshold lines, event markers, the
//!    visible window, the cursor). No drawing, no browser: the page can keep,
//!    zoom ([`ChartSpec::with_window`]) and move the cursor
//!    ([`ChartSpec::with_cursor`]) on a spec without recomputing it, hover
//!    read-outs come from [`series_at`], and a URL can name one chart by its
//!    stable [`ChartSpec::id`].
//! 2. [`draw`] draws one spec on a plotters [`DrawingArea`]. It is generic
//!    over the [`DrawingBackend`] because the same code must serve two
//!    targets: in the browser the backend is `plotters-canvas` on a
//!    `<canvas>`, and natively `tests/charts.rs` uses plotters' SVG backend
//!    and checks the structure of what was drawn (titles, one polyline per
//!    series, thresholds, markers, cursor). Nothing here depends on a
//!    particular backend or on real fonts: text is only measured (through
//!    the backend's font layer) to size the axis labels and lay out the
//!    legend and marker labels.
//!
//! Coordinates: the value of second `i` (the bucket `[i, i+1)`, as
//! `SimTime::secs` indexes it) is drawn at `x = i`. The mapping from time and
//! value to pixels is computed here, in [`ChartGeometry`], rather than by
//! plotters' `Cartesian2d`: then the log axis (latency: linear over
//! `log10(value)`, zeros pinned to the bottom) needs no second coordinate
//! type, and the mouse → time inverse the UI needs ("click a chart → jump
//! there") is the very arithmetic that placed the points, so it round-trips
//! within half a pixel.
//!
//! Colours come from a [`Theme`] (light and dark); series name a [`Hue`]
//! from the Okabe–Ito palette, chosen to stay distinguishable with the common
//! colour-vision deficiencies and on both backgrounds. Thresholds and markers
//! are dashed and labelled, so they do not rely on colour either.

use crate::format::{finish, scale_of, sim_time};
use crate::run::RunRecord;
use crate::sim::cluster::PodInfo;
use crate::sim::metrics::Metrics;
use crate::sim::metrics::{Global, PerNode};
use crate::sim::params::Params;
use crate::sim::trace::EventRecord;
use crate::sim::trace::Notable;
use crate::sim::Sim;

/// What the charts read of a run: the engine's own state (the CLI, the
/// tests) or the page's record of it, built from the worker's messages.
#[derive(Clone)]
pub struct RunView<'a> {
    /// Per-second series.
    pub metrics: &'a Metrics,
    /// Notable events.
    pub events: &'a [EventRecord],
    /// Parameters.
    pub params: &'a Params,
    /// The pod the flow-log chart follows, with when its SYNs stopped.
    pub tracked: Option<PodInfo>,
}

impl<'a> From<&'a Sim> for RunView<'a> {
    fn from(sim: &'a Sim) -> Self {
        RunView {
            metrics: &sim.metrics,
            events: &sim.trace.events,
            params: &sim.p,
            tracked: sim
                .tracked_pod
                .and_then(|p| sim.pods.get(p as usize))
                .map(|p| p.info()),
        }
    }
}

impl<'a> From<&'a RunRecord> for RunView<'a> {
    fn from(r: &'a RunRecord) -> Self {
        RunView {
            metrics: &r.series,
            events: &r.events,
            params: r.params(),
            tracked: r.tracked_pod.and_then(|p| r.pods.get(p as usize)).cloned(),
        }
    }
}
use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

// ---------------------------------------------------------------------------
// Specs
// ---------------------------------------------------------------------------

/// A series colour, resolved by the [`Theme`] (same hue in light and dark).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Hue {
    /// Okabe–Ito blue (#0072B2).
    Blue,
    /// Okabe–Ito vermillion (#D55E00).
    Vermillion,
    /// Okabe–Ito bluish green (#009E73).
    Green,
    /// Okabe–Ito reddish purple (#CC79A7).
    Purple,
    /// Okabe–Ito orange (#E69F00).
    Orange,
    /// Okabe–Ito sky blue (#56B4E9).
    SkyBlue,
    /// Dark grey on light, light grey on dark.
    Neutral,
}

impl Hue {
    /// Every hue, in palette order.
    pub const ALL: [Hue; 7] = [
        Hue::Blue,
        Hue::Vermillion,
        Hue::Green,
        Hue::Purple,
        Hue::Orange,
        Hue::SkyBlue,
        Hue::Neutral,
    ];
}

/// How a series is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SeriesStyle {
    /// A polyline through the per-second values.
    Line,
    /// A polyline with the area under it filled (translucent).
    Area,
    /// One bar per second (drawn as a single filled step shape and its
    /// outline, so a 900-second run is two paths, not 900 rectangles).
    Bars,
    /// A dashed polyline: the same series of the run compared against
    /// (see [`overlay`]).
    Dashed,
}

/// One series: a value per simulated second.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    /// Legend and read-out name.
    pub name: String,
    /// Colour.
    pub hue: Hue,
    /// Value of second `i` at index `i`.
    pub values: Vec<f64>,
    /// Line, area or bars.
    pub style: SeriesStyle,
}

impl Series {
    /// A series.
    pub fn new(name: &str, hue: Hue, style: SeriesStyle, values: Vec<f64>) -> Series {
        Series {
            name: name.to_string(),
            hue,
            values,
            style,
        }
    }
}

/// A horizontal reference line ("1 %", "allowance").
#[derive(Clone, Debug, PartialEq)]
pub struct Threshold {
    /// Value, in the chart's unit.
    pub value: f64,
    /// Short label drawn at its right end.
    pub label: String,
    /// Whether the y range must include it. When false it is drawn only if
    /// the data's range reaches it (e.g. `nf_conntrack_max`, far above the
    /// incident's values, would otherwise flatten the curve).
    pub fit: bool,
}

/// What a marker marks, so each chart can keep the ones that matter to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MarkerKind {
    /// Rollout start and end.
    Rollout,
    /// A wave of pod deletions (or one pod's lifecycle on the flow-log chart).
    Pods,
    /// The first SYN dropped by rp_filter.
    Martian,
    /// A VPC conntrack table full.
    Conntrack,
    /// node-local-dns trouble: rejects, upstream down, OOM kill.
    Dns,
}

/// A vertical event marker.
#[derive(Clone, Debug, PartialEq)]
pub struct Marker {
    /// Simulated time, seconds.
    pub at: f64,
    /// Short label ("rollout", "3 pods deleted").
    pub label: String,
    /// Kind.
    pub kind: MarkerKind,
}

/// Everything needed to draw one chart.
#[derive(Clone, Debug, PartialEq)]
pub struct ChartSpec {
    /// Stable slug (`error-rate`, `vpc-conntrack`, ...) a page URL can name.
    pub id: String,
    /// Title.
    pub title: String,
    /// What the y axis measures, with its unit ("errors / requests, %").
    pub y_label: String,
    /// The unit alone, for read-outs ("%", "ms", "entries").
    pub unit: String,
    /// Series, drawn in order (the first underneath).
    pub series: Vec<Series>,
    /// Horizontal reference lines.
    pub thresholds: Vec<Threshold>,
    /// Vertical event markers.
    pub markers: Vec<Marker>,
    /// The page's current time, drawn as a vertical line.
    pub cursor: Option<f64>,
    /// Visible time window, seconds (`from`, `to`).
    pub window: (f64, f64),
    /// Logarithmic y axis.
    pub log_y: bool,
    /// A fixed y range (`lo`, `hi`) instead of fitting the visible data
    /// (small multiples share one; the page may freeze axes while playing).
    pub y_range: Option<(f64, f64)>,
    /// The name of the run overlaid as dashed series, if any (one legend
    /// entry for all of them).
    pub overlay: Option<String>,
}

impl ChartSpec {
    /// An empty chart over `0..1` s.
    pub fn new(id: &str, title: &str, y_label: &str, unit: &str) -> ChartSpec {
        ChartSpec {
            id: id.to_string(),
            title: title.to_string(),
            y_label: y_label.to_string(),
            unit: unit.to_string(),
            series: Vec::new(),
            thresholds: Vec::new(),
            markers: Vec::new(),
            cursor: None,
            window: (0.0, 1.0),
            log_y: false,
            y_range: None,
            overlay: None,
        }
    }

    /// The same chart over another time window (the page zooms).
    pub fn with_window(mut self, from: f64, to: f64) -> ChartSpec {
        self.window = (from, to);
        self
    }

    /// The same chart with the cursor at `t` seconds (or none).
    pub fn with_cursor(mut self, t: Option<f64>) -> ChartSpec {
        self.cursor = t;
        self
    }

    /// The window actually drawn: finite, `from < to`.
    pub fn visible_window(&self) -> (f64, f64) {
        let (mut a, mut b) = self.window;
        if !a.is_finite() {
            a = 0.0;
        }
        if !b.is_finite() {
            b = a + 1.0;
        }
        if b < a {
            std::mem::swap(&mut a, &mut b);
        }
        if b - a < 1e-6 {
            b = a + 1.0;
        }
        (a, b)
    }

    /// Smallest and largest value of the series inside the window (0, 0 when
    /// there is none), over the points and bars that [`draw`] draws.
    pub fn visible_extent(&self) -> (f64, f64) {
        let (from, to) = self.visible_window();
        let mut lo = f64::INFINITY;
        let mut hi = f64::NEG_INFINITY;
        for s in &self.series {
            let vals: Vec<f64> = match s.style {
                SeriesStyle::Bars => bar_buckets(&s.values, from, to)
                    .into_iter()
                    .map(|b| b.2)
                    .collect(),
                _ => visible_points(&s.values, from, to)
                    .into_iter()
                    .map(|p| p.1)
                    .collect(),
            };
            for v in vals {
                lo = lo.min(v);
                hi = hi.max(v);
            }
        }
        if lo > hi {
            (0.0, 0.0)
        } else {
            (lo, hi)
        }
    }

    /// Smallest positive value inside the window, if any (log scale floor).
    fn visible_min_positive(&self) -> Option<f64> {
        let (from, to) = self.visible_window();
        self.series
            .iter()
            .flat_map(|s| visible_points(&s.values, from, to))
            .map(|p| p.1)
            .filter(|v| *v > 0.0)
            .reduce(f64::min)
    }
}

/// Overlays the series of `other` (the same chart of another run, named
/// `label`) on `spec` as dashed lines, cut at second `upto` so both runs
/// show the same stretch of time: a counterfactual next to what happened.
pub fn overlay(spec: &mut ChartSpec, other: &ChartSpec, label: &str, upto: usize) {
    for s in &other.series {
        let values = s.values[..s.values.len().min(upto)].to_vec();
        spec.series.push(Series::new(
            &format!("{} · {label}", s.name),
            s.hue,
            SeriesStyle::Dashed,
            values,
        ));
    }
    spec.overlay = Some(label.to_string());
}

/// Values of every series at `second` (the bucket `floor(second)`), for hover
/// read-outs; series without a value there (empty, or not simulated yet) are
/// left out.
pub fn series_at(spec: &ChartSpec, second: f64) -> Vec<(&str, f64)> {
    if !second.is_finite() || second < 0.0 {
        return Vec::new();
    }
    let i = second.floor() as usize;
    spec.series
        .iter()
        .filter_map(|s| s.values.get(i).map(|v| (s.name.as_str(), *v)))
        .collect()
}

// ---------------------------------------------------------------------------
// The responders' charts
// ---------------------------------------------------------------------------

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
const WAVE_GAP_S: f64 = 10.0;

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

fn rst_deleted_in_close(v: &RunView<'_>) -> Vec<f64> {
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
fn per_node_chart(
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

fn max_mean(v: &RunView<'_>, metric: PerNode) -> (Vec<f64>, Vec<f64>) {
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
fn run_markers(v: &RunView<'_>) -> Vec<Marker> {
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
fn flowlog_spec(v: &RunView<'_>) -> ChartSpec {
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

// ---------------------------------------------------------------------------
// Theme
// ---------------------------------------------------------------------------

/// Colours of a chart.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Theme {
    /// "light" or "dark".
    pub name: &'static str,
    /// Background.
    pub background: RGBColor,
    /// Title and tick labels.
    pub text: RGBColor,
    /// Secondary text (axis unit, marker labels).
    pub muted: RGBColor,
    /// Grid lines.
    pub grid: RGBColor,
    /// Axis lines.
    pub axis: RGBColor,
    /// Threshold lines and labels.
    pub threshold: RGBColor,
    /// Event marker lines.
    pub marker: RGBColor,
    /// The cursor (current time).
    pub cursor: RGBColor,
    /// Series colours, in [`Hue::ALL`] order.
    pub palette: [RGBColor; 7],
}

/// The Okabe–Ito hues, shared by both themes.
const OKABE_ITO: [RGBColor; 6] = [
    RGBColor(0x00, 0x72, 0xB2),
    RGBColor(0xD5, 0x5E, 0x00),
    RGBColor(0x00, 0x9E, 0x73),
    RGBColor(0xCC, 0x79, 0xA7),
    RGBColor(0xE6, 0x9F, 0x00),
    RGBColor(0x56, 0xB4, 0xE9),
];

impl Theme {
    /// Dark lines on white.
    pub const LIGHT: Theme = Theme {
        name: "light",
        background: RGBColor(0xFF, 0xFF, 0xFF),
        text: RGBColor(0x1A, 0x1A, 0x1A),
        muted: RGBColor(0x5F, 0x5F, 0x5F),
        grid: RGBColor(0xE6, 0xE6, 0xE6),
        axis: RGBColor(0x9A, 0x9A, 0x9A),
        threshold: RGBColor(0x8A, 0x5A, 0x00),
        marker: RGBColor(0x80, 0x80, 0x80),
        cursor: RGBColor(0x00, 0x00, 0x00),
        palette: [
            OKABE_ITO[0],
            OKABE_ITO[1],
            OKABE_ITO[2],
            OKABE_ITO[3],
            OKABE_ITO[4],
            OKABE_ITO[5],
            RGBColor(0x44, 0x44, 0x44),
        ],
    };

    /// Light lines on a dark grey.
    pub const DARK: Theme = Theme {
        name: "dark",
        background: RGBColor(0x16, 0x18, 0x1D),
        text: RGBColor(0xE8, 0xE8, 0xE8),
        muted: RGBColor(0xA8, 0xA8, 0xA8),
        grid: RGBColor(0x2E, 0x31, 0x38),
        axis: RGBColor(0x70, 0x70, 0x70),
        threshold: RGBColor(0xF0, 0xE4, 0x42),
        marker: RGBColor(0x8C, 0x8C, 0x8C),
        cursor: RGBColor(0xFF, 0xFF, 0xFF),
        palette: [
            OKABE_ITO[0],
            OKABE_ITO[1],
            OKABE_ITO[2],
            OKABE_ITO[3],
            OKABE_ITO[4],
            OKABE_ITO[5],
            RGBColor(0xD0, 0xD0, 0xD0),
        ],
    };

    /// The colour of a hue in this theme.
    pub fn colour(&self, hue: Hue) -> RGBColor {
        self.palette[hue as usize]
    }
}

/// `#RRGGBB`, for CSS (legends drawn in HTML) and for matching SVG output.
pub fn css(c: RGBColor) -> String {
    format!("#{:02X}{:02X}{:02X}", c.0, c.1, c.2)
}

// ---------------------------------------------------------------------------
// Geometry: time/value ↔ pixels
// ---------------------------------------------------------------------------

/// Where a chart's plot landed, in the backend's pixels (for a canvas: its
/// `width`/`height` pixels, i.e. CSS pixels × `devicePixelRatio` if the
/// canvas is scaled), and how to map between pixels, time and values.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ChartGeometry {
    /// Pixel column of `window.0`.
    pub left: i32,
    /// Pixel column of `window.1`.
    pub right: i32,
    /// Pixel row of `y_range.1`.
    pub top: i32,
    /// Pixel row of `y_range.0`.
    pub bottom: i32,
    /// Visible time window, seconds.
    pub window: (f64, f64),
    /// Y range (data units; for a log axis, powers of ten).
    pub y_range: (f64, f64),
    /// Logarithmic y axis.
    pub log_y: bool,
}

impl ChartGeometry {
    /// The x pixel (fractional) of time `t`.
    pub fn x_of(&self, t: f64) -> f64 {
        let (a, b) = self.window;
        f64::from(self.left) + (t - a) / (b - a) * f64::from(self.right - self.left)
    }

    /// The time under x pixel `x` (extrapolated outside the plot).
    pub fn time_at(&self, x: f64) -> f64 {
        let (a, b) = self.window;
        let w = f64::from((self.right - self.left).max(1));
        a + (x - f64::from(self.left)) / w * (b - a)
    }

    /// The time under `x`, clamped to the window.
    pub fn time_at_clamped(&self, x: f64) -> f64 {
        self.time_at(x).clamp(self.window.0, self.window.1)
    }

    /// The second (metric index) under `x`, if `x` is over the plot.
    pub fn second_at(&self, x: f64) -> Option<usize> {
        if x < f64::from(self.left) || x > f64::from(self.right) {
            return None;
        }
        let t = self.time_at(x);
        (t >= 0.0).then(|| t.floor() as usize)
    }

    /// Seconds per pixel column.
    pub fn seconds_per_pixel(&self) -> f64 {
        (self.window.1 - self.window.0) / f64::from((self.right - self.left).max(1))
    }

    /// Whether pixel (`x`, `y`) is over the plot.
    pub fn contains(&self, x: f64, y: f64) -> bool {
        x >= f64::from(self.left)
            && x <= f64::from(self.right)
            && y >= f64::from(self.top)
            && y <= f64::from(self.bottom)
    }

    /// Position of `v` along the y axis: 0 at the bottom, 1 at the top
    /// (unclamped; a zero on a log axis is at 0).
    fn y_fraction(&self, v: f64) -> f64 {
        let (lo, hi) = self.y_range;
        if self.log_y {
            let (l, h) = (lo.log10(), hi.log10());
            if v <= 0.0 || !v.is_finite() {
                return if v.is_infinite() && v > 0.0 { 1.0 } else { 0.0 };
            }
            (v.log10() - l) / (h - l)
        } else {
            (v - lo) / (hi - lo)
        }
    }

    /// The y pixel (fractional) of value `v`, clamped to the plot.
    pub fn y_of(&self, v: f64) -> f64 {
        let f = self.y_fraction(v).clamp(0.0, 1.0);
        f64::from(self.bottom) - f * f64::from(self.bottom - self.top)
    }

    /// The value at y pixel `y`.
    pub fn value_at(&self, y: f64) -> f64 {
        let (lo, hi) = self.y_range;
        let f = (f64::from(self.bottom) - y) / f64::from((self.bottom - self.top).max(1));
        if self.log_y {
            10f64.powf(lo.log10() + f * (hi.log10() - lo.log10()))
        } else {
            lo + f * (hi - lo)
        }
    }
}

// ---------------------------------------------------------------------------
// Scales and labels
// ---------------------------------------------------------------------------

/// A "nice" step (1, 2, 2.5, 5 × 10^k) at least `raw`.
fn nice_step(raw: f64) -> f64 {
    if raw.is_nan() || raw <= 0.0 || raw.is_infinite() {
        return 1.0;
    }
    let e = raw.log10().floor();
    let base = 10f64.powf(e);
    for m in [1.0, 2.0, 2.5, 5.0, 10.0] {
        if m * base >= raw * (1.0 - 1e-9) {
            return m * base;
        }
    }
    10.0 * base
}

/// A range from `lo` to at least `hi`, on multiples of a nice step giving
/// about `ticks` intervals; returns (lo, hi).
fn nice_linear_range(lo: f64, hi: f64, ticks: usize) -> (f64, f64) {
    let span = (hi - lo).max(f64::MIN_POSITIVE);
    let step = nice_step(span / ticks.max(1) as f64);
    ((lo / step).floor() * step, (hi / step).ceil() * step)
}

/// Tick values on a linear axis.
fn linear_ticks(lo: f64, hi: f64, ticks: usize) -> (Vec<f64>, f64) {
    let step = nice_step((hi - lo) / ticks.max(1) as f64);
    let mut out = Vec::new();
    let mut k = (lo / step).ceil();
    while k * step <= hi + step * 1e-9 && out.len() < 50 {
        out.push(k * step);
        k += 1.0;
    }
    (out, step)
}

/// A tick label: as many decimals as the tick step needs (`12.5k` for a
/// step of 2,500, `0.25` for 0.25).
fn format_with_step(v: f64, step: f64) -> String {
    format_tick(v, step, v)
}

/// A tick label in the scale (k, M) of `largest`, so one axis reads `5k`,
/// `10k`, not `5000`, `10k`.
fn format_tick(v: f64, step: f64, largest: f64) -> String {
    let (div, suffix) = scale_of(largest);
    let step = (step / div).abs();
    let decimals = (0..=4)
        .find(|d| {
            let x = step * 10f64.powi(*d);
            (x - x.round()).abs() < 1e-6 * x.max(1.0)
        })
        .unwrap_or(4) as usize;
    finish(format!("{:.*}", decimals, v / div), suffix)
}

/// Rows of marker labels at most, under a chart's top edge.
const MARKER_ROWS: usize = 3;
/// Pixels kept free between two labels in a row.
const MARKER_GAP: i32 = 4;

/// Where the labels of markers go: for each marker, given as its line's x
/// and its label's width (in time order), the label's left x and its row,
/// or `None` when it fits in no row. A label sits right of its line, or left
/// of it when it would cross `right`, never left of `left`; it takes the
/// first row where it keeps [`MARKER_GAP`] from every label already there,
/// so no two labels overlap.
pub fn layout_marker_labels(
    markers: &[(i32, i32)],
    left: i32,
    right: i32,
    rows: usize,
) -> Vec<Option<(i32, usize)>> {
    let mut taken: Vec<Vec<(i32, i32)>> = vec![Vec::new(); rows];
    markers
        .iter()
        .map(|&(x, w)| {
            let lx = if x + 3 + w > right { x - 3 - w } else { x + 3 };
            if lx < left || lx + w > right {
                return None;
            }
            let span = (lx, lx + w);
            let row = taken.iter().position(|row| {
                row.iter()
                    .all(|&(a, b)| span.1 + MARKER_GAP <= a || b + MARKER_GAP <= span.0)
            })?;
            taken[row].push(span);
            Some((lx, row))
        })
        .collect()
}

/// Time tick step: the smallest of the usual steps leaving `min_px` between
/// ticks.
fn time_step(span: f64, width_px: f64, min_px: f64) -> f64 {
    const STEPS: [f64; 16] = [
        0.5, 1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1800.0, 3600.0,
        7200.0, 21600.0,
    ];
    for s in STEPS {
        if s / span * width_px >= min_px {
            return s;
        }
    }
    STEPS[STEPS.len() - 1]
}

/// The y range [`draw`] uses for `spec` (data units).
fn y_range_for(spec: &ChartSpec, ticks: usize) -> (f64, f64) {
    if let Some((lo, hi)) = spec.y_range {
        if lo.is_finite() && hi.is_finite() && hi > lo && !(spec.log_y && lo <= 0.0) {
            return (lo, hi);
        }
    }
    let (dlo, dhi) = spec.visible_extent();
    let fitted = spec
        .thresholds
        .iter()
        .filter(|t| t.fit && t.value.is_finite())
        .map(|t| t.value);
    if spec.log_y {
        let top = fitted
            .clone()
            .filter(|v| *v > 0.0)
            .fold(dhi, f64::max)
            .max(f64::MIN_POSITIVE);
        let floor = spec
            .visible_min_positive()
            .into_iter()
            .chain(fitted.filter(|v| *v > 0.0))
            .reduce(f64::min);
        match floor {
            None => (1.0, 10.0),
            Some(f) => {
                let lo = f.log10().floor();
                let hi = top.log10().ceil().max(lo + 1.0);
                (10f64.powf(lo), 10f64.powf(hi))
            }
        }
    } else {
        let mut lo = dlo.min(0.0);
        let mut hi = dhi.max(0.0);
        for v in fitted {
            lo = lo.min(v);
            hi = hi.max(v);
        }
        if hi - lo <= 0.0 {
            // Nothing to show yet: a plain 0..1 axis.
            return (lo, lo + 1.0);
        }
        // Headroom so the top of a curve does not sit on the frame.
        nice_linear_range(lo, hi + (hi - lo) * 0.05, ticks)
    }
}

// ---------------------------------------------------------------------------
// Visible data
// ---------------------------------------------------------------------------

fn clean(v: f64) -> f64 {
    if v.is_finite() {
        v
    } else {
        0.0
    }
}

/// Points `(t, v)` of a per-second series inside `[from, to]`, with the
/// values at the window's edges interpolated so lines stop exactly there.
fn visible_points(values: &[f64], from: f64, to: f64) -> Vec<(f64, f64)> {
    let n = values.len();
    if n == 0 {
        return Vec::new();
    }
    let last = (n - 1) as f64;
    let a = from.max(0.0);
    let b = to.min(last);
    if a > b {
        return Vec::new();
    }
    let at = |t: f64| -> f64 {
        let i = t.floor() as usize;
        let f = t - i as f64;
        let v0 = clean(values[i.min(n - 1)]);
        if f <= 0.0 || i + 1 >= n {
            v0
        } else {
            v0 + (clean(values[i + 1]) - v0) * f
        }
    };
    let mut out = Vec::with_capacity((b - a) as usize + 3);
    out.push((a, at(a)));
    let first = a.floor() as usize + 1;
    let lastk = b.ceil() as usize;
    for (i, v) in values.iter().enumerate().take(lastk).skip(first) {
        let t = i as f64;
        if t > a && t < b {
            out.push((t, clean(*v)));
        }
    }
    if b > a {
        out.push((b, at(b)));
    }
    out
}

/// Bars `(x0, x1, v)` of a per-second series: second `i` spans `[i, i+1)`,
/// clipped to the window.
fn bar_buckets(values: &[f64], from: f64, to: f64) -> Vec<(f64, f64, f64)> {
    let n = values.len();
    let a = from.max(0.0);
    if n == 0 || a >= to {
        return Vec::new();
    }
    let first = a.floor() as usize;
    let last = (to.ceil() as usize).min(n);
    (first..last)
        .filter_map(|i| {
            let x0 = (i as f64).max(a);
            let x1 = ((i + 1) as f64).min(to);
            (x1 > x0).then(|| (x0, x1, clean(values[i])))
        })
        .collect()
}

// ---------------------------------------------------------------------------
// Drawing
// ---------------------------------------------------------------------------

const PAD: i32 = 6;
const TITLE_PX: f64 = 15.0;
const LABEL_PX: f64 = 11.0;
const ROW_H: i32 = 19;
const X_LABELS_H: i32 = 18;

fn font(size: f64) -> FontDesc<'static> {
    (FontFamily::SansSerif, size).into_font()
}

fn text_style(size: f64, c: RGBColor, h: HPos, v: VPos) -> TextStyle<'static> {
    font(size).color(&c).pos(Pos::new(h, v))
}

/// Draws `spec` on `area` (the whole area: background, header with title,
/// unit and legend, axes, grid, series, thresholds, markers, cursor) and
/// returns where the plot is, to map the mouse back to time.
///
/// Errors are the backend's, as text; an area too small to hold a plot is an
/// error too.
pub fn draw<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    spec: &ChartSpec,
    theme: &Theme,
) -> Result<ChartGeometry, String> {
    let e = |err: DrawingAreaErrorKind<DB::ErrorType>| err.to_string();
    let (w, h) = area.dim_in_pixel();
    let (w, h) = (w as i32, h as i32);
    let (bx, by) = area.get_base_pixel();
    area.fill(&theme.background).map_err(e)?;
    let (from, to) = spec.visible_window();

    // Header: title, y label, legend, flowing onto more rows if needed.
    let header_h = draw_header(area, spec, theme, w)?;

    // Plot rectangle (area-relative), y ticks first: their labels' width
    // decides where the plot starts.
    let top = header_h + 4;
    let bottom = h - X_LABELS_H - 2;
    if bottom - top < 20 {
        return Err(format!("chart area {w}×{h} px too small for a plot"));
    }
    let n_ticks = ((bottom - top) / 40).clamp(2, 8) as usize;
    let (ylo, yhi) = y_range_for(spec, n_ticks);
    let y_ticks: Vec<(f64, String)> = if spec.log_y {
        // Whole decades inside the range (a fixed range may not start on one).
        let l = (ylo.log10() - 1e-9).ceil() as i32;
        let hh = (yhi.log10() + 1e-9).floor() as i32;
        let every = ((hh - l).max(0) as usize).div_ceil(n_ticks.max(1)).max(1);
        (l..=hh)
            .filter(|k| (k - l) as usize % every == 0)
            .map(|k| {
                let v = 10f64.powi(k);
                (v, format_with_step(v, v))
            })
            .collect()
    } else {
        let (ticks, step) = linear_ticks(ylo, yhi, n_ticks);
        let largest = ticks.iter().map(|v| v.abs()).fold(0.0, f64::max);
        ticks
            .into_iter()
            .map(|v| (v, format_tick(v, step, largest)))
            .collect()
    };
    let label_style = text_style(LABEL_PX, theme.text, HPos::Right, VPos::Center);
    let mut label_w = 0;
    for (_, s) in &y_ticks {
        let (tw, _) = area.estimate_text_size(s, &label_style).map_err(e)?;
        label_w = label_w.max(tw as i32);
    }
    let left = PAD + label_w + 6;
    let right = w - PAD - 4;
    if right - left < 20 {
        return Err(format!("chart area {w}×{h} px too small for a plot"));
    }
    let geo = ChartGeometry {
        left: bx + left,
        right: bx + right,
        top: by + top,
        bottom: by + bottom,
        window: (from, to),
        y_range: (ylo, yhi),
        log_y: spec.log_y,
    };
    // Area-relative pixel of a time / value.
    let px = |t: f64| (geo.x_of(t) - f64::from(bx)).round() as i32;
    let py = |v: f64| (geo.y_of(v) - f64::from(by)).round() as i32;

    // Grid and y labels.
    for (v, s) in &y_ticks {
        let y = py(*v);
        area.draw(&PathElement::new(
            vec![(left, y), (right, y)],
            theme.grid.stroke_width(1),
        ))
        .map_err(e)?;
        area.draw(&Text::new(s.clone(), (left - 5, y), label_style.clone()))
            .map_err(e)?;
    }
    // Time grid and labels.
    let step = time_step(to - from, f64::from(right - left), 64.0);
    let x_label = text_style(LABEL_PX, theme.text, HPos::Center, VPos::Top);
    let mut k = (from / step).ceil();
    while k * step <= to + 1e-9 {
        let t = k * step;
        let x = px(t);
        area.draw(&PathElement::new(
            vec![(x, top), (x, bottom)],
            theme.grid.stroke_width(1),
        ))
        .map_err(e)?;
        area.draw(&PathElement::new(
            vec![(x, bottom), (x, bottom + 3)],
            theme.axis.stroke_width(1),
        ))
        .map_err(e)?;
        let s = sim_time(t);
        let (tw, _) = area.estimate_text_size(&s, &x_label).map_err(e)?;
        // Keep the first and last labels inside the area.
        let half = tw as i32 / 2;
        let cx = x.clamp(half + 1, (w - half - 1).max(half + 1));
        area.draw(&Text::new(s, (cx, bottom + 4), x_label.clone()))
            .map_err(e)?;
        k += 1.0;
    }

    // Area fills and bars underneath every line.
    let base = bottom;
    for s in &spec.series {
        let c = theme.colour(s.hue);
        match s.style {
            SeriesStyle::Area => {
                let pts: Vec<(i32, i32)> = visible_points(&s.values, from, to)
                    .into_iter()
                    .map(|(t, v)| (px(t), py(v)))
                    .collect();
                if let (Some(first), Some(last)) = (pts.first().copied(), pts.last().copied()) {
                    let mut poly = pts;
                    poly.push((last.0, base));
                    poly.push((first.0, base));
                    area.draw(&Polygon::new(poly, c.mix(0.22).filled()))
                        .map_err(e)?;
                }
            }
            SeriesStyle::Bars => {
                let outline = bar_outline(&s.values, from, to, &px, &py);
                if let (Some(first), Some(last)) =
                    (outline.first().copied(), outline.last().copied())
                {
                    let mut poly = outline;
                    poly.push((last.0, base));
                    poly.push((first.0, base));
                    area.draw(&Polygon::new(poly, c.mix(0.55).filled()))
                        .map_err(e)?;
                }
            }
            SeriesStyle::Line | SeriesStyle::Dashed => {}
        }
    }

    // Thresholds.
    let th_label = text_style(LABEL_PX, theme.threshold, HPos::Right, VPos::Bottom);
    for th in &spec.thresholds {
        let f = geo.y_fraction(th.value);
        if !th.value.is_finite() || !(-1e-9..=1.0 + 1e-9).contains(&f) {
            continue;
        }
        let y = py(th.value);
        area.draw(&DashedPathElement::new(
            vec![(left, y), (right, y)],
            6,
            4,
            theme.threshold.stroke_width(1),
        ))
        .map_err(e)?;
        let ly = (y - 2).max(top + 10);
        area.draw(&Text::new(
            th.label.clone(),
            (right - 2, ly),
            th_label.clone(),
        ))
        .map_err(e)?;
    }

    // Markers: dashed verticals, labels stacked over up to three rows where
    // none overlaps another (`layout_marker_labels`).
    let mk_label = text_style(LABEL_PX - 1.0, theme.muted, HPos::Left, VPos::Top);
    let mut visible: Vec<&Marker> = spec
        .markers
        .iter()
        .filter(|mk| mk.at.is_finite() && mk.at >= from && mk.at <= to)
        .collect();
    visible.sort_by(|a, b| a.at.total_cmp(&b.at));
    let mut boxes = Vec::with_capacity(visible.len());
    let mut row_h = 0;
    for mk in &visible {
        let x = px(mk.at);
        area.draw(&DashedPathElement::new(
            vec![(x, top), (x, bottom)],
            3,
            3,
            theme.marker.stroke_width(1),
        ))
        .map_err(e)?;
        let (tw, th) = area.estimate_text_size(&mk.label, &mk_label).map_err(e)?;
        boxes.push((x, tw as i32));
        row_h = row_h.max(th as i32 + 1);
    }
    let placed = layout_marker_labels(&boxes, left, right, MARKER_ROWS);
    for ((mk, spot), &(_, w)) in visible.iter().zip(placed).zip(&boxes) {
        // A label that fits in no row is left out (the line stays): zooming
        // in spreads the markers and brings it back.
        let Some((lx, row)) = spot else { continue };
        let ly = top + 2 + row as i32 * row_h;
        // On the chart's background, so other markers' lines do not run
        // through the text (the series are drawn later, over it).
        area.draw(&Rectangle::new(
            [(lx - 1, ly), (lx + w + 1, ly + row_h - 1)],
            theme.background.filled(),
        ))
        .map_err(e)?;
        area.draw(&Text::new(mk.label.clone(), (lx, ly), mk_label.clone()))
            .map_err(e)?;
    }

    // Lines (and the outlines of areas and bars): one polyline per series.
    for s in &spec.series {
        let c = theme.colour(s.hue);
        let pts: Vec<(i32, i32)> = match s.style {
            SeriesStyle::Bars => bar_outline(&s.values, from, to, &px, &py),
            _ => visible_points(&s.values, from, to)
                .into_iter()
                .map(|(t, v)| (px(t), py(v)))
                .collect(),
        };
        if pts.is_empty() {
            continue;
        }
        match s.style {
            SeriesStyle::Dashed => area
                .draw(&DashedPathElement::new(pts, 5, 4, c.stroke_width(2)))
                .map_err(e)?,
            SeriesStyle::Bars => area
                .draw(&PathElement::new(pts, c.stroke_width(1)))
                .map_err(e)?,
            _ => area
                .draw(&PathElement::new(pts, c.stroke_width(2)))
                .map_err(e)?,
        }
    }

    // Axes.
    area.draw(&PathElement::new(
        vec![(left, top), (left, bottom), (right, bottom)],
        theme.axis.stroke_width(1),
    ))
    .map_err(e)?;

    // Cursor.
    if let Some(t) = spec.cursor {
        if t.is_finite() && t >= from && t <= to {
            let x = px(t);
            area.draw(&PathElement::new(
                vec![(x, top), (x, bottom)],
                theme.cursor.stroke_width(2),
            ))
            .map_err(e)?;
        }
    }
    Ok(geo)
}

/// The markers within `tolerance_px` pixels of mouse column `x`, nearest
/// first (for hover: a marker whose label was left out for lack of room is
/// still found here).
pub fn markers_near<'a>(
    spec: &'a ChartSpec,
    geo: &ChartGeometry,
    x: f64,
    tolerance_px: f64,
) -> Vec<&'a Marker> {
    let mut out: Vec<(&Marker, f64)> = spec
        .markers
        .iter()
        .filter(|m| m.at >= geo.window.0 && m.at <= geo.window.1)
        .map(|m| (m, (geo.x_of(m.at) - x).abs()))
        .filter(|(_, d)| *d <= tolerance_px)
        .collect();
    out.sort_by(|a, b| a.1.total_cmp(&b.1));
    out.into_iter().map(|(m, _)| m).collect()
}

/// The step outline of a bar series (area-relative pixels).
fn bar_outline(
    values: &[f64],
    from: f64,
    to: f64,
    px: &impl Fn(f64) -> i32,
    py: &impl Fn(f64) -> i32,
) -> Vec<(i32, i32)> {
    let mut out: Vec<(i32, i32)> = Vec::new();
    for (x0, x1, v) in bar_buckets(values, from, to) {
        let y = py(v);
        let (a, b) = (px(x0), px(x1));
        // Merge runs of equal height into one segment.
        if let Some(last) = out.last_mut() {
            if last.1 == y && last.0 == a {
                last.0 = b;
                continue;
            }
        }
        out.push((a, y));
        out.push((b, y));
    }
    out
}

/// Title, y label and legend, flowing left to right over as many rows as the
/// width needs; returns the header's height.
fn draw_header<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    spec: &ChartSpec,
    theme: &Theme,
    w: i32,
) -> Result<i32, String> {
    let e = |err: DrawingAreaErrorKind<DB::ErrorType>| err.to_string();
    let title = (FontFamily::SansSerif, TITLE_PX, FontStyle::Bold)
        .into_font()
        .color(&theme.text)
        .pos(Pos::new(HPos::Left, VPos::Center));
    let label = text_style(LABEL_PX, theme.muted, HPos::Left, VPos::Center);
    let legend = text_style(LABEL_PX, theme.text, HPos::Left, VPos::Center);

    let mut x = PAD;
    let mut row = 0;
    let mut place = |width: i32, gap: i32| -> (i32, i32) {
        if x > PAD && x + gap + width > w - PAD {
            row += 1;
            x = PAD;
        } else if x > PAD {
            x += gap;
        }
        let at = (x, PAD + row * ROW_H + ROW_H / 2);
        x += width;
        at
    };

    let (tw, _) = area.estimate_text_size(&spec.title, &title).map_err(e)?;
    let at = place(tw as i32, 0);
    area.draw(&Text::new(spec.title.clone(), at, title.clone()))
        .map_err(e)?;
    if !spec.y_label.is_empty() {
        let (lw, _) = area.estimate_text_size(&spec.y_label, &label).map_err(e)?;
        let at = place(lw as i32, 10);
        area.draw(&Text::new(spec.y_label.clone(), at, label.clone()))
            .map_err(e)?;
    }
    // A legend only says something with two series or more; the overlaid
    // run's series share one entry.
    let own = spec
        .series
        .iter()
        .filter(|s| s.style != SeriesStyle::Dashed);
    if spec.series.len() > 1 {
        for s in own {
            let c = theme.colour(s.hue);
            let (nw, _) = area.estimate_text_size(&s.name, &legend).map_err(e)?;
            let (sx, sy) = place(14 + 4 + nw as i32, 14);
            let swatch = match s.style {
                SeriesStyle::Line => Rectangle::new([(sx, sy - 1), (sx + 14, sy + 2)], c.filled()),
                _ => Rectangle::new([(sx, sy - 5), (sx + 14, sy + 5)], c.mix(0.6).filled()),
            };
            area.draw(&swatch).map_err(e)?;
            area.draw(&Text::new(s.name.clone(), (sx + 18, sy), legend.clone()))
                .map_err(e)?;
        }
    }
    if let Some(label) = &spec.overlay {
        let text = format!("dashed: {label}");
        let (nw, _) = area.estimate_text_size(&text, &legend).map_err(e)?;
        let (sx, sy) = place(14 + 4 + nw as i32, 14);
        area.draw(&DashedPathElement::new(
            vec![(sx, sy), (sx + 14, sy)],
            4,
            3,
            theme.muted.stroke_width(2),
        ))
        .map_err(e)?;
        area.draw(&Text::new(text, (sx + 18, sy), legend.clone()))
            .map_err(e)?;
    }
    Ok(PAD + (row + 1) * ROW_H)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn visible_points_interpolate_at_the_edges() {
        let v = [0.0, 10.0, 20.0, 30.0];
        let p = visible_points(&v, 0.5, 2.5);
        assert_eq!(p, vec![(0.5, 5.0), (1.0, 10.0), (2.0, 20.0), (2.5, 25.0)]);
        assert_eq!(visible_points(&v, 5.0, 9.0), vec![]);
        assert_eq!(visible_points(&v, -3.0, 1.0), vec![(0.0, 0.0), (1.0, 10.0)]);
        assert_eq!(visible_points(&[], 0.0, 1.0), vec![]);
        assert_eq!(visible_points(&[7.0], 0.0, 10.0), vec![(0.0, 7.0)]);
    }

    #[test]
    fn bars_clip_to_the_window() {
        let v = [1.0, 2.0, 3.0];
        assert_eq!(
            bar_buckets(&v, 0.5, 2.25),
            vec![(0.5, 1.0, 1.0), (1.0, 2.0, 2.0), (2.0, 2.25, 3.0)]
        );
        assert_eq!(bar_buckets(&v, 0.0, 10.0).len(), 3);
    }

    #[test]
    fn tick_labels_read_well() {
        assert_eq!(format_with_step(0.5, 0.5), "0.5");
        assert_eq!(format_with_step(250.0, 50.0), "250");
        assert_eq!(format_with_step(150_000.0, 50_000.0), "150k");
        assert_eq!(format_with_step(12_500.0, 2_500.0), "12.5k");
        assert_eq!(format_with_step(4_400_000.0, 200_000.0), "4.4M");
        assert_eq!(format_with_step(4_000_000.0, 1_000_000.0), "4M");
        assert_eq!(format_with_step(0.1, 0.1), "0.1");
        assert_eq!(format_with_step(0.75, 0.25), "0.75");
        assert_eq!(format_with_step(0.0, 0.2), "0");
        assert_eq!(format_tick(5_000.0, 5_000.0, 20_000.0), "5k");
        assert_eq!(format_tick(0.0, 5_000.0, 20_000.0), "0");
    }

    #[test]
    fn marker_labels_never_overlap() {
        // Boxes of placed labels: (left, right, row).
        fn check(markers: &[(i32, i32)], left: i32, right: i32) -> usize {
            let placed = layout_marker_labels(markers, left, right, MARKER_ROWS);
            assert_eq!(placed.len(), markers.len());
            let boxes: Vec<(i32, i32, usize)> = placed
                .iter()
                .zip(markers)
                .filter_map(|(p, (_, w))| p.map(|(lx, row)| (lx, lx + w, row)))
                .collect();
            for (i, a) in boxes.iter().enumerate() {
                assert!(a.0 >= left && a.1 <= right, "{a:?} outside {left}..{right}");
                assert!(a.2 < MARKER_ROWS);
                for b in &boxes[i + 1..] {
                    assert!(
                        a.2 != b.2 || a.1 + MARKER_GAP <= b.0 || b.1 + MARKER_GAP <= a.0,
                        "labels {a:?} and {b:?} overlap"
                    );
                }
            }
            boxes.len()
        }
        // The incident's error-rate chart at 480 px: the rollout, DNS
        // rejects and two waves of deletions within 20 px.
        let dense = [(120, 34), (126, 58), (131, 76), (140, 76)];
        assert_eq!(check(&dense, 40, 470), 3, "three rows, the fourth left out");
        // Markers near the right edge turn their labels left, where they
        // must not cover a label already placed further left.
        let edge = [(400, 60), (440, 50), (455, 70), (462, 30)];
        check(&edge, 40, 470);
        // A pseudo-random crowd (a fixed LCG), narrow and wide plots.
        let mut r: u64 = 7;
        let mut next = |m: u64| {
            r = r
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((r >> 33) % m) as i32
        };
        for _ in 0..500 {
            let (left, right) = (30 + next(30), 200 + next(900));
            let mut xs: Vec<i32> = (0..1 + next(12))
                .map(|_| left + next((right - left) as u64))
                .collect();
            xs.sort_unstable();
            let markers: Vec<(i32, i32)> = xs.iter().map(|&x| (x, 20 + next(80))).collect();
            check(&markers, left, right);
        }
        // Spread out, every label is shown on the first row.
        let apart = [(50, 40), (150, 40), (250, 40)];
        let placed = layout_marker_labels(&apart, 40, 470, MARKER_ROWS);
        assert!(
            placed.iter().all(|p| matches!(p, Some((_, 0)))),
            "{placed:?}"
        );
    }

    #[test]
    fn nice_steps() {
        assert_eq!(nice_step(0.3), 0.5);
        assert_eq!(nice_step(23.0), 25.0);
        assert_eq!(nice_step(60.0), 100.0);
        assert_eq!(nice_linear_range(0.0, 137_000.0, 4), (0.0, 150_000.0));
    }

    #[test]
    fn theme_colours_stand_apart() {
        for t in [Theme::LIGHT, Theme::DARK] {
            let special = [
                t.background,
                t.text,
                t.grid,
                t.axis,
                t.threshold,
                t.marker,
                t.cursor,
            ];
            for c in t.palette {
                assert!(!special.contains(&c), "{} palette clashes", t.name);
            }
            for (i, a) in special.iter().enumerate() {
                for b in &special[i + 1..] {
                    assert_ne!(a, b, "{}", t.name);
                }
            }
        }
    }
}
