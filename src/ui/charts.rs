//! The responders' charts over the whole run, drawn with plotters on
//! canvases from `viz::charts` (the same drawing code the native tests check
//! as SVG). A chart is drawn when the run's record grows (one chart a frame,
//! so no frame pays for all of them); the clock's cursor is a line over the
//! canvas that the animation loop moves, so playing redraws nothing.
//! Clicking a chart jumps there.

use super::chart_canvas::ChartCanvas;
use super::page::Page;
use super::state::Ctx;
use super::util;
use crate::explain::compare;
use crate::format;
use crate::sim::metrics::Global;
use crate::sim::summary::Summary;
use crate::viz::charts::{self as vc, ChartGeometry, RunView, Theme};
use plotters::prelude::IntoDrawingArea;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use yew::prelude::*;

/// Props of [`Charts`].
#[derive(Properties, PartialEq)]
pub struct ChartsProps {
    /// Show only this chart id (embed mode).
    #[prop_or_default]
    pub only: Option<AttrValue>,
}

/// What a chart was drawn from: the run (generation, how far it was
/// known), the compared run (generation, how far), and the theme.
type DrawnFor = (u32, u64, Option<(u32, u64)>, bool);

/// Per chart: its geometry as last drawn and its canvas's backing size.
type Geometries = BTreeMap<String, (ChartGeometry, (f64, f64))>;

thread_local! {
    /// Each chart's geometry as last drawn, for the cursor and for clicks.
    static GEOMETRY: RefCell<Geometries> = const { RefCell::new(BTreeMap::new()) };
}

#[derive(Default)]
struct Drawn {
    /// Per chart: what it was last drawn for.
    state: BTreeMap<String, DrawnFor>,
    next: usize,
    /// The specs of the last pass, reused while the runs have not moved.
    specs: Option<(DrawnFor, Rc<Vec<vc::ChartSpec>>)>,
    /// The runs (generation, compared generation) the canvases not yet
    /// redrawn were last marked stale for.
    marked: Option<(u32, Option<u32>)>,
}

/// How far a run is known, for deciding when the charts are stale: while
/// it streams in, in tenths of its length, so that the charts are redrawn
/// ten times as it arrives rather than with every chunk (each pass of every
/// chart takes the page's thread from the work of a two-core machine,
/// where the worker runs on the other core), and once more when it ends.
fn known(r: &crate::run::RunRecord) -> u64 {
    if r.finished() {
        u64::MAX
    } else {
        let tenth = (r.end().micros() / 10).max(1);
        r.done_to.micros() / tenth * tenth
    }
}

/// What the charts should show now.
fn drawn_for(p: &Page) -> Option<DrawnFor> {
    let r = p.record()?;
    Some((
        r.id().gen,
        known(r),
        p.compared().map(|c| (c.id().gen, known(c))),
        util::dark_mode(),
    ))
}

/// Every chart of the run shown, with the compared run's series overlaid
/// (dashed) as far as both are known.
fn specs_now(p: &Page) -> Vec<vc::ChartSpec> {
    let Some(r) = p.record() else {
        return Vec::new();
    };
    let mut specs = vc::chart_specs(RunView::from(r));
    if let Some(c) = p.compared() {
        let label = compare::partner_label(&c.id().scenario);
        let upto = r.series.seconds().min(c.series.seconds());
        for (spec, other) in specs.iter_mut().zip(vc::chart_specs(RunView::from(c))) {
            vc::overlay(spec, &other, &label, upto);
        }
    }
    specs
}

fn cached_specs(d: &mut Drawn, p: &Page, want: &DrawnFor) -> Rc<Vec<vc::ChartSpec>> {
    match &d.specs {
        Some((f, s)) if f == want => s.clone(),
        _ => {
            let s = Rc::new(specs_now(p));
            d.specs = Some((*want, s.clone()));
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

/// Moves every chart's cursor to the clock (the animation loop calls this
/// each frame; a style write only when the position changes).
pub fn place_cursors(p: &Page) {
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let t = p.clock.t.as_secs_f64();
    GEOMETRY.with(|g| {
        for (id, (geo, (backing_w, backing_h))) in g.borrow().iter() {
            let Some(el) = doc
                .get_element_by_id(&format!("cursor-{id}"))
                .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
            else {
                continue;
            };
            // The canvas fills its box: backing pixels → percentages.
            let x = geo.x_of(t).clamp(f64::from(geo.left), f64::from(geo.right));
            let left = format!("{:.3}%", 100.0 * x / backing_w.max(1.0));
            let style = el.style();
            if style.get_property_value("left").ok().as_deref() != Some(left.as_str()) {
                let _ = style.set_property("left", &left);
                let h = backing_h.max(1.0);
                let _ =
                    style.set_property("top", &format!("{:.3}%", 100.0 * f64::from(geo.top) / h));
                let _ = style.set_property(
                    "height",
                    &format!("{:.3}%", 100.0 * f64::from(geo.bottom - geo.top) / h),
                );
            }
        }
    });
}

/// A canvas's `data-state` once drawn for `want` (for the end-to-end test):
/// `done` if drawn from the whole run(s), `partial` while they stream in.
fn drawn_state(want: &DrawnFor) -> &'static str {
    let done = want.1 == u64::MAX && want.2.is_none_or(|c| c.1 == u64::MAX);
    if done {
        "done"
    } else {
        "partial"
    }
}

/// Charts drawn per animation frame.
const PER_PASS: usize = 1;

/// Draws up to `budget` stale charts; true if some are still stale.
fn draw_some(
    refs: &[NodeRef],
    drawn: &Rc<RefCell<Drawn>>,
    page: &super::page::PageRef,
    ids: &[&'static str],
    budget: usize,
) -> bool {
    let p = page.borrow();
    let Some(want) = drawn_for(&p) else {
        return false;
    };
    let theme = if want.3 { Theme::DARK } else { Theme::LIGHT };
    let mut d = drawn.borrow_mut();
    let n = ids.len();
    let runs = (want.0, want.2.map(|c| c.0));
    if d.marked != Some(runs) {
        // Another run (or compared run) replaced the one drawn: every
        // canvas still showing the old one says so at once (one chart is
        // redrawn per frame), so that none reads "done" while it shows a
        // run that was replaced.
        for (i, id) in ids.iter().enumerate() {
            let current = d
                .state
                .get(*id)
                .is_some_and(|s| (s.0, s.2.map(|c| c.0)) == runs);
            if !current {
                if let Some(canvas) = refs[i].cast::<web_sys::HtmlCanvasElement>() {
                    let _ = canvas.set_attribute("data-state", "stale");
                }
            }
        }
        d.marked = Some(runs);
    }
    let mut done = 0;
    let mut specs: Option<Rc<Vec<vc::ChartSpec>>> = None;
    for k in 0..n {
        let i = (d.next + k) % n;
        let id = ids[i];
        if d.state.get(id) == Some(&want) {
            continue;
        }
        if done >= budget {
            d.next = i;
            return true;
        }
        let Some(canvas) = refs[i].cast::<web_sys::HtmlCanvasElement>() else {
            continue;
        };
        let start = util::now_ms();
        let specs = specs.get_or_insert_with(|| cached_specs(&mut d, &p, &want));
        let Some(spec) = specs.iter().find(|s| s.id == id) else {
            continue;
        };
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
        let Some(backend) = ChartCanvas::new(canvas.clone()) else {
            continue;
        };
        let area = backend.into_drawing_area();
        match vc::draw(&area, spec, &theme) {
            Ok(geo) => {
                GEOMETRY.with(|g| {
                    g.borrow_mut()
                        .insert(id.to_string(), (geo, (f64::from(pw), f64::from(ph))))
                });
                d.state.insert(id.to_string(), want);
                let _ = canvas.set_attribute("data-state", drawn_state(&want));
            }
            Err(err) => web_sys::console::warn_1(&format!("chart {id}: {err}").into()),
        }
        // The pass's cost (specs and drawing), for the end-to-end test.
        util::push_sample("__chartCosts", &(util::now_ms() - start).into());
        done += 1;
        d.next = (i + 1) % n;
    }
    drop(d);
    place_cursors(&p);
    false
}

/// The charts panel.
#[component(Charts)]
pub fn charts(props: &ChartsProps) -> Html {
    let ctx = use_context::<Ctx>().expect("context");
    // An embedded chart is shown whole, whatever lens the page had.
    let lens = match ctx.view.embed {
        Some(_) => crate::scenario::lens::Lens::Truth,
        None => ctx.view.lens,
    };
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

    // Draw stale charts one per animation frame.
    let raf: Rc<RefCell<Option<gloo::render::AnimationFrame>>> = use_mut_ref(|| None);
    {
        let refs = refs.clone();
        let drawn = drawn.clone();
        let page = ctx.page.clone();
        let ids = ids.clone();
        let big = props.only.is_some();
        let raf = raf.clone();
        let want = drawn_for(&ctx.page.borrow());
        use_effect_with(want, move |_| {
            fn pump(
                refs: Rc<Vec<NodeRef>>,
                drawn: Rc<RefCell<Drawn>>,
                page: super::page::PageRef,
                ids: Vec<&'static str>,
                big: bool,
                raf: Rc<RefCell<Option<gloo::render::AnimationFrame>>>,
            ) {
                let more = draw_some(
                    &refs,
                    &drawn,
                    &page,
                    &ids,
                    if big { usize::MAX } else { PER_PASS },
                );
                if more {
                    let r2 = raf.clone();
                    *raf.borrow_mut() = Some(gloo::render::request_animation_frame(move |_| {
                        pump(refs, drawn, page, ids, big, r2)
                    }));
                } else {
                    *raf.borrow_mut() = None;
                }
            }
            let r2 = raf.clone();
            *raf.borrow_mut() = Some(gloo::render::request_animation_frame(move |_| {
                pump(refs, drawn, page, ids, big, r2)
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
            let page = ctx.page.clone();
            let refresh = ctx.refresh.clone();
            let r = r.clone();
            let id = id.to_string();
            Callback::from(move |ev: MouseEvent| {
                let Some(canvas) = r.cast::<web_sys::HtmlCanvasElement>() else { return };
                let x = canvas_x(&canvas, &ev);
                let second = GEOMETRY.with(|g| g.borrow().get(&id).and_then(|(geo, _)| geo.second_at(x)));
                if let Some(s) = second {
                    let mut p = page.borrow_mut();
                    p.clock.playing = false;
                    p.seek(crate::sim::time::SimTime::from_secs(s as u64));
                    drop(p);
                    refresh.emit(());
                }
            })
        };
        let onmove = {
            let page = ctx.page.clone();
            let drawn = drawn.clone();
            let hover = hover.clone();
            let r = r.clone();
            let id = id.to_string();
            Callback::from(move |ev: MouseEvent| {
                let Some(canvas) = r.cast::<web_sys::HtmlCanvasElement>() else { return };
                let x = canvas_x(&canvas, &ev);
                let Some(second) = GEOMETRY.with(|g| g.borrow().get(&id).and_then(|(geo, _)| geo.second_at(x))) else { return };
                let p = page.borrow();
                let Some(want) = drawn_for(&p) else { return };
                let specs = cached_specs(&mut drawn.borrow_mut(), &p, &want);
                if let Some(spec) = specs.iter().find(|s| s.id == id) {
                    let vals = vc::series_at(spec, second as f64);
                    let text = vals.iter().map(|(n, v)| format!("{n} {}", format::number(*v))).collect::<Vec<_>>().join(" · ");
                    hover.set(Some((i, format!("{} — {text}", format::sim_time(second as f64)))));
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
            <figure class={classes!("chart", (!lens.shows_chart(id)).then_some("chart--dimmed"))} id={format!("chart-{id}")} inert={super::lens::chart_inert(lens, id)}>
                <div class="chart__plot">
                    <canvas ref={r} role="img" aria-label={format!("chart {id}; the event log lists the same events")} onclick={onclick} onmousemove={onmove} />
                    <div class="chart__cursor" id={format!("cursor-{id}")} aria-hidden="true"></div>
                </div>
                <figcaption>{ caption }{ " " }<button class="linkish" onclick={png} aria-label={format!("Download {id} as PNG")}>{ "PNG" }</button>
                    { for super::assumptions::for_chart(id).into_iter().map(|k| html! {
                        <a class="badge" href={format!("#assumption-{k}")} title="This chart depends on an assumption: see the Assumptions panel">{ format!("assumes {k}") }</a>
                    }) }
                </figcaption>
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
    format::grouped(v.max(0.0), 0)
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

/// "Compare with…": a preset run alone on the reader's seed, drawn dashed on
/// every chart, with both whole runs' figures side by side and the first
/// second where the two runs' SYN counts part.
#[component(CompareBar)]
fn compare_bar() -> Html {
    let ctx = use_context::<Ctx>().expect("context");
    let onchange = {
        let view = ctx.view.clone();
        Callback::from(move |ev: Event| {
            let v = util::input_value(&ev);
            view.dispatch(super::state::Action::Compare((!v.is_empty()).then_some(v)));
        })
    };
    let current = ctx.view.compare.clone();
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
    let p = ctx.page.borrow();
    let (Some(main), Some(other)) = (p.record(), p.compared()) else {
        let note = if current.is_some() {
            html! { <span class="compare__note">{ "Computing the compared run…" }</span> }
        } else {
            html! {}
        };
        return html! { <div class="compare">{ select }{ note }</div> };
    };
    let mine = &main.id().scenario;
    let theirs = &other.id().scenario;
    let upto = main.series.seconds().min(other.series.seconds());
    let parted = compare::first_divergence(
        main.series.global(Global::SynSent),
        other.series.global(Global::SynSent),
        upto,
    );
    let both = main.finished() && other.finished();
    let summaries = main
        .finish
        .as_ref()
        .zip(other.finish.as_ref())
        .map(|(a, b)| (a.summary.clone(), b.summary.clone()));
    html! {
        <div class="compare" id="compare-summary">
            { select }
            <span class="compare__note">{ compare::heading(mine, theirs) }{ ". " }{
                match parted {
                    Some(i) => format!("The runs part at {} (SYNs sent differ first in that second).", format::sim_time(i as f64)),
                    None if both => "The two runs are identical.".to_string(),
                    None => format!("Identical so far (to {}).", format::sim_time(upto as f64)),
                }
            }</span>
            { match summaries {
                Some((a, b)) => html! {
                    <table class="kv compare__table">
                        <tr><th>{ "whole run" }</th><th>{ compare::main_label(mine) }</th><th>{ compare::partner_label(theirs) }</th></tr>
                        { for COMPARED.iter().map(|(label, (f, show))| html! {
                            <tr><td>{ *label }</td><td>{ show(f(&a)) }</td><td>{ show(f(&b)) }</td></tr>
                        }) }
                    </table>
                },
                None => html! { <span class="muted">{ " Computing both runs…" }</span> },
            } }
        </div>
    }
}
