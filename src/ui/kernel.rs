//! The kernel step-through of one SYN: the worker walks it through
//! `ip_route_input_slow` and `fib_validate_source` on its node's namespace
//! as it was when the packet arrived (`explain::kernel`), and this panel
//! shows the walk one step per click. Toggling a kernel control asks for
//! the same packet on a changed copy of that namespace. A packet that never
//! reached the node's kernel says where it ended instead.

use super::state::{Action, Ctx};
use crate::explain::kernel::{self, StepView, Toggles};
use crate::sim::trace::PacketKind;
use yew::prelude::*;

fn step_html(i: usize, s: &StepView) -> Html {
    let next = if s.next.is_empty() {
        html! {}
    } else if s.returns {
        html! { <span class="step__next step__next--ret">{ format!("→ {}", s.next) }</span> }
    } else {
        html! { <span class="step__next">{ format!("→ {}", s.next) }</span> }
    };
    html! {
        <li class="step" tabindex="-1">
            <div class="step__head"><span class="step__n">{ i + 1 }</span><code>{ s.function.clone() }</code>{ next }</div>
            <div class="step__text">{ s.text.clone() }</div>
            { if s.values.is_empty() { html! {} } else { html! {
                <dl class="step__values">{ for s.values.iter().map(|(k, v)| html! { <><dt>{ k.clone() }</dt><dd>{ v.clone() }</dd></> }) }</dl>
            } } }
            <div class="step__src">{ s.location.clone() }</div>
        </li>
    }
}

/// The step-through panel.
#[component(KernelStepThrough)]
pub fn kernel_step_through() -> Html {
    let ctx = use_context::<Ctx>().expect("context");
    let toggles = ctx.view.toggles;
    let steps_ref = use_node_ref();
    // The newest step comes into view and takes the keyboard focus whenever
    // the reader takes a step, so the checks that decide (no_addr,
    // last_resort, e_rpf) are never out of sight.
    let last_count = use_mut_ref(|| 0u32);
    {
        let list = steps_ref.clone();
        use_effect(move || {
            let count = list
                .cast::<web_sys::Element>()
                .map(|l| l.child_element_count())
                .unwrap_or(0);
            let last = *last_count.borrow();
            if count != last {
                *last_count.borrow_mut() = count;
                // Only a step taken (not a new packet or "show all").
                let stepped = last > 0 && count == last + 1;
                if let Some(el) = list
                    .cast::<web_sys::Element>()
                    .and_then(|l| l.last_element_child())
                    .and_then(|e| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(e).ok())
                {
                    if stepped {
                        let opts = web_sys::ScrollIntoViewOptions::new();
                        opts.set_block(web_sys::ScrollLogicalPosition::Nearest);
                        el.scroll_into_view_with_scroll_into_view_options(&opts);
                        let _ = el.focus();
                    }
                }
            }
            || ()
        });
    }
    let view = ctx.view.clone();

    let pick = {
        let page = ctx.page.clone();
        let view = view.clone();
        let refresh = ctx.refresh.clone();
        Callback::from(move |_| {
            let mut p = page.borrow_mut();
            let t = p.clock.t;
            let found = p
                .record()
                .and_then(|r| r.syn_to_deleted_pod(t))
                .map(|q| (q.id, q.sent));
            match found {
                Some((id, sent)) => {
                    p.clock.playing = false;
                    if sent > t {
                        // None yet at this moment: the first one of the run.
                        p.seek(sent);
                    }
                    drop(p);
                    view.dispatch(Action::KernelStep(Some(1)));
                    view.dispatch(Action::Select(Some(id)));
                    view.dispatch(Action::Focus(Some("kernel".into())));
                    refresh.emit(());
                }
                None => {
                    drop(p);
                    view.dispatch(Action::Error(
                        "no SYN to a deleted pod's IP reached a node's kernel in this run".into(),
                    ));
                }
            }
        })
    };

    let page = ctx.page.borrow();
    let rec = page.record();
    let selected = view
        .selected
        .and_then(|id| rec.and_then(|r| r.packet(id)).copied());
    let gen = rec.map(|r| r.id().gen).unwrap_or(0);
    // Ask the worker for the walk of the selected SYN.
    {
        let page = ctx.page.clone();
        let want = selected
            .filter(kernel::reached_kernel)
            .map(|p| (gen, p.id, toggles));
        use_effect_with(want, move |w| {
            if let Some((_, id, t)) = w {
                page.borrow_mut().ask_walk(*id, *t);
            }
            || ()
        });
    }
    let header = html! { <h2>{ "Kernel step-through" }</h2> };
    let pick_btn = html! { <button class="btn btn--primary" id="next-deleted-syn" onclick={pick.clone()}>{ "Latest SYN to a deleted pod" }</button> };
    let Some(p) =
        selected.filter(|p| matches!(p.kind, PacketKind::Syn | PacketKind::SynRetransmit))
    else {
        let note = match selected {
            Some(q) => {
                kernel::before_kernel(&q, rec.map(|r| r.params()).unwrap_or(&Default::default()))
            }
            None => "Pick a SYN in the topology or the event log, or:".to_string(),
        };
        return html! { <>{ header }<p class="muted" id="kernel-note">{ note }</p>{ pick_btn }</> };
    };
    let packet_line = html! {
        <p class="kernel__packet">
            <code>{ format!("SYN {}:{} → {}:{}", p.src, p.sport, p.dst, p.dport) }</code>
            { format!(" arriving on node {} ens6 at {}", p.node, crate::format::sim_time_exact(p.arrives, 6)) }
        </p>
    };
    if !kernel::reached_kernel(&p) {
        let params = rec.map(|r| r.params().clone()).unwrap_or_default();
        return html! {
            <>
                { header }{ packet_line }
                <div class="verdict verdict--vpc" id="verdict"><strong>{ "Dropped by the VPC before the node" }</strong>
                    <div class="muted" id="kernel-note">{ kernel::before_kernel(&p, &params) }</div></div>
                { pick_btn }
            </>
        };
    }
    let Some(w) = page.walk_of(p.id, toggles).cloned() else {
        return html! { <>{ header }{ packet_line }<p class="muted" role="status">{ "Walking the packet through the node's kernel…" }</p></> };
    };
    drop(page);
    let steps = &w.steps;
    let n = view.kernel_step.unwrap_or(usize::MAX).min(steps.len());
    let more = n < steps.len();

    let step_btn = {
        let view = view.clone();
        Callback::from(move |_| view.dispatch(Action::KernelStep(Some((n + 1).max(1)))))
    };
    let all_btn = {
        let view = view.clone();
        Callback::from(move |_| view.dispatch(Action::KernelStep(None)))
    };
    let restart = {
        let view = view.clone();
        Callback::from(move |_| view.dispatch(Action::KernelStep(Some(1))))
    };
    let toggle_rp = |which: &'static str| {
        let view = view.clone();
        Callback::from(move |ev: Event| {
            let v: i32 = super::util::input_value(&ev).parse().unwrap_or(0);
            let mut t = toggles;
            if which == "all" {
                t.rp_all = Some(v);
            } else {
                t.rp_ens6 = Some(v);
            }
            view.dispatch(Action::Toggles(t));
        })
    };
    let toggle_bool = |which: &'static str| {
        let view = view.clone();
        Callback::from(move |ev: Event| {
            let v = super::util::input_checked(&ev);
            let mut t = toggles;
            if which == "addr" {
                t.ens6_addr = Some(v);
            } else {
                t.unreachable = Some(v);
            }
            view.dispatch(Action::Toggles(t));
        })
    };
    let changed = !toggles.is_default();
    let reset = {
        let view = view.clone();
        Callback::from(move |_| view.dispatch(Action::Toggles(Toggles::default())))
    };
    let sel = |v: i32, cur: i32| html! { <option value={v.to_string()} selected={v == cur}>{ v }</option> };
    html! {
        <>
            { header }{ packet_line }
            <p class="muted">{ format!("{} · ", w.kernel) }{ w.pod_state.clone().unwrap_or_default() }</p>
            <fieldset class="kernel__toggles">
                <legend>{ if changed { "Kernel controls (what-if on this packet)" } else { "Kernel controls" } }</legend>
                <label>{ "rp_filter all " }<select id="kt-rp-all" onchange={toggle_rp("all")}>{ sel(0, w.rp_all) }{ sel(1, w.rp_all) }{ sel(2, w.rp_all) }</select></label>
                <label>{ " ens6 " }<select id="kt-rp-ens6" onchange={toggle_rp("ens6")}>{ sel(0, w.rp_ens6) }{ sel(1, w.rp_ens6) }{ sel(2, w.rp_ens6) }</select></label>
                <label><input type="checkbox" id="kt-addr" checked={w.has_addr} onchange={toggle_bool("addr")} />{ " address on ens6" }</label>
                <label><input type="checkbox" id="kt-unreach" checked={w.has_unreachable} onchange={toggle_bool("unreach")} />{ " unreachable route" }</label>
                { if changed { html! { <button class="btn" onclick={reset}>{ "as simulated" }</button> } } else { html! {} } }
            </fieldset>
            <ol class="steps" id="steps" ref={steps_ref}>
                { for steps.iter().take(n).enumerate().map(|(i, s)| step_html(i, s)) }
            </ol>
            <div class="controls__row">
                { if more { html! { <button class="btn btn--primary" id="step-next" onclick={step_btn}>{ format!("Step ({}/{})", n, steps.len()) }</button> } } else { html! { <button class="btn" onclick={restart}>{ "Step from the start" }</button> } } }
                { if more { html! { <button class="btn" onclick={all_btn}>{ "Show all" }</button> } } else { html! {} } }
                <button class="btn" onclick={pick}>{ "Latest SYN to a deleted pod" }</button>
            </div>
            { if !more { html! {
                <div class={classes!("verdict", w.dropped.then_some("verdict--drop"))} id="verdict">
                    <strong>{ w.verdict.clone() }</strong>
                    <div class="muted">{ w.consequence.clone() }</div>
                </div>
            } } else { html! {} } }
        </>
    }
}
