//! Where a SYN's path ends, and the one function that records it: the run's
//! totals, the global and per-node series, the sampled packet's fate in the
//! trace and the notable events. The stages (`stages.rs`) decide; this
//! records, so that every end is counted the same way wherever it is
//! decided, and a new end is one variant and one arm.

use crate::sim::cluster::Pod;
use crate::sim::ctx::Ctx;
use crate::sim::event::ReplyKind;
use crate::sim::metrics::{Global, PerNode};
use crate::sim::node::Node;
use crate::sim::trace::{Fate, Notable};

/// Where a client SYN's path ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum End {
    /// The VPC's conntrack allowance was exceeded: dropped before the node.
    VpcAllowance,
    /// The node's Linux conntrack was full: dropped before forwarding.
    LinuxConntrackFull,
    /// Delivered to the pod, which answers (SYN-ACK or RST).
    Delivered(ReplyKind),
    /// Forwarded out of ens5 and dropped by the ENI's source/destination check.
    SrcDstCheck,
    /// Forwarded out of ens5 without the check: back to ens6 until the TTL
    /// runs out.
    Looped,
    /// A martian source (`rp_filter` set: the reverse-path filter's `-EXDEV`).
    MartianSource {
        /// Whether the reverse-path filter dropped it.
        rp_filter: bool,
    },
    /// Unroutable, and `ip_error` sent an ICMP error.
    IcmpSent,
    /// Unroutable; the ICMP error's own VPC entry found no room.
    IcmpVpcLimited,
    /// Unroutable; no ICMP error (rate-limited, or none for this error).
    IcmpRateLimited,
    /// Another martian: local delivery, broadcast or a martian destination.
    OtherMartian,
}

/// Records a SYN's `end` on `node`, the SYN sent to `pod` (sampled packet
/// `sample`; `u32::MAX`: not sampled).
#[inline]
pub(in crate::sim) fn record(cx: &mut Ctx, node: &mut Node, pod: &mut Pod, sample: u32, end: End) {
    let i = usize::from(node.index);
    match end {
        End::VpcAllowance => {
            cx.totals.syn_vpc_dropped += 1;
            cx.metrics.add(Global::ConntrackAllowanceExceeded, 1.0);
            cx.metrics
                .add_node(i, PerNode::ConntrackAllowanceExceeded, 1.0);
            note_conntrack_full(cx, node);
            cx.fate(sample, Fate::ConntrackAllowance);
        }
        End::LinuxConntrackFull => {
            cx.totals.syn_linux_ct_dropped += 1;
            cx.fate(sample, Fate::LinuxConntrackFull);
        }
        End::Delivered(kind) => {
            cx.fate(sample, Fate::Delivered);
            if kind == ReplyKind::SynAck {
                cx.totals.syn_acked += 1;
                cx.metrics.add(Global::SynAcks, 1.0);
            } else {
                cx.totals.syn_rst += 1;
                cx.metrics.add(Global::Rsts, 1.0);
            }
        }
        End::SrcDstCheck => {
            cx.totals.syn_src_dst += 1;
            cx.metrics.add(Global::SrcDstDrops, 1.0);
            cx.fate(sample, Fate::SrcDstCheck);
        }
        End::Looped | End::OtherMartian => {
            cx.totals.syn_other += 1;
            cx.fate(sample, Fate::Martian);
        }
        End::MartianSource { rp_filter } => {
            cx.totals.martian_drops += 1;
            cx.metrics.add(Global::MartianDrops, 1.0);
            cx.metrics.add_node(i, PerNode::MartianDrops, 1.0);
            if !pod.martian_reported {
                pod.martian_reported = true;
                let (dst, name) = (pod.ip, pod.name());
                cx.note(
                    Notable::FirstMartian { pod: pod.index },
                    format!("First SYN to {dst} (deleted {name}) dropped on node {i}: rp_filter, ens6 has no IPv4 address; no RST, no ICMP"),
                );
            }
            if sample != u32::MAX {
                let no_addr = node.ns.dev(node.ens6).map(|d| d.no_addr()).unwrap_or(true);
                let fate = if rp_filter {
                    Fate::RpFilter { no_addr }
                } else {
                    Fate::Martian
                };
                cx.fate(sample, fate);
            }
        }
        End::IcmpSent => {
            cx.totals.icmp_sent += 1;
            cx.totals.syn_icmp += 1;
            cx.metrics.add(Global::IcmpSent, 1.0);
            cx.fate(sample, Fate::UnreachableIcmpSent);
        }
        End::IcmpVpcLimited => {
            cx.metrics.add(Global::ConntrackAllowanceExceeded, 1.0);
            cx.metrics
                .add_node(i, PerNode::ConntrackAllowanceExceeded, 1.0);
            cx.totals.syn_icmp_limited += 1;
            cx.fate(sample, Fate::UnreachableIcmpLimited);
        }
        End::IcmpRateLimited => {
            cx.totals.syn_icmp_limited += 1;
            cx.metrics.add(Global::IcmpRateLimited, 1.0);
            cx.fate(sample, Fate::UnreachableIcmpLimited);
        }
    }
}

/// The first drop for the VPC allowance on `node` since its table was last
/// seen with room is a notable event (node-local-dns's health checks clear
/// `full` again when the table has room, `nodelocal/health.rs`).
fn note_conntrack_full(cx: &mut Ctx, node: &mut Node) {
    if !node.vpc.full {
        node.vpc.full = true;
        let allowance = node.vpc.allowance;
        let i = node.index;
        cx.note(
            Notable::ConntrackFull { node: i },
            format!("Node {i}: VPC conntrack allowance ({allowance} entries) exhausted; new flows dropped (conntrack_allowance_exceeded)"),
        );
    }
}
