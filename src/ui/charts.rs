//! The responders' charts, drawn with plotters on canvases from
//! `viz::charts` (the same drawing code the native tests check as SVG).
//! A chart is redrawn when the simulated second changes, a few per frame so
//! a frame never pays for all of them; clicking a chart jumps there.

use super::app::Ctx;
use super::util;
use crate::viz::charts::{self as vc, ChartGeometry, Theme};
use plotters::prelude::IntoDrawingArea;
use plotters_canvas::CanvasBackend;
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
    /// Per chart: the second and cursor it was last drawn for, and its geometry.
    state: BTreeMap<String, (usize, u64, ChartGeometry)>,
    next: usize,
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
    let sec = e.sim.metrics.seconds();
    let cursor_key = now.secs();
    let end = e.end().as_secs_f64();
    let theme = if util::dark_mode() {
        Theme::DARK
    } else {
        Theme::LIGHT
    };
    let mut d = drawn.borrow_mut();
    let n = ids.len();
    let mut done = 0;
    let mut specs = None;
    for k in 0..n {
        let i = (d.next + k) % n;
        let id = ids[i];
        if d.state
            .get(id)
            .is_some_and(|(s, c, _)| *s == sec && *c == cursor_key)
        {
            continue;
        }
        if done >= budget {
            d.next = i;
            return true;
        }
        let Some(canvas) = refs[i].cast::<web_sys::HtmlCanvasElement>() else {
            continue;
        };
        let specs = specs.get_or_insert_with(|| vc::chart_specs(&e.sim));
        let Some(spec) = specs.iter().find(|s| s.id == id) else {
            continue;
        };
        let spec = spec
            .clone()
            .with_window(0.0, end)
            .with_cursor(Some(now.as_secs_f64()));
        let dpr = web_sys::window()
            .map(|w| w.device_pixel_ratio())
            .unwrap_or(1.0)
            .clamp(1.0, 3.0);
        let (w, h) = (
            canvas.client_width().max(200) as f64,
            canvas.client_height().max(120) as f64,
        );
        let (pw, ph) = ((w * dpr) as u32, (h * dpr) as u32);
        if canvas.width() != pw || canvas.height() != ph {
            canvas.set_width(pw);
            canvas.set_height(ph);
        }
        let Some(backend) = CanvasBackend::with_canvas_object(canvas) else {
            continue;
        };
        let area = backend.into_drawing_area();
        match vc::draw(&area, &spec, &theme) {
            Ok(geo) => {
                d.state.insert(id.to_string(), (sec, cursor_key, geo));
            }
            Err(err) => web_sys::console::warn_1(&format!("chart {id}: {err}").into()),
        }
        done += 1;
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
                let rect = canvas.get_bounding_client_rect();
                let scale = f64::from(canvas.width()) / rect.width().max(1.0);
                let x = (f64::from(ev.client_x()) - rect.left()) * scale;
                if let Some((_, _, geo)) = drawn.borrow().state.get(&id) {
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
                let rect = canvas.get_bounding_client_rect();
                let scale = f64::from(canvas.width()) / rect.width().max(1.0);
                let x = (f64::from(ev.client_x()) - rect.left()) * scale;
                let Some(second) = drawn.borrow().state.get(&id).and_then(|(_, _, g)| g.second_at(x)) else { return };
                let e = engine.borrow();
                if let Some(spec) = vc::chart_spec(&e.sim, &id) {
                    let vals = vc::series_at(&spec, second as f64);
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
            { if props.only.is_none() { html! { <h2>{ "What the responders saw" }</h2> } } else { html! {} } }
            <div class={classes!("charts", props.only.is_some().then_some("charts--one"))}>{ for cells }</div>
        </>
    }
}
