//! AWS VPC Flow Logs for the service nodes' ENIs, from the sampled packets.
//!
//! Spec: Amazon VPC User Guide, "Flow log records" (custom format, the
//! version 3 fields) and "Flow log record examples" (the TCP flag sequence
//! example uses exactly this field list), and "Flow log limitations":
//!
//! `version vpc-id subnet-id instance-id interface-id account-id type srcaddr
//! dstaddr srcport dstport pkt-srcaddr pkt-dstaddr protocol bytes packets
//! start end action tcp-flags log-status`
//!
//! - One record per ENI, 5-tuple and 1-minute aggregation interval (Nitro
//!   instances aggregate over at most one minute); intervals start on the
//!   wall-clock minute. `start`/`end`: Unix seconds of the first and last
//!   packet of the flow in the interval. `bytes`: IP packet lengths.
//! - `srcaddr`/`dstaddr` show the ENI's *primary* address on the ENI's side
//!   ("the IPv4 address of the network interface is always its primary private
//!   IPv4 address"; traffic to a secondary address shows the primary in
//!   `dstaddr`): a SYN to a pod's address on `ens6` has `dstaddr` = ens6's
//!   primary and `pkt-dstaddr` = the pod's address.
//! - `tcp-flags`: FIN 1, SYN 2, RST 4, SYN-ACK 18, OR-ed over the interval;
//!   ACK is reported only with SYN ("when a flow log entry consists of only
//!   ACK packets, the flag value is 0"), so RST+ACK counts 4 and FIN+ACK 1.
//!   UDP and ICMP records carry 0; ICMP ports are 0.
//! - `action`: ACCEPT when the security group and network ACL let the packet
//!   through, which is the case of every packet the guest kernel drops
//!   (rp_filter, `ip_error`, nf_conntrack): a SYN to a deleted pod shows as
//!   `ACCEPT` with tcp-flags 2 and no reverse record.
//! - **Assumption**: packets the hypervisor drops because the instance's
//!   connection-tracking allowance is exhausted (clients' SYNs coming in,
//!   node-local-dns's packets going out) are **not logged** by default. AWS
//!   documents `REJECT` only for security groups and network ACLs and says
//!   nothing about allowance drops in flow logs;
//!   [`Options::conntrack_drops_as_reject`] logs them as `REJECT` instead.
//! - Only the service nodes' ENIs are logged (not the clients'). The ENIs'
//!   primary addresses and all ids are made up ([`super::ident`]).
//! - The first line is the field list, as in a plain-text file delivered
//!   to Amazon S3.

use super::clock::unix_secs;
use super::ident::{eni_id, instance_id, subnet_id, Iface, ACCOUNT_ID, VPC_ID};
use super::wire::{capture_point, frame, inbound, ETH_LEN};
use crate::sim::trace::{Fate, PacketKind, PacketRecord};
use crate::sim::Sim;
use std::collections::BTreeMap;
use std::fmt;
use std::net::Ipv4Addr;

/// The custom format's field list (the file's first line).
pub const FIELDS: &str = "version vpc-id subnet-id instance-id interface-id account-id type srcaddr dstaddr srcport dstport pkt-srcaddr pkt-dstaddr protocol bytes packets start end action tcp-flags log-status";

/// Aggregation interval, seconds.
pub const INTERVAL_S: u64 = 60;

/// Choices the AWS documentation leaves open.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Options {
    /// Log SYNs the hypervisor dropped for the conntrack allowance as
    /// `REJECT` records (default: not logged, see the module doc).
    pub conntrack_drops_as_reject: bool,
}

/// One flow log record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// Node whose ENI logged it.
    pub node: u16,
    /// The ENI (`ens5` or `ens6`).
    pub iface: Iface,
    /// `srcaddr`.
    pub srcaddr: Ipv4Addr,
    /// `dstaddr`.
    pub dstaddr: Ipv4Addr,
    /// `srcport`.
    pub srcport: u16,
    /// `dstport`.
    pub dstport: u16,
    /// `pkt-srcaddr`.
    pub pkt_srcaddr: Ipv4Addr,
    /// `pkt-dstaddr`.
    pub pkt_dstaddr: Ipv4Addr,
    /// IANA protocol number.
    pub protocol: u8,
    /// Bytes (IP lengths).
    pub bytes: u64,
    /// Packets.
    pub packets: u64,
    /// First packet, Unix seconds.
    pub start: u64,
    /// Last packet, Unix seconds.
    pub end: u64,
    /// `ACCEPT` or `REJECT`.
    pub accept: bool,
    /// OR of the packets' flag values.
    pub tcp_flags: u8,
}

impl fmt::Display for Record {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let dev = if matches!(self.iface, Iface::Ens5(_)) {
            5
        } else {
            6
        };
        write!(
            f,
            "3 {VPC_ID} {} {} {} {ACCOUNT_ID} IPv4 {} {} {} {} {} {} {} {} {} {} {} {} {} OK",
            subnet_id(self.iface),
            instance_id(self.node),
            eni_id(self.node, dev),
            self.srcaddr,
            self.dstaddr,
            self.srcport,
            self.dstport,
            self.pkt_srcaddr,
            self.pkt_dstaddr,
            self.protocol,
            self.bytes,
            self.packets,
            self.start,
            self.end,
            if self.accept { "ACCEPT" } else { "REJECT" },
            self.tcp_flags,
        )
    }
}

/// The flag value one packet contributes (see the module doc).
pub fn flag_value(kind: PacketKind) -> u8 {
    match kind {
        PacketKind::Syn | PacketKind::SynRetransmit | PacketKind::DnsTcpSyn => 2,
        PacketKind::SynAck => 18,
        PacketKind::Rst => 4,
        PacketKind::Fin => 1,
        PacketKind::IcmpUnreachable | PacketKind::DnsHealthCheck => 0,
    }
}

fn protocol(kind: PacketKind) -> u8 {
    match kind {
        PacketKind::IcmpUnreachable => 1,
        PacketKind::DnsHealthCheck => 17,
        _ => 6,
    }
}

type Key = (u64, Iface, u8, Ipv4Addr, u16, Ipv4Addr, u16, bool);

/// The flow log records of the run's sampled packets, in interval, ENI,
/// start-time order.
///
/// Spec: Amazon VPC User Guide, "Flow log records" (see the module doc).
pub fn records(sim: &Sim, opts: Options) -> Vec<Record> {
    records_of(sim.seed, &sim.trace.packets, opts)
}

/// The flow log records of sampled packets `packets` of the run with seed
/// `seed` (which keys the frames' made-up numbers), as [`records`].
pub fn records_of(seed: u64, packets: &[PacketRecord], opts: Options) -> Vec<Record> {
    aggregate(
        packets
            .iter()
            .filter_map(|p| record_of(seed, packets, p, opts)),
    )
}

/// Each sampled packet's one-packet record (`None` if the flow log would
/// not see it), in the packets' order: what [`aggregate`] sums. The page's
/// flow-log lens makes these once per run and aggregates those sent up to
/// its clock, so the lens and the download are the same records.
pub fn packet_records(seed: u64, packets: &[PacketRecord], opts: Options) -> Vec<Option<Record>> {
    packets
        .iter()
        .map(|p| record_of(seed, packets, p, opts))
        .collect()
}

/// One-packet records summed into flows: one record per ENI, 5-tuple,
/// action and aggregation interval, in interval, ENI, start-time order.
pub fn aggregate(one_packet: impl IntoIterator<Item = Record>) -> Vec<Record> {
    let mut flows: BTreeMap<Key, Record> = BTreeMap::new();
    for r in one_packet {
        let window = r.start / INTERVAL_S;
        let key = (
            window,
            r.iface,
            r.protocol,
            r.pkt_srcaddr,
            r.srcport,
            r.pkt_dstaddr,
            r.dstport,
            r.accept,
        );
        flows
            .entry(key)
            .and_modify(|a| {
                a.bytes += r.bytes;
                a.packets += 1;
                a.start = a.start.min(r.start);
                a.end = a.end.max(r.end);
                a.tcp_flags |= r.tcp_flags;
            })
            .or_insert(r);
    }
    let mut out: Vec<Record> = flows.into_values().collect();
    out.sort_by_key(|r| (r.start / INTERVAL_S, r.iface, r.start, r.end));
    out
}

/// A one-packet record, or None if the ENI's flow log would not see it.
fn record_of(
    seed: u64,
    packets: &[PacketRecord],
    p: &PacketRecord,
    opts: Options,
) -> Option<Record> {
    let (iface, at) = capture_point(p);
    // Allowance drops, of a client's SYN on its way in or of the node's own
    // DNS packet on its way out, are logged only if asked for.
    let accept = match p.fate {
        Fate::ConntrackAllowance if opts.conntrack_drops_as_reject => false,
        Fate::ConntrackAllowance => return None,
        _ => true,
    };
    // A dropped SYN never reached the ENI: log it where it was headed.
    let headed_in = iface == Iface::Clients;
    let iface = if headed_in {
        Iface::Ens6(p.node)
    } else {
        iface
    };
    let eni_addr = iface.primary().0;
    let incoming = headed_in || inbound(iface, p);
    let (srcaddr, dstaddr) = if incoming {
        (p.src, eni_addr)
    } else {
        (eni_addr, p.dst)
    };
    let f = frame(seed, packets, p);
    // Ports as written in the frame (ICMP has none: 0).
    let l4 = &f.bytes[ETH_LEN + 20..];
    let (srcport, dstport) = match p.kind {
        PacketKind::IcmpUnreachable => (0, 0),
        _ => (
            u16::from_be_bytes([l4[0], l4[1]]),
            u16::from_be_bytes([l4[2], l4[3]]),
        ),
    };
    let t = unix_secs(at);
    Some(Record {
        node: p.node,
        iface,
        srcaddr,
        dstaddr,
        srcport,
        dstport,
        pkt_srcaddr: p.src,
        pkt_dstaddr: p.dst,
        protocol: protocol(p.kind),
        bytes: f.ip_len() as u64,
        packets: 1,
        start: t,
        end: t,
        accept,
        tcp_flags: flag_value(p.kind),
    })
}

/// The records as a text file: the field list, then one record per line.
///
/// Spec: Amazon VPC User Guide, "Flow log records" (custom format, version 3).
pub fn text(sim: &Sim, opts: Options) -> String {
    let mut out = String::from(FIELDS);
    out.push('\n');
    for r in records(sim, opts) {
        out.push_str(&r.to_string());
        out.push('\n');
    }
    out
}
