//! The sweep page (`?sweep=…`, or `embed=sweep`): a grid of small
//! multiples, one cell a whole run, spread over Web Workers.
//!
//! The workers are the engine's own (`incident-worker`), one per core the
//! browser reports (at most [`MAX_WORKERS`]); each gets one cell at a time
//! (`Request::Cell`) and answers with the cell's summary only. Which worker
//! runs what and which replies count is [`SweepJob`]'s (native tests); a
//! changed or cancelled sweep counts the generation up, so its late replies
//! are dropped. The page shows a sweep instead of the single run: the cores
//! go to the cells, and a cell's link opens its run in the whole page.

mod form;
mod grid;

use super::state::ViewCtx;
use super::util;
use super::worker::Link;
use crate::run::sweep::SweepJob;
use crate::run::Reply;
use crate::scenario::cost::{duration_text, LONG_RUN_S};
use crate::scenario::sweep::{Axis, Metric, Sweep};
use crate::scenario::url::{self, SweepView, ViewState};
use crate::scenario::Scenario;
use crate::viz::sweep as vz;
use std::cell::RefCell;
use std::rc::Rc;
use yew::prelude::*;

/// The most workers a sweep spawns, whatever the browser reports: each
/// holds a wasm instance (tens of MB) for the sweep's life.
pub const MAX_WORKERS: usize = 8;

/// The sweep the issue asks about: how aggressive a backoff is too
/// aggressive, under each load-balancing policy.
pub const DEFAULT_AXES: &str = "max_delay_ms:100..120000:log:12*lb_policy:round_robin,pick_first";

fn search() -> String {
    web_sys::window()
        .and_then(|w| w.location().search().ok())
        .unwrap_or_default()
}

/// True if the link asks for the sweep page: a sweep, or `embed=sweep`.
pub fn wanted() -> bool {
    let (v, _) = url::decode(&search());
    v.sweep.is_some() || v.embed.as_deref() == Some("sweep")
}

/// What the page was asked for.
#[derive(Clone, PartialEq)]
struct Setup {
    /// The scenario every cell starts from.
    base: Scenario,
    sweep: Option<Sweep>,
    /// Embed mode (any panel name: the sweep fills the frame).
    embed: Option<String>,
    errors: Vec<String>,
}

impl Setup {
    fn from_url() -> Setup {
        let (v, errors) = url::decode(&search());
        let sweep = v
            .sweep
            .as_ref()
            .and_then(|s| Sweep::new(v.scenario.clone(), s.axes.clone(), s.metric).ok());
        Setup {
            base: v.scenario,
            sweep,
            embed: v.embed,
            errors,
        }
    }

    fn query(&self) -> String {
        url::encode(&ViewState {
            scenario: self.base.clone(),
            embed: self.embed.clone(),
            sweep: self.sweep.as_ref().map(|s| SweepView {
                axes: s.axes.clone(),
                metric: s.metric,
            }),
            ..ViewState::default()
        })
    }
}

/// The workers and the sweep they run.
#[derive(Default)]
struct Pool {
    links: Vec<Link>,
    job: Option<SweepJob>,
    gen: u32,
    started_ms: f64,
    /// Wall time of the last sweep run to its end.
    wall_ms: Option<f64>,
}

type PoolRef = Rc<RefCell<Pool>>;

fn cores() -> f64 {
    web_sys::window().map_or(1.0, |w| w.navigator().hardware_concurrency())
}

/// Workers a sweep of `cells` cells gets here.
fn workers_for(cells: usize) -> usize {
    vz::worker_count(cores(), MAX_WORKERS, cells)
}

/// True if the sweep's estimated work per worker is over a minute: it then
/// waits for a go-ahead, as a long single run does.
fn long(s: &Sweep) -> Option<String> {
    let n = workers_for(s.cells().len());
    let per = s.work_s().0 / n as f64;
    (per > LONG_RUN_S).then(|| {
        format!(
            "{} runs estimated at {} on {n} worker{} (natively; a browser is slower)",
            s.cells().len(),
            duration_text(per),
            if n == 1 { "" } else { "s" }
        )
    })
}

fn send(pool: &PoolRef, sends: Vec<(usize, crate::run::Request)>) {
    let p = pool.borrow();
    for (w, r) in sends {
        if let Some(l) = p.links.get(w) {
            l.send(r);
        }
    }
}

/// Starts `sweep` as a new generation, stopping the one before.
fn start(pool: &PoolRef, sweep: &Sweep, redraw: &Callback<()>) {
    let n = workers_for(sweep.cells().len());
    let mut sends = cancel_sends(pool);
    {
        let mut p = pool.borrow_mut();
        while p.links.len() < n {
            let w = p.links.len();
            let (pool2, redraw) = (pool.clone(), redraw.clone());
            p.links
                .push(Link::spawn(move |r| on_reply(&pool2, w, r, &redraw)));
        }
        p.gen += 1;
        let mut job = SweepJob::new(p.gen, sweep, n);
        sends.extend(job.fill());
        p.job = Some(job);
        p.started_ms = util::now_ms();
        p.wall_ms = None;
    }
    send(pool, sends);
    redraw.emit(());
}

fn cancel_sends(pool: &PoolRef) -> Vec<(usize, crate::run::Request)> {
    pool.borrow_mut()
        .job
        .as_mut()
        .map(SweepJob::cancel)
        .unwrap_or_default()
}

fn on_reply(pool: &PoolRef, w: usize, reply: Reply, redraw: &Callback<()>) {
    let sends = {
        let mut p = pool.borrow_mut();
        let Some(job) = p.job.as_mut() else { return };
        if !job.on_reply(w, reply) {
            return;
        }
        let sends = job.fill();
        let complete = job.done() == job.cells().len();
        if complete && p.wall_ms.is_none() {
            let ms = util::now_ms() - p.started_ms;
            p.wall_ms = Some(ms);
            // For the end-to-end test and measurements.
            util::push_sample("__sweepMs", &ms.into());
        }
        sends
    };
    send(pool, sends);
    redraw.emit(());
}

/// The sweep page.
#[component(SweepPage)]
pub fn sweep_page() -> Html {
    let setup = use_state(Setup::from_url);
    let pool: PoolRef = use_mut_ref(Pool::default);
    let force = use_force_update();
    let redraw = (*use_memo((), move |_| {
        Callback::from(move |_: ()| force.force_update())
    }))
    .clone();
    // Bumped by "Run" (a long sweep's go-ahead, or running it again).
    let runs = use_state(|| 0u32);

    {
        let (pool, redraw) = (pool.clone(), redraw.clone());
        use_effect_with((setup.sweep.clone(), *runs), move |(sweep, runs)| {
            if let Some(s) = sweep {
                if *runs > 0 || long(s).is_none() {
                    start(&pool, s, &redraw);
                }
            }
            || ()
        });
    }
    // The grid's shape reaches the CSS through the CSSOM (strict CSP).
    use_effect(|| {
        if let Some(el) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.get_element_by_id("sweep-grid"))
        {
            util::apply_css_data(&el);
        }
        || ()
    });
    // The URL holds the sweep (replaceState: no history spam).
    use_effect_with(setup.query(), |q| {
        if let Some(w) = web_sys::window() {
            let q = format!("?{q}");
            if w.location().search().ok().as_deref() != Some(q.as_str()) {
                if let Ok(h) = w.history() {
                    let _ = h.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&q));
                }
            }
        }
        || ()
    });

    let on_apply = {
        let (setup, runs) = (setup.clone(), runs.clone());
        Callback::from(move |s: Sweep| {
            if setup.sweep.as_ref() == Some(&s) {
                // The same sweep asked for again (after a Cancel): run it.
                runs.set(*runs + 1);
                return;
            }
            let mut next = (*setup).clone();
            next.sweep = Some(s);
            next.errors.clear();
            setup.set(next);
            runs.set(0);
        })
    };
    let on_cancel = {
        let (pool, redraw) = (pool.clone(), redraw.clone());
        Callback::from(move |_| {
            let sends = cancel_sends(&pool);
            send(&pool, sends);
            redraw.emit(());
        })
    };
    let on_run = {
        let runs = runs.clone();
        Callback::from(move |_| runs.set(*runs + 1))
    };

    let embed = setup.embed.is_some();
    let whole = format!("?{}", vz::cell_query(&setup.base));
    let errors = if setup.errors.is_empty() {
        html! {}
    } else {
        html! { <div class="banner" role="alert"><ul>{ for setup.errors.iter().map(|e| html! { <li>{ e.clone() }</li> }) }</ul></div> }
    };
    let p = pool.borrow();
    let body = match &setup.sweep {
        None => html! {
            <p class="muted" id="sweep-none">{ "Set up a sweep above: one or two parameters (or seeds), each cell a whole run." }</p>
        },
        Some(s) => {
            let job = p.job.as_ref().filter(|j| j.cells() == s.cells().as_slice());
            let waiting = if job.is_none() { long(s) } else { None };
            html! {
                <>
                    { status(s, job, p.wall_ms, waiting.as_deref(), &on_cancel, &on_run) }
                    { grid::grid(s, job, embed) }
                </>
            }
        }
    };
    let form = html! {
        <form::SweepForm base={setup.base.clone()} sweep={setup.sweep.clone()} compact={embed} on_apply={on_apply} />
    };
    if embed {
        let full = {
            let mut s = (*setup).clone();
            s.embed = None;
            format!("?{}", s.query())
        };
        return html! {
            <main class="embed sweep-page">
                { errors }
                <section class="panel sweep" tabindex="0" aria-label="Sweep">
                    { form }
                    { body }
                </section>
                <a class="embed__full" id="embed-full" href={full} target="_blank" rel="noopener">{ "Open the whole page ↗" }</a>
            </main>
        };
    }
    html! {
        <div class="app sweep-page">
            <header class="app__header">
                <div class="app__title">
                    <h1>{ "It's not DNS: where is the cliff?" }</h1>
                    <span class="app__subtitle">{ "a sweep, each cell a whole run" }</span>
                </div>
                <a class="btn" id="sweep-back" href={whole}>{ "← The single run" }</a>
            </header>
            { errors }
            <main class="sweep-main">
                <section class="panel sweep" aria-label="Sweep">
                    <h2>{ "Sweep" }</h2>
                    { form }
                    { body }
                </section>
            </main>
        </div>
    }
}

/// Progress, the wall time, Cancel or Run.
fn status(
    s: &Sweep,
    job: Option<&SweepJob>,
    wall_ms: Option<f64>,
    waiting: Option<&str>,
    on_cancel: &Callback<MouseEvent>,
    on_run: &Callback<MouseEvent>,
) -> Html {
    let total = s.cells().len();
    let Some(job) = job else {
        return match waiting {
            Some(w) => html! {
                <div class="sweep__bar" id="sweep-long">
                    <p>{ format!("A long sweep: {w}.") }</p>
                    <button class="btn btn--primary" id="sweep-run" onclick={on_run.clone()}>{ "Run it" }</button>
                </div>
            },
            // Between a new sweep's first render and its start.
            None => html! {
                <div class="sweep__bar">
                    <p id="sweep-progress" role="status" data-done="0" data-total={total.to_string()}>{ vz::progress_text(0, total) }</p>
                </div>
            },
        };
    };
    let done = job.done();
    let failed = job
        .results()
        .iter()
        .filter(|r| matches!(r, Some(Err(_))))
        .count();
    let workers = job.workers();
    let mut text = format!(
        "{} · {workers} worker{}",
        vz::progress_text(done, total),
        if workers == 1 { "" } else { "s" }
    );
    if let (Some(ms), true) = (wall_ms, done == total) {
        text.push_str(&format!(" · done in {:.1} s", ms / 1000.0));
    }
    if job.cancelled() && done < total {
        text.push_str(" · cancelled");
    }
    if failed > 0 {
        text.push_str(&format!(" · {failed} stopped past their work budget"));
    }
    let running = !job.finished();
    html! {
        <div class="sweep__bar">
            <p id="sweep-progress" role="status" data-done={done.to_string()} data-total={total.to_string()}>{ text }</p>
            if running {
                <button class="btn" id="sweep-cancel" onclick={on_cancel.clone()}>{ "Cancel" }</button>
            } else if done < total {
                <button class="btn" id="sweep-run" onclick={on_run.clone()}>{ "Run again" }</button>
            }
        </div>
    }
}

/// "Sweep…": the sweep page for the scenario shown, over [`DEFAULT_AXES`]
/// (the page's header, one click away).
#[component(SweepButton)]
pub fn sweep_button() -> Html {
    let ctx = use_context::<ViewCtx>().expect("context");
    let v = ViewState {
        scenario: ctx.view.scenario.clone(),
        sweep: Sweep::parse_axes(DEFAULT_AXES)
            .ok()
            .map(|axes: Vec<Axis>| SweepView {
                axes,
                metric: Metric::ALL[0],
            }),
        ..ViewState::default()
    };
    html! {
        <a class="btn" id="open-sweep" href={format!("?{}", url::encode(&v))}
            title="Run this scenario over a grid of backoffs and load-balancing policies, one cell a whole run">{ "Sweep…" }</a>
    }
}

/// The root: the sweep page if the link asks for one, else the single run.
#[component(Root)]
pub fn root() -> Html {
    let sweep = use_memo((), |_| wanted());
    if *sweep {
        html! { <SweepPage /> }
    } else {
        html! { <super::App /> }
    }
}
