//! `incident-sim sweep`: a scenario over a grid of one or two parameters
//! (or seeds), every cell a whole run, spread over threads with rayon. The
//! cells are numbered before they run and printed in that order, so the
//! output is the same whatever the number of threads; they are run costliest
//! first (by [`estimate`]), so that no long run starts last.

use super::drive::{catch_ctrl_c, interrupted, CHUNK, EXIT_INTERRUPTED};
use super::run::{parse_scenario, value, Parsed};
use super::sweep_out::{csv, json, table};
use super::{write_out, EXIT_USAGE};
use crate::scenario::cost::{duration_text, estimate, LONG_RUN_S};
use crate::scenario::quoted;
use crate::scenario::sweep::{at_text, Axis, Cell, CellResult, Metric, Sweep, SEED};
use crate::sim::Sim;
use std::ffi::OsString;
use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};

/// The most threads `--threads` takes.
const MAX_THREADS: usize = 256;

/// How the results are printed.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    Table,
    Csv,
    Json,
}

/// Why a cell did not finish.
enum Stop {
    /// Ctrl-C.
    Interrupted,
    /// Past its event budget (the message).
    Budget(String),
    /// Another cell stopped the sweep.
    Aborted,
}

/// Refuses with one line and exit 2.
fn usage(msg: &str) -> i32 {
    eprintln!("incident-sim sweep: {msg}");
    EXIT_USAGE
}

pub(super) fn run(args: Vec<OsString>) -> i32 {
    let mut axes: Vec<Axis> = Vec::new();
    let mut metric: Option<Metric> = None;
    let mut format = Format::Table;
    let mut threads: Option<usize> = None;
    let parsed = parse_scenario("sweep", args, |p, a| {
        match a {
            "vary" | "seeds" => {
                let v = value("sweep", p)?;
                let text = if a == "seeds" {
                    format!("{SEED}={v}")
                } else {
                    v
                };
                axes.push(Axis::parse(&text).map_err(|e| usage(&format!("--{a}: {e}")))?);
            }
            "metric" => {
                let v = value("sweep", p)?;
                metric = Some(Metric::parse(&v).map_err(|e| usage(&format!("--metric: {e}")))?);
            }
            "csv" => format = Format::Csv,
            "json" => format = Format::Json,
            "threads" => {
                let v = value("sweep", p)?;
                threads = Some(
                    v.parse::<usize>()
                        .ok()
                        .filter(|n| (1..=MAX_THREADS).contains(n))
                        .ok_or_else(|| {
                            usage(&format!(
                                "--threads: {} is out of range (allowed 1..={MAX_THREADS})",
                                quoted(&v)
                            ))
                        })?,
                );
            }
            _ => return Ok(false),
        }
        Ok(true)
    });
    let Parsed { sc, allow_long } = match parsed {
        Ok(p) => p,
        Err(c) => return c,
    };
    let Some(metric) = metric else {
        let names: Vec<&str> = Metric::ALL.iter().map(|m| m.name()).collect();
        return usage(&format!(
            "--metric NAME is required (one of: {})",
            names.join(", ")
        ));
    };
    if axes.is_empty() {
        return usage(
            "--vary KEY=A..B:lin|log:N, --vary KEY=V1,V2,... or --seeds A..B is required",
        );
    }
    let sweep = match Sweep::new(sc, axes, metric) {
        Ok(s) => s,
        Err(e) => return usage(&e),
    };
    let threads = threads.unwrap_or_else(|| {
        std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
    });
    let cells = sweep.cells();
    let (work, worst) = sweep.work_s();
    let per_thread = work / threads.min(cells.len()) as f64;
    if per_thread > LONG_RUN_S && !allow_long {
        let c = &cells[worst];
        let p = c.scenario.params().expect("checked");
        return usage(&format!(
            "a long sweep: {} runs estimated {} on {threads} thread{} (the costliest, {}: {}); \
             narrow the axes or pass --allow-long to run it anyway (Ctrl-C stops it)",
            cells.len(),
            duration_text(per_thread),
            if threads == 1 { "" } else { "s" },
            at_text(&c.at),
            estimate(&p).describe()
        ));
    }
    let results = match run_cells(&cells, metric, threads, allow_long, per_thread) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let text = match format {
        Format::Table => table(&sweep, &cells, &results),
        Format::Csv => csv(&sweep, &cells, &results),
        Format::Json => json(&sweep, &cells, &results),
    };
    write_out("sweep", text.as_bytes()).map_or_else(|c| c, |()| 0)
}

/// Runs every cell on `threads` threads; results in the cells' order.
fn run_cells(
    cells: &[Cell],
    metric: Metric,
    threads: usize,
    allow_long: bool,
    est_s: f64,
) -> Result<Vec<CellResult>, i32> {
    catch_ctrl_c();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| {
            eprintln!("incident-sim sweep: cannot start {threads} threads: {e}");
            1
        })?;
    let bar = (std::io::stderr().is_terminal() && (est_s > 2.0 || allow_long)).then(|| {
        let bar = indicatif::ProgressBar::new(cells.len() as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{prefix} [{elapsed_precise}] {wide_bar} {pos}/{len} runs (about {eta} left)",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar.set_prefix("incident-sim sweep");
        bar
    });
    // Costliest first, each thread taking the next when it is free (the
    // longest-first rule): a slow cell started last would leave the other
    // threads idle at the end. Results go to their cell's slot.
    let mut order: Vec<(f64, usize)> = cells
        .iter()
        .map(|c| {
            let p = c.scenario.params().expect("checked by Sweep::new");
            (estimate(&p).wall_s, c.index)
        })
        .collect();
    order.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let slots: Vec<Mutex<Option<Result<CellResult, Stop>>>> =
        cells.iter().map(|_| Mutex::new(None)).collect();
    pool.scope(|s| {
        for _ in 0..threads.min(cells.len()) {
            s.spawn(|_| {
                while let Some(&(_, i)) = order.get(next.fetch_add(1, Ordering::SeqCst)) {
                    let r = run_cell(&cells[i], metric, allow_long, &stop);
                    if let Some(bar) = &bar {
                        bar.inc(1);
                    }
                    *slots[i].lock().unwrap_or_else(PoisonError::into_inner) = Some(r);
                }
            });
        }
    });
    let outcomes: Vec<Result<CellResult, Stop>> = slots
        .into_iter()
        .map(|m| {
            m.into_inner()
                .unwrap_or_else(PoisonError::into_inner)
                .unwrap_or(Err(Stop::Aborted))
        })
        .collect();
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let done = outcomes.iter().filter(|r| r.is_ok()).count();
    // The first cell (by index) that went over its budget is the reason;
    // Ctrl-C otherwise.
    if let Some(msg) = outcomes.iter().find_map(|r| match r {
        Err(Stop::Budget(m)) => Some(m),
        _ => None,
    }) {
        eprintln!("incident-sim sweep: {msg}");
        return Err(1);
    }
    if outcomes.iter().any(Result::is_err) {
        eprintln!(
            "incident-sim sweep: interrupted after {done} of {} runs",
            cells.len()
        );
        return Err(EXIT_INTERRUPTED);
    }
    Ok(outcomes.into_iter().filter_map(Result::ok).collect())
}

/// Runs one cell in chunks, looking at Ctrl-C, the other cells and the
/// event budget between them (as `run` does).
fn run_cell(
    c: &Cell,
    metric: Metric,
    allow_long: bool,
    stop: &AtomicBool,
) -> Result<CellResult, Stop> {
    let p = c.scenario.params().expect("checked by Sweep::new");
    let cost = estimate(&p);
    let budget = cost.event_budget();
    let mut sim = Sim::new(&p, c.scenario.seed);
    let end = sim.end();
    loop {
        if interrupted() {
            return Err(Stop::Interrupted);
        }
        if stop.load(Ordering::SeqCst) {
            return Err(Stop::Aborted);
        }
        if sim.run_until_bounded(end, CHUNK) {
            sim.run_to_end();
            return Ok(CellResult::of(&sim, metric));
        }
        if !allow_long && sim.events() > budget {
            stop.store(true, Ordering::SeqCst);
            return Err(Stop::Budget(format!(
                "run {} stopped at {:.1} simulated s: {} events is past its budget of {budget} \
                 (its estimate, {} events, was wrong); --allow-long lifts the budget",
                at_text(&c.at),
                sim.now().as_secs_f64(),
                sim.events(),
                cost.events
            )));
        }
    }
}
