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

/// Three whole runs of `BENCH_PRESET` (compile-time, default `incident`) in
/// one worker, printed as `wasm-bench events=… digest=… ms=… warm_ms=…`:
/// `ms` is the first, which a fresh worker runs while V8 is still compiling
/// the module (lazily, then again optimised in the background: wasm has no
/// on-stack replacement, so hot code runs unoptimised until that finishes);
/// `warm_ms` is the faster of the next two, the engine's speed once compiled
/// (what a page's second run, after a change, gets).
#[wasm_bindgen_test]
#[ignore = "a benchmark: scripts/bench-wasm.sh"]
fn whole_run_in_a_dedicated_worker() {
    let sc = Scenario::preset(option_env!("BENCH_PRESET").unwrap_or("incident"));
    let p = sc.params().expect("a preset is valid");
    let mut times = Vec::new();
    let mut last = None;
    for _ in 0..3 {
        let t0 = js_sys::Date::now();
        let mut sim = Sim::new(&p, sc.seed);
        sim.run_to_end();
        times.push(js_sys::Date::now() - t0);
        if let Some((events, digest)) = last {
            assert_eq!(
                (sim.events(), sim.digest()),
                (events, digest),
                "runs differ"
            );
        }
        last = Some((sim.events(), sim.digest()));
    }
    let (events, digest) = last.expect("three runs");
    let warm = times[1].min(times[2]);
    web_sys::console::log_1(
        &format!(
            "wasm-bench events={events} digest={digest:#x} ms={:.0} warm_ms={warm:.0}",
            times[0]
        )
        .into(),
    );
}
