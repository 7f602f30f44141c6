//! Engine tests through the public API: determinism, packet accounting,
//! the rollout's invariants, and each model part against the facts it cites.

mod common;

use common::{small, SMALL_DIGEST};
use incident_sim::scenario::Scenario;
use incident_sim::sim::cluster::Phase;
use incident_sim::sim::params::Params;
use incident_sim::sim::summary::Summary;
use incident_sim::sim::time::SimTime;
use incident_sim::sim::trace::{Fate, PacketKind};
use incident_sim::sim::Sim;

fn run(p: &Params, seed: u64) -> Sim {
    let mut sim = Sim::new(p, seed);
    sim.run_to_end();
    sim
}

#[test]
fn same_seed_same_trace_different_seed_different_trace() {
    let p = small();
    let a = run(&p, 7);
    let b = run(&p, 7);
    let c = run(&p, 8);
    assert_eq!(a.digest(), b.digest());
    assert_eq!(a.events(), b.events());
    assert_eq!(Summary::of(&a), Summary::of(&b));
    assert_eq!(a.trace.packets, b.trace.packets);
    assert_ne!(a.digest(), c.digest());
    println!("small digest (seed 7): {:#x}", a.digest());
    assert_eq!(
        a.digest(),
        SMALL_DIGEST,
        "the recorded digest changed (tests/common/mod.rs; the wasm test checks the same)"
    );
}

#[test]
fn every_syn_meets_exactly_one_fate() {
    let sim = run(&small(), 3);
    let t = &sim.totals;
    let reached_fates = t.martian_drops
        + t.syn_acked
        + t.syn_rst
        + t.syn_icmp
        + t.syn_icmp_limited
        + t.syn_src_dst
        + t.syn_linux_ct_dropped
        + t.syn_other;
    assert_eq!(t.syn_reached_node, reached_fates, "fates at the node");
    let arrived = t.syn_reached_node + t.syn_vpc_dropped;
    // SYNs still on the wire at the end (sent less than one latency before it).
    assert!(
        t.syn_sent >= arrived && t.syn_sent - arrived < 100,
        "sent {} arrived {}",
        t.syn_sent,
        arrived
    );
    assert!(t.martian_drops > 0 && t.syn_rst > 0 && t.syn_acked > 0);
}

#[test]
fn rollout_respects_max_surge_and_max_unavailable() {
    let p = small();
    let mut sim = Sim::new(&p, 1);
    let surge = (p.replicas * p.max_surge_pct).div_ceil(100);
    let unavail = p.replicas * p.max_unavailable_pct / 100;
    let mut t = 0;
    while !sim.finished() {
        t += 1;
        sim.run_until(SimTime::from_secs(t));
        let counted = sim
            .pods
            .iter()
            .filter(|x| matches!(x.phase, Phase::Starting | Phase::Ready))
            .count() as u32;
        let ready = sim.pods.iter().filter(|x| x.phase == Phase::Ready).count() as u32;
        assert!(
            counted <= p.replicas + surge,
            "t={t}: {counted} pods > replicas + surge"
        );
        assert!(ready + unavail >= p.replicas, "t={t}: only {ready} ready");
    }
    let new_ready = sim
        .pods
        .iter()
        .filter(|x| x.revision == 1 && x.phase == Phase::Ready)
        .count() as u32;
    assert_eq!(new_ready, p.replicas, "rollout completes");
    assert!(sim
        .pods
        .iter()
        .filter(|x| x.revision == 0)
        .all(|x| x.phase == Phase::Deleted));
}

#[test]
fn syns_to_deleted_pods_die_in_rp_filter_and_to_terminating_pods_get_rst() {
    let sim = run(&small(), 1);
    let mut martians = 0;
    let mut rsts = 0;
    for syn in sim
        .trace
        .packets
        .iter()
        .filter(|x| x.kind == PacketKind::Syn)
    {
        let pod = &sim.pods[syn.pod as usize];
        let arrives = syn.arrives;
        match (pod.deleted_at, pod.terminated_at) {
            (Some(d), _) if arrives > d && syn.fate != Fate::ConntrackAllowance => {
                assert_eq!(
                    syn.fate,
                    Fate::RpFilter { no_addr: true },
                    "SYN to deleted {} at {}",
                    pod.ip,
                    arrives
                );
                assert_eq!(syn.fate.reason(), "martian (rp_filter, no_addr)");
                martians += 1;
            }
            (d, Some(t))
                if arrives > t && d.is_none_or(|d| arrives < d) && syn.fate == Fate::Delivered =>
            {
                // The answer is an RST (the listener is closed during GracefulStop).
                let answer = sim.trace.packets.iter().find(|r| r.answers == syn.id);
                if let Some(a) = answer {
                    assert_eq!(a.kind, PacketKind::Rst);
                    rsts += 1;
                }
            }
            _ => {}
        }
    }
    assert!(martians > 0 && rsts > 0, "martians {martians} rsts {rsts}");
    // Every martian was counted by the node kernel's IPReversePathFilter.
    let counted: u64 = sim
        .nodes
        .iter()
        .map(|n| n.ns.counters.ip_reverse_path_filter)
        .sum();
    assert_eq!(counted, sim.totals.martian_drops);
}

/// The post's flow-log graph of one old IP: a steady line of long-lived
/// connections from before the rollout, gone once GracefulStop closes them
/// (each client then sends its FIN), then the SYNs.
#[test]
fn flow_logs_of_the_old_ip_show_its_long_lived_connections_until_sigterm() {
    use incident_sim::sim::metrics::Global;
    let p = small();
    let sim = run(&p, 7);
    let pod = &sim.pods[sim.tracked_pod.expect("a pod terminated") as usize];
    let sigterm = pod.terminated_at.expect("terminated").secs() as usize;
    let est = sim.metrics.global(Global::FlowLogEstablished);
    // One channel per backend address: every client holds one connection
    // to this pod from the first second until SIGTERM.
    assert!(sigterm > 2);
    for (s, v) in est.iter().enumerate().take(sigterm).skip(1) {
        assert_eq!(*v, f64::from(p.clients), "second {s}");
    }
    assert!(est[sigterm + 1..].iter().all(|v| *v == 0.0));
    let fins: f64 = sim.metrics.global(Global::FlowLogFin).iter().sum();
    assert_eq!(fins, f64::from(p.clients));
}

/// node-local-dns's own packets are in the trace: new TCP connections to
/// cluster DNS and health checks, out of ens5 from the node's address, and
/// refused by the VPC exactly while the instance's table is full — the DNS
/// failures the responders saw first.
#[test]
fn dns_packets_from_node_local_dns_die_at_the_full_vpc_table() {
    use incident_sim::sim::nodelocal::CLUSTER_DNS;
    // The incident itself, to the height of the storm (the small cluster
    // never fills its table).
    let p = Scenario::default().params().expect("valid");
    let mut sim = Sim::new(&p, 1);
    sim.run_until(SimTime::from_secs(300));
    let dns: Vec<_> = sim
        .trace
        .packets
        .iter()
        .filter(|p| matches!(p.kind, PacketKind::DnsTcpSyn | PacketKind::DnsHealthCheck))
        .collect();
    assert!(dns.iter().any(|p| p.kind == PacketKind::DnsTcpSyn));
    assert!(dns.iter().any(|p| p.kind == PacketKind::DnsHealthCheck));
    for p in &dns {
        assert_eq!(p.src, sim.nodes[p.node as usize].ip);
        assert_eq!((p.dst, p.dport), (CLUSTER_DNS, 53));
        assert!(matches!(p.fate, Fate::Delivered | Fate::ConntrackAllowance));
    }
    let dropped: Vec<_> = dns
        .iter()
        .filter(|p| p.fate == Fate::ConntrackAllowance)
        .collect();
    assert!(!dropped.is_empty(), "the incident saturates the VPC table");
    // Only after the rollout started, and never before the first SYN that
    // the VPC refused (client SYNs fill the table; DNS only suffers).
    let first_syn_refused = sim
        .trace
        .packets
        .iter()
        .find(|p| p.kind == PacketKind::Syn && p.fate == Fate::ConntrackAllowance)
        .map(|p| p.sent)
        .expect("client SYNs refused");
    let rollout = SimTime::from_secs(sim.p.rollout_start_s);
    assert!(dropped.iter().all(|d| d.sent >= rollout));
    assert!(dropped[0].sent.micros() + 1_000_000 >= first_syn_refused.micros());
    // The trace stays in sending order with the node's packets mixed in.
    assert!(sim.trace.packets.windows(2).all(|w| w[0].sent <= w[1].sent));
    // Clients' FINs when GracefulStop closes their connections.
    assert!(sim.trace.packets.iter().any(|p| p.kind == PacketKind::Fin));
}

#[test]
fn the_engine_routes_through_the_lab_s_kernel_code() {
    // The same packet, asked of the node's namespace directly and through
    // the engine's path, must get the same verdict.
    let p = small();
    let mut sim = Sim::new(&p, 1);
    sim.run_until(SimTime::from_secs(200));
    let deleted = sim
        .pods
        .iter()
        .find(|x| x.phase == Phase::Deleted)
        .expect("a deleted pod")
        .clone();
    let (client_ip, host) = (sim.clients[0].ip, sim.clients[0].host);
    let node = &mut sim.nodes[deleted.node as usize];
    let direct = incident_sim::sim::linux::route_input(
        &node.ns,
        incident_sim::sim::linux::InputPacket {
            saddr: client_ip,
            daddr: deleted.ip,
            iif: node.ens6,
        },
        None,
    )
    .verdict;
    let engine = node.route_from_ens6(client_ip, deleted.ip, host, deleted.index);
    assert_eq!(direct, engine);
    // Asked again, the node answers from its memo: the same verdict.
    let again = node.route_from_ens6(client_ip, deleted.ip, host, deleted.index);
    assert_eq!(direct, again);
    assert!(matches!(
        engine,
        incident_sim::sim::linux::InputVerdict::MartianSource {
            rp_filter: true,
            ..
        }
    ));
}

#[test]
fn unreachable_route_answers_with_rate_limited_icmp() {
    let mut p = small();
    p.cilium_unreachable_route = true;
    let sim = run(&p, 1);
    assert_eq!(sim.totals.martian_drops, 0);
    assert!(sim.totals.icmp_sent > 0);
    // ip_error + icmpv4_xrlim_allow share one per-source bucket: a source
    // sending faster than 1 packet/s gets its burst (2) and little more.
    let sources = sim
        .clients
        .iter()
        .map(|c| c.ip)
        .collect::<std::collections::BTreeSet<_>>()
        .len() as u64;
    let unreach = sim.totals.syn_icmp + sim.totals.syn_icmp_limited;
    assert!(
        sim.totals.icmp_sent < unreach / 10,
        "icmp {} of {}",
        sim.totals.icmp_sent,
        unreach
    );
    assert!(
        sim.totals.icmp_sent >= sources,
        "every source gets at least its first ICMP"
    );
}

#[test]
fn an_address_on_ens6_turns_martians_into_src_dst_check_drops() {
    let mut p = small();
    p.ens6_address = true;
    let sim = run(&p, 1);
    assert_eq!(sim.totals.martian_drops, 0);
    assert!(sim.totals.syn_src_dst > 0);
    // Forwarded SYNs are confirmed in the Linux conntrack (martians never are).
    let inc = run(&small(), 1);
    let peak = |s: &Sim| s.nodes.iter().map(|n| n.linux_ct.peak).max().unwrap_or(0);
    assert!(peak(&sim) > peak(&inc), "{} vs {}", peak(&sim), peak(&inc));
}

#[test]
fn default_backoff_sends_far_fewer_syns_than_the_custom_one() {
    let inc = run(&small(), 1);
    let mut p = small();
    p.base_delay_ms = 1_000;
    p.max_delay_ms = 120_000;
    p.min_connect_timeout_ms = 20_000;
    let fix = run(&p, 1);
    assert!(
        fix.totals.syn_sent * 5 < inc.totals.syn_sent,
        "{} vs {}",
        fix.totals.syn_sent,
        inc.totals.syn_sent
    );
    // With a 20 s minimum connect timeout the client kernel retransmits SYNs
    // on the same 5-tuple (1, 3, 7, 15 s on 5.10).
    assert!(fix
        .trace
        .packets
        .iter()
        .any(|x| x.kind == PacketKind::SynRetransmit));
}

#[test]
fn memory_stays_bounded_at_the_parameter_ceilings() {
    let mut s = Scenario::default();
    for (k, v) in [
        ("duration_s", "60"),
        ("rollout_start_s", "45"),
        ("clients", "3000"),
        ("replicas", "120"),
        ("service_nodes", "40"),
        ("pod_startup_s", "5"),
        ("trace_per_second_cap", "100000"),
        ("trace_every_nth_client", "1"),
    ] {
        s.set.push((k.into(), v.into()));
    }
    let p = s.params().expect("valid at the ceilings");
    let mut sim = Sim::new(&p, 1);
    sim.run_to_end();
    assert!(sim.trace.packets.len() <= sim.trace.max_packets);
    assert!(sim.trace.kernel_log.len() <= sim.trace.max_log_lines);
    assert_eq!(sim.metrics.seconds(), 60);
    assert!(sim.pending_events() < 2_000_000);
}

#[test]
fn seeking_back_to_a_checkpoint_replays_exactly() {
    let p = small();
    let mut sim = Sim::new(&p, 5);
    sim.run_until(SimTime::from_secs(60));
    let cp = sim.checkpoint();
    sim.run_until(SimTime::from_secs(150));
    let (digest, packets, events) = (
        sim.digest(),
        sim.trace.packets.clone(),
        sim.trace.events.len(),
    );
    sim.run_until(SimTime::from_secs(200));
    sim.restore(&cp);
    assert_eq!(sim.now(), SimTime::from_secs(60));
    sim.run_until(SimTime::from_secs(150));
    assert_eq!(sim.digest(), digest);
    assert_eq!(sim.trace.packets, packets);
    assert_eq!(sim.trace.events.len(), events);
}

/// With no jitter, an attempt that gets no answer (a SYN to a deleted pod's
/// IP, dropped by rp_filter or the VPC) fails at its dial deadline, which is
/// the 300 ms backoff when MinConnectTimeout is 0 (facts.md §2.2), and the
/// next attempt starts one backoff later: consecutive attempts of a channel
/// are exactly 600 ms apart. The engine runs the deadline as its own timer
/// or, when the deadline can change nothing else, as part of the backoff's;
/// either way the cadence must be this one.
#[test]
fn unanswered_attempts_repeat_every_deadline_plus_backoff() {
    use incident_sim::sim::trace::Trigger;
    use std::collections::HashMap;
    let mut p = small();
    p.jitter_milli = 0;
    let sim = run(&p, 5);
    let mut last: HashMap<(u32, u32), (u32, SimTime)> = HashMap::new();
    let mut checked = 0;
    for pk in sim
        .trace
        .packets
        .iter()
        .filter(|k| k.kind == PacketKind::Syn)
    {
        let key = (pk.client, pk.pod);
        if let Some(&(attempt, sent)) = last.get(&key) {
            if pk.attempt == attempt + 1 && pk.trigger == Trigger::AfterTimeout {
                assert_eq!(
                    pk.sent.saturating_since(sent).micros(),
                    600_000,
                    "client {} to pod {}, attempt {}",
                    pk.client,
                    pk.pod,
                    pk.attempt
                );
                checked += 1;
            }
        }
        last.insert(key, (pk.attempt, pk.sent));
    }
    assert!(checked >= 50, "only {checked} consecutive sampled attempts");
}

/// Under grpc-go ≥1.41 round_robin, a timed-out attempt's backoff runs on to
/// the next SYN's arrival as one event for clients outside the sampled trace
/// (`Sim::on_reconnect`), and so does a refused attempt's, from the SYN's
/// arrival on, with the RST's effects settled then (`Sim::fold_refusal`).
/// That changes no figure: with no backoff jitter (so the folded attempts
/// draw nothing that matters, and the clients' GOAWAY delays come out the
/// same) and room in every table (so no two SYNs compete for an entry), the
/// same run with folding off (`Sim::set_folding`) sends, drops and answers
/// the same SYNs, second by second, including those of subchannels shut
/// down between a backoff's end and its SYN's arrival, and samples the same
/// packets with the same fates; both tables hold the same entries at every
/// second, so the refused flows' closing entries start and end as they
/// would at the RST's passage.
#[test]
fn folding_the_reconnect_into_the_syns_arrival_changes_no_figure() {
    use incident_sim::sim::metrics::{Global, PerNode};
    let mut folded = small();
    folded.jitter_milli = 0;
    folded.conntrack_allowance = 100_000_000;
    folded.nf_conntrack_max = 100_000_000;
    folded.trace_every_nth_client = 1_000;
    // A long flight (the backoff is 300 ms) makes re-resolutions often shut
    // a subchannel down while its next SYN is on the way.
    folded.network_latency_us = 99_991;
    let a = run(&folded, 7);
    let mut b = Sim::new(&folded, 7);
    b.set_folding(false);
    b.run_to_end();
    assert_eq!(
        a.trace.packets, b.trace.packets,
        "sampled packets and fates"
    );
    assert!(
        a.events() < b.events() * 9 / 10,
        "folding saves events: {} vs {}",
        a.events(),
        b.events()
    );
    let (ta, tb) = (&a.totals, &b.totals);
    assert_eq!(ta.attempts, tb.attempts, "attempts");
    assert_eq!(ta.syn_sent, tb.syn_sent, "SYNs sent");
    assert_eq!(ta.syn_reached_node, tb.syn_reached_node, "SYNs at nodes");
    assert_eq!(ta.martian_drops, tb.martian_drops, "martian drops");
    assert_eq!(ta.syn_acked, tb.syn_acked, "SYN-ACKs");
    assert_eq!(ta.syn_rst, tb.syn_rst, "RSTs");
    assert_eq!(ta.gap_silent.n, tb.gap_silent.n, "unanswered attempts");
    assert_eq!(ta.gap_silent.sum, tb.gap_silent.sum, "their spacing");
    assert!(
        ta.gap_refused.n > 1_000,
        "refused attempts: {}",
        ta.gap_refused.n
    );
    assert_eq!(ta.gap_refused.n, tb.gap_refused.n, "refused attempts");
    assert_eq!(ta.gap_refused.sum, tb.gap_refused.sum, "their spacing");
    for m in [
        Global::SynSent,
        Global::MartianDrops,
        Global::SynToDeletedIp,
        Global::Rsts,
    ] {
        assert_eq!(a.metrics.global(m), b.metrics.global(m), "{m:?} per second");
    }
    for node in 0..a.metrics.nodes() {
        for m in [PerNode::VpcConntrack, PerNode::LinuxConntrack] {
            assert_eq!(
                a.metrics.node(node, m),
                b.metrics.node(node, m),
                "node {node} {m:?} per second"
            );
        }
    }
    assert_eq!(
        Summary::of(&a).stale_ip_seconds_max,
        Summary::of(&b).stale_ip_seconds_max
    );
}

#[test]
fn every_preset_has_its_recorded_digest_natively() {
    // The same table is checked in headless Chromium (tests/web.rs).
    assert_eq!(
        common::PRESET_DIGESTS.len(),
        incident_sim::scenario::presets::PRESETS.len(),
        "every preset is in the table"
    );
    for (name, want) in common::PRESET_DIGESTS {
        let got = common::preset_digest(name);
        assert_eq!(got, want, "{name}: digest {got:#x}");
    }
}
