//! Sampled packets as the bytes a capture would hold: Ethernet II (RFC 894),
//! then IPv4 (RFC 791, no options), then TCP (RFC 9293, options RFC 7323 and
//! 2018), ICMP (RFC 792) or UDP (RFC 768), built with `etherparse` (which
//! fills in lengths and the RFC 1071 checksums).
//!
//! The trace records who sent what and why, not headers. The header fields
//! are therefore chosen the way Linux 5.10 fills them, and numbers Linux
//! draws at random (initial sequence numbers, TCP timestamp offsets, IP ids
//! of sockets) are hashed from the run's seed and the connection, so every
//! export of a run shows the same values:
//!
//! | packet | flags, ids, options | Linux source of the choice |
//! |---|---|---|
//! | client SYN (and its retransmissions: same ISN) | DF, random id; MSS 8961, SACK-permitted, timestamps, NOP, window scale 7; window 62727 | `tcp_connect`, `tcp_syn_options`; MSS = 9001 (VPC MTU) − 40; window = largest MSS multiple ≤ 65535 |
//! | pod SYN-ACK | DF, id 0; same options, TS echo = the SYN's TSval; ack = ISN + 1 | `tcp_v4_send_synack` → `ip_build_and_send_pkt` (id 0 when DF) |
//! | pod RST (no listener) | RST+ACK, seq 0, ack = ISN + 1, window 0, DF, id 0 | `tcp_v4_send_reset` |
//! | node ICMP host unreachable | type 3 code 1, TOS 0xc0, no DF; quotes the SYN as received, whole (60 bytes; RFC 792 asks for header + 8 bytes at least) | `ip_error` → `__icmp_send` (quotes up to 576 − 28 bytes) |
//! | FIN | FIN+ACK, timestamps | `tcp_send_fin` |
//! | node-local-dns health check | UDP to port 53, `. IN NS`, RD | CoreDNS `forward` health check |
//!
//! TTL is 64 (`ip_default_ttl`) everywhere: the VPC does not decrement it.

use super::ident::{eni_mac, Iface};
use crate::sim::time::SimTime;
use crate::sim::trace::{Fate, PacketKind, PacketRecord};
use etherparse::icmpv4::DestUnreachableHeader;
use etherparse::{
    Icmpv4Type, IpDscp, IpHeaders, IpNumber, Ipv4Extensions, Ipv4Header, PacketBuilder,
    TcpOptionElement,
};
use std::net::Ipv4Addr;

/// Bytes of an Ethernet II header.
pub const ETH_LEN: usize = 14;
/// MSS the nodes and clients announce: VPC jumbo MTU 9001 − 20 (IP) − 20 (TCP).
pub const MSS: u16 = 8961;
/// Receive window of a SYN/SYN-ACK: 7 × MSS, the largest multiple ≤ 65535.
pub const SYN_WINDOW: u16 = 7 * MSS;
/// Window scale shift Linux announces with the default `tcp_rmem`.
pub const WSCALE: u8 = 7;
/// An ICMP error's TOS: `IPTOS_PREC_INTERNETCONTROL` (DSCP CS6).
pub const ICMP_TOS: u8 = 0xc0;

/// One synthesized packet: where it was captured, when, and its bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    /// Capture point.
    pub iface: Iface,
    /// Capture time.
    pub at: SimTime,
    /// Ethernet frame (no FCS).
    pub bytes: Vec<u8>,
}

impl Frame {
    /// Length of the IP packet (what flow logs count as bytes).
    pub fn ip_len(&self) -> usize {
        self.bytes.len() - ETH_LEN
    }
}

/// Where and when a sampled packet is captured.
///
/// A SYN is seen arriving on the pod's node's `ens6`, unless the VPC dropped
/// it for the conntrack allowance: then it never reached the ENI and is
/// shown where it was sent, on the clients' side. Replies are seen leaving
/// `ens6` (pod addresses route out of it, Cilium rule 111); the node's own
/// packets (ICMP errors, DNS) leave `ens5`.
pub fn capture_point(p: &PacketRecord) -> (Iface, SimTime) {
    match p.kind {
        PacketKind::Syn | PacketKind::SynRetransmit => {
            if p.fate == Fate::ConntrackAllowance {
                (Iface::Clients, p.sent)
            } else {
                (Iface::Ens6(p.node), p.arrives)
            }
        }
        PacketKind::SynAck | PacketKind::Rst => (Iface::Ens6(p.node), p.sent),
        PacketKind::Fin if to_pod_subnet(p.dst) => (Iface::Ens6(p.node), p.arrives),
        PacketKind::Fin => (Iface::Ens6(p.node), p.sent),
        PacketKind::IcmpUnreachable | PacketKind::DnsTcpSyn | PacketKind::DnsHealthCheck => {
            (Iface::Ens5(p.node), p.sent)
        }
    }
}

/// Whether the packet enters the capture interface (from the VPC router)
/// rather than leaving it.
pub fn inbound(iface: Iface, p: &PacketRecord) -> bool {
    match iface {
        Iface::Clients => false,
        Iface::Ens5(_) => false,
        Iface::Ens6(_) => {
            matches!(p.kind, PacketKind::Syn | PacketKind::SynRetransmit)
                || (p.kind == PacketKind::Fin && to_pod_subnet(p.dst))
        }
    }
}

fn to_pod_subnet(a: Ipv4Addr) -> bool {
    let o = a.octets();
    o[0] == 10 && o[1] == 0 && (64..128).contains(&o[2])
}

/// splitmix64 over a list of words: stands in for the kernel's random and
/// keyed-hash choices, keyed by the run's seed.
pub fn mix(words: &[u64]) -> u64 {
    let mut x: u64 = 0x243f_6a88_85a3_08d3;
    for w in words {
        x ^= *w;
        x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = x;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        x = z ^ (z >> 31);
    }
    x
}

fn flow_words(p: &PacketRecord) -> [u64; 4] {
    [
        u64::from(u32::from(p.src)),
        u64::from(p.sport),
        u64::from(u32::from(p.dst)),
        u64::from(p.dport),
    ]
}

/// The initial sequence number `p`'s sender chose for its direction of the
/// connection (keyed by the 4-tuple as sent, the client and the attempt,
/// like `secure_tcp_seq`, whose clock term makes a reused 4-tuple start
/// elsewhere; a retransmitted SYN keeps it).
pub fn client_isn(seed: u64, p: &PacketRecord) -> u32 {
    let f = flow_words(p);
    let who = [u64::from(p.client), u64::from(p.pod), u64::from(p.attempt)];
    mix(&[seed, 1, f[0], f[1], f[2], f[3], who[0], who[1], who[2]]) as u32
}

fn ts_offset(seed: u64, p: &PacketRecord) -> u32 {
    let f = flow_words(p);
    mix(&[seed, 2, f[0], f[1], f[2], f[3]]) as u32
}

/// The TSval of a packet sent at `at` on `p`'s flow (ms clock + per-flow offset).
fn tsval(seed: u64, p: &PacketRecord, at: SimTime) -> u32 {
    (at.millis() as u32).wrapping_add(ts_offset(seed, p))
}

/// The same flow seen from the other end.
fn reversed(p: &PacketRecord) -> PacketRecord {
    PacketRecord {
        src: p.dst,
        sport: p.dport,
        dst: p.src,
        dport: p.sport,
        ..*p
    }
}

/// The SYN a reply answers: the trace's record if linked, else one rebuilt
/// from the reply's own addresses (the reply goes back to the SYN's sender).
fn answered_syn(packets: &[PacketRecord], reply: &PacketRecord, icmp: bool) -> PacketRecord {
    if let Some(s) = packets.get(reply.answers as usize) {
        return *s;
    }
    let mut s = reversed(reply);
    if icmp {
        // An ICMP error comes from the node, not the pod: the SYN's
        // destination is unknown, keep the node's address.
        s.dport = 0;
    }
    s.kind = PacketKind::Syn;
    s.sent = reply.sent;
    s
}

struct Ip {
    src: Ipv4Addr,
    dst: Ipv4Addr,
    id: u16,
    df: bool,
    tos: u8,
    proto: IpNumber,
}

fn ip_header(ip: Ip) -> IpHeaders {
    let mut h = Ipv4Header::new(0, 64, ip.proto, ip.src.octets(), ip.dst.octets())
        .expect("empty payload fits");
    h.identification = ip.id;
    h.dont_fragment = ip.df;
    h.dscp = IpDscp::try_new(ip.tos >> 2).expect("6 bits");
    IpHeaders::Ipv4(h, Ipv4Extensions::default())
}

fn syn_options(ts: u32, echo: u32) -> [TcpOptionElement; 5] {
    [
        TcpOptionElement::MaximumSegmentSize(MSS),
        TcpOptionElement::SelectiveAcknowledgementPermitted,
        TcpOptionElement::Timestamp(ts, echo),
        TcpOptionElement::Noop,
        TcpOptionElement::WindowScale(WSCALE),
    ]
}

/// The DNS query node-local-dns sends as a health check: `. IN NS`, RD set
/// (RFC 1035 §4.1: 12-byte header, root name `0x00`, QTYPE 2, QCLASS 1).
pub fn dns_health_query(id: u16) -> [u8; 17] {
    let i = id.to_be_bytes();
    [
        i[0], i[1], 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0x00, 0, 2, 0, 1,
    ]
}

/// Builds the frame of sampled packet `p`; `packets` is the whole sample
/// (replies look up the SYN they answer), `seed` keys the made-up numbers.
pub fn frame(seed: u64, packets: &[PacketRecord], p: &PacketRecord) -> Frame {
    let (iface, at) = capture_point(p);
    let (src_mac, dst_mac) = match iface {
        Iface::Clients => (eni_mac(p.src), iface.router_mac()),
        _ if inbound(iface, p) => (iface.router_mac(), iface.mac()),
        _ => (iface.mac(), iface.router_mac()),
    };
    let eth = PacketBuilder::ethernet2(src_mac, dst_mac);
    let pid = mix(&[seed, 3, u64::from(p.id)]) as u16;
    let tcp_ip = |id: u16| {
        ip_header(Ip {
            src: p.src,
            dst: p.dst,
            id,
            df: true,
            tos: 0,
            proto: IpNumber::TCP,
        })
    };
    let mut out = Vec::with_capacity(96);
    let res = match p.kind {
        PacketKind::Syn | PacketKind::SynRetransmit | PacketKind::DnsTcpSyn => eth
            .ip(tcp_ip(pid))
            .tcp(p.sport, p.dport, client_isn(seed, p), SYN_WINDOW)
            .syn()
            .options(&syn_options(tsval(seed, p, p.sent), 0))
            .expect("20 option bytes fit")
            .write(&mut out, &[]),
        PacketKind::SynAck => {
            let syn = answered_syn(packets, p, false);
            let echo = tsval(seed, &syn, syn.sent);
            eth.ip(tcp_ip(0))
                .tcp(p.sport, p.dport, client_isn(seed, p), SYN_WINDOW)
                .syn()
                .ack(client_isn(seed, &syn).wrapping_add(1))
                .options(&syn_options(tsval(seed, p, p.sent), echo))
                .expect("20 option bytes fit")
                .write(&mut out, &[])
        }
        PacketKind::Rst => {
            let syn = answered_syn(packets, p, false);
            eth.ip(tcp_ip(0))
                .tcp(p.sport, p.dport, 0, 0)
                .rst()
                .ack(client_isn(seed, &syn).wrapping_add(1))
                .write(&mut out, &[])
        }
        PacketKind::Fin => {
            let rev = reversed(p);
            eth.ip(tcp_ip(pid))
                .tcp(
                    p.sport,
                    p.dport,
                    client_isn(seed, p).wrapping_add(1),
                    SYN_WINDOW >> WSCALE,
                )
                .fin()
                .ack(client_isn(seed, &rev).wrapping_add(1))
                .options(&[
                    TcpOptionElement::Noop,
                    TcpOptionElement::Noop,
                    TcpOptionElement::Timestamp(tsval(seed, p, p.sent), tsval(seed, &rev, p.sent)),
                ])
                .expect("12 option bytes fit")
                .write(&mut out, &[])
        }
        PacketKind::IcmpUnreachable => {
            let syn = answered_syn(packets, p, true);
            let quoted = frame(seed, packets, &syn);
            let ip = ip_header(Ip {
                src: p.src,
                dst: p.dst,
                id: pid,
                df: false,
                tos: ICMP_TOS,
                proto: IpNumber::ICMP,
            });
            eth.ip(ip)
                .icmpv4(Icmpv4Type::DestinationUnreachable(
                    DestUnreachableHeader::Host,
                ))
                .write(&mut out, &quoted.bytes[ETH_LEN..])
        }
        PacketKind::DnsHealthCheck => {
            let ip = ip_header(Ip {
                src: p.src,
                dst: p.dst,
                id: pid,
                df: true,
                tos: 0,
                proto: IpNumber::UDP,
            });
            let sport = if p.sport == 0 {
                32_768 + (pid % 28_232)
            } else {
                p.sport
            };
            let dport = if p.dport == 0 { 53 } else { p.dport };
            eth.ip(ip)
                .udp(sport, dport)
                .write(&mut out, &dns_health_query(pid))
        }
    };
    res.expect("writing to a Vec cannot fail and every header fits");
    Frame {
        iface,
        at,
        bytes: out,
    }
}
