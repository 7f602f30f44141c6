//! The topology's moving layer: the sampled packets as dots, the selected
//! packet's path and, once its kernel walk is known, the reverse path that
//! rp_filter compares.

use super::super::util;
use super::background::Palette;
use super::DOTS;
use crate::explain::kernel::KernelWalk;
use crate::run::RunRecord;
use crate::sim::time::SimTime;
use crate::viz::topology::{self as geo, Layout};
use web_sys::CanvasRenderingContext2d;

/// Paints the sampled packets, the selected packet's path and the legend
/// line: everything that moves every frame.
pub(super) fn paint_packets(
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
    let sel = selected
        .and_then(|id| pk.get(id as usize))
        .filter(|q| layout.shows(usize::from(q.node)));
    if let Some(sel) = sel {
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
            "dots: {drawn} of {shown} sampled packets in view (every {}th client, ≤{}/s{}); lines: real SYN rate per node{}",
            params.trace_every_nth_client,
            params.trace_per_second_cap,
            if stride > 1 { format!(", 1 in {stride} drawn") } else { String::new() },
            layout.window_text().map(|w| format!("; {w}")).unwrap_or_default()
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
pub(super) fn reverse_path(
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
