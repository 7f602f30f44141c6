//! Sweeps: one scenario run over a grid of one or two parameters (or
//! seeds), each cell a whole run, summarised by one figure, its sparkline
//! and its outcome, with the boundary where the outcome changes.
//!
//! The grid's columns are the first axis's values and its rows the
//! second's (one row with one axis); cells are numbered row by row, and
//! that order, not the order runs finish in, is the order of every output,
//! so the results do not depend on how many threads ran them. This module
//! runs nothing in parallel (it is also compiled for the page); the command
//! line spreads the cells over threads.

pub mod axis;
pub mod form;
pub mod metric;

use crate::scenario::cost::estimate;
use crate::scenario::{Scenario, DEFAULT_SEED};
use crate::sim::summary::Summary;
use crate::sim::Sim;
pub use axis::{Axis, MAX_CELLS, SEED};
pub use metric::{is_outage, Metric, OUTAGE_ERROR_RATE};
use serde::{Deserialize, Serialize};

/// The most axes: a grid's columns and rows.
pub const MAX_AXES: usize = 2;

/// Between axes in the compact form (`a:1..9:lin:3*b:x,y`), read "×".
pub const AXIS_SEPARATOR: char = '*';

/// A sweep: the scenario every cell starts from, the axes, the figure.
#[derive(Clone, Debug, PartialEq)]
pub struct Sweep {
    /// Preset, overrides and seed shared by every cell (an axis's value
    /// overrides the same key's).
    pub base: Scenario,
    /// One or two axes: columns, then rows.
    pub axes: Vec<Axis>,
    /// The figure drawn.
    pub metric: Metric,
}

/// One cell: where it is and the scenario it runs.
#[derive(Clone, Debug, PartialEq)]
pub struct Cell {
    /// Position in row-by-row order.
    pub index: usize,
    /// Column (the first axis's value).
    pub col: usize,
    /// Row (the second axis's value; 0 with one axis).
    pub row: usize,
    /// The axes' values, `(key, value)`.
    pub at: Vec<(String, String)>,
    /// The whole scenario.
    pub scenario: Scenario,
}

/// A cell's outcome (see [`metric`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// Error rate at or under the threshold throughout.
    Ok,
    /// Error rate over the threshold in some 10 s.
    Outage,
}

/// What a cell's run gave.
/// Small (a few hundred numbers): it is what the page's workers send back
/// for a cell, never the run's packets.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CellResult {
    /// The metric's value (as `run --json` gives it).
    pub value: f64,
    /// Outage or not.
    pub outcome: Outcome,
    /// The metric per second, at most [`metric::SPARK_POINTS`] points.
    pub series: Vec<f64>,
    /// The trace digest ([`Sim::digest`]): equal digests, identical runs.
    pub digest: u64,
    /// Events the run processed.
    pub events: u64,
}

impl CellResult {
    /// The result of a finished run.
    pub fn of(sim: &Sim, metric: Metric) -> CellResult {
        let s = Summary::of(sim);
        CellResult {
            value: metric.value(&s),
            outcome: if is_outage(&s) {
                Outcome::Outage
            } else {
                Outcome::Ok
            },
            series: metric.sparkline(sim),
            digest: sim.digest(),
            events: sim.events(),
        }
    }
}

impl Sweep {
    /// A sweep, checked: one or two axes of different keys, at most
    /// [`MAX_CELLS`] cells, and every cell a valid scenario.
    pub fn new(base: Scenario, axes: Vec<Axis>, metric: Metric) -> Result<Sweep, String> {
        if axes.is_empty() || axes.len() > MAX_AXES {
            return Err(format!(
                "a sweep has one or two axes (columns and rows), not {}",
                axes.len()
            ));
        }
        if axes.len() == 2 && axes[0].key == axes[1].key {
            return Err(format!("{} is swept twice", axes[0].key));
        }
        base.params().map_err(|e| e.0)?;
        let sweep = Sweep { base, axes, metric };
        let (cols, rows) = sweep.shape();
        if cols * rows > MAX_CELLS {
            return Err(format!(
                "{cols} × {rows} = {} cells, more than the {MAX_CELLS} a sweep may run",
                cols * rows
            ));
        }
        for c in sweep.cells() {
            c.scenario
                .params()
                .map_err(|e| format!("cell {}: {e}", at_text(&c.at)))?;
        }
        Ok(sweep)
    }

    /// Columns and rows.
    pub fn shape(&self) -> (usize, usize) {
        let n = |i: usize| self.axes.get(i).map_or(1, |a| a.points().len());
        (n(0), n(1))
    }

    /// Every cell, row by row.
    pub fn cells(&self) -> Vec<Cell> {
        let (cols, rows) = self.shape();
        let points: Vec<Vec<String>> = self.axes.iter().map(Axis::points).collect();
        let mut out = Vec::with_capacity(cols * rows);
        for row in 0..rows {
            for col in 0..cols {
                let mut sc = self.base.clone();
                let mut at = Vec::new();
                for (k, (axis, i)) in self.axes.iter().zip([col, row]).enumerate() {
                    let v = points[k][i].clone();
                    if axis.key == SEED {
                        sc.seed = v.parse().expect("checked when parsed");
                    } else {
                        sc.set.push((axis.key.clone(), v.clone()));
                    }
                    at.push((axis.key.clone(), v));
                }
                out.push(Cell {
                    index: out.len(),
                    col,
                    row,
                    at,
                    scenario: sc,
                });
            }
        }
        out
    }

    /// The cells' indices, costliest first (by [`estimate`]; ties by index):
    /// the order to hand cells to threads or workers, so that no long run
    /// starts last while the others sit idle.
    pub fn run_order(&self) -> Vec<usize> {
        let mut order: Vec<(f64, usize)> = self
            .cells()
            .iter()
            .map(|c| {
                let p = c.scenario.params().expect("checked by new");
                (estimate(&p).wall_s, c.index)
            })
            .collect();
        order.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        order.into_iter().map(|(_, i)| i).collect()
    }

    /// Estimated native wall time of every cell run one after another
    /// ([`estimate`]), and the costliest cell's index.
    pub fn work_s(&self) -> (f64, usize) {
        let mut total = 0.0;
        let mut worst = (0.0, 0);
        for c in self.cells() {
            let p = c.scenario.params().expect("checked by new");
            let w = estimate(&p).wall_s;
            total += w;
            if w > worst.0 {
                worst = (w, c.index);
            }
        }
        (total, worst.1)
    }

    /// The axes in the compact form a URL carries: `key:values`, joined by
    /// [`AXIS_SEPARATOR`].
    pub fn axes_text(&self) -> String {
        axes_text(&self.axes)
    }

    /// Axes from [`Sweep::axes_text`]'s form.
    pub fn parse_axes(text: &str) -> Result<Vec<Axis>, String> {
        text.split(AXIS_SEPARATOR).map(Axis::parse).collect()
    }
}

/// Axes in the compact form: `key:values`, joined by [`AXIS_SEPARATOR`].
pub fn axes_text(axes: &[Axis]) -> String {
    let parts: Vec<String> = axes
        .iter()
        .map(|a| format!("{}:{}", a.key, a.values_text()))
        .collect();
    parts.join(&AXIS_SEPARATOR.to_string())
}

/// `key=value,key=value`, naming a cell.
pub fn at_text(at: &[(String, String)]) -> String {
    let parts: Vec<String> = at.iter().map(|(k, v)| format!("{k}={v}")).collect();
    parts.join(",")
}

/// Runs one cell to its end (the page's way, and the tests' reference).
pub fn run_cell(sc: &Scenario, metric: Metric) -> Result<CellResult, String> {
    let p = sc.params().map_err(|e| e.0)?;
    let mut sim = Sim::new(&p, sc.seed);
    sim.run_to_end();
    Ok(CellResult::of(&sim, metric))
}

/// True if `sc` is the incident itself: the incident's parameters and seed.
pub fn is_incident(sc: &Scenario) -> bool {
    sc.seed == DEFAULT_SEED
        && match (sc.params(), Scenario::default().params()) {
            (Ok(a), Ok(b)) => a == b,
            _ => false,
        }
}

/// For each row, the first column whose outcome differs from the one
/// before it (where, along the first axis, the outage appears or
/// vanishes); `None` if the whole row has one outcome. `outcomes` are the
/// cells' in row-by-row order.
pub fn boundary(outcomes: &[Outcome], cols: usize) -> Vec<Option<usize>> {
    outcomes
        .chunks(cols.max(1))
        .map(|row| (1..row.len()).find(|&c| row[c] != row[c - 1]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sweep(axes: &[&str]) -> Result<Sweep, String> {
        let axes = axes
            .iter()
            .map(|a| Axis::parse(a))
            .collect::<Result<Vec<_>, _>>()?;
        Sweep::new(
            Scenario::default(),
            axes,
            Metric::ConntrackAllowanceExceeded,
        )
    }

    #[test]
    fn cells_go_row_by_row_with_the_first_axis_across() {
        let s = sweep(&[
            "max_delay_ms=100..1000:log:3",
            "lb_policy=round_robin,pick_first",
        ])
        .unwrap();
        assert_eq!(s.shape(), (3, 2));
        let cells = s.cells();
        let at: Vec<String> = cells.iter().map(|c| at_text(&c.at)).collect();
        assert_eq!(
            at,
            [
                "max_delay_ms=100,lb_policy=round_robin",
                "max_delay_ms=316,lb_policy=round_robin",
                "max_delay_ms=1000,lb_policy=round_robin",
                "max_delay_ms=100,lb_policy=pick_first",
                "max_delay_ms=316,lb_policy=pick_first",
                "max_delay_ms=1000,lb_policy=pick_first",
            ]
        );
        assert_eq!((cells[4].col, cells[4].row, cells[4].index), (1, 1, 4));
        let p = cells[4].scenario.params().unwrap();
        assert_eq!(p.max_delay_ms, 316);
        assert_eq!(p.lb_policy, crate::sim::params::LbPolicy::PickFirst);
    }

    #[test]
    fn a_seed_axis_sets_the_seed_and_the_incident_cell_is_found() {
        let s = sweep(&["seed=1..3", "max_delay_ms=300,1000"]).unwrap();
        let cells = s.cells();
        assert_eq!(
            cells.iter().map(|c| c.scenario.seed).collect::<Vec<_>>(),
            [1, 2, 3, 1, 2, 3]
        );
        let incident: Vec<usize> = cells
            .iter()
            .filter(|c| is_incident(&c.scenario))
            .map(|c| c.index)
            .collect();
        // The incident's max_delay_ms is 300 (the post's custom backoff).
        assert_eq!(incident, [0]);
    }

    #[test]
    fn grids_too_big_or_invalid_are_refused() {
        let e = sweep(&["seed=1..30", "replicas=1..20"]).unwrap_err();
        assert!(e.contains("30 × 20 = 600 cells"), "{e}");
        let e = sweep(&["seed=1..3", "seed=4..5"]).unwrap_err();
        assert!(e.contains("swept twice"), "{e}");
        let e = sweep(&[]).unwrap_err();
        assert!(e.contains("one or two axes"), "{e}");
        let e = sweep(&["seed=1..2", "seed=1..2", "seed=1..2"]).unwrap_err();
        assert!(e.contains("not 3"), "{e}");
        // Valid alone, not with the preset's 8 nodes: the catalog's cross check names the cell.
        let e = sweep(&["replicas=100..200:lin:3", "service_nodes=1,8"]).unwrap_err();
        assert!(
            e.contains("cell replicas=100,service_nodes=1: replicas"),
            "{e}"
        );
    }

    #[test]
    fn the_compact_form_round_trips() {
        let s = sweep(&[
            "max_delay_ms=100..120000:log:12",
            "lb_policy=round_robin,pick_first",
        ])
        .unwrap();
        let text = s.axes_text();
        assert_eq!(
            text,
            "max_delay_ms:100..120000:log:12*lb_policy:round_robin,pick_first"
        );
        assert_eq!(Sweep::parse_axes(&text).unwrap(), s.axes);
    }

    #[test]
    fn the_boundary_is_the_first_change_in_each_row() {
        use Outcome::{Ok as K, Outage as O};
        let b = boundary(&[O, O, K, K, K, K, K, K, K, O, O, K], 4);
        assert_eq!(b, [Some(2), None, Some(1)]);
    }
}
