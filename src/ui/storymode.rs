//! Story mode (`?story`, embeddable as `embed=story`): the incident in
//! chapters (`story/incident.json`) beside a sticky stage showing the
//! simulation. Scrolling the text moves the simulation to the chapter under
//! the reading line; moving the clock (playing, the scrubber, keys) marks
//! the chapter the moment belongs to and scrolls it into view. Which
//! chapter that is, and where each chapter is in time, is decided in
//! `scenario::story`; this module only measures the page and applies it.

use super::state::{Action, Ctx};
use super::{embed, transport, util};
use crate::scenario::story::{self, Pick};
use crate::sim::time::SimTime;
use gloo::events::EventListener;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use yew::prelude::*;

/// A paragraph, its backticked words as code.
pub fn paragraph(text: &str) -> Html {
    html! {
        <p>{ for story::spans(text).into_iter().map(|(code, s)| if code {
            html! { <code>{ s.to_string() }</code> }
        } else {
            html! { { s.to_string() } }
        }) }</p>
    }
}

/// What the scroll listener and the renders share.
#[derive(Default)]
struct Shared {
    /// The chapter shown.
    shown: usize,
    /// Until then (ms), scroll events are the page's own (it is scrolling a
    /// chapter into view) and do not move the clock.
    quiet_until: f64,
    /// The shown chapter's packet is still to be picked (the run had not
    /// reached its moment).
    pick_pending: bool,
    /// The chapters' moments in the scenario shown.
    starts: Vec<SimTime>,
    /// The first chapter has been placed.
    placed: bool,
    /// The stage is still to be scrolled to the kernel's verdict (it comes
    /// from the worker after the chapter is shown).
    reveal_verdict: bool,
}

type SharedRef = Rc<RefCell<Shared>>;

/// Props of [`StoryMode`].
#[derive(Properties, PartialEq)]
pub struct StoryProps {
    /// The topology's canvas (drawn by the animation loop).
    pub topo: NodeRef,
    /// In an iframe: no page header.
    pub embedded: bool,
    /// The whole page's link at this state.
    pub full: String,
    /// Messages about bad input.
    pub errors: Html,
}

/// Where the reading line is: 35 % down the part of the window the text
/// shows in (below the stage when the stage sits on top, on a phone).
fn reading_line(doc: &web_sys::Document, h: f64) -> f64 {
    let rect = |sel: &str| {
        doc.query_selector(sel)
            .ok()
            .flatten()
            .map(|e| e.get_bounding_client_rect())
    };
    let top = match (rect(".storymode__stage"), rect(".storymode__text")) {
        (Some(stage), Some(text)) if stage.left() < text.right() && text.left() < stage.right() => {
            stage.bottom().clamp(0.0, h)
        }
        _ => 0.0,
    };
    top + 0.35 * (h - top)
}

/// The chapter under the reading line.
fn chapter_in_view() -> Option<usize> {
    let w = web_sys::window()?;
    let doc = w.document()?;
    let h = w.inner_height().ok()?.as_f64()?;
    let list = doc.query_selector_all(".chapter").ok()?;
    let tops: Vec<f64> = (0..list.length())
        .filter_map(|i| list.item(i)?.dyn_into::<web_sys::Element>().ok())
        .map(|e| e.get_bounding_client_rect().top())
        .collect();
    (!tops.is_empty()).then(|| story::last_at_or_before(&tops, reading_line(&doc, h)))
}

/// Scrolls chapter `k` to the reading position (its `scroll-margin-top`),
/// the scroll events it causes left alone.
fn scroll_to_chapter(shared: &SharedRef, k: usize, smooth: bool) {
    let smooth = smooth && !util::reduced_motion();
    shared.borrow_mut().quiet_until = util::now_ms() + if smooth { 1200.0 } else { 250.0 };
    let Some(el) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id(&format!("chapter-{k}")))
    else {
        return;
    };
    let opts = web_sys::ScrollIntoViewOptions::new();
    opts.set_block(web_sys::ScrollLogicalPosition::Start);
    opts.set_behavior(if smooth {
        web_sys::ScrollBehavior::Smooth
    } else {
        web_sys::ScrollBehavior::Instant
    });
    el.scroll_into_view_with_scroll_into_view_options(&opts);
}

/// Shows chapter `k`: its comparison, its packet (when the run has reached
/// it) and, if `seek`, its moment (the clock stops there).
fn enter(ctx: &Ctx, shared: &SharedRef, k: usize, seek: bool) {
    let Ok(s) = story::incident() else { return };
    let Some(c) = s.chapters.get(k) else { return };
    let t = {
        let mut sh = shared.borrow_mut();
        sh.shown = k;
        sh.pick_pending = c.select.is_some();
        sh.reveal_verdict = c.panel == "kernel";
        sh.starts.get(k).copied().unwrap_or(SimTime::ZERO)
    };
    // The stage's panel may be the same element as before: back to its top.
    if let Some(panel) = web_sys::window().and_then(|w| w.document()).and_then(|d| {
        d.query_selector(".storymode__stage > .panel")
            .ok()
            .flatten()
    }) {
        panel.set_scroll_top(0);
    }
    if seek {
        let mut p = ctx.page.borrow_mut();
        p.clock.playing = false;
        p.seek(t);
    }
    let v = &ctx.view;
    if v.compare != c.compare {
        v.dispatch(Action::Compare(c.compare.clone()));
    }
    if c.select.is_none() {
        v.dispatch(Action::Select(None));
    }
    v.dispatch(Action::KernelStep(None));
    pick(ctx, shared);
    ctx.refresh.emit(());
}

/// Selects the shown chapter's packet once the run has reached its moment.
fn pick(ctx: &Ctx, shared: &SharedRef) {
    let (k, t) = {
        let sh = shared.borrow();
        if !sh.pick_pending {
            return;
        }
        (
            sh.shown,
            sh.starts.get(sh.shown).copied().unwrap_or(SimTime::ZERO),
        )
    };
    let Some(kind) = story::incident()
        .ok()
        .and_then(|s| s.chapters.get(k))
        .and_then(|c| c.select)
    else {
        return;
    };
    let found = {
        let p = ctx.page.borrow();
        let Some(r) = p.record().filter(|r| r.finished() || r.done_to >= t) else {
            return;
        };
        match kind {
            Pick::RpFilterDrop => r.rp_filter_drop_to_deleted_pod(t),
            Pick::SynToDeletedPod => r.syn_to_deleted_pod(t),
        }
        .map(|q| q.id)
    };
    shared.borrow_mut().pick_pending = false;
    ctx.view.dispatch(Action::Select(found));
}

/// Scrolls the stage's kernel panel to its end once the verdict is there:
/// on a short stage (a phone) the walk's outcome is what the chapter is
/// about. The panel scrolls, not the window, so the reading position stays.
fn reveal_verdict(shared: &SharedRef) {
    if !shared.borrow().reveal_verdict {
        return;
    }
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let found = |sel: &str| doc.query_selector(sel).ok().flatten();
    if let (Some(panel), Some(_)) = (
        found(".storymode__stage > .panel"),
        found(".storymode__stage #verdict"),
    ) {
        panel.set_scroll_top(panel.scroll_height());
        shared.borrow_mut().reveal_verdict = false;
    }
}

/// After a render: the first chapter placed, or the chapter the clock has
/// moved into marked and scrolled to.
fn follow(ctx: &Ctx, shared: &SharedRef) {
    let t = ctx.page.borrow().clock.t;
    let (placed, shown, starts) = {
        let sh = shared.borrow();
        (sh.placed, sh.shown, sh.starts.clone())
    };
    if starts.is_empty() {
        return;
    }
    if !placed {
        shared.borrow_mut().placed = true;
        // A fresh load (before the first chapter) goes to the first
        // chapter's moment; a link with a time opens on its chapter.
        let k = story::chapter_at(&starts, t);
        enter(ctx, shared, k, t < starts[0]);
        if k > 0 {
            scroll_to_chapter(shared, k, false);
        }
        return;
    }
    if let Some(k) = story::follow_clock(&starts, shown, t) {
        enter(ctx, shared, k, false);
        scroll_to_chapter(shared, k, true);
    }
}

/// Story mode.
#[component(StoryMode)]
pub fn story_mode(props: &StoryProps) -> Html {
    let ctx = use_context::<Ctx>().expect("context");
    let shared: SharedRef = use_mut_ref(Shared::default);
    let story = story::incident();
    if let Ok(s) = story {
        let params = ctx.view.scenario.params().unwrap_or_default();
        shared.borrow_mut().starts = s.starts(&params);
    }
    // Scrolling moves the simulation to the chapter under the reading line.
    {
        let (ctx, shared) = (ctx.clone(), shared.clone());
        use_effect_with((), move |_| {
            let listener = web_sys::window().map(|w| {
                EventListener::new(&w, "scroll", move |_| {
                    if util::now_ms() < shared.borrow().quiet_until {
                        return;
                    }
                    if let Some(k) = chapter_in_view() {
                        if k != shared.borrow().shown {
                            enter(&ctx, &shared, k, true);
                        }
                    }
                })
            });
            move || drop(listener)
        });
    }
    // The clock moves the text (and a pending packet is picked).
    {
        let (ctx2, shared) = (ctx.clone(), shared.clone());
        use_effect_with(ctx.tick, move |_| {
            follow(&ctx2, &shared);
            pick(&ctx2, &shared);
            reveal_verdict(&shared);
            || ()
        });
    }
    let s = match story {
        Ok(s) => s,
        Err(e) => {
            return html! {
                <main class="storymode">
                    <h1>{ "Story mode" }</h1>
                    <p class="banner" role="alert">{ format!("The story cannot be shown: {e}") }</p>
                </main>
            }
        }
    };
    let (shown, starts) = {
        let sh = shared.borrow();
        (sh.shown.min(s.chapters.len() - 1), sh.starts.clone())
    };
    let c = &s.chapters[shown];
    let go = |k: usize| {
        let (ctx, shared) = (ctx.clone(), shared.clone());
        Callback::from(move |_: MouseEvent| {
            enter(&ctx, &shared, k, true);
            scroll_to_chapter(&shared, k, true);
        })
    };
    let chapters = s.chapters.iter().enumerate().map(|(k, ch)| {
        let at = starts.get(k).copied().unwrap_or(SimTime::ZERO);
        let now = k == shown;
        html! {
            <li id={format!("chapter-{k}")} class={classes!("chapter", now.then_some("chapter--current"))}
                data-at={format!("{:.3}", at.as_secs_f64())} data-id={ch.id.clone()}
                aria-current={ now.then_some("step") }>
                <h2>{ format!("{}. {}", k + 1, ch.title) }</h2>
                { for ch.text.iter().map(|t| paragraph(t)) }
                <button class="linkish chapter__go" onclick={go(k)}>
                    { format!("Show this moment, {} ▸", crate::format::clock(at)) }
                </button>
            </li>
        }
    });
    html! {
        <div class={classes!("storymode", props.embedded.then_some("storymode--embedded"))}>
            { if props.embedded { html! {} } else { html! {
                <header class="storymode__bar">
                    <span class="storymode__brand">{ "It's not DNS · story mode" }</span>
                    <a class="btn" id="story-full" href={props.full.clone()}>{ "Explore the whole page" }</a>
                </header>
            } } }
            { props.errors.clone() }
            <main class="storymode__body">
                <div class="storymode__stage" role="region" aria-label="The simulation at this chapter">
                    <transport::Transport compact={true} />
                    <p class="storymode__look" id="story-look" aria-live="polite">
                        <strong>{ format!("{}. {}", shown + 1, c.title) }</strong>
                        { c.look.as_ref().map(|l| html! { <>{ " · " }{ l.clone() }</> }).unwrap_or_default() }
                    </p>
                    { embed::panel(&c.panel, &props.topo) }
                </div>
                <article class="storymode__text">
                    <h1>{ s.title.clone() }</h1>
                    { s.intro.as_ref().map(|i| html! { <p class="muted">{ i.clone() }</p> }).unwrap_or_default() }
                    <ol class="chapters">{ for chapters }</ol>
                    <p class="storymode__end">
                        { if props.embedded {
                            html! { <a id="embed-full" href={props.full.clone()} target="_blank" rel="noopener">{ "Open the whole page ↗" }</a> }
                        } else {
                            html! { <a href={props.full.clone()}>{ "Explore every panel on the whole page" }</a> }
                        } }
                    </p>
                </article>
            </main>
        </div>
    }
}
