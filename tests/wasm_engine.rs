//! The engine compiled to wasm32 (run in Node by wasm-bindgen-test): the same
//! scenario and seed must give the same trace digest as natively.
#![cfg(target_arch = "wasm32")]

mod common;

use common::{small, SMALL_DIGEST};
use incident_sim::sim::Sim;
use wasm_bindgen_test::*;

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
