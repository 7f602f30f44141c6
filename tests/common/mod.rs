//! What several test files share: the small cluster and its trace digest.
#![allow(dead_code)]

use incident_sim::scenario::Scenario;
use incident_sim::sim::params::Params;

/// A small cluster that still has every mechanism: 4 nodes, 12 replicas,
/// 90 clients, 240 s, the rollout at 30 s.
pub const SMALL: [(&str, &str); 8] = incident_sim::scenario::SMALL_FOR_TESTS;

/// The trace digest of [`small`] with seed 7: natively (tests/engine.rs) and
/// in wasm (tests/wasm_engine.rs) alike.
pub const SMALL_DIGEST: u64 = 0xb36d_fc64_b360_7241;

/// The parameters of [`SMALL`].
pub fn small() -> Params {
    let mut s = Scenario::default();
    for (k, v) in SMALL {
        s.set.push((k.into(), v.into()));
    }
    s.params().expect("valid")
}

/// [`SMALL`] as the page's URL carries it (`set=key:value,...`).
pub fn small_query() -> String {
    let set: Vec<String> = SMALL.iter().map(|(k, v)| format!("{k}:{v}")).collect();
    format!("set={}", set.join(","))
}

/// The trace digest of every preset's full run with seed 1: natively
/// (tests/engine.rs) and in headless Chromium (tests/web.rs) alike. A model
/// change moves them; both tests then say so.
pub const PRESET_DIGESTS: [(&str, u64); 7] = [
    ("incident", 0x7c26_a0f7_4ffa_079b),
    ("fix-default-backoff", 0x4fcd_b87d_2272_470d),
    ("larger-instance", 0x0693_08fd_21e5_3979),
    ("pick-first", 0x9642_2d17_7b43_9f5b),
    ("cilium-unreachable-route", 0x40c7_b5dc_8811_2705),
    ("ens6-address", 0x539c_5d79_f648_ff8d),
    ("no-rollout", 0x405c_d22e_2898_8687),
];

/// The digest of preset `name`'s full run with seed 1.
pub fn preset_digest(name: &str) -> u64 {
    let sc = Scenario::preset(name);
    let mut sim = incident_sim::sim::Sim::new(&sc.params().expect("a preset is valid"), sc.seed);
    sim.run_to_end();
    sim.digest()
}
