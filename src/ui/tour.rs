//! The guided investigation: the order in which the responders learned
//! things, each step setting the time, the panel and what to look at, and
//! bringing that panel into view. The text is this project's own summary,
//! not the post's. The fix is compared with the incident, not put in its
//! place, and closing the tour puts back what the reader had before it.

use super::state::{Action, Ctx};
use super::util;
use crate::scenario::lens::Lens;
use crate::scenario::story::{self, Pick, Scene};
use crate::scenario::Scenario;
use crate::sim::time::SimTime;
use std::cell::RefCell;
use std::rc::Rc;
use yew::prelude::*;

/// What the reader had before the tour started, put back when it closes.
#[derive(Clone)]
struct Before {
    scenario: Scenario,
    compare: Option<String>,
    t: SimTime,
    selected: Option<u32>,
    panel: Option<String>,
    kernel_step: Option<usize>,
    lens: Lens,
}

/// The steps: the investigation of the story file (`story/incident.json`),
/// the compact form of story mode's chapters. They are a list of their own
/// because they follow the order the responders learned things in, not
/// time order (several share a moment). A broken file leaves none, and the
/// page says why (`scenario::story::incident`).
fn steps() -> &'static [Scene] {
    story::incident().map_or(&[], |s| s.investigation.as_slice())
}

/// The panel step `i` is about (the topology if there is no such step).
pub fn panel_of(i: Option<usize>) -> &'static str {
    i.and_then(|i| steps().get(i))
        .map_or("topology", |s| s.panel.as_str())
}

type Saved = Rc<RefCell<Option<Before>>>;

fn go(ctx: &Ctx, saved: &Saved, i: usize) {
    let Some(s) = steps().get(i) else { return };
    let v = &ctx.view;
    if saved.borrow().is_none() {
        *saved.borrow_mut() = Some(Before {
            scenario: v.scenario.clone(),
            compare: v.compare.clone(),
            t: ctx.page.borrow().clock.t,
            selected: v.selected,
            panel: v.panel.clone(),
            kernel_step: v.kernel_step,
            lens: v.lens,
        });
    }
    // Each step is seen through the lens of the team that learned it (the
    // responders' order), or the ground truth.
    if v.lens != s.lens() {
        v.dispatch(Action::Lens(s.lens()));
    }
    if v.scenario.preset != "incident" {
        v.dispatch(Action::SetPreset("incident".to_string()));
    }
    let want = s.compare.clone();
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
    let t = s.at(&params);
    let select = {
        let mut p = ctx.page.borrow_mut();
        p.clock.playing = false;
        p.seek(t);
        // The record is the incident's unless the preset is being switched.
        let found = if s.select.is_some() && v.scenario.preset == "incident" {
            p.record()
                .and_then(|r| match s.select {
                    Some(Pick::RpFilterDrop) => r.rp_filter_drop_to_deleted_pod(t),
                    _ => r.syn_to_deleted_pod(t),
                })
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

/// Closes the tour, putting back the scenario, comparison, clock, packet,
/// panel and lens the reader had before it (a tour opened by a link had none: the
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
            v.dispatch(Action::Lens(b.lens));
        }
        None => {
            v.dispatch(Action::Lens(Lens::Truth));
            if v.compare.as_deref().is_some() && steps().iter().any(|s| s.compare == v.compare) {
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
    let step = ctx.view.tour.filter(|i| *i < steps().len());
    // Each step brings the panel it talks about into view (after the
    // render that highlights it), and again whenever what is above it may
    // have grown and pushed it down out of view: when the packet it
    // selected or that packet's step-through arrives, and on every render
    // while a run it started streams in (the lens's panel above the grid
    // grows with the run), until the run is known.
    let settled = {
        let p = ctx.page.borrow();
        let streaming = p.record().is_none_or(|r| !r.finished());
        (
            step,
            ctx.view.selected,
            p.walk.is_some(),
            if streaming { Some(ctx.tick) } else { None },
        )
    };
    use_effect_with(settled, |(step, _, _, _)| {
        if let Some(i) = step {
            util::scroll_to_id(&format!("panel-{}", steps()[*i].panel));
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
    let s = &steps()[i];
    let (c1, c2, c3) = (ctx.clone(), ctx.clone(), ctx.clone());
    let (s1, s2, s3) = (saved.clone(), saved.clone(), saved);
    html! {
        <div class="tour" role="region" aria-label="Guided investigation">
            <h2 id="tour-title">{ format!("{}. {}", i + 1, s.title) }</h2>
            { for s.text.iter().map(|t| super::storymode::paragraph(t)) }
            <p class="muted" id="tour-lens">{ match s.lens() {
                Lens::Truth => "Seen as it was: the ground truth, which nobody saw at the time.".to_string(),
                l => format!("Seen by: {} (the other panels fade).", l.label()),
            } }</p>
            <div class="controls__row">
                <button class="btn" disabled={i == 0} onclick={Callback::from(move |_| go(&c1, &s1, i.saturating_sub(1)))}>{ "◂ Back" }</button>
                { if i + 1 < steps().len() {
                    html! { <button class="btn btn--primary" id="tour-next" onclick={Callback::from(move |_| go(&c2, &s2, i + 1))}>{ "Next ▸" }</button> }
                } else { html! {} } }
                <button class="btn" id="tour-close" onclick={Callback::from(move |_| close(&c3, &s3))}>{ "Close" }</button>
                <span class="muted">{ format!("{} / {}", i + 1, steps().len()) }</span>
            </div>
        </div>
    }
}
