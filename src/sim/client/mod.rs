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
//! packets are sampled through the narrow context (`Ctx`) by the functions
//! here. The wiring to the world is on the engine's side
//! (`sim/wiring/clients.rs`): it finds the subchannel, its client and pod,
//! builds the context and does what a transition asks (a re-resolution, a
//! connect, a timer) in the order grpc-go does it.

mod subchannel;

use super::cluster::Pod;
use super::ctx::Ctx;
use super::event::Ev;
use super::metrics::Global;
use super::params::Params;
use super::rng::SimRng;
use super::time::{SimDuration, SimTime};
use super::trace::{Fate, PacketKind, PacketRecord, Trigger};
use std::net::Ipv4Addr;
use subchannel::{attempt_timing, resolves_on_attempt, Gap};
pub(crate) use subchannel::{
    backoff_config, next_retransmit, resolves_on_failure, retransmits_within, Then,
};
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
    pub(in crate::sim) fn next_rpc_gap(&mut self, p: &Params) -> SimDuration {
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
pub(in crate::sim) fn ephemeral_port(ports: &mut SimRng) -> u16 {
    super::ports::LOW + ports.below(u64::from(super::ports::HIGH - super::ports::LOW) + 1) as u16
}

/// Starts a connection attempt of subchannel `s` (number `sub`) of client
/// `c` to `pod` at `at` (now, or for a folded reconnect the moment its
/// backoff ended: `wiring/fold.rs`): the backoff and dial timeout, a new socket
/// and port, the first SYN, and the timers that may fire before the SYN's
/// fate is known (`syn_retx_ms`: the client kernel's retransmissions).
/// Returns the attempt's generation and the SYN's sample id.
#[inline]
#[allow(clippy::too_many_arguments)]
pub(in crate::sim) fn start_attempt(
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
pub(in crate::sim) fn send_syn(
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
pub(in crate::sim) fn sample_client_packet(
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
