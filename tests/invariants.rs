//! Invariants of the model on random valid scenarios (issue 21, point 8):
//! small ones (few clients, short runs) so that a bounded number of cases
//! keeps the test command fast. Every SYN meets exactly one fate; no table
//! exceeds its limit; no entry outlives its timeout; time never goes
//! backwards; the series agree with the totals and the trace they
//! summarise; the pcapng export holds exactly the sampled SYNs of the run.

use incident_sim::export;
use incident_sim::scenario::Scenario;
use incident_sim::sim::metrics::{Global, PerNode};
use incident_sim::sim::summary::Summary;
use incident_sim::sim::time::{SimDuration, SimTime};
use incident_sim::sim::trace::PacketKind;
use incident_sim::sim::Sim;
use proptest::prelude::*;

/// Cases per property: each runs a scenario of up to 150 simulated
/// seconds (about 0.1 s); `PROPTEST_CASES` raises it for a longer campaign.
const CASES: u32 = 64;

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(CASES),
        ..ProptestConfig::default()
    }
}

/// A small valid scenario: random settings of the parts that change what
/// happens to SYNs, tables and DNS.
fn scenario() -> impl Strategy<Value = Scenario> {
    let a = (
        1u32..=60,   // clients
        1u32..=12,   // replicas
        1u32..=4,    // service_nodes
        60u64..=150, // duration_s
        0u64..=50,   // rollout_start_s
        any::<bool>(),
        0u32..=2,      // rp_filter_ens6
        any::<bool>(), // ens6_address
        any::<bool>(), // cilium_unreachable_route
        any::<bool>(), // pick_first
    );
    let b = (
        10u64..=2_000,             // base_delay_ms
        10u64..=3_000,             // max_delay_ms
        0u64..=5_000,              // min_connect_timeout_ms
        0usize..3,                 // grpc_semantics
        1_000u64..=4_000,          // conntrack_allowance
        1_000u64..=3_000,          // nf_conntrack_max
        1u64..=90,                 // vpc_syn_timeout_s
        0u64..=5_000,              // vpc_sweep_ms
        0u32..=300,                // dns_qps_per_node
        (0u64..=30, any::<u64>()), // graceful_timeout_s, seed
    );
    (a, b).prop_map(|(a, b)| {
        let (clients, replicas, nodes, duration, start, rollout, rpf, ens6, unreach, pf) = a;
        let (base, max, minc, sem, allowance, ctmax, syn_to, sweep, qps, (grace, seed)) = b;
        let set = [
            ("clients", clients.to_string()),
            ("replicas", replicas.to_string()),
            ("service_nodes", nodes.to_string()),
            ("duration_s", duration.to_string()),
            ("rollout_start_s", start.to_string()),
            ("rollout", rollout.to_string()),
            ("rp_filter_ens6", rpf.to_string()),
            ("ens6_address", ens6.to_string()),
            ("cilium_unreachable_route", unreach.to_string()),
            (
                "lb_policy",
                if pf { "pick_first" } else { "round_robin" }.to_string(),
            ),
            ("base_delay_ms", base.to_string()),
            ("max_delay_ms", max.to_string()),
            ("min_connect_timeout_ms", minc.to_string()),
            (
                "grpc_semantics",
                ["go-1.41", "go-1.40", "spec"][sem].to_string(),
            ),
            ("conntrack_allowance", allowance.to_string()),
            ("nf_conntrack_max", ctmax.to_string()),
            ("vpc_syn_timeout_s", syn_to.to_string()),
            ("vpc_sweep_ms", sweep.to_string()),
            ("dns_qps_per_node", qps.to_string()),
            ("graceful_timeout_s", grace.to_string()),
            ("pod_startup_s", "5".to_string()),
            ("trace_every_nth_client", "1".to_string()),
        ];
        Scenario {
            preset: "incident".into(),
            set: set
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
            seed,
        }
    })
}

/// Runs the scenario one event at a time, checking that time never goes
/// backwards.
fn run_stepwise(sim: &mut Sim) {
    let mut last = sim.now();
    while sim.step() {
        assert!(
            sim.now() >= last,
            "time went back: {:?} after {last:?}",
            sim.now()
        );
        last = sim.now();
    }
    sim.run_to_end();
    assert!(sim.now() >= last);
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn the_model_keeps_its_invariants(sc in scenario()) {
        let p = sc.params().expect("the strategy builds valid scenarios");
        let mut sim = Sim::new(&p, sc.seed);
        run_stepwise(&mut sim);
        let end = sim.now();
        prop_assert_eq!(end, SimTime::from_secs(p.duration_s));

        // Every SYN meets exactly one fate.
        let t = &sim.totals;
        let at_node = t.martian_drops + t.syn_acked + t.syn_rst + t.syn_icmp
            + t.syn_icmp_limited + t.syn_src_dst + t.syn_linux_ct_dropped + t.syn_other;
        prop_assert_eq!(t.syn_reached_node, at_node, "fates at the node");
        let arrived = t.syn_reached_node + t.syn_vpc_dropped;
        prop_assert!(t.syn_sent >= arrived, "sent {} < arrived {}", t.syn_sent, arrived);
        // The rest are on the wire at the end: each is a pending arrival.
        prop_assert!(
            t.syn_sent - arrived <= sim.pending_events() as u64,
            "sent {} arrived {} pending {}", t.syn_sent, arrived, sim.pending_events()
        );

        // No table exceeds its limit.
        let s = Summary::of(&sim);
        prop_assert!(s.vpc_conntrack_peak <= p.conntrack_allowance as f64);
        prop_assert!(s.linux_conntrack_peak <= p.nf_conntrack_max as f64);
        for n in 0..sim.nodes.len() {
            for &v in sim.metrics.node(n, PerNode::VpcConntrack) {
                prop_assert!(v <= p.conntrack_allowance as f64, "node {} VPC {}", n, v);
            }
            for &v in sim.metrics.node(n, PerNode::LinuxConntrack) {
                prop_assert!(v <= p.nf_conntrack_max as f64, "node {} Linux {}", n, v);
            }
            for &v in sim.metrics.node(n, PerNode::NldInflight) {
                prop_assert!(v <= f64::from(p.nld_max_concurrent), "node {} in flight {}", n, v);
            }
        }
        prop_assert!(sim.trace.packets.len() <= sim.trace.max_packets);
        prop_assert!(sim.trace.kernel_log.len() <= sim.trace.max_log_lines);

        // No entry outlives its timeout: once the longest timeout (and a
        // sweep) has passed with nothing new, only established flows hold
        // entries.
        let vpc_ttl = p.vpc_syn_timeout_s.max(p.vpc_closed_timeout_s).max(p.vpc_udp_timeout_s);
        let later = end + SimDuration::from_secs(vpc_ttl) + SimDuration::from_millis(p.vpc_sweep_ms + 1);
        let linux_later = end + SimDuration::from_secs(121);
        for node in &sim.nodes {
            let mut vpc = node.vpc.clone();
            prop_assert_eq!(vpc.count(later), vpc.established, "node {} VPC", node.index);
            let mut ct = node.linux_ct.clone();
            prop_assert_eq!(ct.count(linux_later), ct.established, "node {} Linux", node.index);
        }

        // Time order of what was recorded.
        prop_assert!(sim.trace.packets.windows(2).all(|w| w[0].sent <= w[1].sent));
        prop_assert!(sim.trace.events.windows(2).all(|w| w[0].at <= w[1].at));
        prop_assert!(sim.trace.packets.iter().all(|p| p.sent <= p.arrives && p.sent <= end));

        // The series agree with the totals and with the sampled trace.
        let sum = |g: Global| sim.metrics.global(g).iter().sum::<f64>();
        prop_assert_eq!(sim.metrics.seconds() as u64, p.duration_s);
        prop_assert_eq!(sum(Global::SynSent), t.syn_sent as f64);
        prop_assert_eq!(sum(Global::MartianDrops), t.martian_drops as f64);
        let martians: f64 = (0..sim.nodes.len())
            .map(|n| sim.metrics.node(n, PerNode::MartianDrops).iter().sum::<f64>())
            .sum();
        prop_assert_eq!(martians, t.martian_drops as f64);
        let syn_series = sim.metrics.global(Global::SynSent);
        let mut sampled = vec![0f64; syn_series.len()];
        for pk in &sim.trace.packets {
            if matches!(pk.kind, PacketKind::Syn | PacketKind::SynRetransmit) {
                let s = (pk.sent.micros() / 1_000_000) as usize;
                if s < sampled.len() {
                    sampled[s] += 1.0;
                }
            }
        }
        for (s, (&all, &some)) in syn_series.iter().zip(&sampled).enumerate() {
            prop_assert!(some <= all, "second {}: {} sampled SYNs, {} sent", s, some, all);
        }
    }

    #[test]
    fn the_pcapng_export_holds_the_sampled_syns_of_the_window(
        sc in scenario(),
        until in 10u64..=60,
    ) {
        let p = sc.params().expect("valid");
        let mut sim = Sim::new(&p, sc.seed);
        sim.run_until(SimTime::from_secs(until));
        let bytes = export::render(&sim, "pcapng", "incident").expect("a format");
        let mut reader = pcap_file::pcapng::PcapNgReader::new(&bytes[..]).expect("a pcapng file");
        let mut syns = 0usize;
        let mut frames = 0usize;
        while let Some(block) = reader.next_block() {
            if let pcap_file::pcapng::Block::EnhancedPacket(epb) = block.expect("a valid block") {
                frames += 1;
                let eth = etherparse::SlicedPacket::from_ethernet(&epb.data).expect("a frame");
                if let Some(etherparse::TransportSlice::Tcp(tcp)) = eth.transport {
                    if tcp.syn() && !tcp.ack() {
                        syns += 1;
                    }
                }
            }
        }
        let sampled = sim
            .trace
            .packets
            .iter()
            .filter(|pk| matches!(pk.kind, PacketKind::Syn | PacketKind::SynRetransmit | PacketKind::DnsTcpSyn))
            .count();
        prop_assert_eq!(frames, sim.trace.packets.len());
        prop_assert_eq!(syns, sampled);
        prop_assert!(sim.trace.packets.iter().all(|pk| pk.sent <= SimTime::from_secs(until)));
    }
}

/// A value for every parameter of the catalog, anywhere in its range and
/// often at its ends: what input can reach the engine.
fn any_settings() -> impl Strategy<Value = Vec<(String, String)>> {
    use incident_sim::scenario::catalog::{Kind, PARAMS};
    let picks: Vec<BoxedStrategy<(String, String)>> = PARAMS
        .iter()
        .map(|s| {
            let key = s.key.to_string();
            match s.kind {
                Kind::Int { min, max } => prop_oneof![Just(min), Just(max), min..=max]
                    .prop_map(move |v| (key.clone(), v.to_string()))
                    .boxed(),
                Kind::Bool => any::<bool>()
                    .prop_map(move |v| (key.clone(), v.to_string()))
                    .boxed(),
                Kind::Enum(opts) => (0..opts.len())
                    .prop_map(move |i| (key.clone(), opts[i].to_string()))
                    .boxed(),
            }
        })
        .collect();
    picks
}

/// Fewer cases for the property over any settings: each may run up to
/// 600,000 events and render every export.
fn config_any() -> ProptestConfig {
    ProptestConfig {
        cases: config().cases.div_ceil(4),
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config_any())]

    /// Any setting the ranges allow runs without overflow or panic (test
    /// builds check overflow) when the run is small enough to try here.
    #[test]
    fn any_settings_within_the_ranges_run(set in any_settings(), seed in any::<u64>()) {
        let mut set = set;
        set.push(("duration_s".into(), "60".into()));
        set.push(("rollout_start_s".into(), "20".into()));
        let sc = Scenario { preset: "incident".into(), set, seed };
        let Ok(p) = sc.params() else {
            return Ok(()); // an invalid combination (e.g. too many pods a node) is refused
        };
        let cost = incident_sim::scenario::cost::estimate(&p);
        prop_assert!(cost.wall_s.is_finite());
        if cost.events > 600_000 || cost.lookups > 600_000 {
            return Ok(());
        }
        let mut sim = Sim::new(&p, sc.seed);
        let mut budget = cost.event_budget();
        while !sim.run_to_end_bounded(100_000) {
            budget = budget.saturating_sub(100_000);
            prop_assert!(budget > 0, "past the budget: {}", cost.describe());
        }
        let _ = Summary::of(&sim);
        for f in export::FORMATS {
            prop_assert!(export::render(&sim, f.name, "incident").is_some());
        }
    }
}
