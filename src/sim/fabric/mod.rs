//! Packets through the VPC and the node: where each client SYN meets its fate.
//!
//! A SYN to a pod IP is routed by the VPC to the ENI that owns the IP — ens6
//! of the pod's node, also after the pod is gone (facts.md §5, DESIGN). The
//! instance's hypervisor conntrack must admit the flow (a new 5-tuple is a
//! new entry; a retransmission refreshes its entry); then the node's kernel
//! decides with [`route_input`](super::linux::route_input), the same code
//! the lab runs: forward to the pod's veth, drop as a martian, or hand to
//! `ip_error`. Forwarded packets are confirmed in the Linux conntrack;
//! martians never are (facts.md §1.5).
//!
//! The path is a sequence of stages (`stages.rs`), each taking the narrow
//! context (`Ctx`, `sim/ctx.rs`) and the state it owns (a table, the node)
//! and returning a verdict, the way the kernel's input path reads; where it
//! ends is recorded in one place (`fate.rs`). This file holds the answer
//! back to the client and the closing of a refused flow's entries; what
//! needs the world (reading the SYN's subchannel, client and pod, and the
//! reply's arrival at the client) is on the engine's side
//! (`sim/wiring/fabric.rs`).

pub(in crate::sim) mod fate;
pub(in crate::sim) mod stages;

use super::ctx::Ctx;
use super::event::{Ev, ReplyKind};
use super::metrics::PerNode;
use super::node::{LinuxConntrack, Node};
use super::params::Params;
use super::time::{SimDuration, SimTime};
use super::trace::{Fate, PacketKind, PacketRecord};
use std::net::Ipv4Addr;

/// An RST (or the client's RST to a SYN-ACK for a socket it already
/// closed) passes at `at`: the flow's entries in `node`'s tables, added to
/// expire at `vpc_exp` and `ct_exp` (zero: none), become closing entries.
/// Called at `at`, or earlier by a folded refusal.
///
/// The VPC keeps a closing entry for `vpc_closed_timeout_s` (an
/// assumption: AWS documents nothing). The node's netfilter does not
/// when the RST is the only reply its entry has seen (`refused`: the
/// pod's RST to the SYN): `nf_conntrack_tcp_packet()`
/// (`net/netfilter/nf_conntrack_proto_tcp.c`) kills such an entry at
/// once, since no connection ever existed (long-standing, in 5.10 and
/// current kernels; facts.md §6). The entry so lives only until the
/// RST's passage. An RST after a SYN-ACK (`refused` false) finds a
/// flow that has seen a reply and moves it to CLOSE for
/// `nf_conntrack_tcp_timeout_close` (10 s).
pub(in crate::sim) fn close_refused_flow(
    cx: &mut Ctx,
    n: &mut Node,
    vpc_exp: SimTime,
    ct_exp: SimTime,
    at: SimTime,
    refused: bool,
) {
    let now = cx.now;
    let closed_vpc = SimDuration::from_secs(cx.p.vpc_closed_timeout_s);
    if vpc_exp != SimTime::ZERO {
        n.vpc.retime(now, vpc_exp, at + closed_vpc);
    }
    if ct_exp != SimTime::ZERO {
        if !refused {
            n.linux_ct
                .timed
                .retime(now, ct_exp, at + LinuxConntrack::CLOSE);
        } else if at > now {
            // Folded: the entry lives until the RST passes.
            n.linux_ct.timed.retime(now, ct_exp, at);
        } else {
            n.linux_ct.timed.remove(now, ct_exp);
        }
        if refused {
            cx.metrics
                .add_node(usize::from(n.index), PerNode::LinuxCtRstKilled, 1.0);
        }
    }
}

/// Sends the node's (or pod's) answer to the client's SYN (sampled packet
/// `sample`, which reached node `node_ip`); returns when it arrives (30 µs
/// of the pod's or kernel's own time, then the latency).
pub(in crate::sim) fn answer(
    cx: &mut Ctx,
    node_ip: Ipv4Addr,
    sub: u32,
    gen: u32,
    sample: u32,
    kind: ReplyKind,
) -> SimTime {
    let lat = SimDuration::from_micros(cx.p.network_latency_us);
    sample_reply(cx, node_ip, sample, kind, lat);
    let after = reply_delay(cx.p);
    cx.schedule(after, Ev::Reply { sub, gen, kind });
    cx.now + after
}

/// From a SYN's arrival at the node to its answer's arrival at the client.
pub(in crate::sim) fn reply_delay(p: &Params) -> SimDuration {
    SimDuration::from_micros(p.network_latency_us + 30)
}

/// Records the answer to sampled SYN `sample` (within the per-second cap).
fn sample_reply(cx: &mut Ctx, node_ip: Ipv4Addr, sample: u32, kind: ReplyKind, lat: SimDuration) {
    if sample == u32::MAX || !cx.trace.may_sample(cx.now) {
        return;
    }
    let syn = cx.trace.packets[sample as usize];
    let (k, src, sport) = match kind {
        ReplyKind::SynAck => (PacketKind::SynAck, syn.dst, syn.dport),
        ReplyKind::Rst => (PacketKind::Rst, syn.dst, syn.dport),
        ReplyKind::Icmp => (PacketKind::IcmpUnreachable, node_ip, 0),
    };
    cx.trace.push_packet(PacketRecord {
        id: 0,
        kind: k,
        sent: cx.now,
        arrives: cx.now + lat,
        src,
        sport,
        dst: syn.src,
        dport: if kind == ReplyKind::Icmp {
            0
        } else {
            syn.sport
        },
        node: syn.node,
        fate: Fate::Delivered,
        client: syn.client,
        pod: syn.pod,
        attempt: syn.attempt,
        syn_no: syn.syn_no,
        trigger: syn.trigger,
        resolved_at: syn.resolved_at,
        ingress_ens6: false,
        answers: syn.id,
    });
}
