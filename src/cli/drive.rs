//! Running a scenario from the command line within its work budget
//! ([`crate::scenario::cost`]): refused up front if it would be long unless
//! `--allow-long` is given, run in chunks, stopped past its event budget,
//! with progress on stderr when that is a terminal, and stopped cleanly by
//! Ctrl-C (one line, exit 130).

use super::EXIT_USAGE;
use crate::scenario::cost::{duration_text, estimate, Cost};
use crate::sim::params::Params;
use crate::sim::time::SimTime;
use crate::sim::Sim;
use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Once;

/// Exit code after Ctrl-C (128 + SIGINT, as shells report it).
pub const EXIT_INTERRUPTED: i32 = 130;

/// Events run between looks at Ctrl-C, the budget and the progress bar
/// (a few hundredths of a second).
pub(super) const CHUNK: u64 = 250_000;

/// Runs estimated longer than this (native seconds) show progress.
const PROGRESS_AFTER_S: f64 = 2.0;

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// The first Ctrl-C asks the run to stop at its next chunk; a second one,
/// if it has not, ends the process at once.
pub(super) fn catch_ctrl_c() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let _ = ctrlc::set_handler(|| {
            if INTERRUPTED.swap(true, Ordering::SeqCst) {
                std::process::exit(EXIT_INTERRUPTED);
            }
        });
    });
}

/// True once Ctrl-C was pressed (after [`catch_ctrl_c`]).
pub(super) fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

/// `--allow-long` and what the run costs.
pub(super) struct Budget {
    /// The estimate.
    pub cost: Cost,
    /// `--allow-long`: no refusal, no event budget.
    pub allow_long: bool,
}

/// The estimate of a run of `p`; a long run is refused (exit 2) unless
/// `allow_long`.
pub(super) fn admit(cmd: &str, p: &Params, allow_long: bool) -> Result<Budget, i32> {
    let cost = estimate(p);
    if cost.is_long() && !allow_long {
        eprintln!(
            "incident-sim {cmd}: a long run: {}; lower those or pass --allow-long to run it anyway (Ctrl-C stops it)",
            cost.describe()
        );
        return Err(EXIT_USAGE);
    }
    Ok(Budget { cost, allow_long })
}

/// Runs `sim` until `until` (or to its end) in chunks: Ctrl-C stops it
/// (exit 130), and so does passing the event budget unless `--allow-long`
/// (exit 1); `progress` shows a bar on stderr if that is a terminal and the
/// run is estimated to take a while.
pub(super) fn drive(
    cmd: &str,
    sim: &mut Sim,
    until: Option<SimTime>,
    budget: &Budget,
    progress: bool,
) -> Result<(), i32> {
    catch_ctrl_c();
    let target = until.unwrap_or(sim.end()).min(sim.end());
    let total_ms = target.micros() / 1_000;
    let bar = (progress
        && std::io::stderr().is_terminal()
        && (budget.cost.wall_s > PROGRESS_AFTER_S || budget.allow_long))
        .then(|| {
            let bar = indicatif::ProgressBar::new(total_ms);
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{prefix} [{elapsed_precise}] {wide_bar} {msg} (about {eta} left)",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            bar.set_prefix(format!("incident-sim {cmd}"));
            bar
        });
    let limit = (!budget.allow_long).then(|| budget.cost.event_budget());
    let result = loop {
        let done = sim.run_until_bounded(target, CHUNK);
        if let Some(bar) = &bar {
            let ms = sim.now().micros() / 1_000;
            bar.set_position(ms);
            bar.set_message(format!(
                "{} of {} simulated s",
                ms / 1_000,
                total_ms / 1_000
            ));
        }
        if done {
            // `run_until`/`run_to_end` also run the events at the very end.
            match until {
                Some(t) => sim.run_until(t),
                None => sim.run_to_end(),
            }
            break Ok(());
        }
        if INTERRUPTED.load(Ordering::SeqCst) {
            break Err((
                EXIT_INTERRUPTED,
                format!(
                    "interrupted at {:.1} of {} simulated s ({} events)",
                    sim.now().as_secs_f64(),
                    total_ms / 1_000,
                    sim.events()
                ),
            ));
        }
        if let Some(max) = limit {
            if sim.events() > max {
                break Err((
                    1,
                    format!(
                        "stopped at {:.1} simulated s: {} events is past this run's budget of {max} \
                         (its estimate, {} events or {}, was wrong); --allow-long lifts the budget",
                        sim.now().as_secs_f64(),
                        sim.events(),
                        budget.cost.events,
                        duration_text(budget.cost.wall_s),
                    ),
                ));
            }
        }
    };
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    result.map_err(|(code, msg)| {
        eprintln!("incident-sim {cmd}: {msg}");
        code
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Scenario;

    /// A run past its event budget stops with exit 1 (the estimate was
    /// wrong); with `--allow-long` it runs on; chunked, it is the same run.
    #[test]
    fn the_event_budget_stops_a_run_the_estimate_got_wrong() {
        let sc = Scenario {
            set: vec![
                ("duration_s".into(), "120".into()),
                ("rollout_start_s".into(), "30".into()),
                ("max_delay_ms".into(), "10".into()),
                ("clients".into(), "100".into()),
            ],
            ..Scenario::default()
        };
        let p = sc.params().unwrap();
        let mut cost = estimate(&p);
        // A wrong estimate and no ceiling: budget 5.3 million.
        cost.events = 100_000;
        cost.events_max = 0;
        let mut sim = Sim::new(&p, sc.seed);
        let tight = Budget {
            cost: cost.clone(),
            allow_long: false,
        };
        assert_eq!(drive("run", &mut sim, None, &tight, false), Err(1));
        assert!(sim.events() > tight.cost.event_budget());
        assert!(sim.now() < sim.end());
        let mut sim = Sim::new(&p, sc.seed);
        let long = Budget {
            cost,
            allow_long: true,
        };
        assert_eq!(drive("run", &mut sim, None, &long, false), Ok(()));
        let mut whole = Sim::new(&p, sc.seed);
        whole.run_to_end();
        assert_eq!(sim.digest(), whole.digest());
        assert!(whole.events() > 6_000_000, "{}", whole.events());
    }
}
