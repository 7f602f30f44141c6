//! What several test files share: the small cluster and its trace digest.
#![allow(dead_code)]

use incident_sim::scenario::Scenario;
use incident_sim::sim::params::Params;

/// A small cluster that still has every mechanism: 4 nodes, 12 replicas,
/// 90 clients, 240 s, the rollout at 30 s.
pub const SMALL: [(&str, &str); 8] = incident_sim::scenario::SMALL_FOR_TESTS;

/// The trace digest of [`small`] with seed 7: natively (tests/engine.rs) and
/// in wasm (tests/wasm_engine.rs) alike.
pub const SMALL_DIGEST: u64 = 0x6251_f263_14d5_5873;

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
    ("incident", 0x7497_bac3_37af_7161),
    ("fix-default-backoff", 0x613f_b0a8_f799_c017),
    ("larger-instance", 0xddae_b436_f325_3d9b),
    ("pick-first", 0x99e9_91e3_306e_1ca1),
    ("cilium-unreachable-route", 0x4920_797f_2a6d_127f),
    ("ens6-address", 0x6ec3_25ca_0a7a_5197),
    ("no-rollout", 0x9a28_bc6c_5eb1_8265),
];

/// The digest of preset `name`'s full run with seed 1.
pub fn preset_digest(name: &str) -> u64 {
    let sc = Scenario::preset(name);
    let mut sim = incident_sim::sim::Sim::new(&sc.params().expect("a preset is valid"), sc.seed);
    sim.run_to_end();
    sim.digest()
}
