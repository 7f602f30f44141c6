//! Small helpers shared by components.

use crate::sim::time::SimTime;
use wasm_bindgen::JsCast;

/// `mm:ss` after the start of the run, on the post's clock (14:00 + t).
pub fn clock(t: SimTime) -> String {
    let s = t.secs();
    format!("14:{:02}:{:02}", (s / 60) % 60, s % 60)
}

/// Seconds with one decimal.
pub fn secs(t: SimTime) -> String {
    format!("{:.1} s", t.as_secs_f64())
}

/// `performance.now()` in ms (0 if unavailable).
pub fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map(|p| p.now())
        .unwrap_or(0.0)
}

/// True if the reader asked for reduced motion.
pub fn reduced_motion() -> bool {
    web_sys::window()
        .and_then(|w| {
            w.match_media("(prefers-reduced-motion: reduce)")
                .ok()
                .flatten()
        })
        .map(|m| m.matches())
        .unwrap_or(false)
}

/// True if the page is in dark mode.
pub fn dark_mode() -> bool {
    web_sys::window()
        .and_then(|w| w.match_media("(prefers-color-scheme: dark)").ok().flatten())
        .map(|m| m.matches())
        .unwrap_or(false)
}

/// The value of an input/select from an event.
pub fn input_value(e: &web_sys::Event) -> String {
    let t = e.target();
    if let Some(i) = t
        .clone()
        .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
    {
        return i.value();
    }
    if let Some(s) = t.and_then(|t| t.dyn_into::<web_sys::HtmlSelectElement>().ok()) {
        return s.value();
    }
    String::new()
}

/// Whether a checkbox event is checked.
pub fn input_checked(e: &web_sys::Event) -> bool {
    e.target()
        .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
        .map(|i| i.checked())
        .unwrap_or(false)
}

/// Offers a canvas as a PNG download.
pub fn download_canvas(canvas: &web_sys::HtmlCanvasElement, name: &str) {
    let name = name.to_string();
    let cb = wasm_bindgen::closure::Closure::once_into_js(move |blob: wasm_bindgen::JsValue| {
        if let Ok(blob) = blob.dyn_into::<web_sys::Blob>() {
            download_blob(&name, &blob);
        }
    });
    let _ = canvas.to_blob(cb.unchecked_ref());
}

fn download_blob(name: &str, blob: &web_sys::Blob) {
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(blob) else {
        return;
    };
    if let Ok(a) = doc.create_element("a") {
        if let Ok(a) = a.dyn_into::<web_sys::HtmlAnchorElement>() {
            a.set_href(&url);
            a.set_download(name);
            a.click();
        }
    }
    let _ = web_sys::Url::revoke_object_url(&url);
}

/// Offers `bytes` as a download named `name`.
pub fn download(name: &str, mime: &str, bytes: &[u8]) {
    let arr = js_sys::Uint8Array::from(bytes);
    let parts = js_sys::Array::of1(&arr);
    let opts = web_sys::BlobPropertyBag::new();
    opts.set_type(mime);
    let Ok(blob) = web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &opts) else {
        return;
    };
    download_blob(name, &blob);
}
