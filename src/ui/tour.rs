//! The guided investigation: the order in which the responders learned
//! things, each step setting the time, the panel and what to look at, and
//! bringing that panel into view. The text is this project's own summary,
//! not the post's. The fix is compared with the incident, not put in its
//! place, and closing the tour puts back what the reader had before it.

use super::app::{Action, Ctx};
use super::util;
use crate::scenario::Scenario;
use crate::sim::params::Params;
use crate::sim::time::SimTime;
use std::cell::RefCell;
use std::rc::Rc;
use yew::prelude::*;

struct Step {
    title: &'static str,
    text: &'static str,
    panel: &'static str,
    /// Which moment to show.
    at: fn(&Params) -> SimTime,
    /// Preset to compare the incident with, if any.
    compare: Option<&'static str>,
    /// Select a SYN to a deleted pod first (for the inspector's why chain).
    select_syn: bool,
}

/// What the reader had before the tour started, put back when it closes.
#[derive(Clone)]
struct Before {
    scenario: Scenario,
    compare: Option<String>,
    t: SimTime,
    selected: Option<u32>,
    panel: Option<String>,
    kernel_step: Option<usize>,
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
        compare: None,
        select_syn: false,
    },
    Step {
        title: "2. node-local-dns at its limit",
        text: "Each node's NodeLocal DNSCache forwards misses to cluster DNS over TCP and may hold 1,000 queries in flight. It is at that limit and refusing the rest; its health checks to cluster DNS fail. (With its first 64 MB limit it was OOM-killed too.)",
        panel: "charts",
        at: |e| after_rollout(e, 80),
        compare: None,
        select_syn: false,
    },
    Step {
        title: "3. conntrack_allowance_exceeded",
        text: "The instances' ENA counters show packets dropped because the hypervisor's connection tracking is full, while the Linux conntrack stays low. New flows — including node-local-dns's connections to cluster DNS — cannot start.",
        panel: "topology",
        at: |e| after_rollout(e, 60),
        compare: None,
        select_syn: false,
    },
    Step {
        title: "4. Flow logs: SYNs to an old IP",
        text: "VPC flow logs for one deleted pod's IP: after the FINs of the graceful shutdown, a torrent of SYNs, never answered — no SYN-ACK, no RST.",
        panel: "charts",
        at: |e| after_rollout(e, 30),
        compare: None,
        select_syn: false,
    },
    Step {
        title: "5. Inside the node",
        text: "The VPC still routes the old IP to the node's secondary ENI, ens6. Cilium removed the pod's ip rules, so the way back to the client leaves by ens5. Step through the kernel's check for one of those SYNs.",
        panel: "kernel",
        at: |e| after_rollout(e, 30),
        compare: None,
        select_syn: false,
    },
    Step {
        title: "6. rp_filter and no_addr",
        text: "Loose mode should accept a source reachable by any interface. But ens6 has no IPv4 address, and __fib_validate_source tests no_addr before the mode: it jumps to last_resort, which rejects whenever rp_filter is non-zero. Try it in the lab: the post's commands, then an address on ens6.",
        panel: "lab",
        at: |e| after_rollout(e, 30),
        compare: None,
        select_syn: false,
    },
    Step {
        title: "7. Why clients keep the old IP",
        text: "The old external-dns removes a record only once the pod is deleted (10 s after SIGTERM), at its next 15 s sync; Route 53 takes up to a minute to serve the change, resolvers cache it for the 15 s TTL, and gRPC re-resolves at most every 30 s. The inspector's \"why\" chain shows it for one of those SYNs.",
        panel: "inspector",
        at: |e| after_rollout(e, 45),
        compare: None,
        select_syn: true,
    },
    Step {
        title: "8. Why so many SYNs",
        text: "round_robin reconnects every disconnected subchannel by itself, and a custom ~300 ms backoff makes each one try again every few hundred milliseconds: 900 clients times every deleted IP. pick_first (before August 2021) waited for the application.",
        panel: "controls",
        at: |e| after_rollout(e, 30),
        compare: None,
        select_syn: false,
    },
    Step {
        title: "9. The fix",
        text: "Removing the custom backoff restores gRPC's default (1 s growing to 120 s, 20 s minimum connect timeout). The SYN storm shrinks, the VPC table never fills, DNS and the error rate stay quiet. The charts now show the incident beside the fix.",
        panel: "charts",
        at: |e| after_rollout(e, 80),
        compare: Some("fix-default-backoff"),
        select_syn: false,
    },
];

type Saved = Rc<RefCell<Option<Before>>>;

fn go(ctx: &Ctx, saved: &Saved, i: usize) {
    let s = &STEPS[i];
    let v = &ctx.view;
    if saved.borrow().is_none() {
        *saved.borrow_mut() = Some(Before {
            scenario: v.scenario.clone(),
            compare: v.compare.clone(),
            t: ctx.page.borrow().clock.t,
            selected: v.selected,
            panel: v.panel.clone(),
            kernel_step: v.kernel_step,
        });
    }
    if v.scenario.preset != "incident" {
        v.dispatch(Action::SetPreset("incident".to_string()));
    }
    let want = s.compare.map(str::to_string);
    if v.compare != want {
        v.dispatch(Action::Compare(want));
    }
    // The moment is the incident's (the scenario switched to it if need be).
    let params = if v.scenario.preset == "incident" {
        v.scenario.params()
    } else {
        Scenario {
            preset: "incident".into(),
            set: Vec::new(),
            seed: v.scenario.seed,
        }
        .params()
    }
    .unwrap_or_default();
    let t = (s.at)(&params);
    let select = {
        let mut p = ctx.page.borrow_mut();
        p.clock.playing = false;
        p.seek(t);
        // The record is the incident's unless the preset is being switched.
        let found = if s.select_syn && v.scenario.preset == "incident" {
            p.record()
                .and_then(|r| r.syn_to_deleted_pod(t))
                .map(|q| (q.id, q.sent))
        } else {
            None
        };
        if let Some((_, sent)) = found {
            if sent > t {
                p.seek(sent);
            }
        }
        found.map(|(id, _)| id)
    };
    if let Some(id) = select {
        v.dispatch(Action::KernelStep(None));
        v.dispatch(Action::Select(Some(id)));
    }
    ctx.refresh.emit(());
    v.dispatch(Action::Tour(Some(i)));
    v.dispatch(Action::Focus(Some(s.panel.to_string())));
}

/// Closes the tour, putting back the scenario, comparison, clock, packet and
/// panel the reader had before it (a tour opened by a link had none: the
/// fix it compared with is dropped).
fn close(ctx: &Ctx, saved: &Saved) {
    let v = &ctx.view;
    match saved.borrow_mut().take() {
        Some(b) => {
            if v.scenario != b.scenario {
                v.dispatch(Action::SetScenario(b.scenario));
            }
            v.dispatch(Action::Compare(b.compare));
            {
                let mut p = ctx.page.borrow_mut();
                p.clock.playing = false;
                p.seek(b.t);
            }
            v.dispatch(Action::KernelStep(b.kernel_step));
            v.dispatch(Action::Select(b.selected));
            v.dispatch(Action::Focus(b.panel));
        }
        None => {
            if v.compare.as_deref().is_some()
                && STEPS.iter().any(|s| s.compare == v.compare.as_deref())
            {
                v.dispatch(Action::Compare(None));
            }
            v.dispatch(Action::Focus(None));
        }
    }
    v.dispatch(Action::Tour(None));
    ctx.refresh.emit(());
}

/// The tour card (or its "start" button). It reads the ticking context
/// so that it sees a selected packet's step-through arrive.
#[component(Tour)]
pub fn tour() -> Html {
    let ctx = use_context::<Ctx>().expect("context");
    let saved: Saved = use_mut_ref(|| None);
    let step = ctx.view.tour.filter(|i| *i < STEPS.len());
    // Each step brings the panel it talks about into view (after the
    // render that highlights it), and again when the packet it selected
    // or that packet's step-through arrives: the panels above it grow
    // then, and would push it down out of view.
    let settled = (step, ctx.view.selected, ctx.page.borrow().walk.is_some());
    use_effect_with(settled, |(step, _, _)| {
        if let Some(i) = step {
            util::scroll_to_id(&format!("panel-{}", STEPS[*i].panel));
        }
        || ()
    });
    let Some(i) = step else {
        let (c, sv) = (ctx.clone(), saved.clone());
        return html! {
            <div class="tour tour--closed">
                <button class="btn" id="tour-start" onclick={Callback::from(move |_| go(&c, &sv, 0))}>{ "Guided investigation ▸" }</button>
            </div>
        };
    };
    let s = &STEPS[i];
    let (c1, c2, c3) = (ctx.clone(), ctx.clone(), ctx.clone());
    let (s1, s2, s3) = (saved.clone(), saved.clone(), saved);
    html! {
        <div class="tour" role="region" aria-label="Guided investigation">
            <h2 id="tour-title">{ s.title }</h2>
            <p>{ s.text }</p>
            <div class="controls__row">
                <button class="btn" disabled={i == 0} onclick={Callback::from(move |_| go(&c1, &s1, i.saturating_sub(1)))}>{ "◂ Back" }</button>
                { if i + 1 < STEPS.len() {
                    html! { <button class="btn btn--primary" id="tour-next" onclick={Callback::from(move |_| go(&c2, &s2, i + 1))}>{ "Next ▸" }</button> }
                } else { html! {} } }
                <button class="btn" id="tour-close" onclick={Callback::from(move |_| close(&c3, &s3))}>{ "Close" }</button>
                <span class="muted">{ format!("{} / {}", i + 1, STEPS.len()) }</span>
            </div>
        </div>
    }
}
