//! The gRPC clients: channels, subchannel state machines, backoff and the
//! DNS resolver: reconnect-on-disconnect (grpc-go ≤1.40), idle-on-disconnect
//! (grpc-go ≥1.41, grpc-java) and deadline-paced (the spec's pacing, C-core's
//! jitter), see [`GrpcSemantics`] (facts.md §2).
//!
//! Each client holds one channel per backend address (the post's clients),
//! i.e. one subchannel per resolved IP. A subchannel's connection attempt is
//! a `connect()` on a fresh socket: one SYN from a new ephemeral port, then
//! the client kernel's retransmissions on the same 5-tuple while the dial
//! deadline allows (facts.md §1.7). The DNS resolver that feeds the channels
//! their addresses is in `resolver.rs`.

use super::backoff::BackoffConfig;
use super::engine::Sim;
use super::event::{Ev, ReplyKind};
use super::metrics::Global;
use super::params::{GrpcSemantics, LbPolicy};
use super::rng::SimRng;
use super::time::{SimDuration, SimTime};
use super::trace::{Fate, PacketKind, PacketRecord, Trigger};
use std::net::Ipv4Addr;

/// Port the service listens on.
pub const SERVICE_PORT: u16 = 8443;

/// Subchannel connectivity state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConnState {
    /// IDLE.
    Idle,
    /// CONNECTING.
    Connecting,
    /// READY.
    Ready,
    /// TRANSIENT_FAILURE.
    TransientFailure,
    /// Removed (address gone from DNS).
    Shutdown,
}

/// One subchannel (with `channel_per_backend`, one channel).
///
/// Exactly one cache line: the storm's events (dial deadlines, backoff
/// timers) each touch one of ~43,000 subchannels at random, and a
/// subchannel that straddled two lines cost two cache misses.
#[derive(Clone, Debug)]
#[repr(align(64))]
pub struct Sub {
    /// Owning client.
    pub client: u32,
    /// Backend pod.
    pub pod: u32,
    /// State.
    pub state: ConnState,
    /// Generation: changes with every connection attempt, shutdown and
    /// reuse of the slot, so an event scheduled for an earlier one is
    /// recognised as stale and ignored.
    pub gen: u32,
    /// grpc-go `backoffIdx`, saturating: past 65,535 failures every
    /// backoff the ranges allow has long reached its maximum.
    pub backoff_idx: u16,
    /// The current attempt's failure was certain and silent, so its failure
    /// and backoff run as one timer (`fold.rs`). The state is then
    /// TRANSIENT_FAILURE from the moment that is known: nothing outside the
    /// subchannel can tell it from CONNECTING before `dial_deadline`.
    pub folded: bool,
    /// Attempts made on this channel (shown as the attempt number).
    pub attempt: u32,
    /// This attempt's backoff, µs: grpc-go sleeps it after a failure; the
    /// spec's next attempt starts at `last_attempt` + this.
    pub backoff_us: u64,
    /// Dial deadline of the current attempt (when `folded`, when it fails).
    pub dial_deadline: SimTime,
    /// Source port of the current attempt (sampled clients; 0 otherwise).
    pub sport: u16,
    /// VPC half-open entry expiry of the current attempt's flow (0 = none).
    pub vpc_expiry: SimTime,
    /// Linux conntrack SYN_SENT expiry (0 = none).
    pub ct_expiry: SimTime,
    /// Why the next attempt happens.
    pub next_trigger: Trigger,
    /// When the previous attempt started.
    pub last_attempt: SimTime,
}

// Adding a field must not push a subchannel over one cache line (see `Sub`).
const _: () = assert!(std::mem::size_of::<Sub>() == 64);

impl Sub {
    /// READY?
    pub fn is_ready(&self) -> bool {
        self.state == ConnState::Ready
    }
}

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

impl Sim {
    pub(crate) fn backoff_config(&self) -> BackoffConfig {
        BackoffConfig {
            base_us: self.p.base_delay_ms * 1_000,
            multiplier_milli: self.p.multiplier_milli,
            jitter_milli: self.p.jitter_milli,
            max_us: self.p.max_delay_ms * 1_000,
            min_connect_us: self.p.min_connect_timeout_ms * 1_000,
        }
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
        let s = Sub {
            client,
            pod,
            state: ConnState::Idle,
            gen: 0,
            backoff_idx: 0,
            folded: false,
            attempt: 0,
            backoff_us: 0,
            dial_deadline: SimTime::ZERO,
            sport: 0,
            vpc_expiry: SimTime::ZERO,
            ct_expiry: SimTime::ZERO,
            next_trigger: Trigger::NewAddress,
            last_attempt: SimTime::ZERO,
        };
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
        let pod = self.subs[sub as usize].pod;
        self.sample_fin(sub);
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
        let s = &self.subs[sub as usize];
        if s.gen != gen || s.state != ConnState::Ready {
            return;
        }
        let client = s.client;
        self.close_connection(sub);
        let s = &mut self.subs[sub as usize];
        s.next_trigger = Trigger::GoAway;
        match self.p.grpc_semantics {
            GrpcSemantics::IdleOnDisconnect => {
                // onClose: resolveNow, then IDLE; round_robin reconnects IDLE subchannels.
                s.state = ConnState::Idle;
                self.resolve_now(client);
                self.idle_action(sub);
            }
            GrpcSemantics::ReconnectOnDisconnect | GrpcSemantics::DeadlinePaced => {
                if self.p.grpc_semantics == GrpcSemantics::DeadlinePaced {
                    self.resolve_now(client);
                }
                self.subs[sub as usize].backoff_idx = 0;
                self.connect(sub);
            }
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
                let client = s.client as usize;
                let channels = self.clients[client].subs.len().max(1) as u64;
                // RPCs spread over the client's channels: mean gap per channel.
                let rate_milli = self.p.client_rpcs_per_s_milli.max(1);
                let mean_us = 1_000_000_000 * channels / rate_milli;
                let gap = self.clients[client].rng.exp_micros(mean_us);
                self.schedule(SimDuration::from_micros(gap), Ev::IdleRpc { sub, gen });
            }
        }
    }

    pub(crate) fn on_idle_rpc(&mut self, sub: u32, gen: u32) {
        let s = &mut self.subs[sub as usize];
        if s.gen != gen || s.state != ConnState::Idle {
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
        let now = at;
        let cfg = self.backoff_config();
        let sem = self.p.grpc_semantics;
        let lat = self.p.network_latency_us;
        let (client, trigger) = {
            let s = &self.subs[sub as usize];
            (s.client as usize, s.next_trigger)
        };
        let (backoff, dial) = match sem {
            GrpcSemantics::ReconnectOnDisconnect | GrpcSemantics::IdleOnDisconnect => {
                let idx = u32::from(self.subs[sub as usize].backoff_idx);
                let b = cfg.go_backoff(idx, &mut self.clients[client].rng);
                (b, cfg.go_dial_timeout(b))
            }
            GrpcSemantics::DeadlinePaced => {
                // C-core: the un-jittered backoff grows, every delay (the
                // first too) is jittered (`BackoffConfig::ccore_backoff`).
                let idx = u32::from(self.subs[sub as usize].backoff_idx);
                let b = cfg.ccore_backoff(idx, &mut self.clients[client].rng);
                (b, b.max(cfg.min_connect_us))
            }
        };
        // grpc-go ≤1.40 asks for re-resolution at the top of every reconnect
        // iteration after the first (clientconn.go L1139–1141). (Reconnects
        // fold only under ≥1.41, so this runs at the clock's time.)
        if sem == GrpcSemantics::ReconnectOnDisconnect && trigger != Trigger::NewAddress {
            self.resolve_now(client as u32);
        }
        // A port is seen only in the sampled trace (nothing in the model is
        // keyed by it: every attempt is a new flow either way), so only
        // sampled clients draw one.
        let c = &mut self.clients[client];
        let sport = if c.sampled {
            ephemeral_port(&mut c.ports)
        } else {
            0
        };
        // Attempt cadence, by what happened to the previous attempt (which
        // this attempt's trigger records): refused by an RST, unanswered
        // after its SYN reached the node, or dropped by the VPC (its flow
        // never got an entry, so `vpc_expiry` is still zero). Classifying
        // by the pod's phase instead mixed attempts to a terminating pod
        // that the full VPC table dropped (deadline + backoff) into the
        // refused ones (backoff alone).
        let prev = self.subs[sub as usize].last_attempt;
        if self.subs[sub as usize].attempt > 0 {
            let gap = now.saturating_since(prev).micros();
            match trigger {
                Trigger::AfterRst => self.totals.gap_refused.add(gap),
                Trigger::AfterTimeout if self.subs[sub as usize].vpc_expiry != SimTime::ZERO => {
                    self.totals.gap_silent.add(gap)
                }
                Trigger::AfterTimeout => self.totals.gap_vpc_dropped.add(gap),
                _ => {}
            }
        }
        let s = &mut self.subs[sub as usize];
        s.last_attempt = now;
        s.state = ConnState::Connecting;
        s.folded = false;
        s.attempt += 1;
        s.gen = s.gen.wrapping_add(1);
        s.backoff_us = backoff;
        s.dial_deadline = now + SimDuration::from_micros(dial);
        s.sport = sport;
        s.vpc_expiry = SimTime::ZERO;
        s.ct_expiry = SimTime::ZERO;
        let gen = s.gen;
        self.totals.attempts += 1;
        let sample = self.send_syn(sub, 0, trigger, now);
        if dial <= lat {
            // The deadline comes before the SYN reaches the node.
            self.queue.push(
                now + SimDuration::from_micros(dial),
                Ev::DialDeadline { sub, gen },
            );
        }
        if self.retransmits_within(dial) {
            self.queue.push(
                now + SimDuration::from_millis(self.syn_retx_ms[0]),
                Ev::SynRetransmit { sub, gen, n: 1 },
            );
        }
        (gen, sample)
    }

    /// Whether the client kernel retransmits the SYN before a dial timeout
    /// of `dial_us` (its first retransmission comes earlier).
    pub(super) fn retransmits_within(&self, dial_us: u64) -> bool {
        self.syn_retx_ms
            .first()
            .is_some_and(|f| f * 1_000 < dial_us)
    }

    /// When the next attempt starts after the current one fails at `failed_at`.
    pub(super) fn backoff_end(&self, sub: u32, failed_at: SimTime) -> SimTime {
        let s = &self.subs[sub as usize];
        let backoff = SimDuration::from_micros(s.backoff_us);
        match self.p.grpc_semantics {
            GrpcSemantics::ReconnectOnDisconnect | GrpcSemantics::IdleOnDisconnect => {
                failed_at + backoff
            }
            GrpcSemantics::DeadlinePaced => (s.last_attempt + backoff).max(failed_at),
        }
    }

    /// Samples the client's FIN when a connection closes (sampled clients,
    /// within the per-second cap).
    fn sample_fin(&mut self, sub: u32) {
        self.sample_client_packet(sub, PacketKind::Fin, 0, Trigger::GracefulClose, self.now);
    }

    /// Counts (and maybe samples) a SYN leaving the client at `at`; returns
    /// the sample id (`u32::MAX` if not sampled).
    #[inline]
    fn send_syn(&mut self, sub: u32, n: u8, trigger: Trigger, at: SimTime) -> u32 {
        self.totals.syn_sent += 1;
        self.metrics.add_at(at, Global::SynSent, 1.0);
        if !self.clients[self.subs[sub as usize].client as usize].sampled {
            return u32::MAX;
        }
        if n == 0 {
            self.sample_client_packet(sub, PacketKind::Syn, 0, trigger, at)
        } else {
            self.sample_client_packet(sub, PacketKind::SynRetransmit, n, Trigger::Retransmit, at)
        }
    }

    /// Records a packet from subchannel `sub`'s client to its pod, on the
    /// current attempt's 5-tuple, if the client is sampled and the
    /// per-second cap allows; returns its id (`u32::MAX` if not sampled).
    fn sample_client_packet(
        &mut self,
        sub: u32,
        kind: PacketKind,
        syn_no: u8,
        trigger: Trigger,
        at: SimTime,
    ) -> u32 {
        let s = &self.subs[sub as usize];
        let c = &self.clients[s.client as usize];
        if !c.sampled || !self.trace.may_sample(at) {
            return u32::MAX;
        }
        let pod = &self.pods[s.pod as usize];
        let rec = PacketRecord {
            id: 0,
            kind,
            sent: at,
            arrives: at + SimDuration::from_micros(self.p.network_latency_us),
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
        self.trace.push_packet(rec)
    }

    pub(crate) fn on_syn_retransmit(&mut self, sub: u32, gen: u32, n: u8) {
        let s = &self.subs[sub as usize];
        if s.gen != gen || s.state != ConnState::Connecting {
            return;
        }
        let deadline = s.dial_deadline;
        let sample = self.send_syn(sub, n, Trigger::Retransmit, self.now);
        let lat = self.p.network_latency_us;
        self.schedule(
            SimDuration::from_micros(lat),
            Ev::SynArrive {
                sub,
                gen,
                n,
                sample,
            },
        );
        let start = SimTime(
            self.now
                .micros()
                .saturating_sub(self.syn_retx_ms[n as usize - 1] * 1_000),
        );
        if let Some(next) = self.syn_retx_ms.get(n as usize) {
            let at = start + SimDuration::from_millis(*next);
            if at < deadline {
                self.schedule_at(at, Ev::SynRetransmit { sub, gen, n: n + 1 });
            }
        }
    }

    pub(crate) fn on_dial_deadline(&mut self, sub: u32, gen: u32) {
        let s = &self.subs[sub as usize];
        if s.gen != gen || s.state != ConnState::Connecting {
            return;
        }
        self.fail_attempt(sub, Trigger::AfterTimeout);
    }

    /// A reply reached the client for the attempt of generation `gen`.
    pub(crate) fn client_reply(&mut self, sub: u32, gen: u32, kind: ReplyKind) -> bool {
        let s = &self.subs[sub as usize];
        if s.gen != gen || s.state != ConnState::Connecting {
            return false;
        }
        match kind {
            ReplyKind::SynAck => {
                let s = &mut self.subs[sub as usize];
                s.state = ConnState::Ready;
                s.backoff_idx = 0;
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
        let now = self.now;
        let client = self.subs[sub as usize].client;
        // ≥1.41 asks for re-resolution when an attempt fails; so does C-core
        // (its LB policies request re-resolution on TRANSIENT_FAILURE).
        if self.p.grpc_semantics != GrpcSemantics::ReconnectOnDisconnect {
            self.resolve_now(client);
        }
        let at = self.backoff_end(sub, now);
        let s = &mut self.subs[sub as usize];
        s.state = ConnState::TransientFailure;
        s.folded = false;
        s.next_trigger = next;
        let gen = s.gen;
        self.schedule_at(at, Ev::BackoffDone { sub, gen });
    }

    pub(crate) fn on_backoff_done(&mut self, sub: u32, gen: u32) {
        let s = &mut self.subs[sub as usize];
        if s.gen != gen || s.state != ConnState::TransientFailure {
            return;
        }
        s.backoff_idx = s.backoff_idx.saturating_add(1);
        match self.p.grpc_semantics {
            GrpcSemantics::IdleOnDisconnect => {
                s.state = ConnState::Idle;
                self.idle_action(sub);
            }
            GrpcSemantics::ReconnectOnDisconnect | GrpcSemantics::DeadlinePaced => {
                self.connect(sub)
            }
        }
    }
}
