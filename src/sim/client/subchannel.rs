//! A gRPC subchannel's state machine, apart from the world: its five
//! states, the backoff between its connection attempts, and what each
//! transition asks of the outside (a re-resolution, a connect, a timer).
//! Nothing here reads a clock or touches the queue: every function takes
//! the time it acts at and returns what is to be scheduled, and the wiring
//! to the queue, the resolver and the trace is in `client/mod.rs`.
//!
//! It reads against grpc-go's `addrConn` (`clientconn.go`, v1.40.0
//! `resetTransport` L1139–1192: a reconnect loop that sleeps the full
//! backoff after each failure; ≥1.41 `onClose`: IDLE, and `ResolveNow`) and
//! the connection-backoff spec (grpc/grpc `doc/connection-backoff.md`: the
//! next attempt starts one backoff after the previous one started, never
//! before the failure), with the arithmetic in [`super::super::backoff`]
//! (facts.md §2).

use crate::sim::backoff::BackoffConfig;
use crate::sim::params::{GrpcSemantics, Params};
use crate::sim::rng::SimRng;
use crate::sim::time::{SimDuration, SimTime};
use crate::sim::trace::Trigger;

/// Subchannel connectivity state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
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
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
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
    /// and backoff run as one timer (`wiring/fold.rs`). The state is then
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

/// What a subchannel does next, once a GOAWAY or a backoff has ended its
/// previous state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Then {
    /// It is IDLE: round_robin connects at once, pick_first waits for the
    /// next RPC (`Sim::idle_action`, `sim/wiring/clients.rs`).
    Idle,
    /// It connects at once (grpc-go ≤1.40's reconnect loop, the spec).
    Connect,
}

/// A new attempt's backoff and dial timeout, µs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Timing {
    /// The backoff the attempt's failure would be followed by.
    pub backoff_us: u64,
    /// How long the attempt may take before it fails.
    pub dial_us: u64,
}

/// How long the gap from the previous attempt was, classified by what
/// ended that attempt (the trigger the next one records): refused by an RST,
/// unanswered after its SYN reached the node, or dropped by the VPC (its
/// flow never got an entry, so `vpc_expiry` is still zero). Classifying by
/// the pod's phase instead mixed attempts to a terminating pod that the
/// full VPC table dropped (deadline + backoff) into the refused ones
/// (backoff alone).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Gap {
    /// After an RST.
    Refused,
    /// After a timeout of a SYN that reached the node.
    Silent,
    /// After a timeout of a SYN the VPC dropped.
    VpcDropped,
}

/// The backoff configuration the parameters give (grpc-go's `backoff.Config`
/// with `MinConnectTimeout`, or the spec's constants).
pub(crate) fn backoff_config(p: &Params) -> BackoffConfig {
    BackoffConfig {
        base_us: p.base_delay_ms * 1_000,
        multiplier_milli: p.multiplier_milli,
        jitter_milli: p.jitter_milli,
        max_us: p.max_delay_ms * 1_000,
        min_connect_us: p.min_connect_timeout_ms * 1_000,
    }
}

/// The backoff and dial timeout of an attempt after `backoff_idx` failures,
/// drawing the jitter from `rng`. grpc-go: `Backoff(backoffIdx)` (retry 0
/// un-jittered) and a deadline of `max(MinConnectTimeout, backoff)`
/// (clientconn.go L1150–1160). C-core: the un-jittered backoff grows, every
/// delay (the first too) is jittered ([`BackoffConfig::ccore_backoff`]),
/// and the deadline is `max(backoff, MIN_CONNECT_TIMEOUT)`.
#[inline]
pub(crate) fn attempt_timing(
    sem: GrpcSemantics,
    cfg: &BackoffConfig,
    backoff_idx: u16,
    rng: &mut SimRng,
) -> Timing {
    let idx = u32::from(backoff_idx);
    match sem {
        GrpcSemantics::ReconnectOnDisconnect | GrpcSemantics::IdleOnDisconnect => {
            let b = cfg.go_backoff(idx, rng);
            Timing {
                backoff_us: b,
                dial_us: cfg.go_dial_timeout(b),
            }
        }
        GrpcSemantics::DeadlinePaced => {
            let b = cfg.ccore_backoff(idx, rng);
            Timing {
                backoff_us: b,
                dial_us: b.max(cfg.min_connect_us),
            }
        }
    }
}

/// Whether an attempt with this trigger asks for re-resolution as it
/// starts: grpc-go ≤1.40 does at the top of every reconnect iteration
/// after the first (clientconn.go L1139–1141).
#[inline]
pub(crate) fn resolves_on_attempt(sem: GrpcSemantics, trigger: Trigger) -> bool {
    sem == GrpcSemantics::ReconnectOnDisconnect && trigger != Trigger::NewAddress
}

/// Whether a failed attempt asks for re-resolution: ≥1.41 does; so does
/// C-core (its LB policies request re-resolution on TRANSIENT_FAILURE).
#[inline]
pub(crate) fn resolves_on_failure(sem: GrpcSemantics) -> bool {
    sem != GrpcSemantics::ReconnectOnDisconnect
}

/// Whether the client kernel retransmits the SYN before a dial timeout of
/// `dial_us` (`syn_retx_ms`: its retransmissions, ms after the first SYN).
#[inline]
pub(crate) fn retransmits_within(syn_retx_ms: &[u64], dial_us: u64) -> bool {
    syn_retx_ms.first().is_some_and(|f| f * 1_000 < dial_us)
}

/// When SYN retransmission `n + 1` goes out, retransmission `n` going out
/// at `now`, if before the attempt's `deadline`: the kernel's schedule
/// counts from the first SYN.
#[inline]
pub(crate) fn next_retransmit(
    syn_retx_ms: &[u64],
    now: SimTime,
    n: u8,
    deadline: SimTime,
) -> Option<SimTime> {
    let start = SimTime(
        now.micros()
            .saturating_sub(syn_retx_ms[n as usize - 1] * 1_000),
    );
    let next = syn_retx_ms.get(n as usize)?;
    let at = start + SimDuration::from_millis(*next);
    (at < deadline).then_some(at)
}

impl Sub {
    /// A new IDLE subchannel of `client` to `pod`.
    pub(crate) fn new(client: u32, pod: u32) -> Sub {
        Sub {
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
        }
    }

    /// READY?
    pub fn is_ready(&self) -> bool {
        self.state == ConnState::Ready
    }

    /// Whether an event for generation `gen` that expects `state` still
    /// applies (else it is stale and ignored).
    #[inline]
    pub(crate) fn is(&self, gen: u32, state: ConnState) -> bool {
        self.gen == gen && self.state == state
    }

    /// The gap from the previous attempt's start to an attempt starting at
    /// `at`, µs, and its kind (see [`Gap`]); none for the first attempt or
    /// for an attempt not after a failure.
    #[inline]
    pub(crate) fn gap(&self, at: SimTime) -> Option<(Gap, u64)> {
        if self.attempt == 0 {
            return None;
        }
        let gap = at.saturating_since(self.last_attempt).micros();
        match self.next_trigger {
            Trigger::AfterRst => Some((Gap::Refused, gap)),
            Trigger::AfterTimeout if self.vpc_expiry != SimTime::ZERO => Some((Gap::Silent, gap)),
            Trigger::AfterTimeout => Some((Gap::VpcDropped, gap)),
            _ => None,
        }
    }

    /// IDLE/TRANSIENT_FAILURE → CONNECTING at `at`: a new attempt (new
    /// generation) with `timing`, from source port `sport`; its flow holds
    /// no entries yet. Returns the attempt's generation.
    #[inline]
    pub(crate) fn begin_attempt(&mut self, at: SimTime, timing: Timing, sport: u16) -> u32 {
        self.last_attempt = at;
        self.state = ConnState::Connecting;
        self.folded = false;
        self.attempt += 1;
        self.gen = self.gen.wrapping_add(1);
        self.backoff_us = timing.backoff_us;
        self.dial_deadline = at + SimDuration::from_micros(timing.dial_us);
        self.sport = sport;
        self.vpc_expiry = SimTime::ZERO;
        self.ct_expiry = SimTime::ZERO;
        self.gen
    }

    /// When the next attempt starts after the current one fails at
    /// `failed_at`: grpc-go sleeps the whole backoff after the failure; the
    /// spec's next attempt starts one backoff after the previous one
    /// started, or at the failure if that is later.
    #[inline]
    pub(crate) fn backoff_end(&self, sem: GrpcSemantics, failed_at: SimTime) -> SimTime {
        let backoff = SimDuration::from_micros(self.backoff_us);
        match sem {
            GrpcSemantics::ReconnectOnDisconnect | GrpcSemantics::IdleOnDisconnect => {
                failed_at + backoff
            }
            GrpcSemantics::DeadlinePaced => (self.last_attempt + backoff).max(failed_at),
        }
    }

    /// CONNECTING → TRANSIENT_FAILURE: the attempt failed; the next one is
    /// triggered by `next`. Returns the generation the backoff timer
    /// ([`Sub::backoff_end`]) is for.
    #[inline]
    pub(crate) fn fail(&mut self, next: Trigger) -> u32 {
        self.state = ConnState::TransientFailure;
        self.folded = false;
        self.next_trigger = next;
        self.gen
    }

    /// CONNECTING → TRANSIENT_FAILURE ahead of time: the attempt will fail
    /// at `fails_at` with nothing seen outside the subchannel, so its
    /// failure and backoff run as one timer (`wiring/fold.rs`). Returns the
    /// timer's generation.
    #[inline]
    pub(crate) fn fail_folded(&mut self, fails_at: SimTime, next: Trigger) -> u32 {
        self.state = ConnState::TransientFailure;
        self.folded = true;
        self.next_trigger = next;
        self.dial_deadline = fails_at;
        self.gen
    }

    /// CONNECTING → READY: the handshake completed; the backoff starts
    /// over (grpc-go resets `backoffIdx` on a successful connection).
    #[inline]
    pub(crate) fn connected(&mut self) {
        self.state = ConnState::Ready;
        self.backoff_idx = 0;
    }

    /// TRANSIENT_FAILURE: the backoff ended (one more failure counted).
    /// ≥1.41 goes IDLE; ≤1.40 and the spec connect again.
    #[inline]
    pub(crate) fn backoff_done(&mut self, sem: GrpcSemantics) -> Then {
        self.backoff_idx = self.backoff_idx.saturating_add(1);
        match sem {
            GrpcSemantics::IdleOnDisconnect => {
                self.state = ConnState::Idle;
                Then::Idle
            }
            GrpcSemantics::ReconnectOnDisconnect | GrpcSemantics::DeadlinePaced => Then::Connect,
        }
    }

    /// READY, and the server sent GOAWAY (its connection is closed). ≥1.41
    /// (`onClose`): IDLE, after asking for re-resolution. ≤1.40: reconnect
    /// at once with the backoff started over; the spec's pacing also asks
    /// for re-resolution. Returns whether to ask for re-resolution (first)
    /// and what follows.
    #[inline]
    pub(crate) fn go_away(&mut self, sem: GrpcSemantics) -> (bool, Then) {
        self.next_trigger = Trigger::GoAway;
        match sem {
            GrpcSemantics::IdleOnDisconnect => {
                self.state = ConnState::Idle;
                (true, Then::Idle)
            }
            GrpcSemantics::ReconnectOnDisconnect | GrpcSemantics::DeadlinePaced => {
                self.backoff_idx = 0;
                (sem == GrpcSemantics::DeadlinePaced, Then::Connect)
            }
        }
    }

    /// Any state → SHUTDOWN (its address left the resolver's answer): every
    /// timer it had is stale. Returns whether it was READY (its connection
    /// then closes).
    #[inline]
    pub(crate) fn shutdown(&mut self) -> bool {
        let was_ready = self.state == ConnState::Ready;
        self.state = ConnState::Shutdown;
        self.gen = self.gen.wrapping_add(1);
        was_ready
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// grpc-go ≤1.40: a failure sleeps the whole backoff; the spec's next
    /// attempt starts one backoff after the previous one started.
    #[test]
    fn backoff_ends_after_the_failure_or_the_previous_start() {
        let mut s = Sub::new(0, 0);
        let t = Timing {
            backoff_us: 1_000_000,
            dial_us: 20_000_000,
        };
        s.begin_attempt(SimTime::from_secs(10), t, 0);
        let failed = SimTime::from_millis(10_300);
        assert_eq!(
            s.backoff_end(GrpcSemantics::ReconnectOnDisconnect, failed),
            SimTime::from_millis(11_300)
        );
        assert_eq!(
            s.backoff_end(GrpcSemantics::DeadlinePaced, failed),
            SimTime::from_secs(11)
        );
        assert_eq!(
            s.backoff_end(GrpcSemantics::DeadlinePaced, SimTime::from_secs(30)),
            SimTime::from_secs(30)
        );
    }

    /// Every attempt has a new generation; a failure keeps it (the backoff
    /// timer carries it), the backoff's end counts one failure, READY
    /// starts the backoff over, and SHUTDOWN makes every timer stale.
    #[test]
    fn transitions_follow_grpc_go() {
        let mut s = Sub::new(0, 0);
        let t = Timing {
            backoff_us: 1,
            dial_us: 2,
        };
        let g = s.begin_attempt(SimTime::ZERO, t, 0);
        assert!(s.is(g, ConnState::Connecting));
        assert_eq!(s.fail(Trigger::AfterRst), g);
        assert_eq!(s.backoff_done(GrpcSemantics::IdleOnDisconnect), Then::Idle);
        assert_eq!((s.state, s.backoff_idx), (ConnState::Idle, 1));
        assert_eq!(
            s.gap(SimTime::from_secs(1)),
            Some((Gap::Refused, 1_000_000))
        );
        let g2 = s.begin_attempt(SimTime::from_secs(1), t, 0);
        assert_ne!(g, g2);
        s.connected();
        assert_eq!((s.state, s.backoff_idx), (ConnState::Ready, 0));
        assert_eq!(
            s.go_away(GrpcSemantics::DeadlinePaced),
            (true, Then::Connect)
        );
        assert!(s.shutdown());
        assert!(!s.is(g2, ConnState::Shutdown));
    }
}
