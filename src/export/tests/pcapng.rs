//! The pcapng capture: interfaces, every sampled packet, frames, checksums,
//! ISNs and the hand-made packets.

use super::*;

#[test]
fn pcapng_has_one_interface_per_eni_and_every_sampled_packet() {
    let sim = incident();
    let file = pcap::pcapng(sim, "incident");
    let c = read(&file);
    let names: Vec<&str> = c.ifaces.iter().map(|i| i.0.as_str()).collect();
    assert_eq!(names.len(), 1 + 2 * sim.nodes.len());
    assert_eq!(names[0], "clients-eth0");
    assert!(names.contains(&"node3-ens6") && names.contains(&"node0-ens5"));
    for (name, link, opts) in &c.ifaces {
        assert_eq!(*link, 1, "{name}: LINKTYPE_ETHERNET");
        assert!(opts.contains(&(9, &[9u8][..])), "{name}: if_tsresol = 9");
    }
    assert_eq!(c.packets.len(), sim.trace.packets.len());
    let ids: BTreeSet<u32> = c.packets.iter().map(|e| e.id()).collect();
    assert_eq!(
        ids.len(),
        sim.trace.packets.len(),
        "each packet exactly once"
    );
    let mut last = 0;
    for e in &c.packets {
        assert!((e.iface as usize) < c.ifaces.len());
        assert!(e.ts >= last, "capture-time order");
        last = e.ts;
        let p = &sim.trace.packets[e.id() as usize];
        assert!(e.comment.contains(&format!("seed {}", sim.seed)));
        assert!(e.comment.contains("preset incident"));
        assert!(e.comment.contains(p.fate.reason()));
        assert!(e.flags == 1 || e.flags == 2, "direction set");
    }
    // The crate's own reader agrees on the number of packets and the comments.
    let mut r = pcap_file::pcapng::PcapNgReader::new(&file[..]).expect("SHB");
    let mut n = 0;
    while let Some(b) = r.next_block() {
        if let pcap_file::pcapng::Block::EnhancedPacket(epb) = b.expect("valid block") {
            assert!(matches!(
                epb.options.first(),
                Some(pcap_file::pcapng::blocks::enhanced_packet::EnhancedPacketOption::Comment(_))
            ));
            n += 1;
        }
    }
    assert_eq!(n, sim.trace.packets.len());
}

#[test]
fn a_martian_syn_says_why_it_died_where_and_when() {
    let sim = incident();
    let file = pcap::pcapng(sim, "incident");
    let c = read(&file);
    let idx = by_id(&c);
    let martians: Vec<&PacketRecord> = sim
        .trace
        .packets
        .iter()
        .filter(|p| p.kind == PacketKind::Syn && p.fate == Fate::RpFilter { no_addr: true })
        .collect();
    assert!(!martians.is_empty());
    for p in martians {
        let e = &c.packets[idx[&p.id]];
        assert!(
            e.comment.contains("martian (rp_filter, no_addr)"),
            "{}",
            e.comment
        );
        assert!(e.comment.contains("fib_validate_source"), "{}", e.comment);
        assert!(e.comment.contains(p.trigger.text()), "{}", e.comment);
        assert!(e.comment.contains(&format!("client {}", p.client)));
        assert_eq!(c.ifaces[e.iface as usize].0, format!("node{}-ens6", p.node));
        assert_eq!(e.flags, 1, "inbound");
        assert_eq!(
            e.ts,
            unix_micros(p.arrives) * 1_000,
            "ns since 1970, arrival time"
        );
        let (proto, tcp) = check_frame(e.data);
        assert_eq!(proto, 6);
        assert_eq!(tcp[13], 0x02, "SYN only");
        assert_eq!(&e.data[ETH_LEN + 12..ETH_LEN + 16], &p.src.octets());
        assert_eq!(&e.data[ETH_LEN + 16..ETH_LEN + 20], &p.dst.octets());
        assert_eq!((be16(tcp, 0), be16(tcp, 2)), (p.sport, p.dport));
        assert_eq!(&e.data[0..6], &Iface::Ens6(p.node).mac(), "to ens6's MAC");
    }
}

#[test]
fn every_frame_has_valid_lengths_and_checksums_and_replies_match_their_syn() {
    for sim in [incident(), unreachable_route()] {
        let file = pcap::pcapng(sim, "test");
        let c = read(&file);
        let idx = by_id(&c);
        let mut kinds = BTreeSet::new();
        for e in &c.packets {
            let p = &sim.trace.packets[e.id() as usize];
            let (proto, l4) = check_frame(e.data);
            kinds.insert(p.kind.label());
            let seq = |b: &[u8]| u32::from_be_bytes(b[4..8].try_into().unwrap());
            let ack = |b: &[u8]| u32::from_be_bytes(b[8..12].try_into().unwrap());
            match p.kind {
                PacketKind::SynAck | PacketKind::Rst => {
                    let syn = &c.packets[idx[&p.answers]];
                    let (_, syn_tcp) = check_frame(syn.data);
                    assert_eq!(ack(l4), seq(syn_tcp).wrapping_add(1), "ack = ISN + 1");
                    let flags = if p.kind == PacketKind::Rst {
                        0x14
                    } else {
                        0x12
                    };
                    assert_eq!(l4[13], flags);
                    assert!(e.ts >= syn.ts, "reply after the SYN");
                }
                PacketKind::IcmpUnreachable => {
                    assert_eq!(proto, 1);
                    assert_eq!((l4[0], l4[1]), (3, 1), "destination unreachable, host");
                    let syn = &c.packets[idx[&p.answers]];
                    assert_eq!(&l4[8..], &syn.data[ETH_LEN..], "quotes the SYN as received");
                    assert!(l4.len() - 8 >= 20 + 8, "at least IP header + 8 bytes");
                    assert_eq!(e.data[ETH_LEN + 1], 0xc0, "TOS internetwork control");
                    assert_eq!(c.ifaces[e.iface as usize].0, format!("node{}-ens5", p.node));
                }
                PacketKind::DnsHealthCheck => {
                    assert_eq!(proto, 17);
                    assert_eq!(u16::from_be_bytes([l4[2], l4[3]]), 53);
                    assert_eq!(c.ifaces[e.iface as usize].0, format!("node{}-ens5", p.node));
                }
                PacketKind::DnsTcpSyn => {
                    assert_eq!((proto, l4[13]), (6, 0x02));
                    assert_eq!(c.ifaces[e.iface as usize].0, format!("node{}-ens5", p.node));
                }
                _ => assert_eq!(proto, 6),
            }
        }
        assert!(kinds.contains("SYN") && kinds.contains("RST"), "{kinds:?}");
        if sim.p.cilium_unreachable_route {
            assert!(kinds.contains("ICMP host unreachable"), "{kinds:?}");
        }
    }
}

#[test]
fn vpc_dropped_syns_are_seen_on_the_client_side() {
    let sim = incident();
    let file = pcap::pcapng(sim, "incident");
    let c = read(&file);
    let idx = by_id(&c);
    let dropped: Vec<&PacketRecord> = sim
        .trace
        .packets
        .iter()
        .filter(|p| p.fate == Fate::ConntrackAllowance && p.client != u32::MAX)
        .collect();
    assert!(!dropped.is_empty());
    for p in dropped {
        let e = &c.packets[idx[&p.id]];
        assert_eq!(c.ifaces[e.iface as usize].0, "clients-eth0");
        assert!(e.comment.contains("VPC conntrack allowance exceeded"));
        assert!(e.comment.contains("conntrack_allowance_exceeded"));
        assert_eq!(e.ts, unix_micros(p.sent) * 1_000, "sent time");
    }
    // node-local-dns's refused packets are seen leaving the node's ens5: a
    // capture in the guest sees them go; the hypervisor drops them after.
    let dns: Vec<&PacketRecord> = sim
        .trace
        .packets
        .iter()
        .filter(|p| p.fate == Fate::ConntrackAllowance && p.client == u32::MAX)
        .collect();
    assert!(!dns.is_empty());
    for p in dns {
        let e = &c.packets[idx[&p.id]];
        assert_eq!(c.ifaces[e.iface as usize].0, format!("node{}-ens5", p.node));
        assert!(e.comment.contains("VPC conntrack allowance exceeded"));
    }
}

#[test]
fn a_retransmitted_syn_keeps_its_isn_and_a_new_attempt_does_not() {
    let sim = incident();
    let first = *sim
        .trace
        .packets
        .iter()
        .find(|p| p.kind == PacketKind::Syn)
        .unwrap();
    let retx = PacketRecord {
        kind: PacketKind::SynRetransmit,
        syn_no: 1,
        sent: first.sent + crate::sim::time::SimDuration::from_secs(1),
        ..first
    };
    let next = PacketRecord {
        attempt: first.attempt + 1,
        ..first
    };
    assert_eq!(client_isn(sim.seed, &first), client_isn(sim.seed, &retx));
    assert_ne!(client_isn(sim.seed, &first), client_isn(sim.seed, &next));
    let f = frame(sim.seed, &sim.trace.packets, &retx);
    let (_, tcp) = check_frame(&f.bytes);
    assert_eq!(tcp[13], 0x02);
    assert_eq!(
        usize::from(tcp[12] >> 4) * 4,
        40,
        "MSS, SACK-permitted, TS, NOP, WS"
    );
}

#[test]
fn hand_made_fin_and_dns_packets_build_valid_frames() {
    let sim = incident();
    let syn = sim.trace.packets[0];
    let fin = PacketRecord {
        kind: PacketKind::Fin,
        ..syn
    };
    let hc = PacketRecord {
        kind: PacketKind::DnsHealthCheck,
        src: sim.nodes[1].ip,
        sport: 0,
        dst: std::net::Ipv4Addr::new(172, 20, 0, 10),
        dport: 53,
        node: 1,
        client: u32::MAX,
        answers: u32::MAX,
        ..syn
    };
    let f = frame(sim.seed, &sim.trace.packets, &fin);
    let (proto, tcp) = check_frame(&f.bytes);
    assert_eq!((proto, tcp[13]), (6, 0x11), "FIN+ACK");
    let f = frame(sim.seed, &sim.trace.packets, &hc);
    assert_eq!(f.iface, Iface::Ens5(1));
    let (proto, udp) = check_frame(&f.bytes);
    assert_eq!((proto, be16(udp, 2)), (17, 53));
    assert_eq!(&udp[8 + 12..], &[0, 0, 2, 0, 1], ". IN NS");
}

// ---------- flow logs ----------
