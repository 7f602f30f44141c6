//! The packet inspector: every field of the selected packet, its path, its
//! fate with the reason, and why it was sent at all — the chain of causes
//! back to the rollout.

use super::app::{Action, Ctx};
use super::util;
use crate::sim::trace::{Notable, PacketKind, PacketRecord};
use crate::sim::Sim;
use yew::prelude::*;

/// The cause chain of a packet, oldest cause last. Each link is stated only
/// when it holds for this packet (a SYN sent before its pod was deleted has
/// no stale DNS answer behind it).
pub fn why(sim: &Sim, p: &PacketRecord) -> Vec<String> {
    use crate::sim::trace::Fate;
    let mut chain = Vec::new();
    let pod = sim.pods.get(p.pod as usize);
    chain.push(format!(
        "{} {}:{} → {}:{} at {:.6} s: {}.",
        p.kind.label(),
        p.src,
        p.sport,
        p.dst,
        p.dport,
        p.sent.as_secs_f64(),
        p.fate.reason()
    ));
    if matches!(
        p.kind,
        PacketKind::IcmpUnreachable | PacketKind::SynAck | PacketKind::Rst
    ) {
        chain.push(format!(
            "It answers sampled packet #{} (the client's SYN).",
            p.answers
        ));
    }
    let node_originated = matches!(p.kind, PacketKind::DnsTcpSyn | PacketKind::DnsHealthCheck);
    if node_originated {
        chain.push(format!(
            "Why it was sent: {} (node {}).",
            p.trigger.text(),
            p.node
        ));
    } else {
        chain.push(format!(
            "Why it was sent: {} (client {}, connection attempt {}).",
            p.trigger.text(),
            p.client,
            p.attempt
        ));
    }
    if p.fate == Fate::ConntrackAllowance {
        let allowance = sim.nodes.get(p.node as usize).map(|n| n.vpc.allowance);
        chain.push(format!(
            "Why it died: node {}'s VPC connection tracking was full ({} flows allowed per instance), and every new flow of the instance is refused while it is, whatever its kind. In the incident what fills it is the clients' SYNs to deleted pods' IPs: nothing answers them, so each entry stays {} s.",
            p.node,
            allowance.map_or_else(|| "?".to_string(), |a| a.to_string()),
            sim.p.vpc_syn_timeout_s
        ));
    }
    let deleted_before = pod.and_then(|pod| pod.deleted_at.filter(|d| p.sent >= *d));
    if let Some(pod) = pod {
        let is_syn = matches!(p.kind, PacketKind::Syn | PacketKind::SynRetransmit);
        if is_syn && p.resolved_at > crate::sim::time::SimTime::ZERO {
            chain.push(format!(
                "Why that address: the client's last DNS resolution, at {:.1} s, listed {} ({}); gRPC re-resolves at most every {} s.",
                p.resolved_at.as_secs_f64(),
                pod.ip,
                pod.name(),
                sim.p.min_time_between_resolutions_s
            ));
        }
        if let (true, Some(d)) = (is_syn, deleted_before) {
            let gone = sim
                .route53
                .versions
                .iter()
                .find(|v| v.at >= d && !v.pods.contains(&pod.index));
            match gone {
                Some(v) => chain.push(format!(
                    "Why DNS still had it: the pod was deleted at {:.1} s; external-dns removed its record at the next sync, {:.1} s, and Route 53 served the change from {:.1} s (TTL {} s on top).",
                    d.as_secs_f64(),
                    v.at.as_secs_f64(),
                    v.visible.as_secs_f64(),
                    sim.p.dns_ttl_s
                )),
                None => chain.push(format!("Why DNS still had it: the pod was deleted at {:.1} s and external-dns had not removed the record yet.", d.as_secs_f64())),
            }
        }
        if matches!(p.fate, Fate::RpFilter { .. }) {
            chain.push(format!(
                "Why it died silently: {}'s IP {} stays on node {}'s ens6, which has no IPv4 address; Cilium removed the pod's ip rules, so the reply route leaves by ens5 and rp_filter (no_addr → last_resort) drops the SYN.",
                pod.name(),
                pod.ip,
                pod.node
            ));
        }
        if let Some(t) = pod.terminated_at.filter(|t| p.sent >= *t) {
            chain.push(format!("Why the pod went away: SIGTERM at {:.1} s (GracefulStop: GOAWAY to every client, listener closed, exit {} s later).", t.as_secs_f64(), sim.p.graceful_timeout_s));
        }
    }
    if let Some(r) = sim
        .trace
        .events
        .iter()
        .find(|e| e.what == Notable::RolloutStarted && e.at <= p.sent)
    {
        chain.push(format!(
            "Root: {} (at {:.1} s).",
            r.text,
            r.at.as_secs_f64()
        ));
    }
    chain
}

/// The inspector panel.
#[component(Inspector)]
pub fn inspector() -> Html {
    let ctx = use_context::<Ctx>().expect("context");
    let e = ctx.engine.borrow();
    let Some(p) = ctx
        .view
        .selected
        .and_then(|id| e.sim.trace.packets.get(id as usize))
        .copied()
    else {
        return html! {
            <>
                <h2>{ "Packet inspector" }</h2>
                <p class="muted">{ "Click a packet in the topology or a row of the event log." }</p>
            </>
        };
    };
    let chain = why(&e.sim, &p);
    let answer = e
        .sim
        .trace
        .packets
        .iter()
        .skip(p.id as usize)
        .take(5_000)
        .find(|r| r.answers == p.id)
        .copied();
    let node_ip = e.sim.nodes.get(p.node as usize).map(|n| n.ip);
    drop(e);
    let goto = {
        let engine = ctx.engine.clone();
        Callback::from(move |_| {
            let mut e = engine.borrow_mut();
            e.seek(p.sent);
            e.playing = false;
        })
    };
    let view = ctx.view.clone();
    let select_answer = answer.map(|a| {
        let view = view.clone();
        Callback::from(move |_| view.dispatch(Action::Select(Some(a.id))))
    });
    let fields: Vec<(&str, String)> = vec![
        ("kind", p.kind.label().to_string()),
        ("source", format!("{}:{}", p.src, p.sport)),
        ("destination", format!("{}:{}", p.dst, p.dport)),
        (
            "sent",
            format!("{:.6} s ({})", p.sent.as_secs_f64(), util::clock(p.sent)),
        ),
        (
            "reaches next hop",
            format!("{:.6} s", p.arrives.as_secs_f64()),
        ),
        (
            "node (ENI owner)",
            format!(
                "{} ({})",
                p.node,
                node_ip.map(|i| i.to_string()).unwrap_or_default()
            ),
        ),
        (
            "client",
            if p.client == u32::MAX {
                "none (sent by the node)".to_string()
            } else {
                p.client.to_string()
            },
        ),
        ("attempt / SYN", format!("{} / {}", p.attempt, p.syn_no)),
        ("fate", p.fate.reason().to_string()),
    ];
    html! {
        <>
            <h2>{ format!("Packet #{}", p.id) }</h2>
            <table class="kv" id="inspector-fields">
                { for fields.iter().map(|(k, v)| html! { <tr><th>{ *k }</th><td>{ v.clone() }</td></tr> }) }
            </table>
            <p class={classes!("fate", p.fate.dropped().then_some("fate--dropped"))} id="fate">{ format!("Fate: {}", p.fate.reason()) }</p>
            <h3>{ "Path" }</h3>
            <ol class="path">
                { for path_hops(&p).into_iter().map(|h| html! { <li>{ h }</li> }) }
            </ol>
            { match (answer, select_answer) {
                (Some(a), Some(cb)) => html! { <p>{ "Answered by " }<button class="linkish" onclick={cb}>{ format!("#{} {}", a.id, a.kind.label()) }</button></p> },
                _ => html! {},
            } }
            <h3>{ "Why?" }</h3>
            <ol class="why" id="why">
                { for chain.iter().map(|c| html! { <li>{ c.clone() }</li> }) }
            </ol>
            <button class="btn" onclick={goto}>{ "Go to this packet's time" }</button>
        </>
    }
}

fn path_hops(p: &PacketRecord) -> Vec<String> {
    use crate::sim::trace::Fate;
    match p.kind {
        PacketKind::Syn | PacketKind::SynRetransmit => {
            let mut v = vec![
                format!("client {} sends", p.src),
                "VPC routes the pod IP to the node's ens6 ENI".to_string(),
            ];
            match p.fate {
                Fate::ConntrackAllowance => v.push(
                    "dropped by the VPC: the instance's conntrack allowance is exhausted".into(),
                ),
                Fate::RpFilter { .. } | Fate::Martian => {
                    v.push("VPC conntrack: new entry (SYN, unanswered: kept 60 s)".into());
                    v.push(
                        "node: ip_route_input_slow → fib_validate_source: martian, dropped".into(),
                    );
                }
                Fate::UnreachableIcmpSent | Fate::UnreachableIcmpLimited => {
                    v.push("VPC conntrack: new entry".into());
                    v.push("node: route lookup hits `unreachable` → ip_error".into());
                }
                Fate::SrcDstCheck => {
                    v.push("node: accepted, forwarded out of ens5".into());
                    v.push("ENI source/destination check: dropped".into());
                }
                Fate::LinuxConntrackFull => v.push("node: nf_conntrack table full, dropped".into()),
                Fate::Delivered => {
                    v.push("VPC conntrack: new entry".into());
                    v.push("node: forwarded to the pod's lxc veth".into());
                }
            }
            v
        }
        PacketKind::DnsTcpSyn | PacketKind::DnsHealthCheck => {
            let mut v = vec![
                format!("node-local-dns on node {} sends from {}", p.node, p.src),
                "node: output route by the main table, out of ens5".to_string(),
            ];
            v.push(match p.fate {
                Fate::ConntrackAllowance => {
                    "dropped by the VPC: the instance's conntrack allowance is exhausted".into()
                }
                _ => format!(
                    "VPC conntrack: new entry; delivered to cluster DNS {}",
                    p.dst
                ),
            });
            v
        }
        _ => vec![format!("{} → {}", p.src, p.dst)],
    }
}
