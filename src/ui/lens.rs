//! The lens switch: the page seen from one team's vantage point (issue 22).
//! What each lens's tools print is computed in [`crate::viz::lens`]; which
//! panels and charts it records is [`crate::scenario::lens`]. Here: the
//! switch (in the order the responders looked), the tools' output at the
//! clock, its download, and the attributes that dim the rest.
//!
//! A dimmed panel is `inert` as well as faded: it stays in view (what the
//! team could not see is still there, greyed), but it cannot be focused or
//! read out, so no faded text is left for a reader to strain at, and the
//! contrast rules apply only to what stays readable.

use super::state::{Action, Ctx, View};
use super::util;
use crate::scenario::lens::Lens;
use crate::sim::time::SimTime;
use crate::viz::lens::{self as vl, LensView};
use std::rc::Rc;
use yew::prelude::*;

/// Lines of a tool's output shown on the page (the download has them all).
const SHOWN_LINES: usize = 80;

/// The classes of panel `id`'s section under the view's lens.
pub fn dim(view: &View, id: &str) -> Option<&'static str> {
    (!view.lens.shows_panel(id)).then_some("panel--dimmed")
}

/// True if panel `id`'s section is `inert` under the view's lens.
pub fn inert(view: &View, id: &str) -> bool {
    dim(view, id).is_some()
}

/// True if chart `id` is `inert` under `lens`.
pub fn chart_inert(lens: Lens, id: &str) -> bool {
    !lens.shows_chart(id)
}

/// A computed view's run generation, how far that run was known, the lens
/// and the moment.
type Key = (u32, SimTime, Lens, SimTime);

/// What the panel keeps: the run generation its [`vl::Prepared`] belongs
/// to, that, and the last view with its key and when (wall ms) it was
/// computed.
#[derive(Default)]
struct Kept {
    gen: Option<u32>,
    prep: vl::Prepared,
    last: Option<(Key, Rc<LensView>, f64)>,
}

/// While the clock runs or the run streams in, the lens is computed again
/// at most this often (wall ms): the flow-log lens aggregates every sampled
/// packet so far.
const BUSY_EVERY_MS: f64 = 1000.0;

/// The lens switch in the page's header: one choice, numbered in the order
/// the responders looked. In the header it takes no room of its own, so
/// the page below lays out as before while the ground truth is shown.
#[component(LensSwitch)]
pub fn lens_switch() -> Html {
    let ctx = use_context::<Ctx>().expect("context");
    let lens = ctx.view.lens;
    let onchange = {
        let view = ctx.view.clone();
        Callback::from(move |ev: Event| {
            if let Ok(l) = Lens::parse(&util::input_value(&ev)) {
                view.dispatch(Action::Lens(l));
            }
        })
    };
    html! {
        <label class="lens__pick">{ "Seen by " }
            <select id="lens" onchange={onchange} title="What each team could see: the rest of the page is dimmed">
                { for Lens::ALL.iter().enumerate().map(|(i, l)| html! {
                    <option value={l.name()} selected={*l == lens}>{ option_text(i, *l) }</option>
                }) }
            </select>
        </label>
    }
}

/// An option's text: its place in the responders' order, then its label.
fn option_text(i: usize, l: Lens) -> String {
    if l == Lens::Truth {
        l.label().to_string()
    } else {
        format!("{} {}", i + 1, l.label())
    }
}

/// Where a [`LensPanel`] sits.
#[derive(Properties, PartialEq)]
pub struct LensPanelProps {
    /// Above the panels (a team's lens) or below them (the ground truth,
    /// which leaves the page above laid out as without lenses).
    pub below: bool,
}

/// What the chosen vantage point recorded, with the responders' order as a
/// strip of buttons. A team's lens is shown above the (dimmed) panels, the
/// ground truth below them. It shows the run as far as it is known.
#[component(LensPanel)]
pub fn lens_panel(props: &LensPanelProps) -> Html {
    let ctx = use_context::<Ctx>().expect("context");
    let lens = ctx.view.lens;
    let kept = use_mut_ref(Kept::default);
    let here = (lens == Lens::Truth) == props.below;
    let computed = if !here {
        None
    } else {
        let p = ctx.page.borrow();
        let t = p.clock.t;
        p.record().map(|r| {
            let gen = r.id().gen;
            let known = if r.finished() { r.end() } else { r.done_to };
            let key = (gen, known, lens, t);
            let busy = p.clock.playing || !r.finished();
            let mut k = kept.borrow_mut();
            if k.gen != Some(gen) {
                *k = Kept {
                    gen: Some(gen),
                    ..Kept::default()
                };
            }
            let now = util::now_ms();
            let fresh = match &k.last {
                Some((have, _, at)) => {
                    *have == key
                        || (busy && (have.0, have.2) == (gen, lens) && now - at < BUSY_EVERY_MS)
                }
                None => false,
            };
            if !fresh {
                let v = vl::view_with(r, lens, t, &mut k.prep);
                k.last = Some((key, Rc::new(v), now));
            }
            let (have, v, _) = k.last.as_ref().expect("just set");
            // Computed from the whole run (what the end-to-end test waits for).
            let whole = r.finished() && have.1 == r.end();
            (v.clone(), whole)
        })
    };
    if !here {
        return html! {};
    }
    let whole = computed.as_ref().is_some_and(|c| c.1);
    let computed = computed.map(|c| c.0);
    let buttons = Lens::ALL.iter().enumerate().map(|(i, l)| {
        let view = ctx.view.clone();
        let l = *l;
        let onclick = Callback::from(move |_| view.dispatch(Action::Lens(l)));
        let step = if l == Lens::Truth {
            String::new()
        } else {
            format!("{} ", i + 1)
        };
        html! {
            <button class={classes!("btn", "lens__btn", (l == lens).then_some("lens__btn--on"))}
                id={format!("lens-{}", l.name())} aria-pressed={(l == lens).to_string()} {onclick}>
                <span class="lens__step" aria-hidden="true">{ step }</span>{ l.label() }
            </button>
        }
    });
    let download = {
        let page = ctx.page.clone();
        Callback::from(move |_| {
            let p = page.borrow();
            if let Some(r) = p.record() {
                let v = vl::view(r, lens, p.clock.t);
                let text = vl::export_text(r, &v);
                util::download(
                    &vl::file_name(r, lens, p.clock.t),
                    "text/plain",
                    text.as_bytes(),
                );
            }
        })
    };
    let body = match &computed {
        None => html! { <p class="muted">{ "The run is being computed…" }</p> },
        Some(v) => html! { <>
            { for v.blocks.iter().enumerate().map(|(i, b)| {
                let (shown, hidden) = vl::tail(&b.text, SHOWN_LINES);
                html! {
                    <figure class="lens__block">
                        <figcaption>{ &b.caption }</figcaption>
                        <code class="lens__cmd">{ format!("$ {}", b.command) }</code>
                        <pre class="lens__out" id={format!("lens-out-{i}")} tabindex="0"
                            aria-label={b.caption.clone()}>{ shown }</pre>
                        { if hidden > 0 { html! {
                            <p class="lens__more muted">{ format!("{hidden} earlier lines are in the download.") }</p>
                        } } else { html! {} } }
                    </figure>
                }
            }) }
        </> },
    };
    let figures = computed
        .as_ref()
        .map(|v| v.figures_attr())
        .unwrap_or_default();
    let at = computed
        .as_ref()
        .map(|v| v.at.micros().to_string())
        .unwrap_or_default();
    html! {
        <section id="panel-lens" class="panel lens" aria-label="Lens: what each team could see"
            data-lens={lens.name()} data-figures={figures} data-at-us={at} data-whole-run={whole.to_string()}>
            <div class="lens__head">
                <h2>{ "What each team could see" }</h2>
                <button class="btn" id="lens-download" onclick={download} disabled={computed.is_none()}
                    title="Download what this lens shows, every line up to the clock">{ "Download" }</button>
            </div>
            <div class="lens__switch" role="group" aria-label="Lens">{ for buttons }</div>
            <p class="lens__order muted">{ "Numbered in the order the responders looked (the guided investigation's order); the kernel's counter was there all along. Panels this vantage point did not record are dimmed." }</p>
            { body }
        </section>
    }
}
