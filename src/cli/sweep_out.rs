//! How `incident-sim sweep` prints its cells: a table to read (one line a
//! cell, a text sparkline, the boundary below), CSV (one row a cell, exact
//! values) or JSON (everything, with the full sparkline series).

use crate::scenario::sweep::axis::Values;
use crate::scenario::sweep::{
    boundary, is_incident, Cell, CellResult, Metric, Outcome, Sweep, OUTAGE_ERROR_RATE, SEED,
};
use serde_json::json;

/// Characters of a sparkline in the table.
const SPARK_CHARS: usize = 30;

/// The value as a person reads it (the page's cells print the same).
fn shown(metric: Metric, v: f64) -> String {
    crate::viz::sweep::value_text(metric, v)
}

fn outcome_word(o: Outcome) -> &'static str {
    crate::viz::sweep::outcome_word(o)
}

/// The rule, as every format states it.
fn outage_rule() -> String {
    format!(
        "outage: the users' error rate over {} % in some 10 s (error_rate_peak > {OUTAGE_ERROR_RATE})",
        OUTAGE_ERROR_RATE * 100.0
    )
}

/// `series` as block characters, [`SPARK_CHARS`] wide at most (the highest
/// point of each stretch), scaled to `top` so that cells compare; zero is
/// a space.
fn spark(series: &[f64], top: f64) -> String {
    const BLOCKS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let n = series.len().min(SPARK_CHARS);
    (0..n)
        .map(|i| {
            let part = &series[i * series.len() / n..(i + 1) * series.len() / n];
            let v = part.iter().copied().fold(0.0, f64::max);
            if v <= 0.0 || top <= 0.0 {
                ' '
            } else {
                let level = ((v / top) * 8.0).ceil().clamp(1.0, 8.0) as usize;
                BLOCKS[level - 1]
            }
        })
        .collect()
}

/// The row's name: the second axis's value (empty with one axis).
fn row_name(sweep: &Sweep, cells: &[Cell], row: usize) -> String {
    let (cols, _) = sweep.shape();
    cells[row * cols]
        .at
        .get(1)
        .map_or(String::new(), |(k, v)| format!("{k}={v}"))
}

/// The readable table.
pub(super) fn table(sweep: &Sweep, cells: &[Cell], results: &[CellResult]) -> String {
    let m = sweep.metric;
    let axes: Vec<String> = sweep.axes.iter().map(ToString::to_string).collect();
    let mut out = format!(
        "sweep of {} (seed {}): {}, {} runs\n{}: {}\n{}; * marks the incident's own settings\n\n",
        sweep.base.preset,
        sweep.base.seed,
        axes.join(" × "),
        cells.len(),
        m.name(),
        m.label(),
        outage_rule()
    );
    for a in &sweep.axes {
        if let Values::Range { count, .. } = a.values {
            let n = a.points().len();
            if n < count {
                out += &format!(
                    "({}: {count} points round to {n} distinct integers, each run once)\n\n",
                    a.key
                );
            }
        }
    }
    let top = results
        .iter()
        .flat_map(|r| r.series.iter().copied())
        .fold(0.0, f64::max);
    let keys: Vec<&str> = sweep.axes.iter().map(|a| a.key.as_str()).collect();
    let widths: Vec<usize> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| {
            cells
                .iter()
                .map(|c| c.at[i].1.len())
                .max()
                .unwrap_or(0)
                .max(k.len())
        })
        .collect();
    let vw = results
        .iter()
        .map(|r| shown(m, r.value).len())
        .max()
        .unwrap_or(0)
        .max(m.name().len());
    let mut head = String::new();
    for (k, w) in keys.iter().zip(&widths) {
        head += &format!("{k:>w$}  ");
    }
    head += &format!(
        "{:>vw$}  {:<7}  {:<SPARK_CHARS$}  digest\n",
        m.name(),
        "outcome",
        "per second over the run"
    );
    out += &head;
    for (c, r) in cells.iter().zip(results) {
        let mut line = String::new();
        for ((_, v), w) in c.at.iter().zip(&widths) {
            // Numbers to the right, words to the left.
            if v.parse::<f64>().is_ok() {
                line += &format!("{v:>w$}  ");
            } else {
                line += &format!("{v:<w$}  ");
            }
        }
        let mark = if is_incident(&c.scenario) { " *" } else { "" };
        line += &format!(
            "{:>vw$}  {:<7}  {:<SPARK_CHARS$}  {:#018x}{mark}\n",
            shown(m, r.value),
            outcome_word(r.outcome),
            spark(&r.series, top),
            r.digest
        );
        out += &line;
    }
    let (cols, _) = sweep.shape();
    let outcomes: Vec<Outcome> = results.iter().map(|r| r.outcome).collect();
    out += &format!("\nwhere the outcome changes along {}:\n", keys[0]);
    for (row, b) in boundary(&outcomes, cols).into_iter().enumerate() {
        let name = row_name(sweep, cells, row);
        let name = if name.is_empty() {
            String::new()
        } else {
            format!("{name}: ")
        };
        let first = &results[row * cols];
        out += &match b {
            None => format!("  {name}{} throughout\n", outcome_word(first.outcome)),
            Some(col) => format!(
                "  {name}{} from {}={} (after {} up to {})\n",
                outcome_word(results[row * cols + col].outcome),
                keys[0],
                cells[row * cols + col].at[0].1,
                outcome_word(results[row * cols + col - 1].outcome),
                cells[row * cols + col - 1].at[0].1,
            ),
        };
    }
    out
}

/// One row a cell; the series space-separated in the last field.
pub(super) fn csv(sweep: &Sweep, cells: &[Cell], results: &[CellResult]) -> String {
    let mut head: Vec<String> = sweep.axes.iter().map(|a| a.key.clone()).collect();
    let seed_axis = sweep.axes.iter().any(|a| a.key == SEED);
    if !seed_axis {
        head.push(SEED.into());
    }
    let mut out = format!(
        "index,{},{},outcome,incident,digest,events,series\n",
        head.join(","),
        sweep.metric.name()
    );
    for (c, r) in cells.iter().zip(results) {
        let mut fields: Vec<String> = vec![c.index.to_string()];
        fields.extend(c.at.iter().map(|(_, v)| v.clone()));
        if !seed_axis {
            fields.push(c.scenario.seed.to_string());
        }
        let series: Vec<String> = r.series.iter().map(f64::to_string).collect();
        fields.extend([
            r.value.to_string(),
            outcome_word(r.outcome).into(),
            is_incident(&c.scenario).to_string(),
            format!("{:#018x}", r.digest),
            r.events.to_string(),
            series.join(" "),
        ]);
        out += &fields.join(",");
        out.push('\n');
    }
    out
}

/// Everything, as one JSON object.
pub(super) fn json(sweep: &Sweep, cells: &[Cell], results: &[CellResult]) -> String {
    let (cols, rows) = sweep.shape();
    let outcomes: Vec<Outcome> = results.iter().map(|r| r.outcome).collect();
    let cell_json: Vec<serde_json::Value> = cells
        .iter()
        .zip(results)
        .map(|(c, r)| {
            let at: serde_json::Map<String, serde_json::Value> =
                c.at.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
            json!({
                "index": c.index,
                "col": c.col,
                "row": c.row,
                "at": at,
                "seed": c.scenario.seed,
                "value": r.value,
                "outcome": r.outcome,
                "incident": is_incident(&c.scenario),
                "digest": format!("{:#018x}", r.digest),
                "events": r.events,
                "series": r.series,
            })
        })
        .collect();
    let bound: Vec<serde_json::Value> = boundary(&outcomes, cols)
        .into_iter()
        .enumerate()
        .map(|(row, col)| json!({ "row": row, "col": col, "name": row_name(sweep, cells, row) }))
        .collect();
    let v = json!({
        "preset": sweep.base.preset,
        "seed": sweep.base.seed,
        "set": sweep.base.set,
        "axes": sweep.axes.iter().map(|a| json!({
            "key": a.key,
            "values_text": a.values_text(),
            "values": a.points(),
        })).collect::<Vec<_>>(),
        "sweep": sweep.axes_text(),
        "metric": sweep.metric.name(),
        "metric_label": sweep.metric.label(),
        "outage_rule": outage_rule(),
        "columns": cols,
        "rows": rows,
        "cells": cell_json,
        "boundary": bound,
    });
    format!("{v}\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparklines_scale_to_the_sweeps_top_and_keep_zero_blank() {
        assert_eq!(spark(&[0.0, 1.0, 8.0], 8.0), " ▁█");
        assert_eq!(spark(&[4.0], 8.0), "▄");
        let long: Vec<f64> = (0..120).map(f64::from).collect();
        let s = spark(&long, 119.0);
        assert_eq!(s.chars().count(), SPARK_CHARS);
        assert!(s.ends_with('█'), "{s}");
        assert_eq!(spark(&[0.0, 0.0], 0.0), "  ");
    }

    #[test]
    fn values_read_in_their_units() {
        assert_eq!(shown(Metric::ErrorRatePeak, 0.039_856), "3.99 %");
        assert_eq!(shown(Metric::MartianDrops, 1_234_567.0), "1,234,567");
    }
}
