//! What-if controls: every parameter, grouped by layer, with the presets one
//! click away and a mark on each value that differs from the incident.

use super::state::{Action, ViewCtx as Ctx};
use super::util;
use crate::scenario::catalog::{Kind, PARAMS};
use crate::scenario::presets::PRESETS;
use crate::sim::params::Params;
use yew::prelude::*;

const GROUPS: &[(&str, &str)] = &[
    ("grpc", "gRPC clients"),
    ("kernel", "Linux node"),
    ("aws", "AWS"),
    ("dns", "DNS"),
    ("nodelocaldns", "node-local-dns"),
    ("rollout", "Rollout"),
    ("service", "Service and users"),
    ("run", "Run"),
    ("trace", "Display sampling"),
];

/// The controls panel.
#[component(Controls)]
pub fn controls() -> Html {
    let ctx = use_context::<Ctx>().expect("context");
    let open = use_state(|| "grpc".to_string());
    let view = ctx.view.clone();
    let sc = view.scenario.clone();
    let current = sc.params().unwrap_or_default();
    let incident = Params::default();
    let differs = sc.differences();

    let presets = PRESETS.iter().map(|p| {
        let view = view.clone();
        let name = p.name;
        let active = sc.preset == name && sc.set.is_empty();
        html! {
            <button class={classes!("chip", active.then_some("chip--on"))} title={p.description}
                aria-pressed={active.to_string()} id={format!("preset-{name}")}
                onclick={Callback::from(move |_| view.dispatch(Action::SetPreset(name.to_string())))}>{ name }</button>
        }
    });

    let group_html = GROUPS.iter().map(|(g, title)| {
        let items: Vec<Html> = PARAMS.iter().filter(|s| s.group == *g).map(|s| {
            let key = s.key;
            let value = (s.get)(&current);
            let default = (s.get)(&incident);
            let changed = differs.contains(&key);
            let id = format!("param-{key}");
            let input = match s.kind {
                Kind::Bool => {
                    let view = view.clone();
                    let onchange = Callback::from(move |e: Event| {
                        view.dispatch(Action::SetParam(key.to_string(), util::input_checked(&e).to_string()));
                    });
                    html! { <input type="checkbox" id={id.clone()} checked={value == "true"} onchange={onchange} /> }
                }
                Kind::Enum(opts) => {
                    let view = view.clone();
                    let onchange = Callback::from(move |e: Event| view.dispatch(Action::SetParam(key.to_string(), util::input_value(&e))));
                    html! {
                        <select id={id.clone()} onchange={onchange}>
                            { for opts.iter().map(|o| html! { <option value={*o} selected={*o == value}>{ *o }</option> }) }
                        </select>
                    }
                }
                Kind::Int { min, max } => {
                    let view = view.clone();
                    let onchange = Callback::from(move |e: Event| {
                        let v = util::input_value(&e);
                        view.dispatch(Action::SetParam(key.to_string(), v));
                    });
                    let slider = max - min <= 2_000;
                    html! {
                        <input type={ if slider { "range" } else { "number" } } id={id.clone()} min={min.to_string()} max={max.to_string()}
                            value={value.clone()} onchange={onchange} />
                    }
                }
            };
            html! {
                <div class={classes!("param", changed.then_some("param--changed"))} title={s.source}>
                    <label for={id}>
                        { s.label }
                        { if changed { html! { <span class="param__diff" aria-label={format!("differs from the incident ({default})")}>{ format!(" ● incident: {default}") }</span> } } else { html! {} } }
                    </label>
                    <div class="param__input">
                        { input }
                        <output>{ s.display(&value) }</output>
                    </div>
                </div>
            }
        }).collect();
        let is_open = *open == *g;
        let n_changed = PARAMS.iter().filter(|s| s.group == *g && differs.contains(&s.key)).count();
        let toggle = {
            let open = open.clone();
            let g = g.to_string();
            Callback::from(move |_| open.set(g.clone()))
        };
        html! {
            <div class="group">
                <button class="group__head" aria-expanded={is_open.to_string()} onclick={toggle}>
                    { *title }{ if n_changed > 0 { format!("  ● {n_changed} changed") } else { String::new() } }
                </button>
                { if is_open { html! { <div class="group__body">{ for items }</div> } } else { html! {} } }
            </div>
        }
    });

    let seed_change = {
        let view = view.clone();
        Callback::from(
            move |e: Event| match util::input_value(&e).trim().parse::<u64>() {
                Ok(s) => view.dispatch(Action::SetSeed(s)),
                Err(_) => view.dispatch(Action::Error("the seed must be a whole number".into())),
            },
        )
    };
    let reset = {
        let view = view.clone();
        Callback::from(move |_| view.dispatch(Action::ResetParams))
    };
    let json_text = use_state(String::new);
    let export_json = {
        let sc = sc.clone();
        let json_text = json_text.clone();
        Callback::from(move |_| {
            json_text.set(serde_json::to_string_pretty(&sc).unwrap_or_default())
        })
    };
    let on_json = {
        let json_text = json_text.clone();
        Callback::from(move |e: InputEvent| json_text.set(util::input_value(&e)))
    };
    let import_json = {
        let view = view.clone();
        let json_text = json_text.clone();
        Callback::from(move |_| {
            match serde_json::from_str::<crate::scenario::Scenario>(&json_text) {
                Ok(sc) => match sc.params() {
                    Ok(_) => view.dispatch(Action::SetScenario(sc)),
                    Err(e) => view.dispatch(Action::Error(format!("imported scenario: {e}"))),
                },
                Err(e) => view.dispatch(Action::Error(format!(
                    "imported scenario is not valid JSON: {e}"
                ))),
            }
        })
    };
    html! {
        <>
            <h2>{ "What if…" }</h2>
            <div class="presets" role="group" aria-label="Presets">{ for presets }</div>
            <div class="controls__row">
                <label for="seed">{ "Seed " }</label>
                <input id="seed" type="number" min="0" value={sc.seed.to_string()} onchange={seed_change} />
                <button class="btn" onclick={reset} disabled={sc.set.is_empty()}>{ "Reset to preset" }</button>
            </div>
            { for group_html }
            <details class="scenario-json">
                <summary>{ "Scenario as JSON (export / import)" }</summary>
                <textarea id="scenario-json" rows="6" aria-label="Scenario JSON" value={(*json_text).clone()} oninput={on_json} />
                <div class="controls__row">
                    <button class="btn" onclick={export_json}>{ "Show current" }</button>
                    <button class="btn" id="scenario-import" onclick={import_json}>{ "Import" }</button>
                </div>
            </details>
        </>
    }
}
