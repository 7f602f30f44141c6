//! The gRPC clients: channels, subchannel state machines, backoff and the
//! DNS resolver: reconnect-on-disconnect (grpc-go ≤1.40), idle-on-disconnect
//! (grpc-go ≥1.41, grpc-java) and deadline-paced (the spec's pacing, C-core's
//! jitter), see [`GrpcSemantics`](super::params::GrpcSemantics) (facts.md §2).
//!
//! Each client holds one channel per backend address (the post's clients),
//! i.e. one subchannel per resolved IP. A subchannel's connection attempt is
//! a `connect()` on a fresh socket: one SYN from a new ephemeral port, then
//! the client kernel's retransmissions on the same 5-tuple while the dial
//! deadline allows (facts.md §1.7). The DNS resolver that feeds the channels
//! their addresses is in `resolver.rs`.
//!
//! The subchannel's state machine and its backoff are in `subchannel.rs`,
//! pure functions of the subchannel and explicit times; the attempt's
//! packets are sampled through the narrow context (`Ctx`). The `impl Sim`
//! here only wires them to the world: it finds the subchannel, its client
//! and pod, builds the context and does what a transition asks (a
//! re-resolution, a connect, a timer) in the order grpc-go does it.

mod subchannel;

use super::backoff::BackoffConfig;
use super::cluster::Pod;
use super::ctx::{ctx, Ctx};
use super::engine::Sim;
use super::event::{Ev, ReplyKind};
use super::metrics::Global;
use super::params::{LbPolicy, Params};
use super::rng::SimRng;
use super::time::{SimDuration, SimTime};
use super::trace::{Fate, PacketKind, PacketRecord, Trigger};
use std::net::Ipv4Addr;
use subchannel::{attempt_timing, next_retransmit, resolves_on_attempt, resolves_on_failure, Gap};
pub(crate) use subchannel::{backoff_config, retransmits_within, Then};
pub use subchannel::{ConnState, Sub};

/// Port the service listens on.
pub const SERVICE_PORT: u16 = 8443;

/// One gRPC client process.
#[derive(Clone, Debug)]
pub struct Client {
    /// Its pod's IP (shared by the containers of that pod).
    pub ip: Ipv4Addr,
    /// Its pod's index among the client pods (one per `ip`).
    pub host: u32,
    /// Which client node's DNS cache it reads through.
    pub dns_node: u16,
    /// Subchannels by backend pod.
    pub subs: Vec<(u32, u32)>,
    /// Last resolution.
    pub last_resolution: Option<SimTime>,
    /// A resolution is scheduled.
    pub resolve_pending: bool,
    /// When the scheduled resolution runs (meaningful while pending).
    pub resolve_at: SimTime,
    /// Its packets go into the sampled trace.
    pub sampled: bool,
    /// Randomness (backoff and GOAWAY jitter, pick_first's RPC gaps).
    pub rng: SimRng,
    /// Source ports: a stream of their own because they never change what
    /// happens to a packet, so the order in which attempts draw them must
    /// not shift the draws that do (drawn for sampled clients only, whose
    /// packets are recorded).
    pub ports: SimRng,
}

impl Client {
    /// The subchannel to `pod`, if any.
    pub fn sub_for(&self, pod: u32) -> Option<u32> {
        self.subs.iter().find(|(p, _)| *p == pod).map(|(_, s)| *s)
    }

    /// The time to the application's next RPC on one of this client's
    /// channels (Poisson: its RPCs spread over its channels, so the mean
    /// gap per channel grows with their number).
    fn next_rpc_gap(&mut self, p: &Params) -> SimDuration {
        let channels = self.subs.len().max(1) as u64;
        let rate_milli = p.client_rpcs_per_s_milli.max(1);
        let mean_us = 1_000_000_000 * channels / rate_milli;
        SimDuration::from_micros(self.rng.exp_micros(mean_us))
    }
}

/// A client node's DNS cache entry for the service name.
#[derive(Clone, Copy, Debug, Default)]
pub struct CachedAnswer {
    /// When it was fetched.
    pub fetched: Option<SimTime>,
    /// Route 53 version it holds.
    pub version: usize,
}

/// A client socket's source port, drawn from `ip_local_port_range`
/// (32768–60999, [`super::ports`]). A client's attempts are spread over
/// many destinations and over the 15 containers of its pod, so the
/// kernel's per-destination walk is not followed here: a uniform draw,
/// which only sampled clients make (nothing but the trace sees a port).
fn ephemeral_port(ports: &mut SimRng) -> u16 {
    super::ports::LOW + ports.below(u64::from(super::ports::HIGH - super::ports::LOW) + 1) as u16
}

/// Starts a connection attempt of subchannel `s` (number `sub`) of client
/// `c` to `pod` at `at` (now, or for a folded reconnect the moment its
/// backoff ended: `fold.rs`): the backoff and dial timeout, a new socket
/// and port, the first SYN, and the timers that may fire before the SYN's
/// fate is known (`syn_retx_ms`: the client kernel's retransmissions).
/// Returns the attempt's generation and the SYN's sample id.
#[inline]
#[allow(clippy::too_many_arguments)]
fn start_attempt(
    cx: &mut Ctx,
    sub: u32,
    s: &mut Sub,
    c: &mut Client,
    pod: &Pod,
    syn_retx_ms: &[u64],
    at: SimTime,
) -> (u32, u32) {
    let cfg = backoff_config(cx.p);
    let sem = cx.p.grpc_semantics;
    let lat = cx.p.network_latency_us;
    let trigger = s.next_trigger;
    let timing = attempt_timing(sem, &cfg, s.backoff_idx, &mut c.rng);
    // (Reconnects fold only under ≥1.41, so this runs at the clock's time.)
    if resolves_on_attempt(sem, trigger) {
        c.resolve_now(s.client, cx);
    }
    // A port is seen only in the sampled trace (nothing in the model is
    // keyed by it: every attempt is a new flow either way), so only
    // sampled clients draw one.
    let sport = if c.sampled {
        ephemeral_port(&mut c.ports)
    } else {
        0
    };
    match s.gap(at) {
        Some((Gap::Refused, gap)) => cx.totals.gap_refused.add(gap),
        Some((Gap::Silent, gap)) => cx.totals.gap_silent.add(gap),
        Some((Gap::VpcDropped, gap)) => cx.totals.gap_vpc_dropped.add(gap),
        None => {}
    }
    let gen = s.begin_attempt(at, timing, sport);
    cx.totals.attempts += 1;
    let sample = send_syn(cx, s, c, pod, 0, trigger, at);
    let dial = timing.dial_us;
    if dial <= lat {
        // The deadline comes before the SYN reaches the node.
        cx.queue.push(
            at + SimDuration::from_micros(dial),
            Ev::DialDeadline { sub, gen },
        );
    }
    if retransmits_within(syn_retx_ms, dial) {
        cx.queue.push(
            at + SimDuration::from_millis(syn_retx_ms[0]),
            Ev::SynRetransmit { sub, gen, n: 1 },
        );
    }
    (gen, sample)
}

/// Counts (and maybe samples) SYN `n` (0: the first) of `s`'s attempt
/// leaving client `c` for `pod` at `at`; returns the sample id
/// (`u32::MAX` if not sampled).
#[inline]
fn send_syn(
    cx: &mut Ctx,
    s: &Sub,
    c: &Client,
    pod: &Pod,
    n: u8,
    trigger: Trigger,
    at: SimTime,
) -> u32 {
    cx.totals.syn_sent += 1;
    cx.metrics.add_at(at, Global::SynSent, 1.0);
    if !c.sampled {
        return u32::MAX;
    }
    if n == 0 {
        sample_client_packet(cx, s, c, pod, PacketKind::Syn, 0, trigger, at)
    } else {
        sample_client_packet(
            cx,
            s,
            c,
            pod,
            PacketKind::SynRetransmit,
            n,
            Trigger::Retransmit,
            at,
        )
    }
}

/// Records a packet from subchannel `s`'s client `c` to its `pod`, on the
/// current attempt's 5-tuple, if the client is sampled and the per-second
/// cap allows; returns its id (`u32::MAX` if not sampled).
#[allow(clippy::too_many_arguments)]
fn sample_client_packet(
    cx: &mut Ctx,
    s: &Sub,
    c: &Client,
    pod: &Pod,
    kind: PacketKind,
    syn_no: u8,
    trigger: Trigger,
    at: SimTime,
) -> u32 {
    if !c.sampled || !cx.trace.may_sample(at) {
        return u32::MAX;
    }
    let rec = PacketRecord {
        id: 0,
        kind,
        sent: at,
        arrives: at + SimDuration::from_micros(cx.p.network_latency_us),
        src: c.ip,
        sport: s.sport,
        dst: pod.ip,
        dport: SERVICE_PORT,
        node: pod.node,
        fate: Fate::Delivered,
        client: s.client,
        pod: s.pod,
        attempt: s.attempt,
        syn_no,
        trigger,
        resolved_at: c.last_resolution.unwrap_or(SimTime::ZERO),
        ingress_ens6: true,
        answers: u32::MAX,
    };
    cx.trace.push_packet(rec)
}

impl Sim {
    pub(crate) fn backoff_config(&self) -> BackoffConfig {
        backoff_config(&self.p)
    }

    pub(crate) fn init_clients(&mut self) {
        let per_pod = self.p.clients_per_pod.max(1);
        let nodes = self.p.client_nodes.max(1);
        self.client_dns = vec![CachedAnswer::default(); nodes as usize];
        let every = self.p.trace_every_nth_client.max(1);
        let initial: Vec<u32> = self.route53.versions[0].pods.clone();
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
                self.subs.push(s);
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
            .add(now, now + super::node::LinuxConntrack::TIME_WAIT, 1);
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
    /// its backoff ended: `fold.rs`): returns the attempt's generation and
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
