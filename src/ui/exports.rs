//! Share and export: the link of the exact state, and the current run as
//! CSV (every series), pcapng (the sampled packets with their fates as
//! comments: Wireshark shows the packets the real system never showed the
//! responders), VPC flow logs, the nodes' kernel log, and JSON Lines.

use super::app::ViewCtx as Ctx;
use super::util;
use crate::export;
use yew::prelude::*;

/// The export menu.
#[component(Exports)]
pub fn exports() -> Html {
    let ctx = use_context::<Ctx>().expect("context");
    let copied = use_state(|| false);
    let share = {
        let copied = copied.clone();
        Callback::from(move |_| {
            if let Some(w) = web_sys::window() {
                if let Ok(href) = w.location().href() {
                    let _ = w.navigator().clipboard().write_text(&href);
                    copied.set(true);
                }
            }
        })
    };
    let item = |f: &'static export::Format, label: &'static str| {
        let engine = ctx.engine.clone();
        let onclick = Callback::from(move |_| {
            let e = engine.borrow();
            let preset = e.scenario.preset.clone();
            let Some(bytes) = export::render(&e.sim, f.name, &preset) else {
                return;
            };
            let stamp = format!("{}-seed{}-t{}", preset, e.scenario.seed, e.sim.now().secs());
            util::download(&f.file.replace("{}", &stamp), f.mime, &bytes);
        });
        html! {
            <button class="btn" id={format!("export-{}", f.name)} onclick={onclick}
                title={format!("Download {} of the run so far", f.holds)}>{ label }</button>
        }
    };
    html! {
        <div class="exports" role="group" aria-label="Share and export">
            <button class="btn" id="share" onclick={share}>{ if *copied { "Link copied" } else { "Copy link" } }</button>
            { item(&export::FORMATS[0], "CSV") }
            { item(&export::FORMATS[1], "pcapng") }
            { item(&export::FORMATS[2], "Flow logs") }
            { item(&export::FORMATS[3], "Kernel log") }
            { item(&export::FORMATS[4], "JSON") }
        </div>
    }
}
