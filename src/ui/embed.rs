//! One panel alone, for an iframe in a postmortem (`embed=NAME`), and the
//! "Embed" button that writes that iframe. Story mode's stage shows its
//! chapters' panels with the same [`panel`].

use super::page::PageRef;
use super::state::{view_state, Action, Ctx, ViewCtx};
use super::{
    assumptions, charts, controls, eventlog, inspector, kernel, lab, topology, tour, transport,
};
use crate::scenario::url;
use crate::sim::time::SimTime;
use crate::viz::timeline;
use yew::prelude::*;

/// What an embed's heading calls its panel.
pub fn title(id: &str) -> String {
    match id {
        "topology" => "Topology".into(),
        "timeline" => "Timeline of notable events".into(),
        "controls" => "What-if controls".into(),
        "kernel" => "Kernel step-through".into(),
        "inspector" => "Packet inspector".into(),
        "log" => "Event log".into(),
        "charts" => "What the responders saw".into(),
        "lab" => "Lab terminal".into(),
        "tour" => "Guided investigation".into(),
        "assumptions" => "Assumptions".into(),
        "compare" => "The incident beside a fix".into(),
        other => match other.strip_prefix("chart:") {
            Some(c) => format!("Chart {c}"),
            None => "Topology".into(),
        },
    }
}

/// The preset `embed=compare` compares with when the link names none: the
/// fix the post ends with.
const DEFAULT_PARTNER: &str = "fix-default-backoff";

/// An embed: the panel, the clock, and a last line with the link to the
/// whole page at the same state and a compact `<h1>` naming the panel (a
/// page needs a heading of the first level). That line comes first in the
/// document and is drawn last (CSS `order`), so the heading opens the page
/// for a screen reader and costs the panel no height of its own.
pub fn body(id: &str, full: String, errors: Html, topo: &NodeRef) -> Html {
    html! {
        <main class="embed">
            <div class="embed__foot">
                <h1 class="embed__title">{ title(id) }<span class="muted">{ " · It's not DNS" }</span></h1>
                <a class="embed__full" id="embed-full" href={full} target="_blank" rel="noopener">{ "Open the whole page ↗" }</a>
            </div>
            { errors }
            { panel(id, topo) }
            <transport::Transport compact={true} />
        </main>
    }
}

/// One panel alone. It scrolls inside its frame, so it takes the focus:
/// the keyboard scrolls it too.
pub fn panel(id: &str, topo: &NodeRef) -> Html {
    let section = |label: &'static str, inner: Html| {
        html! { <section class="panel" tabindex="0" aria-label={label}>{ inner }</section> }
    };
    match id {
        "topology" => section(
            "Topology",
            html! { <topology::Topology canvas={topo.clone()} /> },
        ),
        "controls" => section("What-if controls", html! { <controls::Controls /> }),
        "kernel" => section(
            "Kernel step-through",
            html! { <kernel::KernelStepThrough /> },
        ),
        "inspector" => section("Packet inspector", html! { <inspector::Inspector /> }),
        "log" => section("Event log", html! { <eventlog::EventLog /> }),
        "lab" => section("Lab terminal", html! { <lab::LabTerminal /> }),
        "charts" => section("Charts", html! { <charts::Charts /> }),
        "assumptions" => section("Assumptions", html! { <assumptions::Assumptions /> }),
        "timeline" => section("Timeline", html! { <Events /> }),
        // The guided investigation's card above the panel its step is about.
        "tour" => section(
            "Guided investigation",
            html! { <TourEmbed topo={topo.clone()} /> },
        ),
        // The charts with the compared run drawn dashed on each.
        "compare" => section(
            "Charts compared",
            html! { <><ComparePartner /><charts::Charts /></> },
        ),
        other => match other.strip_prefix("chart:") {
            Some(chart) if crate::viz::charts::CHART_IDS.contains(&chart) => section(
                "Chart",
                html! { <charts::Charts only={Some(AttrValue::from(chart.to_string()))} /> },
            ),
            Some(chart) => section(
                "Chart",
                html! {
                    <p class="banner" role="alert">{ format!(
                        "There is no chart {chart:?}. Charts: {}.",
                        crate::viz::charts::CHART_IDS.join(", ")
                    ) }</p>
                },
            ),
            None => section(
                "Topology",
                html! { <topology::Topology canvas={topo.clone()} /> },
            ),
        },
    }
}

/// A panel's content without its own box (inside another panel).
fn panel_inner(id: &str, topo: &NodeRef) -> Html {
    match id {
        "controls" => html! { <controls::Controls /> },
        "kernel" => html! { <kernel::KernelStepThrough /> },
        "inspector" => html! { <inspector::Inspector /> },
        "log" => html! { <eventlog::EventLog /> },
        "lab" => html! { <lab::LabTerminal /> },
        "charts" => html! { <charts::Charts /> },
        "assumptions" => html! { <assumptions::Assumptions /> },
        _ => html! { <topology::Topology canvas={topo.clone()} /> },
    }
}

/// Props of [`TourEmbed`].
#[derive(Properties, PartialEq)]
struct TourProps {
    topo: NodeRef,
}

/// `embed=tour`: the guided investigation's card above the panel its step
/// is about (the topology before it starts), since the frame has no page
/// to scroll to.
#[component(TourEmbed)]
fn tour_embed(props: &TourProps) -> Html {
    let ctx = use_context::<ViewCtx>().expect("context");
    html! {
        <>
            <tour::Tour />
            { panel_inner(tour::panel_of(ctx.view.tour), &props.topo) }
        </>
    }
}

/// `embed=compare` with no partner in its link compares with
/// [`DEFAULT_PARTNER`].
#[component(ComparePartner)]
fn compare_partner() -> Html {
    let ctx = use_context::<ViewCtx>().expect("context");
    let none = ctx.view.compare.is_none();
    let view = ctx.view.clone();
    use_effect_with(none, move |none| {
        if *none {
            view.dispatch(Action::Compare(Some(DEFAULT_PARTNER.into())));
        }
        || ()
    });
    html! {}
}

/// The run's notable events (the scrubber's marks, in words), each a button
/// that moves the clock there; the one at or before the clock is marked.
#[component(Events)]
fn events() -> Html {
    let ctx = use_context::<Ctx>().expect("context");
    let p = ctx.page.borrow();
    let now = p.clock.t;
    let marks = p
        .record()
        .map(|r| timeline::marks(&r.events))
        .unwrap_or_default();
    drop(p);
    let current = marks.iter().rposition(|m| m.at <= now);
    let go = |page: PageRef, refresh: Callback<()>, at: SimTime| {
        Callback::from(move |_: MouseEvent| {
            let mut p = page.borrow_mut();
            p.clock.playing = false;
            p.seek(at);
            drop(p);
            refresh.emit(());
        })
    };
    html! {
        <>
            <h2>{ "Notable events" }</h2>
            { if marks.is_empty() { html! { <p class="muted">{ "Computing the run…" }</p> } } else { html! {} } }
            <ol class="events" id="events">
                { for marks.iter().enumerate().map(|(i, m)| html! {
                    <li class={classes!("events__row", (current == Some(i)).then_some("events__row--now"))} data-kind={m.class}
                        aria-current={ (current == Some(i)).then_some("time") }>
                        <button class="linkish" onclick={go(ctx.page.clone(), ctx.refresh.clone(), m.at)}>
                            { crate::format::clock(m.at).trim_start_matches("t = ").to_string() }
                        </button>
                        { " " }{ m.text.clone() }
                    </li>
                }) }
            </ol>
        </>
    }
}

/// "Embed": the `<iframe>` for the highlighted panel (the topology if none)
/// at this moment, ready to paste into a postmortem.
#[component(EmbedButton)]
pub fn embed_button() -> Html {
    let ctx = use_context::<ViewCtx>().expect("context");
    let open = use_state(|| None::<String>);
    let onclick = {
        let open = open.clone();
        let page = ctx.page.clone();
        let view = ctx.view.clone();
        Callback::from(move |_| {
            let w = web_sys::window();
            let here = w
                .as_ref()
                .and_then(|w| w.location().href().ok())
                .unwrap_or_default();
            let base = here.split(['?', '#']).next().unwrap_or("").to_string();
            let panel = view.panel.clone().unwrap_or_else(|| "topology".into());
            let snippet = url::embed_snippet(&base, &view_state(&view, &page.borrow()), &panel);
            if let Some(w) = w {
                let _ = w.navigator().clipboard().write_text(&snippet);
            }
            open.set(Some(snippet));
        })
    };
    let close = {
        let open = open.clone();
        Callback::from(move |_| open.set(None))
    };
    html! {
        <>
            <button class="btn" id="embed" title="The iframe for the highlighted panel at this moment" {onclick}>{ "Embed" }</button>
            { match &*open {
                Some(snippet) => html! {
                    <div class="overlay" role="dialog" aria-modal="true" aria-label="Embed this panel">
                        <div class="overlay__card">
                            <h2>{ "Embed this panel" }</h2>
                            <p class="muted">{ "Copied to the clipboard. Highlight another panel (the guided investigation or a panel link) to embed it instead." }</p>
                            <textarea id="embed-snippet" rows="4" readonly=true value={snippet.clone()} aria-label="iframe snippet" />
                            <button class="btn" onclick={close} autofocus=true>{ "Close" }</button>
                        </div>
                    </div>
                },
                None => html! {},
            } }
        </>
    }
}
