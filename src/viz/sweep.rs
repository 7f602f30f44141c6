//! The sweep grid as the page draws it, without the browser: each cell's
//! sparkline (an SVG path in a fixed box, downsampled so a cell never draws
//! more than [`SPARK_MAX_POINTS`] points), its value as text, the boundary's
//! marks on the cells' edges, the link that opens a cell's run, and the
//! progress line. The numbers themselves are `scenario::sweep`'s, the same
//! as `incident-sim sweep` prints.

use crate::format::{grouped, number};
use crate::scenario::sweep::{Metric, Outcome};
use crate::scenario::url::{self, ViewState};
use crate::scenario::Scenario;

/// The sparkline's box (SVG user units; the page stretches it).
pub const SPARK_W: f64 = 100.0;
/// The sparkline's height in the same units.
pub const SPARK_H: f64 = 30.0;
/// The most points a cell's sparkline draws: a cell is a few dozen pixels
/// wide, and 24 cells of 120 points each would be 2,880 path nodes for
/// nothing.
pub const SPARK_MAX_POINTS: usize = 60;
/// Room above and below the line's extremes for the stroke.
pub const SPARK_PAD: f64 = 1.5;

/// `series` in at most `max` points, each the highest of its stretch of
/// consecutive points (a peak is never averaged away).
pub fn downsample(series: &[f64], max: usize) -> Vec<f64> {
    let n = series.len().min(max.max(1));
    (0..n)
        .map(|i| {
            series[i * series.len() / n..(i + 1) * series.len() / n]
                .iter()
                .copied()
                .fold(f64::NEG_INFINITY, f64::max)
        })
        .collect()
}

/// The sparkline of `series` scaled to `top` (the sweep's highest point, so
/// cells compare) as an SVG path in [`SPARK_W`] × [`SPARK_H`]; zero is
/// [`SPARK_PAD`] above the bottom edge (a stroke on the edge would be half
/// cut off). Empty for an empty series.
pub fn spark_path(series: &[f64], top: f64) -> String {
    let pts = downsample(series, SPARK_MAX_POINTS);
    let last = pts.len().saturating_sub(1).max(1) as f64;
    let mut d = String::with_capacity(pts.len() * 12);
    for (i, v) in pts.iter().enumerate() {
        let frac = if top > 0.0 && v.is_finite() {
            (v / top).clamp(0.0, 1.0)
        } else {
            0.0
        };
        let x = SPARK_W * i as f64 / last;
        let y = SPARK_PAD + (SPARK_H - 2.0 * SPARK_PAD) * (1.0 - frac);
        d.push_str(&format!(
            "{}{:.1},{:.1}",
            if i == 0 { "M" } else { "L" },
            x,
            y
        ));
    }
    d
}

/// The highest point of any finished cell's sparkline (1 if none is above 0).
pub fn top_of<'a>(series: impl IntoIterator<Item = &'a [f64]>) -> f64 {
    let top = series
        .into_iter()
        .flat_map(|s| s.iter().copied())
        .fold(0.0, f64::max);
    if top > 0.0 {
        top
    } else {
        1.0
    }
}

/// The value as a person reads it, exactly (the command line's table).
pub fn value_text(metric: Metric, v: f64) -> String {
    match metric {
        Metric::ErrorRatePeak => format!("{} %", grouped(v * 100.0, 2)),
        _ => grouped(v, 0),
    }
}

/// The value in a few characters, for a small cell (`4.4M`, `12.5 %`).
pub fn value_short(metric: Metric, v: f64) -> String {
    match metric {
        Metric::ErrorRatePeak => format!("{} %", number(v * 100.0)),
        _ => number(v),
    }
}

/// `ok` or `outage`.
pub fn outcome_word(o: Outcome) -> &'static str {
    match o {
        Outcome::Ok => "ok",
        Outcome::Outage => "outage",
    }
}

/// Where the boundary runs along a cell's edges.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Mark {
    /// On the edge before the cell along the first axis: the outcome
    /// changes here (the row's boundary).
    pub flip: bool,
    /// On the edge towards the row before: the line steps between the two
    /// rows' boundaries, so it reads as one line across the grid.
    pub bridge: bool,
}

/// Each row's boundary once all its cells are known (`None` while any is
/// not); `outcomes` row by row, `None` for a cell not finished.
pub fn row_boundaries(outcomes: &[Option<Outcome>], cols: usize) -> Vec<Option<Option<usize>>> {
    outcomes
        .chunks(cols.max(1))
        .map(|row| {
            let known: Option<Vec<Outcome>> = row.iter().copied().collect();
            known.map(|r| (1..r.len()).find(|&c| r[c] != r[c - 1]))
        })
        .collect()
}

/// The marks of every cell, row by row, from [`row_boundaries`].
pub fn boundary_marks(rows: &[Option<Option<usize>>], cols: usize) -> Vec<Mark> {
    let mut marks = vec![Mark::default(); rows.len() * cols];
    for (r, b) in rows.iter().enumerate() {
        if let Some(Some(c)) = b {
            marks[r * cols + c].flip = true;
        }
        if r == 0 {
            continue;
        }
        if let (Some(Some(a)), Some(Some(b))) = (rows[r - 1], *b) {
            for c in a.min(b)..a.max(b) {
                marks[r * cols + c].bridge = true;
            }
        }
    }
    marks
}

/// The rows' boundaries as the grid's `data-boundary` attribute: one entry
/// a row, the column where the outcome changes, `none`, or `?` while the
/// row runs (`5,none`).
pub fn boundary_attr(rows: &[Option<Option<usize>>]) -> String {
    let parts: Vec<String> = rows
        .iter()
        .map(|b| match b {
            None => "?".into(),
            Some(None) => "none".into(),
            Some(Some(c)) => c.to_string(),
        })
        .collect();
    parts.join(",")
}

/// The query that opens a cell's run in the whole page: its preset, seed
/// and settings (each key once, the axis's value winning over the sweep's
/// own `set=` of it).
pub fn cell_query(sc: &Scenario) -> String {
    let mut set: Vec<(String, String)> = Vec::new();
    for (k, v) in &sc.set {
        set.retain(|(key, _)| key != k);
        set.push((k.clone(), v.clone()));
    }
    let v = ViewState {
        scenario: Scenario {
            preset: sc.preset.clone(),
            seed: sc.seed,
            set,
        },
        ..ViewState::default()
    };
    url::encode(&v)
}

/// `7 of 24 runs`.
pub fn progress_text(done: usize, total: usize) -> String {
    format!("{done} of {total} run{}", if total == 1 { "" } else { "s" })
}

/// How many workers a sweep uses: one per core the browser reports, at
/// most `cap` and no more than there are cells, at least one.
pub fn worker_count(cores: f64, cap: usize, cells: usize) -> usize {
    let c = if cores.is_finite() && cores >= 1.0 {
        cores as usize
    } else {
        1
    };
    c.min(cap).min(cells).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use Outcome::{Ok as K, Outage as O};

    #[test]
    fn downsampling_is_bounded_and_keeps_the_peak() {
        for len in [0, 1, 7, 59, 60, 61, 120, 121, 900, 5000] {
            let s: Vec<f64> = (0..len).map(|i| ((i * 37) % 101) as f64).collect();
            let d = downsample(&s, SPARK_MAX_POINTS);
            assert!(d.len() <= SPARK_MAX_POINTS, "{len}");
            assert_eq!(d.len(), len.min(SPARK_MAX_POINTS));
            let peak = s.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            assert_eq!(d.iter().copied().fold(f64::NEG_INFINITY, f64::max), peak);
            let path = spark_path(&s, 100.0);
            assert_eq!(path.matches(['M', 'L']).count(), d.len(), "{len}");
        }
    }

    #[test]
    fn the_path_spans_the_box_and_zero_is_the_bottom() {
        let p = spark_path(&[0.0, 5.0, 10.0], 10.0);
        assert_eq!(p, "M0.0,28.5L50.0,15.0L100.0,1.5");
        assert_eq!(spark_path(&[3.0, 3.0], 0.0), "M0.0,28.5L100.0,28.5");
        assert_eq!(spark_path(&[], 1.0), "");
    }

    #[test]
    fn the_boundary_is_known_row_by_row_and_steps_between_rows() {
        let outcomes = [
            Some(O),
            Some(O),
            Some(K),
            Some(K),
            Some(O),
            Some(O),
            Some(O),
            Some(K),
            Some(K),
            None,
            Some(K),
            Some(K),
        ];
        let rows = row_boundaries(&outcomes, 4);
        assert_eq!(rows, [Some(Some(2)), Some(Some(3)), None]);
        assert_eq!(boundary_attr(&rows), "2,3,?");
        let m = boundary_marks(&rows, 4);
        assert!(m[2].flip && m[7].flip);
        assert!(m[6].bridge && !m[5].bridge && !m[7].bridge);
        assert_eq!(m.iter().filter(|x| x.flip || x.bridge).count(), 3);
        let all_ok = row_boundaries(&[Some(K), Some(K)], 2);
        assert_eq!(boundary_attr(&all_ok), "none");
    }

    #[test]
    fn a_cells_link_carries_each_key_once() {
        let sc = Scenario {
            preset: "incident".into(),
            seed: 3,
            set: vec![
                ("duration_s".into(), "240".into()),
                ("max_delay_ms".into(), "1000".into()),
                ("max_delay_ms".into(), "464".into()),
            ],
        };
        let q = cell_query(&sc);
        assert_eq!(
            q,
            "preset=incident&seed=3&set=duration_s:240,max_delay_ms:464"
        );
        let (v, errors) = url::decode(&q);
        assert!(errors.is_empty());
        assert_eq!(v.scenario.params().unwrap(), sc.params().unwrap());
    }

    #[test]
    fn values_read_as_the_command_line_prints_them() {
        assert_eq!(
            value_text(Metric::ConntrackAllowanceExceeded, 8_997_860.0),
            "8,997,860"
        );
        assert_eq!(
            value_short(Metric::ConntrackAllowanceExceeded, 8_997_860.0),
            "9M"
        );
        assert_eq!(value_text(Metric::ErrorRatePeak, 0.1234), "12.34 %");
        assert_eq!(progress_text(7, 24), "7 of 24 runs");
        assert_eq!(worker_count(2.0, 8, 24), 2);
        assert_eq!(worker_count(f64::NAN, 8, 24), 1);
        assert_eq!(worker_count(32.0, 8, 4), 4);
    }
}
