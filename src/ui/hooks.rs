//! The root component's effects: the URL kept equal to the state, the
//! resize listener, and an embedded kernel panel's choice of packet.

use super::page::PageRef;
use super::state::{view_state, Action, View};
use super::util;
use crate::scenario::url;
use gloo::events::EventListener;
use yew::prelude::*;

/// Keeps the URL equal to the state (`replaceState`: no history spam),
/// except while playing.
#[hook]
pub fn use_url_sync(page: &PageRef, view: &UseReducerHandle<View>, version: u64) {
    let page = page.clone();
    let deps = ((**view).clone(), version);
    use_effect_with(deps, move |(v, _)| {
        let p = page.borrow();
        if !p.clock.playing {
            let q = format!("?{}", url::encode(&view_state(v, &p)));
            if let Some(w) = web_sys::window() {
                let same = w.location().search().map(|s| s == q).unwrap_or(false);
                if !same {
                    if let Ok(h) = w.history() {
                        let _ =
                            h.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&q));
                    }
                }
            }
        }
        || ()
    });
}

/// Canvas sizes are cached between resizes (`util::css_size`): a resize
/// clears them.
#[hook]
pub fn use_resize() {
    use_effect_with((), move |_| {
        let listener =
            web_sys::window().map(|w| EventListener::new(&w, "resize", |_| util::layout_changed()));
        move || drop(listener)
    });
}

/// An embedded kernel panel with no packet shows the latest SYN to a
/// deleted pod (the first of the run if there is none yet), once the run is
/// known.
#[hook]
pub fn use_kernel_embed_pick(page: &PageRef, view: &UseReducerHandle<View>) {
    let view = view.clone();
    let page = page.clone();
    let pick = view.embed.as_deref() == Some("kernel") && view.selected.is_none();
    let finished = page.borrow().record().is_some_and(|r| r.finished());
    use_effect_with((pick, finished), move |(pick, finished)| {
        if *pick && *finished {
            let found = {
                let p = page.borrow();
                p.record()
                    .and_then(|r| r.syn_to_deleted_pod(p.clock.t))
                    .map(|q| (q.id, q.sent))
            };
            if let Some((id, sent)) = found {
                let mut p = page.borrow_mut();
                if sent > p.clock.t {
                    p.seek(sent);
                }
                drop(p);
                view.dispatch(Action::Select(Some(id)));
            }
        }
        || ()
    });
}
