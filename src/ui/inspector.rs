//! The packet inspector: every field of the selected packet, its path, its
//! fate with the reason, and why it was sent at all: the chain of causes back
//! to the rollout (`explain::why`). The fate is the packet's final one from
//! the whole run, whatever moment the page shows.

use super::state::{Action, Ctx};
use crate::explain::{path_hops, why};
use yew::prelude::*;

/// The inspector panel.
#[component(Inspector)]
pub fn inspector() -> Html {
    let ctx = use_context::<Ctx>().expect("context");
    let page = ctx.page.borrow();
    let Some(rec) = page.record() else {
        return html! { <><h2>{ "Packet inspector" }</h2><p class="muted">{ "Computing the run…" }</p></> };
    };
    let Some(p) = ctx.view.selected.and_then(|id| rec.packet(id)).copied() else {
        return html! {
            <>
                <h2>{ "Packet inspector" }</h2>
                <p class="muted">{ "Click a packet in the topology or a row of the event log." }</p>
            </>
        };
    };
    let chain = why(&rec.facts(), &p);
    let hops = path_hops(&p, rec.params());
    let answer = rec
        .packets
        .iter()
        .skip(p.id as usize)
        .take(5_000)
        .find(|r| r.answers == p.id)
        .copied();
    let node_ip = rec.meta.nodes.get(p.node as usize).map(|n| n.ip);
    drop(page);
    let goto = {
        let page = ctx.page.clone();
        let refresh = ctx.refresh.clone();
        Callback::from(move |_| {
            let mut pg = page.borrow_mut();
            pg.clock.playing = false;
            pg.seek(p.sent);
            drop(pg);
            refresh.emit(());
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
        ("sent", crate::format::sim_time_exact(p.sent, 6)),
        (
            "reaches next hop",
            crate::format::sim_time_exact(p.arrives, 6),
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
                { for hops.into_iter().map(|h| html! { <li>{ h }</li> }) }
            </ol>
            { match (answer, select_answer) {
                (Some(a), Some(cb)) => html! { <p>{ "Answered by " }<button class="linkish" onclick={cb}>{ format!("#{} {}", a.id, a.kind.label()) }</button></p> },
                _ => html! {},
            } }
            <h3>{ "Why?" }</h3>
            <ol class="why" id="why">
                { for chain.iter().map(|c| html! { <li>{ c.clone() }</li> }) }
            </ol>
            <button class="btn" id="goto-packet" onclick={goto}>{ "Go to this packet's time" }</button>
        </>
    }
}
