//! The network, animated: clients → VPC → each node's ens6, the routing /
//! rp_filter gate, its pods (and the ghosts of deleted pods, whose IPs stay on
//! the ENI), the conntrack gauges, node-local-dns → cluster DNS.
//!
//! Drawn on a canvas from the animation loop (no Yew re-render per frame).
//! At tens of thousands of SYNs a second not every packet can be drawn: the
//! dots are the engine's sample (every Nth client's packets, capped per
//! second) and the flow lines into each node are as thick as the real rate.
//!
//! | file | holds |
//! |---|---|
//! | `mod.rs` | the panel, the frame's driver (`draw`), the off-screen slow layer and the window of node rows (past [`geo::MAX_ROWS`] nodes) |
//! | `background.rs` | what changes slowly: DNS strip, clients, VPC, nodes, gauges |
//! | `packets.rs` | what moves every frame: the sampled packets, the selected SYN's reverse path |

mod background;
mod packets;

use super::page::Page;
use super::state::{Action, Ctx};
use super::util;
use crate::sim::metrics::{Global, PerNode};
use crate::sim::time::SimTime;
use crate::viz::topology::{self as geo, Layout};
use background::{paint_background, palette_for};
use packets::{paint_packets, reverse_path};
use std::cell::{Cell, RefCell};
use wasm_bindgen::JsCast;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement};
use yew::prelude::*;

thread_local! {
    /// Where the last frame drew each packet: (x, y, id), for clicks.
    static DOTS: RefCell<Vec<(f64, f64, u32)>> = const { RefCell::new(Vec::new()) };
    /// The last frame's scale (logical → CSS pixels).
    static SCALE: RefCell<f64> = const { RefCell::new(1.0) };
    /// The slow layer, painted off screen.
    static BACKGROUND: RefCell<Option<Background>> = const { RefCell::new(None) };
    /// The first node of the window of rows drawn (more nodes than
    /// [`geo::MAX_ROWS`]), and the selected packet the window last moved to.
    static WINDOW: Cell<(usize, Option<u32>)> = const { Cell::new((0, None)) };
}

/// The layout of the run's nodes, its window where the reader left it.
fn layout_of(rec: &crate::run::RunRecord) -> Layout {
    let params = rec.params();
    let client_pods = (params.clients.div_ceil(params.clients_per_pod.max(1))) as usize;
    Layout::window(
        rec.meta.nodes.len(),
        client_pods,
        WINDOW.with(|w| w.get().0),
    )
}

/// Moves the window to show the node of the selected packet, once per
/// selection (the reader may then move it away); a packet the page does not
/// know yet is followed once it arrives.
fn follow(rec: &crate::run::RunRecord, selected: Option<u32>) {
    let (first, followed) = WINDOW.with(Cell::get);
    if selected == followed {
        return;
    }
    let Some(id) = selected else {
        WINDOW.with(|w| w.set((first, None)));
        return;
    };
    if let Some(p) = rec.packets.get(id as usize) {
        let first = layout_of(rec).first_showing(usize::from(p.node));
        WINDOW.with(|w| w.set((first, selected)));
    }
}

/// Repaint the slow layer at most this often while playing (ms of wall time).
const BACKGROUND_MS: f64 = 100.0;

/// The off-screen slow layer and what it was painted for.
struct Background {
    canvas: HtmlCanvasElement,
    /// The moment, the run's generation and how much of it was known.
    key: (SimTime, SimTime, bool, u32, usize, usize),
    wall: f64,
    size: (u32, u32),
    dark: bool,
}

/// Draws the current frame.
pub fn draw(page: &Page, canvas: &HtmlCanvasElement, selected: Option<u32>) {
    let Some(c) = context(canvas) else {
        return;
    };
    let Some(rec) = page.record() else {
        return;
    };
    let Some((moment, exact)) = page.moment() else {
        return;
    };
    let layout = layout_of(rec);
    let css_w = util::css_width(canvas).max(300.0);
    let scale = css_w / geo::WIDTH;
    let css_h = layout.height * scale;
    let dpr = web_sys::window()
        .map(|w| w.device_pixel_ratio())
        .unwrap_or(1.0)
        .clamp(1.0, 3.0);
    let (pw, ph) = ((css_w * dpr) as u32, (css_h * dpr) as u32);
    if canvas.width() != pw || canvas.height() != ph {
        canvas.set_width(pw);
        canvas.set_height(ph);
        let _ = canvas.style().set_property("height", &format!("{css_h}px"));
    }
    SCALE.with(|s| *s.borrow_mut() = scale);
    let dark = util::dark_mode();
    let p = palette_for(dark);
    let t = page.clock.t;

    // The slow layer (boxes, labels, gauges, pods) is repainted when the
    // moment it shows changes, at most every BACKGROUND_MS while playing,
    // and copied in every other frame: text is the costliest thing a 2D
    // canvas draws.
    let key = (
        moment.at,
        t,
        exact,
        rec.id().gen,
        rec.pods.len(),
        layout.first,
    );
    let wall = util::now_ms();
    let fresh = BACKGROUND.with(|b| {
        let b = b.borrow();
        b.as_ref().is_some_and(|b| {
            b.size == (pw, ph)
                && b.dark == dark
                && (b.key == key
                    || (page.clock.playing && b.key.3 == key.3 && wall - b.wall < BACKGROUND_MS))
        })
    });
    if !fresh {
        let Some(bg) = background_canvas(pw, ph) else {
            return;
        };
        if let Some(bc) = context(&bg) {
            let _ = bc.set_transform(dpr * scale, 0.0, 0.0, dpr * scale, 0.0, 0.0);
            paint_background(rec, moment, exact, t, &bc, &layout, &p);
        }
        BACKGROUND.with(|b| {
            *b.borrow_mut() = Some(Background {
                canvas: bg,
                key,
                wall,
                size: (pw, ph),
                dark,
            })
        });
    }
    let _ = c.set_transform(1.0, 0.0, 0.0, 1.0, 0.0, 0.0);
    BACKGROUND.with(|b| {
        if let Some(b) = b.borrow().as_ref() {
            let _ = c.draw_image_with_html_canvas_element(&b.canvas, 0.0, 0.0);
        }
    });
    let _ = c.set_transform(dpr * scale, 0.0, 0.0, dpr * scale, 0.0, 0.0);
    paint_packets(rec, t, page.clock.speed, &c, &layout, &p, selected);
    let walk = page.walk.as_ref().filter(|w| Some(w.packet) == selected);
    if let Some((w, q)) = walk.and_then(|w| Some((w, rec.packets.get(w.packet as usize)?))) {
        if layout.shows(usize::from(q.node)) {
            reverse_path(&c, &layout, &p, usize::from(q.node), w);
        }
    }
}

/// The 2D context of a canvas.
fn context(canvas: &HtmlCanvasElement) -> Option<CanvasRenderingContext2d> {
    canvas
        .get_context("2d")
        .ok()
        .flatten()?
        .dyn_into::<CanvasRenderingContext2d>()
        .ok()
}

/// The off-screen canvas holding the slow layer, sized `pw` × `ph`.
fn background_canvas(pw: u32, ph: u32) -> Option<HtmlCanvasElement> {
    let existing = BACKGROUND.with(|b| b.borrow_mut().take().map(|b| b.canvas));
    let canvas = match existing {
        Some(c) => c,
        None => web_sys::window()?
            .document()?
            .create_element("canvas")
            .ok()?
            .dyn_into::<HtmlCanvasElement>()
            .ok()?,
    };
    if canvas.width() != pw || canvas.height() != ph {
        canvas.set_width(pw);
        canvas.set_height(ph);
    }
    Some(canvas)
}

/// Props of [`Topology`].
#[derive(Properties, PartialEq)]
pub struct TopologyProps {
    /// The canvas the animation loop draws on.
    pub canvas: NodeRef,
}

/// The topology panel.
#[component(Topology)]
pub fn topology(props: &TopologyProps) -> Html {
    let ctx = use_context::<Ctx>().expect("context");
    let onclick = {
        let view = ctx.view.clone();
        let canvas = props.canvas.clone();
        Callback::from(move |ev: MouseEvent| {
            let Some(cv) = canvas.cast::<HtmlCanvasElement>() else {
                return;
            };
            let rect = cv.get_bounding_client_rect();
            let scale = SCALE.with(|s| *s.borrow());
            let (mx, my) = (
                (f64::from(ev.client_x()) - rect.left()) / scale,
                (f64::from(ev.client_y()) - rect.top()) / scale,
            );
            let hit = DOTS.with(|d| {
                d.borrow()
                    .iter()
                    .map(|(x, y, id)| (((x - mx).powi(2) + (y - my).powi(2)).sqrt(), *id))
                    .filter(|(dist, _)| *dist < 12.0)
                    .min_by(|a, b| a.0.total_cmp(&b.0))
                    .map(|(_, id)| id)
            });
            if let Some(id) = hit {
                ctx_select(&view, id);
            }
        })
    };
    let force = use_force_update();
    let page = ctx.page.borrow();
    let now = page.clock.t;
    let window = page.record().map(|rec| {
        follow(rec, ctx.view.selected);
        layout_of(rec)
    });
    let pager = window.and_then(|l| Some((l.window_text()?, l))).map(|(text, l)| {
        let step = move |first: usize| {
            let force = force.clone();
            Callback::from(move |_: MouseEvent| {
                WINDOW.with(|w| w.set((first, w.get().1)));
                force.force_update();
            })
        };
        let earlier = l.first.saturating_sub(l.rows);
        let later = (l.first + l.rows).min(l.nodes - l.rows);
        html! {
            <div class="topology__window" id="topology-window" data-first={l.first.to_string()}>
                <button type="button" class="btn" onclick={step(earlier)} disabled={l.first == 0}
                    aria-label="earlier nodes">{ "‹" }</button>
                <span>{ text }</span>
                <button type="button" class="btn" onclick={step(later)} disabled={l.first + l.rows >= l.nodes}
                    aria-label="later nodes">{ "›" }</button>
                <span class="muted">{ "packets to other nodes are not drawn; selecting one shows its node" }</span>
            </div>
        }
    });
    let (saturated, full, syn_dead, vpc_fill) = match page.record() {
        Some(rec) => {
            let sec = now.secs() as usize;
            let at = |v: &[f64]| v.get(sec.saturating_sub(1)).copied().unwrap_or(0.0);
            let full = rec.meta.nodes.len();
            let saturated = (0..full)
                .filter(|n| at(rec.series.node(*n, PerNode::ConntrackAllowanceExceeded)) > 0.0)
                .count();
            let syn_dead = at(rec.series.global(Global::SynToDeletedIp));
            // Highest VPC conntrack fill of the moment shown.
            let vpc_fill = page
                .moment()
                .map(|(m, _)| {
                    m.nodes
                        .iter()
                        .zip(&rec.meta.nodes)
                        .map(|(n, i)| n.vpc as f64 / i.allowance.max(1) as f64)
                        .fold(0.0f64, f64::max)
                })
                .unwrap_or(0.0);
            (saturated, full, syn_dead, vpc_fill)
        }
        None => (0, 0, 0.0, 0.0),
    };
    let exact = page.moment().is_some_and(|(m, exact)| exact && m.at == now);
    // What the canvas draws, for tests and for reading: the selected SYN's
    // way in and way back, and the martian drops counted at each gate.
    let selected = ctx.view.selected;
    let reverse = page
        .walk
        .as_ref()
        .filter(|w| Some(w.packet) == selected)
        .map(|w| {
            format!(
                "{}>{}",
                w.in_dev,
                w.reverse_dev.as_deref().unwrap_or("none")
            )
        })
        .unwrap_or_default();
    let martians = page
        .record()
        .map(|rec| {
            geo::martians_by_node(&rec.series, now)
                .iter()
                .map(|(total, _)| total.to_string())
                .collect::<Vec<_>>()
                .join(",")
        })
        .unwrap_or_default();
    let alt = format!(
        "Topology at {}: {saturated} of {full} nodes dropping new flows for the VPC conntrack allowance; {syn_dead:.0} SYNs per second to deleted pods' IPs. The event log lists every sampled packet and its fate.",
        crate::format::sim_time_at(now)
    );
    drop(page);
    html! {
        <>
            <h2>{ "Topology" }</h2>
            { pager }
            // Focusable and named: on a narrow screen it scrolls sideways,
            // and a keyboard must be able to scroll it too.
            <div class="topology__scroll" tabindex="0" role="region" aria-label="Topology drawing (scrolls sideways on narrow screens)">
                <canvas ref={props.canvas.clone()} class="topology" id="topology" role="img" aria-label={alt} onclick={onclick}
                    data-vpc-fill={format!("{vpc_fill:.3}")} data-saturated-nodes={saturated.to_string()}
                    data-exact={exact.to_string()} data-reverse-path={reverse} data-martians={martians} />
            </div>
            <div class="legend" aria-hidden="true">
                { for [("sw-syn", "SYN"), ("sw-synack", "SYN-ACK"), ("sw-rst", "RST"), ("sw-icmp", "ICMP"), ("sw-dns", "DNS")].iter().map(|(cls, l)| html! {
                    <span class="legend__item"><i class={*cls} />{ *l }</span>
                }) }
                <span class="legend__item"><b class="x">{ "✕" }</b>{ "dropped" }</span>
                <span class="legend__item">{ "● pod · ◌ deleted pod (IP still on ens6)" }</span>
            </div>
        </>
    }
}

fn ctx_select(view: &UseReducerHandle<super::state::View>, id: u32) {
    view.dispatch(Action::Select(Some(id)));
    view.dispatch(Action::Focus(Some("inspector".into())));
}
