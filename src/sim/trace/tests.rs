use super::*;

/// Whatever is recorded, the trace stays within its byte budgets.
#[test]
fn the_trace_is_bounded_by_bytes() {
    let mut t = Trace::new(100_000);
    let long = "x".repeat(1_000);
    for i in 0..20_000u64 {
        t.klog(SimTime(i), 0, long.clone());
        t.note(SimTime(i), Notable::RolloutStarted, long.clone());
    }
    assert!(t.kernel_log.len() < 20_000 && t.events.len() < 20_000);
    for i in 0..(t.max_packets as u64 + 10) {
        let now = SimTime(i * 1_000);
        if t.may_sample(now) {
            t.push_packet(packet(now));
        }
    }
    assert!(t.packets.len() <= t.max_packets);
    assert!(
        t.bytes() <= PACKET_BYTES + LOG_BYTES + EVENT_BYTES,
        "{}",
        t.bytes()
    );
    assert!(t.bytes() > PACKET_BYTES, "the packets filled their budget");
    let (log, events) = (t.log_bytes, t.event_bytes);
    t.recount();
    assert_eq!((t.log_bytes, t.event_bytes), (log, events));
}

fn packet(at: SimTime) -> PacketRecord {
    PacketRecord {
        id: 0,
        kind: PacketKind::Syn,
        sent: at,
        arrives: at,
        src: Ipv4Addr::new(10, 0, 128, 2),
        sport: 40_000,
        dst: Ipv4Addr::new(10, 0, 64, 10),
        dport: 8443,
        node: 0,
        fate: Fate::Delivered,
        client: 0,
        pod: 0,
        attempt: 0,
        syn_no: 0,
        trigger: Trigger::AfterTimeout,
        resolved_at: SimTime::ZERO,
        ingress_ens6: true,
        answers: u32::MAX,
    }
}

/// Offers a packet every 50 µs for two seconds (a storm) and returns
/// the sampled packets' send times.
fn storm(cap: u32) -> Vec<SimTime> {
    let mut t = Trace::new(cap);
    for us in (0..2_000_000).step_by(50) {
        let at = SimTime(us);
        if t.may_sample(at) {
            t.push_packet(packet(at));
        }
    }
    t.packets.iter().map(|p| p.sent).collect()
}

#[test]
fn the_cap_holds_per_second_and_the_sample_spreads_over_the_second() {
    for cap in [0u32, 1, 7, 150, 400, 5_000] {
        let s = storm(cap);
        for sec in 0..2u64 {
            let n = s.iter().filter(|t| t.secs() == sec).count();
            assert_eq!(n, cap as usize, "cap {cap}, second {sec}");
        }
        if cap >= 10 {
            // Every tenth of a second has its share, within one window's.
            for tenth in 0..20u64 {
                let n = s.iter().filter(|t| t.micros() / 100_000 == tenth).count();
                let share = cap as usize / 10;
                assert!(
                    n.abs_diff(share) <= (cap as usize).div_ceil(100),
                    "cap {cap}, tenth {tenth}: {n}"
                );
            }
        }
    }
}

#[test]
fn node_packets_have_their_own_share_per_node() {
    let mut t = Trace::new(400);
    let at = SimTime(1_000);
    while t.may_sample(at) {
        t.push_packet(packet(at));
    }
    assert!(
        t.may_sample_node(at, 0),
        "the client cap is used up, the node share is not"
    );
    // Node 0 goes first every time and still leaves node 7 its share.
    let mut per_node = [0u32; 8];
    for us in (0..1_000_000).step_by(10_000) {
        for node in 0..8u16 {
            if t.may_sample_node(SimTime(us), usize::from(node)) {
                t.push_node_packet(PacketRecord {
                    node,
                    ..packet(SimTime(us))
                });
                per_node[usize::from(node)] += 1;
            }
        }
    }
    assert_eq!(per_node, [4; 8]);
}
