//! Time control: play/pause, step, jump between notable events, speed from
//! 0.01× to 100×, and a scrubber with the whole run's marks. The run is known
//! up front (the worker computes it), so every moment is one step away.

use super::page::{Clock, PageRef};
use super::state::{Action, Ctx, View};
use super::util;
use crate::sim::time::SimTime;
use crate::viz::timeline;
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

/// Moves to the next (or previous) notable event of the whole run.
pub fn jump_notable(page: &PageRef, forward: bool) {
    let mut p = page.borrow_mut();
    let Some(rec) = p.record() else { return };
    let marks = timeline::marks(&rec.events);
    let t = p.clock.t;
    let to =
        timeline::jump(&marks, t, forward).unwrap_or(if forward { p.end() } else { SimTime::ZERO });
    p.clock.playing = false;
    p.seek(to);
}

/// Steps to the next (or previous) sampled packet and selects it.
pub fn step(page: &PageRef, view: &UseReducerHandle<View>, forward: bool) {
    let mut p = page.borrow_mut();
    p.clock.playing = false;
    let now = p.clock.t;
    let Some(rec) = p.record() else { return };
    let (t, sel) = if forward {
        let idx = rec.first_packet_at_or_after(SimTime(now.micros() + 1));
        match rec.packets.get(idx) {
            Some(q) => (q.sent, Some(q.id)),
            None => (SimTime(now.micros() + 100_000), None),
        }
    } else {
        let before = rec.first_packet_at_or_after(now);
        match before.checked_sub(1).and_then(|i| rec.packets.get(i)) {
            Some(q) => (q.sent, Some(q.id)),
            None => (SimTime(now.micros().saturating_sub(100_000)), None),
        }
    };
    p.seek(t);
    drop(p);
    if sel.is_some() {
        view.dispatch(Action::Select(sel));
    }
}

/// Starts or stops the clock (from the start again once at the end).
pub fn toggle_play(page: &PageRef) {
    let mut p = page.borrow_mut();
    if p.clock.t >= p.end() {
        p.seek(SimTime::ZERO);
    }
    p.clock.playing = !p.clock.playing;
    p.version += 1;
}

/// Keyboard shortcuts; true if the key was handled.
pub fn on_key(page: &PageRef, view: &UseReducerHandle<View>, key: &str, shift: bool) -> bool {
    match key {
        " " | "k" => toggle_play(page),
        "ArrowRight" if shift => {
            let mut p = page.borrow_mut();
            let t = p.clock.t + crate::sim::time::SimDuration::from_secs(1);
            p.seek(t);
        }
        "ArrowLeft" if shift => {
            let mut p = page.borrow_mut();
            let t = SimTime(p.clock.t.micros().saturating_sub(1_000_000));
            p.seek(t);
        }
        "ArrowRight" => step(page, view, true),
        "ArrowLeft" => step(page, view, false),
        "n" => jump_notable(page, true),
        "N" | "p" => jump_notable(page, false),
        "]" => {
            let mut p = page.borrow_mut();
            p.clock.speed = speed_from_pos(pos_from_speed(p.clock.speed) + 40.0);
        }
        "[" => {
            let mut p = page.borrow_mut();
            p.clock.speed = speed_from_pos(pos_from_speed(p.clock.speed) - 40.0);
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
    let marks_ref = use_node_ref();
    let page = ctx.page.clone();
    let p = page.borrow();
    let Clock { t, playing, speed } = p.clock;
    let end = p.end();
    let rec = p.record();
    let progress = rec.map(|r| r.progress()).unwrap_or(0.0);
    let finished = rec.is_some_and(|r| r.finished());
    let known_s = rec.map(|r| r.done_to.as_secs_f64()).unwrap_or(0.0);
    let markers: Vec<(f64, f64, &'static str, String)> = rec
        .map(|r| timeline::marks(&r.events))
        .unwrap_or_default()
        .into_iter()
        .map(|m| {
            let at = m.at.as_secs_f64();
            (at, at / end.as_secs_f64().max(1.0) * 100.0, m.class, m.text)
        })
        .collect();
    let failed = p.main.error.clone();
    let waiting = p.waiting_long.as_ref().map(|(_, c)| {
        (
            c.describe(),
            crate::scenario::cost::duration_text(c.wall_s * super::page::BROWSER_SLOWDOWN),
        )
    });
    drop(p);

    let rerender = {
        let refresh = ctx.refresh.clone();
        move || refresh.emit(())
    };
    let toggle = {
        let page = page.clone();
        let rerender = rerender.clone();
        Callback::from(move |_: MouseEvent| {
            toggle_play(&page);
            rerender();
        })
    };
    let on_scrub = {
        let page = page.clone();
        let rerender = rerender.clone();
        Callback::from(move |ev: InputEvent| {
            let v: f64 = util::input_value(&ev).parse().unwrap_or(0.0);
            page.borrow_mut().seek(SimTime((v * 1e6) as u64));
            rerender();
        })
    };
    let on_speed = {
        let page = page.clone();
        let rerender = rerender.clone();
        Callback::from(move |ev: InputEvent| {
            let v: f64 = util::input_value(&ev).parse().unwrap_or(200.0);
            page.borrow_mut().clock.speed = speed_from_pos(v);
            rerender();
        })
    };
    let btn = |label: &'static str, title: &'static str, f: Callback<MouseEvent>| {
        html! { <button class="btn" aria-label={title} title={title} onclick={f}>{ label }</button> }
    };
    let (page_a, view_a, r_a) = (page.clone(), ctx.view.clone(), rerender.clone());
    let step_back = Callback::from(move |_| {
        step(&page_a, &view_a, false);
        r_a();
    });
    let (page_b, view_b, r_b) = (page.clone(), ctx.view.clone(), rerender.clone());
    let step_fwd = Callback::from(move |_| {
        step(&page_b, &view_b, true);
        r_b();
    });
    let (page_c, r_c) = (page.clone(), rerender.clone());
    let prev_n = Callback::from(move |_| {
        jump_notable(&page_c, false);
        r_c();
    });
    let (page_d, r_d) = (page.clone(), rerender.clone());
    let next_n = Callback::from(move |_| {
        jump_notable(&page_d, true);
        r_d();
    });
    let cancel = {
        let page = page.clone();
        let rerender = rerender.clone();
        Callback::from(move |_: MouseEvent| {
            page.borrow_mut().cancel();
            rerender();
        })
    };
    let go = {
        let page = page.clone();
        let rerender = rerender.clone();
        Callback::from(move |_: MouseEvent| {
            page.borrow_mut().confirm_long();
            rerender();
        })
    };
    // Marks are placed through the CSSOM (no style attributes: a strict CSP).
    {
        let marks = marks_ref.clone();
        // Where the marks are, in one number: a new run's marks move them.
        let sig = markers.iter().map(|m| m.1).sum::<f64>().to_bits();
        use_effect_with((markers.len(), sig), move |_| {
            if let Some(el) = marks.cast::<web_sys::Element>() {
                util::apply_css_data(&el);
            }
            || ()
        });
    }
    let status = match (&waiting, &failed, finished) {
        (Some((what, browser)), _, _) => html! {
            <div class="progress progress--long" role="alert" id="run-long">
                <span>{ format!("This scenario is a long run: natively {what}; about {browser} in this page. ") }</span>
                <button class="btn btn--primary" id="run-long-go" onclick={go}>{ "Run it" }</button>
                <span class="muted">{ " or change a setting back." }</span>
            </div>
        },
        (None, Some(e), _) => {
            html! { <div class="progress" role="status" id="run-status">{ e.clone() }</div> }
        }
        (None, None, false) => html! {
            <div class="progress" role="status" aria-live="polite" id="run-progress">
                <span>{ format!("computing the whole run… {:.0}%", progress * 100.0) }</span>
                <progress max="100" value={format!("{:.0}", progress * 100.0)} aria-label="Run computed" />
                <button class="btn" id="run-cancel" onclick={cancel}>{ "Cancel" }</button>
            </div>
        },
        (None, None, true) => html! {},
    };
    html! {
        <div class={classes!("transport", props.compact.then_some("transport--compact"))} role="region" aria-label="Playback">
            { btn("«", "Previous notable event (N)", prev_n) }
            { btn("‹", "Previous packet (←)", step_back) }
            <button id="play" class="btn btn--primary" aria-label={ if playing { "Pause" } else { "Play" } } onclick={toggle}>
                { if playing { "Pause" } else { "Play" } }
            </button>
            { btn("›", "Next packet (→)", step_fwd) }
            { btn("»", "Next notable event (n)", next_n) }
            <span id="sim-time" class="transport__time" title="Simulated time since the run's start (minutes:seconds), as the charts' axes read"
                data-known-s={format!("{known_s:.3}")} data-finished={finished.to_string()}>
                { crate::format::clock(t) }
            </span>
            <div class="scrubber">
                <input type="range" id="scrubber" aria-label="Simulated time" min="0" max={end.secs().to_string()} step="0.1"
                    value={format!("{:.1}", t.as_secs_f64())} oninput={on_scrub} />
                <div class="scrubber__marks" aria-hidden="true" id="scrubber-marks" ref={marks_ref}>
                    { for markers.iter().map(|(at, x, cls, text)| html! {
                        <span class={classes!("mk", *cls)} data-css={format!("left:{x:.2}%")} title={text.clone()} data-at={format!("{at:.6}")} />
                    }) }
                </div>
            </div>
            <label class="speed">
                <span>{ format!("{speed}×") }</span>
                <input type="range" id="speed" aria-label="Playback speed" min="0" max="400" step="1"
                    value={format!("{:.0}", pos_from_speed(speed))} oninput={on_speed} />
            </label>
            { status }
        </div>
    }
}
