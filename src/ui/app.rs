//! The application shell: header, play/pause, the panel grid.

use crate::lab::Lab;
use crate::sim::linux::KernelVersion;
use crate::sim::time::{SimDuration, SimTime};
use gloo::render::{request_animation_frame, AnimationFrame};
use std::cell::RefCell;
use std::rc::Rc;
use yew::prelude::*;

/// The simulation clock the shell drives: sim time advances by wall time × speed.
#[derive(Default)]
struct Clock {
    now: SimTime,
    last_wall_ms: Option<f64>,
}

/// The root component.
#[component(App)]
pub fn app() -> Html {
    let playing = use_state(|| false);
    let now = use_state(|| SimTime::ZERO);
    let clock = use_mut_ref(Clock::default);
    let raf: Rc<RefCell<Option<AnimationFrame>>> = use_mut_ref(|| None);

    {
        let playing = *playing;
        let now = now.clone();
        let clock = clock.clone();
        let raf = raf.clone();
        use_effect_with(playing, move |_| {
            fn frame(
                ts: f64,
                clock: Rc<RefCell<Clock>>,
                now: UseStateHandle<SimTime>,
                raf: Rc<RefCell<Option<AnimationFrame>>>,
            ) {
                {
                    let mut c = clock.borrow_mut();
                    if let Some(last) = c.last_wall_ms {
                        let dt = ((ts - last).max(0.0) * 1_000.0) as u64;
                        c.now += SimDuration::from_micros(dt);
                    }
                    c.last_wall_ms = Some(ts);
                    now.set(c.now);
                }
                let (c2, n2, r2) = (clock.clone(), now.clone(), raf.clone());
                *raf.borrow_mut() = Some(request_animation_frame(move |t| frame(t, c2, n2, r2)));
            }
            if playing {
                clock.borrow_mut().last_wall_ms = None;
                let (c2, n2, r2) = (clock.clone(), now.clone(), raf.clone());
                *raf.borrow_mut() = Some(request_animation_frame(move |t| frame(t, c2, n2, r2)));
            } else {
                *raf.borrow_mut() = None;
            }
            let raf = raf.clone();
            move || {
                *raf.borrow_mut() = None;
            }
        });
    }

    let toggle = {
        let playing = playing.clone();
        Callback::from(move |_: MouseEvent| playing.set(!*playing))
    };
    let lab_out = use_memo((), |_| {
        let mut lab = Lab::new(KernelVersion::V5_10, false);
        let o = lab.run_script(
            "ip addr add 10.0.1.10/24 dev ens5\nip route add default via 10.0.1.1 dev ens5\nsysctl -w net.ipv4.conf.ens6.rp_filter=2\nip route get 10.0.64.7 from 10.0.130.5 iif ens6\n",
        );
        o.lines
            .iter()
            .map(|l| l.text.clone())
            .collect::<Vec<_>>()
            .join("\n")
    });

    html! {
        <div class="app">
            <header class="app__header">
                <h1>{ "It's not DNS: a rollout outage, packet by packet" }</h1>
                <div class="transport" role="group" aria-label="Playback">
                    <button id="play" class="btn" aria-label={ if *playing { "Pause" } else { "Play" } } onclick={toggle}>
                        { if *playing { "Pause" } else { "Play" } }
                    </button>
                    <span id="sim-time" class="transport__time" aria-live="off">{ format!("t = {}", *now) }</span>
                </div>
            </header>
            <main class="grid">
                <section class="panel" aria-label="Lab"><h2>{ "Lab" }</h2><pre id="lab-out">{ (*lab_out).clone() }</pre></section>
            </main>
        </div>
    }
}
