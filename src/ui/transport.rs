//! Time control: play/pause, step, jump between notable events, speed from
//! 0.01× to 100×, and a scrubber with the rollout's markers. Seeking backwards
//! restores the nearest checkpoint and re-runs (deterministic, so exact).

use super::app::{Action, Ctx, EngineRef, View};
use super::util;
use crate::sim::time::SimTime;
use crate::sim::trace::Notable;
use yew::prelude::*;

/// Speed slider position (0..=400) ↔ speed 0.01..100 on a log scale.
fn speed_from_pos(pos: f64) -> f64 {
    let s = 10f64.powf(pos / 100.0 - 2.0);
    // Snap to a tidy value.
    let snaps: [f64; 13] = [
        0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0,
    ];
    *snaps
        .iter()
        .min_by(|a, b| (a.ln() - s.ln()).abs().total_cmp(&(b.ln() - s.ln()).abs()))
        .unwrap_or(&1.0)
}

fn pos_from_speed(s: f64) -> f64 {
    (s.max(0.01).log10() + 2.0) * 100.0
}

/// Times (µs) of notable events, in order.
fn notable_times(e: &EngineRef) -> Vec<u64> {
    e.borrow()
        .sim
        .trace
        .events
        .iter()
        .map(|x| x.at.micros())
        .collect()
}

/// Moves to the next (or previous) notable event.
pub fn jump_notable(engine: &EngineRef, forward: bool) {
    let times = notable_times(engine);
    let mut e = engine.borrow_mut();
    let now = e.target.micros();
    let t = if forward {
        times.iter().copied().find(|t| *t > now + 1_000)
    } else {
        times.iter().rev().copied().find(|t| *t + 1_000 < now)
    };
    match t {
        Some(t) => e.seek(SimTime(t)),
        None if forward => {
            // Nothing known ahead yet: run a minute ahead to discover more.
            let t = e.target + crate::sim::time::SimDuration::from_secs(60);
            e.seek(t);
        }
        None => e.seek(SimTime::ZERO),
    }
    e.playing = false;
}

/// Steps to the next (or previous) sampled packet or notable event and selects it.
pub fn step(engine: &EngineRef, view: &UseReducerHandle<View>, forward: bool) {
    let mut e = engine.borrow_mut();
    e.playing = false;
    let now = e.target.micros();
    let pk = &e.sim.trace.packets;
    let idx = crate::viz::topology::first_sent_at_or_after(pk, now + 1);
    let (t, sel) = if forward {
        match pk.get(idx) {
            Some(p) => (p.sent.micros(), Some(p.id)),
            None => (now + 100_000, None),
        }
    } else {
        let before = crate::viz::topology::first_sent_at_or_after(pk, now);
        match before.checked_sub(1).and_then(|i| pk.get(i)) {
            Some(p) => (p.sent.micros(), Some(p.id)),
            None => (now.saturating_sub(100_000), None),
        }
    };
    e.seek(SimTime(t));
    drop(e);
    if sel.is_some() {
        view.dispatch(Action::Select(sel));
    }
}

/// Keyboard shortcuts; true if the key was handled.
pub fn on_key(engine: &EngineRef, view: &UseReducerHandle<View>, key: &str, shift: bool) -> bool {
    match key {
        " " | "k" => {
            let mut e = engine.borrow_mut();
            if e.target >= e.end() {
                e.seek(SimTime::ZERO);
            }
            e.playing = !e.playing;
        }
        "ArrowRight" if shift => {
            let mut e = engine.borrow_mut();
            let t = e.target + crate::sim::time::SimDuration::from_secs(1);
            e.seek(t);
        }
        "ArrowLeft" if shift => {
            let mut e = engine.borrow_mut();
            let t = SimTime(e.target.micros().saturating_sub(1_000_000));
            e.seek(t);
        }
        "ArrowRight" => step(engine, view, true),
        "ArrowLeft" => step(engine, view, false),
        "n" => jump_notable(engine, true),
        "N" | "p" => jump_notable(engine, false),
        "]" => {
            let mut e = engine.borrow_mut();
            e.speed = speed_from_pos(pos_from_speed(e.speed) + 40.0);
        }
        "[" => {
            let mut e = engine.borrow_mut();
            e.speed = speed_from_pos(pos_from_speed(e.speed) - 40.0);
        }
        "?" => view.dispatch(Action::Help(!view.help)),
        "Escape" => {
            view.dispatch(Action::Help(false));
            view.dispatch(Action::Select(None));
        }
        _ => return false,
    }
    true
}

/// The shortcut overlay.
pub fn help_overlay(view: &UseReducerHandle<View>) -> Html {
    let close = {
        let v = view.clone();
        Callback::from(move |_| v.dispatch(Action::Help(false)))
    };
    let rows = [
        ("Space", "play / pause"),
        ("→ / ←", "next / previous packet or event (selects it)"),
        ("Shift+→ / Shift+←", "one simulated second forward / back"),
        (
            "n / N",
            "next / previous notable event (pod deleted, first martian, conntrack full…)",
        ),
        ("] / [", "faster / slower (0.01× to 100×)"),
        ("?", "this help"),
        ("Esc", "close, deselect"),
    ];
    html! {
        <div class="overlay" role="dialog" aria-modal="true" aria-label="Keyboard shortcuts">
            <div class="overlay__card">
                <h2>{ "Keyboard" }</h2>
                <table class="kv">
                    { for rows.iter().map(|(k, d)| html! { <tr><th><kbd>{ *k }</kbd></th><td>{ *d }</td></tr> }) }
                </table>
                <button class="btn" onclick={close} autofocus=true>{ "Close" }</button>
            </div>
        </div>
    }
}

/// Props of [`Transport`].
#[derive(Properties, PartialEq)]
pub struct TransportProps {
    /// A single-row variant for embeds.
    pub compact: bool,
}

/// The transport bar.
#[component(Transport)]
pub fn transport(props: &TransportProps) -> Html {
    let ctx = use_context::<Ctx>().expect("context");
    let force = use_force_update();
    let e = ctx.engine.borrow();
    let playing = e.playing;
    let t = e.target;
    let end = e.end();
    let speed = e.speed;
    let lag = e.lag();
    // Where the engine is (behind `t` while it catches up): for tests.
    let engine_s = format!("{:.3}", e.sim.now().as_secs_f64());
    let markers: Vec<(f64, &'static str, String)> = e
        .sim
        .trace
        .events
        .iter()
        .filter_map(|ev| {
            let cls = match ev.what {
                Notable::RolloutStarted | Notable::RolloutFinished => "mk--rollout",
                Notable::PodDeleted { .. } => "mk--delete",
                Notable::FirstMartian { .. } => "mk--martian",
                Notable::ConntrackFull { .. } => "mk--conntrack",
                Notable::DnsRejecting { .. }
                | Notable::UpstreamDown { .. }
                | Notable::NldOomKilled { .. } => "mk--dns",
                _ => return None,
            };
            Some((
                ev.at.as_secs_f64() / end.as_secs_f64().max(1.0) * 100.0,
                cls,
                ev.text.clone(),
            ))
        })
        .collect();
    drop(e);

    let engine = ctx.engine.clone();
    let toggle = {
        let engine = engine.clone();
        let force = force.clone();
        Callback::from(move |_: MouseEvent| {
            let mut e = engine.borrow_mut();
            if e.target >= e.end() {
                e.seek(SimTime::ZERO);
            }
            e.playing = !e.playing;
            drop(e);
            force.force_update();
        })
    };
    let on_scrub = {
        let engine = engine.clone();
        let force = force.clone();
        Callback::from(move |ev: InputEvent| {
            let v: f64 = util::input_value(&ev).parse().unwrap_or(0.0);
            engine.borrow_mut().seek(SimTime((v * 1e6) as u64));
            force.force_update();
        })
    };
    let on_speed = {
        let engine = engine.clone();
        let force = force.clone();
        Callback::from(move |ev: InputEvent| {
            let v: f64 = util::input_value(&ev).parse().unwrap_or(200.0);
            engine.borrow_mut().speed = speed_from_pos(v);
            force.force_update();
        })
    };
    let btn = |label: &'static str, title: &'static str, f: Callback<MouseEvent>| {
        html! { <button class="btn" aria-label={title} title={title} onclick={f}>{ label }</button> }
    };
    let (engine_a, view_a, force_a) = (engine.clone(), ctx.view.clone(), force.clone());
    let step_back = Callback::from(move |_| {
        step(&engine_a, &view_a, false);
        force_a.force_update();
    });
    let (engine_b, view_b, force_b) = (engine.clone(), ctx.view.clone(), force.clone());
    let step_fwd = Callback::from(move |_| {
        step(&engine_b, &view_b, true);
        force_b.force_update();
    });
    let (engine_c, force_c) = (engine.clone(), force.clone());
    let prev_n = Callback::from(move |_| {
        jump_notable(&engine_c, false);
        force_c.force_update();
    });
    let (engine_d, force_d) = (engine.clone(), force.clone());
    let next_n = Callback::from(move |_| {
        jump_notable(&engine_d, true);
        force_d.force_update();
    });
    let progress = match lag {
        Some(f) => html! {
            <div class="progress" role="status" aria-live="polite">
                <span>{ format!("simulating… {:.0}%", f * 100.0) }</span>
                <progress max="100" value={format!("{:.0}", f * 100.0)} aria-label="Simulation progress" />
            </div>
        },
        None => html! {},
    };
    html! {
        <div class={classes!("transport", props.compact.then_some("transport--compact"))} role="group" aria-label="Playback">
            { btn("«", "Previous notable event (N)", prev_n) }
            { btn("‹", "Previous packet or event (←)", step_back) }
            <button id="play" class="btn btn--primary" aria-label={ if playing { "Pause" } else { "Play" } } onclick={toggle}>
                { if playing { "Pause" } else { "Play" } }
            </button>
            { btn("›", "Next packet or event (→)", step_fwd) }
            { btn("»", "Next notable event (n)", next_n) }
            <span id="sim-time" class="transport__time" title="Simulated time" data-engine-s={engine_s}>
                { format!("{}  t = {}", util::clock(t), util::secs(t)) }
            </span>
            <div class="scrubber">
                <input type="range" id="scrubber" aria-label="Simulated time" min="0" max={end.secs().to_string()} step="0.1"
                    value={format!("{:.1}", t.as_secs_f64())} oninput={on_scrub} />
                <div class="scrubber__marks" aria-hidden="true">
                    { for markers.iter().map(|(x, cls, text)| html! {
                        <span class={classes!("mk", *cls)} style={format!("left:{x:.2}%")} title={text.clone()} />
                    }) }
                </div>
            </div>
            <label class="speed">
                <span>{ format!("{speed}×") }</span>
                <input type="range" id="speed" aria-label="Playback speed" min="0" max="400" step="1"
                    value={format!("{:.0}", pos_from_speed(speed))} oninput={on_speed} />
            </label>
            { progress }
        </div>
    }
}
