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
    let item =
        |label: &'static str,
         id: &'static str,
         make: fn(&crate::sim::Sim, &str) -> (String, &'static str, Vec<u8>)| {
            let engine = ctx.engine.clone();
            let onclick = Callback::from(move |_| {
                let e = engine.borrow();
                let preset = e.scenario.preset.clone();
                let (name, mime, bytes) = make(&e.sim, &preset);
                let stamp = format!("{}-seed{}-t{}", preset, e.scenario.seed, e.sim.now().secs());
                util::download(&name.replace("{}", &stamp), mime, &bytes);
            });
            html! { <button class="btn" id={id} onclick={onclick} title={format!("Download {label} of the run so far")}>{ label }</button> }
        };
    html! {
        <div class="exports" role="group" aria-label="Share and export">
            <button class="btn" id="share" onclick={share}>{ if *copied { "Link copied" } else { "Copy link" } }</button>
            { item("CSV", "export-csv", |s, _| ("incident-{}.csv".into(), "text/csv", export::csv::all(&s.metrics).into_bytes())) }
            { item("pcapng", "export-pcap", |s, p| ("incident-{}.pcapng".into(), "application/vnd.tcpdump.pcap", export::pcap::pcapng(s, p))) }
            { item("Flow logs", "export-flowlogs", |s, _| ("incident-{}-flowlogs.txt".into(), "text/plain", export::flowlog::text(s, Default::default()).into_bytes())) }
            { item("Kernel log", "export-klog", |s, _| ("incident-{}-kern.log".into(), "text/plain", export::klog::syslog(s).into_bytes())) }
            { item("JSON", "export-jsonl", |s, p| ("incident-{}.jsonl".into(), "application/x-ndjson", export::events::jsonl(s, p))) }
        </div>
    }
}
