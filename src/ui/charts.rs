//! The responders' charts, drawn with plotters on canvases from
//! `viz::charts` (the same drawing code the native tests check as SVG).
//! A chart is redrawn when the simulated second changes, a few per frame so
//! a frame never pays for all of them; clicking a chart jumps there.

use super::app::Ctx;
use super::chart_canvas::ChartCanvas;
use super::util;
use crate::sim::metrics::Global;
use crate::sim::summary::Summary;
use crate::viz::charts::{self as vc, ChartGeometry, Theme};
use plotters::prelude::IntoDrawingArea;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;
use yew::prelude::*;

/// Props of [`Charts`].
#[derive(Properties, PartialEq)]
pub struct ChartsProps {
    /// Show only this chart id (embed mode).
    #[prop_or_default]
    pub only: Option<AttrValue>,
}

#[derive(Default)]
struct Drawn {
    /// Per chart: what it was last drawn for, and its geometry.
    state: BTreeMap<String, (DrawnFor, ChartGeometry)>,
    next: usize,
    /// The specs of the last pass, reused while the run has not moved.
    specs: Option<(DrawnFor, Rc<Vec<vc::ChartSpec>>)>,
    /// When the last chart was drawn (ms, `performance.now()`).
    last_draw_ms: f64,
}

/// While playing, at most one chart is drawn per this many ms: at 10× every
/// chart goes stale ten times a second, and drawing them all would take most
/// of each frame; each still refreshes about twice a second.
const PLAYING_DRAW_GAP_MS: f64 = 45.0;

/// What a chart shows: the main run's seconds, the cursor (whole seconds),
/// and the compared run (preset, seconds), if any.
type DrawnFor = (usize, u64, Option<(String, usize)>);

/// What the charts should show now.
fn drawn_for(e: &super::engine::Engine) -> DrawnFor {
    (
        e.sim.metrics.seconds(),
        e.sim.now().secs(),
        e.compare
            .as_ref()
            .map(|c| (c.preset.clone(), c.sim.metrics.seconds())),
    )
}

/// Every chart of the main run, with the compared run's series overlaid
/// (dashed, cut at the main run's time so both cover the same stretch).
fn specs_now(e: &super::engine::Engine) -> Vec<vc::ChartSpec> {
    let mut specs = vc::chart_specs(&e.sim);
    if let Some(c) = &e.compare {
        let upto = e.sim.metrics.seconds();
        for (spec, other) in specs.iter_mut().zip(vc::chart_specs(&c.sim)) {
            vc::overlay(spec, &other, &c.preset, upto);
        }
    }
    specs
}

/// The specs for the run as it is now: those of the last pass if the run
/// has not moved since, otherwise made afresh and kept.
fn cached_specs(d: &mut Drawn, e: &super::engine::Engine) -> Rc<Vec<vc::ChartSpec>> {
    let want = drawn_for(e);
    match &d.specs {
        Some((f, s)) if *f == want => s.clone(),
        _ => {
            let s = Rc::new(specs_now(e));
            d.specs = Some((want, s.clone()));
            s
        }
    }
}

/// The mouse's x in the canvas's backing pixels (what the geometry uses).
fn canvas_x(canvas: &web_sys::HtmlCanvasElement, ev: &MouseEvent) -> f64 {
    let rect = canvas.get_bounding_client_rect();
    let scale = f64::from(canvas.width()) / rect.width().max(1.0);
    (f64::from(ev.client_x()) - rect.left()) * scale
}

/// The right end of the charts' time axis: the next whole minute at least
/// a minute past the page's time, so the run so far fills most of the width
/// (the whole run squeezed the first minutes of the rollout into a sliver).
fn window_end(now: f64, end: f64) -> f64 {
    (((now + 60.0) / 60.0).ceil() * 60.0).clamp(60.0, end.max(60.0))
}

/// Charts drawn per animation frame.
const PER_PASS: usize = 1;

/// Draws up to `budget` stale charts; true if some are still stale.
fn draw_some(
    refs: &[NodeRef],
    drawn: &Rc<RefCell<Drawn>>,
    engine: &super::app::EngineRef,
    ids: &[&'static str],
    budget: usize,
) -> bool {
    let e = engine.borrow();
    let now = e.sim.now();
    let want = drawn_for(&e);
    let end = e.end().as_secs_f64();
    let theme = if util::dark_mode() {
        Theme::DARK
    } else {
        Theme::LIGHT
    };
    let mut d = drawn.borrow_mut();
    let wall = util::now_ms();
    if e.playing && wall - d.last_draw_ms < PLAYING_DRAW_GAP_MS {
        return true;
    }
    let n = ids.len();
    let mut done = 0;
    let mut specs: Option<Rc<Vec<vc::ChartSpec>>> = None;
    for k in 0..n {
        let i = (d.next + k) % n;
        let id = ids[i];
        if d.state.get(id).is_some_and(|(f, _)| *f == want) {
            continue;
        }
        if done >= budget {
            d.next = i;
            return true;
        }
        let Some(canvas) = refs[i].cast::<web_sys::HtmlCanvasElement>() else {
            continue;
        };
        let specs = specs.get_or_insert_with(|| cached_specs(&mut d, &e));
        let Some(spec) = specs.iter().find(|s| s.id == id) else {
            continue;
        };
        let spec = spec
            .clone()
            .with_window(0.0, window_end(now.as_secs_f64(), end))
            .with_cursor(Some(now.as_secs_f64()));
        let dpr = web_sys::window()
            .map(|w| w.device_pixel_ratio())
            .unwrap_or(1.0)
            .clamp(1.0, 3.0);
        let (cw, ch) = util::css_size(&canvas);
        let (w, h) = (cw.max(200.0), ch.max(120.0));
        let (pw, ph) = ((w * dpr) as u32, (h * dpr) as u32);
        if canvas.width() != pw || canvas.height() != ph {
            canvas.set_width(pw);
            canvas.set_height(ph);
        }
        let Some(backend) = ChartCanvas::new(canvas) else {
            continue;
        };
        let area = backend.into_drawing_area();
        match vc::draw(&area, &spec, &theme) {
            Ok(geo) => {
                d.state.insert(id.to_string(), (want.clone(), geo));
            }
            Err(err) => web_sys::console::warn_1(&format!("chart {id}: {err}").into()),
        }
        // The pass's cost (specs and drawing), for the end-to-end test.
        util::push_sample("__chartCosts", &(util::now_ms() - wall).into());
        done += 1;
        d.last_draw_ms = wall;
        d.next = (i + 1) % n;
    }
    false
}

/// The charts panel.
#[component(Charts)]
pub fn charts(props: &ChartsProps) -> Html {
    let ctx = use_context::<Ctx>().expect("context");
    let ids: Vec<&'static str> = match &props.only {
        Some(id) => vc::CHART_IDS
            .iter()
            .copied()
            .filter(|c| *c == id.as_str())
            .collect(),
        None => vc::CHART_IDS.to_vec(),
    };
    let refs = use_memo(ids.len(), |n| {
        (0..*n).map(|_| NodeRef::default()).collect::<Vec<_>>()
    });
    let drawn: Rc<RefCell<Drawn>> = use_mut_ref(Drawn::default);
    let hover = use_state(|| None::<(usize, String)>);

    // Redraw stale charts one per animation frame, after the frame that
    // re-rendered the page, so no frame pays for a chart and a render.
    let raf: Rc<RefCell<Option<gloo::render::AnimationFrame>>> = use_mut_ref(|| None);
    {
        let refs = refs.clone();
        let drawn = drawn.clone();
        let engine = ctx.engine.clone();
        let ids = ids.clone();
        let big = props.only.is_some();
        let raf = raf.clone();
        use_effect_with(ctx.tick, move |_| {
            fn pump(
                refs: Rc<Vec<NodeRef>>,
                drawn: Rc<RefCell<Drawn>>,
                engine: super::app::EngineRef,
                ids: Vec<&'static str>,
                big: bool,
                raf: Rc<RefCell<Option<gloo::render::AnimationFrame>>>,
            ) {
                let more = draw_some(
                    &refs,
                    &drawn,
                    &engine,
                    &ids,
                    if big { usize::MAX } else { PER_PASS },
                );
                if more {
                    let r2 = raf.clone();
                    *raf.borrow_mut() = Some(gloo::render::request_animation_frame(move |_| {
                        pump(refs, drawn, engine, ids, big, r2)
                    }));
                } else {
                    *raf.borrow_mut() = None;
                }
            }
            let r2 = raf.clone();
            *raf.borrow_mut() = Some(gloo::render::request_animation_frame(move |_| {
                pump(refs, drawn, engine, ids, big, r2)
            }));
            || ()
        });
    }
    {
        let raf = raf.clone();
        use_effect_with((), move |_| move || drop(raf.borrow_mut().take()));
    }

    let cells = ids.iter().enumerate().map(|(i, id)| {
        let r = refs[i].clone();
        let onclick = {
            let engine = ctx.engine.clone();
            let drawn = drawn.clone();
            let r = r.clone();
            let id = id.to_string();
            Callback::from(move |ev: MouseEvent| {
                let Some(canvas) = r.cast::<web_sys::HtmlCanvasElement>() else { return };
                let x = canvas_x(&canvas, &ev);
                if let Some((_, geo)) = drawn.borrow().state.get(&id) {
                    if let Some(s) = geo.second_at(x) {
                        let mut e = engine.borrow_mut();
                        e.seek(crate::sim::time::SimTime::from_secs(s as u64));
                        e.playing = false;
                    }
                }
            })
        };
        let onmove = {
            let engine = ctx.engine.clone();
            let drawn = drawn.clone();
            let hover = hover.clone();
            let r = r.clone();
            let id = id.to_string();
            Callback::from(move |ev: MouseEvent| {
                let Some(canvas) = r.cast::<web_sys::HtmlCanvasElement>() else { return };
                let x = canvas_x(&canvas, &ev);
                let Some(second) = drawn.borrow().state.get(&id).and_then(|(_, g)| g.second_at(x)) else { return };
                // The specs of the last drawing pass, not all of them made
                // again on every mouse move.
                let specs = cached_specs(&mut drawn.borrow_mut(), &engine.borrow());
                if let Some(spec) = specs.iter().find(|s| s.id == id) {
                    let vals = vc::series_at(spec, second as f64);
                    let text = vals.iter().map(|(n, v)| format!("{n} {}", vc::format_number(*v))).collect::<Vec<_>>().join(" · ");
                    hover.set(Some((i, format!("{} — {text}", vc::format_time(second as f64)))));
                }
            })
        };
        let png = {
            let r = r.clone();
            let id = id.to_string();
            Callback::from(move |_| {
                if let Some(canvas) = r.cast::<web_sys::HtmlCanvasElement>() {
                    util::download_canvas(&canvas, &format!("{id}.png"));
                }
            })
        };
        let caption = match &*hover {
            Some((j, t)) if *j == i => t.clone(),
            _ => "click to jump there".to_string(),
        };
        html! {
            <figure class="chart" id={format!("chart-{id}")}>
                <canvas ref={r} role="img" aria-label={format!("chart {id}; the event log lists the same events")} onclick={onclick} onmousemove={onmove} />
                <figcaption>{ caption }{ " " }<button class="linkish" onclick={png} aria-label={format!("Download {id} as PNG")}>{ "PNG" }</button></figcaption>
            </figure>
        }
    });
    html! {
        <>
            { if props.only.is_none() { html! { <>
                <h2>{ "What the responders saw" }</h2>
                <CompareBar />
            </> } } else { html! {} } }
            <div class={classes!("charts", props.only.is_some().then_some("charts--one"))}>{ for cells }</div>
        </>
    }
}

/// A figure of a run's [`Summary`], and how to print it.
type Figure = (fn(&Summary) -> f64, fn(f64) -> String);

/// A count with thousands separators.
fn count(v: f64) -> String {
    vc::grouped(v.max(0.0), 0)
}

/// Rows of the comparison table: a label and its figure.
const COMPARED: [(&str, Figure); 6] = [
    ("SYNs sent", (|s| s.syn_sent, count)),
    ("SYNs dropped by rp_filter", (|s| s.martian_drops, count)),
    (
        "conntrack_allowance_exceeded (packets)",
        (|s| s.conntrack_allowance_exceeded, count),
    ),
    (
        "node-local-dns rejects",
        (|s| s.nodelocaldns_rejects, count),
    ),
    (
        "error rate, peak of 10 s windows",
        (|s| s.error_rate_peak, |v| format!("{:.2} %", 100.0 * v)),
    ),
    (
        "p99 latency, peak",
        (|s| s.p99_latency_ms_peak, |v| format!("{v:.0} ms")),
    ),
];

/// "Compare with…": a preset run on the same seed and clock, drawn dashed on
/// every chart, with the outcome so far side by side and the first second
/// where the two runs' SYN counts part.
#[component(CompareBar)]
fn compare_bar() -> Html {
    let ctx = use_context::<Ctx>().expect("context");
    let onchange = {
        let view = ctx.view.clone();
        Callback::from(move |ev: Event| {
            let v = util::input_value(&ev);
            view.dispatch(super::app::Action::Compare((!v.is_empty()).then_some(v)));
        })
    };
    let e = ctx.engine.borrow();
    let current = e.compare.as_ref().map(|c| c.preset.clone());
    let select = html! {
        <label class="compare__pick">{ "Compare with " }
            <select id="compare" aria-label="Compare with a preset" onchange={onchange}>
                <option value="" selected={current.is_none()}>{ "nothing" }</option>
                { for crate::scenario::presets::PRESETS.iter().map(|p| html! {
                    <option value={p.name} selected={current.as_deref() == Some(p.name)}>{ p.name }</option>
                }) }
            </select>
        </label>
    };
    let Some(c) = &e.compare else {
        return html! { <div class="compare">{ select }</div> };
    };
    let main_s = Summary::of(&e.sim);
    let cmp_s = Summary::of(&c.sim);
    let upto = e.sim.metrics.seconds().min(c.sim.metrics.seconds());
    let a = e.sim.metrics.global(Global::SynSent);
    let b = c.sim.metrics.global(Global::SynSent);
    let parted = (0..upto).find(|&i| a.get(i) != b.get(i));
    let behind = c.sim.now() < e.sim.now();
    html! {
        <div class="compare" id="compare-summary">
            { select }
            <span class="compare__note">{
                match parted {
                    Some(i) => format!("The runs part at {} (SYNs sent differ first in that second).", vc::format_time(i as f64)),
                    None => format!("Identical so far (to {}).", vc::format_time(upto as f64)),
                }
            }{ if behind { " Comparison catching up…" } else { "" } }</span>
            <table class="kv compare__table">
                <tr><th>{ "so far" }</th><th>{ e.scenario.preset.clone() }{ if e.scenario.set.is_empty() { "" } else { " (changed)" } }</th><th>{ c.preset.clone() }</th></tr>
                { for COMPARED.iter().map(|(label, (f, show))| html! {
                    <tr><td>{ *label }</td><td>{ show(f(&main_s)) }</td><td>{ show(f(&cmp_s)) }</td></tr>
                }) }
            </table>
        </div>
    }
}
