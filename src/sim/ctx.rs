//! The narrow context a model works in: the clock, the parameters, the
//! event queue, one random stream, the metrics, the trace and the totals.
//!
//! A model that takes `(&mut ItsState, &mut Ctx)` instead of `&mut Sim`
//! says what it can touch: its own state and these shared services, not
//! another model's. [`ctx!`] builds one from a `Sim` by borrowing its fields
//! one by one, so that the caller may still borrow the model's own state
//! (a node, a pod) from the other fields at the same time.

use super::event::Ev;
use super::metrics::Metrics;
use super::params::Params;
use super::queue::EventQueue;
use super::rng::SimRng;
use super::time::{SimDuration, SimTime};
use super::totals::Totals;
use super::trace::{Fate, Notable, Trace};

/// What every model may use besides its own state.
pub(crate) struct Ctx<'a> {
    /// The current time (the clock never moves inside an event).
    pub now: SimTime,
    /// The run's parameters.
    pub p: &'a Params,
    /// Where new events go.
    pub queue: &'a mut EventQueue<Ev>,
    /// The random stream of the model at hand (each model has its own,
    /// see `sim/rng.rs`: adding a draw to one shifts no other).
    pub rng: &'a mut SimRng,
    /// Per-second series.
    pub metrics: &'a mut Metrics,
    /// Sampled packets, notable events, kernel log.
    pub trace: &'a mut Trace,
    /// The run's totals.
    pub totals: &'a mut Totals,
}

/// A [`Ctx`] over `sim`'s fields, with `sim.$rng` as its random stream:
/// `ctx!(self, rng_net)`. A macro, not a method, because a method taking
/// `&mut self` would borrow the whole world, and the caller could not hand
/// the model its own state (`&mut self.nodes[i]`) beside the context.
macro_rules! ctx {
    ($sim:ident, $rng:ident) => {
        $crate::sim::ctx::Ctx {
            now: $sim.now,
            p: &$sim.p,
            queue: &mut $sim.queue,
            rng: &mut $sim.$rng,
            metrics: &mut $sim.metrics,
            trace: &mut $sim.trace,
            totals: &mut $sim.totals,
        }
    };
}
pub(crate) use ctx;

impl Ctx<'_> {
    /// Schedules `ev` after `after`.
    #[inline]
    pub fn schedule(&mut self, after: SimDuration, ev: Ev) {
        self.queue.push(self.now + after, ev);
    }

    /// Schedules `ev` at `at`, or now if `at` has passed (the clock is
    /// never set back).
    #[inline]
    pub fn schedule_at(&mut self, at: SimTime, ev: Ev) {
        self.queue.push(at.max(self.now), ev);
    }

    /// Records the fate of sampled packet `sample` (`u32::MAX`: not
    /// sampled, nothing to record) as of now.
    #[inline]
    pub fn fate(&mut self, sample: u32, fate: Fate) {
        if sample != u32::MAX {
            self.trace.set_fate(sample, fate, self.now);
        }
    }

    /// Adds a notable event at the current time.
    #[inline]
    pub fn note(&mut self, what: Notable, text: String) {
        self.trace.note(self.now, what, text);
    }
}
