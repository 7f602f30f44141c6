//! The topology's slow layer: boxes, labels, gauges and pods, repainted
//! only when the moment it shows changes (text is the costliest thing a 2D
//! canvas draws).

use crate::run::{Moment, RunRecord};
use crate::sim::cluster::Phase;
use crate::sim::metrics::PerNode;
use crate::sim::time::SimTime;
use crate::sim::trace::PacketKind;
use crate::viz::topology::{self as geo, x, Layout};
use web_sys::CanvasRenderingContext2d;

pub(super) struct Palette {
    pub(super) bg: &'static str,
    pub(super) fg: &'static str,
    pub(super) muted: &'static str,
    pub(super) box_: &'static str,
    pub(super) line: &'static str,
    pub(super) drop: &'static str,
    pub(super) ok: &'static str,
    pub(super) warn: &'static str,
}

pub(super) fn palette_for(dark: bool) -> Palette {
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

/// Top of a node's box relative to its centre.
const NODE_TOP: f64 = 32.0;

/// Paints what changes slowly: DNS strip, clients, VPC, nodes, gauges.
pub(super) fn paint_background(
    rec: &RunRecord,
    m: &Moment,
    exact: bool,
    t: SimTime,
    c: &CanvasRenderingContext2d,
    layout: &Layout,
    p: &Palette,
) {
    let params = rec.params();
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

    // Nodes (those in the window).
    for n in layout.shown() {
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
