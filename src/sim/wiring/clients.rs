//! Wiring of the gRPC clients to the world: finding a subchannel, its
//! client and its pod, building the narrow context and doing what a
//! transition of the subchannel's state machine (`client/subchannel.rs`)
//! asks (a re-resolution, a connect, a timer) in the order grpc-go does it.
//!
//! It needs the world because a subchannel's attempt reads its client and
//! its pod at once, and a connection's opening and closing change the
//! node's conntrack tables, the pod's count of READY subchannels and the
//! run's totals.

use crate::sim::backoff::BackoffConfig;
use crate::sim::client::{
    backoff_config, ephemeral_port, next_retransmit, resolves_on_failure, sample_client_packet,
    send_syn, start_attempt, CachedAnswer, Client, ConnState, Sub, Then,
};
use crate::sim::ctx::ctx;
use crate::sim::engine::Sim;
use crate::sim::event::{Ev, ReplyKind};
use crate::sim::metrics::Global;
use crate::sim::params::LbPolicy;
use crate::sim::rng::SimRng;
use crate::sim::time::{SimDuration, SimTime};
use crate::sim::trace::{PacketKind, Trigger};
use std::net::Ipv4Addr;

impl Sim {
    pub(crate) fn backoff_config(&self) -> BackoffConfig {
        backoff_config(&self.p)
    }

    pub(crate) fn init_clients(&mut self) {
        let per_pod = self.p.clients_per_pod.max(1);
        let nodes = self.p.client_nodes.max(1);
        self.client_dns = vec![CachedAnswer::default(); nodes as usize];
        let every = self.p.trace_every_nth_client.max(1);
        let mut initial: Vec<u32> = self.route53.versions[0].pods.clone();
        if self.p.one_pick_first_channel() {
            // One pick_first channel: connected to the answer's first
            // address only, as a later resolution wires it
            // (`Sim::update_channels`).
            initial.truncate(1);
        }
        // Every client opens one subchannel per pod at once, and during the
        // rollout one per surge pod too: room for all of them in one
        // allocation (the run's largest: 32 MB at the ranges' extremes),
        // where doubling into it would hold old and new buffers side by
        // side and leave up to half unused.
        let surge = (initial.len() * self.p.max_surge_pct as usize).div_ceil(100);
        let per_client = initial.len() + surge;
        self.subs
            .reserve_exact((self.p.clients as usize).saturating_mul(per_client));
        for c in 0..self.p.clients {
            let cp = c / per_pod;
            let ip = Ipv4Addr::new(10, 0, (128 + cp / 250) as u8, (2 + cp % 250) as u8);
            let mut client = Client {
                ip,
                host: cp,
                dns_node: (cp % nodes) as u16,
                subs: Vec::with_capacity(initial.len()),
                last_resolution: None,
                resolve_pending: false,
                resolve_at: SimTime::ZERO,
                sampled: c % every == 0,
                rng: SimRng::stream(self.seed, "client", u64::from(c)),
                ports: SimRng::stream(self.seed, "client-ports", u64::from(c)),
            };
            for &pod in &initial {
                let sub = self.alloc_sub(c, pod);
                // Connected before the run starts: it still has a port (its
                // FIN, when it closes, carries it).
                if client.sampled {
                    self.subs[sub as usize].sport = ephemeral_port(&mut client.ports);
                }
                self.subs[sub as usize].state = ConnState::Ready;
                self.ready_subs += 1;
                self.pods[pod as usize].ready_subs += 1;
                let node = self.pods[pod as usize].node as usize;
                self.nodes[node].vpc.established += 1;
                self.nodes[node].linux_ct.established += 1;
                client.subs.push((pod, sub));
            }
            self.clients.push(client);
        }
    }

    pub(super) fn alloc_sub(&mut self, client: u32, pod: u32) -> u32 {
        let s = Sub::new(client, pod);
        match self.free_subs.pop() {
            Some(i) => {
                let gen = self.subs[i as usize].gen.wrapping_add(1);
                self.subs[i as usize] = Sub { gen, ..s };
                i
            }
            None => {
                crate::sim::growth::push(&mut self.subs, s);
                (self.subs.len() - 1) as u32
            }
        }
    }

    /// A pod's GracefulStop: every client READY to it gets GOAWAY shortly after.
    pub(crate) fn broadcast_goaway(&mut self, pod: u32) {
        let lat = self.p.network_latency_us;
        for c in 0..self.clients.len() {
            if let Some(sub) = self.clients[c].sub_for(pod) {
                let s = &self.subs[sub as usize];
                if s.is_ready() {
                    let gen = s.gen;
                    let jitter = self.clients[c].rng.below(20_000);
                    self.schedule(
                        SimDuration::from_micros(lat + jitter),
                        Ev::GoAway { sub, gen },
                    );
                }
            }
        }
    }

    /// Closes an established connection (FIN both ways): the flow's entries
    /// linger in both conntrack tables for their close timeouts (the VPC's
    /// `vpc_closed_timeout_s`, an assumption; netfilter's TIME_WAIT, 120 s).
    pub(super) fn close_connection(&mut self, sub: u32) {
        let now = self.now;
        let s = &self.subs[sub as usize];
        let pod = s.pod;
        {
            // The client's FIN (sampled clients, within the per-second cap).
            let c = &self.clients[s.client as usize];
            let p = &self.pods[pod as usize];
            let cx = &mut ctx!(self, rng_net);
            sample_client_packet(cx, s, c, p, PacketKind::Fin, 0, Trigger::GracefulClose, now);
        }
        let node = self.pods[pod as usize].node as usize;
        let vpc_close = SimDuration::from_secs(self.p.vpc_closed_timeout_s);
        let n = &mut self.nodes[node];
        n.vpc.established = n.vpc.established.saturating_sub(1);
        n.vpc.add(now, now + vpc_close, 1);
        n.linux_ct.established = n.linux_ct.established.saturating_sub(1);
        n.linux_ct
            .timed
            .add(now, now + crate::sim::node::LinuxConntrack::TIME_WAIT, 1);
        self.ready_subs = self.ready_subs.saturating_sub(1);
        let p = &mut self.pods[pod as usize];
        p.ready_subs = p.ready_subs.saturating_sub(1);
        if self.tracked_pod == Some(pod) {
            self.metrics.add(Global::FlowLogFin, 1.0);
        }
    }

    pub(crate) fn on_goaway(&mut self, sub: u32, gen: u32) {
        if !self.subs[sub as usize].is(gen, ConnState::Ready) {
            return;
        }
        self.close_connection(sub);
        let s = &mut self.subs[sub as usize];
        let client = s.client;
        let (resolve, then) = s.go_away(self.p.grpc_semantics);
        if resolve {
            self.resolve_now(client);
        }
        self.then(sub, then);
    }

    /// What follows a GOAWAY or a backoff's end ([`Then`]).
    #[inline]
    fn then(&mut self, sub: u32, then: Then) {
        match then {
            Then::Idle => self.idle_action(sub),
            Then::Connect => self.connect(sub),
        }
    }

    /// What an IDLE subchannel does under ≥1.41: round_robin connects;
    /// pick_first waits for the application's next RPC on the channel.
    fn idle_action(&mut self, sub: u32) {
        match self.p.lb_policy {
            LbPolicy::RoundRobin => self.connect(sub),
            LbPolicy::PickFirst => {
                let s = &self.subs[sub as usize];
                let gen = s.gen;
                let gap = self.clients[s.client as usize].next_rpc_gap(&self.p);
                self.schedule(gap, Ev::IdleRpc { sub, gen });
            }
        }
    }

    pub(crate) fn on_idle_rpc(&mut self, sub: u32, gen: u32) {
        let s = &mut self.subs[sub as usize];
        if !s.is(gen, ConnState::Idle) {
            return;
        }
        s.next_trigger = Trigger::Rpc;
        self.connect(sub);
    }

    /// Starts a connection attempt: new socket, first SYN, dial deadline.
    pub(crate) fn connect(&mut self, sub: u32) {
        let (gen, sample) = self.start_attempt(sub, self.now);
        self.schedule(
            SimDuration::from_micros(self.p.network_latency_us),
            Ev::SynArrive {
                sub,
                gen,
                n: 0,
                sample,
            },
        );
    }

    /// Everything of [`Sim::connect`] but the first SYN's arrival, for an
    /// attempt started at `at` (now, or for a folded reconnect the moment
    /// its backoff ended: `wiring/fold.rs`): returns the attempt's generation and
    /// the SYN's sample id.
    #[inline]
    pub(super) fn start_attempt(&mut self, sub: u32, at: SimTime) -> (u32, u32) {
        let s = &mut self.subs[sub as usize];
        let c = &mut self.clients[s.client as usize];
        let pod = &self.pods[s.pod as usize];
        let cx = &mut ctx!(self, rng_net);
        start_attempt(cx, sub, s, c, pod, &self.syn_retx_ms, at)
    }

    /// When the next attempt of `sub` starts after the current one fails
    /// at `failed_at` ([`Sub::backoff_end`]).
    #[inline]
    pub(super) fn backoff_end(&self, sub: u32, failed_at: SimTime) -> SimTime {
        self.subs[sub as usize].backoff_end(self.p.grpc_semantics, failed_at)
    }

    pub(crate) fn on_syn_retransmit(&mut self, sub: u32, gen: u32, n: u8) {
        let s = &self.subs[sub as usize];
        if !s.is(gen, ConnState::Connecting) {
            return;
        }
        let c = &self.clients[s.client as usize];
        let pod = &self.pods[s.pod as usize];
        let cx = &mut ctx!(self, rng_net);
        let sample = send_syn(cx, s, c, pod, n, Trigger::Retransmit, cx.now);
        let lat = cx.p.network_latency_us;
        cx.schedule(
            SimDuration::from_micros(lat),
            Ev::SynArrive {
                sub,
                gen,
                n,
                sample,
            },
        );
        if let Some(at) = next_retransmit(&self.syn_retx_ms, cx.now, n, s.dial_deadline) {
            cx.schedule_at(at, Ev::SynRetransmit { sub, gen, n: n + 1 });
        }
    }

    pub(crate) fn on_dial_deadline(&mut self, sub: u32, gen: u32) {
        if !self.subs[sub as usize].is(gen, ConnState::Connecting) {
            return;
        }
        self.fail_attempt(sub, Trigger::AfterTimeout);
    }

    /// A reply reached the client for the attempt of generation `gen`.
    pub(crate) fn client_reply(&mut self, sub: u32, gen: u32, kind: ReplyKind) -> bool {
        let s = &mut self.subs[sub as usize];
        if !s.is(gen, ConnState::Connecting) {
            return false;
        }
        match kind {
            ReplyKind::SynAck => {
                s.connected();
                let pod = s.pod as usize;
                self.ready_subs += 1;
                self.pods[pod].ready_subs += 1;
            }
            ReplyKind::Rst => self.fail_attempt(sub, Trigger::AfterRst),
            ReplyKind::Icmp => self.fail_attempt(sub, Trigger::AfterIcmp),
        }
        true
    }

    /// The attempt failed: TRANSIENT_FAILURE, sleep the backoff.
    fn fail_attempt(&mut self, sub: u32, next: Trigger) {
        let sem = self.p.grpc_semantics;
        if resolves_on_failure(sem) {
            self.resolve_now(self.subs[sub as usize].client);
        }
        let s = &mut self.subs[sub as usize];
        let at = s.backoff_end(sem, self.now);
        let gen = s.fail(next);
        self.schedule_at(at, Ev::BackoffDone { sub, gen });
    }

    pub(crate) fn on_backoff_done(&mut self, sub: u32, gen: u32) {
        let s = &mut self.subs[sub as usize];
        if !s.is(gen, ConnState::TransientFailure) {
            return;
        }
        let then = s.backoff_done(self.p.grpc_semantics);
        self.then(sub, then);
    }
}
