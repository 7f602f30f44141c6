//! What several test files share: the small cluster and its trace digest.
#![allow(dead_code)]

use incident_sim::scenario::Scenario;
use incident_sim::sim::params::Params;

/// A small cluster that still has every mechanism: 4 nodes, 12 replicas,
/// 90 clients, 240 s, the rollout at 30 s.
pub const SMALL: [(&str, &str); 8] = [
    ("duration_s", "240"),
    ("rollout_start_s", "30"),
    ("clients", "90"),
    ("replicas", "12"),
    ("service_nodes", "4"),
    ("conntrack_allowance", "20000"),
    ("dns_qps_per_node", "100"),
    ("trace_every_nth_client", "3"),
];

/// The trace digest of [`small`] with seed 7: natively (tests/engine.rs) and
/// in wasm (tests/wasm_engine.rs) alike.
pub const SMALL_DIGEST: u64 = 0x23e6_9e1a_8e95_5873;

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
