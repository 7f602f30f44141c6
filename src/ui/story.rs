//! The story header: what happened, in three sentences of this project's
//! own, where it comes from, and a button that goes to the moment the
//! page is about (a SYN to a deleted pod dropped by the reverse-path
//! filter, shown in the kernel step-through), and the way into story mode.
//! On a phone its text folds to two lines behind "More", so the topology
//! starts in the first screen. Not in embeds.

use super::state::{Action, ViewCtx as Ctx};
use super::util;
use crate::sim::time::SimTime;
use yew::prelude::*;

/// "Show me the moment" looks for the latest dropped SYN before this (3:00).
const MOMENT_BEFORE: SimTime = SimTime(180_000_000);

/// The story header.
#[component(Story)]
pub fn story() -> Html {
    let ctx = use_context::<Ctx>().expect("context");
    let folded = use_state(|| true);
    let toggle = {
        let folded = folded.clone();
        Callback::from(move |_: MouseEvent| folded.set(!*folded))
    };
    let story_href = format!(
        "?{}",
        crate::scenario::url::encode(&crate::scenario::url::ViewState {
            scenario: ctx.view.scenario.clone(),
            story: true,
            ..Default::default()
        })
    );
    let onclick = {
        let page = ctx.page.clone();
        let view = ctx.view.clone();
        let refresh = ctx.refresh.clone();
        Callback::from(move |_| {
            let mut p = page.borrow_mut();
            let reached = p
                .record()
                .is_some_and(|r| r.finished() || r.done_to >= MOMENT_BEFORE);
            let found = p
                .record()
                .filter(|_| reached)
                .and_then(|r| r.rp_filter_drop_to_deleted_pod(MOMENT_BEFORE))
                .map(|q| (q.id, q.sent));
            match found {
                Some((id, sent)) => {
                    p.clock.playing = false;
                    p.seek(sent);
                    drop(p);
                    view.dispatch(Action::KernelStep(None));
                    view.dispatch(Action::Select(Some(id)));
                    view.dispatch(Action::Focus(Some("kernel".into())));
                    refresh.emit(());
                    util::scroll_to_id("panel-kernel");
                }
                None => {
                    drop(p);
                    view.dispatch(Action::Error(if reached {
                        "no SYN to a deleted pod was dropped by rp_filter before 3:00 in this scenario".into()
                    } else {
                        "the run has not reached 3:00 yet; try again in a moment".into()
                    }));
                }
            }
        })
    };
    html! {
        <section class={classes!("story", folded.then_some("story--folded"))} aria-label="What happened">
            <p class="story__text" id="story-text">
                { "A Kubernetes rollout replaced a service's pods, and its gRPC clients went on reconnecting to the deleted pods' IPs every few hundred milliseconds. " }
                { "Those SYNs still reached the nodes on the secondary ENI " }<code>{ "ens6" }</code>
                { ", which had no IPv4 address, so the kernel's reverse-path filter discarded them without a word. " }
                { "Never answered, they filled the AWS VPC's connection-tracking allowance, and node-local DNS, unable to open new connections to cluster DNS, failed on the side." }
            </p>
            <p class="story__cite muted" id="story-cite">
                { "Source: Datadog engineering blog, “It's always DNS . . . except when it's not: A deep dive through gRPC, Kubernetes, and AWS networking”, Laurent Bernaille and David Lentz, 13 April 2022; see also the " }
                <a href="https://www.usenix.org/conference/srecon23americas/presentation/malla" target="_blank" rel="noopener">{ "SREcon23 Americas talk" }</a>
                { " and " }
                <a href="https://github.com/cilium/cilium/issues/13451" target="_blank" rel="noopener">{ "Cilium issue #13451" }</a>
                { "." }
            </p>
            <div class="story__actions">
                <button class="btn story__more" id="story-more" aria-expanded={(!*folded).to_string()} aria-controls="story-text" onclick={toggle}>
                    { if *folded { "More ▾" } else { "Less ▴" } }
                </button>
                <button class="btn btn--primary" id="story-moment" {onclick}>{ "Show me the moment" }</button>
                <a class="btn" id="story-mode" href={story_href}>{ "Read it as a story" }</a>
            </div>
        </section>
    }
}
