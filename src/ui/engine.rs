//! The engine as the page drives it: a `Sim` plus checkpoints for seeking
//! backwards, advanced in bounded chunks so a frame never blocks.

use crate::scenario::{presets, Scenario};
use crate::sim::engine::Checkpoint;
use crate::sim::params::Params;
use crate::sim::time::SimTime;
use crate::sim::Sim;

/// Most checkpoints a run keeps (memory: one copy of the state each, ~10 MB
/// for the incident); beyond that every other one is dropped.
const MAX_CHECKPOINTS: usize = 16;
/// A checkpoint is taken every this many events, so seeking back re-runs at
/// most about a second's worth of work in the browser.
const EVENTS_PER_CHECKPOINT: u64 = 1_500_000;

/// The running simulation and what the page asked of it.
pub struct Engine {
    /// The simulation.
    pub sim: Sim,
    /// The scenario it runs.
    pub scenario: Scenario,
    /// Its parameters.
    pub params: Params,
    checkpoints: Vec<Checkpoint>,
    /// Events processed when the last checkpoint was taken.
    last_cp_events: u64,
    /// Whether the clock runs.
    pub playing: bool,
    /// Simulated seconds per wall second.
    pub speed: f64,
    /// The time the page shows (the engine catches up to it).
    pub target: SimTime,
    /// A second run to compare against, if the reader asked for one.
    pub compare: Option<CompareRun>,
}

/// A preset run beside the main one, on the same seed and clock. It keeps
/// no checkpoints: seeking back before it starts it again, and it catches up
/// in the time the main run leaves in each frame.
pub struct CompareRun {
    /// The preset it runs.
    pub preset: String,
    /// The scenario: the preset's changes on top of the main run's own
    /// settings (same fleet, same seed), so it answers "what if we had…".
    pub scenario: Scenario,
    /// Its parameters.
    params: Params,
    /// The simulation.
    pub sim: Sim,
}

impl Engine {
    /// A fresh run of `sc` (which must be valid).
    pub fn new(sc: &Scenario) -> Result<Engine, String> {
        let params = sc.params().map_err(|e| e.to_string())?;
        let sim = Sim::new(&params, sc.seed);
        let e = Engine {
            checkpoints: vec![sim.checkpoint()],
            sim,
            scenario: sc.clone(),
            params,
            last_cp_events: 0,
            playing: false,
            speed: 1.0,
            target: SimTime::ZERO,
            compare: None,
        };
        Ok(e)
    }

    /// The end of the run.
    pub fn end(&self) -> SimTime {
        self.sim.end()
    }

    /// Fraction of the way from the engine's time to the target (for the
    /// progress bar when the page is catching up).
    pub fn lag(&self) -> Option<f64> {
        if self.sim.now() >= self.horizon() {
            None
        } else {
            Some(self.sim.now().as_secs_f64() / self.target.as_secs_f64().max(1e-9))
        }
    }

    /// How far the run goes for the page's time `target`: one microsecond
    /// past it, so that whatever happens at exactly `target` (the packet a
    /// reader jumped to from the log or the inspector) has happened.
    fn horizon(&self) -> SimTime {
        SimTime(self.target.micros() + 1).min(self.end())
    }

    /// Sets the target, going back to a checkpoint if it is in the past.
    pub fn seek(&mut self, t: SimTime) {
        let t = t.min(self.end());
        let horizon = SimTime(t.micros() + 1).min(self.end());
        if horizon < self.sim.now() {
            let cp = self
                .checkpoints
                .iter()
                .rev()
                .find(|c| c.at <= t)
                .expect("the first checkpoint is at 0");
            self.sim.restore(cp);
            self.last_cp_events = self.sim.events();
        }
        if let Some(c) = &mut self.compare {
            if c.sim.now() > horizon {
                c.sim = Sim::new(&c.params, c.scenario.seed);
            }
        }
        self.target = t;
    }

    /// Compares against preset `preset`, or stops comparing. The compared
    /// run keeps this run's seed and every setting the preset does not
    /// itself change.
    pub fn set_compare(&mut self, preset: Option<&str>) -> Result<(), String> {
        let Some(preset) = preset else {
            self.compare = None;
            return Ok(());
        };
        let Some(p) = presets::preset(preset) else {
            return Err(format!("unknown preset {preset:?}"));
        };
        let sc = Scenario {
            preset: preset.to_string(),
            seed: self.scenario.seed,
            set: self
                .scenario
                .set
                .iter()
                .filter(|(k, _)| !p.overrides.iter().any(|(pk, _)| pk == k))
                .cloned()
                .collect(),
        };
        if self.compare.as_ref().is_some_and(|c| c.scenario == sc) {
            return Ok(());
        }
        let params = sc.params().map_err(|e| e.to_string())?;
        self.compare = Some(CompareRun {
            preset: preset.to_string(),
            sim: Sim::new(&params, sc.seed),
            scenario: sc,
            params,
        });
        Ok(())
    }

    /// Runs the comparison up to `max_events` towards the target (never
    /// back); true once it is there or there is none.
    pub fn advance_compare(&mut self, max_events: u64) -> bool {
        let target = self.horizon();
        match &mut self.compare {
            Some(c) => c.sim.run_until_bounded(target, max_events),
            None => true,
        }
    }

    /// Runs up to `max_events` towards the target; true once reached.
    pub fn advance(&mut self, max_events: u64) -> bool {
        let mut left = max_events;
        while self.sim.now() < self.horizon() && left > 0 {
            let chunk = left.min(20_000);
            self.sim.run_until_bounded(self.horizon(), chunk);
            left = left.saturating_sub(chunk);
            let newest = self.checkpoints.last().map(|c| c.at).unwrap_or_default();
            if self.sim.events() >= self.last_cp_events + EVENTS_PER_CHECKPOINT
                && self.sim.now() > newest
            {
                let start = super::util::now_ms();
                self.checkpoints.push(self.sim.checkpoint());
                // Its cost, for the end-to-end test's report.
                super::util::push_sample(
                    "__checkpointCosts",
                    &(super::util::now_ms() - start).into(),
                );
                self.last_cp_events = self.sim.events();
                if self.checkpoints.len() > MAX_CHECKPOINTS {
                    // Keep the first and every other one after it.
                    let mut k = 0;
                    self.checkpoints.retain(|_| {
                        k += 1;
                        k == 1 || k % 2 == 0
                    });
                }
            }
        }
        self.sim.now() >= self.horizon()
    }
}
