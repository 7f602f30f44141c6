//! The Assumptions panel: the quantities the post and the sources leave
//! open (`scenario::assumptions`), each with its plausible range, the
//! reasoning, the charts and calibration rows that depend on it, and one
//! click to rerun the scenario with it at either end of the range.

use super::state::{Action, ViewCtx as Ctx};
use crate::scenario::assumptions::ASSUMPTIONS;
use crate::scenario::catalog;
use yew::prelude::*;

/// The ids of the assumptions a chart depends on (for the charts' badges).
pub fn for_chart(chart: &str) -> Vec<&'static str> {
    ASSUMPTIONS
        .iter()
        .filter(|a| a.charts.contains(&chart))
        .map(|a| a.key)
        .collect()
}

/// The panel.
#[component(Assumptions)]
pub fn assumptions() -> Html {
    let ctx = use_context::<Ctx>().expect("context");
    let sc = ctx.view.scenario.clone();
    let current = sc.params().unwrap_or_default();
    let rows = ASSUMPTIONS.iter().map(|a| {
        let spec = catalog::spec(a.key);
        let label = spec.map(|s| s.label).unwrap_or(a.key);
        let value = spec.map(|s| (s.get)(&current)).unwrap_or_default();
        let shown = |v: &str| spec.map(|s| s.display(v)).unwrap_or_else(|| v.to_string());
        let default = a.default_value();
        let set = |v: &'static str| {
            let view = ctx.view.clone();
            let key = a.key;
            Callback::from(move |_| view.dispatch(Action::SetParam(key.to_string(), v.to_string())))
        };
        let reset = {
            let view = ctx.view.clone();
            let key = a.key;
            let d = default.clone();
            Callback::from(move |_| view.dispatch(Action::SetParam(key.to_string(), d.clone())))
        };
        let btn = |v: &'static str, which: &str| {
            let on = value == v;
            html! {
                <button class={classes!("chip", on.then_some("chip--on"))} aria-pressed={on.to_string()}
                    id={format!("assume-{}-{which}", a.key)} onclick={set(v)}>{ format!("{which}: {}", shown(v)) }</button>
            }
        };
        let changed = value != default;
        html! {
            <li class={classes!("assumption", changed.then_some("assumption--changed"))} id={format!("assumption-{}", a.key)}>
                <div class="assumption__head">
                    <strong>{ label }</strong>{ " " }<code>{ a.key }</code>
                    <span class="muted">{ format!(" = {}", shown(&value)) }{ if changed { format!(" (the model's default: {})", shown(&default)) } else { " (the model's default)".to_string() } }</span>
                </div>
                <div class="assumption__why">{ a.reasoning }{ ". " }<span class="muted">{ a.source }</span></div>
                <div class="controls__row">
                    { btn(a.low, "low") }
                    { btn(a.high, "high") }
                    { if changed { html! { <button class="btn" onclick={reset}>{ "default" }</button> } } else { html! {} } }
                </div>
                <div class="assumption__deps muted">
                    { "charts: " }
                    { for a.charts.iter().map(|c| html! { <a class="assumption__chart" href={format!("#chart-{c}")}>{ *c }</a> }) }
                    { format!(" · calibration rows: {}", a.rows.join(", ")) }
                </div>
            </li>
        }
    });
    html! {
        <>
            <h2>{ "Assumptions" }</h2>
            <p class="muted">{ "What the post and the sources leave open, and what rests on it. Each button reruns the scenario with the assumption at one end of its plausible range; the charts marked with it change. `incident-sim sensitivity` does the same for the calibration table (docs/model.md)." }</p>
            <ul class="assumptions" id="assumptions">{ for rows }</ul>
        </>
    }
}
