//! Browser tests: the real `App` mounted in headless Chromium.
#![cfg(target_arch = "wasm32")]

use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn mount() -> web_sys::Element {
    let doc = web_sys::window().unwrap().document().unwrap();
    let root = doc.create_element("div").unwrap();
    doc.body().unwrap().append_child(&root).unwrap();
    yew::Renderer::<incident_sim::ui::App>::with_root(root.clone()).render();
    root
}

async fn sleep_ms(ms: i32) {
    let p = js_sys::Promise::new(&mut |resolve, _| {
        web_sys::window()
            .unwrap()
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms)
            .unwrap();
    });
    wasm_bindgen_futures::JsFuture::from(p).await.unwrap();
}

#[wasm_bindgen_test]
async fn play_advances_the_engine_clock_and_pause_stops_it() {
    let root = mount();
    yew::scheduler::flush().await;
    let time = root.query_selector("#sim-time").unwrap().unwrap();
    let before = time.text_content().unwrap();
    let play: web_sys::HtmlElement = root
        .query_selector("#play")
        .unwrap()
        .unwrap()
        .dyn_into()
        .unwrap();
    assert_eq!(play.get_attribute("aria-label").as_deref(), Some("Play"));
    play.click();
    yew::scheduler::flush().await;
    sleep_ms(300).await;
    yew::scheduler::flush().await;
    let during = time.text_content().unwrap();
    assert_ne!(before, during, "time did not move while playing");
    assert_eq!(play.get_attribute("aria-label").as_deref(), Some("Pause"));
    play.click();
    yew::scheduler::flush().await;
    let paused = time.text_content().unwrap();
    sleep_ms(200).await;
    yew::scheduler::flush().await;
    assert_eq!(
        paused,
        time.text_content().unwrap(),
        "time moved while paused"
    );
}
