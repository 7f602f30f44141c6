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
//! ends is recorded in one place (`fate.rs`). This file holds what needs
//! the world: reading the SYN's subchannel, client and pod, the answer back
//! to the client, and the reply's arrival there.

mod fate;
mod stages;

use super::cluster::Phase;
use super::ctx::{ctx, Ctx};
use super::engine::Sim;
use super::event::{Ev, ReplyKind};
use super::metrics::{Global, PerNode};
use super::node::{LinuxConntrack, Node};
use super::params::Params;
use super::time::{SimDuration, SimTime};
use super::trace::{Fate, PacketKind, PacketRecord};
use fate::End;
use stages::{Held, Syn};
use std::net::Ipv4Addr;

impl Sim {
    pub(crate) fn on_syn_arrive(&mut self, sub: u32, gen: u32, n: u8, sample: u32) {
        let answer_at = self.syn_at_node(sub, gen, n, sample);
        self.arm_dial_deadline(sub, gen, n, answer_at);
    }

    /// The SYN's fate in the VPC and the node's kernel; returns when the
    /// answer (SYN-ACK, RST or ICMP) reaches the client, if there is one.
    /// The stages decide ([`stages::walk`]), [`fate::record`] records, and
    /// an answer goes back to the client.
    fn syn_at_node(&mut self, sub: u32, gen: u32, n: u8, sample: u32) -> Option<SimTime> {
        let now = self.now;
        let (client, pod, current) = {
            let s = &self.subs[sub as usize];
            let current = s.gen == gen && s.state != super::client::ConnState::Shutdown;
            (s.client as usize, s.pod as usize, current)
        };
        let (src, host) = {
            let c = &self.clients[client];
            (c.ip, c.host)
        };
        let (dst, node_i, phase) = {
            let p = &self.pods[pod];
            (p.ip, p.node as usize, p.phase)
        };
        let sec = now.secs() as usize;
        if !self.pods[pod].syn_per_sec.is_empty() {
            if let Some(c) = self.pods[pod].syn_per_sec.get_mut(sec) {
                *c += 1;
            }
        }
        self.metrics.add_node(node_i, PerNode::SynArrivals, 1.0);
        if phase == Phase::Deleted {
            self.metrics.add(Global::SynToDeletedIp, 1.0);
            self.pods[pod].last_syn_after_delete = Some(now);
        }
        if self.tracked_pod == Some(pod as u32) {
            self.metrics.add(Global::FlowLogSyn, 1.0);
        }

        // The entries an earlier SYN of this attempt left (a retransmission
        // is the same 5-tuple); a stale attempt's SYN has none to find.
        let prev = if current {
            let s = &self.subs[sub as usize];
            Held {
                vpc: s.vpc_expiry,
                ct: s.ct_expiry,
            }
        } else {
            Held::NONE
        };
        let syn = Syn {
            src,
            dst,
            host,
            pod: pod as u32,
            phase,
        };
        let cx = &mut ctx!(self, rng_net);
        let node = &mut self.nodes[node_i];
        let (end, held) = stages::walk(cx, node, &syn, prev);
        if current {
            let s = &mut self.subs[sub as usize];
            s.vpc_expiry = held.vpc;
            s.ct_expiry = held.ct;
        }
        fate::record(cx, node, &mut self.pods[pod], sample, end);
        let kind = match end {
            End::Delivered(kind) => kind,
            End::IcmpSent => ReplyKind::Icmp,
            _ => return None,
        };
        let node_ip = node.ip;
        if kind == ReplyKind::Rst {
            let rst_at = now + reply_delay(&self.p);
            if self.fold_refusal(sub, gen, n, rst_at) {
                // The flow's entries are closed as of the RST's passage: an
                // entry that lives on until then and one closing entry from
                // then on count exactly as one entry that lives until the
                // closing one ends.
                let node = &mut self.nodes[node_i];
                close_refused_flow(
                    &mut ctx!(self, rng_net),
                    node,
                    held.vpc,
                    held.ct,
                    rst_at,
                    true,
                );
                return Some(rst_at);
            }
        }
        let cx = &mut ctx!(self, rng_net);
        Some(answer(cx, node_ip, sub, gen, sample, kind))
    }

    pub(crate) fn on_reply(&mut self, sub: u32, gen: u32, kind: ReplyKind) {
        let now = self.now;
        let pod = self.subs[sub as usize].pod as usize;
        let node = self.pods[pod].node as usize;
        let (vpc_exp, ct_exp) = {
            let s = &self.subs[sub as usize];
            (s.vpc_expiry, s.ct_expiry)
        };
        let accepted = self.client_reply(sub, gen, kind);
        match (kind, accepted) {
            (ReplyKind::SynAck, true) => {
                let n = &mut self.nodes[node];
                if vpc_exp != SimTime::ZERO {
                    n.vpc.remove(now, vpc_exp);
                }
                n.vpc.established += 1;
                if ct_exp != SimTime::ZERO {
                    n.linux_ct.timed.remove(now, ct_exp);
                }
                n.linux_ct.established += 1;
            }
            // The VPC keeps a closing entry; netfilter only after a SYN-ACK.
            (ReplyKind::Rst, _) => close_refused_flow(
                &mut ctx!(self, rng_net),
                &mut self.nodes[node],
                vpc_exp,
                ct_exp,
                now,
                true,
            ),
            (ReplyKind::SynAck, false) => close_refused_flow(
                &mut ctx!(self, rng_net),
                &mut self.nodes[node],
                vpc_exp,
                ct_exp,
                now,
                false,
            ),
            (ReplyKind::Icmp, _) => {
                if self.p.icmp_closes_vpc_entry && vpc_exp != SimTime::ZERO {
                    self.nodes[node].vpc.remove(now, vpc_exp);
                }
            }
        }
        if accepted {
            let s = &mut self.subs[sub as usize];
            s.vpc_expiry = SimTime::ZERO;
            s.ct_expiry = SimTime::ZERO;
        }
    }
}

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
fn close_refused_flow(
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
fn answer(
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
fn reply_delay(p: &Params) -> SimDuration {
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
