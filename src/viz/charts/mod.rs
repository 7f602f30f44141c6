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
//! 2. [`draw`] draws one spec on a plotters `DrawingArea`. It is generic
//!    over the `DrawingBackend` because the same code must serve two
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
//!
//! Files: the specs' types here; the responders' twelve charts in
//! `catalog.rs`; colours in `theme.rs`; time and value ↔ pixels, scales and
//! the visible data in `geometry.rs`; drawing in `draw.rs`.

mod catalog;
mod draw;
mod geometry;
#[cfg(test)]
mod tests;
mod theme;

pub use catalog::*;
pub use draw::*;
pub use geometry::*;
pub use theme::*;

use crate::run::RunRecord;
use crate::sim::cluster::PodInfo;
use crate::sim::metrics::Metrics;
use crate::sim::params::Params;
use crate::sim::trace::EventRecord;
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
