//! What the page knows: the clock, the record of the run being shown (and of
//! the one compared with it) as the workers stream them, and the answers to
//! its questions about one moment. Components read it; only the worker's
//! replies and the reader's actions change it.

use super::util;
use super::worker::Link;
use crate::explain::kernel::{KernelWalk, Toggles};
use crate::run::{Moment, Reply, Request, RunId, RunRecord};
use crate::scenario::Scenario;
use crate::sim::time::SimTime;
use std::cell::RefCell;
use std::rc::Rc;

/// The page's clock.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Clock {
    /// The moment shown.
    pub t: SimTime,
    /// Whether it runs.
    pub playing: bool,
    /// Simulated seconds per wall second.
    pub speed: f64,
}

/// One run as a worker streams it.
pub struct RunSlot {
    /// The worker.
    link: Option<Link>,
    /// The generation of the run asked for.
    pub gen: u32,
    /// Its scenario.
    pub scenario: Option<Scenario>,
    /// Its record, once the worker has started it.
    pub record: Option<RunRecord>,
    /// A message about a scenario the worker refused.
    pub error: Option<String>,
    /// Requests made before the worker was started (the first render).
    early: RefCell<Vec<Request>>,
}

impl RunSlot {
    fn new() -> RunSlot {
        RunSlot {
            link: None,
            gen: 0,
            scenario: None,
            record: None,
            error: None,
            early: RefCell::new(Vec::new()),
        }
    }

    /// The record if it belongs to the run asked for.
    pub fn current(&self) -> Option<&RunRecord> {
        self.record.as_ref().filter(|r| r.id().gen == self.gen)
    }

    fn send(&self, r: Request) {
        match &self.link {
            Some(l) => l.send(r),
            None => self.early.borrow_mut().push(r),
        }
    }
}

/// The page's state.
pub struct Page {
    /// The clock.
    pub clock: Clock,
    /// The run shown.
    pub main: RunSlot,
    /// The run compared with it, if any.
    pub compare: RunSlot,
    /// The exact state at a moment, from the worker.
    pub exact: Option<Moment>,
    /// The moment last asked for (so it is asked once).
    asked_moment: Option<(u32, SimTime)>,
    /// The last kernel walk received.
    pub walk: Option<KernelWalk>,
    /// The walk last asked for.
    asked_walk: Option<(u32, u32, Toggles)>,
    /// An export asked for: its format.
    pub pending_export: Option<String>,
    /// Export bytes received: (format, until, bytes), taken by the page.
    pub export_ready: Option<(String, SimTime, Vec<u8>)>,
    /// Messages for the reader.
    pub errors: Vec<String>,
    /// Counts every change a component may show.
    pub version: u64,
    /// When the run shown and the last exact moment were asked for (ms),
    /// for the end-to-end test's timings (`window.__runMs`, `__seekMs`).
    asked_ms: (f64, f64),
    /// A long run waiting for the reader's go-ahead, with its estimate.
    pub waiting_long: Option<(Scenario, crate::scenario::cost::Cost)>,
    /// The long run the reader said to run.
    confirmed: Option<Scenario>,
    /// Where the workers' replies go, once connected.
    on_reply: Option<Rc<dyn Fn(Which, Reply)>>,
}

/// How much slower the engine runs in the browser's worker than natively
/// (measured with `scripts/bench-page.sh`: 0.3 to 0.6 of native speed).
pub const BROWSER_SLOWDOWN: f64 = 3.0;
/// A run estimated longer than this in the browser waits for a go-ahead.
pub const LONG_IN_BROWSER_S: f64 = 20.0;

/// Shared handle on the page's state.
pub type PageRef = Rc<RefCell<Page>>;

/// Which run a reply is about.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Which {
    /// The run shown.
    Main,
    /// The compared run.
    Compare,
}

impl Page {
    /// A page at `t` (seconds), not started.
    pub fn new(t: SimTime, speed: f64) -> Page {
        Page {
            clock: Clock {
                t,
                playing: false,
                speed,
            },
            main: RunSlot::new(),
            compare: RunSlot::new(),
            exact: None,
            asked_moment: None,
            walk: None,
            asked_walk: None,
            pending_export: None,
            export_ready: None,
            errors: Vec::new(),
            version: 0,
            asked_ms: (0.0, 0.0),
            waiting_long: None,
            confirmed: None,
            on_reply: None,
        }
    }

    /// Starts the main run's worker (at once, so that it loads while the
    /// page's first render runs); replies go through `on_reply`. The
    /// compared run's worker starts only when something is compared: a
    /// worker costs its start-up and memory even idle.
    pub fn connect(page: &PageRef, on_reply: impl Fn(Which, Reply) + 'static) {
        let mut p = page.borrow_mut();
        if p.on_reply.is_some() {
            return;
        }
        p.on_reply = Some(Rc::new(on_reply));
        p.spawn(Which::Main);
        if p.compare.scenario.is_some() {
            p.spawn(Which::Compare);
        }
    }

    /// True once [`Page::connect`] has been called.
    pub fn connected(&self) -> bool {
        self.on_reply.is_some()
    }

    /// Starts `which`'s worker if the page is connected and it has none,
    /// and sends it what was asked before.
    fn spawn(&mut self, which: Which) {
        let Some(f) = self.on_reply.clone() else {
            return;
        };
        let slot = match which {
            Which::Main => &mut self.main,
            Which::Compare => &mut self.compare,
        };
        if slot.link.is_some() {
            return;
        }
        slot.link = Some(Link::spawn(move |r| f(which, r)));
        let early = std::mem::take(&mut *slot.early.borrow_mut());
        for r in early {
            slot.send(r);
        }
    }

    /// The record shown (the current run's, never a superseded one's).
    pub fn record(&self) -> Option<&RunRecord> {
        self.main.current()
    }

    /// The compared run's record.
    pub fn compared(&self) -> Option<&RunRecord> {
        self.compare.current()
    }

    /// The end of the run shown.
    pub fn end(&self) -> SimTime {
        self.record()
            .map(|r| r.end())
            .unwrap_or(SimTime::from_secs(900))
    }

    /// Runs `sc` (if it is not what runs already). The page's clock stays.
    /// A run estimated to take long in the browser waits for the reader's
    /// go-ahead ([`Page::confirm_long`]).
    pub fn run(&mut self, sc: &Scenario) {
        // Called on every render: a run already going, or one already
        // waiting for the reader, costs nothing more.
        if self.main.scenario.as_ref() == Some(sc)
            || self.waiting_long.as_ref().is_some_and(|w| &w.0 == sc)
        {
            return;
        }
        let long = sc
            .params()
            .ok()
            .map(|p| crate::scenario::cost::estimate(&p))
            .filter(|c| c.wall_s * BROWSER_SLOWDOWN > LONG_IN_BROWSER_S);
        if let Some(cost) = long {
            if self.confirmed.as_ref() != Some(sc) {
                self.waiting_long = Some((sc.clone(), cost));
                self.version += 1;
                return;
            }
        }
        self.waiting_long = None;
        self.main.gen += 1;
        self.main.scenario = Some(sc.clone());
        self.main.error = None;
        self.exact = None;
        self.asked_moment = None;
        self.walk = None;
        self.asked_walk = None;
        self.main.send(Request::Start(RunId {
            gen: self.main.gen,
            scenario: sc.clone(),
        }));
        self.asked_ms.0 = util::now_ms();
        self.version += 1;
    }

    /// The reader asked to run the long scenario waiting for a go-ahead.
    pub fn confirm_long(&mut self) {
        if let Some((sc, _)) = self.waiting_long.take() {
            self.confirmed = Some(sc.clone());
            self.run(&sc);
        }
    }

    /// Stops the run in progress (its record so far stays on the page).
    pub fn cancel(&mut self) {
        if self.record().is_some_and(|r| r.finished()) {
            return;
        }
        self.main.send(Request::Cancel);
        let at = self
            .record()
            .map(|r| r.done_to.as_secs_f64())
            .unwrap_or(0.0);
        self.main.error = Some(format!(
            "cancelled at {at:.0} s: the page shows the run up to there"
        ));
        self.version += 1;
    }

    /// Compares with `sc`, or stops comparing.
    pub fn run_compare(&mut self, sc: Option<&Scenario>) {
        if self.compare.scenario.as_ref() == sc {
            return;
        }
        self.compare.gen += 1;
        self.compare.scenario = sc.cloned();
        self.compare.error = None;
        if sc.is_some() {
            self.spawn(Which::Compare);
        }
        match sc {
            Some(sc) => self.compare.send(Request::Start(RunId {
                gen: self.compare.gen,
                scenario: sc.clone(),
            })),
            None => {
                self.compare.record = None;
                self.compare.send(Request::Cancel);
            }
        }
        self.version += 1;
    }

    /// Takes a worker's reply; true if what the page shows changed.
    pub fn on_reply(&mut self, which: Which, r: Reply) -> bool {
        let slot = match which {
            Which::Main => &mut self.main,
            Which::Compare => &mut self.compare,
        };
        let gen_now = slot.gen;
        let changed = match r {
            Reply::Started(meta) => {
                if meta.id.gen != gen_now {
                    return false;
                }
                slot.record = Some(RunRecord::new(*meta));
                true
            }
            Reply::Progress { gen, chunk } => {
                match slot
                    .record
                    .as_mut()
                    .filter(|r| r.id().gen == gen && gen == gen_now)
                {
                    Some(rec) => {
                        let stats = chunk.finish.as_ref().map(|f| f.worker);
                        rec.apply(*chunk);
                        if let (Some(stats), Which::Main) = (stats, which) {
                            util::push_sample(
                                "__runMs",
                                &(util::now_ms() - self.asked_ms.0).into(),
                            );
                            if let Some(w) = stats {
                                util::push_sample("__workerRunMs", &w.run_ms.into());
                                util::push_sample(
                                    "__workerWasmMb",
                                    &(w.wasm_bytes as f64 / 1048576.0).into(),
                                );
                            }
                            util::push_sample(
                                "__pageWasmMb",
                                &(util::wasm_bytes() as f64 / 1048576.0).into(),
                            );
                        }
                        true
                    }
                    None => false,
                }
            }
            Reply::Moment { gen, moment } => {
                if gen != gen_now || which != Which::Main {
                    return false;
                }
                self.exact = Some(moment);
                util::push_sample("__seekMs", &(util::now_ms() - self.asked_ms.1).into());
                true
            }
            Reply::Kernel { gen, walk } => {
                if gen != gen_now || which != Which::Main {
                    return false;
                }
                self.walk = Some(*walk);
                true
            }
            Reply::Export {
                gen,
                format,
                until,
                bytes,
            } => {
                if gen != gen_now || which != Which::Main {
                    return false;
                }
                self.pending_export = None;
                self.export_ready = Some((format, until, bytes));
                true
            }
            Reply::Stopped { gen, message } => {
                if gen != gen_now {
                    return false;
                }
                slot.error = Some(message);
                true
            }
            // The page's runs never ask for sweep cells (ui::sweep does).
            Reply::Cell { .. } => false,
            Reply::Unreadable => {
                let message = crate::run::UNREADABLE.to_string();
                if slot.record.is_none() {
                    slot.error = Some(message.clone());
                }
                if !self.errors.contains(&message) {
                    self.errors.push(message);
                }
                true
            }
            Reply::Error { gen, message } => {
                if gen != gen_now {
                    return false;
                }
                if slot.record.is_none() {
                    slot.error = Some(message.clone());
                }
                self.errors.push(message);
                true
            }
        };
        if changed {
            self.version += 1;
        }
        changed
    }

    /// Moves the clock to `t` (clamped to the run).
    pub fn seek(&mut self, t: SimTime) {
        self.clock.t = t.min(self.end());
        self.version += 1;
    }

    /// The topology's state at the clock: the worker's exact answer when it
    /// has one for this moment, else the track's step at or before it
    /// (exact when the clock is on a step). The flag says it is exact.
    pub fn moment(&self) -> Option<(&Moment, bool)> {
        let t = self.clock.t;
        if let Some(m) = self.exact.as_ref().filter(|m| m.at == t) {
            return Some((m, true));
        }
        let m = self.record()?.tracked_moment(t)?;
        Some((m, m.at == t))
    }

    /// Asks the worker for the exact state at the clock when the page shows
    /// it paused and the track has only an earlier step.
    pub fn ask_exact_moment(&mut self) {
        if self.clock.playing {
            return;
        }
        let t = self.clock.t;
        let Some(rec) = self.record() else { return };
        if rec.tracked_moment(t).is_some_and(|m| m.at == t) {
            return;
        }
        // On the track's grid the track brings the exact state as the run
        // passes it (t = 0 at every load): asking would have the worker make
        // a second copy of the whole simulation for it (64 MB at the
        // ranges' extremes, in a memory that never shrinks).
        let step = rec.meta.track_step.micros().max(1);
        if t.micros() % step == 0 && t <= rec.end() {
            return;
        }
        if self.exact.as_ref().is_some_and(|m| m.at == t) {
            return;
        }
        let key = (self.main.gen, t);
        if self.asked_moment == Some(key) {
            return;
        }
        self.asked_moment = Some(key);
        self.asked_ms.1 = util::now_ms();
        self.main.send(Request::Moment {
            gen: self.main.gen,
            at: t,
        });
    }

    /// Asks for packet `id`'s kernel walk with `toggles` (once).
    pub fn ask_walk(&mut self, id: u32, toggles: Toggles) {
        let key = (self.main.gen, id, toggles);
        if self.asked_walk == Some(key) {
            return;
        }
        self.asked_walk = Some(key);
        self.main.send(Request::Kernel {
            gen: self.main.gen,
            packet: id,
            toggles,
        });
    }

    /// The walk of packet `id` with `toggles`, if it has arrived.
    pub fn walk_of(&self, id: u32, toggles: Toggles) -> Option<&KernelWalk> {
        self.walk
            .as_ref()
            .filter(|w| w.packet == id && w.toggles == toggles)
    }

    /// Asks for an export up to the clock.
    pub fn ask_export(&mut self, format: &str) {
        self.pending_export = Some(format.to_string());
        self.main.send(Request::Export {
            gen: self.main.gen,
            format: format.to_string(),
            until: self.clock.t,
        });
        self.version += 1;
    }
}
