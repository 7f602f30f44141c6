//! The stages of a client SYN's path, in the order it meets them: the VPC's
//! conntrack allowance, the node kernel's input route, the Linux conntrack,
//! then the pod, the ENI's source/destination check, the martian path or
//! `ip_error` and its ICMP. Each stage takes the narrow context and the
//! state it owns (a table, the node), not the world, and returns a
//! [`Verdict`]: the SYN goes on, or its path ends. What an end does to the
//! counters, the metrics and the trace is recorded in one place,
//! [`super::fate::record`]; a stage does only what its own code does (the
//! kernel's counters and its martian log line, the tables' entries, the ICMP
//! rate limiter's draw).

use super::fate::End;
use crate::sim::cluster::Phase;
use crate::sim::ctx::Ctx;
use crate::sim::event::ReplyKind;
use crate::sim::linux::icmp::IcmpVerdict;
use crate::sim::linux::{Errno, InputVerdict, NetNs};
use crate::sim::node::{LinuxConntrack, Node, VpcConntrack};
use crate::sim::params::Params;
use crate::sim::time::{SimDuration, SimTime};
use std::net::Ipv4Addr;

/// What the stages read of a SYN.
pub(in crate::sim) struct Syn {
    /// The client pod's address (the source).
    pub src: Ipv4Addr,
    /// The pod's address (the destination).
    pub dst: Ipv4Addr,
    /// The client pod's index: with `pod`, the key of the node's route memo.
    pub host: u32,
    /// The destination pod.
    pub pod: u32,
    /// The destination pod's phase: only a Ready pod listens.
    pub phase: Phase,
}

/// The expiries of a flow's entries in the node's two tables, the VPC's and
/// the Linux conntrack's (`SimTime::ZERO`: none).
#[derive(Clone, Copy, Debug)]
pub(in crate::sim) struct Held {
    /// The VPC's entry.
    pub vpc: SimTime,
    /// The Linux conntrack's entry.
    pub ct: SimTime,
}

impl Held {
    /// No entries (a new flow, or a SYN of an attempt that has moved on).
    pub const NONE: Held = Held {
        vpc: SimTime::ZERO,
        ct: SimTime::ZERO,
    };
}

/// What a stage decides.
pub(super) enum Verdict<T> {
    /// The SYN goes on, with what the stage learned.
    Pass(T),
    /// The SYN's path ends here.
    End(End),
}

/// A SYN's path through the VPC and `node`: returns where it ends and the
/// entries its flow holds afterwards (`prev`: those the flow's earlier SYNs
/// left; a retransmission finds them).
#[inline]
pub(in crate::sim) fn walk(cx: &mut Ctx, node: &mut Node, syn: &Syn, prev: Held) -> (End, Held) {
    // 1. The VPC: the instance's conntrack must track the flow.
    let vpc = match vpc_conntrack(cx, &mut node.vpc, prev.vpc) {
        Verdict::Pass(exp) => exp,
        Verdict::End(end) => {
            let held = Held {
                vpc: SimTime::ZERO,
                ct: prev.ct,
            };
            return (end, held);
        }
    };
    cx.totals.syn_reached_node += 1;
    let held = |ct| Held { vpc, ct };
    // 2. The node's kernel: ip_route_input_slow on ens6.
    let end = match node.route_from_ens6(syn.src, syn.dst, syn.host, syn.pod) {
        InputVerdict::Forward { dev, .. } => {
            // 3. A forwarded packet is confirmed in the Linux conntrack
            // before it leaves, whichever way it goes.
            let ct = match linux_conntrack(cx.now, &mut node.linux_ct, prev.ct) {
                Verdict::Pass(exp) => exp,
                Verdict::End(end) => return (end, held(prev.ct)),
            };
            // 4. To the pod's veth, or out of ens5 to the ENI.
            let end = if dev != node.ens5 {
                pod_answers(syn.phase)
            } else {
                src_dst_check(cx.p)
            };
            return (end, held(ct));
        }
        InputVerdict::MartianSource { rp_filter, .. } => martian_source(cx, node, syn, rp_filter),
        InputVerdict::Unroutable { errno } => ip_error(cx, node, syn.src, errno),
        InputVerdict::LocalDeliver | InputVerdict::Broadcast | InputVerdict::MartianDestination => {
            End::OtherMartian
        }
    };
    (end, held(prev.ct))
}

/// The instance's hypervisor conntrack (facts.md §5.2): a new 5-tuple needs
/// room under the allowance; a retransmission is the same 5-tuple and
/// refreshes its flow's entry (`prev`). Passes the entry's new expiry.
#[inline]
fn vpc_conntrack(cx: &Ctx, vpc: &mut VpcConntrack, prev: SimTime) -> Verdict<SimTime> {
    let now = cx.now;
    let exp = now + SimDuration::from_secs(cx.p.vpc_syn_timeout_s);
    let admitted = if prev != SimTime::ZERO && vpc.retime(now, prev, exp) {
        true
    } else {
        vpc.admit_and_add(now, exp)
    };
    if admitted {
        Verdict::Pass(exp)
    } else {
        Verdict::End(End::VpcAllowance)
    }
}

/// The node's netfilter conntrack (facts.md §6): a forwarded SYN is
/// confirmed (martians never reach it, facts.md §1.5). A retransmission
/// finds its flow's entry (`nf_conntrack_in` looks the tuple up before
/// creating one) and only refreshes its SYN_SENT timeout; a full table drops
/// the packet before it is forwarded ("nf_conntrack: table full, dropping
/// packet"). Passes the entry's new expiry.
#[inline]
fn linux_conntrack(now: SimTime, ct: &mut LinuxConntrack, prev: SimTime) -> Verdict<SimTime> {
    let exp = now + LinuxConntrack::SYN_SENT;
    let had = prev != SimTime::ZERO && ct.timed.retime(now, prev, exp);
    if had || ct.admit(now, exp) {
        Verdict::Pass(exp)
    } else {
        Verdict::End(End::LinuxConntrackFull)
    }
}

/// The pod's socket: SYN-ACK if it listens (Ready), RST otherwise.
#[inline]
fn pod_answers(phase: Phase) -> End {
    End::Delivered(if phase == Phase::Ready {
        ReplyKind::SynAck
    } else {
        ReplyKind::Rst
    })
}

/// Out of ens5 with the client's source address: the ENI's
/// source/destination check drops it. Without the check the VPC routes it
/// back to ens6, where the same decision repeats until the TTL runs out.
#[inline]
fn src_dst_check(p: &Params) -> End {
    if p.src_dst_check {
        End::SrcDstCheck
    } else {
        End::Looped
    }
}

/// `ip_handle_martian_source()` (facts.md §1.4): the kernel's counters, and
/// its log line when `log_martians` is on, within `net_ratelimit()`. The
/// packet is dropped: no RST, no ICMP.
fn martian_source(cx: &mut Ctx, node: &mut Node, syn: &Syn, rp_filter: bool) -> End {
    node.ns.counters.in_martian_src += 1;
    if rp_filter {
        node.ns.counters.ip_reverse_path_filter += 1;
    }
    if cx.p.log_martians {
        let (ok, suppressed) = node.klog_limit.allow(cx.now);
        if suppressed > 0 {
            cx.trace.klog(
                cx.now,
                node.index,
                format!("net_ratelimit: {suppressed} callbacks suppressed"),
            );
        }
        if ok {
            cx.trace.klog(
                cx.now,
                node.index,
                NetNs::martian_log_line(syn.dst, syn.src, "ens6"),
            );
        }
    }
    End::MartianSource { rp_filter }
}

/// `ip_error()` for an unroutable SYN (facts.md §1.6): an ICMP error if the
/// device forwards and the errno has one, within the per-source token
/// bucket (one draw from the context's stream). The ICMP error is a tracked
/// flow of its own in the VPC, so it needs room there too.
fn ip_error(cx: &mut Ctx, node: &mut Node, src: Ipv4Addr, errno: Errno) -> End {
    let now = cx.now;
    let fwd = node
        .ns
        .sysctl
        .forwarding(node.ns.dev(node.ens6).expect("ens6"));
    let wants_icmp = fwd && matches!(errno, Errno::HostUnreach | Errno::NetUnreach | Errno::Acces);
    let verdict = if wants_icmp {
        node.icmp.ip_error(src, now.millis(), cx.rng)
    } else {
        IcmpVerdict::PeerLimited
    };
    if verdict != IcmpVerdict::Sent {
        return End::IcmpRateLimited;
    }
    let closed = SimDuration::from_secs(cx.p.vpc_closed_timeout_s);
    if node.vpc.admit(now) {
        node.vpc.add(now, now + closed, 1);
        End::IcmpSent
    } else {
        End::IcmpVpcLimited
    }
}
