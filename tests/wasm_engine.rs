//! The engine compiled to wasm32 (run in Node by wasm-bindgen-test): the same
//! scenario and seed must give the same trace digest as natively.
#![cfg(target_arch = "wasm32")]

use incident_sim::scenario::Scenario;
use incident_sim::sim::Sim;
use wasm_bindgen_test::*;

/// Must equal `SMALL_DIGEST` in tests/engine.rs (the native run).
const SMALL_DIGEST: u64 = 0xab1b_1eef_ad77_b1b2;

fn small() -> incident_sim::sim::params::Params {
    let mut s = Scenario::default();
    for (k, v) in [
        ("duration_s", "240"),
        ("rollout_start_s", "30"),
        ("clients", "90"),
        ("replicas", "12"),
        ("service_nodes", "4"),
        ("conntrack_allowance", "20000"),
        ("dns_qps_per_node", "100"),
        ("trace_every_nth_client", "3"),
    ] {
        s.set.push((k.into(), v.into()));
    }
    s.params().expect("valid")
}

#[wasm_bindgen_test]
fn wasm_run_matches_the_native_digest() {
    let mut sim = Sim::new(&small(), 7);
    sim.run_to_end();
    assert_eq!(
        sim.digest(),
        SMALL_DIGEST,
        "wasm digest {:#x}",
        sim.digest()
    );
}
