//! The sampled packets as a pcapng capture Wireshark opens, with a comment
//! on every packet saying what became of it and why.
//!
//! Format: pcapng as specified in IETF draft-ietf-opsawg-pcapng ("PCAP Next
//! Generation (pcapng) Capture File Format"): one Section Header Block
//! (`shb_userappl`, `shb_comment` describing the run), one Interface
//! Description Block per capture point (§4.2: `if_name`, `if_description`,
//! `if_IPv4addr`, `if_MACaddr`, `if_tsresol`; link type 1, `LINKTYPE_ETHERNET`),
//! then one Enhanced Packet Block per sampled packet (§4.3) with
//! `opt_comment` (§3.5) and `epb_flags` (inbound/outbound, §4.3.1).
//!
//! Interfaces, in id order: `clients-eth0` (SYNs the VPC dropped for the
//! conntrack allowance never reach a node; they are shown where they were
//! sent), then `node<N>-ens5` and `node<N>-ens6` for each node (see
//! [`super::wire::capture_point`]). Timestamps are simulated time from
//! 2021-09-14T14:00:00Z ([`super::clock::EPOCH_UNIX`]); packets are in
//! capture-time order, so Wireshark's frame numbers differ from the trace's
//! packet ids, which every comment gives (`#id`).
//!
//! Written with `pcap-file` 2.0: its writer always stores Enhanced Packet
//! Block timestamps in nanoseconds (fixed only in its 3.0 pre-releases), so
//! every interface declares `if_tsresol` = 9 to match.

use super::clock::{unix_micros, EPOCH_UNIX};
use super::ident::Iface;
use super::wire::{capture_point, frame, inbound};
use crate::sim::trace::{Fate, PacketKind, PacketRecord};
use crate::sim::Sim;
use pcap_file::pcapng::blocks::enhanced_packet::{EnhancedPacketBlock, EnhancedPacketOption};
use pcap_file::pcapng::blocks::interface_description::{
    InterfaceDescriptionBlock, InterfaceDescriptionOption,
};
use pcap_file::pcapng::blocks::section_header::{SectionHeaderBlock, SectionHeaderOption};
use pcap_file::pcapng::PcapNgWriter;
use pcap_file::{DataLink, Endianness};
use std::borrow::Cow;
use std::time::Duration;

/// `if_tsresol` value: 10^-9 s (see the module doc).
const TSRESOL_NS: u8 = 9;
/// `epb_flags` direction bits: inbound.
const EPB_INBOUND: u32 = 0b01;
/// `epb_flags` direction bits: outbound.
const EPB_OUTBOUND: u32 = 0b10;

/// The run's sampled packets (`sim.trace.packets`) as a pcapng file.
/// `preset` names the scenario's preset for the comments (the engine does
/// not know it).
///
/// Spec: pcapng, IETF draft-ietf-opsawg-pcapng (SHB §4.1, IDB §4.2, EPB §4.3,
/// options §3.5); Ethernet/IPv4/TCP/ICMP/UDP headers per RFC 894, 791, 9293,
/// 792, 768 as built by [`super::wire`].
pub fn pcapng(sim: &Sim, preset: &str) -> Vec<u8> {
    let section = SectionHeaderBlock {
        endianness: Endianness::Little,
        major_version: 1,
        minor_version: 0,
        section_length: -1,
        options: vec![
            SectionHeaderOption::UserApplication(Cow::Owned(format!(
                "incident-sim {} (export::pcap)",
                env!("CARGO_PKG_VERSION")
            ))),
            SectionHeaderOption::Comment(Cow::Owned(section_comment(sim, preset))),
        ],
    };
    let mut w = PcapNgWriter::with_section_header(Vec::new(), section)
        .expect("writing to a Vec cannot fail");
    for iface in Iface::all(sim.nodes.len()) {
        w.write_pcapng_block(interface_block(sim, iface))
            .expect("writing to a Vec cannot fail");
    }
    let packets = &sim.trace.packets;
    let mut order: Vec<(u64, u32)> = packets
        .iter()
        .map(|p| (capture_point(p).1.micros(), p.id))
        .collect();
    order.sort_unstable();
    for (_, id) in order {
        let p = &packets[id as usize];
        let f = frame(sim.seed, packets, p);
        let incoming = inbound(f.iface, p);
        let block = EnhancedPacketBlock {
            interface_id: f.iface.index(),
            timestamp: Duration::from_micros(unix_micros(f.at)),
            original_len: f.bytes.len() as u32,
            data: Cow::Owned(f.bytes),
            options: vec![
                EnhancedPacketOption::Comment(Cow::Owned(comment(sim, p, preset))),
                EnhancedPacketOption::Flags(if incoming { EPB_INBOUND } else { EPB_OUTBOUND }),
            ],
        };
        w.write_pcapng_block(block)
            .expect("every interface id was declared");
    }
    w.into_inner()
}

fn interface_block(sim: &Sim, iface: Iface) -> InterfaceDescriptionBlock<'static> {
    let (addr, prefix) = iface.primary();
    let mask = if prefix == 0 {
        0
    } else {
        u32::MAX << (32 - u32::from(prefix))
    };
    let mut ipv4 = addr.octets().to_vec();
    ipv4.extend_from_slice(&mask.to_be_bytes());
    let mut options = vec![
        InterfaceDescriptionOption::IfName(Cow::Owned(iface.name())),
        InterfaceDescriptionOption::IfDescription(Cow::Owned(iface.description())),
        InterfaceDescriptionOption::IfTsResol(TSRESOL_NS),
    ];
    if iface != Iface::Clients {
        options.push(InterfaceDescriptionOption::IfIpv4Addr(Cow::Owned(ipv4)));
        options.push(InterfaceDescriptionOption::IfMacAddr(Cow::Owned(
            iface.mac().to_vec(),
        )));
        options.push(InterfaceDescriptionOption::IfOs(Cow::Owned(format!(
            "Linux {}",
            sim.p.kernel
        ))));
    }
    InterfaceDescriptionBlock {
        linktype: DataLink::ETHERNET,
        snaplen: 0,
        options,
    }
}

/// How far the run has gone, in seconds: whole, or to the millisecond.
fn simulated_secs(sim: &Sim) -> String {
    let ms = sim.now().micros() / 1_000;
    if ms % 1_000 == 0 {
        (ms / 1_000).to_string()
    } else {
        format!("{}.{:03}", ms / 1_000, ms % 1_000)
    }
}

/// The capture's comment: what run, how far, what is sampled and made up.
pub(crate) fn section_comment(sim: &Sim, preset: &str) -> String {
    format!(
        "incident-sim run: preset {preset}, seed {seed}, {nodes} service nodes, \
         {secs} s simulated (of a {duration} s run). \
         Time 0 of the simulation is {EPOCH_UNIX} (2021-09-14T14:00:00Z). \
         Only a sample of the packets is here (one client in {nth}, at most {cap} packets per second). \
         Headers are synthesized: MAC addresses (0a:1e:<ENI address>, VPC router 0a:fe:<gateway>), \
         sequence numbers, IP ids and TCP timestamps are made up, stable for the seed. \
         Each packet's comment says what happened to it and why.",
        seed = sim.seed,
        nodes = sim.nodes.len(),
        secs = simulated_secs(sim),
        duration = sim.p.duration_s,
        nth = sim.p.trace_every_nth_client.max(1),
        cap = sim.p.trace_per_second_cap,
    )
}

/// Where in the kernel (or outside it) a packet met its fate.
pub fn kernel_path(kind: PacketKind, fate: Fate) -> &'static str {
    match (kind, fate) {
        (PacketKind::SynAck, Fate::Delivered) => {
            "sent by the pod's TCP (tcp_v4_send_synack): a listener accepted the SYN"
        }
        (PacketKind::Rst, Fate::Delivered) => {
            "sent by the pod's TCP (tcp_v4_send_reset): no listener on the port (GracefulStop closed it)"
        }
        (PacketKind::IcmpUnreachable, Fate::Delivered) => {
            "sent by the node: ip_route_input_slow found an unreachable route → ip_error → __icmp_send(ICMP_DEST_UNREACH, ICMP_HOST_UNREACH)"
        }
        (PacketKind::DnsHealthCheck, Fate::Delivered) => {
            "sent by node-local-dns (CoreDNS forward health check)"
        }
        (PacketKind::DnsTcpSyn, Fate::Delivered) => {
            "sent by node-local-dns (CoreDNS forward over TCP): tcp_v4_connect, out of ens5 by the main table's default route"
        }
        (_, Fate::Delivered) => {
            "ip_route_input_slow → ip_mkroute_input → __mkroute_input (fib_validate_source passed) → ip_forward → the pod's veth"
        }
        (_, Fate::RpFilter { .. }) => {
            "ip_route_input_slow → __mkroute_input → fib_validate_source returned -EXDEV (rp_filter) → ip_handle_martian_source; counted by ip_rcv_finish_core as IPReversePathFilter; no ICMP, no RST"
        }
        (_, Fate::ConntrackAllowance) => {
            "not the guest kernel: the Nitro hypervisor's connection tracking was full (ENA counter conntrack_allowance_exceeded)"
        }
        (_, Fate::UnreachableIcmpSent) => {
            "ip_route_input_slow: fib_lookup hit an unreachable route (-EHOSTUNREACH) → no_route → ip_error, which sent ICMP host unreachable"
        }
        (_, Fate::UnreachableIcmpLimited) => {
            "ip_route_input_slow → ip_error: the per-source inet_peer token bucket (ip_rt_error_cost) was empty, no ICMP sent"
        }
        (_, Fate::SrcDstCheck) => {
            "ip_forward sent it out of ens5 with the client's source address; the ENI source/destination check (VPC) dropped it"
        }
        (_, Fate::LinuxConntrackFull) => {
            "nf_conntrack_in → init_conntrack: table full (nf_conntrack_max), packet dropped"
        }
        (_, Fate::Martian) => "ip_route_input_slow: martian (ip_handle_martian_source)",
    }
}

/// The comment of one packet: what, fate, where, why, and the run.
pub fn comment(sim: &Sim, p: &PacketRecord, preset: &str) -> String {
    let mut lines = Vec::with_capacity(6);
    let who = if p.client == u32::MAX {
        format!("node {}", p.node)
    } else {
        format!("client {}", p.client)
    };
    let pod = match sim.pods.get(p.pod as usize) {
        Some(pod) => format!("{} (pod {}, node {})", pod.name(), p.pod, pod.node),
        None => format!("node {}", p.node),
    };
    let mut head = format!("#{} {} {who} ↔ {pod}", p.id, p.kind.label());
    if p.client != u32::MAX {
        head.push_str(&format!(", attempt {}, SYN no. {}", p.attempt, p.syn_no));
    }
    lines.push(head);
    lines.push(if p.fate.dropped() {
        format!("fate: {} (dropped)", p.fate.reason())
    } else {
        format!("fate: {}", p.fate.reason())
    });
    lines.push(format!("where: {}", kernel_path(p.kind, p.fate)));
    let cause = if p.answers != u32::MAX {
        format!(
            "cause: answers #{}, a SYN sent because {}",
            p.answers,
            p.trigger.text()
        )
    } else {
        format!("cause: {}", p.trigger.text())
    };
    lines.push(cause);
    if p.resolved_at.micros() > 0 {
        lines.push(format!(
            "client last resolved DNS at t={:.3} s",
            p.resolved_at.as_secs_f64()
        ));
    }
    lines.push(format!(
        "run: preset {preset}, seed {}, t={:.6} s",
        sim.seed,
        p.sent.as_secs_f64()
    ));
    lines.join("\n")
}
