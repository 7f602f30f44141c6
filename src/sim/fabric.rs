//! Packets through the VPC and the node: where each client SYN meets its fate.
//!
//! A SYN to a pod IP is routed by the VPC to the ENI that owns the IP — ens6
//! of the pod's node, also after the pod is gone (facts.md §5, DESIGN). The
//! instance's hypervisor conntrack must admit the flow (a new 5-tuple is a
//! new entry; a retransmission refreshes its entry); then the node's kernel
//! decides with [`route_input`], the same code the lab runs: forward to the
//! pod's veth, drop as a martian, or hand to `ip_error`. Forwarded packets are
//! confirmed in the Linux conntrack; martians never are (facts.md §1.5).

use super::cluster::Phase;
use super::ctx::{ctx, Ctx};
use super::engine::Sim;
use super::event::{Ev, ReplyKind};
use super::linux::icmp::IcmpVerdict;
use super::linux::{Errno, InputVerdict, NetNs};
use super::metrics::{Global, PerNode};
use super::node::{LinuxConntrack, Node};
use super::params::Params;
use super::time::{SimDuration, SimTime};
use super::trace::{Fate, Notable, PacketKind, PacketRecord, Trigger};
use std::net::Ipv4Addr;

impl Sim {
    pub(crate) fn on_syn_arrive(&mut self, sub: u32, gen: u32, n: u8, sample: u32) {
        let answer_at = self.syn_at_node(sub, gen, n, sample);
        self.arm_dial_deadline(sub, gen, n, answer_at);
    }

    /// The SYN's fate in the VPC and the node's kernel; returns when the
    /// answer (SYN-ACK, RST or ICMP) reaches the client, if there is one.
    fn syn_at_node(&mut self, sub: u32, gen: u32, n: u8, sample: u32) -> Option<SimTime> {
        let now = self.now;
        let (client, pod, current) = {
            let s = &self.subs[sub as usize];
            let current = s.gen == gen && s.state != super::client::ConnState::Shutdown;
            (s.client as usize, s.pod as usize, current)
        };
        let src = self.clients[client].ip;
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

        // 1. The VPC: the instance's conntrack must track the flow.
        let syn_timeout = SimDuration::from_secs(self.p.vpc_syn_timeout_s);
        let prev = if current {
            self.subs[sub as usize].vpc_expiry
        } else {
            SimTime::ZERO
        };
        let exp = now + syn_timeout;
        let vpc = &mut self.nodes[node_i].vpc;
        // A retransmission refreshes its flow's entry; a new flow needs room.
        let admitted = if prev != SimTime::ZERO && vpc.retime(now, prev, exp) {
            true
        } else {
            vpc.admit_and_add(now, exp)
        };
        if !admitted {
            let cx = &mut ctx!(self, rng_net);
            cx.totals.syn_vpc_dropped += 1;
            cx.metrics.add(Global::ConntrackAllowanceExceeded, 1.0);
            cx.metrics
                .add_node(node_i, PerNode::ConntrackAllowanceExceeded, 1.0);
            note_conntrack_full(cx, &mut self.nodes[node_i]);
            cx.fate(sample, Fate::ConntrackAllowance);
            if current {
                self.subs[sub as usize].vpc_expiry = SimTime::ZERO;
            }
            return None;
        }
        if current {
            self.subs[sub as usize].vpc_expiry = exp;
        }
        self.totals.syn_reached_node += 1;

        // 2. The node's kernel: ip_route_input_slow on ens6.
        let host = self.clients[client].host;
        let verdict = self.nodes[node_i].route_from_ens6(src, dst, host, pod as u32);
        let node = &self.nodes[node_i];
        match verdict {
            InputVerdict::Forward { dev, .. } if dev != node.ens5 => {
                // To the pod's veth: confirmed in the Linux conntrack.
                let prev_ct = if current {
                    self.subs[sub as usize].ct_expiry
                } else {
                    SimTime::ZERO
                };
                let ct = &mut self.nodes[node_i].linux_ct;
                let ct_exp = now + LinuxConntrack::SYN_SENT;
                let had = prev_ct != SimTime::ZERO && ct.timed.retime(now, prev_ct, ct_exp);
                if !had && !ct.admit(now, ct_exp) {
                    self.totals.syn_linux_ct_dropped += 1;
                    ctx!(self, rng_net).fate(sample, Fate::LinuxConntrackFull);
                    return None;
                }
                if current {
                    self.subs[sub as usize].ct_expiry = ct_exp;
                }
                ctx!(self, rng_net).fate(sample, Fate::Delivered);
                // The pod answers: SYN-ACK if listening, RST otherwise.
                let kind = if phase == Phase::Ready {
                    ReplyKind::SynAck
                } else {
                    ReplyKind::Rst
                };
                if kind == ReplyKind::SynAck {
                    self.totals.syn_acked += 1;
                    self.metrics.add(Global::SynAcks, 1.0);
                } else {
                    self.totals.syn_rst += 1;
                    self.metrics.add(Global::Rsts, 1.0);
                    let rst_at = now + reply_delay(&self.p);
                    if self.fold_refusal(sub, gen, n, rst_at) {
                        // The flow's entries are closed as of the RST's
                        // passage: an entry that lives on until then and
                        // one closing entry from then on count exactly as
                        // one entry that lives until the closing one ends.
                        close_refused_flow(
                            &mut ctx!(self, rng_net),
                            &mut self.nodes[node_i],
                            exp,
                            ct_exp,
                            rst_at,
                            true,
                        );
                        return Some(rst_at);
                    }
                }
                let node_ip = self.nodes[node_i].ip;
                let cx = &mut ctx!(self, rng_net);
                return Some(answer(cx, node_ip, sub, gen, sample, kind));
            }
            InputVerdict::Forward { .. } => {
                // Out of ens5 with the client's source address: the ENI's
                // source/destination check drops it (the forwarded SYN was
                // confirmed in the Linux conntrack first). A retransmission
                // is the same 5-tuple: it finds its flow's entry
                // (`nf_conntrack_in` looks the tuple up before creating one)
                // and only refreshes its SYN_SENT timeout.
                let prev_ct = if current {
                    self.subs[sub as usize].ct_expiry
                } else {
                    SimTime::ZERO
                };
                let ct = &mut self.nodes[node_i].linux_ct;
                let ct_exp = now + LinuxConntrack::SYN_SENT;
                let had = prev_ct != SimTime::ZERO && ct.timed.retime(now, prev_ct, ct_exp);
                let confirmed = had || ct.admit(now, ct_exp);
                if !confirmed {
                    // Table full: netfilter drops the packet before it is
                    // forwarded ("nf_conntrack: table full, dropping packet").
                    self.totals.syn_linux_ct_dropped += 1;
                    ctx!(self, rng_net).fate(sample, Fate::LinuxConntrackFull);
                    return None;
                }
                if current {
                    self.subs[sub as usize].ct_expiry = ct_exp;
                }
                if self.p.src_dst_check {
                    self.totals.syn_src_dst += 1;
                    self.metrics.add(Global::SrcDstDrops, 1.0);
                    ctx!(self, rng_net).fate(sample, Fate::SrcDstCheck);
                } else {
                    // Without the check the VPC routes it back to ens6, where
                    // the same decision repeats until the TTL runs out.
                    self.totals.syn_other += 1;
                    ctx!(self, rng_net).fate(sample, Fate::Martian);
                }
            }
            InputVerdict::MartianSource { rp_filter, .. } => {
                let n = &mut self.nodes[node_i];
                n.ns.counters.in_martian_src += 1;
                if rp_filter {
                    n.ns.counters.ip_reverse_path_filter += 1;
                }
                self.totals.martian_drops += 1;
                self.metrics.add(Global::MartianDrops, 1.0);
                self.metrics.add_node(node_i, PerNode::MartianDrops, 1.0);
                if self.p.log_martians {
                    let (ok, suppressed) = self.nodes[node_i].klog_limit.allow(now);
                    if suppressed > 0 {
                        self.trace.klog(
                            now,
                            node_i as u16,
                            format!("net_ratelimit: {suppressed} callbacks suppressed"),
                        );
                    }
                    if ok {
                        self.trace.klog(
                            now,
                            node_i as u16,
                            NetNs::martian_log_line(dst, src, "ens6"),
                        );
                    }
                }
                if !self.pods[pod].martian_reported {
                    self.pods[pod].martian_reported = true;
                    let name = self.pods[pod].name();
                    self.trace.note(
                        now,
                        Notable::FirstMartian { pod: pod as u32 },
                        format!("First SYN to {dst} (deleted {name}) dropped on node {node_i}: rp_filter, ens6 has no IPv4 address; no RST, no ICMP"),
                    );
                }
                if sample != u32::MAX {
                    let n = &self.nodes[node_i];
                    let no_addr = n.ns.dev(n.ens6).map(|d| d.no_addr()).unwrap_or(true);
                    ctx!(self, rng_net).fate(
                        sample,
                        if rp_filter {
                            Fate::RpFilter { no_addr }
                        } else {
                            Fate::Martian
                        },
                    );
                }
            }
            InputVerdict::Unroutable { errno } => {
                let fwd = self.nodes[node_i].ns.sysctl.forwarding(
                    self.nodes[node_i]
                        .ns
                        .dev(self.nodes[node_i].ens6)
                        .expect("ens6"),
                );
                let wants_icmp =
                    fwd && matches!(errno, Errno::HostUnreach | Errno::NetUnreach | Errno::Acces);
                let verdict = if wants_icmp {
                    let cx = ctx!(self, rng_net);
                    let n = &mut self.nodes[node_i];
                    n.icmp.ip_error(src, now.millis(), cx.rng)
                } else {
                    IcmpVerdict::PeerLimited
                };
                if verdict == IcmpVerdict::Sent {
                    // The ICMP error is a tracked flow of its own in the VPC.
                    let closed = SimDuration::from_secs(self.p.vpc_closed_timeout_s);
                    let vpc = &mut self.nodes[node_i].vpc;
                    if vpc.admit(now) {
                        vpc.add(now, now + closed, 1);
                        self.totals.icmp_sent += 1;
                        self.totals.syn_icmp += 1;
                        self.metrics.add(Global::IcmpSent, 1.0);
                        ctx!(self, rng_net).fate(sample, Fate::UnreachableIcmpSent);
                        let node_ip = self.nodes[node_i].ip;
                        let cx = &mut ctx!(self, rng_net);
                        return Some(answer(cx, node_ip, sub, gen, sample, ReplyKind::Icmp));
                    } else {
                        self.metrics.add(Global::ConntrackAllowanceExceeded, 1.0);
                        self.metrics
                            .add_node(node_i, PerNode::ConntrackAllowanceExceeded, 1.0);
                        self.totals.syn_icmp_limited += 1;
                        ctx!(self, rng_net).fate(sample, Fate::UnreachableIcmpLimited);
                    }
                } else {
                    self.totals.syn_icmp_limited += 1;
                    self.metrics.add(Global::IcmpRateLimited, 1.0);
                    ctx!(self, rng_net).fate(sample, Fate::UnreachableIcmpLimited);
                }
            }
            InputVerdict::LocalDeliver
            | InputVerdict::Broadcast
            | InputVerdict::MartianDestination => {
                self.totals.syn_other += 1;
                ctx!(self, rng_net).fate(sample, Fate::Martian);
            }
        }
        None
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
        let _ = Trigger::Rpc;
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
