//! Share and export: the link of the exact state, and the current run as
//! CSV (every series), pcapng (the sampled packets with their fates as
//! comments: Wireshark shows the packets the real system never showed the
//! responders), VPC flow logs, the nodes' kernel log, and JSON Lines.

use super::state::Ctx;
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
    // A finished export (the worker wrote it) is downloaded once.
    {
        let page = ctx.page.clone();
        let version = page.borrow().version;
        use_effect_with(version, move |_| {
            let ready = page.borrow_mut().export_ready.take();
            if let Some((format, until, bytes)) = ready {
                let p = page.borrow();
                if let (Some(f), Some(r)) = (
                    export::FORMATS.iter().find(|f| f.name == format),
                    p.record(),
                ) {
                    let sc = &r.id().scenario;
                    let stamp = format!("{}-seed{}-t{}", sc.preset, sc.seed, until.secs());
                    util::download(&f.file.replace("{}", &stamp), f.mime, &bytes);
                }
            }
            || ()
        });
    }
    let pending = ctx.page.borrow().pending_export.clone();
    let item = |f: &'static export::Format, label: &'static str| {
        let page = ctx.page.clone();
        let refresh = ctx.refresh.clone();
        let onclick = Callback::from(move |_| {
            page.borrow_mut().ask_export(f.name);
            refresh.emit(());
        });
        let busy = pending.as_deref() == Some(f.name);
        html! {
            <button class="btn" id={format!("export-{}", f.name)} onclick={onclick} disabled={busy}
                title={format!("Download {} of the run up to the clock", f.holds)}>{ if busy { "…" } else { label } }</button>
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
