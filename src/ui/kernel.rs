//! The kernel step-through: one packet through `ip_route_input_slow` and
//! `fib_validate_source`, step by step, with that packet's real values, on
//! the node's namespace as it was when the packet arrived. Toggling a kernel
//! control re-runs the same packet on a copy of that namespace.

use super::app::{Action, Ctx};
use crate::sim::cluster::Phase;
use crate::sim::linux::explain::{Next, Step};
use crate::sim::linux::fib::{Route, RouteType, RT_TABLE_MAIN};
use crate::sim::linux::{route_input, InputPacket, InputVerdict, NetNs, Prefix};
use crate::sim::time::SimTime;
use crate::sim::trace::{PacketKind, PacketRecord};
use std::net::Ipv4Addr;
use yew::prelude::*;

/// Kernel what-ifs applied to a copy of the node's namespace.
#[derive(Clone, Copy, Debug, PartialEq, Default)]
struct Toggles {
    rp_all: Option<i32>,
    rp_ens6: Option<i32>,
    ens6_addr: Option<bool>,
    unreachable: Option<bool>,
}

fn apply(ns: &mut NetNs, t: Toggles, dst: Ipv4Addr) {
    if let Some(v) = t.rp_all {
        if let Some(c) = ns.conf_mut("all") {
            c.rp_filter = v;
        }
    }
    if let Some(v) = t.rp_ens6 {
        if let Some(c) = ns.conf_mut("ens6") {
            c.rp_filter = v;
        }
    }
    let has_addr = ns
        .dev_by_name("ens6")
        .map(|d| !d.addrs.is_empty())
        .unwrap_or(false);
    match t.ens6_addr {
        Some(true) if !has_addr => {
            let _ = ns.addr_add("ens6", Ipv4Addr::new(192, 168, 1, 1), 32);
        }
        Some(false) if has_addr => {
            let addrs: Vec<_> = ns
                .dev_by_name("ens6")
                .map(|d| d.addrs.clone())
                .unwrap_or_default();
            for a in addrs {
                let _ = ns.addr_del("ens6", a.addr, a.prefix_len);
            }
        }
        _ => {}
    }
    let host = Prefix::host(dst);
    let has_unreach = ns
        .fib
        .table(RT_TABLE_MAIN)
        .map(|t| {
            t.routes()
                .iter()
                .any(|r| r.dst == host && r.kind == RouteType::Unreachable)
        })
        .unwrap_or(false);
    match t.unreachable {
        Some(true) if !has_unreach => {
            let r = Route::unreachable(host);
            let _ = ns.route_add(RT_TABLE_MAIN, r, true);
        }
        Some(false) if has_unreach => {
            let _ = ns.route_del(
                RT_TABLE_MAIN,
                crate::sim::linux::ns::RouteSelector {
                    dst: Some(host),
                    kind: Some(RouteType::Unreachable),
                    ..Default::default()
                },
            );
        }
        _ => {}
    }
}

/// The outcome in words.
fn verdict_text(v: InputVerdict, ns: &NetNs, p: &PacketRecord) -> (String, String) {
    match v {
        InputVerdict::MartianSource { errno, rp_filter } => {
            let log = if ns.sysctl.log_martians(ns.dev_by_name("ens6").expect("ens6")) {
                format!("kernel log: \"{}\"", NetNs::martian_log_line(p.dst, p.src, "ens6"))
            } else {
                "no log line (log_martians is 0)".to_string()
            };
            (
                format!("Dropped: martian source (-{}). No RST, no ICMP: the client hears nothing.", errno.name()),
                format!("{log}; {}", if rp_filter { "TcpExtIPReversePathFilter +1" } else { "in_martian_src +1" }),
            )
        }
        InputVerdict::Forward { dev, gateway, .. } => (
            format!("Forwarded out of {}{}", ns.dev_name(dev), gateway.map(|g| format!(" via {g}")).unwrap_or_default()),
            if ns.dev_name(dev) == "ens5" {
                "confirmed in the Linux conntrack (SYN_SENT, 120 s); the ENI's source/destination check then drops it: the client's address is not the ENI's".into()
            } else {
                "confirmed in the Linux conntrack; the pod answers (SYN-ACK if listening, RST if not)".into()
            },
        ),
        InputVerdict::Unroutable { errno } => (
            format!("Unroutable (-{}): the packet goes to ip_error()", errno.name()),
            "ICMP destination unreachable, if ip_error's per-source bucket, the global ICMP budget and icmpv4_xrlim_allow (the same per-source bucket) allow it".into(),
        ),
        InputVerdict::LocalDeliver => ("Delivered locally".into(), String::new()),
        InputVerdict::Broadcast => ("Broadcast, delivered locally".into(), String::new()),
        InputVerdict::MartianDestination => ("Dropped: martian destination".into(), String::new()),
    }
}

fn step_html(i: usize, s: &Step, version: crate::sim::linux::KernelVersion) -> Html {
    let next = match &s.next {
        Next::Continue => html! {},
        Next::Goto(l) => html! { <span class="step__next">{ format!("→ goto {l}") }</span> },
        Next::Return(r) => {
            html! { <span class="step__next step__next--ret">{ format!("→ return {r}") }</span> }
        }
    };
    html! {
        <li class="step">
            <div class="step__head"><span class="step__n">{ i + 1 }</span><code>{ s.check.function() }</code>{ next }</div>
            <div class="step__text">{ s.text.clone() }</div>
            { if s.values.is_empty() { html! {} } else { html! {
                <dl class="step__values">{ for s.values.iter().map(|(k, v)| html! { <><dt>{ *k }</dt><dd>{ v.clone() }</dd></> }) }</dl>
            } } }
            <div class="step__src">{ s.check.location(version) }</div>
        </li>
    }
}

/// The step-through panel.
#[component(KernelStepThrough)]
pub fn kernel_step_through() -> Html {
    let ctx = use_context::<Ctx>().expect("context");
    let toggles = use_state(Toggles::default);
    let shown = use_state(|| usize::MAX);
    let view = ctx.view.clone();

    let pick_next = {
        let engine = ctx.engine.clone();
        let view = view.clone();
        let shown = shown.clone();
        Callback::from(move |_| {
            let mut e = engine.borrow_mut();
            let now = e.sim.now().micros();
            // The trace holds what has happened: take the latest SYN to a
            // deleted pod's IP up to now that reached the node's kernel (not
            // one the VPC dropped first).
            let deleted_at = |p: &crate::sim::trace::PacketRecord| {
                e.sim
                    .pods
                    .get(p.pod as usize)
                    .and_then(|q| q.deleted_at)
                    .is_some_and(|d| d <= p.arrives)
            };
            let end = crate::viz::topology::first_sent_at_or_after(&e.sim.trace.packets, now + 1);
            let found = e.sim.trace.packets[..end]
                .iter()
                .rev()
                .take(200_000)
                .find(|p| {
                    p.kind == PacketKind::Syn
                        && p.fate != crate::sim::trace::Fate::ConntrackAllowance
                        && deleted_at(p)
                })
                .map(|p| (p.id, p.arrives));
            match found {
                Some((id, _)) => {
                    // No seek: the packet arrived moments ago, and going back
                    // would re-run the simulation from a checkpoint.
                    e.playing = false;
                    drop(e);
                    shown.set(1);
                    view.dispatch(Action::Select(Some(id)));
                    view.dispatch(Action::Focus(Some("kernel".into())));
                }
                None => {
                    let first = e.params.rollout_start_s + e.params.graceful_timeout_s;
                    drop(e);
                    view.dispatch(Action::Error(format!(
                        "no SYN to a deleted pod yet: the first pods are deleted about {first} s into the run; play or seek past that"
                    )));
                }
            }
        })
    };

    let e = ctx.engine.borrow();
    let selected = view
        .selected
        .and_then(|id| e.sim.trace.packets.get(id as usize))
        .copied();
    let Some(p) =
        selected.filter(|p| matches!(p.kind, PacketKind::Syn | PacketKind::SynRetransmit))
    else {
        return html! {
            <>
                <h2>{ "Kernel step-through" }</h2>
                <p class="muted">{ "Pick a SYN in the topology or the event log, or:" }</p>
                <button class="btn btn--primary" id="next-deleted-syn" onclick={pick_next}>{ "Latest SYN to a deleted pod" }</button>
            </>
        };
    };
    let node = &e.sim.nodes[p.node as usize];
    let mut ns = node.ns.clone();
    apply(&mut ns, *toggles, p.dst);
    let mut steps = Vec::new();
    let d = route_input(
        &ns,
        InputPacket {
            saddr: p.src,
            daddr: p.dst,
            iif: node.ens6,
        },
        Some(&mut steps),
    );
    let (result, consequence) = verdict_text(d.verdict, &ns, &p);
    let pod = e.sim.pods.get(p.pod as usize);
    let pod_state = pod.map(|q| match q.phase {
        Phase::Deleted => format!(
            "{} was deleted at {:.1} s; its IP stays on ens6",
            q.name(),
            q.deleted_at.unwrap_or(SimTime::ZERO).as_secs_f64()
        ),
        ph => format!("{} is {:?}", q.name(), ph),
    });
    let at_packet =
        e.sim.now().saturating_since(p.arrives).as_secs_f64() < 1.0 || e.sim.now() < p.arrives;
    let version = ns.version;
    drop(e);
    let n = (*shown).min(steps.len());
    let more = n < steps.len();
    let step_btn = {
        let shown = shown.clone();
        Callback::from(move |_| shown.set((n + 1).max(1)))
    };
    let all_btn = {
        let shown = shown.clone();
        Callback::from(move |_| shown.set(usize::MAX))
    };
    let restart = {
        let shown = shown.clone();
        Callback::from(move |_| shown.set(1))
    };
    let toggle_rp = |which: &'static str| {
        let toggles = toggles.clone();
        Callback::from(move |ev: Event| {
            let v: i32 = super::util::input_value(&ev).parse().unwrap_or(0);
            let mut t = *toggles;
            if which == "all" {
                t.rp_all = Some(v);
            } else {
                t.rp_ens6 = Some(v);
            }
            toggles.set(t);
        })
    };
    let toggle_bool = |which: &'static str| {
        let toggles = toggles.clone();
        Callback::from(move |ev: Event| {
            let v = super::util::input_checked(&ev);
            let mut t = *toggles;
            if which == "addr" {
                t.ens6_addr = Some(v);
            } else {
                t.unreachable = Some(v);
            }
            toggles.set(t);
        })
    };
    let dev6 = ns.dev_by_name("ens6").expect("ens6");
    let rp_all = ns.sysctl.all.rp_filter;
    let rp_ens6 = dev6.conf.rp_filter;
    let has_addr = !dev6.addrs.is_empty();
    let has_unreach = ns
        .fib
        .table(RT_TABLE_MAIN)
        .map(|t| {
            t.routes()
                .iter()
                .any(|r| r.dst == Prefix::host(p.dst) && r.kind == RouteType::Unreachable)
        })
        .unwrap_or(false);
    let changed = *toggles != Toggles::default();
    let reset = {
        let toggles = toggles.clone();
        Callback::from(move |_| toggles.set(Toggles::default()))
    };
    let sel = |v: i32, cur: i32| html! { <option value={v.to_string()} selected={v == cur}>{ v }</option> };
    html! {
        <>
            <h2>{ "Kernel step-through" }</h2>
            <p class="kernel__packet">
                <code>{ format!("SYN {}:{} → {}:{}", p.src, p.sport, p.dst, p.dport) }</code>
                { format!(" arriving on node {} ens6 at {:.6} s (Linux {})", p.node, p.arrives.as_secs_f64(), version) }
            </p>
            { pod_state.map(|s| html! { <p class="muted">{ s }</p> }).unwrap_or_default() }
            { if at_packet { html! {} } else { html! { <p class="muted">{ "(the node's state is shown as of the current time, not the packet's)" }</p> } } }
            <fieldset class="kernel__toggles">
                <legend>{ if changed { "Kernel controls (what-if on this packet)" } else { "Kernel controls" } }</legend>
                <label>{ "rp_filter all " }<select id="kt-rp-all" onchange={toggle_rp("all")}>{ sel(0, rp_all) }{ sel(1, rp_all) }{ sel(2, rp_all) }</select></label>
                <label>{ " ens6 " }<select id="kt-rp-ens6" onchange={toggle_rp("ens6")}>{ sel(0, rp_ens6) }{ sel(1, rp_ens6) }{ sel(2, rp_ens6) }</select></label>
                <label><input type="checkbox" id="kt-addr" checked={has_addr} onchange={toggle_bool("addr")} />{ " address on ens6" }</label>
                <label><input type="checkbox" id="kt-unreach" checked={has_unreach} onchange={toggle_bool("unreach")} />{ " unreachable route" }</label>
                { if changed { html! { <button class="btn" onclick={reset}>{ "as simulated" }</button> } } else { html! {} } }
            </fieldset>
            <ol class="steps" id="steps">
                { for steps.iter().take(n).enumerate().map(|(i, s)| step_html(i, s, version)) }
            </ol>
            <div class="controls__row">
                { if more { html! { <button class="btn btn--primary" id="step-next" onclick={step_btn}>{ format!("Step ({}/{})", n, steps.len()) }</button> } } else { html! { <button class="btn" onclick={restart}>{ "Step from the start" }</button> } } }
                { if more { html! { <button class="btn" onclick={all_btn}>{ "Show all" }</button> } } else { html! {} } }
                <button class="btn" onclick={pick_next}>{ "Latest SYN to a deleted pod" }</button>
            </div>
            { if !more { html! {
                <div class="verdict" id="verdict">
                    <strong>{ result }</strong>
                    <div class="muted">{ consequence }</div>
                </div>
            } } else { html! {} } }
        </>
    }
}
