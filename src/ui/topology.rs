//! The network, animated: clients → VPC → each node's ens6, the routing /
//! rp_filter gate, its pods (and the ghosts of deleted pods, whose IPs stay on
//! the ENI), the conntrack gauges, node-local-dns → cluster DNS.
//!
//! Drawn on a canvas from the animation loop (no Yew re-render per frame).
//! At tens of thousands of SYNs a second not every packet can be drawn: the
//! dots are the engine's sample (every Nth client's packets, capped per
//! second) and the flow lines into each node are as thick as the real rate.

use super::app::{Action, Ctx};
use super::page::Page;
use super::util;
use crate::explain::kernel::KernelWalk;
use crate::run::{Moment, RunRecord};
use crate::sim::cluster::Phase;
use crate::sim::metrics::{Global, PerNode};
use crate::sim::time::SimTime;
use crate::sim::trace::PacketKind;
use crate::viz::topology::{self as geo, x, Layout};
use std::cell::RefCell;
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
}

/// Repaint the slow layer at most this often while playing (ms of wall time).
const BACKGROUND_MS: f64 = 100.0;

/// The off-screen slow layer and what it was painted for.
struct Background {
    canvas: HtmlCanvasElement,
    /// The moment, the run's generation and how much of it was known.
    key: (SimTime, SimTime, bool, u32, usize),
    wall: f64,
    size: (u32, u32),
    dark: bool,
}

struct Palette {
    bg: &'static str,
    fg: &'static str,
    muted: &'static str,
    box_: &'static str,
    line: &'static str,
    drop: &'static str,
    ok: &'static str,
    warn: &'static str,
}

fn palette_for(dark: bool) -> Palette {
    if dark {
        Palette {
            bg: "#1e2026",
            fg: "#e9e7e2",
            muted: "#9a9aa2",
            box_: "#262931",
            line: "#3a3d46",
            drop: "#ff6b5b",
            ok: "#3fb58a",
            warn: "#e6a33c",
        }
    } else {
        Palette {
            bg: "#ffffff",
            fg: "#1d1d1f",
            muted: "#6b6b70",
            box_: "#f4f2ec",
            line: "#d7d3c8",
            drop: "#c0392b",
            ok: "#1e8f62",
            warn: "#c47a12",
        }
    }
}

fn gauge(
    c: &CanvasRenderingContext2d,
    p: &Palette,
    x0: f64,
    y: f64,
    w: f64,
    frac: f64,
    label: &str,
) {
    c.set_fill_style_str(p.line);
    c.fill_rect(x0, y, w, 7.0);
    let f = frac.clamp(0.0, 1.0);
    c.set_fill_style_str(if f >= 0.98 {
        p.drop
    } else if f >= 0.75 {
        p.warn
    } else {
        p.ok
    });
    c.fill_rect(x0, y, w * f, 7.0);
    c.set_fill_style_str(p.muted);
    c.set_font("9.5px system-ui, sans-serif");
    let _ = c.fill_text(label, x0, y - 2.5);
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
    let params = rec.params();
    let nodes = rec.meta.nodes.len();
    let client_pods = (params.clients.div_ceil(params.clients_per_pod.max(1))) as usize;
    let layout = Layout::new(nodes, client_pods);
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
    let key = (moment.at, t, exact, rec.id().gen, rec.pods.len());
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
        reverse_path(&c, &layout, &p, q.node as usize, w);
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

/// Paints what changes slowly: DNS strip, clients, VPC, nodes, gauges.
fn paint_background(
    rec: &RunRecord,
    m: &Moment,
    exact: bool,
    t: SimTime,
    c: &CanvasRenderingContext2d,
    layout: &Layout,
    p: &Palette,
) {
    let params = rec.params();
    let nodes = rec.meta.nodes.len();
    let client_pods = layout.client_pods;
    c.set_fill_style_str(p.bg);
    c.fill_rect(0.0, 0.0, geo::WIDTH, layout.height);
    // The second in progress at `t` (the series' last completed one).
    let sec = t.secs() as usize;
    let martians = geo::martians_by_node(&rec.series, t);

    // Route 53 strip.
    c.set_fill_style_str(p.box_);
    c.fill_rect(150.0, 8.0, 700.0, 36.0);
    c.set_fill_style_str(p.fg);
    c.set_font("12px system-ui, sans-serif");
    let (version, pending) = rec.route53_at(t);
    let records = version.map(|v| v.pods.len()).unwrap_or(0);
    let _ = c.fill_text(
        &format!(
            "Route 53 (external-dns, TTL {} s): {records} A records{}",
            params.dns_ttl_s,
            if pending > 0 {
                format!(", {pending} change(s) still propagating")
            } else {
                String::new()
            }
        ),
        160.0,
        24.0,
    );
    c.set_fill_style_str(p.muted);
    let _ = c.fill_text(
        &format!(
            "clients re-resolve at most every {} s; {} of {} channels point at deleted pods' IPs{}",
            params.min_time_between_resolutions_s,
            m.stale_subs,
            m.subs,
            if exact {
                String::new()
            } else {
                format!(" (node state as of {})", crate::format::sim_time_at(m.at))
            }
        ),
        160.0,
        38.0,
    );

    // Clients.
    c.set_fill_style_str(p.fg);
    let _ = c.fill_text(&format!("{} clients", params.clients), 8.0, geo::TOP - 4.0);
    for i in 0..client_pods.min(400) {
        let (cx, cy) = layout.client(i);
        c.set_fill_style_str(p.muted);
        c.fill_rect(cx - 3.0, cy - 3.0, 6.0, 6.0);
    }
    // VPC band.
    c.set_fill_style_str(p.box_);
    c.fill_rect(
        x::VPC - 22.0,
        geo::TOP - 10.0,
        44.0,
        layout.height - geo::TOP,
    );
    c.set_fill_style_str(p.fg);
    let _ = c.fill_text("VPC", x::VPC - 12.0, geo::TOP - 14.0);

    // Nodes.
    for n in 0..nodes {
        let y = layout.node_y(n);
        let info = &rec.meta.nodes[n];
        let nm = m.nodes.get(n).copied().unwrap_or_default();
        let vpc_n = nm.vpc as f64;
        let allowance = info.allowance as f64;
        let lin = nm.linux as f64;
        let lin_max = info.linux_max as f64;
        let ip = info.ip;
        let rp = info.rp_filter;
        let ens6_addr = info.ens6_addr.map(|a| a.to_string());
        c.set_fill_style_str(p.box_);
        c.fill_rect(315.0, y - NODE_TOP, 680.0, geo::NODE_H - 6.0);
        c.set_fill_style_str(p.fg);
        c.set_font("bold 11px system-ui, sans-serif");
        let _ = c.fill_text(&format!("node {n} · {ip}"), 320.0, y - NODE_TOP + 12.0);
        // Flow into the node, as thick as the SYN rate of the last second.
        let rate = rec
            .series
            .node(n, PerNode::SynArrivals)
            .get(sec.saturating_sub(1))
            .copied()
            .unwrap_or(0.0);
        if rate > 0.0 {
            c.set_stroke_style_str(geo::kind_colour(PacketKind::Syn));
            c.set_global_alpha(0.35);
            c.set_line_width((rate / 400.0).sqrt().clamp(0.5, 14.0));
            c.begin_path();
            c.move_to(x::VPC + 22.0, y - 10.0);
            c.line_to(x::ENS6, y - 10.0);
            c.stroke();
            c.set_global_alpha(1.0);
            c.set_fill_style_str(p.muted);
            c.set_font("10px system-ui, sans-serif");
            // Right-aligned in the gap before the node's box, clear of its title.
            c.set_text_align("right");
            let _ = c.fill_text(&format!("{rate:.0} SYN/s"), 311.0, y - 14.0);
            c.set_text_align("left");
        }
        // ens6, gate, ens5.
        let (ex, ey) = layout.ens6(n);
        c.set_fill_style_str(p.fg);
        c.begin_path();
        let _ = c.arc(ex, ey, 5.0, 0.0, std::f64::consts::TAU);
        c.fill();
        c.set_font("10px system-ui, sans-serif");
        let _ = c.fill_text(
            &format!("ens6 {}", ens6_addr.unwrap_or_else(|| "(no IPv4)".into())),
            ex - 24.0,
            ey + 16.0,
        );
        let (gx, gy) = layout.gate(n);
        // Martian drops at the gate: the gate turns red in a second that
        // had any, and the run's count so far sits under the node's SYN
        // rate, where the SYNs come from.
        let (total, burst) = martians.get(n).copied().unwrap_or((0, 0));
        c.set_fill_style_str(if burst > 0 {
            p.drop
        } else if rp > 0 {
            p.warn
        } else {
            p.muted
        });
        c.begin_path();
        c.move_to(gx, gy - 8.0);
        c.line_to(gx + 8.0, gy);
        c.line_to(gx, gy + 8.0);
        c.line_to(gx - 8.0, gy);
        c.close_path();
        c.fill();
        c.set_fill_style_str(p.muted);
        let _ = c.fill_text(&format!("rp_filter {rp}"), gx - 12.0, gy + 30.0);
        if total > 0 {
            c.set_fill_style_str(p.drop);
            c.set_text_align("right");
            let _ = c.fill_text(
                &format!("✕ {} martians", crate::format::grouped(total as f64, 0)),
                311.0,
                gy + 13.0,
            );
            c.set_text_align("left");
        }
        let (e5x, e5y) = layout.ens5(n);
        c.set_fill_style_str(p.muted);
        let _ = c.fill_text("ens5", e5x - 30.0, e5y + 3.0);
        // Pods (and ghosts).
        for pod in rec.pods.iter().filter(|q| q.node as usize == n) {
            let Some(phase) = pod.phase_at(t) else {
                continue;
            };
            let (px, py) = layout.pod(n, pod.slot());
            c.begin_path();
            let _ = c.arc(px, py, 7.0, 0.0, std::f64::consts::TAU);
            match phase {
                Phase::Ready => {
                    c.set_fill_style_str(p.ok);
                    c.fill();
                }
                Phase::Starting => {
                    c.set_stroke_style_str(p.ok);
                    c.set_line_width(2.0);
                    c.stroke();
                }
                Phase::Terminating => {
                    c.set_fill_style_str(p.warn);
                    c.fill();
                }
                Phase::Deleted => {
                    c.set_stroke_style_str(p.muted);
                    c.set_line_width(1.0);
                    let _ = c.set_line_dash(&js_sys::Array::of2(&2.0.into(), &2.0.into()));
                    c.stroke();
                    let _ = c.set_line_dash(&js_sys::Array::new());
                }
            }
        }
        // Gauges.
        gauge(
            c,
            p,
            x::GAUGES,
            y - 18.0,
            130.0,
            vpc_n / allowance.max(1.0),
            &format!("VPC conntrack {:.0}k/{:.0}k", vpc_n / 1e3, allowance / 1e3),
        );
        gauge(
            c,
            p,
            x::GAUGES,
            y + 4.0,
            130.0,
            lin / lin_max.max(1.0),
            &format!("Linux conntrack {:.0}k", lin / 1e3),
        );
        let inflight = f64::from(nm.nld_inflight);
        gauge(
            c,
            p,
            x::NLD,
            y - 18.0,
            100.0,
            inflight / f64::from(params.nld_max_concurrent.max(1)),
            &format!("node-local-dns {inflight:.0}/{}", params.nld_max_concurrent),
        );
        c.set_fill_style_str(if nm.nld_down { p.drop } else { p.muted });
        let _ = c.fill_text(
            if nm.nld_down {
                "→ cluster DNS: marked down"
            } else {
                "→ cluster DNS"
            },
            x::NLD,
            y + 10.0,
        );
    }
}

/// Paints the sampled packets, the selected packet's path and the legend
/// line: everything that moves every frame.
fn paint_packets(
    rec: &RunRecord,
    now: SimTime,
    speed: f64,
    c: &CanvasRenderingContext2d,
    layout: &Layout,
    p: &Palette,
    selected: Option<u32>,
) {
    let t = now.as_secs_f64();
    let params = rec.params();
    let pods = &rec.pods;
    let pk = &rec.packets;
    let per_pod = params.clients_per_pod;
    let (frame, shown, stride) =
        geo::dots(pk, layout, t, speed, per_pod, util::reduced_motion(), |q| {
            pods.get(q.pod as usize).map(|x| x.slot()).unwrap_or(0)
        });
    let drawn = frame.len();
    // Dots are batched by colour: one path and one fill per colour.
    let mut by_colour: Vec<(&'static str, Vec<(f64, f64)>)> = Vec::new();
    let mut crosses: Vec<(f64, f64)> = Vec::new();
    let mut dots = Vec::with_capacity(frame.len());
    for d in &frame {
        if d.dropped_here {
            crosses.push(d.at);
        } else {
            let colour = geo::kind_colour(d.kind);
            match by_colour.iter_mut().find(|(k, _)| *k == colour) {
                Some((_, v)) => v.push(d.at),
                None => by_colour.push((colour, vec![d.at])),
            }
        }
        dots.push((d.at.0, d.at.1, d.id));
    }
    for (colour, pts) in &by_colour {
        c.set_fill_style_str(colour);
        c.begin_path();
        for &(px, py) in pts {
            c.move_to(px + 3.2, py);
            let _ = c.arc(px, py, 3.2, 0.0, std::f64::consts::TAU);
        }
        c.fill();
    }
    if !crosses.is_empty() {
        c.set_stroke_style_str(p.drop);
        c.set_line_width(2.0);
        c.begin_path();
        for &(px, py) in &crosses {
            c.move_to(px - 4.0, py - 4.0);
            c.line_to(px + 4.0, py + 4.0);
            c.move_to(px + 4.0, py - 4.0);
            c.line_to(px - 4.0, py + 4.0);
        }
        c.stroke();
    }
    // The selected packet's path.
    if let Some(sel) = selected.and_then(|id| pk.get(id as usize)) {
        let slot = pods.get(sel.pod as usize).map(|q| q.slot()).unwrap_or(0);
        let (path, stop) = geo::path(layout, sel, per_pod, slot);
        c.set_stroke_style_str(p.fg);
        c.set_line_width(1.5);
        let _ = c.set_line_dash(&js_sys::Array::of2(&4.0.into(), &3.0.into()));
        c.begin_path();
        for (i, (px, py)) in path[..=stop.min(path.len() - 1)].iter().enumerate() {
            if i == 0 {
                c.move_to(*px, *py);
            } else {
                c.line_to(*px, *py);
            }
        }
        c.stroke();
        let _ = c.set_line_dash(&js_sys::Array::new());
        let (ex, ey) = path[stop.min(path.len() - 1)];
        c.begin_path();
        let _ = c.arc(ex, ey, 9.0, 0.0, std::f64::consts::TAU);
        c.stroke();
        if sel.fate.dropped() {
            c.set_fill_style_str(p.drop);
            c.set_font("bold 11px system-ui, sans-serif");
            // A label on a pill, right of the node's title, above the pods.
            let reason = sel.fate.reason();
            let width = c.measure_text(reason).map(|m| m.width()).unwrap_or(150.0);
            let (lx, ly) = ((ex + 12.0).max(445.0), ey - 12.0);
            c.set_fill_style_str(p.bg);
            c.fill_rect(lx - 3.0, ly - 11.0, width + 6.0, 14.0);
            c.set_fill_style_str(p.drop);
            let _ = c.fill_text(reason, lx, ly);
        }
    }
    c.set_fill_style_str(p.muted);
    c.set_font("10px system-ui, sans-serif");
    let _ = c.fill_text(
        &format!(
            "dots: {drawn} of {shown} sampled packets in view (every {}th client, ≤{}/s{}); lines: real SYN rate per node",
            params.trace_every_nth_client,
            params.trace_per_second_cap,
            if stride > 1 { format!(", 1 in {stride} drawn") } else { String::new() }
        ),
        8.0,
        layout.height - 8.0,
    );
    DOTS.with(|d| *d.borrow_mut() = dots);
}

/// The asymmetry rp_filter judges, for the selected SYN once its kernel
/// walk is known: it came in on `ens6`, and the route back to its source
/// leaves by `ens5`; an arrow from the gate along the route back, and the
/// comparison beside the gate.
fn reverse_path(
    c: &CanvasRenderingContext2d,
    layout: &Layout,
    p: &Palette,
    n: usize,
    w: &KernelWalk,
) {
    let (gx, gy) = layout.gate(n);
    let back = w.reverse_dev.as_deref();
    let to = match back {
        Some("ens5") => Some(layout.ens5(n)),
        Some("ens6") => Some(layout.ens6(n)),
        _ => None,
    };
    if let Some((tx, ty)) = to {
        c.set_stroke_style_str(p.warn);
        c.set_line_width(2.0);
        let _ = c.set_line_dash(&js_sys::Array::of2(&2.0.into(), &3.0.into()));
        c.begin_path();
        c.move_to(gx - 6.0, gy + 4.0);
        c.line_to(tx + 8.0, ty);
        c.stroke();
        let _ = c.set_line_dash(&js_sys::Array::new());
        // The arrowhead, pointing along the line.
        let (dx, dy) = (tx + 8.0 - (gx - 6.0), ty - (gy + 4.0));
        let len = (dx * dx + dy * dy).sqrt().max(1.0);
        let (ux, uy) = (dx / len, dy / len);
        c.set_fill_style_str(p.warn);
        c.begin_path();
        c.move_to(tx + 8.0, ty);
        c.line_to(tx + 8.0 - 7.0 * ux + 4.0 * uy, ty - 7.0 * uy - 4.0 * ux);
        c.line_to(tx + 8.0 - 7.0 * ux - 4.0 * uy, ty - 7.0 * uy + 4.0 * ux);
        c.close_path();
        c.fill();
    }
    let text = format!(
        "in {} · back by {} → {}",
        w.in_dev,
        back.unwrap_or("no route"),
        if w.dropped { "drop" } else { "pass" }
    );
    c.set_font("bold 10px system-ui, sans-serif");
    let width = c.measure_text(&text).map(|m| m.width()).unwrap_or(120.0);
    let (lx, ly) = (gx - 40.0, gy + 46.0);
    c.set_fill_style_str(p.bg);
    c.fill_rect(lx - 3.0, ly - 10.0, width + 6.0, 13.0);
    c.set_fill_style_str(p.warn);
    let _ = c.fill_text(&text, lx, ly);
}

/// Top of a node's box relative to its centre.
const NODE_TOP: f64 = 32.0;

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
    let page = ctx.page.borrow();
    let now = page.clock.t;
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
            <canvas ref={props.canvas.clone()} class="topology" id="topology" role="img" aria-label={alt} onclick={onclick}
                data-vpc-fill={format!("{vpc_fill:.3}")} data-saturated-nodes={saturated.to_string()}
                data-exact={exact.to_string()} data-reverse-path={reverse} data-martians={martians} />
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

fn ctx_select(view: &UseReducerHandle<super::app::View>, id: u32) {
    view.dispatch(Action::Select(Some(id)));
    view.dispatch(Action::Focus(Some("inspector".into())));
}
