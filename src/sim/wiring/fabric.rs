//! Wiring of a SYN's path to the world: reading the SYN's subchannel,
//! client and pod, walking the stages (`fabric/stages.rs`) over the node,
//! recording where it ended (`fabric/fate.rs`), the answer back to the
//! client, and the reply's arrival there.
//!
//! It needs the world because a SYN joins four models: the subchannel that
//! sent it (and the conntrack entries its attempt holds), the client's
//! address, the pod it is for and the node that receives it; and a reply
//! hands the subchannel's transition to the clients' wiring.

use crate::sim::cluster::Phase;
use crate::sim::ctx::ctx;
use crate::sim::engine::Sim;
use crate::sim::event::ReplyKind;
use crate::sim::fabric::fate::{self, End};
use crate::sim::fabric::stages::{self, Held, Syn};
use crate::sim::fabric::{answer, close_refused_flow, reply_delay};
use crate::sim::metrics::{Global, PerNode};
use crate::sim::time::SimTime;

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
            let current = s.gen == gen && s.state != crate::sim::client::ConnState::Shutdown;
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
            (ReplyKind::Rst, _) | (ReplyKind::SynAck, false) => close_refused_flow(
                &mut ctx!(self, rng_net),
                &mut self.nodes[node],
                vpc_exp,
                ct_exp,
                now,
                kind == ReplyKind::Rst,
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
