//! The page's keyboard: space, arrows, `[` `]`, `n`/`N`, `?`, Escape (what
//! each does is `transport::on_key`), ignored while typing in a field.

use super::page::PageRef;
use super::state::View;
use super::transport;
use gloo::events::EventListener;
use yew::prelude::*;

/// Listens for the page's shortcuts on the document.
#[hook]
pub fn use_keyboard(page: &PageRef, view: &UseReducerHandle<View>, force: &UseForceUpdateHandle) {
    let page = page.clone();
    let view = view.clone();
    let force = force.clone();
    use_effect_with((), move |_| {
        let listener = web_sys::window().and_then(|w| w.document()).map(|doc| {
            let opts = gloo::events::EventListenerOptions::enable_prevent_default();
            EventListener::new_with_options(&doc, "keydown", opts, move |ev| {
                let Some(ev) = wasm_bindgen::JsCast::dyn_ref::<web_sys::KeyboardEvent>(ev) else {
                    return;
                };
                if let Some(t) = ev
                    .target()
                    .and_then(|t| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(t).ok())
                {
                    let tag = t.tag_name();
                    if tag == "INPUT" || tag == "SELECT" || tag == "TEXTAREA" {
                        return;
                    }
                }
                if transport::on_key(&page, &view, &ev.key(), ev.shift_key()) {
                    ev.prevent_default();
                    page.borrow_mut().version += 1;
                    force.force_update();
                }
            })
        });
        move || drop(listener)
    });
}
