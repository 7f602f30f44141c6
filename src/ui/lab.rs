//! The lab terminal: the same `ip`/`sysctl` lab as `incident-sim lab`, on
//! the page. Errors are shown as iproute2 prints them; `--explain` output
//! (the kernel step-through as text) follows each `ip route get … iif`.
//! The output follows its newest lines: after each command it is scrolled
//! to the bottom.

use super::state::ViewCtx as Ctx;
use super::util;
use crate::lab::{Lab, Stream};
use crate::sim::linux::KernelVersion;
use yew::prelude::*;

/// The post's own experiment, on the lab's node.
const POST_SCRIPT: &str = "ip addr add 10.0.1.10/24 dev ens5
ip route add default via 10.0.1.1 dev ens5
sysctl -w net.ipv4.conf.ens6.rp_filter=2
ip route get 10.0.64.7 from 10.0.130.5 iif ens6
ip addr add 192.168.1.1/32 dev ens6
ip route get 10.0.64.7 from 10.0.130.5 iif ens6";

#[derive(Clone, PartialEq)]
struct Line {
    cls: &'static str,
    text: String,
}

/// The lab panel.
#[component(LabTerminal)]
pub fn lab_terminal() -> Html {
    let ctx = use_context::<Ctx>().expect("context");
    let version: KernelVersion = ctx
        .view
        .scenario
        .params()
        .ok()
        .and_then(|p| p.kernel.parse().ok())
        .unwrap_or(KernelVersion::V5_10);
    let lab = use_mut_ref(move || Lab::new(version, true));
    let lines = use_state(Vec::<Line>::new);
    let input = use_state(String::new);
    let history = use_mut_ref(Vec::<String>::new);
    let hist_pos = use_mut_ref(|| 0usize);
    let out_ref = use_node_ref();
    // After each command (the transcript grew or was cleared), the newest
    // output comes into view.
    {
        let out_ref = out_ref.clone();
        use_effect_with(lines.len(), move |_| {
            if let Some(el) = out_ref.cast::<web_sys::Element>() {
                el.set_scroll_top(el.scroll_height());
            }
            || ()
        });
    }

    let run = {
        let lab = lab.clone();
        let lines = lines.clone();
        let history = history.clone();
        move |cmds: &str| {
            let mut out = (*lines).clone();
            for cmd in cmds.lines() {
                out.push(Line {
                    cls: "term__cmd",
                    text: format!("# {cmd}"),
                });
                history.borrow_mut().push(cmd.to_string());
                let o = lab.borrow_mut().run_line(cmd);
                for l in o.lines {
                    let cls = match l.stream {
                        Stream::Out => "term__out",
                        Stream::Err => "term__err",
                        Stream::Explain => "term__explain",
                    };
                    out.push(Line { cls, text: l.text });
                }
            }
            let keep = out.len().saturating_sub(2_000);
            lines.set(out.split_off(keep));
        }
    };
    let onkeydown = {
        let input = input.clone();
        let run = run.clone();
        let history = history.clone();
        let hist_pos = hist_pos.clone();
        Callback::from(move |e: KeyboardEvent| match e.key().as_str() {
            "Enter" => {
                let cmd = (*input).clone();
                if !cmd.trim().is_empty() {
                    run(&cmd);
                }
                *hist_pos.borrow_mut() = history.borrow().len();
                input.set(String::new());
            }
            "ArrowUp" | "ArrowDown" => {
                let h = history.borrow();
                let mut pos = *hist_pos.borrow();
                if e.key() == "ArrowUp" {
                    pos = pos.saturating_sub(1);
                } else {
                    pos = (pos + 1).min(h.len());
                }
                *hist_pos.borrow_mut() = pos;
                input.set(h.get(pos).cloned().unwrap_or_default());
                e.prevent_default();
            }
            _ => {}
        })
    };
    let oninput = {
        let input = input.clone();
        Callback::from(move |e: InputEvent| input.set(util::input_value(&e)))
    };
    let load_post = {
        let run = run.clone();
        Callback::from(move |_| run(POST_SCRIPT))
    };
    let reset = {
        let lab = lab.clone();
        let lines = lines.clone();
        Callback::from(move |_| {
            *lab.borrow_mut() = Lab::new(version, true);
            lines.set(Vec::new());
        })
    };
    html! {
        <>
            <h2>{ format!("Lab: a node on Linux {version}") }</h2>
            <p class="muted">{ "lo, ens5 and ens6 up, no addresses, kernel defaults, ip_forward=1. Type ip/sysctl commands as on a real host." }</p>
            <div class="controls__row">
                <button class="btn" id="lab-post" onclick={load_post}>{ "Run the post's experiment" }</button>
                <button class="btn" onclick={reset}>{ "Reset the node" }</button>
            </div>
            // Focusable, so a long transcript scrolls from the keyboard.
            <pre class="term" id="lab-out" ref={out_ref} role="log" aria-live="polite" tabindex="0" aria-label="Lab output">
                { for lines.iter().map(|l| html! { <div class={l.cls}>{ l.text.clone() }</div> }) }
            </pre>
            <input class="term__input" id="lab-input" type="text" spellcheck="false" autocomplete="off"
                aria-label="Lab command" placeholder="ip route get 10.0.64.7 from 10.0.130.5 iif ens6"
                value={(*input).clone()} oninput={oninput} onkeydown={onkeydown} />
        </>
    }
}
