//! Small helpers shared by components.

use wasm_bindgen::JsCast;

/// `performance.now()` in ms (0 if unavailable).
pub fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map(|p| p.now())
        .unwrap_or(0.0)
}

/// This thread's wasm memory, bytes (a wasm memory never shrinks: its
/// peak so far).
pub fn wasm_bytes() -> u64 {
    wasm_bindgen::memory()
        .dyn_into::<js_sys::WebAssembly::Memory>()
        .ok()
        .and_then(|m| m.buffer().dyn_into::<js_sys::ArrayBuffer>().ok())
        .map_or(0, |b| b.byte_length() as u64)
}

thread_local! {
    /// Bumped by every window resize (see [`layout_changed`]).
    static LAYOUT_GENERATION: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

/// Tells [`css_size`] that cached sizes may be stale (the window resized).
pub fn layout_changed() {
    LAYOUT_GENERATION.with(|g| g.set(g.get().wrapping_add(1)));
}

/// An element's CSS size (`clientWidth`, `clientHeight`), measured again
/// after a resize and at most once a second otherwise. Reading `clientWidth`
/// after the frame wrote to the DOM forces a style and layout pass; in the
/// animation loop that cost a few ms a frame. The measurement is kept on the
/// element object itself (an expando property, not an attribute, so it does
/// not invalidate style).
pub fn css_size(el: &web_sys::Element) -> (f64, f64) {
    let key = wasm_bindgen::JsValue::from_str("__cssSize");
    let stamp = f64::from(LAYOUT_GENERATION.with(|g| g.get())) * 1e6 + (now_ms() / 1000.0).floor();
    let cached = js_sys::Reflect::get(el, &key)
        .ok()
        .and_then(|v| v.dyn_into::<js_sys::Float64Array>().ok())
        .map(|a| a.to_vec());
    if let Some([s, w, h]) = cached.as_deref() {
        if *s == stamp {
            return (*w, *h);
        }
    }
    let (w, h) = (f64::from(el.client_width()), f64::from(el.client_height()));
    let arr = js_sys::Float64Array::from(&[stamp, w, h][..]);
    let _ = js_sys::Reflect::set(el, &key, &arr);
    (w, h)
}

/// An element's CSS width; see [`css_size`].
pub fn css_width(el: &web_sys::Element) -> f64 {
    css_size(el).0
}

thread_local! {
    /// The two media queries the animation reads every frame, made once:
    /// `matchMedia` parses its query on each call, `matches` on a kept list
    /// only reads the current answer (which still follows the system).
    static MEDIA: Option<(web_sys::MediaQueryList, web_sys::MediaQueryList)> =
        web_sys::window().and_then(|w| {
            let q = |s: &str| w.match_media(s).ok().flatten();
            Some((q("(prefers-reduced-motion: reduce)")?, q("(prefers-color-scheme: dark)")?))
        });
}

/// Appends `value` to the array `window[key]` (made if missing), keeping
/// the last 600: how the page hands its own timings to the end-to-end test.
pub fn push_sample(key: &str, value: &wasm_bindgen::JsValue) {
    let Some(w) = web_sys::window() else { return };
    let key = wasm_bindgen::JsValue::from_str(key);
    let arr = match js_sys::Reflect::get(&w, &key)
        .ok()
        .and_then(|v| v.dyn_into::<js_sys::Array>().ok())
    {
        Some(a) => a,
        None => {
            let a = js_sys::Array::new();
            let _ = js_sys::Reflect::set(&w, &key, &a);
            a
        }
    };
    if arr.length() >= 600 {
        arr.shift();
    }
    arr.push(value);
}

/// True if the reader asked for reduced motion.
pub fn reduced_motion() -> bool {
    MEDIA.with(|m| m.as_ref().is_some_and(|(reduce, _)| reduce.matches()))
}

/// Scrolls the element with this id into view, its top at the top of the
/// window (below the sticky transport: `scroll-margin-top` in the CSS),
/// smoothly unless the reader asked for reduced motion.
pub fn scroll_to_id(id: &str) {
    let Some(el) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id(id))
    else {
        return;
    };
    let opts = web_sys::ScrollIntoViewOptions::new();
    opts.set_block(web_sys::ScrollLogicalPosition::Start);
    opts.set_behavior(if reduced_motion() {
        web_sys::ScrollBehavior::Instant
    } else {
        web_sys::ScrollBehavior::Smooth
    });
    el.scroll_into_view_with_scroll_into_view_options(&opts);
}

/// True if the page is in dark mode.
pub fn dark_mode() -> bool {
    MEDIA.with(|m| m.as_ref().is_some_and(|(_, dark)| dark.matches()))
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

/// Applies each `data-css="prop:value;…"` attribute under `root` (and on it)
/// as styles through the CSSOM. A strict Content-Security-Policy
/// (`style-src 'self'`) refuses `style` attributes in markup but not the
/// CSSOM, so positions computed at render time travel this way. A value
/// already in place is not written again.
pub fn apply_css_data(root: &web_sys::Element) {
    use wasm_bindgen::JsCast;
    let apply = |el: &web_sys::Element| {
        let (Some(spec), Some(el)) = (
            el.get_attribute("data-css"),
            el.dyn_ref::<web_sys::HtmlElement>(),
        ) else {
            return;
        };
        let style = el.style();
        for decl in spec.split(';') {
            if let Some((k, v)) = decl.split_once(':') {
                if style.get_property_value(k).ok().as_deref() != Some(v) {
                    let _ = style.set_property(k, v);
                }
            }
        }
    };
    apply(root);
    if let Ok(list) = root.query_selector_all("[data-css]") {
        for i in 0..list.length() {
            if let Some(el) = list
                .item(i)
                .and_then(|n| n.dyn_into::<web_sys::Element>().ok())
            {
                apply(&el);
            }
        }
    }
}
