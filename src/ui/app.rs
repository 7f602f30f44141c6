//! The root component: the workers and the page's layout. The view state
//! and the contexts components read are in [`super::state`]; the animation
//! loop (the clock, the topology, the charts' cursors) in [`super::frame`];
//! the URL kept in step and the other effects in [`super::hooks`]; the
//! keyboard in [`super::keys`].
//!
//! The page never runs the simulation: [`super::page::Page`] holds what the
//! workers have streamed of the whole run, and every panel draws from it.

use super::frame;
use super::page::{Page, PageRef, Which};
use super::state::{initial_view, view_state, Action, Ctx, ViewCtx};
use super::{
    assumptions, charts, controls, embed, eventlog, exports, inspector, kernel, lab, lens, story,
    storymode, topology, tour, transport,
};
use super::{hooks, keys};
use crate::explain::compare;
use crate::scenario::url;
use crate::sim::time::SimTime;
use yew::prelude::*;

/// The root component.
#[component(App)]
pub fn app() -> Html {
    let init = use_memo((), |_| initial_view());
    let view = use_reducer(|| init.0.clone());
    let page: PageRef = use_mut_ref(|| Page::new(SimTime((init.1 * 1e6) as u64), init.2));
    let force = use_force_update();
    let topo_ref = use_node_ref();

    // The main run's worker, during the first render so that it loads
    // while the page renders: its replies update the page, which the
    // animation loop re-renders (at most every TICK_MS while a run streams
    // in, so the page's thread never spends a long task re-rendering).
    if !page.borrow().connected() {
        let p2 = page.clone();
        Page::connect(&page, move |which: Which, reply| {
            p2.borrow_mut().on_reply(which, reply);
        });
    }
    // A new scenario: a new run, keeping the clock; and the compared run,
    // the preset alone on the reader's seed. Asked for while rendering (both
    // calls do nothing when the runs are already these), so that no panel
    // ever renders the superseded run beside the new scenario.
    {
        let mut p = page.borrow_mut();
        p.run(&view.scenario);
        let partner = view
            .compare
            .as_deref()
            .map(|c| compare::partner(&view.scenario, c));
        p.run_compare(partner.as_ref());
    }

    // The animation loop: the clock, the topology, the charts' cursors;
    // components re-render when the page's version moved.
    frame::use_frame_loop(&page, &force, &topo_ref, view.selected);

    let version = page.borrow().version;
    let refresh = {
        let page = page.clone();
        let force = force.clone();
        (*use_memo((), move |_| {
            Callback::from(move |_| {
                page.borrow_mut().version += 1;
                force.force_update();
            })
        }))
        .clone()
    };

    hooks::use_url_sync(&page, &view, version);
    hooks::use_resize();
    keys::use_keyboard(&page, &view, &force);

    let ctx = Ctx {
        page: page.clone(),
        tick: version,
        view: view.clone(),
        refresh: refresh.clone(),
    };
    let vctx = ViewCtx {
        page: page.clone(),
        view: view.clone(),
        refresh,
    };
    let focus = |id: &str| -> Classes {
        let dim = lens::dim(&view, id);
        if view.panel.as_deref() == Some(id) {
            classes!("panel", "panel--focus", dim)
        } else {
            classes!("panel", dim)
        }
    };
    let mut messages = view.errors.clone();
    messages.extend(page.borrow().errors.iter().cloned());
    let errors = if messages.is_empty() {
        html! {}
    } else {
        let dismiss = {
            let view = view.clone();
            let page = page.clone();
            let force = force.clone();
            Callback::from(move |_| {
                page.borrow_mut().errors.clear();
                view.dispatch(Action::DismissErrors);
                force.force_update();
            })
        };
        html! {
            <div class="banner" role="alert">
                <ul>{ for messages.iter().map(|e| html! { <li>{ e.clone() }</li> }) }</ul>
                <button class="btn" onclick={dismiss} aria-label="Dismiss messages">{ "Dismiss" }</button>
            </div>
        }
    };

    hooks::use_kernel_embed_pick(&page, &view);

    // Story mode, on its own or embedded (`embed=story`).
    if view.story || view.embed.as_deref() == Some("story") {
        // From the page, the link leaves the story; from an iframe it opens it.
        let mut vs = view_state(&view, &page.borrow());
        vs.story = false;
        let full = format!("?{}", url::full_page_query(&vs));
        return html! {
            <ContextProvider<Ctx> context={ctx}>
            <ContextProvider<ViewCtx> context={vctx}>
                <storymode::StoryMode topo={topo_ref.clone()} embedded={view.embed.is_some()} {full} {errors} />
            </ContextProvider<ViewCtx>>
            </ContextProvider<Ctx>>
        };
    }
    if let Some(id) = view.embed.clone() {
        let full = format!(
            "?{}",
            url::full_page_query(&view_state(&view, &page.borrow()))
        );
        return html! {
            <ContextProvider<Ctx> context={ctx}>
            <ContextProvider<ViewCtx> context={vctx}>
                { embed::body(&id, full, errors, &topo_ref) }
            </ContextProvider<ViewCtx>>
            </ContextProvider<Ctx>>
        };
    }

    let help = if view.help {
        transport::help_overlay(&view)
    } else {
        html! {}
    };
    html! {
        <ContextProvider<Ctx> context={ctx}>
        <ContextProvider<ViewCtx> context={vctx}>
            <div class="app">
                <header class="app__header">
                    <div class="app__title">
                        <h1>{ "It's not DNS" }</h1>
                        <span class="app__subtitle">{ "a Kubernetes rollout outage, packet by packet" }</span>
                    </div>
                    <div class="app__tools">
                        <exports::Exports />
                        <lens::LensSwitch />
                        <embed::EmbedButton />
                        <super::sweep::SweepButton />
                        <button class="btn" aria-label="Keyboard shortcuts" onclick={ let v = view.clone(); Callback::from(move |_| v.dispatch(Action::Help(true))) }>{ "?" }</button>
                    </div>
                </header>
                <story::Story />
                { errors }
                <transport::Transport compact={false} />
                <tour::Tour />
                <lens::LensPanel below={false} />
                <main class="grid">
                    <section id="panel-topology" class={classes!(focus("topology"), "area-topology")} inert={lens::inert(&view, "topology")} aria-label="Topology">
                        <topology::Topology canvas={topo_ref.clone()} />
                    </section>
                    <section id="panel-controls" class={classes!(focus("controls"), "area-controls")} inert={lens::inert(&view, "controls")} aria-label="What-if controls">
                        <controls::Controls />
                    </section>
                    <section id="panel-kernel" class={classes!(focus("kernel"), "area-kernel")} inert={lens::inert(&view, "kernel")} aria-label="Kernel step-through">
                        <kernel::KernelStepThrough />
                    </section>
                    <section id="panel-inspector" class={classes!(focus("inspector"), "area-inspector")} inert={lens::inert(&view, "inspector")} aria-label="Packet inspector">
                        <inspector::Inspector />
                    </section>
                    <section id="panel-charts" class={classes!(focus("charts"), "area-charts")} inert={lens::inert(&view, "charts")} aria-label="Charts">
                        <charts::Charts />
                    </section>
                    <section id="panel-log" class={classes!(focus("log"), "area-log")} inert={lens::inert(&view, "log")} aria-label="Event log">
                        <eventlog::EventLog />
                    </section>
                    <section id="panel-assumptions" class={classes!(focus("assumptions"), "area-assumptions")} inert={lens::inert(&view, "assumptions")} aria-label="Assumptions">
                        <assumptions::Assumptions />
                    </section>
                    <section id="panel-lab" class={classes!(focus("lab"), "area-lab")} inert={lens::inert(&view, "lab")} aria-label="Lab terminal">
                        <lab::LabTerminal />
                    </section>
                </main>
                <lens::LensPanel below={true} />
                { help }
            </div>
        </ContextProvider<ViewCtx>>
        </ContextProvider<Ctx>>
    }
}
