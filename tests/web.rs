//! Browser tests: the real `App` mounted in headless Chromium, driven through
//! its DOM (clicks, inputs), with the state passed the way a link passes it.
#![cfg(target_arch = "wasm32")]

mod common;

use common::small_query;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn doc() -> web_sys::Document {
    web_sys::window().unwrap().document().unwrap()
}

/// Serves the page's runs on this thread, in slices from timers, as the
/// worker would (the test runner has no worker script to load; the built
/// site's worker is tested end to end by tests/e2e).
fn serve_runs_inline() {
    use incident_sim::run::{Reply, Request, Service};
    use std::cell::{Cell, RefCell};
    use std::rc::Rc;
    struct Inline {
        service: RefCell<Service>,
        deliver: Rc<dyn Fn(Reply)>,
        scheduled: Cell<bool>,
    }
    fn later(f: impl FnOnce() + 'static) {
        gloo::timers::callback::Timeout::new(0, f).forget();
    }
    fn schedule(me: &Rc<Inline>) {
        if me.scheduled.get() || !me.service.borrow().busy() {
            return;
        }
        me.scheduled.set(true);
        let me = me.clone();
        later(move || {
            me.scheduled.set(false);
            let replies = me.service.borrow_mut().work();
            for r in replies {
                (me.deliver)(r);
            }
            schedule(&me);
        });
    }
    incident_sim::ui::worker::serve_runs_with(|deliver| {
        let me = Rc::new(Inline {
            service: RefCell::new(Service::default()),
            deliver,
            scheduled: Cell::new(false),
        });
        Rc::new(move |r: Request| {
            let replies = me.service.borrow_mut().request(r);
            let m2 = me.clone();
            later(move || {
                for r in replies {
                    (m2.deliver)(r);
                }
            });
            schedule(&me);
        })
    });
}

/// Mounts the app as if opened with `query` (the URL carries the state).
fn mount(query: &str) -> (web_sys::Element, yew::AppHandle<incident_sim::ui::App>) {
    serve_runs_inline();
    render_at(query)
}

/// Renders the app as if opened with `query`, its runs served by whatever
/// `serve_runs_with` set last.
fn render_at(query: &str) -> (web_sys::Element, yew::AppHandle<incident_sim::ui::App>) {
    let w = web_sys::window().unwrap();
    w.history()
        .unwrap()
        .replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&format!("?{query}")))
        .unwrap();
    let root = doc().create_element("div").unwrap();
    doc().body().unwrap().append_child(&root).unwrap();
    let handle = yew::Renderer::<incident_sim::ui::App>::with_root(root.clone()).render();
    (root, handle)
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

fn q(root: &web_sys::Element, sel: &str) -> Option<web_sys::Element> {
    root.query_selector(sel).unwrap()
}

fn text(root: &web_sys::Element, sel: &str) -> String {
    q(root, sel)
        .and_then(|e| e.text_content())
        .unwrap_or_default()
}

fn click(root: &web_sys::Element, sel: &str) {
    let el: web_sys::HtmlElement = q(root, sel)
        .unwrap_or_else(|| panic!("no {sel}"))
        .dyn_into()
        .unwrap();
    el.click();
}

/// Waits (up to `ms`) until `f` holds, re-rendering in between.
async fn until(ms: i32, mut f: impl FnMut() -> bool) -> bool {
    let mut waited = 0;
    while waited < ms {
        yew::scheduler::flush().await;
        if f() {
            return true;
        }
        sleep_ms(50).await;
        waited += 50;
    }
    false
}

/// A worker from another build (cached from before a deploy): every message
/// it gets or sends is unreadable to the other side. The page says so, and
/// how to fix it, instead of stopping.
#[wasm_bindgen_test]
async fn a_worker_from_another_build_is_named_not_fatal() {
    use incident_sim::run::{wire, Reply, Request};
    use std::rc::Rc;
    incident_sim::ui::worker::serve_runs_with(|deliver| {
        Rc::new(move |_: Request| {
            // The bytes as another build would send them back.
            let junk = [0xffu8; 7];
            let deliver = deliver.clone();
            gloo::timers::callback::Timeout::new(0, move || {
                if let Some(reply) = wire::decode_or_unreadable::<Reply>(&junk) {
                    deliver(reply);
                }
            })
            .forget();
        })
    });
    let (root, app) = render_at(&small_query());
    assert!(
        until(3_000, || text(&root, ".banner").contains("reload the page")).await,
        "no message: {}",
        text(&root, ".banner")
    );
    assert!(text(&root, ".banner").contains("two versions of the site"));
    // The page is still there: its transport is drawn.
    assert!(q(&root, "#play").is_some());
    app.destroy();
    root.remove();
}

#[wasm_bindgen_test]
async fn play_advances_the_engine_clock_and_pause_stops_it() {
    let (root, app) = mount(&small_query());
    yew::scheduler::flush().await;
    let before = text(&root, "#sim-time");
    let play = q(&root, "#play").unwrap();
    assert_eq!(play.get_attribute("aria-label").as_deref(), Some("Play"));
    click(&root, "#play");
    assert!(
        until(3_000, || text(&root, "#sim-time") != before).await,
        "time did not move while playing"
    );
    assert_eq!(
        q(&root, "#play")
            .unwrap()
            .get_attribute("aria-label")
            .as_deref(),
        Some("Pause")
    );
    click(&root, "#play");
    yew::scheduler::flush().await;
    sleep_ms(100).await;
    yew::scheduler::flush().await;
    let paused = text(&root, "#sim-time");
    sleep_ms(300).await;
    yew::scheduler::flush().await;
    assert_eq!(paused, text(&root, "#sim-time"), "time moved while paused");
    app.destroy();
}

#[wasm_bindgen_test]
async fn a_preset_changes_the_scenario_and_marks_what_differs() {
    let (root, app) = mount(&small_query());
    yew::scheduler::flush().await;
    click(&root, "#preset-fix-default-backoff");
    assert!(
        until(2_000, || text(&root, ".controls__row ~ .group")
            .contains("changed"))
        .await,
        "no changed mark"
    );
    let input: web_sys::HtmlInputElement = q(&root, "#param-base_delay_ms")
        .unwrap()
        .dyn_into()
        .unwrap();
    assert_eq!(input.value(), "1000");
    let url = web_sys::window().unwrap().location().search().unwrap();
    assert!(url.contains("preset=fix-default-backoff"), "{url}");
    // Changing one slider keeps the preset and adds an override.
    let el: web_sys::HtmlInputElement = q(&root, "#param-base_delay_ms")
        .unwrap()
        .dyn_into()
        .unwrap();
    el.set_value("700");
    el.dispatch_event(&web_sys::Event::new("change").unwrap())
        .unwrap();
    assert!(
        until(2_000, || web_sys::window()
            .unwrap()
            .location()
            .search()
            .unwrap()
            .contains("base_delay_ms"))
        .await
    );
    app.destroy();
}

#[wasm_bindgen_test]
async fn step_through_shows_the_martian_path_for_a_syn_to_a_deleted_pod() {
    let (root, app) = mount(&format!("{}&t=80", small_query()));
    assert!(
        until(20_000, || text(&root, "#sim-time") == "t = 1:20").await,
        "did not reach t=80: {}",
        text(&root, "#sim-time")
    );
    let mut found = false;
    for _ in 0..5 {
        click(&root, "#next-deleted-syn");
        if until(8_000, || q(&root, "#steps").is_some()).await {
            found = true;
            break;
        }
    }
    assert!(found, "no SYN to a deleted pod was found");
    while q(&root, "#step-next").is_some() {
        click(&root, "#step-next");
        yew::scheduler::flush().await;
    }
    let steps = text(&root, "#steps");
    assert!(steps.contains("no_addr = 1"), "{steps}");
    assert!(steps.contains("last_resort"), "{steps}");
    assert!(steps.contains("-EXDEV"), "{steps}");
    assert!(
        text(&root, "#verdict").contains("martian"),
        "{}",
        text(&root, "#verdict")
    );
    // The inspector explains why the SYN was sent, back to the rollout.
    let why = text(&root, "#why");
    assert!(
        why.contains("Why it was sent")
            && why.contains("deleted at")
            && why.contains("Why it died silently")
            && why.contains("Root"),
        "{why}"
    );
    assert!(text(&root, "#fate").contains("martian (rp_filter, no_addr)"));
    // Toggling the address on ens6 re-runs the same packet: loose mode accepts it.
    let cb: web_sys::HtmlInputElement = q(&root, "#kt-addr").unwrap().dyn_into().unwrap();
    cb.set_checked(true);
    cb.dispatch_event(&web_sys::Event::new("change").unwrap())
        .unwrap();
    assert!(
        until(2_000, || text(&root, "#steps").contains("loose mode")).await,
        "{}",
        text(&root, "#steps")
    );
    app.destroy();
}

#[wasm_bindgen_test]
async fn step_through_shows_ip_error_for_an_unreachable_route() {
    let (root, app) = mount(&format!(
        "{},cilium_unreachable_route:true&t=80",
        small_query()
    ));
    assert!(until(20_000, || text(&root, "#sim-time") == "t = 1:20").await);
    let mut found = false;
    for _ in 0..5 {
        click(&root, "#next-deleted-syn");
        if until(8_000, || q(&root, "#steps").is_some()).await {
            found = true;
            break;
        }
    }
    assert!(found);
    while q(&root, "#step-next").is_some() {
        click(&root, "#step-next");
        yew::scheduler::flush().await;
    }
    let steps = text(&root, "#steps");
    assert!(
        steps.contains("unreachable route") && steps.contains("ip_error"),
        "{steps}"
    );
    assert!(text(&root, "#verdict").contains("EHOSTUNREACH"));
    app.destroy();
}

#[wasm_bindgen_test]
async fn a_broken_link_shows_messages_and_the_app_keeps_working() {
    let (root, app) = mount("preset=nope&t=abc&set=frob:1,base_delay_ms:0&speed=9999&pkt=x");
    yew::scheduler::flush().await;
    let banner = text(&root, ".banner");
    assert!(
        banner.contains("unknown preset")
            && banner.contains("frob")
            && banner.contains("base_delay_ms"),
        "{banner}"
    );
    click(&root, "#play");
    let before = text(&root, "#sim-time");
    assert!(until(3_000, || text(&root, "#sim-time") != before).await);
    app.destroy();
}

#[wasm_bindgen_test]
async fn comparing_with_the_fix_shows_both_runs_and_where_they_part() {
    let (root, app) = mount(&format!(
        "{}&t=90&compare=fix-default-backoff",
        small_query()
    ));
    assert!(
        until(60_000, || {
            let s = text(&root, "#compare-summary");
            s.contains("part at") && q(&root, ".compare__table").is_some()
        })
        .await,
        "no comparison: {}",
        text(&root, "#compare-summary")
    );
    let summary = text(&root, "#compare-summary");
    // The fix runs alone (its own fleet), on the link's seed, and the
    // columns say what they are.
    assert!(
        summary.contains("fix-default-backoff applied alone") && summary.contains("your run"),
        "{summary}"
    );
    let cell = |row: usize, col: usize| -> f64 {
        let sel = format!(
            ".compare__table tr:nth-child({}) td:nth-child({})",
            row + 2,
            col + 1
        );
        text(&root, &sel)
            .replace(',', "")
            .trim()
            .parse::<f64>()
            .unwrap_or(f64::NAN)
    };
    // Our small incident drops SYNs at rp_filter; the fix, run alone,
    // never overflows the VPC table (the whole 900 s run).
    let (martians, fix_drops) = (cell(1, 1), cell(2, 2));
    assert!(
        martians > 0.0 && fix_drops == 0.0,
        "rp_filter drops {martians}, the fix's allowance drops {fix_drops}"
    );
    assert!(web_sys::window()
        .unwrap()
        .location()
        .search()
        .unwrap()
        .contains("compare=fix-default-backoff"));
    // Choosing "nothing" ends the comparison.
    let sel: web_sys::HtmlSelectElement = q(&root, "#compare").unwrap().dyn_into().unwrap();
    sel.set_value("");
    sel.dispatch_event(&web_sys::Event::new("change").unwrap())
        .unwrap();
    assert!(until(2_000, || q(&root, ".compare__table").is_none()).await);
    app.destroy();
}

#[wasm_bindgen_test]
fn every_preset_runs_to_the_native_digest_in_the_browser() {
    // Full runs of every preset, compiled to wasm and run in Chromium: the
    // same traces as natively (tests/engine.rs checks the same table).
    for (name, want) in common::PRESET_DIGESTS {
        let got = common::preset_digest(name);
        assert_eq!(got, want, "{name}: digest {got:#x} in the browser");
    }
}

/// More service nodes than the topology draws rows: the canvas stays the
/// height of twelve rows, a pager moves the window, and selecting a packet
/// on a node outside it moves the window to that node.
#[wasm_bindgen_test]
async fn many_nodes_draw_a_window_that_follows_the_selected_packet() {
    use incident_sim::viz::topology::{Layout, MAX_ROWS};
    let query = format!("{},service_nodes:20,replicas:40", small_query());
    // The same run, here, to find a packet on a node past the first window.
    let (state, errors) = incident_sim::scenario::url::decode(&query);
    assert!(errors.is_empty(), "{errors:?}");
    let p = state.scenario.params().expect("valid");
    let mut sim = incident_sim::sim::Sim::new(&p, state.scenario.seed);
    sim.run_to_end();
    let far = sim
        .trace
        .packets
        .iter()
        .find(|q| usize::from(q.node) >= MAX_ROWS + 2)
        .expect("a packet on a node past the first window");
    let (id, node) = (far.id, usize::from(far.node));
    let at = far.sent.as_secs_f64();

    let (root, app) = mount(&query);
    let first = |root: &web_sys::Element| {
        q(root, "#topology-window")
            .and_then(|e| e.get_attribute("data-first"))
            .unwrap_or_default()
    };
    assert!(
        until(20_000, || first(&root) == "0").await,
        "no window over 20 nodes"
    );
    let canvas: web_sys::HtmlCanvasElement = q(&root, "#topology").unwrap().dyn_into().unwrap();
    assert!(until(5_000, || canvas.height() > 0).await);
    let css_h = f64::from(canvas.client_height());
    let css_w = f64::from(canvas.client_width());
    let twelve = Layout::new(MAX_ROWS, 1).height * css_w / 1000.0;
    assert!(
        (css_h - twelve).abs() <= 2.0,
        "canvas {css_h} px tall for 20 nodes, {twelve} for twelve"
    );
    click(&root, "#topology-window button[aria-label='later nodes']");
    assert!(
        until(2_000, || first(&root) == "8").await,
        "the pager moved to {}",
        first(&root)
    );
    click(&root, "#topology-window button[aria-label='earlier nodes']");
    assert!(until(2_000, || first(&root) == "0").await);
    app.destroy();

    // Opened on that packet: the window shows its node.
    let (root, app) = mount(&format!("{query}&t={at:.3}&pkt={id}"));
    let want = (node + 1 - MAX_ROWS).to_string();
    assert!(
        until(20_000, || first(&root) == want).await,
        "packet {id} on node {node}: window starts at {}, not {want}",
        first(&root)
    );
    assert!(
        text(&root, "#topology-window").contains("of 20"),
        "{}",
        text(&root, "#topology-window")
    );
    app.destroy();
}
