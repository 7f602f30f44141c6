//! The page's view state (everything a link carries but the clock, which
//! lives in [`super::page::Page`]), the changes to it, and the two contexts
//! components read.

use super::page::{Page, PageRef};
use crate::scenario::toggles::Toggles;
use crate::scenario::url::{self, LogFilter, ViewState};
use crate::scenario::Scenario;
use std::rc::Rc;
use yew::prelude::*;

/// What components read: the page's state, a tick that changes whenever
/// what they show may have changed, and the view state.
#[derive(Clone)]
pub struct Ctx {
    /// The page's state.
    pub page: PageRef,
    /// The page's version when this context was made.
    pub tick: u64,
    /// View state and its dispatcher.
    pub view: UseReducerHandle<View>,
    /// Re-renders the page after a change to [`Ctx::page`].
    pub refresh: Callback<()>,
}

impl PartialEq for Ctx {
    fn eq(&self, other: &Self) -> bool {
        self.tick == other.tick && self.view == other.view && Rc::ptr_eq(&self.page, &other.page)
    }
}

/// What components that do not follow the clock read: the page and the view
/// state. It changes only with the view.
#[derive(Clone)]
pub struct ViewCtx {
    /// The page's state.
    pub page: PageRef,
    /// View state and its dispatcher.
    pub view: UseReducerHandle<View>,
    /// Re-renders the page after a change to [`ViewCtx::page`].
    pub refresh: Callback<()>,
}

impl PartialEq for ViewCtx {
    fn eq(&self, other: &Self) -> bool {
        self.view == other.view && Rc::ptr_eq(&self.page, &other.page)
    }
}

/// View state (everything but the clock, which lives in the page).
#[derive(Clone, Debug, PartialEq)]
pub struct View {
    /// The scenario being run.
    pub scenario: Scenario,
    /// Selected sampled packet.
    pub selected: Option<u32>,
    /// Highlighted panel.
    pub panel: Option<String>,
    /// Embed mode: only this panel.
    pub embed: Option<String>,
    /// Guided-tour step.
    pub tour: Option<usize>,
    /// Shortcut help open.
    pub help: bool,
    /// Messages about bad input (URL, imports).
    pub errors: Vec<String>,
    /// Preset to compare with, side by side.
    pub compare: Option<String>,
    /// Steps of the kernel step-through shown (all if `None`).
    pub kernel_step: Option<usize>,
    /// The kernel step-through's what-if toggles.
    pub toggles: Toggles,
    /// The event log's search text.
    pub log_query: String,
    /// The event log's filters.
    pub log_filter: LogFilter,
    /// The vantage point the page is seen through.
    pub lens: crate::scenario::lens::Lens,
    /// Story mode (`?story`).
    pub story: bool,
}

/// Changes to the view.
pub enum Action {
    /// Select a packet (or none).
    Select(Option<u32>),
    /// Set one parameter.
    SetParam(String, String),
    /// Switch preset (clears overrides).
    SetPreset(String),
    /// Set the seed.
    SetSeed(u64),
    /// Drop all overrides.
    ResetParams,
    /// Replace the whole scenario.
    SetScenario(Scenario),
    /// Highlight a panel.
    Focus(Option<String>),
    /// Tour step.
    Tour(Option<usize>),
    /// Toggle help.
    Help(bool),
    /// Show a message.
    Error(String),
    /// Clear messages.
    DismissErrors,
    /// Compare with a preset (or stop comparing).
    Compare(Option<String>),
    /// Show this many steps of the kernel step-through (all if `None`).
    KernelStep(Option<usize>),
    /// Set the kernel step-through's what-ifs.
    Toggles(Toggles),
    /// Search the event log.
    LogQuery(String),
    /// Filter the event log.
    LogFilter(LogFilter),
    /// See the page through a lens.
    Lens(crate::scenario::lens::Lens),
}

impl Reducible for View {
    type Action = Action;
    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut v = (*self).clone();
        match action {
            Action::Select(p) => {
                if v.selected == p {
                    return self;
                }
                v.selected = p;
            }
            Action::SetParam(k, val) => {
                let mut sc = v.scenario.clone();
                sc.set.retain(|(key, _)| *key != k);
                sc.set.push((k, val));
                match sc.params() {
                    Ok(_) => {
                        v.scenario = sc;
                        v.selected = None;
                    }
                    Err(e) => v.errors.push(e.to_string()),
                }
            }
            Action::SetPreset(name) => {
                v.scenario = Scenario {
                    preset: name,
                    set: Vec::new(),
                    seed: v.scenario.seed,
                };
                v.selected = None;
            }
            Action::SetSeed(s) => {
                v.scenario.seed = s;
                v.selected = None;
            }
            Action::ResetParams => {
                v.scenario.set.clear();
                v.selected = None;
            }
            Action::SetScenario(sc) => {
                v.scenario = sc;
                v.selected = None;
            }
            Action::Focus(p) => v.panel = p,
            Action::Tour(t) => v.tour = t,
            Action::Help(h) => v.help = h,
            Action::Error(e) => v.errors.push(e),
            Action::DismissErrors => v.errors.clear(),
            Action::Compare(c) => v.compare = c,
            Action::KernelStep(n) => v.kernel_step = n,
            Action::Toggles(t) => v.toggles = t,
            Action::LogQuery(q) => v.log_query = q,
            Action::LogFilter(f) => v.log_filter = f,
            Action::Lens(l) => v.lens = l,
        }
        Rc::new(v)
    }
}

/// The view, and the clock (seconds) and speed a link asks for.
pub(super) fn initial_view() -> (View, f64, f64) {
    let search = web_sys::window()
        .and_then(|w| w.location().search().ok())
        .unwrap_or_default();
    let (vs, errors): (ViewState, Vec<String>) = url::decode(&search);
    (
        View {
            scenario: vs.scenario,
            selected: vs.packet,
            panel: vs.panel,
            embed: vs.embed,
            tour: vs.tour,
            help: false,
            errors,
            compare: vs.compare,
            kernel_step: vs.step,
            toggles: vs.toggles,
            log_query: vs.log_query,
            log_filter: vs.log_filter,
            lens: vs.lens,
            story: vs.story,
        },
        vs.t,
        vs.speed,
    )
}

/// The page's state as a link carries it.
pub(super) fn view_state(v: &View, p: &Page) -> ViewState {
    ViewState {
        scenario: v.scenario.clone(),
        t: (p.clock.t.as_secs_f64() * 10.0).round() / 10.0,
        packet: v.selected,
        panel: v.panel.clone(),
        embed: v.embed.clone(),
        speed: p.clock.speed,
        tour: v.tour,
        compare: v.compare.clone(),
        // A sweep is its own page (ui::sweep); this page's links carry none.
        sweep: None,
        toggles: v.toggles,
        step: v.kernel_step,
        log_query: v.log_query.clone(),
        log_filter: v.log_filter,
        lens: v.lens,
        story: v.story,
    }
}
