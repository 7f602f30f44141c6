//! The animation loop: every frame it moves the clock, draws the topology,
//! writes the clock's read-out and places the charts' cursors without a
//! Yew render; components re-render only when the page's version moved (at
//! most every [`TICK_MS`] while the clock runs or a run streams in).

use super::page::{Page, PageRef};
use super::{charts, topology, util};
use crate::sim::time::{SimDuration, SimTime};
use gloo::render::{request_animation_frame, AnimationFrame};
use std::cell::RefCell;
use std::rc::Rc;
use yew::prelude::*;

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

/// Runs the animation loop for the component's lifetime, drawing the
/// topology on `topo_ref` with `selected` highlighted.
#[hook]
pub(super) fn use_frame_loop(
    page: &PageRef,
    force: &UseForceUpdateHandle,
    topo_ref: &NodeRef,
    selected: Option<u32>,
) {
    let shared = use_mut_ref(LoopShared::default);
    let raf: Rc<RefCell<Option<AnimationFrame>>> = use_mut_ref(|| None);
    {
        let shared = shared.clone();
        use_effect_with(selected, move |s| {
            shared.borrow_mut().selected = *s;
            || ()
        });
    }
    // The animation loop: the clock, the topology, the charts' cursors;
    // components re-render when the page's version moved (at most every
    // TICK_MS while the clock runs).
    {
        let l = Loop {
            page: page.clone(),
            force: force.clone(),
            shared: shared.clone(),
            raf: raf.clone(),
            topo_ref: topo_ref.clone(),
        };
        use_effect_with((), move |_| {
            let raf = l.raf.clone();
            l.request();
            move || {
                *raf.borrow_mut() = None;
            }
        });
    }
}

/// What each frame of the loop works with.
#[derive(Clone)]
struct Loop {
    page: PageRef,
    force: UseForceUpdateHandle,
    shared: Rc<RefCell<LoopShared>>,
    raf: Rc<RefCell<Option<AnimationFrame>>>,
    topo_ref: NodeRef,
}

impl Loop {
    /// Asks for the next frame (dropping the handle stops the loop).
    fn request(self) {
        let raf = self.raf.clone();
        *raf.borrow_mut() = Some(request_animation_frame(move |ts| frame(ts, self)));
    }
}

/// One frame: the clock, the topology, the read-out and the cursors, and a
/// re-render when due; then the next frame.
fn frame(ts: f64, l: Loop) {
    let start = util::now_ms();
    super::eventlog::apply_pending_scroll();
    let scrolled = util::now_ms();
    let render;
    {
        let mut p = l.page.borrow_mut();
        let mut sh = l.shared.borrow_mut();
        let dt = sh
            .last_wall_ms
            .map(|last| ((ts - last) / 1000.0).clamp(0.0, 0.25))
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
        if let Some(canvas) = l.topo_ref.cast::<web_sys::HtmlCanvasElement>() {
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
            || (p.compare.scenario.is_some() && p.compared().is_none_or(|r| !r.finished()));
        render = p.version != sh.rendered_version && (!(p.clock.playing || streaming) || due);
        if render {
            sh.rendered_version = p.version;
            sh.last_render_ms = ts;
        }
    }
    if render {
        l.force.force_update();
    }
    l.request();
}
