//! The sweep's set-up, compact: the figure, then each axis's parameter and
//! its values (a log or linear range with its steps, every integer, or a
//! list); a second axis is optional. The form only writes the axis syntax
//! (`scenario::sweep::form`), which the same checks as `--vary` accept or
//! refuse with the catalog's message.

use super::super::util::input_value;
use crate::scenario::sweep::form::{keys, numeric, AxisForm, Mode};
use crate::scenario::sweep::{Axis, Metric, Sweep};
use crate::scenario::Scenario;
use yew::prelude::*;

/// The form's properties.
#[derive(Properties, PartialEq)]
pub struct Props {
    /// The scenario every cell starts from.
    pub base: Scenario,
    /// The sweep shown (the form starts from it).
    pub sweep: Option<Sweep>,
    /// Folded behind a summary (embed mode).
    pub compact: bool,
    /// A checked sweep to run.
    pub on_apply: Callback<Sweep>,
}

/// What the form holds.
#[derive(Clone, PartialEq)]
struct State {
    metric: Metric,
    axes: [Option<AxisForm>; 2],
    error: Option<String>,
}

impl State {
    fn of(sweep: Option<&Sweep>) -> State {
        match sweep {
            Some(s) => State {
                metric: s.metric,
                axes: [
                    s.axes.first().map(AxisForm::of),
                    s.axes.get(1).map(AxisForm::of),
                ],
                error: None,
            },
            None => {
                let axes: Vec<Axis> = Sweep::parse_axes(super::DEFAULT_AXES).unwrap_or_default();
                State {
                    metric: Metric::ALL[0],
                    axes: [
                        axes.first().map(AxisForm::of),
                        axes.get(1).map(AxisForm::of),
                    ],
                    error: None,
                }
            }
        }
    }
}

/// An edit to one field of axis `i`.
fn edit(
    state: &UseStateHandle<State>,
    i: usize,
    f: impl Fn(&mut AxisForm, String) + 'static,
) -> Callback<Event> {
    let state = state.clone();
    Callback::from(move |e: Event| {
        let mut s = (*state).clone();
        if let Some(a) = s.axes[i].as_mut() {
            f(a, input_value(&e));
        }
        s.error = None;
        state.set(s);
    })
}

fn axis_fields(state: &UseStateHandle<State>, i: usize) -> Html {
    let id = |f: &str| format!("sweep-a{i}-{f}");
    let current = state.axes[i].clone();
    let on_key = {
        let state = state.clone();
        Callback::from(move |e: Event| {
            let k = input_value(&e);
            let mut s = (*state).clone();
            s.axes[i] = (!k.is_empty()).then(|| AxisForm::suggest(&k));
            s.error = None;
            state.set(s);
        })
    };
    let selected = current.as_ref().map_or("", |a| a.key.as_str()).to_string();
    let legend = if i == 0 { "Columns" } else { "Rows (optional)" };
    let key_select = html! {
        <label>{ "parameter " }
            <select id={id("key")} onchange={on_key}>
                if i == 1 { <option value="" selected={selected.is_empty()}>{ "(none)" }</option> }
                { for keys().into_iter().map(|k| html! { <option value={k} selected={k == selected}>{ k }</option> }) }
            </select>
        </label>
    };
    let Some(a) = current else {
        return html! { <fieldset class="sweep-form__axis"><legend>{ legend }</legend>{ key_select }</fieldset> };
    };
    let modes: Vec<Mode> = if numeric(&a.key) {
        Mode::ALL.to_vec()
    } else {
        vec![Mode::List]
    };
    let values = if a.mode == Mode::List {
        html! {
            <label>{ "values " }
                <input id={id("list")} class="sweep-form__list" value={a.list.clone()} onchange={edit(state, i, |a, v| a.list = v)} />
            </label>
        }
    } else {
        html! {
            <>
                <label>{ "from " }<input id={id("from")} class="sweep-form__num" inputmode="numeric" value={a.from.clone()} onchange={edit(state, i, |a, v| a.from = v)} /></label>
                <label>{ "to " }<input id={id("to")} class="sweep-form__num" inputmode="numeric" value={a.to.clone()} onchange={edit(state, i, |a, v| a.to = v)} /></label>
                if a.mode != Mode::Each {
                    <label>{ "steps " }<input id={id("steps")} class="sweep-form__steps" inputmode="numeric" value={a.steps.clone()} onchange={edit(state, i, |a, v| a.steps = v)} /></label>
                }
            </>
        }
    };
    html! {
        <fieldset class="sweep-form__axis">
            <legend>{ legend }</legend>
            { key_select }
            <label>{ "as " }
                <select id={id("mode")} onchange={edit(state, i, |a, v| a.mode = Mode::parse(&v))}>
                    { for modes.into_iter().map(|m| html! { <option value={m.name()} selected={m == a.mode}>{ m.label() }</option> }) }
                </select>
            </label>
            { values }
        </fieldset>
    }
}

/// The form.
#[component(SweepForm)]
pub fn sweep_form(props: &Props) -> Html {
    let state = use_state(|| State::of(props.sweep.as_ref()));
    {
        // A sweep set elsewhere (a fresh load) shows in the form.
        let state = state.clone();
        use_effect_with(props.sweep.clone(), move |s| {
            let mine = State::of(s.as_ref());
            if s.is_some() && state.axes != mine.axes {
                state.set(mine);
            }
            || ()
        });
    }
    let on_metric = {
        let state = state.clone();
        Callback::from(move |e: Event| {
            let mut s = (*state).clone();
            if let Ok(m) = Metric::parse(&input_value(&e)) {
                s.metric = m;
            }
            state.set(s);
        })
    };
    let onsubmit = {
        let (state, base, apply) = (state.clone(), props.base.clone(), props.on_apply.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let axes: Result<Vec<Axis>, String> =
                state.axes.iter().flatten().map(AxisForm::axis).collect();
            match axes.and_then(|a| Sweep::new(base.clone(), a, state.metric)) {
                Ok(s) => apply.emit(s),
                Err(err) => {
                    let mut s = (*state).clone();
                    s.error = Some(err);
                    state.set(s);
                }
            }
        })
    };
    let base = if props.base.set.is_empty() {
        format!("preset {}, seed {}", props.base.preset, props.base.seed)
    } else {
        let set: Vec<String> = props
            .base
            .set
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        format!(
            "preset {}, seed {}, {}",
            props.base.preset,
            props.base.seed,
            set.join(", ")
        )
    };
    let form = html! {
        <form class="sweep-form" id="sweep-form" {onsubmit}>
            <label>{ "figure " }
                <select id="sweep-metric" onchange={on_metric}>
                    { for Metric::ALL.into_iter().map(|m| html! { <option value={m.name()} selected={m == state.metric}>{ m.name() }</option> }) }
                </select>
            </label>
            { axis_fields(&state, 0) }
            { axis_fields(&state, 1) }
            <button class="btn btn--primary" id="sweep-apply" type="submit">{ "Run sweep" }</button>
            <span class="muted sweep-form__base">{ format!("over {base}") }</span>
            if let Some(e) = &state.error {
                <p class="sweep-form__error" id="sweep-form-error" role="alert">{ e.clone() }</p>
            }
        </form>
    };
    if props.compact {
        html! { <details class="sweep-form__fold"><summary>{ "Set up the sweep" }</summary>{ form }</details> }
    } else {
        form
    }
}
