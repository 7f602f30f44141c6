//! Event folding: a speed-up that runs several steps of a subchannel as one
//! event where nothing can observe the steps between (not a gRPC state
//! machine; see `client/subchannel.rs` for that). An attempt whose failure is certain
//! and silent becomes one timer for the failure and the backoff
//! (`Sub::folded`), and under grpc-go ≥ 1.41 round_robin that timer
//! runs on to the next attempt's SYN reaching the node, for timed-out and
//! refused attempts alike: one event per attempt instead of two or three for the
//! storm's millions.
//!
//! Switched by [`Sim::set_folding`] (on by default), only where the
//! parameters allow it ([`Sim::params_fold_reconnects`]), and never for
//! sampled clients, whose packets are recorded as they happen. It changes no
//! figure: `tests/engine.rs` runs a scenario with it on and off.
//!
//! Wiring, not a model: a fold needs the world because it reads a
//! subchannel together with its client (sampled or not, its pending
//! re-resolution), the node kernel's retransmission schedule and the run's
//! end, and starts the next attempt through the clients' wiring.

use crate::sim::client::{retransmits_within, ConnState, Then};
use crate::sim::engine::Sim;
use crate::sim::event::Ev;
use crate::sim::params::{GrpcSemantics, LbPolicy};
use crate::sim::time::{SimDuration, SimTime};
use crate::sim::trace::Trigger;

impl Sim {
    /// Whether a timed-out attempt's backoff timer of `sub` runs on to the
    /// next attempt's SYN reaching the node (see [`Sim::on_reconnect`]): when
    /// folding is on ([`Sim::set_folding`]) and the parameters allow it
    /// ([`Sim::params_fold_reconnects`]), for clients outside the sampled
    /// trace (a sampled client's packets are recorded as they happen, so
    /// its steps are never folded away). It depends only on the parameters,
    /// the option and the client, so it gives the same answer whenever asked.
    pub(super) fn reconnect_folds(&self, sub: u32) -> bool {
        self.reconnects_fold && !self.clients[self.subs[sub as usize].client as usize].sampled
    }

    /// Under grpc-go ≥1.41 with round_robin (a backoff's end is IDLE and an
    /// immediate connect), when every dial deadline the backoff allows ends
    /// after the SYN arrives (so no deadline falls inside the fold).
    pub(crate) fn params_fold_reconnects(&self) -> bool {
        if self.p.grpc_semantics != GrpcSemantics::IdleOnDisconnect
            || self.p.lb_policy != LbPolicy::RoundRobin
        {
            return false;
        }
        let cfg = self.backoff_config();
        let shortest_dial = cfg
            .go_min_backoff()
            .map(|b| cfg.go_dial_timeout(b))
            .unwrap_or(0);
        shortest_dial > self.p.network_latency_us
    }

    /// The backoff of a timed-out attempt ended at `at` (in the past or
    /// now): what [`Sim::on_backoff_done`] and [`Sim::connect`] would have
    /// done then, the attempt started as of `at`. Returns the new attempt's
    /// generation. Only for subchannels that [`Sim::reconnect_folds`], where
    /// that is IDLE and an immediate connect.
    fn reconnect_as_of(&mut self, sub: u32, at: SimTime) -> u32 {
        let then = self.subs[sub as usize].backoff_done(self.p.grpc_semantics);
        debug_assert_eq!(then, Then::Idle, "only ≥1.41 round_robin folds");
        self.start_attempt(sub, at).0
    }

    /// True while `sub`'s failure and backoff run as one timer
    /// ([`Sim::fail_certainly`]).
    fn is_folded(&self, sub: u32) -> bool {
        let s = &self.subs[sub as usize];
        s.folded && s.state == ConnState::TransientFailure
    }

    /// A timed-out attempt's backoff ended one network latency ago and the
    /// next attempt's SYN reaches the node now. The backoff's end (IDLE, then
    /// round_robin's connect) is done as of that instant, then the SYN's
    /// arrival: one event per unanswered attempt instead of two, for the
    /// storm's ~4 million. Nothing else reads the subchannel's state in
    /// between, except a re-resolution that shuts it down, which first
    /// makes the attempt happen ([`Sim::materialize_reconnect`]). The SYN
    /// counts in the second it was sent.
    pub(crate) fn on_reconnect(&mut self, sub: u32, gen: u32) {
        if self.subs[sub as usize].gen != gen || !self.is_folded(sub) {
            return;
        }
        let at = self.backoff_end(sub, self.subs[sub as usize].dial_deadline);
        let gen = self.reconnect_as_of(sub, at);
        self.on_syn_arrive(sub, gen, 0, u32::MAX);
    }

    /// Before a subchannel is shut down: if its backoff timer runs on to the
    /// SYN's arrival and the backoff has already ended, the attempt has
    /// started (its SYN is on the way), so it is made to have happened.
    pub(super) fn materialize_reconnect(&mut self, sub: u32) {
        if !self.is_folded(sub) || !self.reconnect_folds(sub) {
            return;
        }
        let at = self.backoff_end(sub, self.subs[sub as usize].dial_deadline);
        let arrive = at + SimDuration::from_micros(self.p.network_latency_us);
        if at > self.now || arrive > self.end() {
            return;
        }
        let gen = self.reconnect_as_of(sub, at);
        self.schedule_at(
            arrive,
            Ev::SynArrive {
                sub,
                gen,
                n: 0,
                sample: u32::MAX,
            },
        );
    }

    /// Arms the dial deadline's timer once the attempt's first SYN has met
    /// its fate at the node, unless an answer (`answer_at`) will end the
    /// attempt first. The deadline is the same instant either way; not
    /// scheduling timers that could only fire stale spares the event loop a
    /// million stale events (and cache misses) in the incident.
    ///
    /// When nothing can answer and the deadline's only effect beyond this
    /// subchannel (asking the resolver to re-resolve) is sure to be a no-op,
    /// the backoff timer is set at once instead: the attempt fails at the
    /// deadline and the next one starts when the backoff ends, exactly as if
    /// the deadline had fired, with one event fewer per unanswered attempt.
    pub(crate) fn arm_dial_deadline(
        &mut self,
        sub: u32,
        gen: u32,
        n: u8,
        answer_at: Option<SimTime>,
    ) {
        let s = &self.subs[sub as usize];
        if n != 0 || s.gen != gen || s.state != ConnState::Connecting {
            return;
        }
        let deadline = s.dial_deadline;
        if deadline <= self.now || answer_at.is_some_and(|t| t < deadline) {
            // Already armed by `connect`, or the answer comes first.
            return;
        }
        if answer_at.is_none() && self.timeout_is_certain_and_silent(sub, deadline) {
            self.fail_certainly(sub, deadline, Trigger::AfterTimeout);
            return;
        }
        self.schedule_at(deadline, Ev::DialDeadline { sub, gen });
    }

    /// The current attempt will fail at `fails_at` with nothing seen outside
    /// the subchannel: one timer for the failure and the backoff after it
    /// (`Sub::folded`), running on to the next SYN's arrival where the
    /// reconnect folds.
    #[inline]
    fn fail_certainly(&mut self, sub: u32, fails_at: SimTime, next: Trigger) {
        let at = self.backoff_end(sub, fails_at);
        let gen = self.subs[sub as usize].fail_folded(fails_at, next);
        let arrive = at + SimDuration::from_micros(self.p.network_latency_us);
        // An attempt whose SYN would still be in flight at the end runs
        // unfolded, so that it is counted like every other.
        if self.reconnect_folds(sub) && arrive <= self.end() {
            self.schedule_at(arrive, Ev::Reconnect { sub, gen });
        } else {
            self.schedule_at(at, Ev::BackoffDone { sub, gen });
        }
    }

    /// The node refused the current attempt's SYN (`n`): an RST reaches
    /// the client at `rst_at`. When that reply can only do what
    /// [`Sim::client_reply`] does on its own subchannel (nothing else can
    /// touch the attempt before it: no dial deadline, retransmission or
    /// re-resolution falls in between, and the failure's re-resolution
    /// request would find one already pending), the failure is settled now
    /// and the attempt fails at `rst_at` through one timer that runs on to
    /// the next SYN's arrival: one event per refused attempt instead of
    /// three (the RST, the backoff's end, the SYN's arrival) for the million
    /// refused attempts of a rollout. Returns false, changing nothing, when
    /// the reply must run as its own event; only for subchannels whose
    /// reconnects fold ([`Sim::reconnect_folds`]).
    pub(crate) fn fold_refusal(&mut self, sub: u32, gen: u32, n: u8, rst_at: SimTime) -> bool {
        if n != 0 || !self.reconnect_folds(sub) {
            return false;
        }
        let s = &self.subs[sub as usize];
        if s.gen != gen || s.state != ConnState::Connecting || s.dial_deadline <= rst_at {
            return false;
        }
        let retransmits_first = self
            .syn_retx_ms
            .first()
            .is_some_and(|f| s.last_attempt + SimDuration::from_millis(*f) <= rst_at);
        let c = &self.clients[s.client as usize];
        let resolve_unmoved = c.resolve_pending && c.resolve_at > rst_at;
        let arrive =
            self.backoff_end(sub, rst_at) + SimDuration::from_micros(self.p.network_latency_us);
        if retransmits_first || !resolve_unmoved || arrive > self.end() {
            return false;
        }
        let s = &mut self.subs[sub as usize];
        s.vpc_expiry = SimTime::ZERO;
        s.ct_expiry = SimTime::ZERO;
        self.fail_certainly(sub, rst_at, Trigger::AfterRst);
        true
    }

    /// True if the current attempt, whose first SYN got no answer, can only
    /// time out at `deadline` (no retransmission goes out before it) and
    /// timing out then changes nothing outside the subchannel: the failure's
    /// `ResolveNow` (≥1.41 and the spec) would find a resolution already
    /// scheduled after the deadline.
    fn timeout_is_certain_and_silent(&self, sub: u32, deadline: SimTime) -> bool {
        let s = &self.subs[sub as usize];
        let dial = deadline.saturating_since(s.last_attempt).micros();
        if retransmits_within(&self.syn_retx_ms, dial) {
            return false;
        }
        if self.p.grpc_semantics == GrpcSemantics::ReconnectOnDisconnect {
            return true;
        }
        let c = &self.clients[s.client as usize];
        c.resolve_pending && c.resolve_at > deadline
    }
}
