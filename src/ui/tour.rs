//! The guided investigation: the order in which the responders learned
//! things, each step setting the time, the panel and what to look at. The
//! text is this project's own summary, not the post's.

use super::app::{Action, ViewCtx as Ctx};
use crate::sim::params::Params;
use crate::sim::time::SimTime;
use yew::prelude::*;

struct Step {
    title: &'static str,
    text: &'static str,
    panel: &'static str,
    /// Which moment to show.
    at: fn(&Params) -> SimTime,
    /// Preset to switch to, if any.
    preset: Option<&'static str>,
}

/// A moment `after_s` seconds after the first pods are deleted
/// (`graceful_timeout_s` after the rollout starts).
fn after_rollout(p: &Params, after_s: u64) -> SimTime {
    SimTime::from_secs(p.rollout_start_s + p.graceful_timeout_s + after_s)
}

const STEPS: &[Step] = &[
    Step {
        title: "1. It looks like DNS",
        text: "During the rollout the service's error rate crosses 1% and p99 latency jumps. The service's logs blame DNS: lookups of its data stores fail.",
        panel: "charts",
        at: |e| after_rollout(e, 80),
        preset: None,
    },
    Step {
        title: "2. node-local-dns at its limit",
        text: "Each node's NodeLocal DNSCache forwards misses to cluster DNS over TCP and may hold 1,000 queries in flight. It is at that limit and refusing the rest; its health checks to cluster DNS fail. (With its first 64 MB limit it was OOM-killed too.)",
        panel: "charts",
        at: |e| after_rollout(e, 80),
        preset: None,
    },
    Step {
        title: "3. conntrack_allowance_exceeded",
        text: "The instances' ENA counters show packets dropped because the hypervisor's connection tracking is full, while the Linux conntrack stays low. New flows — including node-local-dns's connections to cluster DNS — cannot start.",
        panel: "topology",
        at: |e| after_rollout(e, 60),
        preset: None,
    },
    Step {
        title: "4. Flow logs: SYNs to an old IP",
        text: "VPC flow logs for one deleted pod's IP: after the FINs of the graceful shutdown, a torrent of SYNs, never answered — no SYN-ACK, no RST.",
        panel: "charts",
        at: |e| after_rollout(e, 30),
        preset: None,
    },
    Step {
        title: "5. Inside the node",
        text: "The VPC still routes the old IP to the node's secondary ENI, ens6. Cilium removed the pod's ip rules, so the way back to the client leaves by ens5. Step through the kernel's check for one of those SYNs.",
        panel: "kernel",
        at: |e| after_rollout(e, 30),
        preset: None,
    },
    Step {
        title: "6. rp_filter and no_addr",
        text: "Loose mode should accept a source reachable by any interface. But ens6 has no IPv4 address, and __fib_validate_source tests no_addr before the mode: it jumps to last_resort, which rejects whenever rp_filter is non-zero. Try it in the lab: the post's commands, then an address on ens6.",
        panel: "lab",
        at: |e| after_rollout(e, 30),
        preset: None,
    },
    Step {
        title: "7. Why clients keep the old IP",
        text: "The old external-dns removes a record only once the pod is deleted (10 s after SIGTERM), at its next 15 s sync; Route 53 takes up to a minute to serve the change, resolvers cache it for the 15 s TTL, and gRPC re-resolves at most every 30 s. The inspector's \"why\" chain shows it for one packet.",
        panel: "inspector",
        at: |e| after_rollout(e, 45),
        preset: None,
    },
    Step {
        title: "8. Why so many SYNs",
        text: "round_robin reconnects every disconnected subchannel by itself, and a custom ~300 ms backoff makes each one try again every few hundred milliseconds: 900 clients times every deleted IP. pick_first (before August 2021) waited for the application.",
        panel: "controls",
        at: |e| after_rollout(e, 30),
        preset: None,
    },
    Step {
        title: "9. The fix",
        text: "Removing the custom backoff restores gRPC's default (1 s growing to 120 s, 20 s minimum connect timeout). The SYN storm shrinks, the VPC table never fills, DNS and the error rate stay quiet. Compare the charts.",
        panel: "charts",
        at: |e| after_rollout(e, 80),
        preset: Some("fix-default-backoff"),
    },
];

fn go(ctx: &Ctx, i: usize) {
    let s = &STEPS[i];
    if let Some(p) = s.preset {
        ctx.view.dispatch(Action::SetPreset(p.to_string()));
    } else if ctx.view.scenario.preset != "incident" && i < STEPS.len() - 1 {
        ctx.view.dispatch(Action::SetPreset("incident".to_string()));
    }
    let params = ctx.view.scenario.params().unwrap_or_default();
    let t = (s.at)(&params);
    {
        let mut p = ctx.page.borrow_mut();
        p.clock.playing = false;
        p.seek(t);
    }
    ctx.refresh.emit(());
    ctx.view.dispatch(Action::Tour(Some(i)));
    ctx.view.dispatch(Action::Focus(Some(s.panel.to_string())));
}

/// The tour card (or its "start" button).
#[component(Tour)]
pub fn tour() -> Html {
    let ctx = use_context::<Ctx>().expect("context");
    let Some(i) = ctx.view.tour.filter(|i| *i < STEPS.len()) else {
        let c = ctx.clone();
        return html! {
            <div class="tour tour--closed">
                <button class="btn" id="tour-start" onclick={Callback::from(move |_| go(&c, 0))}>{ "Guided investigation ▸" }</button>
            </div>
        };
    };
    let s = &STEPS[i];
    let (c1, c2, c3) = (ctx.clone(), ctx.clone(), ctx.clone());
    html! {
        <div class="tour" role="region" aria-label="Guided investigation">
            <h2 id="tour-title">{ s.title }</h2>
            <p>{ s.text }</p>
            <div class="controls__row">
                <button class="btn" disabled={i == 0} onclick={Callback::from(move |_| go(&c1, i.saturating_sub(1)))}>{ "◂ Back" }</button>
                { if i + 1 < STEPS.len() {
                    html! { <button class="btn btn--primary" id="tour-next" onclick={Callback::from(move |_| go(&c2, i + 1))}>{ "Next ▸" }</button> }
                } else { html! {} } }
                <button class="btn" onclick={Callback::from(move |_| { c3.view.dispatch(Action::Tour(None)); c3.view.dispatch(Action::Focus(None)); })}>{ "Close" }</button>
                <span class="muted">{ format!("{} / {}", i + 1, STEPS.len()) }</span>
            </div>
        </div>
    }
}
