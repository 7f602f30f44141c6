//! The engine alone in wasm, in a browser's dedicated Web Worker (the page's
//! engine runs in one): the whole run of a preset, timed. A benchmark, not a
//! test: `scripts/bench-wasm.sh` runs it (in headless Chromium through
//! wasm-bindgen-test) interleaved with native runs and prints the ratio. The
//! test command leaves it out.
#![cfg(target_arch = "wasm32")]

use incident_sim::scenario::Scenario;
use incident_sim::sim::Sim;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_dedicated_worker);

/// One whole run of `BENCH_PRESET` (compile-time, default `incident`),
/// printed as `wasm-bench events=… digest=… ms=…`.
#[wasm_bindgen_test]
#[ignore = "a benchmark: scripts/bench-wasm.sh"]
fn whole_run_in_a_dedicated_worker() {
    let sc = Scenario::preset(option_env!("BENCH_PRESET").unwrap_or("incident"));
    let p = sc.params().expect("a preset is valid");
    let t0 = js_sys::Date::now();
    let mut sim = Sim::new(&p, sc.seed);
    sim.run_to_end();
    let ms = js_sys::Date::now() - t0;
    web_sys::console::log_1(
        &format!(
            "wasm-bench events={} digest={:#x} ms={ms:.0}",
            sim.events(),
            sim.digest()
        )
        .into(),
    );
}
