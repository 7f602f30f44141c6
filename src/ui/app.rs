//! The root component: view state, the workers' replies, the animation loop
//! (the clock, the topology, the charts' cursors), URL sync, keyboard.
//!
//! The page never runs the simulation: [`super::page::Page`] holds what the
//! workers have streamed of the whole run, and every panel draws from it.

use super::page::{Page, PageRef, Which};
use super::util;
use super::{
    assumptions, charts, controls, embed, eventlog, exports, inspector, kernel, lab, lens, story,
    storymode, topology, tour, transport,
};
use crate::explain::compare;
use crate::scenario::toggles::Toggles;
use crate::scenario::url::{self, LogFilter, ViewState};
use crate::scenario::Scenario;
use crate::sim::time::{SimDuration, SimTime};
use gloo::events::EventListener;
use gloo::render::{request_animation_frame, AnimationFrame};
use std::cell::RefCell;
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

/// What the animation loop keeps between frames.
#[derive(Default)]
struct LoopShared {
    selected: Option<u32>,
    last_render_ms: f64,
    last_wall_ms: Option<f64>,
    /// The page's version at the last re-render the loop asked for.
    rendered_version: u64,
    /// The colour scheme in the last frame: a switch re-renders what is
    /// drawn in a theme (the charts).
    dark: Option<bool>,
}

/// How often (ms) components following the clock re-render while it runs.
const TICK_MS: f64 = 200.0;

/// Keeps the last frames' costs in `window.__frameCosts` (`[clock, draw,
/// render, scroll]`, ms), which the end-to-end test reports.
fn record_costs(clock_ms: f64, draw_ms: f64, scroll_ms: f64) {
    util::push_sample(
        "__frameCosts",
        &js_sys::Array::of4(
            &clock_ms.into(),
            &draw_ms.into(),
            &0.0.into(),
            &scroll_ms.into(),
        ),
    );
}

/// Updates the time read-out and the scrubber directly (every frame).
fn write_clock(t: SimTime, end: SimTime) {
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let text = crate::format::clock(t);
    if let Some(el) = doc.get_element_by_id("sim-time") {
        if el.text_content().as_deref() != Some(text.as_str()) {
            el.set_text_content(Some(&text));
        }
    }
    if let Some(input) = doc
        .get_element_by_id("scrubber")
        .and_then(|e| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlInputElement>(e).ok())
    {
        let v = format!("{:.1}", t.as_secs_f64().min(end.as_secs_f64()));
        if input.value() != v {
            input.set_value(&v);
        }
    }
}

fn initial_view() -> (View, f64, f64) {
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

/// Advances the clock by a frame of `dt` wall seconds; true if it stopped.
fn advance_clock(p: &mut Page, dt: f64) -> bool {
    if !p.clock.playing {
        return false;
    }
    let end = p.end();
    // The clock never runs ahead of what the worker has computed.
    let known = p
        .record()
        .map(|r| if r.finished() { end } else { r.done_to })
        .unwrap_or(SimTime::ZERO);
    let t = p.clock.t + SimDuration::from_micros((dt * p.clock.speed * 1e6) as u64);
    if t >= end {
        p.clock.t = end;
        p.clock.playing = false;
        return true;
    }
    p.clock.t = t.min(known.max(p.clock.t));
    false
}

/// The root component.
#[component(App)]
pub fn app() -> Html {
    let init = use_memo((), |_| initial_view());
    let view = use_reducer(|| init.0.clone());
    let page: PageRef = use_mut_ref(|| Page::new(SimTime((init.1 * 1e6) as u64), init.2));
    let force = use_force_update();
    let shared = use_mut_ref(LoopShared::default);
    let raf: Rc<RefCell<Option<AnimationFrame>>> = use_mut_ref(|| None);
    let topo_ref = use_node_ref();

    // The main run's worker, during the first render so that it loads
    // while the page renders: its replies update the page, which the
    // animation loop re-renders (at most every TICK_MS while a run streams
    // in, so the page's thread never spends a long task re-rendering).
    if !page.borrow().connected() {
        let p2 = page.clone();
        Page::connect(&page, move |which: Which, reply| {
            p2.borrow_mut().on_reply(which, reply);
        });
    }
    // A new scenario: a new run, keeping the clock; and the compared run,
    // the preset alone on the reader's seed. Asked for while rendering (both
    // calls do nothing when the runs are already these), so that no panel
    // ever renders the superseded run beside the new scenario.
    {
        let mut p = page.borrow_mut();
        p.run(&view.scenario);
        let partner = view
            .compare
            .as_deref()
            .map(|c| compare::partner(&view.scenario, c));
        p.run_compare(partner.as_ref());
    }
    {
        let shared = shared.clone();
        use_effect_with(view.selected, move |s| {
            shared.borrow_mut().selected = *s;
            || ()
        });
    }

    // The animation loop: the clock, the topology, the charts' cursors;
    // components re-render when the page's version moved (at most every
    // TICK_MS while the clock runs).
    {
        let page = page.clone();
        let force = force.clone();
        let shared = shared.clone();
        let raf = raf.clone();
        let topo_ref = topo_ref.clone();
        use_effect_with((), move |_| {
            fn frame(
                ts: f64,
                page: PageRef,
                force: UseForceUpdateHandle,
                shared: Rc<RefCell<LoopShared>>,
                raf: Rc<RefCell<Option<AnimationFrame>>>,
                topo_ref: NodeRef,
            ) {
                let start = util::now_ms();
                super::eventlog::apply_pending_scroll();
                let scrolled = util::now_ms();
                let render;
                {
                    let mut p = page.borrow_mut();
                    let mut sh = shared.borrow_mut();
                    let dt = sh
                        .last_wall_ms
                        .map(|l| ((ts - l) / 1000.0).clamp(0.0, 0.25))
                        .unwrap_or(0.0);
                    sh.last_wall_ms = Some(ts);
                    let before = p.clock.t;
                    let stopped = advance_clock(&mut p, dt);
                    if p.clock.t != before && !p.clock.playing {
                        p.version += 1;
                    }
                    if stopped {
                        p.version += 1;
                    }
                    let dark = util::dark_mode();
                    if sh.dark.is_some_and(|d| d != dark) {
                        p.version += 1;
                    }
                    sh.dark = Some(dark);
                    p.ask_exact_moment();
                    let clocked = util::now_ms();
                    if let Some(canvas) = topo_ref.cast::<web_sys::HtmlCanvasElement>() {
                        topology::draw(&p, &canvas, sh.selected);
                    }
                    write_clock(p.clock.t, p.end());
                    charts::place_cursors(&p);
                    record_costs(
                        clocked - scrolled,
                        util::now_ms() - clocked,
                        scrolled - start,
                    );
                    // While playing or while a run streams in, re-render
                    // every TICK_MS; otherwise on every change.
                    let due = ts - sh.last_render_ms > TICK_MS;
                    if p.clock.playing && due {
                        p.version += 1;
                    }
                    let streaming = p.record().is_none_or(|r| !r.finished())
                        || (p.compare.scenario.is_some()
                            && p.compared().is_none_or(|r| !r.finished()));
                    render = p.version != sh.rendered_version
                        && (!(p.clock.playing || streaming) || due);
                    if render {
                        sh.rendered_version = p.version;
                        sh.last_render_ms = ts;
                    }
                }
                if render {
                    force.force_update();
                }
                let (p2, f2, s2, r2, n2) = (
                    page.clone(),
                    force.clone(),
                    shared.clone(),
                    raf.clone(),
                    topo_ref.clone(),
                );
                *raf.borrow_mut() = Some(request_animation_frame(move |t| {
                    frame(t, p2, f2, s2, r2, n2)
                }));
            }
            let (p2, f2, s2, r2, n2) = (
                page.clone(),
                force.clone(),
                shared.clone(),
                raf.clone(),
                topo_ref.clone(),
            );
            *raf.borrow_mut() = Some(request_animation_frame(move |t| {
                frame(t, p2, f2, s2, r2, n2)
            }));
            move || {
                *raf.borrow_mut() = None;
            }
        });
    }

    let version = page.borrow().version;
    let refresh = {
        let page = page.clone();
        let force = force.clone();
        (*use_memo((), move |_| {
            Callback::from(move |_| {
                page.borrow_mut().version += 1;
                force.force_update();
            })
        }))
        .clone()
    };

    // Keep the URL equal to the state (replaceState: no history spam).
    {
        let page = page.clone();
        let deps = ((*view).clone(), version);
        use_effect_with(deps, move |(v, _)| {
            let p = page.borrow();
            if !p.clock.playing {
                let q = format!("?{}", url::encode(&view_state(v, &p)));
                if let Some(w) = web_sys::window() {
                    let same = w.location().search().map(|s| s == q).unwrap_or(false);
                    if !same {
                        if let Ok(h) = w.history() {
                            let _ = h.replace_state_with_url(
                                &wasm_bindgen::JsValue::NULL,
                                "",
                                Some(&q),
                            );
                        }
                    }
                }
            }
            || ()
        });
    }

    // Canvas sizes are cached between resizes (util::css_size).
    use_effect_with((), move |_| {
        let listener =
            web_sys::window().map(|w| EventListener::new(&w, "resize", |_| util::layout_changed()));
        move || drop(listener)
    });

    // Keyboard: space, arrows, [ ], n/N, ?, Escape.
    {
        let page = page.clone();
        let view = view.clone();
        let force = force.clone();
        use_effect_with((), move |_| {
            let listener = web_sys::window().and_then(|w| w.document()).map(|doc| {
                let opts = gloo::events::EventListenerOptions::enable_prevent_default();
                EventListener::new_with_options(&doc, "keydown", opts, move |ev| {
                    let Some(ev) = wasm_bindgen::JsCast::dyn_ref::<web_sys::KeyboardEvent>(ev)
                    else {
                        return;
                    };
                    if let Some(t) = ev.target().and_then(|t| {
                        wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(t).ok()
                    }) {
                        let tag = t.tag_name();
                        if tag == "INPUT" || tag == "SELECT" || tag == "TEXTAREA" {
                            return;
                        }
                    }
                    let handled = transport::on_key(&page, &view, &ev.key(), ev.shift_key());
                    if handled {
                        ev.prevent_default();
                        page.borrow_mut().version += 1;
                        force.force_update();
                    }
                })
            });
            move || drop(listener)
        });
    }

    let ctx = Ctx {
        page: page.clone(),
        tick: version,
        view: view.clone(),
        refresh: refresh.clone(),
    };
    let vctx = ViewCtx {
        page: page.clone(),
        view: view.clone(),
        refresh,
    };
    let focus = |id: &str| -> Classes {
        let dim = lens::dim(&view, id);
        if view.panel.as_deref() == Some(id) {
            classes!("panel", "panel--focus", dim)
        } else {
            classes!("panel", dim)
        }
    };
    let mut messages = view.errors.clone();
    messages.extend(page.borrow().errors.iter().cloned());
    let errors = if messages.is_empty() {
        html! {}
    } else {
        let dismiss = {
            let view = view.clone();
            let page = page.clone();
            let force = force.clone();
            Callback::from(move |_| {
                page.borrow_mut().errors.clear();
                view.dispatch(Action::DismissErrors);
                force.force_update();
            })
        };
        html! {
            <div class="banner" role="alert">
                <ul>{ for messages.iter().map(|e| html! { <li>{ e.clone() }</li> }) }</ul>
                <button class="btn" onclick={dismiss} aria-label="Dismiss messages">{ "Dismiss" }</button>
            </div>
        }
    };

    // An embedded kernel panel with no packet shows the latest SYN to a
    // deleted pod (the first of the run if there is none yet).
    {
        let view = view.clone();
        let page = page.clone();
        let pick = view.embed.as_deref() == Some("kernel") && view.selected.is_none();
        let finished = page.borrow().record().is_some_and(|r| r.finished());
        use_effect_with((pick, finished), move |(pick, finished)| {
            if *pick && *finished {
                let found = {
                    let p = page.borrow();
                    p.record()
                        .and_then(|r| r.syn_to_deleted_pod(p.clock.t))
                        .map(|q| (q.id, q.sent))
                };
                if let Some((id, sent)) = found {
                    let mut p = page.borrow_mut();
                    if sent > p.clock.t {
                        p.seek(sent);
                    }
                    drop(p);
                    view.dispatch(Action::Select(Some(id)));
                }
            }
            || ()
        });
    }

    // Story mode, on its own or embedded (`embed=story`).
    if view.story || view.embed.as_deref() == Some("story") {
        // From the page, the link leaves the story; from an iframe it opens it.
        let mut vs = view_state(&view, &page.borrow());
        vs.story = false;
        let full = format!("?{}", url::full_page_query(&vs));
        return html! {
            <ContextProvider<Ctx> context={ctx}>
            <ContextProvider<ViewCtx> context={vctx}>
                <storymode::StoryMode topo={topo_ref.clone()} embedded={view.embed.is_some()} {full} {errors} />
            </ContextProvider<ViewCtx>>
            </ContextProvider<Ctx>>
        };
    }
    if let Some(id) = view.embed.clone() {
        let full = format!(
            "?{}",
            url::full_page_query(&view_state(&view, &page.borrow()))
        );
        return html! {
            <ContextProvider<Ctx> context={ctx}>
            <ContextProvider<ViewCtx> context={vctx}>
                { embed::body(&id, full, errors, &topo_ref) }
            </ContextProvider<ViewCtx>>
            </ContextProvider<Ctx>>
        };
    }

    let help = if view.help {
        transport::help_overlay(&view)
    } else {
        html! {}
    };
    html! {
        <ContextProvider<Ctx> context={ctx}>
        <ContextProvider<ViewCtx> context={vctx}>
            <div class="app">
                <header class="app__header">
                    <div class="app__title">
                        <h1>{ "It's not DNS" }</h1>
                        <span class="app__subtitle">{ "a Kubernetes rollout outage, packet by packet" }</span>
                    </div>
                    <div class="app__tools">
                        <exports::Exports />
                        <lens::LensSwitch />
                        <embed::EmbedButton />
                        <super::sweep::SweepButton />
                        <button class="btn" aria-label="Keyboard shortcuts" onclick={ let v = view.clone(); Callback::from(move |_| v.dispatch(Action::Help(true))) }>{ "?" }</button>
                    </div>
                </header>
                <story::Story />
                { errors }
                <transport::Transport compact={false} />
                <tour::Tour />
                <lens::LensPanel below={false} />
                <main class="grid">
                    <section id="panel-topology" class={classes!(focus("topology"), "area-topology")} inert={lens::inert(&view, "topology")} aria-label="Topology">
                        <topology::Topology canvas={topo_ref.clone()} />
                    </section>
                    <section id="panel-controls" class={classes!(focus("controls"), "area-controls")} inert={lens::inert(&view, "controls")} aria-label="What-if controls">
                        <controls::Controls />
                    </section>
                    <section id="panel-kernel" class={classes!(focus("kernel"), "area-kernel")} inert={lens::inert(&view, "kernel")} aria-label="Kernel step-through">
                        <kernel::KernelStepThrough />
                    </section>
                    <section id="panel-inspector" class={classes!(focus("inspector"), "area-inspector")} inert={lens::inert(&view, "inspector")} aria-label="Packet inspector">
                        <inspector::Inspector />
                    </section>
                    <section id="panel-charts" class={classes!(focus("charts"), "area-charts")} inert={lens::inert(&view, "charts")} aria-label="Charts">
                        <charts::Charts />
                    </section>
                    <section id="panel-log" class={classes!(focus("log"), "area-log")} inert={lens::inert(&view, "log")} aria-label="Event log">
                        <eventlog::EventLog />
                    </section>
                    <section id="panel-assumptions" class={classes!(focus("assumptions"), "area-assumptions")} inert={lens::inert(&view, "assumptions")} aria-label="Assumptions">
                        <assumptions::Assumptions />
                    </section>
                    <section id="panel-lab" class={classes!(focus("lab"), "area-lab")} inert={lens::inert(&view, "lab")} aria-label="Lab terminal">
                        <lab::LabTerminal />
                    </section>
                </main>
                <lens::LensPanel below={true} />
                { help }
            </div>
        </ContextProvider<ViewCtx>>
        </ContextProvider<Ctx>>
    }
}
