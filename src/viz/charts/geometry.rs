//! Time and value ↔ pixels, the scales and their labels, and the data in view.

use super::*;
use crate::format::{finish, scale_of};

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
    pub(super) fn y_fraction(&self, v: f64) -> f64 {
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

/// A "nice" step (1, 2, 2.5, 5 × 10^k) at least `raw`.
pub(super) fn nice_step(raw: f64) -> f64 {
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
pub(super) fn nice_linear_range(lo: f64, hi: f64, ticks: usize) -> (f64, f64) {
    let span = (hi - lo).max(f64::MIN_POSITIVE);
    let step = nice_step(span / ticks.max(1) as f64);
    ((lo / step).floor() * step, (hi / step).ceil() * step)
}

/// Tick values on a linear axis.
pub(super) fn linear_ticks(lo: f64, hi: f64, ticks: usize) -> (Vec<f64>, f64) {
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
pub(super) fn format_with_step(v: f64, step: f64) -> String {
    format_tick(v, step, v)
}

/// A tick label in the scale (k, M) of `largest`, so one axis reads `5k`,
/// `10k`, not `5000`, `10k`.
pub(super) fn format_tick(v: f64, step: f64, largest: f64) -> String {
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
pub(super) const MARKER_ROWS: usize = 3;
/// Pixels kept free between two labels in a row.
pub(super) const MARKER_GAP: i32 = 4;

/// Where the labels of markers go: for each marker, given as its line's x
/// and its label's width (in time order), the label's left x and its row,
/// or `None` when it fits in no row. A label sits right of its line, or left
/// of it when it would cross `right`, never left of `left`; it takes the
/// first row where it keeps `MARKER_GAP` from every label already there,
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
pub(super) fn time_step(span: f64, width_px: f64, min_px: f64) -> f64 {
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
pub(super) fn y_range_for(spec: &ChartSpec, ticks: usize) -> (f64, f64) {
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

pub(super) fn clean(v: f64) -> f64 {
    if v.is_finite() {
        v
    } else {
        0.0
    }
}

/// Points `(t, v)` of a per-second series inside `[from, to]`, with the
/// values at the window's edges interpolated so lines stop exactly there.
pub(super) fn visible_points(values: &[f64], from: f64, to: f64) -> Vec<(f64, f64)> {
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
pub(super) fn bar_buckets(values: &[f64], from: f64, to: f64) -> Vec<(f64, f64, f64)> {
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
