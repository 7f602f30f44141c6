//! The root component: view state, the animation loop, URL sync, keyboard.

use super::engine::Engine;
use super::util;
use super::{
    charts, controls, eventlog, exports, inspector, kernel, lab, topology, tour, transport,
};
use crate::scenario::url::{self, ViewState};
use crate::scenario::Scenario;
use crate::sim::time::{SimDuration, SimTime};
use crate::viz::pacing;
use gloo::events::EventListener;
use gloo::render::{request_animation_frame, AnimationFrame};
use std::cell::RefCell;
use std::rc::Rc;
use yew::prelude::*;

/// Shared handle on the engine.
pub type EngineRef = Rc<RefCell<Engine>>;

/// What components read: the engine, a tick that changes whenever what they
/// show may have changed, and the view state.
#[derive(Clone)]
pub struct Ctx {
    /// The engine.
    pub engine: EngineRef,
    /// Bumped on visible changes (throttled to ~10 Hz while playing).
    pub tick: u64,
    /// View state and its dispatcher.
    pub view: UseReducerHandle<View>,
}

impl PartialEq for Ctx {
    fn eq(&self, other: &Self) -> bool {
        self.tick == other.tick
            && self.view == other.view
            && Rc::ptr_eq(&self.engine, &other.engine)
    }
}

/// What components that do not follow the clock read: the engine and the
/// view state. It changes only with the view, so they do not re-render ten
/// times a second while playing.
#[derive(Clone)]
pub struct ViewCtx {
    /// The engine.
    pub engine: EngineRef,
    /// View state and its dispatcher.
    pub view: UseReducerHandle<View>,
}

impl PartialEq for ViewCtx {
    fn eq(&self, other: &Self) -> bool {
        self.view == other.view && Rc::ptr_eq(&self.engine, &other.engine)
    }
}

/// View state (everything but the clock, which lives in the engine cell).
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
        }
        Rc::new(v)
    }
}

/// What the animation loop needs from the view without re-rendering.
#[derive(Default)]
struct LoopShared {
    selected: Option<u32>,
    last_tick_ms: f64,
    last_second: u64,
    last_wall_ms: Option<f64>,
    last_lag: bool,
    /// The compared run's second when components last re-rendered.
    last_compare_second: Option<u64>,
    /// This frame's engine time (ms), adapted by [`pacing::engine_budget`].
    engine_ms: f64,
    /// The engine stopped short of the clock in the last frame.
    engine_behind: bool,
}

/// How often (ms) components following the clock re-render while it runs.
const TICK_MS: f64 = 200.0;
/// Keeps the last frames' engine, topology drawing, component rendering and
/// log-scroll times in `window.__frameCosts` (`[engine, draw, render,
/// scroll]`, ms), which the end-to-end test (`tests/e2e/e2e.mjs`) reports.
fn record_costs(engine_ms: f64, draw_ms: f64, render_ms: f64, scroll_ms: f64) {
    util::push_sample(
        "__frameCosts",
        &js_sys::Array::of4(
            &engine_ms.into(),
            &draw_ms.into(),
            &render_ms.into(),
            &scroll_ms.into(),
        ),
    );
}

thread_local! {
    /// When the animation loop last asked components to re-render (ms), so
    /// the render that follows (in a microtask) can report its cost.
    static RENDER_ASKED_MS: std::cell::Cell<Option<f64>> = const { std::cell::Cell::new(None) };
}

/// Adds the time since the loop asked for a re-render to the last frame's
/// entry in `window.__frameCosts`; called once that render has finished.
fn record_render_cost() {
    let Some(asked) = RENDER_ASKED_MS.with(|c| c.take()) else {
        return;
    };
    let Some(w) = web_sys::window() else { return };
    let Some(arr) = js_sys::Reflect::get(&w, &"__frameCosts".into())
        .ok()
        .and_then(|v| wasm_bindgen::JsCast::dyn_into::<js_sys::Array>(v).ok())
    else {
        return;
    };
    if let Ok(last) = wasm_bindgen::JsCast::dyn_into::<js_sys::Array>(arr.at(-1)) {
        last.set(2, (util::now_ms() - asked).into());
    }
}

/// Updates the time read-out and the scrubber directly (every frame).
fn write_clock(t: SimTime, end: SimTime) {
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let text = format!("{}  t = {}", util::clock(t), util::secs(t));
    for el in [doc.get_element_by_id("sim-time")].into_iter().flatten() {
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

fn initial_view() -> (View, f64, f64, Option<u32>) {
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
        },
        vs.t,
        vs.speed,
        vs.packet,
    )
}

/// The root component.
#[component(App)]
pub fn app() -> Html {
    let init = use_memo((), |_| initial_view());
    let view = use_reducer(|| init.0.clone());
    let engine: EngineRef = use_mut_ref(|| {
        let mut e = Engine::new(&init.0.scenario)
            .unwrap_or_else(|_| Engine::new(&Scenario::default()).expect("the incident is valid"));
        e.speed = init.2;
        e.seek(SimTime((init.1 * 1e6) as u64));
        e
    });
    let tick = use_state(|| 0u64);
    let shared = use_mut_ref(LoopShared::default);
    let raf: Rc<RefCell<Option<AnimationFrame>>> = use_mut_ref(|| None);
    let topo_ref = use_node_ref();

    // A new scenario: a new run, keeping the time and the clock's state.
    {
        let engine = engine.clone();
        let tick = tick.clone();
        let view = view.clone();
        use_effect_with(view.scenario.clone(), move |sc| {
            let same = engine.borrow().scenario == *sc;
            if !same {
                match Engine::new(sc) {
                    Ok(mut fresh) => {
                        let old = engine.borrow();
                        fresh.playing = old.playing;
                        fresh.speed = old.speed;
                        let t = old.target;
                        drop(old);
                        fresh.seek(t);
                        *engine.borrow_mut() = fresh;
                        tick.set(*tick + 1);
                    }
                    Err(e) => view.dispatch(Action::Error(e)),
                }
            }
            || ()
        });
    }
    // The comparison run follows the compare choice and the seed (a new
    // scenario made a new engine, without one).
    {
        let engine = engine.clone();
        let tick = tick.clone();
        let view = view.clone();
        let deps = (view.compare.clone(), view.scenario.clone());
        use_effect_with(deps, move |(compare, _)| {
            if let Err(e) = engine.borrow_mut().set_compare(compare.as_deref()) {
                view.dispatch(Action::Error(format!("cannot compare: {e}")));
            }
            tick.set(*tick + 1);
            || ()
        });
    }
    {
        let shared = shared.clone();
        use_effect_with(view.selected, move |s| {
            shared.borrow_mut().selected = *s;
            || ()
        });
    }

    // The animation loop: advance the clock, let the engine catch up in
    // bounded chunks (ENGINE_MS a frame), draw the topology,
    // and re-render components at most ~10 times a second.
    {
        let engine = engine.clone();
        let tick = tick.clone();
        let shared = shared.clone();
        let raf = raf.clone();
        let topo_ref = topo_ref.clone();
        use_effect_with((), move |_| {
            fn frame(
                ts: f64,
                engine: EngineRef,
                tick: UseStateHandle<u64>,
                shared: Rc<RefCell<LoopShared>>,
                raf: Rc<RefCell<Option<AnimationFrame>>>,
                topo_ref: NodeRef,
            ) {
                // The frame's budget counts from here; the log's scroll
                // write comes first and may lay out the previous render's
                // DOM changes, which is the page's cost, not the engine's:
                // it is reported on its own.
                let start = util::now_ms();
                super::eventlog::apply_pending_scroll();
                let scrolled = util::now_ms();
                let mut changed = false;
                let costs;
                {
                    let mut e = engine.borrow_mut();
                    let mut sh = shared.borrow_mut();
                    let dt = sh
                        .last_wall_ms
                        .map(|l| ((ts - l) / 1000.0).clamp(0.0, 0.25))
                        .unwrap_or(0.0);
                    sh.engine_ms = pacing::engine_budget(
                        sh.engine_ms,
                        sh.engine_behind && e.playing,
                        sh.last_wall_ms.map(|l| ts - l),
                    );
                    sh.last_wall_ms = Some(ts);
                    if e.playing {
                        let adv = (dt * e.speed * 1e6) as u64;
                        let t = e.target + SimDuration::from_micros(adv);
                        if t >= e.end() {
                            e.target = e.end();
                            e.playing = false;
                            changed = true;
                        } else {
                            e.target = t;
                        }
                    }
                    // A frame that re-renders components leaves them room.
                    let due = e.playing && ts - sh.last_tick_ms > TICK_MS;
                    let budget = if due {
                        pacing::ENGINE_MS_RENDER_FRAME
                    } else {
                        sh.engine_ms
                    };
                    let mut caught_up = false;
                    while util::now_ms() - start <= budget {
                        if e.advance(2_000) {
                            caught_up = true;
                            break;
                        }
                    }
                    sh.engine_behind = !caught_up;
                    // The comparison run gets what the main run left.
                    while caught_up && util::now_ms() - start <= budget {
                        if e.advance_compare(2_000) {
                            break;
                        }
                    }
                    let lag = e.lag().is_some();
                    let sec = e.target.secs();
                    // The components re-render when the second changes while
                    // paused, or every TICK_MS while running.
                    // The comparison catching up shows on the charts too.
                    let compare_second = e.compare.as_ref().map(|c| c.sim.now().secs());
                    if (sec != sh.last_second && !e.playing)
                        || lag != sh.last_lag
                        || (e.playing && ts - sh.last_tick_ms > TICK_MS)
                        || (compare_second != sh.last_compare_second
                            && ts - sh.last_tick_ms > TICK_MS)
                    {
                        changed = true;
                    }
                    if changed {
                        sh.last_second = sec;
                        sh.last_lag = lag;
                        sh.last_tick_ms = ts;
                        sh.last_compare_second = compare_second;
                    }
                    let engine_done = util::now_ms();
                    if let Some(canvas) = topo_ref.cast::<web_sys::HtmlCanvasElement>() {
                        topology::draw(&mut e, &canvas, sh.selected);
                    }
                    // The clock read-out moves every frame without Yew,
                    // written after the canvas so its font needs no fresh
                    // style.
                    write_clock(e.target, e.end());
                    costs = (
                        engine_done - scrolled,
                        util::now_ms() - engine_done,
                        scrolled - start,
                    );
                }
                // Per-frame costs, for the end-to-end test (window.__frameCosts).
                record_costs(costs.0, costs.1, 0.0, costs.2);
                if changed {
                    RENDER_ASKED_MS.with(|c| c.set(Some(util::now_ms())));
                    tick.set(*tick + 1);
                }
                let (e2, t2, s2, r2, n2) = (
                    engine.clone(),
                    tick.clone(),
                    shared.clone(),
                    raf.clone(),
                    topo_ref.clone(),
                );
                *raf.borrow_mut() = Some(request_animation_frame(move |t| {
                    frame(t, e2, t2, s2, r2, n2)
                }));
            }
            let (e2, t2, s2, r2, n2) = (
                engine.clone(),
                tick.clone(),
                shared.clone(),
                raf.clone(),
                topo_ref.clone(),
            );
            *raf.borrow_mut() = Some(request_animation_frame(move |t| {
                frame(t, e2, t2, s2, r2, n2)
            }));
            move || {
                *raf.borrow_mut() = None;
            }
        });
    }

    // Keep the URL equal to the state (replaceState: no history spam).
    {
        let engine = engine.clone();
        let deps = ((*view).clone(), *tick);
        use_effect_with(deps, move |(v, _)| {
            let e = engine.borrow();
            if e.playing {
                // Not while playing: the link is rewritten once it stops.
                return Box::new(|| ()) as Box<dyn FnOnce()>;
            }
            let vs = ViewState {
                scenario: v.scenario.clone(),
                t: (e.target.as_secs_f64() * 10.0).round() / 10.0,
                packet: v.selected,
                panel: v.panel.clone(),
                embed: v.embed.clone(),
                speed: e.speed,
                tour: v.tour,
                compare: v.compare.clone(),
            };
            let q = format!("?{}", url::encode(&vs));
            if let Some(w) = web_sys::window() {
                let same = w.location().search().map(|s| s == q).unwrap_or(false);
                if !same {
                    if let Ok(h) = w.history() {
                        let _ =
                            h.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&q));
                    }
                }
            }
            Box::new(|| ())
        });
    }

    // After every render: report its cost if the animation loop asked for it.
    use_effect(record_render_cost);

    // Canvas sizes are cached between resizes (util::css_size).
    use_effect_with((), move |_| {
        let listener =
            web_sys::window().map(|w| EventListener::new(&w, "resize", |_| util::layout_changed()));
        move || drop(listener)
    });

    // Keyboard: space, arrows, [ ], n/N, ?, Escape.
    {
        let engine = engine.clone();
        let tick = tick.clone();
        let view = view.clone();
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
                    let handled = transport::on_key(&engine, &view, &ev.key(), ev.shift_key());
                    if handled {
                        ev.prevent_default();
                        tick.set(*tick + 1);
                    }
                })
            });
            move || drop(listener)
        });
    }

    let ctx = Ctx {
        engine: engine.clone(),
        tick: *tick,
        view: view.clone(),
    };
    let vctx = ViewCtx {
        engine: engine.clone(),
        view: view.clone(),
    };
    let focus = |id: &str| -> Classes {
        if view.panel.as_deref() == Some(id) {
            classes!("panel", "panel--focus")
        } else {
            classes!("panel")
        }
    };
    let errors = if view.errors.is_empty() {
        html! {}
    } else {
        let dismiss = {
            let view = view.clone();
            Callback::from(move |_| view.dispatch(Action::DismissErrors))
        };
        html! {
            <div class="banner" role="alert">
                <ul>{ for view.errors.iter().map(|e| html! { <li>{ e.clone() }</li> }) }</ul>
                <button class="btn" onclick={dismiss} aria-label="Dismiss messages">{ "Dismiss" }</button>
            </div>
        }
    };

    if let Some(embed) = view.embed.clone() {
        return html! {
            <ContextProvider<Ctx> context={ctx}>
            <ContextProvider<ViewCtx> context={vctx}>
                <div class="embed">
                    { errors }
                    { panel_by_id(&embed, &topo_ref) }
                    <transport::Transport compact={true} />
                </div>
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
                    <exports::Exports />
                    <button class="btn" aria-label="Keyboard shortcuts" onclick={ let v = view.clone(); Callback::from(move |_| v.dispatch(Action::Help(true))) }>{ "?" }</button>
                </header>
                { errors }
                <transport::Transport compact={false} />
                <tour::Tour />
                <main class="grid">
                    <section class={classes!(focus("topology"), "area-topology")} aria-label="Topology">
                        <topology::Topology canvas={topo_ref.clone()} />
                    </section>
                    <section class={classes!(focus("controls"), "area-controls")} aria-label="What-if controls">
                        <controls::Controls />
                    </section>
                    <section class={classes!(focus("kernel"), "area-kernel")} aria-label="Kernel step-through">
                        <kernel::KernelStepThrough />
                    </section>
                    <section class={classes!(focus("inspector"), "area-inspector")} aria-label="Packet inspector">
                        <inspector::Inspector />
                    </section>
                    <section class={classes!(focus("charts"), "area-charts")} aria-label="Charts">
                        <charts::Charts />
                    </section>
                    <section class={classes!(focus("log"), "area-log")} aria-label="Event log">
                        <eventlog::EventLog />
                    </section>
                    <section class={classes!(focus("lab"), "area-lab")} aria-label="Lab terminal">
                        <lab::LabTerminal />
                    </section>
                </main>
                { help }
            </div>
        </ContextProvider<ViewCtx>>
        </ContextProvider<Ctx>>
    }
}

/// One panel alone (embed mode).
fn panel_by_id(id: &str, topo: &NodeRef) -> Html {
    match id {
        "topology" => {
            html! { <section class="panel" aria-label="Topology"><topology::Topology canvas={topo.clone()} /></section> }
        }
        "controls" => {
            html! { <section class="panel" aria-label="What-if controls"><controls::Controls /></section> }
        }
        "kernel" => {
            html! { <section class="panel" aria-label="Kernel step-through"><kernel::KernelStepThrough /></section> }
        }
        "inspector" => {
            html! { <section class="panel" aria-label="Packet inspector"><inspector::Inspector /></section> }
        }
        "log" => {
            html! { <section class="panel" aria-label="Event log"><eventlog::EventLog /></section> }
        }
        "lab" => {
            html! { <section class="panel" aria-label="Lab terminal"><lab::LabTerminal /></section> }
        }
        "charts" => {
            html! { <section class="panel" aria-label="Charts"><charts::Charts /></section> }
        }
        other => match other.strip_prefix("chart:") {
            Some(chart) if crate::viz::charts::CHART_IDS.contains(&chart) => {
                html! { <section class="panel" aria-label="Chart"><charts::Charts only={Some(AttrValue::from(chart.to_string()))} /></section> }
            }
            Some(chart) => html! {
                <section class="panel" aria-label="Chart">
                    <p class="banner" role="alert">{ format!(
                        "There is no chart {chart:?}. Charts: {}.",
                        crate::viz::charts::CHART_IDS.join(", ")
                    ) }</p>
                </section>
            },
            None => {
                html! { <section class="panel"><topology::Topology canvas={topo.clone()} /></section> }
            }
        },
    }
}
