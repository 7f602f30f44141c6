//! Short runs shared by the export tests (built once per test binary).

use crate::scenario::Scenario;
use crate::sim::Sim;
use std::sync::OnceLock;

/// A small cluster with every mechanism (4 nodes, 12 replicas, 90 clients,
/// a rollout at 15 s, a small VPC allowance), 120 s, with extra overrides.
fn run(extra: &[(&str, &str)], seed: u64) -> Sim {
    let mut s = Scenario::default();
    for (k, v) in [
        ("duration_s", "120"),
        ("rollout_start_s", "15"),
        ("clients", "90"),
        ("replicas", "12"),
        ("service_nodes", "4"),
        ("conntrack_allowance", "4000"),
        ("dns_qps_per_node", "100"),
        ("trace_every_nth_client", "3"),
    ]
    .iter()
    .chain(extra)
    {
        s.set.push((k.to_string(), v.to_string()));
    }
    let mut sim = Sim::new(&s.params().expect("valid scenario"), seed);
    sim.run_to_end();
    sim
}

/// The incident: rp_filter drops SYNs to deleted pods' addresses, the VPC
/// allowance runs out, terminating pods answer RST.
pub fn incident() -> &'static Sim {
    static SIM: OnceLock<Sim> = OnceLock::new();
    SIM.get_or_init(|| run(&[], 7))
}

/// Cilium's fix: an unreachable route, so the node answers ICMP.
pub fn unreachable_route() -> &'static Sim {
    static SIM: OnceLock<Sim> = OnceLock::new();
    SIM.get_or_init(|| run(&[("cilium_unreachable_route", "true")], 7))
}
