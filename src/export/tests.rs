//! Export tests on short real runs ([`super::fixture`]). The pcapng output
//! is read back twice: by a small reader written here from the spec (block
//! framing, options) and by `pcap-file`'s reader; header checksums are
//! recomputed here (RFC 1071), not taken from the crate that wrote them.

use super::clock::{unix_micros, unix_secs, EPOCH_UNIX};
use super::fixture::{incident, unreachable_route};
use super::ident::{hostname, Iface};
use super::wire::{client_isn, frame, ETH_LEN};
use super::{csv, events, flowlog, klog, pcap};
use crate::sim::metrics::Global;
use crate::sim::trace::{Fate, PacketKind, PacketRecord};
use std::collections::{BTreeMap, BTreeSet};

// ---------- a minimal pcapng reader (draft-ietf-opsawg-pcapng §3, §4) ----------

const SHB: u32 = 0x0A0D_0D0A;
const IDB: u32 = 1;
const EPB: u32 = 6;

fn u16le(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}
fn u32le(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
}
fn be16(b: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([b[at], b[at + 1]])
}

/// (type, body) of every block; checks the framing on the way.
fn blocks(file: &[u8]) -> Vec<(u32, &[u8])> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < file.len() {
        let ty = u32le(file, at);
        let len = u32le(file, at + 4) as usize;
        assert!(len >= 12 && len % 4 == 0, "block at {at}: length {len}");
        assert_eq!(
            u32le(file, at + len - 4) as usize,
            len,
            "trailing length at {at}"
        );
        if out.is_empty() {
            assert_eq!(ty, SHB, "the file starts with a Section Header Block");
            assert_eq!(
                u32le(file, at + 8),
                0x1A2B_3C4D,
                "little-endian byte-order magic"
            );
            assert_eq!(
                (u16le(file, at + 12), u16le(file, at + 14)),
                (1, 0),
                "version 1.0"
            );
        }
        out.push((ty, &file[at + 8..at + len - 4]));
        at += len;
    }
    assert_eq!(at, file.len());
    out
}

/// Options (code, value) until opt_endofopt.
fn options(mut b: &[u8]) -> Vec<(u16, &[u8])> {
    let mut out = Vec::new();
    while b.len() >= 4 {
        let (code, len) = (u16le(b, 0), u16le(b, 2) as usize);
        if code == 0 {
            assert_eq!(len, 0);
            return out;
        }
        out.push((code, &b[4..4 + len]));
        b = &b[4 + len.div_ceil(4) * 4..];
    }
    panic!("options without opt_endofopt");
}

struct Epb<'a> {
    iface: u32,
    ts: u64,
    data: &'a [u8],
    comment: String,
    flags: u32,
}

impl Epb<'_> {
    fn id(&self) -> u32 {
        let rest = self
            .comment
            .strip_prefix('#')
            .expect("comment starts with #id");
        rest.split(' ').next().unwrap().parse().unwrap()
    }
}

/// An interface: name, link type, options.
type Idb<'a> = (String, u16, Vec<(u16, &'a [u8])>);

struct Capture<'a> {
    ifaces: Vec<Idb<'a>>,
    packets: Vec<Epb<'a>>,
}

fn read(file: &[u8]) -> Capture<'_> {
    let mut c = Capture {
        ifaces: Vec::new(),
        packets: Vec::new(),
    };
    for (ty, body) in blocks(file) {
        match ty {
            SHB => {}
            IDB => {
                let opts = options(&body[8..]);
                let name = opts
                    .iter()
                    .find(|o| o.0 == 2)
                    .map(|o| o.1)
                    .expect("if_name");
                c.ifaces.push((
                    String::from_utf8(name.to_vec()).unwrap(),
                    u16le(body, 0),
                    opts,
                ));
            }
            EPB => {
                let cap = u32le(body, 12) as usize;
                assert_eq!(u32le(body, 16) as usize, cap, "nothing truncated");
                let data = &body[20..20 + cap];
                let opts = options(&body[20 + cap.div_ceil(4) * 4..]);
                let comment = opts.iter().find(|o| o.0 == 1).expect("opt_comment").1;
                let flags = opts.iter().find(|o| o.0 == 2).expect("epb_flags").1;
                c.packets.push(Epb {
                    iface: u32le(body, 0),
                    ts: (u64::from(u32le(body, 4)) << 32) | u64::from(u32le(body, 8)),
                    data,
                    comment: String::from_utf8(comment.to_vec()).unwrap(),
                    flags: u32le(flags, 0),
                });
            }
            other => panic!("unexpected block type {other:#x}"),
        }
    }
    c
}

// ---------- RFC 1071 checksums, recomputed ----------

fn sum16(data: &[u8], mut acc: u32) -> u32 {
    for ch in data.chunks(2) {
        acc += u32::from(u16::from_be_bytes([ch[0], *ch.get(1).unwrap_or(&0)]));
    }
    acc
}
fn folds_to_ffff(mut acc: u32) -> bool {
    while acc > 0xffff {
        acc = (acc & 0xffff) + (acc >> 16);
    }
    acc == 0xffff
}

/// Checks an Ethernet/IPv4 frame's lengths and checksums; returns the
/// IP protocol and the L4 bytes.
fn check_frame(f: &[u8]) -> (u8, &[u8]) {
    assert_eq!(be16(f, 12), 0x0800, "EtherType IPv4");
    let ip = &f[ETH_LEN..];
    assert_eq!(ip[0] >> 4, 4);
    let ihl = usize::from(ip[0] & 0x0f) * 4;
    assert_eq!(usize::from(be16(ip, 2)), ip.len(), "IPv4 total length");
    assert!(folds_to_ffff(sum16(&ip[..ihl], 0)), "IPv4 header checksum");
    let l4 = &ip[ihl..];
    let proto = ip[9];
    match proto {
        6 | 17 => {
            let mut pseudo = Vec::from(&ip[12..20]);
            pseudo.extend_from_slice(&[0, proto]);
            pseudo.extend_from_slice(&(l4.len() as u16).to_be_bytes());
            if proto == 17 {
                assert_ne!(be16(l4, 6), 0, "UDP checksum present");
            }
            assert!(
                folds_to_ffff(sum16(l4, sum16(&pseudo, 0))),
                "TCP/UDP checksum"
            );
        }
        1 => assert!(folds_to_ffff(sum16(l4, 0)), "ICMP checksum"),
        p => panic!("protocol {p}"),
    }
    (proto, l4)
}

fn by_id(c: &Capture<'_>) -> BTreeMap<u32, usize> {
    c.packets
        .iter()
        .enumerate()
        .map(|(i, e)| (e.id(), i))
        .collect()
}

// ---------- pcap ----------

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

#[test]
fn flow_logs_show_martian_syns_as_accepted_with_no_answer() {
    let sim = incident();
    let text = flowlog::text(sim, flowlog::Options::default());
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some(flowlog::FIELDS));
    let n_fields = flowlog::FIELDS.split(' ').count();
    for l in lines {
        let f: Vec<&str> = l.split(' ').collect();
        assert_eq!(f.len(), n_fields, "{l}");
        assert_eq!((f[0], f[6], f[20]), ("3", "IPv4", "OK"));
        let (start, end): (u64, u64) = (f[16].parse().unwrap(), f[17].parse().unwrap());
        assert!(start <= end && start / 60 == end / 60, "{l}");
        assert!(start >= EPOCH_UNIX);
    }
    let recs = flowlog::records(sim, flowlog::Options::default());
    let key = |r: &flowlog::Record| {
        (
            r.start / 60,
            r.pkt_srcaddr,
            r.srcport,
            r.pkt_dstaddr,
            r.dstport,
        )
    };
    let all: BTreeSet<_> = recs.iter().map(key).collect();
    let mut checked = 0;
    for p in sim
        .trace
        .packets
        .iter()
        .filter(|p| matches!(p.fate, Fate::RpFilter { .. }))
    {
        let w = unix_secs(p.arrives) / 60;
        let r = recs
            .iter()
            .find(|r| key(r) == (w, p.src, p.sport, p.dst, p.dport))
            .expect("the SYN is logged");
        assert!(r.accept && r.tcp_flags == 2, "{r}");
        assert_eq!(r.iface, Iface::Ens6(p.node));
        assert_eq!(
            r.dstaddr,
            Iface::Ens6(p.node).primary().0,
            "dstaddr = ENI primary"
        );
        assert!(r.to_string().contains(" ACCEPT 2 OK"));
        // No answer, so no reverse record, unless another SYN of the same
        // client pod reused the source port within the minute and was answered.
        let reused = sim.trace.packets.iter().any(|q| {
            q.answers != u32::MAX
                && (q.src, q.sport, q.dst, q.dport) == (p.dst, p.dport, p.src, p.sport)
                && unix_secs(q.sent) / 60 == w
        });
        assert!(!sim.trace.packets.iter().any(|q| q.answers == p.id));
        assert_eq!(all.contains(&(w, p.dst, p.dport, p.src, p.sport)), reused);
        checked += 1;
    }
    assert!(checked > 0);
    // Answered SYNs: 18 back for SYN-ACK, 4 for RST.
    let flags: BTreeSet<u8> = recs.iter().map(|r| r.tcp_flags).collect();
    assert!(flags.contains(&18) && flags.contains(&4), "{flags:?}");
}

#[test]
fn conntrack_drops_are_not_logged_unless_asked_for() {
    let sim = incident();
    let dropped = sim
        .trace
        .packets
        .iter()
        .filter(|p| p.fate == Fate::ConntrackAllowance)
        .count() as u64;
    assert!(dropped > 0);
    let total = sim.trace.packets.len() as u64;
    let count = |o| -> (u64, u64) {
        let r = flowlog::records(sim, o);
        let rej = r.iter().filter(|r| !r.accept).map(|r| r.packets).sum();
        (r.iter().map(|r| r.packets).sum(), rej)
    };
    assert_eq!(count(flowlog::Options::default()), (total - dropped, 0));
    let (all, rejected) = count(flowlog::Options {
        conntrack_drops_as_reject: true,
    });
    assert_eq!((all, rejected), (total, dropped));
}

// ---------- kernel log ----------

#[test]
fn kernel_log_is_syslog_with_an_ll_header_after_each_martian() {
    let sim = incident();
    let text = klog::syslog(sim);
    let lines: Vec<&str> = text.lines().collect();
    let martians = sim
        .trace
        .kernel_log
        .iter()
        .filter(|l| l.line.starts_with("IPv4: martian source"))
        .count();
    assert!(martians > 0);
    assert_eq!(lines.len(), sim.trace.kernel_log.len() + martians);
    for (i, l) in lines.iter().enumerate() {
        assert!(l.starts_with("Sep 14 14:"), "{l}");
        let host = l.split(' ').nth(3).unwrap();
        assert!(sim.nodes.iter().any(|n| hostname(n.ip) == host), "{l}");
        assert_eq!(l.split(' ').nth(4), Some("kernel:"));
        if l.contains("martian source") {
            let next = lines[i + 1];
            let node = sim
                .nodes
                .iter()
                .position(|n| hostname(n.ip) == host)
                .unwrap() as u16;
            let mut want = klog::ll_header(Iface::Ens6(node).mac(), Iface::Ens6(node).router_mac());
            assert_eq!(
                next,
                format!(
                    "{} {}",
                    &l[..l.find("IPv4").unwrap()].trim_end(),
                    want.remove(0)
                )
            );
            assert!(next.ends_with(" 08 00"));
        }
    }
}

// ---------- JSON Lines, CSV ----------

#[test]
fn jsonl_has_the_run_then_every_record_in_time_order() {
    let sim = incident();
    let bytes = events::jsonl(sim, "incident");
    let text = std::str::from_utf8(&bytes).unwrap();
    assert!(text.ends_with('\n'));
    let t = &sim.trace;
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON value per line"))
        .collect();
    assert_eq!(
        lines.len(),
        1 + t.events.len() + t.packets.len() + t.kernel_log.len()
    );
    assert_eq!(lines[0]["type"], "run");
    assert_eq!(lines[0]["seed"], sim.seed);
    assert_eq!(lines[0]["params"]["service_nodes"], 4);
    let mut last = 0;
    let mut martian_seen = false;
    for v in &lines[1..] {
        let at = v["at_us"].as_u64().unwrap();
        assert!(at >= last);
        last = at;
        if v["type"] == "packet" && v["reason"] == "martian (rp_filter, no_addr)" {
            assert_eq!(v["dropped"], true);
            assert!(v["kernel"].as_str().unwrap().contains("-EXDEV"));
            martian_seen = true;
        }
    }
    assert!(martian_seen);
    assert_eq!(
        lines.iter().filter(|v| v["type"] == "event").count(),
        t.events.len()
    );
    // No sentinel leaks: "none" is null, and both kinds occur.
    assert!(!text.contains(&u32::MAX.to_string()));
    let packets = || lines.iter().filter(|v| v["type"] == "packet");
    for key in ["client", "pod", "answers"] {
        assert!(packets().any(|v| v[key].is_null()), "{key}: some null");
        assert!(packets().any(|v| v[key].is_u64()), "{key}: some number");
    }
}

#[test]
fn csv_of_a_run_has_a_row_per_second() {
    let sim = incident();
    let text = csv::all(&sim.metrics);
    let rows: Vec<&str> = text.trim_end().split("\r\n").collect();
    assert_eq!(rows.len(), 1 + sim.metrics.seconds());
    assert_eq!(sim.metrics.seconds() as u64, sim.p.duration_s);
    let one = csv::series("syn_sent", sim.metrics.global(Global::SynSent));
    let sum: f64 = one
        .trim_end()
        .split("\r\n")
        .skip(1)
        .map(|r| r.split(',').nth(1).unwrap().parse::<f64>().unwrap())
        .sum();
    assert_eq!(sum, sim.metrics.global(Global::SynSent).iter().sum::<f64>());
    assert!(sum > 0.0);
}

/// Writes every export of the incident fixture to `$EXPORT_DIR` (for
/// checking with Wireshark/tshark by hand): `EXPORT_DIR=/tmp/x cargo test
/// --lib export::tests::write_samples -- --ignored`.
#[test]
#[ignore]
fn write_samples() {
    let dir = std::env::var("EXPORT_DIR").expect("EXPORT_DIR");
    for (name, sim) in [
        ("incident", incident()),
        ("unreachable", unreachable_route()),
    ] {
        let w = |ext: &str, b: &[u8]| std::fs::write(format!("{dir}/{name}.{ext}"), b).unwrap();
        w("pcapng", &pcap::pcapng(sim, name));
        w(
            "flowlog.txt",
            flowlog::text(sim, flowlog::Options::default()).as_bytes(),
        );
        w("kern.log", klog::syslog(sim).as_bytes());
        w("jsonl", &events::jsonl(sim, name));
        w("csv", csv::all(&sim.metrics).as_bytes());
    }
}

#[test]
fn the_capture_comment_says_how_far_the_run_went() {
    let sc = crate::scenario::Scenario::default();
    let mut sim = crate::sim::Sim::new(&sc.params().unwrap(), sc.seed);
    sim.run_until(crate::sim::time::SimTime::from_secs(180));
    let c = pcap::section_comment(&sim, "incident");
    assert!(c.contains(" 180 s simulated (of a 900 s run)"), "{c}");
    sim.run_until(crate::sim::time::SimTime::from_millis(180_250));
    let c = pcap::section_comment(&sim, "incident");
    assert!(c.contains(" 180.250 s simulated (of a 900 s run)"), "{c}");
}
